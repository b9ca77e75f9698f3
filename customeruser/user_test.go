package customeruser_test

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	cu "github.com/b2bkit/customerusers"
	"github.com/b2bkit/customerusers/customeruser"
	"github.com/b2bkit/customerusers/role"
)

func utPtr[T any](v T) *T { return &v }

// utInput is a valid input for an enabled buyer of customerID.
func utInput(h *harness, customerID uuid.UUID, email string) customeruser.CreateUserInput {
	return customeruser.CreateUserInput{
		CustomerID: customerID, Email: email, FirstName: "Ada", LastName: "Lovelace",
		RoleIDs: []uuid.UUID{h.buyerRole.ID}, Password: testPassword,
	}
}

// utUsers is every user of the harness organization, sorted by id.
func utUsers(h *harness) []customeruser.User {
	h.t.Helper()
	var out []customeruser.User
	p := cu.Page{Limit: cu.MaxPageLimit}
	for {
		page, err := h.store.Users().List(h.ctx, h.org, customeruser.UserFilter{}, p)
		require.NoError(h.t, err)
		out = append(out, page.Items...)
		if page.NextCursor == "" {
			break
		}
		p.Cursor = page.NextCursor
	}
	slices.SortFunc(out, func(a, b customeruser.User) int { return strings.Compare(a.ID.String(), b.ID.String()) })
	return out
}

// utGet reads a user straight from storage.
func utGet(h *harness, id uuid.UUID) customeruser.User {
	h.t.Helper()
	u, err := h.store.Users().Get(h.ctx, h.org, id)
	require.NoError(h.t, err)
	return u
}

// utInvalid checks an invalid error holding a violation of field with
// rule, and returns it.
func utInvalid(t *testing.T, err error, field, rule string) cu.Violation {
	t.Helper()
	require.Error(t, err)
	require.Equal(t, cu.CodeInvalid, cu.CodeOf(err), "error: %v", err)
	var e *cu.Error
	require.ErrorAs(t, err, &e)
	for _, v := range e.Violations {
		if v.Field == field && v.Rule == rule {
			assert.NotEmpty(t, v.Message)
			return v
		}
	}
	t.Errorf("no violation %s/%s in %v", field, rule, e.Violations)
	return cu.Violation{}
}

// utUnchanged asserts that the users and the number of events are as
// before.
func utUnchanged(t *testing.T, h *harness, before []customeruser.User, events int) {
	t.Helper()
	assert.Equal(t, before, utUsers(h), "users changed")
	assert.Equal(t, events, h.eventCount(), "events were appended")
}

// utLast is the latest event of a subject.
func utLast(t *testing.T, h *harness, id uuid.UUID) cu.Event {
	t.Helper()
	ev := h.events(id)
	require.NotEmpty(t, ev)
	return ev[len(ev)-1]
}

// utChanges decodes the field-level changes of an event.
func utChanges(t *testing.T, e cu.Event) map[string]cu.Change {
	t.Helper()
	var ch []cu.Change
	require.NoError(t, json.Unmarshal(e.Payload, &ch), "payload %s", e.Payload)
	out := map[string]cu.Change{}
	for _, c := range ch {
		out[c.Field] = c
	}
	return out
}

// utRole stores a role through the role service as the back office.
func utRole(h *harness, label string, customerID uuid.UUID, grants []role.Grant, caps ...string) role.Role {
	h.t.Helper()
	r, err := h.roles.Create(h.ctx, h.admin, role.Input{
		Label: label, CustomerID: customerID, SelfManaged: true, Public: true, Grants: grants, Capabilities: caps,
	})
	require.NoError(h.t, err)
	return r
}

// utTokenAlive reports whether a token secret of purpose still works
// (consuming it).
func utTokenAlive(h *harness, purpose customeruser.TokenPurpose, secret string) bool {
	h.t.Helper()
	d := sha256.Sum256([]byte(secret))
	_, err := h.store.Tokens().Consume(h.ctx, h.org, purpose, d[:])
	if err != nil {
		require.Equal(h.t, cu.CodeNotFound, cu.CodeOf(err), "consume: %v", err)
		return false
	}
	return true
}

// utWelcome creates a user with a welcome e-mail and returns it with the
// secret of its set-password link (left unconsumed).
func utWelcome(h *harness, customerID uuid.UUID, email string) (customeruser.User, string) {
	h.t.Helper()
	in := utInput(h, customerID, email)
	in.SendWelcomeEmail = true
	u, err := h.svc.CreateUser(h.ctx, h.admin, in)
	require.NoError(h.t, err)
	n, ok := h.mail.Last(customeruser.TemplateWelcomeByAdmin)
	require.True(h.t, ok)
	require.Equal(h.t, u.ID, n.UserID)
	return u, n.Token
}

func TestCreateUser(t *testing.T) {
	h := newHarness(t)
	c := h.customer("Acme", uuid.Nil)
	in := utInput(h, c.ID, "  Ada.Lovelace@Example.org ")
	in.NamePrefix, in.MiddleName, in.NameSuffix = "Ms", "King", "PhD"
	in.Phone = "+44 20 7946 0958"
	in.Birthday = utPtr(time.Date(1815, 12, 10, 0, 0, 0, 0, time.UTC))
	in.SalesRepIDs = []uuid.UUID{uuid.New()}
	in.OwnerID = uuid.New()
	in.ExternalID = "ERP-1"

	u, err := h.svc.CreateUser(h.ctx, h.admin, in)
	require.NoError(t, err)

	assert.NotEqual(t, uuid.Nil, u.ID)
	assert.Equal(t, h.org, u.OrganizationID)
	assert.Equal(t, "Ada.Lovelace@Example.org", u.Email, "trimmed, case kept")
	assert.Equal(t, "ada.lovelace@example.org", u.EmailKey)
	assert.True(t, u.Enabled)
	assert.True(t, u.Confirmed, "admin-created users are confirmed")
	assert.False(t, u.Guest)
	assert.Equal(t, customeruser.AuthActive, u.AuthStatus)
	assert.Equal(t, int64(1), u.Version)
	assert.Equal(t, h.clock.Now(), u.CreatedAt)
	assert.Equal(t, h.clock.Now(), u.UpdatedAt)
	assert.Equal(t, h.website.ID, u.WebsiteID, "default website")
	assert.Equal(t, h.website.DefaultLocalizationID, u.PreferredLocalizationID, "website offers two localizations: default one")
	assert.Equal(t, []uuid.UUID{h.buyerRole.ID}, u.RoleIDs)
	ok, _, err := customeruser.NewHasher(cheapArgon2).Verify(testPassword, u.PasswordHash)
	require.NoError(t, err)
	assert.True(t, ok)
	assert.Equal(t, u, utGet(h, u.ID), "stored as returned")

	ev := h.events(u.ID)
	require.Len(t, ev, 1)
	assert.Equal(t, customeruser.EventUserCreated, ev[0].Type)
	assert.Equal(t, customeruser.SubjectCustomerUser, ev[0].SubjectType)
	assert.Equal(t, h.admin.Ref(), ev[0].Actor)
	var snap map[string]any
	require.NoError(t, json.Unmarshal(ev[0].Payload, &snap))
	assert.Equal(t, "Ada.Lovelace@Example.org", snap["email"])
	assert.Equal(t, "1815-12-10", snap["birthday"])
	assert.NotContains(t, string(ev[0].Payload), "argon2")
	assert.Empty(t, h.mail.Sent(), "no e-mail unless asked")
}

