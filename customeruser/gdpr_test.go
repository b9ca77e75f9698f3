package customeruser_test

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	cu "github.com/b2bkit/customerusers"
	"github.com/b2bkit/customerusers/customeruser"
)

// gdprUser creates a user holding every kind of personal data.
func gdprUser(h *harness) customeruser.User {
	h.t.Helper()
	c := h.customer("Acme", uuid.Nil)
	birthday := time.Date(1990, 12, 10, 0, 0, 0, 0, time.UTC)
	u, err := h.svc.CreateUser(h.ctx, h.admin, customeruser.CreateUserInput{
		CustomerID: c.ID, Email: "Ada@Example.org", NamePrefix: "Lady", FirstName: "Ada", MiddleName: "King",
		LastName: "Lovelace", NameSuffix: "Countess", Birthday: &birthday, Phone: "+44 20 7946 0000",
		RoleIDs: []uuid.UUID{h.buyerRole.ID, h.adminRole.ID}, SalesRepIDs: []uuid.UUID{uuid.New()}, OwnerID: uuid.New(),
		PreferredLocalizationID: h.website.Localizations[1], ExternalID: "ERP-1815",
		Attributes: map[string]any{"department": "Engines"}, Password: testPassword,
		Addresses: []customeruser.Address{{
			FirstName: "Ada", LastName: "Lovelace", Street: "12 St James's Square", City: "London", PostalCode: "SW1Y 4JH",
			Country: "GB", Types: []customeruser.AddressTypeFlag{{Type: customeruser.Shipping, Default: true}},
		}},
	})
	require.NoError(h.t, err)
	return u
}

// gdprToken stores a set-password token of u and returns its digest.
func gdprToken(h *harness, u customeruser.User) []byte {
	h.t.Helper()
	d := sha256.Sum256([]byte(uuid.NewString()))
	now := h.clock.Now()
	require.NoError(h.t, h.store.Tokens().Create(h.ctx, customeruser.Token{
		Hash: d[:], OrganizationID: h.org, UserID: u.ID, Purpose: customeruser.PurposeSetPassword, CreatedAt: now, ExpiresAt: now.Add(time.Hour),
	}))
	return d[:]
}

func gdprStored(h *harness, id uuid.UUID) customeruser.User {
	h.t.Helper()
	u, err := h.store.Users().Get(h.ctx, h.org, id)
	require.NoError(h.t, err)
	return u
}

func TestPersonalData(t *testing.T) {
	h := newHarness(t)
	u := gdprUser(h)
	_, err := h.svc.Authenticate(h.ctx, h.org, customeruser.Credentials{Email: u.Email, Password: "nope", IP: "192.0.2.1", UserAgent: "curl"})
	require.Error(t, err)
	h.clock.Advance(time.Minute)
	_, err = h.svc.Authenticate(h.ctx, h.org, customeruser.Credentials{Email: u.Email, Password: testPassword, IP: "192.0.2.2"})
	require.NoError(t, err)
	gdprToken(h, u)

	pd, err := h.svc.PersonalData(h.ctx, h.admin, u.ID)
	require.NoError(t, err)
	stored := gdprStored(h, u.ID)
	pu := pd.User
	assert.Equal(t, u.ID, pu.ID)
	assert.Equal(t, "Ada@Example.org", pu.Email)
	assert.Equal(t, "Lady", pu.NamePrefix)
	assert.Equal(t, "King", pu.MiddleName)
	assert.Equal(t, "Countess", pu.NameSuffix)
	assert.Equal(t, "1990-12-10", pu.Birthday)
	assert.Equal(t, "+44 20 7946 0000", pu.Phone)
	assert.Equal(t, u.SalesRepIDs, pu.SalesRepIDs)
	assert.Equal(t, u.OwnerID, pu.OwnerID)
	assert.Equal(t, h.website.ID, pu.WebsiteID)
	assert.Equal(t, h.website.Localizations[1], pu.PreferredLocalizationID)
	assert.Equal(t, map[string]any{"department": "Engines"}, pu.Attributes)
	assert.Equal(t, "ERP-1815", pu.ExternalID)
	assert.Equal(t, int64(1), pu.LoginCount)
	require.NotNil(t, pu.LastLoginAt)
	require.NotNil(t, pd.Customer)
	assert.Equal(t, "Acme", pd.Customer.Name)
	require.Len(t, pd.Addresses, 1)
	assert.Equal(t, "SW1Y 4JH", pd.Addresses[0].PostalCode)
	assert.Equal(t, []customeruser.PersonalAddrType{{Type: customeruser.Shipping, Default: true}}, pd.Addresses[0].Types)
	require.Len(t, pd.Roles, 2)
	assert.Equal(t, customeruser.PersonalRole{ID: h.adminRole.ID, Code: "ADMINISTRATOR", Label: "Administrator"}, pd.Roles[0], "sorted by code")
	assert.Equal(t, "BUYER", pd.Roles[1].Code)
	require.Len(t, pd.LoginAttempts, 2)
	assert.Equal(t, "curl", pd.LoginAttempts[0].UserAgent, "oldest first")
	assert.True(t, pd.LoginAttempts[1].Success)
	require.NotEmpty(t, pd.History)
	assert.Equal(t, customeruser.EventUserCreated, pd.History[0].Type)
	assert.Equal(t, customeruser.EventLoggedIn, pd.History[len(pd.History)-1].Type)

	b, err := json.Marshal(pd)
	require.NoError(t, err)
	text := string(b)
	assert.NotContains(t, text, stored.PasswordHash)
	assert.NotContains(t, text, "argon2")
	assert.NotContains(t, strings.ToLower(text), "passwordhash")
	assert.NotContains(t, strings.ToLower(text), "token")
	for _, key := range []string{`"user"`, `"firstName"`, `"loginAttempts"`, `"userAgent"`, `"history"`, `"postalCode"`} {
		assert.Contains(t, text, key, "camelCase JSON")
	}
}

