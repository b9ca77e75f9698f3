package customeruser_test

import (
	"crypto/sha256"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	cu "github.com/b2bkit/customerusers"
	"github.com/b2bkit/customerusers/customeruser"
)

// regInput is a valid registration.
func regInput(email string) customeruser.RegisterInput {
	return customeruser.RegisterInput{CompanyName: "Acme", FirstName: "Ada", LastName: "Lovelace", Email: email, Password: testPassword}
}

// regCustomers is every customer of the harness organization.
func regCustomers(h *harness) []customeruser.Customer {
	h.t.Helper()
	page, err := h.store.Customers().List(h.ctx, h.org, customeruser.CustomerFilter{}, cu.Page{Limit: cu.MaxPageLimit})
	require.NoError(h.t, err)
	return page.Items
}

// regNoConfirmation is a harness whose registrations need no confirmation.
func regNoConfirmation(t *testing.T) *harness {
	cfg := customeruser.DefaultConfig()
	cfg.Argon2 = cheapArgon2
	cfg.ConfirmationRequired = false
	return newHarness(t, customeruser.WithConfig(cfg))
}

func TestRegisterWithConfirmation(t *testing.T) {
	h := newHarness(t)
	u, err := h.svc.Register(h.ctx, h.org, regInput(" Ada@Example.org "))
	require.NoError(t, err)
	assert.Equal(t, "Ada@Example.org", u.Email)
	assert.True(t, u.Enabled)
	assert.False(t, u.Confirmed, "confirmation required by default")
	assert.Equal(t, []uuid.UUID{h.buyerRole.ID}, u.RoleIDs, "the default role")
	assert.Equal(t, h.website.ID, u.WebsiteID)
	assert.Equal(t, u, utGet(h, u.ID))

	c, err := h.store.Customers().Get(h.ctx, h.org, u.CustomerID)
	require.NoError(t, err)
	assert.Equal(t, "Acme", c.Name)

	sent := h.mail.Sent()
	require.Len(t, sent, 1)
	n := sent[0]
	assert.Equal(t, customeruser.TemplateConfirmation, n.Template)
	assert.Equal(t, u.ID, n.UserID)
	require.NotEmpty(t, n.Token)
	d := sha256.Sum256([]byte(n.Token))
	tok, err := h.store.Tokens().Consume(h.ctx, h.org, customeruser.PurposeConfirm, d[:])
	require.NoError(t, err)
	assert.Equal(t, h.clock.Now().Add(7*24*time.Hour), tok.ExpiresAt)

	anon := cu.AnonymousActor(h.org).Ref()
	ue := h.events(u.ID)
	require.Len(t, ue, 1)
	assert.Equal(t, customeruser.EventUserCreated, ue[0].Type)
	assert.Equal(t, anon, ue[0].Actor)
	ce := h.events(c.ID)
	require.Len(t, ce, 1)
	assert.Equal(t, customeruser.EventCustomerCreated, ce[0].Type)
	assert.Equal(t, anon, ce[0].Actor)
	assertNoSecretsInEvents(t, h, n.Token, u.PasswordHash, testPassword)
}

func TestRegisterWithoutConfirmation(t *testing.T) {
	h := regNoConfirmation(t)
	in := regInput("ada@example.org")
	in.CompanyName = ""
	in.WebsiteID, in.LocalizationID = h.website.ID, h.website.Localizations[1]
	u, err := h.svc.Register(h.ctx, h.org, in)
	require.NoError(t, err)
	assert.True(t, u.Confirmed)
	assert.Equal(t, h.website.Localizations[1], u.PreferredLocalizationID)
	c, err := h.store.Customers().Get(h.ctx, h.org, u.CustomerID)
	require.NoError(t, err)
	assert.Equal(t, "Ada Lovelace", c.Name, "named after the user without a company name")

	n, ok := h.mail.Last(customeruser.TemplateWelcome)
	require.True(t, ok)
	assert.Equal(t, u.ID, n.UserID)
	assert.Empty(t, n.Token)
	_, ok = h.mail.Last(customeruser.TemplateConfirmation)
	assert.False(t, ok)

	// A localization the website does not offer is dropped, not refused.
	in = regInput("grace@example.org")
	in.WebsiteID, in.LocalizationID = h.website2.ID, uuid.New()
	u, err = h.svc.Register(h.ctx, h.org, in)
	require.NoError(t, err)
	assert.Equal(t, h.website2.ID, u.WebsiteID)
	assert.Equal(t, uuid.Nil, u.PreferredLocalizationID)
}