func TestCreateUserBirthdayIsTheWrittenDate(t *testing.T) {
	h := newHarness(t)
	c := h.customer("Acme", uuid.Nil)
	in := utInput(h, c.ID, "tz@example.org")
	// 2026-01-15 23:30 in New York is already the 16th in UTC: the date as
	// written (today) counts, not the UTC instant.
	ny := time.FixedZone("EST", -5*3600)
	in.Birthday = utPtr(time.Date(2026, 1, 15, 23, 30, 0, 0, ny))
	u, err := h.svc.CreateUser(h.ctx, h.admin, in)
	require.NoError(t, err)
	assert.Equal(t, time.Date(2026, 1, 15, 0, 0, 0, 0, time.UTC), *u.Birthday)
}

func TestCreateUserInvalid(t *testing.T) {
	h := newHarness(t)
	c := h.customer("Acme", uuid.Nil)
	other := h.customer("Other", uuid.Nil)
	otherRole := utRole(h, "Other buyers", other.ID, nil)
	long := strings.Repeat("x", 256)
	tomorrow := time.Date(2026, 1, 16, 0, 0, 0, 0, time.UTC)
	valid := customeruser.Address{FirstName: "A", LastName: "B", Street: "1 Main St", City: "Springfield", PostalCode: "12345", Country: "US"}
	billingDefault := valid
	billingDefault.Types = []customeruser.AddressTypeFlag{{Type: customeruser.Billing, Default: true}}
	h.user(c.ID, "taken@example.org")

	cases := []struct {
		name        string
		edit        func(in *customeruser.CreateUserInput)
		field, rule string
		message     string
	}{
		{"email missing", func(in *customeruser.CreateUserInput) { in.Email = " " }, "email", "required", ""},
		{"email too short", func(in *customeruser.CreateUserInput) { in.Email = "a@b.c" }, "email", "min_length", ""},
		{"email too long", func(in *customeruser.CreateUserInput) { in.Email = long + "@example.org" }, "email", "max_length", ""},
		{"email without at", func(in *customeruser.CreateUserInput) { in.Email = "not-an-email" }, "email", "format", ""},
		{"email with display name", func(in *customeruser.CreateUserInput) { in.Email = "Ada <ada@example.org>" }, "email", "format", ""},
		{"email with comment", func(in *customeruser.CreateUserInput) { in.Email = "ada@example.org (Ada)" }, "email", "format", ""},
		{"email two ats", func(in *customeruser.CreateUserInput) { in.Email = "ada@@example.org" }, "email", "format", ""},
		{"email taken", func(in *customeruser.CreateUserInput) { in.Email = "TAKEN@example.org" }, "email", "unique", "This email is already used."},
		{"first name missing", func(in *customeruser.CreateUserInput) { in.FirstName = "  " }, "firstName", "required", ""},
		{"last name missing", func(in *customeruser.CreateUserInput) { in.LastName = "" }, "lastName", "required", ""},
		{"first name too long", func(in *customeruser.CreateUserInput) { in.FirstName = long }, "firstName", "max_length", ""},
		{"last name too long", func(in *customeruser.CreateUserInput) { in.LastName = long }, "lastName", "max_length", ""},
		{"middle name too long", func(in *customeruser.CreateUserInput) { in.MiddleName = long }, "middleName", "max_length", ""},
		{"prefix too long", func(in *customeruser.CreateUserInput) { in.NamePrefix = long }, "namePrefix", "max_length", ""},
		{"suffix too long", func(in *customeruser.CreateUserInput) { in.NameSuffix = long }, "nameSuffix", "max_length", ""},
		{"external id too long", func(in *customeruser.CreateUserInput) { in.ExternalID = long }, "externalId", "max_length", ""},
		{"birthday in the future", func(in *customeruser.CreateUserInput) { in.Birthday = &tomorrow }, "birthday", "future", "The birth date cannot be in the future."},
		{"phone malformed", func(in *customeruser.CreateUserInput) { in.Phone = "call me" }, "phone", "format", ""},
		{"customer missing", func(in *customeruser.CreateUserInput) { in.CustomerID = uuid.Nil }, "customerId", "required", ""},
		{"customer unknown", func(in *customeruser.CreateUserInput) { in.CustomerID = uuid.New() }, "customerId", "not_found", ""},
		{"enabled without role", func(in *customeruser.CreateUserInput) { in.RoleIDs = nil }, "roleIds", "required_when_enabled",
			"Please select at least one role before you enable the customer user."},
		{"role unknown", func(in *customeruser.CreateUserInput) { in.RoleIDs = []uuid.UUID{uuid.New()} }, "roleIds[0]", "not_found", ""},
		{"role of another customer", func(in *customeruser.CreateUserInput) {
			in.RoleIDs = []uuid.UUID{h.buyerRole.ID, otherRole.ID}
		}, "roleIds[1]", "customer_mismatch", ""},
		{"sales rep nil", func(in *customeruser.CreateUserInput) { in.SalesRepIDs = []uuid.UUID{uuid.Nil} }, "salesRepIds[0]", "required", ""},
		{"website unknown", func(in *customeruser.CreateUserInput) { in.WebsiteID = uuid.New() }, "websiteId", "not_found", ""},
		{"localization of another website", func(in *customeruser.CreateUserInput) {
			in.PreferredLocalizationID = h.website2.Localizations[0]
		}, "preferredLocalizationId", "not_enabled", ""},
		{"password missing", func(in *customeruser.CreateUserInput) { in.Password = "" }, "password", "required", ""},
		{"password weak", func(in *customeruser.CreateUserInput) { in.Password = "short" }, "password", "min_length", ""},
		{"password is the email", func(in *customeruser.CreateUserInput) {
			in.Email, in.Password = "Abcdef12@example.org", "abcdef12@EXAMPLE.org"
		}, "password", "not_email", ""},
		{"address incomplete", func(in *customeruser.CreateUserInput) {
			in.Addresses = []customeruser.Address{{FirstName: "A", LastName: "B"}}
		}, "addresses[0].country", "required", ""},
		{"two default billing addresses", func(in *customeruser.CreateUserInput) {
			in.Addresses = []customeruser.Address{billingDefault, billingDefault}
		}, "addresses[1].types", "default_type", ""},
		{"guest welcome", func(in *customeruser.CreateUserInput) { in.Guest, in.SendWelcomeEmail = true, true }, "sendWelcomeEmail", "guest", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before, events := utUsers(h), h.eventCount()
			h.mail.Reset()
			in := utInput(h, c.ID, "new@example.org")
			tc.edit(&in)
			_, err := h.svc.CreateUser(h.ctx, h.admin, in)
			v := utInvalid(t, err, tc.field, tc.rule)
			if tc.message != "" {
				assert.Equal(t, tc.message, v.Message)
			}
			utUnchanged(t, h, before, events)
			assert.Empty(t, h.mail.Sent())
		})
	}
}

