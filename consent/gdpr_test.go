package consent_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	cu "github.com/b2bkit/customerusers"
	"github.com/b2bkit/customerusers/consent"
	"github.com/b2bkit/customerusers/customeruser"
)

// stubSource is a PersonalDataSource holding one record per user.
type stubSource struct {
	name      string
	data      map[uuid.UUID]any
	exportErr error
	eraseErr  error
	erased    []uuid.UUID
}

func (s *stubSource) Name() string { return s.name }

func (s *stubSource) Export(_ context.Context, _, userID uuid.UUID) (any, error) {
	if s.exportErr != nil {
		return nil, s.exportErr
	}
	return s.data[userID], nil
}

func (s *stubSource) Erase(_ context.Context, _ cu.Actor, _, userID uuid.UUID) error {
	if s.eraseErr != nil {
		return s.eraseErr
	}
	s.erased = append(s.erased, userID)
	delete(s.data, userID)
	return nil
}

// gdprUser creates a user with every kind of personal data.
func gdprUser(h *harness) customeruser.User {
	h.t.Helper()
	birthday := time.Date(1990, 12, 10, 0, 0, 0, 0, time.UTC)
	return h.user("ada@example.org", func(in *customeruser.CreateUserInput) {
		in.MiddleName, in.Phone, in.Birthday, in.ExternalID = "King", "+44 20 7946 0000", &birthday, "ERP-1815"
		in.Attributes = map[string]any{"department": "Analytical Engines"}
		in.SalesRepIDs = []uuid.UUID{uuid.New()}
		in.PreferredLocalizationID = h.website.Localizations[1]
		in.Addresses = []customeruser.Address{{
			FirstName: "Ada", LastName: "Lovelace", Street: "12 St James's Square", City: "London", PostalCode: "SW1Y 4JH",
			Country: "GB", Types: []customeruser.AddressTypeFlag{{Type: customeruser.Billing, Default: true}},
		}}
	})
}

func TestExport(t *testing.T) {
	src := &stubSource{name: "oauthApplications"}
	h := newHarness(t, withSources(src))
	terms := h.def("Terms")
	u := gdprUser(h)
	src.data = map[uuid.UUID]any{u.ID: []map[string]string{{"name": "ERP connector"}}}
	e := h.accept(u, terms)
	_, err := h.users.Authenticate(h.ctx, h.org, customeruser.Credentials{Email: u.Email, Password: "wrong", IP: "192.0.2.7"})
	require.Error(t, err)
	_, err = h.users.Authenticate(h.ctx, h.org, customeruser.Credentials{Email: u.Email, Password: testPassword, IP: "192.0.2.8"})
	require.NoError(t, err)
	require.NoError(t, h.users.ForgotPassword(h.ctx, h.org, u.Email), "a token exists")

	doc, err := h.gdpr.Export(h.ctx, h.admin, u.ID)
	require.NoError(t, err)
	assert.Equal(t, h.clock.Now(), doc.ExportedAt)
	pd := doc.CustomerUser
	assert.Equal(t, u.ID, pd.User.ID)
	assert.Equal(t, "ada@example.org", pd.User.Email)
	assert.Equal(t, "1990-12-10", pd.User.Birthday)
	assert.Equal(t, "ERP-1815", pd.User.ExternalID)
	require.NotNil(t, pd.Customer)
	assert.Equal(t, "Acme", pd.Customer.Name)
	require.Len(t, pd.Addresses, 1)
	assert.Equal(t, "12 St James's Square", pd.Addresses[0].Street)
	require.Len(t, pd.Roles, 1)
	assert.Equal(t, "BUYER", pd.Roles[0].Code)
	assert.Equal(t, "Buyer", pd.Roles[0].Label)
	require.Len(t, pd.LoginAttempts, 2)
	assert.False(t, pd.LoginAttempts[0].Success, "oldest first")
	assert.Equal(t, "192.0.2.8", pd.LoginAttempts[1].IP)
	var types []string
	for _, ev := range pd.History {
		types = append(types, ev.Type)
	}
	assert.Contains(t, types, customeruser.EventUserCreated)
	assert.Contains(t, types, consent.EventAccepted)
	assert.Equal(t, []consent.Entry{e}, doc.Consents.Ledger)
	require.Len(t, doc.Consents.State, 1)
	assert.True(t, doc.Consents.State[0].Accepted)
	assert.Equal(t, map[uuid.UUID]string{terms.ID: "Terms"}, doc.Consents.Names)
	assert.JSONEq(t, `[{"name":"ERP connector"}]`, string(doc.Sources["oauthApplications"]))

	// One JSON document, with camelCase keys and no secret.
	b, err := json.Marshal(doc)
	require.NoError(t, err)
	var generic map[string]any
	require.NoError(t, json.Unmarshal(b, &generic))
	for _, key := range []string{"exportedAt", "customerUser", "consents", "sources"} {
		assert.Contains(t, generic, key)
	}
	user := generic["customerUser"].(map[string]any)["user"].(map[string]any)
	assert.Contains(t, user, "firstName")
	assert.Contains(t, user, "preferredLocalizationId")
	stored, err := h.store.Users().Get(h.ctx, h.org, u.ID)
	require.NoError(t, err)
	require.NotEmpty(t, stored.PasswordHash)
	text := string(b)
	assert.NotContains(t, text, stored.PasswordHash)
	assert.NotContains(t, text, "argon2")
	assert.NotContains(t, strings.ToLower(text), "passwordhash")
	assert.NotContains(t, strings.ToLower(text), "token\":")
}