func TestPersonalDataAndAnonymizeAreBackOfficeOnly(t *testing.T) {
	h := newHarness(t)
	u := gdprUser(h)
	before := gdprStored(h, u.ID)
	events := h.eventCount()
	for code, actor := range map[cu.Code]cu.Actor{
		cu.CodeForbidden: h.storefront(u), cu.CodeUnauthenticated: cu.AnonymousActor(h.org),
	} {
		_, err := h.svc.PersonalData(h.ctx, actor, u.ID)
		require.Equal(t, code, cu.CodeOf(err), "%v", err)
		_, err = h.svc.Anonymize(h.ctx, actor, u.ID)
		require.Equal(t, code, cu.CodeOf(err), "%v", err)
	}
	for _, id := range []uuid.UUID{uuid.New(), u.ID} {
		actor := h.admin
		if id == u.ID {
			actor = cu.BackOfficeActor(uuid.New(), uuid.New()) // another organization
		}
		_, err := h.svc.PersonalData(h.ctx, actor, id)
		assert.ErrorIs(t, err, cu.ErrNotFound)
		_, err = h.svc.Anonymize(h.ctx, actor, id)
		assert.ErrorIs(t, err, cu.ErrNotFound)
	}
	assert.Equal(t, before, gdprStored(h, u.ID), "nothing changed")
	assert.Equal(t, events, h.eventCount())
	_, err := h.svc.PersonalData(h.ctx, cu.SystemActor(h.org), u.ID)
	require.NoError(t, err)
}