func TestCreateUserReportsAllViolations(t *testing.T) {
	h := newHarness(t)
	_, err := h.svc.CreateUser(h.ctx, h.admin, customeruser.CreateUserInput{Email: "bad"})
	for _, f := range []string{"email", "firstName", "lastName", "customerId", "roleIds", "password"} {
		var e *cu.Error
		require.ErrorAs(t, err, &e)
		_, ok := e.Violation(f)
		assert.True(t, ok, "violation on %s", f)
	}
}

func TestCreateUserRefusesAnonymous(t *testing.T) {
	h := newHarness(t)
	c := h.customer("Acme", uuid.Nil)
	_, err := h.svc.CreateUser(h.ctx, cu.AnonymousActor(h.org), utInput(h, c.ID, "x@example.org"))
	assert.Equal(t, cu.CodeUnauthenticated, cu.CodeOf(err))
}

func TestCreateUserEmailUniqueness(t *testing.T) {
	t.Run("case-insensitive by default", func(t *testing.T) {
		h := newHarness(t)
		c := h.customer("Acme", uuid.Nil)
		h.user(c.ID, "amanda@example.org")
		_, err := h.svc.CreateUser(h.ctx, h.admin, utInput(h, c.ID, "Amanda@Example.ORG"))
		assert.Equal(t, "This email is already used.", utInvalid(t, err, "email", "unique").Message)

		other := h.customer("Other", uuid.Nil)
		_, err = h.svc.CreateUser(h.ctx, h.admin, utInput(h, other.ID, "AMANDA@example.org"))
		utInvalid(t, err, "email", "unique")
	})
	t.Run("case-sensitive when configured", func(t *testing.T) {
		cfg := customeruser.DefaultConfig()
		cfg.Argon2 = cheapArgon2
		cfg.CaseSensitiveEmails = true
		h := newHarness(t, customeruser.WithConfig(cfg))
		c := h.customer("Acme", uuid.Nil)
		a := h.user(c.ID, "amanda@example.org")
		b := h.user(c.ID, "Amanda@example.org")
		assert.Equal(t, "Amanda@example.org", b.EmailKey)
		assert.NotEqual(t, a.ID, b.ID)
		_, err := h.svc.CreateUser(h.ctx, h.admin, utInput(h, c.ID, "Amanda@example.org"))
		utInvalid(t, err, "email", "unique")
	})
	t.Run("per organization", func(t *testing.T) {
		h := newHarness(t)
		c := h.customer("Acme", uuid.Nil)
		h.user(c.ID, "amanda@example.org")
		h2 := newHarness(t)
		c2 := h2.customer("Acme", uuid.Nil)
		h2.user(c2.ID, "amanda@example.org")
	})
	t.Run("storage settles races", func(t *testing.T) {
		h := newHarness(t)
		c := h.customer("Acme", uuid.Nil)
		const n = 8
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Go(func() {
				_, errs[i] = h.svc.CreateUser(h.ctx, h.admin, utInput(h, c.ID, "race@example.org"))
			})
		}
		wg.Wait()
		ok := 0
		for _, err := range errs {
			if err == nil {
				ok++
				continue
			}
			utInvalid(t, err, "email", "unique")
		}
		assert.Equal(t, 1, ok)
	})
	t.Run("storage unique error without the pre-check", func(t *testing.T) {
		h := newHarness(t)
		c := h.customer("Acme", uuid.Nil)
		h.user(c.ID, "amanda@example.org")
		cfg := customeruser.DefaultConfig()
		cfg.Argon2 = cheapArgon2
		deps := h.store.UserDeps(h.authz)
		deps.Users, deps.Sites = utBlindUsers{h.store.Users()}, h.sites
		svc := customeruser.NewService(deps, customeruser.WithConfig(cfg), customeruser.WithClock(h.clock))
		before, events := utUsers(h), h.eventCount()
		_, err := svc.CreateUser(h.ctx, h.admin, utInput(h, c.ID, "AMANDA@example.org"))
		utInvalid(t, err, "email", "unique")
		utUnchanged(t, h, before, events)
	})
}