func TestExportRefusals(t *testing.T) {
	src := &stubSource{name: "broken", exportErr: cu.NotFound("thing")}
	h := newHarness(t, withSources(src))
	u := h.user("ada@example.org")
	_, err := h.gdpr.Export(h.ctx, h.storefront(u), u.ID)
	requireCode(t, err, cu.CodeForbidden, "not even one's own, in this version")
	_, err = h.gdpr.Export(h.ctx, cu.AnonymousActor(h.org), u.ID)
	requireCode(t, err, cu.CodeUnauthenticated)
	_, err = h.gdpr.Export(h.ctx, h.admin, uuid.New())
	requireCode(t, err, cu.CodeNotFound)
	_, err = h.gdpr.Export(h.ctx, cu.BackOfficeActor(uuid.New(), uuid.New()), u.ID)
	requireCode(t, err, cu.CodeNotFound)
	_, err = h.gdpr.Export(h.ctx, h.admin, u.ID)
	requireCode(t, err, cu.CodeInternal, "a failing source fails the export, whatever its error")

	assert.Panics(t, func() { consent.NewGDPR(h.svc, h.users, src, &stubSource{name: "broken"}) }, "duplicate names")
	assert.Panics(t, func() { consent.NewGDPR(h.svc, h.users, &stubSource{}) }, "no name")
}

func TestErase(t *testing.T) {
	src := &stubSource{name: "oauthApplications"}
	h := newHarness(t, withSources(src))
	terms := h.def("Terms")
	marketing := h.def("Marketing", optional)
	u := gdprUser(h)
	other := h.user("grace@example.org")
	src.data = map[uuid.UUID]any{u.ID: "app", other.ID: "app"}
	h.accept(u, terms)
	h.accept(u, marketing)
	_, err := h.svc.Revoke(h.ctx, h.storefront(u), u.ID, marketing.ID, "")
	require.NoError(t, err)
	h.accept(other, terms)
	before := h.ledger(consent.LedgerFilter{UserID: u.ID})

	require.NoError(t, h.gdpr.Erase(h.ctx, h.admin, u.ID))

	got, err := h.store.Users().Get(h.ctx, h.org, u.ID)
	require.NoError(t, err, "the record stays, naming no one")
	assert.Equal(t, customeruser.ErasedEmail(u.ID), got.Email)
	assert.Equal(t, customeruser.ErasedName, got.FirstName)
	assert.Equal(t, customeruser.ErasedName, got.LastName)
	assert.Empty(t, got.MiddleName)
	assert.Nil(t, got.Birthday)
	assert.Empty(t, got.Phone)
	assert.Empty(t, got.ExternalID)
	assert.Empty(t, got.Attributes)
	assert.Empty(t, got.Addresses)
	assert.Empty(t, got.SalesRepIDs)
	assert.Equal(t, uuid.Nil, got.PreferredLocalizationID)
	assert.False(t, got.Enabled)
	assert.NotEqual(t, u.PasswordHash, got.PasswordHash)

	for _, email := range []string{"ada@example.org", got.Email} {
		_, err := h.users.Authenticate(h.ctx, h.org, customeruser.Credentials{Email: email, Password: testPassword})
		requireCode(t, err, cu.CodeUnauthenticated)
	}

	entries := h.ledger(consent.LedgerFilter{UserID: u.ID})
	require.Len(t, entries, len(before)+1, "the accepted consent is revoked; nothing removed")
	assert.Equal(t, before, entries[:len(before)])
	last := entries[len(entries)-1]
	assert.Equal(t, consent.KindRevoke, last.Kind)
	assert.Equal(t, terms.ID, last.ConsentID)
	assert.Equal(t, consent.SourceErasure, last.Source)
	assert.Len(t, h.ledger(consent.LedgerFilter{UserID: other.ID}), 1)
	st := h.state(got)
	for _, s := range st {
		assert.False(t, s.Accepted)
	}

	assert.Equal(t, []uuid.UUID{u.ID}, src.erased, "every source erased")
	assert.Contains(t, src.data, other.ID)

	anon := h.eventsOf(u.ID, customeruser.EventUserAnonymized)
	require.Len(t, anon, 1)
	for _, old := range []string{"ada@example.org", "Lovelace", "King", "7946", "ERP-1815", "Analytical"} {
		assert.NotContains(t, string(anon[0].Payload), old, "no old value in the payload")
	}
	erased := h.eventsOf(u.ID, consent.EventUserErased)
	require.Len(t, erased, 1)
	assert.JSONEq(t, `{"revocations":1,"sources":["oauthApplications"]}`, string(erased[0].Payload))
	assert.Empty(t, h.eventsOf(u.ID, consent.EventDeclined)[1:], "erasure emits no consent.declined")

	doc, err := h.gdpr.Export(h.ctx, h.admin, u.ID)
	require.NoError(t, err)
	assert.Equal(t, got.Email, doc.CustomerUser.User.Email)
	assert.Empty(t, doc.CustomerUser.Addresses)
	assert.Equal(t, "null", string(doc.Sources["oauthApplications"]))
}