func TestRegisterInvalid(t *testing.T) {
	h := newHarness(t)
	c := h.customer("Existing", uuid.Nil)
	h.user(c.ID, "taken@example.org")
	cases := []struct {
		name        string
		edit        func(in *customeruser.RegisterInput)
		field, rule string
	}{
		{"email missing", func(in *customeruser.RegisterInput) { in.Email = "" }, "email", "required"},
		{"email malformed", func(in *customeruser.RegisterInput) { in.Email = "Ada <ada@example.org>" }, "email", "format"},
		{"first name missing", func(in *customeruser.RegisterInput) { in.FirstName = "" }, "firstName", "required"},
		{"last name too long", func(in *customeruser.RegisterInput) { in.LastName = strings.Repeat("x", 256) }, "lastName", "max_length"},
		{"company name too long", func(in *customeruser.RegisterInput) { in.CompanyName = strings.Repeat("x", 256) }, "companyName", "max_length"},
		{"password weak", func(in *customeruser.RegisterInput) { in.Password = "password" }, "password", "upper_case"},
		{"website unknown", func(in *customeruser.RegisterInput) { in.WebsiteID = uuid.New() }, "websiteId", "not_found"},
		{"taken e-mail with another error", func(in *customeruser.RegisterInput) {
			in.Email, in.Password = "taken@example.org", "weak"
		}, "password", "min_length"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before, customers, events := utUsers(h), regCustomers(h), h.eventCount()
			h.mail.Reset()
			in := regInput("new@example.org")
			tc.edit(&in)
			_, err := h.svc.Register(h.ctx, h.org, in)
			utInvalid(t, err, tc.field, tc.rule)
			var e *cu.Error
			require.ErrorAs(t, err, &e)
			for _, v := range e.Violations {
				assert.NotEqual(t, "unique", v.Rule, "a taken e-mail never shows")
			}
			utUnchanged(t, h, before, events)
			assert.Equal(t, customers, regCustomers(h))
			assert.Empty(t, h.mail.Sent())
		})
	}

	_, err := h.svc.Register(h.ctx, uuid.Nil, regInput("x@example.org"))
	assert.Equal(t, cu.CodeInvalid, cu.CodeOf(err))
}

func TestRegisterDuplicateEmail(t *testing.T) {
	h := newHarness(t)
	c := h.customer("Existing", uuid.Nil)
	existing := h.user(c.ID, "ada@example.org")
	guest := utInput(h, c.ID, "grace@example.org")
	guest.Guest, guest.RoleIDs = true, nil
	_, err := h.svc.CreateUser(h.ctx, h.admin, guest)
	require.NoError(t, err)

	before, customers := utUsers(h), regCustomers(h)
	events := h.eventCount()

	// Same outcome as a success for the caller; the owner gets a notice.
	u, err := h.svc.Register(h.ctx, h.org, regInput("ADA@example.org"))
	require.NoError(t, err)
	assert.Equal(t, customeruser.User{}, u)
	sent := h.mail.Sent()
	require.Len(t, sent, 1)
	assert.Equal(t, customeruser.TemplateNotUniqueEmail, sent[0].Template)
	assert.Equal(t, existing.ID, sent[0].UserID)
	assert.Equal(t, "ada@example.org", sent[0].Email)
	assert.Empty(t, sent[0].Token)
	assert.Equal(t, before, utUsers(h), "no user created")
	assert.Equal(t, customers, regCustomers(h), "no customer created")
	e := utLast(t, h, existing.ID)
	assert.Equal(t, customeruser.EventDuplicateRegistration, e.Type)
	assert.Equal(t, cu.AnonymousActor(h.org).Ref(), e.Actor)
	assert.Equal(t, events+1, h.eventCount())

	// At most one notice per 24 hours.
	h.clock.Advance(23 * time.Hour)
	_, err = h.svc.Register(h.ctx, h.org, regInput("ada@example.org"))
	require.NoError(t, err)
	assert.Len(t, h.mail.Sent(), 1)
	assert.Equal(t, events+1, h.eventCount())

	h.clock.Advance(2 * time.Hour)
	_, err = h.svc.Register(h.ctx, h.org, regInput("ada@example.org"))
	require.NoError(t, err)
	assert.Len(t, h.mail.Sent(), 2)
	assert.Equal(t, events+2, h.eventCount())

	// A guest's e-mail is free to register.
	g, err := h.svc.Register(h.ctx, h.org, regInput("grace@example.org"))
	require.NoError(t, err)
	assert.NotEqual(t, uuid.Nil, g.ID)
	assert.False(t, g.Guest)
}

func TestRegisterEventPayloads(t *testing.T) {
	h := regNoConfirmation(t)
	u, err := h.svc.Register(h.ctx, h.org, regInput("ada@example.org"))
	require.NoError(t, err)
	var snap map[string]any
	require.NoError(t, json.Unmarshal(h.events(u.ID)[0].Payload, &snap))
	assert.Equal(t, "ada@example.org", snap["email"])
	assert.Equal(t, u.CustomerID.String(), snap["customerId"])
	assert.NotContains(t, snap, "passwordHash")
}