// utBlindUsers hides existing e-mails from the service's pre-check, so
// that only the storage's unique index can catch a duplicate.
type utBlindUsers struct{ customeruser.UserRepository }

func (utBlindUsers) GetByEmailKey(context.Context, uuid.UUID, string) (customeruser.User, error) {
	return customeruser.User{}, cu.NotFound("customer user")
}

func TestCreateGuest(t *testing.T) {
	h := newHarness(t)
	c := h.customer("Acme", uuid.Nil)
	member := h.user(c.ID, "shared@example.org")

	in := utInput(h, c.ID, "SHARED@example.org")
	in.Guest, in.Password, in.RoleIDs = true, "", nil
	in.Enabled, in.Confirmed = utPtr(true), utPtr(true)
	g1, err := h.svc.CreateUser(h.ctx, h.admin, in)
	require.NoError(t, err, "a guest never conflicts and needs neither password nor role")
	assert.True(t, g1.Guest)
	assert.False(t, g1.Enabled, "guests are created disabled")
	assert.False(t, g1.Confirmed, "guests are created unconfirmed")
	assert.NotEmpty(t, g1.PasswordHash, "a random, unusable password")

	g2, err := h.svc.CreateUser(h.ctx, h.admin, in)
	require.NoError(t, err, "guests may share an e-mail")
	assert.NotEqual(t, g1.ID, g2.ID)

	// The registered user still owns the e-mail.
	got, err := h.store.Users().GetByEmailKey(h.ctx, h.org, "shared@example.org")
	require.NoError(t, err)
	assert.Equal(t, member.ID, got.ID)

	// A guest turned into a registered user meets the uniqueness rule.
	_, err = h.svc.UpdateUser(h.ctx, h.admin, g1.ID, customeruser.UserPatch{Guest: utPtr(false)}, 0)
	utInvalid(t, err, "email", "unique")
}

func TestCreateUserGeneratedPasswordAndWelcome(t *testing.T) {
	h := newHarness(t)
	c := h.customer("Acme", uuid.Nil)
	in := utInput(h, c.ID, "welcome@example.org")
	in.Password, in.GeneratePassword, in.SendWelcomeEmail = "", true, true
	u, err := h.svc.CreateUser(h.ctx, h.admin, in)
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(u.PasswordHash, "$argon2id$"))

	sent := h.mail.Sent()
	require.Len(t, sent, 1)
	n := sent[0]
	assert.Equal(t, customeruser.TemplateWelcomeByAdmin, n.Template)
	assert.Equal(t, u.ID, n.UserID)
	assert.Equal(t, h.org, n.OrganizationID)
	assert.Equal(t, "welcome@example.org", n.Email)
	assert.Equal(t, "Ada Lovelace", n.Name)
	assert.Equal(t, u.WebsiteID, n.WebsiteID)
	assert.Equal(t, u.PreferredLocalizationID, n.LocalizationID)
	require.NotEmpty(t, n.Token, "the e-mail carries a set-password link")

	// Only the digest is stored: the raw secret finds nothing, its digest
	// finds a set-password token (of this user, expiring after ResetTTL).
	_, err = h.store.Tokens().Consume(h.ctx, h.org, customeruser.PurposeSetPassword, []byte(n.Token))
	assert.Equal(t, cu.CodeNotFound, cu.CodeOf(err))
	d := sha256.Sum256([]byte(n.Token))
	tok, err := h.store.Tokens().Consume(h.ctx, h.org, customeruser.PurposeSetPassword, d[:])
	require.NoError(t, err)
	assert.Equal(t, u.ID, tok.UserID)
	assert.Equal(t, h.clock.Now().Add(24*time.Hour), tok.ExpiresAt)

	assertNoSecretsInEvents(t, h, n.Token, u.PasswordHash)
}

// The Notifier is called inside the creating transaction: its failure
// aborts the creation (nothing changes), so a user never silently misses
// its welcome e-mail.
func TestCreateUserNotifierFailureAbortsCreation(t *testing.T) {
	h := newHarness(t)
	c := h.customer("Acme", uuid.Nil)
	before, events := utUsers(h), h.eventCount()
	h.mail.Fail(errors.New("outbox unavailable"))
	in := utInput(h, c.ID, "welcome@example.org")
	in.SendWelcomeEmail = true
	_, err := h.svc.CreateUser(h.ctx, h.admin, in)
	require.Error(t, err)
	assert.Equal(t, cu.CodeInternal, cu.CodeOf(err))
	utUnchanged(t, h, before, events)
}

func TestCreateUserAttributes(t *testing.T) {
	validator := func(_ context.Context, _ uuid.UUID, attrs map[string]any) []cu.Violation {
		var v cu.Violations
		if s, _ := attrs["size"].(string); s != "" && s != "S" && s != "M" {
			v.Add("size", "enum", "Size is S or M.")
		}
		if _, ok := attrs["bad"]; ok {
			v.Add("", "shape", "No bad attributes.")
		}
		return v
	}
	h := newHarness(t, customeruser.WithAttributeValidator(validator))
	c := h.customer("Acme", uuid.Nil)

	in := utInput(h, c.ID, "attrs@example.org")
	in.Attributes = map[string]any{"size": "M", "count": 3}
	u, err := h.svc.CreateUser(h.ctx, h.admin, in)
	require.NoError(t, err)
	assert.Equal(t, map[string]any{"size": "M", "count": float64(3)}, u.Attributes, "stored as decoded JSON")

	for _, tc := range []struct {
		attrs       map[string]any
		field, rule string
	}{
		{map[string]any{"size": "XL"}, "attributes.size", "enum"},
		{map[string]any{"bad": true}, "attributes", "shape"},
		{map[string]any{"fn": func() {}}, "attributes", "format"},
	} {
		before, events := utUsers(h), h.eventCount()
		in := utInput(h, c.ID, "attrs2@example.org")
		in.Attributes = tc.attrs
		_, err := h.svc.CreateUser(h.ctx, h.admin, in)
		utInvalid(t, err, tc.field, tc.rule)
		utUnchanged(t, h, before, events)

		_, err = h.svc.UpdateUser(h.ctx, h.admin, u.ID, customeruser.UserPatch{Attributes: &tc.attrs}, 0)
		utInvalid(t, err, tc.field, tc.rule)
		utUnchanged(t, h, before, events)
	}
}