func TestEraseIsAllOrNothing(t *testing.T) {
	src := &stubSource{name: "orders", eraseErr: errors.New("orders service down")}
	h := newHarness(t, withSources(src))
	terms := h.def("Terms")
	u := h.user("ada@example.org")
	h.accept(u, terms)
	before, err := h.store.Users().Get(h.ctx, h.org, u.ID)
	require.NoError(t, err)
	events, entries := h.eventCount(), h.ledger(consent.LedgerFilter{})

	err = h.gdpr.Erase(h.ctx, h.admin, u.ID)
	requireCode(t, err, cu.CodeInternal)
	after, err := h.store.Users().Get(h.ctx, h.org, u.ID)
	require.NoError(t, err)
	assert.Equal(t, before, after, "the user is untouched")
	assert.Equal(t, entries, h.ledger(consent.LedgerFilter{}))
	assert.Equal(t, events, h.eventCount())

	for code, actor := range map[cu.Code]cu.Actor{
		cu.CodeForbidden: h.storefront(u), cu.CodeUnauthenticated: cu.AnonymousActor(h.org),
	} {
		requireCode(t, h.gdpr.Erase(h.ctx, actor, u.ID), code)
	}
	src.eraseErr = nil
	requireCode(t, h.gdpr.Erase(h.ctx, h.admin, uuid.New()), cu.CodeNotFound)
	assert.Equal(t, events, h.eventCount())
	require.NoError(t, h.gdpr.Erase(h.ctx, h.admin, u.ID))
	require.NoError(t, h.gdpr.Erase(h.ctx, h.admin, u.ID), "erasing twice is harmless")
	assert.Len(t, h.eventsOf(u.ID, customeruser.EventUserAnonymized), 1)
}