func TestAnonymize(t *testing.T) {
	h := newHarness(t)
	u := gdprUser(h)
	digest := gdprToken(h, u)
	h.clock.Advance(time.Hour)

	got, err := h.svc.Anonymize(h.ctx, h.admin, u.ID)
	require.NoError(t, err)
	assert.Equal(t, got, gdprStored(h, u.ID))
	assert.Equal(t, "erased+"+u.ID.String()+"@invalid", got.Email)
	assert.Equal(t, customeruser.ErasedEmail(u.ID), got.Email)
	assert.Equal(t, strings.ToLower(got.Email), got.EmailKey)
	assert.Equal(t, "Erased", got.FirstName)
	assert.Equal(t, "Erased", got.LastName)
	assert.Empty(t, got.NamePrefix+got.MiddleName+got.NameSuffix+got.Phone+got.ExternalID)
	assert.Nil(t, got.Birthday)
	assert.Nil(t, got.Attributes)
	assert.Empty(t, got.Addresses)
	assert.Empty(t, got.SalesRepIDs)
	assert.Equal(t, uuid.Nil, got.PreferredLocalizationID)
	assert.False(t, got.Enabled)
	assert.Equal(t, u.CustomerID, got.CustomerID, "the record keeps its links")
	assert.ElementsMatch(t, u.RoleIDs, got.RoleIDs)
	assert.Equal(t, u.Version+1, got.Version)
	assert.Equal(t, h.clock.Now(), got.UpdatedAt)
	assert.True(t, strings.HasPrefix(got.PasswordHash, "$argon2id$"), "a well-formed hash...")
	assert.NotEqual(t, u.PasswordHash, got.PasswordHash, "...of no known password")

	_, err = h.store.Tokens().Consume(h.ctx, h.org, customeruser.PurposeSetPassword, digest)
	assert.ErrorIs(t, err, cu.ErrNotFound, "tokens are dead")
	for _, email := range []string{"Ada@Example.org", got.Email} {
		_, err := h.svc.Authenticate(h.ctx, h.org, customeruser.Credentials{Email: email, Password: testPassword})
		assert.Equal(t, cu.CodeUnauthenticated, cu.CodeOf(err), "no login with %s", email)
	}
	// Re-enabling the record would still not let anyone in.
	_, err = h.svc.EnableUser(h.ctx, h.admin, u.ID, 0)
	require.NoError(t, err)
	_, err = h.svc.Authenticate(h.ctx, h.org, customeruser.Credentials{Email: got.Email, Password: testPassword})
	assert.Equal(t, cu.CodeUnauthenticated, cu.CodeOf(err))
	_, err = h.svc.DisableUser(h.ctx, h.admin, u.ID, 0)
	require.NoError(t, err)

	evs := gdprEvents(h, u.ID, customeruser.EventUserAnonymized)
	require.Len(t, evs, 1)
	assert.Equal(t, h.admin.Ref(), evs[0].Actor)
	var p struct {
		ErasedFields []string `json:"erasedFields"`
	}
	require.NoError(t, json.Unmarshal(evs[0].Payload, &p))
	assert.Subset(t, p.ErasedFields, []string{"email", "firstName", "lastName", "birthday", "phone", "addresses", "attributes", "externalId", "password"})
	for _, old := range []string{"Ada", "Lovelace", "King", "Lady", "Countess", "1990", "7946", "ERP-1815", "Engines", "London"} {
		assert.NotContains(t, string(evs[0].Payload), old)
	}

	// The placeholder is unique: a second erased user does not clash, and
	// the old address is free again.
	other := h.user(u.CustomerID, "grace@example.org")
	_, err = h.svc.Anonymize(h.ctx, h.admin, other.ID)
	require.NoError(t, err)
	h.user(u.CustomerID, "ada@example.org")

	// Anonymising again changes nothing.
	events := h.eventCount()
	again, err := h.svc.Anonymize(h.ctx, h.admin, u.ID)
	require.NoError(t, err)
	assert.Equal(t, gdprStored(h, u.ID), again)
	assert.Equal(t, events, h.eventCount())
}

// Anonymize joins the caller's transaction: when the caller fails, nothing
// of the anonymisation remains.
func TestAnonymizeJoinsTheTransaction(t *testing.T) {
	h := newHarness(t)
	u := gdprUser(h)
	digest := gdprToken(h, u)
	before := gdprStored(h, u.ID)
	events := h.eventCount()
	boom := errors.New("boom")
	err := h.store.InTx(h.ctx, func(ctx context.Context) error {
		got, err := h.svc.Anonymize(ctx, h.admin, u.ID)
		require.NoError(t, err)
		assert.Equal(t, "Erased", got.FirstName)
		return boom
	})
	require.ErrorIs(t, err, boom)
	assert.Equal(t, before, gdprStored(h, u.ID))
	assert.Equal(t, events, h.eventCount())
	_, err = h.store.Tokens().Consume(h.ctx, h.org, customeruser.PurposeSetPassword, digest)
	assert.NoError(t, err, "the token survived the rollback")
}

func gdprEvents(h *harness, subject uuid.UUID, typ string) []cu.Event {
	var out []cu.Event
	for _, e := range h.events(subject) {
		if e.Type == typ {
			out = append(out, e)
		}
	}
	return out
}