func TestUpdateUser(t *testing.T) {
	h := newHarness(t)
	c := h.customer("Acme", uuid.Nil)
	u := h.user(c.ID, "ada@example.org")
	h.clock.Advance(time.Hour)

	bday := time.Date(1990, 5, 1, 0, 0, 0, 0, time.UTC)
	rep := uuid.New()
	res, err := h.svc.UpdateUser(h.ctx, h.admin, u.ID, customeruser.UserPatch{
		FirstName: utPtr(" Augusta "), Birthday: utPtr(&bday), Phone: utPtr("+1 555 123 4567"),
		RoleIDs: &[]uuid.UUID{h.buyerRole.ID, h.adminRole.ID}, SalesRepIDs: &[]uuid.UUID{rep},
		Confirmed: utPtr(false),
	}, u.Version)
	require.NoError(t, err)
	got := res.User
	assert.Empty(t, res.Notices)
	assert.Equal(t, "Augusta", got.FirstName)
	assert.Equal(t, bday, *got.Birthday)
	assert.Equal(t, int64(2), got.Version)
	assert.Equal(t, h.clock.Now(), got.UpdatedAt)
	assert.Equal(t, u.CreatedAt, got.CreatedAt)
	assert.Equal(t, got, utGet(h, u.ID))

	e := utLast(t, h, u.ID)
	assert.Equal(t, customeruser.EventUserUpdated, e.Type)
	ch := utChanges(t, e)
	assert.Equal(t, cu.Change{Field: "firstName", Before: "Test", After: "Augusta"}, ch["firstName"])
	assert.Equal(t, cu.Change{Field: "birthday", Before: nil, After: "1990-05-01"}, ch["birthday"])
	assert.Equal(t, cu.Change{Field: "confirmed", Before: true, After: false}, ch["confirmed"])
	assert.Contains(t, ch, "phone")
	assert.Contains(t, ch, "roleIds")
	assert.Contains(t, ch, "salesRepIds")
	assert.Len(t, ch, 6, "only changed fields: %v", ch)

	// Clearing the birthday.
	res, err = h.svc.UpdateUser(h.ctx, h.admin, u.ID, customeruser.UserPatch{Birthday: utPtr[*time.Time](nil)}, 0)
	require.NoError(t, err)
	assert.Nil(t, res.User.Birthday)
}

func TestUpdateUserNoop(t *testing.T) {
	h := newHarness(t)
	c := h.customer("Acme", uuid.Nil)
	u := h.user(c.ID, "ada@example.org")
	before, events := utUsers(h), h.eventCount()
	res, err := h.svc.UpdateUser(h.ctx, h.admin, u.ID, customeruser.UserPatch{
		FirstName: utPtr("Test"), Email: utPtr("ada@example.org"), RoleIDs: &[]uuid.UUID{h.buyerRole.ID},
	}, u.Version)
	require.NoError(t, err)
	assert.Equal(t, u, res.User)
	utUnchanged(t, h, before, events)
}

func TestUpdateUserInvalid(t *testing.T) {
	h := newHarness(t)
	c := h.customer("Acme", uuid.Nil)
	other := h.customer("Other", uuid.Nil)
	otherRole := utRole(h, "Other buyers", other.ID, nil)
	h.user(c.ID, "taken@example.org")
	u := h.user(c.ID, "ada@example.org")
	tomorrow := time.Date(2026, 1, 16, 0, 0, 0, 0, time.UTC)

	cases := []struct {
		name        string
		patch       customeruser.UserPatch
		field, rule string
	}{
		{"email taken in another case", customeruser.UserPatch{Email: utPtr("Taken@Example.org")}, "email", "unique"},
		{"email malformed", customeruser.UserPatch{Email: utPtr("ada at example.org")}, "email", "format"},
		{"first name blank", customeruser.UserPatch{FirstName: utPtr(" ")}, "firstName", "required"},
		{"birthday in the future", customeruser.UserPatch{Birthday: utPtr(&tomorrow)}, "birthday", "future"},
		{"phone malformed", customeruser.UserPatch{Phone: utPtr("12")}, "phone", "format"},
		{"no role while enabled", customeruser.UserPatch{RoleIDs: &[]uuid.UUID{}}, "roleIds", "required_when_enabled"},
		{"enabling without role", customeruser.UserPatch{Enabled: utPtr(true), RoleIDs: &[]uuid.UUID{}}, "roleIds", "required_when_enabled"},
		{"role of another customer", customeruser.UserPatch{RoleIDs: &[]uuid.UUID{otherRole.ID}}, "roleIds[0]", "customer_mismatch"},
		{"customer unknown", customeruser.UserPatch{CustomerID: utPtr(uuid.New())}, "customerId", "not_found"},
		{"customer cleared", customeruser.UserPatch{CustomerID: utPtr(uuid.Nil)}, "customerId", "required"},
		{"website unknown", customeruser.UserPatch{WebsiteID: utPtr(uuid.New())}, "websiteId", "not_found"},
		{"localization not enabled", customeruser.UserPatch{PreferredLocalizationID: utPtr(uuid.New())}, "preferredLocalizationId", "not_enabled"},
		{"website with a localization it lacks", customeruser.UserPatch{
			WebsiteID: utPtr(h.website2.ID), PreferredLocalizationID: utPtr(h.website.Localizations[1]),
		}, "preferredLocalizationId", "not_enabled"},
		{"password weak", customeruser.UserPatch{Password: utPtr("alllowercase")}, "password", "upper_case"},
		{"password empty", customeruser.UserPatch{Password: utPtr("")}, "password", "required"},
		{"external id too long", customeruser.UserPatch{ExternalID: utPtr(strings.Repeat("x", 256))}, "externalId", "max_length"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before, events := utUsers(h), h.eventCount()
			_, err := h.svc.UpdateUser(h.ctx, h.admin, u.ID, tc.patch, u.Version)
			utInvalid(t, err, tc.field, tc.rule)
			utUnchanged(t, h, before, events)
		})
	}
}