// TestEraseLeavesNoPersonalData: after Erase, no old e-mail, name, phone,
// address, IP address or user agent of the user appears anywhere in the
// store: not in the user record, nor in the history events (creation
// snapshots, field-level changes, logins, consent.declined), nor in the
// pending notification requests, nor in the login attempts. The facts stay
// (the events, the ledger, the attempts' times and outcomes).
func TestEraseLeavesNoPersonalData(t *testing.T) {
	h := newHarness(t)
	terms := h.def("Terms")
	news := h.def("Newsletter", optional)
	const (
		email = "Augusta.Byron@example.org"
		ip    = "198.51.100.23"
		agent = "AugustaBrowser/1.0"
	)
	u := h.user(email, func(in *customeruser.CreateUserInput) {
		in.FirstName, in.MiddleName, in.LastName, in.Phone = "Augusta", "Kingsley", "Byron", "+44 20 7946 0000"
		in.ExternalID = "ERP-1815"
		in.Addresses = []customeruser.Address{{
			FirstName: "Augusta", LastName: "Byron", Street: "12 St James's Square", City: "London", PostalCode: "SW1Y 4JH",
			Country: "GB", Types: []customeruser.AddressTypeFlag{{Type: customeruser.Billing, Default: true}},
		}}
	})
	// Personal data spreads: logins (IP, user agent), a failed one, a
	// rename (before/after changes), a declined consent (e-mail and names
	// in the event), a notification request waiting in the outbox.
	creds := customeruser.Credentials{Email: email, Password: testPassword, IP: ip, UserAgent: agent}
	_, err := h.users.Authenticate(h.ctx, h.org, creds)
	require.NoError(t, err)
	bad := creds
	bad.Password = "wrong"
	_, err = h.users.Authenticate(h.ctx, h.org, bad)
	requireCode(t, err, cu.CodeUnauthenticated)
	res, err := h.users.UpdateUser(h.ctx, h.admin, u.ID, customeruser.UserPatch{LastName: ptr("Wentworth")}, u.Version)
	require.NoError(t, err)
	u = res.User
	h.accept(u, terms)
	h.accept(u, news)
	_, err = h.svc.Revoke(h.ctx, h.storefront(u), u.ID, news.ID, "")
	require.NoError(t, err)
	require.NotEmpty(t, h.eventsOf(u.ID, consent.EventDeclined), "a consent.declined names the user")
	sealer, err := customeruser.NewAESGCMSealer(make([]byte, 32))
	require.NoError(t, err)
	notifier := customeruser.NewOutboxNotifier(h.store.Events(), sealer)
	require.NoError(t, h.store.InTx(h.ctx, func(ctx context.Context) error {
		return notifier.Notify(ctx, customeruser.Notification{Template: customeruser.TemplateResetPassword,
			OrganizationID: h.org, UserID: u.ID, Email: email, Name: "Augusta Wentworth", WebsiteID: h.website.ID})
	}))
	other := h.user("grace@example.org")
	_, err = h.users.Authenticate(h.ctx, h.org, customeruser.Credentials{Email: other.Email, Password: testPassword, IP: "192.0.2.77"})
	require.NoError(t, err)

	personal := []string{"augusta", "byron", "wentworth", "kingsley", "7946", "erp-1815", "james", "sw1y", ip, strings.ToLower(agent)}
	before := strings.ToLower(h.dumpStore())
	for _, s := range personal {
		require.True(t, strings.Contains(before, s), "the fixture spreads %q", s)
	}
	events := h.eventCount()

	require.NoError(t, h.gdpr.Erase(h.ctx, h.admin, u.ID))

	after := strings.ToLower(h.dumpStore())
	for _, s := range personal {
		if i := strings.Index(after, s); i >= 0 {
			t.Errorf("%q is still in the store: ...%s...", s, after[max(0, i-200):min(len(after), i+100)])
		}
	}
	// The other user's login keeps its attempt.
	attempts, err := h.store.LoginAttempts().List(h.ctx, h.org, other.ID, cu.Page{})
	require.NoError(t, err)
	require.Len(t, attempts.Items, 1)
	assert.Equal(t, "192.0.2.77", attempts.Items[0].IP, "another user's attempt keeps its IP")
	// The facts stay: every event (plus those of the erasure), the attempts.
	assert.Greater(t, h.eventCount(), events)
	mine, err := h.store.LoginAttempts().List(h.ctx, h.org, u.ID, cu.Page{})
	require.NoError(t, err)
	require.Len(t, mine.Items, 2)
	for _, a := range mine.Items {
		assert.Empty(t, a.Email+a.IP+a.UserAgent)
	}
	for _, e := range h.events(cu.EventFilter{SubjectID: u.ID}) {
		if e.Type == customeruser.EventUserAnonymized || e.Type == consent.EventUserErased || e.Type == consent.EventRevoked {
			continue
		}
		if len(e.Payload) > 0 {
			assert.JSONEq(t, `{"redacted":true}`, string(e.Payload), "event %s", e.Type)
		}
	}
}

// TestEraseRollsBackRedaction: an erasure that fails undoes the
// redaction of the events and the erasure of the login attempts too.
func TestEraseRollsBackRedaction(t *testing.T) {
	src := &stubSource{name: "orders", eraseErr: errors.New("orders service down")}
	h := newHarness(t, withSources(src))
	u := h.user("ada@example.org")
	_, err := h.users.Authenticate(h.ctx, h.org, customeruser.Credentials{Email: u.Email, Password: testPassword, IP: "203.0.113.9"})
	require.NoError(t, err)
	before := h.dumpStore()
	requireCode(t, h.gdpr.Erase(h.ctx, h.admin, u.ID), cu.CodeInternal)
	assert.Equal(t, before, h.dumpStore(), "nothing changed")
}