func TestUpdateUserDisabledMayHaveNoRole(t *testing.T) {
	h := newHarness(t)
	c := h.customer("Acme", uuid.Nil)
	u := h.user(c.ID, "ada@example.org")
	res, err := h.svc.UpdateUser(h.ctx, h.admin, u.ID, customeruser.UserPatch{Enabled: utPtr(false), RoleIDs: &[]uuid.UUID{}}, 0)
	require.NoError(t, err)
	assert.False(t, res.User.Enabled)
	assert.Empty(t, res.User.RoleIDs)
}

func TestUserStaleAndMissing(t *testing.T) {
	h := newHarness(t)
	c := h.customer("Acme", uuid.Nil)
	u := h.user(c.ID, "ada@example.org")
	_, err := h.svc.UpdateUser(h.ctx, h.admin, u.ID, customeruser.UserPatch{FirstName: utPtr("B")}, 0)
	require.NoError(t, err)
	before, events := utUsers(h), h.eventCount()

	_, err = h.svc.UpdateUser(h.ctx, h.admin, u.ID, customeruser.UserPatch{FirstName: utPtr("C")}, u.Version)
	assert.ErrorIs(t, err, cu.ErrStale)
	_, err = h.svc.DisableUser(h.ctx, h.admin, u.ID, u.Version)
	assert.ErrorIs(t, err, cu.ErrStale)
	_, err = h.svc.EnableUser(h.ctx, h.admin, u.ID, u.Version)
	assert.ErrorIs(t, err, cu.ErrStale)
	assert.ErrorIs(t, h.svc.DeleteUser(h.ctx, h.admin, u.ID, u.Version), cu.ErrStale)
	_, _, err = h.svc.AddAddress(h.ctx, h.admin, u.ID, uaAddr(), u.Version)
	assert.ErrorIs(t, err, cu.ErrStale)
	utUnchanged(t, h, before, events)

	missing := uuid.New()
	_, err = h.svc.GetUser(h.ctx, h.admin, missing)
	assert.ErrorIs(t, err, cu.ErrNotFound)
	_, err = h.svc.UpdateUser(h.ctx, h.admin, missing, customeruser.UserPatch{}, 0)
	assert.ErrorIs(t, err, cu.ErrNotFound)
	assert.ErrorIs(t, h.svc.DeleteUser(h.ctx, h.admin, missing, 0), cu.ErrNotFound)

	// Another organization's user does not exist for this one.
	stranger := cu.BackOfficeActor(uuid.New(), uuid.New())
	_, err = h.svc.GetUser(h.ctx, stranger, u.ID)
	assert.ErrorIs(t, err, cu.ErrNotFound)
	_, err = h.svc.DisableUser(h.ctx, stranger, u.ID, 0)
	assert.ErrorIs(t, err, cu.ErrNotFound)
	utUnchanged(t, h, before, events)
}

func TestUpdateUserPassword(t *testing.T) {
	h := newHarness(t)
	c := h.customer("Acme", uuid.Nil)
	u := h.user(c.ID, "ada@example.org")
	_, err := h.svc.ForceReset(h.ctx, h.admin, u.ID, 0)
	require.NoError(t, err)
	reset, ok := h.mail.Last(customeruser.TemplateForcedReset)
	require.True(t, ok)
	require.Equal(t, customeruser.AuthReset, utGet(h, u.ID).AuthStatus)
	h.clock.Advance(time.Minute)

	res, err := h.svc.UpdateUser(h.ctx, h.admin, u.ID, customeruser.UserPatch{Password: utPtr("NewSecret456")}, 0)
	require.NoError(t, err)
	got := res.User
	assert.Equal(t, customeruser.AuthActive, got.AuthStatus)
	require.NotNil(t, got.PasswordChangedAt)
	assert.Equal(t, h.clock.Now(), *got.PasswordChangedAt)
	ok, _, err = customeruser.NewHasher(cheapArgon2).Verify("NewSecret456", got.PasswordHash)
	require.NoError(t, err)
	assert.True(t, ok)

	assert.False(t, utTokenAlive(h, customeruser.PurposeSetPassword, reset.Token), "the reset link dies")

	e := utLast(t, h, u.ID)
	require.Equal(t, customeruser.EventUserUpdated, e.Type)
	ch := utChanges(t, e)
	assert.Equal(t, cu.Change{Field: "password", Before: nil, After: nil}, ch["password"])
	assert.Equal(t, cu.Change{Field: "authStatus", Before: "reset", After: "active"}, ch["authStatus"])
	assertNoSecretsInEvents(t, h, got.PasswordHash, u.PasswordHash, "NewSecret456", reset.Token)
}

func TestUpdateUserEmailKillsTokens(t *testing.T) {
	h := newHarness(t)
	c := h.customer("Acme", uuid.Nil)
	u, link := utWelcome(h, c.ID, "ada@example.org")
	res, err := h.svc.UpdateUser(h.ctx, h.admin, u.ID, customeruser.UserPatch{Email: utPtr("Ada@Lovelace.org")}, 0)
	require.NoError(t, err)
	assert.Equal(t, "ada@lovelace.org", res.User.EmailKey)
	assert.False(t, utTokenAlive(h, customeruser.PurposeSetPassword, link))
	assert.Equal(t, cu.Change{Field: "email", Before: "ada@example.org", After: "Ada@Lovelace.org"}, utChanges(t, utLast(t, h, u.ID))["email"])

	// The old address is free again, the new one taken.
	h.user(c.ID, "ADA@example.org")
	_, err = h.svc.CreateUser(h.ctx, h.admin, utInput(h, c.ID, "ada@lovelace.org"))
	utInvalid(t, err, "email", "unique")
}

// utRelated records Reassign calls and what the transaction shows.
type utRelated struct {
	h     *harness
	fail  error
	calls []string
	seen  uuid.UUID
}

func (p *utRelated) Kind() string { return "order" }

func (p *utRelated) List(context.Context, uuid.UUID, uuid.UUID) ([]customeruser.RelatedRecord, error) {
	return nil, nil
}

func (p *utRelated) Reassign(ctx context.Context, org, userID, from, to uuid.UUID) error {
	p.calls = append(p.calls, strings.Join([]string{org.String(), userID.String(), from.String(), to.String()}, " "))
	// Reading with the given context sees the uncommitted change: the
	// hook runs inside the transaction.
	u, err := p.h.store.Users().Get(ctx, org, userID)
	if err != nil {
		return err
	}
	p.seen = u.CustomerID
	return p.fail
}

func TestUpdateUserChangeCustomer(t *testing.T) {
	rel := &utRelated{}
	h := newHarness(t, customeruser.WithRelatedRecords(rel))
	rel.h = h
	a := h.customer("A", uuid.Nil)
	b := h.customer("B", uuid.Nil)
	aRole := utRole(h, "A buyers", a.ID, nil)
	bRole := utRole(h, "B buyers", b.ID, nil)
	u := h.user(a.ID, "ada@example.org", h.buyerRole.ID, aRole.ID)

	t.Run("roles of the old customer are refused", func(t *testing.T) {
		before, events := utUsers(h), h.eventCount()
		_, err := h.svc.UpdateUser(h.ctx, h.admin, u.ID, customeruser.UserPatch{CustomerID: &b.ID}, 0)
		utInvalid(t, err, "roleIds[1]", "customer_mismatch")
		utUnchanged(t, h, before, events)
		assert.Empty(t, rel.calls, "nothing reassigned")
	})
	t.Run("a failing provider rolls everything back", func(t *testing.T) {
		rel.fail = errors.New("orders are locked")
		defer func() { rel.fail, rel.calls = nil, nil }()
		before, events := utUsers(h), h.eventCount()
		_, err := h.svc.UpdateUser(h.ctx, h.admin, u.ID, customeruser.UserPatch{CustomerID: &b.ID, RoleIDs: &[]uuid.UUID{bRole.ID}}, 0)
		require.Error(t, err)
		assert.Equal(t, cu.CodeInternal, cu.CodeOf(err))
		assert.Len(t, rel.calls, 1)
		utUnchanged(t, h, before, events)
	})
	t.Run("moved with the related records", func(t *testing.T) {
		res, err := h.svc.UpdateUser(h.ctx, h.admin, u.ID, customeruser.UserPatch{CustomerID: &b.ID, RoleIDs: &[]uuid.UUID{bRole.ID}}, 0)
		require.NoError(t, err)
		assert.Equal(t, b.ID, res.User.CustomerID)
		require.Len(t, rel.calls, 1)
		assert.Equal(t, strings.Join([]string{h.org.String(), u.ID.String(), a.ID.String(), b.ID.String()}, " "), rel.calls[0])
		assert.Equal(t, b.ID, rel.seen, "Reassign runs inside the transaction, after the user changed")
		ch := utChanges(t, utLast(t, h, u.ID))
		assert.Equal(t, cu.Change{Field: "customerId", Before: a.ID.String(), After: b.ID.String()}, ch["customerId"])
	})
}

func TestUpdateUserWebsite(t *testing.T) {
	h := newHarness(t)
	c := h.customer("Acme", uuid.Nil)
	in := utInput(h, c.ID, "ada@example.org")
	in.PreferredLocalizationID = h.website.Localizations[1]
	u, err := h.svc.CreateUser(h.ctx, h.admin, in)
	require.NoError(t, err)
	assert.Equal(t, h.website.Localizations[1], u.PreferredLocalizationID)

	// A website with one localization keeps none, and says the old one
	// was cleared.
	res, err := h.svc.UpdateUser(h.ctx, h.admin, u.ID, customeruser.UserPatch{WebsiteID: &h.website2.ID}, 0)
	require.NoError(t, err)
	assert.Equal(t, h.website2.ID, res.User.WebsiteID)
	assert.Equal(t, uuid.Nil, res.User.PreferredLocalizationID)
	require.Len(t, res.Notices, 1)
	assert.Contains(t, res.Notices[0], "preferred localization was cleared")
	ch := utChanges(t, utLast(t, h, u.ID))
	assert.Contains(t, ch, "websiteId")
	assert.Equal(t, cu.Change{Field: "preferredLocalizationId", Before: h.website.Localizations[1].String(), After: nil}, ch["preferredLocalizationId"])

	// Back to the main website: its default localization is used.
	res, err = h.svc.UpdateUser(h.ctx, h.admin, u.ID, customeruser.UserPatch{WebsiteID: &h.website.ID}, 0)
	require.NoError(t, err)
	assert.Equal(t, h.website.DefaultLocalizationID, res.User.PreferredLocalizationID)
	assert.Empty(t, res.Notices)

	// A localization given for a one-localization website is not kept.
	in = utInput(h, c.ID, "outlet@example.org")
	in.WebsiteID, in.PreferredLocalizationID = h.website2.ID, h.website2.Localizations[0]
	o, err := h.svc.CreateUser(h.ctx, h.admin, in)
	require.NoError(t, err)
	assert.Equal(t, uuid.Nil, o.PreferredLocalizationID)

	// A website without a usable default needs an explicit localization.
	w3 := customeruser.Website{ID: uuid.New(), Name: "No default", Localizations: []uuid.UUID{uuid.New(), uuid.New()}}
	h.sites.Add(h.org, w3)
	in = utInput(h, c.ID, "w3@example.org")
	in.WebsiteID = w3.ID
	_, err = h.svc.CreateUser(h.ctx, h.admin, in)
	utInvalid(t, err, "preferredLocalizationId", "required")
	in.PreferredLocalizationID = w3.Localizations[1]
	_, err = h.svc.CreateUser(h.ctx, h.admin, in)
	require.NoError(t, err)
}

func TestCreateUserWithoutWebsites(t *testing.T) {
	h := newHarness(t)
	c := h.customer("Acme", uuid.Nil)
	cfg := customeruser.DefaultConfig()
	cfg.Argon2 = cheapArgon2
	svc := customeruser.NewService(h.store.UserDeps(h.authz), customeruser.WithConfig(cfg), customeruser.WithClock(h.clock))
	u, err := svc.CreateUser(h.ctx, h.admin, utInput(h, c.ID, "ada@example.org"))
	require.NoError(t, err)
	assert.Equal(t, uuid.Nil, u.WebsiteID)
	assert.Equal(t, uuid.Nil, u.PreferredLocalizationID)
}

func TestEnableDisableUser(t *testing.T) {
	h := newHarness(t)
	c := h.customer("Acme", uuid.Nil)
	u, link := utWelcome(h, c.ID, "ada@example.org")
	events := h.eventCount()

	d, err := h.svc.DisableUser(h.ctx, h.admin, u.ID, u.Version)
	require.NoError(t, err)
	assert.False(t, d.Enabled)
	assert.Equal(t, u.Version+1, d.Version)
	assert.Equal(t, d, utGet(h, u.ID))
	assert.False(t, utTokenAlive(h, customeruser.PurposeSetPassword, link), "disable kills outstanding links")
	e := utLast(t, h, u.ID)
	assert.Equal(t, customeruser.EventUserDisabled, e.Type)
	assert.Equal(t, cu.Change{Field: "enabled", Before: true, After: false}, utChanges(t, e)["enabled"])
	assert.Equal(t, events+1, h.eventCount())

	again, err := h.svc.DisableUser(h.ctx, h.admin, u.ID, 0)
	require.NoError(t, err)
	assert.Equal(t, d, again, "no-op")
	assert.Equal(t, events+1, h.eventCount(), "no event for a no-op")

	en, err := h.svc.EnableUser(h.ctx, h.admin, u.ID, d.Version)
	require.NoError(t, err)
	assert.True(t, en.Enabled)
	assert.Equal(t, customeruser.EventUserEnabled, utLast(t, h, u.ID).Type)
	_, err = h.svc.EnableUser(h.ctx, h.admin, u.ID, 0)
	require.NoError(t, err)
	assert.Equal(t, events+2, h.eventCount())
}

func TestEnableUserNeedsRole(t *testing.T) {
	h := newHarness(t)
	c := h.customer("Acme", uuid.Nil)
	in := utInput(h, c.ID, "ada@example.org")
	in.Enabled, in.RoleIDs = utPtr(false), nil
	u, err := h.svc.CreateUser(h.ctx, h.admin, in)
	require.NoError(t, err, "a disabled user may have no role")

	before, events := utUsers(h), h.eventCount()
	_, err = h.svc.EnableUser(h.ctx, h.admin, u.ID, 0)
	v := utInvalid(t, err, "roleIds", "required_when_enabled")
	assert.Equal(t, "Please select at least one role before you enable the customer user.", v.Message)
	utUnchanged(t, h, before, events)
}

func TestDeleteUser(t *testing.T) {
	h := newHarness(t)
	c := h.customer("Acme", uuid.Nil)
	in := utInput(h, c.ID, "ada@example.org")
	in.Addresses = []customeruser.Address{uaAddr()}
	in.SendWelcomeEmail = true
	u, err := h.svc.CreateUser(h.ctx, h.admin, in)
	require.NoError(t, err)
	link, _ := h.mail.Last(customeruser.TemplateWelcomeByAdmin)

	require.NoError(t, h.svc.DeleteUser(h.ctx, h.admin, u.ID, u.Version))
	_, err = h.store.Users().Get(h.ctx, h.org, u.ID)
	assert.ErrorIs(t, err, cu.ErrNotFound)
	assert.False(t, utTokenAlive(h, customeruser.PurposeSetPassword, link.Token))
	e := utLast(t, h, u.ID)
	assert.Equal(t, customeruser.EventUserDeleted, e.Type)
	assert.NotContains(t, string(e.Payload), "argon2")
	n, err := h.store.Users().CountHolders(h.ctx, h.org, h.buyerRole.ID)
	require.NoError(t, err)
	assert.Zero(t, n, "role links went with the user")

	// The e-mail is free again.
	h.user(c.ID, "ada@example.org")
	assert.ErrorIs(t, h.svc.DeleteUser(h.ctx, h.admin, u.ID, 0), cu.ErrNotFound)
}

func TestGetAndListUsers(t *testing.T) {
	h := newHarness(t)
	a := h.customer("A", uuid.Nil)
	b := h.customer("B", uuid.Nil)
	ua := h.user(a.ID, "a@example.org")
	ub := h.user(b.ID, "b@example.org")

	got, err := h.svc.GetUser(h.ctx, h.admin, ua.ID)
	require.NoError(t, err)
	assert.Equal(t, ua, got)

	page, err := h.svc.ListUsers(h.ctx, h.admin, customeruser.UserFilter{}, cu.Page{})
	require.NoError(t, err)
	assert.Len(t, page.Items, 2)
	page, err = h.svc.ListUsers(h.ctx, h.admin, customeruser.UserFilter{CustomerID: b.ID}, cu.Page{})
	require.NoError(t, err)
	require.Len(t, page.Items, 1)
	assert.Equal(t, ub.ID, page.Items[0].ID)

	_, err = h.svc.ListUsers(h.ctx, h.admin, customeruser.UserFilter{}, cu.Page{Limit: -1})
	utInvalid(t, err, "limit", "min")
	_, err = h.svc.ListUsers(h.ctx, cu.AnonymousActor(h.org), customeruser.UserFilter{}, cu.Page{})
	assert.Equal(t, cu.CodeUnauthenticated, cu.CodeOf(err))
}

func TestUserEventsCarryNoSecrets(t *testing.T) {
	h := newHarness(t)
	c := h.customer("Acme", uuid.Nil)
	u, link := utWelcome(h, c.ID, "ada@example.org")
	res, err := h.svc.UpdateUser(h.ctx, h.admin, u.ID, customeruser.UserPatch{Password: utPtr("Another789")}, 0)
	require.NoError(t, err)
	_, err = h.svc.DisableUser(h.ctx, h.admin, u.ID, 0)
	require.NoError(t, err)
	require.NoError(t, h.svc.DeleteUser(h.ctx, h.admin, u.ID, 0))
	assertNoSecretsInEvents(t, h, u.PasswordHash, res.User.PasswordHash, link, testPassword, "Another789")
	for _, e := range h.events(u.ID) {
		assert.NotContains(t, string(e.Payload), "passwordHash")
	}
}
