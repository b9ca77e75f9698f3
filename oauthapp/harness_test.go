package oauthapp_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	cu "github.com/b2bkit/customerusers"
	"github.com/b2bkit/customerusers/customeruser"
	"github.com/b2bkit/customerusers/oauthapp"
	"github.com/b2bkit/customerusers/role"
	"github.com/b2bkit/customerusers/storage/memory"
	"github.com/b2bkit/customerusers/storage/postgres"
	"github.com/b2bkit/customerusers/storage/postgres/pgtest"
)

// pgStore is the store of the PostgreSQL pass (nil during the memory
// pass): TestMain runs every test of the package on a fresh memory store,
// then again on one PostgreSQL schema shared by the whole run, where each
// harness works in an organization of its own (see pgtest.Main).
var pgStore *postgres.Store

func TestMain(m *testing.M) { pgtest.Main(m, func(s *postgres.Store) { pgStore = s }) }

// testCustomers is the customer repository of a store, which is also the
// customer hierarchy.
type testCustomers interface {
	customeruser.CustomerRepository
	role.Hierarchy
}

// testStore is the storage of one test, with the accessors of the
// storages' Store types: a fresh memory store, or the shared PostgreSQL
// store.
type testStore struct {
	cu.Transactor
	roles        role.Repository
	customers    testCustomers
	users        customeruser.UserRepository
	tokens       customeruser.TokenRepository
	attempts     customeruser.LoginAttemptRepository
	events       cu.EventLog
	apps         oauthapp.AppRepository
	accessTokens oauthapp.TokenRepository
}

func newTestStore() *testStore {
	if pg := pgStore; pg != nil {
		return &testStore{Transactor: pg, roles: pg.Roles(), customers: pg.Customers(), users: pg.Users(), tokens: pg.Tokens(),
			attempts: pg.LoginAttempts(), events: pg.Events(), apps: pg.OAuthApps(), accessTokens: pg.AccessTokens()}
	}
	m := memory.New()
	return &testStore{Transactor: m, roles: m.Roles(), customers: m.Customers(), users: m.Users(), tokens: m.Tokens(),
		attempts: m.LoginAttempts(), events: m.Events(), apps: m.OAuthApps(), accessTokens: m.AccessTokens()}
}

func (s *testStore) Roles() role.Repository                             { return s.roles }
func (s *testStore) Customers() testCustomers                           { return s.customers }
func (s *testStore) Users() customeruser.UserRepository                 { return s.users }
func (s *testStore) Tokens() customeruser.TokenRepository               { return s.tokens }
func (s *testStore) LoginAttempts() customeruser.LoginAttemptRepository { return s.attempts }
func (s *testStore) Events() cu.EventLog                                { return s.events }
func (s *testStore) OAuthApps() oauthapp.AppRepository                  { return s.apps }
func (s *testStore) AccessTokens() oauthapp.TokenRepository             { return s.accessTokens }

const testPassword = "Secret123"

// The first-party clients of the harness: a public one and a confidential
// one.
const (
	publicClient       = "storefront"
	confidentialClient = "storefront-server"
	confidentialSecret = "first-party-secret"
)

// cheapArgon2 keeps tests fast.
var cheapArgon2 = customeruser.Argon2Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}

// recordingNotifier keeps every notification it is given, or fails.
type recordingNotifier struct {
	mu   sync.Mutex
	sent []customeruser.Notification
	fail error
}

func (n *recordingNotifier) Notify(_ context.Context, x customeruser.Notification) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.fail != nil {
		return n.fail
	}
	n.sent = append(n.sent, x)
	return nil
}

func (n *recordingNotifier) Sent() []customeruser.Notification {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]customeruser.Notification(nil), n.sent...)
}

func (n *recordingNotifier) count(template string) int {
	c := 0
	for _, x := range n.Sent() {
		if x.Template == template {
			c++
		}
	}
	return c
}

type harness struct {
	t                    *testing.T
	ctx                  context.Context
	store                *testStore
	users                *customeruser.Service
	roles                *role.Service
	authz                *role.Authorizer
	apps                 *oauthapp.Service
	clock                *cu.ManualClock
	org                  uuid.UUID
	admin                cu.Actor
	mail                 *recordingNotifier
	adminRole, buyerRole role.Role
	acme                 customeruser.Customer
}

// newHarness wires customeruser and oauthapp over one memory store, seeds
// the roles and creates the customer "Acme". Login lockout starts after 3
// failures.
func newHarness(t *testing.T) *harness {
	t.Helper()
	h := &harness{
		t:     t,
		ctx:   context.Background(),
		store: newTestStore(),
		clock: cu.NewManualClock(time.Date(2026, 1, 15, 10, 0, 0, 0, time.UTC)),
		org:   uuid.New(),
		mail:  &recordingNotifier{},
	}
	h.admin = cu.BackOfficeActor(h.org, uuid.New())
	customers := h.store.Customers()
	h.authz = role.NewAuthorizer(h.store.Roles(), customers)
	h.roles = role.NewService(role.Deps{
		Tx: h.store, Roles: h.store.Roles(), Holders: h.store.Users(), Hierarchy: customers, Events: h.store.Events(),
		Authorizer: h.authz, Registry: role.NewRegistry(),
	}, role.WithClock(h.clock))
	seeded, err := h.roles.Seed(h.ctx, h.org)
	require.NoError(t, err)
	for _, r := range seeded {
		switch r.Code {
		case role.AdministratorRoleCode:
			h.adminRole = r
		case role.DefaultRoleCode:
			h.buyerRole = r
		}
	}
	require.NotEqual(t, uuid.Nil, h.adminRole.ID)
	require.NotEqual(t, uuid.Nil, h.buyerRole.ID)

	cfg := customeruser.DefaultConfig()
	cfg.Argon2 = cheapArgon2
	cfg.Lockout.Threshold = 3
	h.users = customeruser.NewService(customeruser.Deps{
		Tx: h.store, Customers: customers, Users: h.store.Users(), Tokens: h.store.Tokens(),
		Attempts: h.store.LoginAttempts(), Events: h.store.Events(), Roles: h.store.Roles(),
		Authorizer: h.authz, Notifier: h.mail,
	}, customeruser.WithConfig(cfg), customeruser.WithClock(h.clock))
	h.apps = oauthapp.NewService(oauthapp.Deps{
		Tx: h.store, Apps: h.store.OAuthApps(), Tokens: h.store.AccessTokens(), Users: h.store.Users(),
		Authorizer: h.authz, Events: h.store.Events(), Notifier: h.mail, Logins: h.users,
	}, oauthapp.Config{FirstPartyClients: []oauthapp.FirstPartyClient{
		{ClientID: publicClient},
		{ClientID: confidentialClient, SecretDigest: oauthapp.DigestSecret(confidentialSecret)},
	}}, oauthapp.WithClock(h.clock))
	h.users.AddDeleteHook(oauthapp.DeleteHook(h.apps))
	h.users.AddAccessRevokedHook(oauthapp.RevokeHook(h.apps))

	h.acme, err = h.users.CreateCustomer(h.ctx, h.admin, customeruser.CustomerInput{Name: "Acme"})
	require.NoError(t, err)
	return h
}

// user creates an enabled, confirmed user of Acme with the buyer role when
// no role is given.
func (h *harness) user(email string, roleIDs ...uuid.UUID) customeruser.User {
	h.t.Helper()
	if len(roleIDs) == 0 {
		roleIDs = []uuid.UUID{h.buyerRole.ID}
	}
	u, err := h.users.CreateUser(h.ctx, h.admin, customeruser.CreateUserInput{
		CustomerID: h.acme.ID, Email: email, FirstName: "Test", LastName: "User", RoleIDs: roleIDs, Password: testPassword,
	})
	require.NoError(h.t, err)
	return u
}

// storefront returns the storefront actor of u.
func (h *harness) storefront(u customeruser.User) cu.Actor {
	return cu.CustomerUserActor(h.org, u.ID, u.CustomerID, u.RoleIDs...)
}

// app creates an application of owner as the back office.
func (h *harness) app(owner customeruser.User, name string, scopes ...string) oauthapp.Created {
	h.t.Helper()
	c, err := h.apps.Create(h.ctx, h.admin, owner.ID, oauthapp.Input{Name: name, Scopes: scopes})
	require.NoError(h.t, err)
	return c
}

// clientCredentials asks a token for an application.
func (h *harness) clientCredentials(c oauthapp.Created, scope string) (oauthapp.TokenResponse, error) {
	return h.apps.Token(h.ctx, h.org, oauthapp.TokenRequest{
		GrantType: oauthapp.GrantClientCredentials, ClientID: c.App.ClientID, ClientSecret: c.ClientSecret, Scope: scope,
	})
}

// token issues a token for an application and requires success.
func (h *harness) token(c oauthapp.Created, scope string) string {
	h.t.Helper()
	r, err := h.clientCredentials(c, scope)
	require.NoError(h.t, err)
	return r.AccessToken
}

// passwordToken issues a password-grant token through the public client.
func (h *harness) passwordToken(u customeruser.User, scope string) string {
	h.t.Helper()
	r, err := h.apps.Token(h.ctx, h.org, oauthapp.TokenRequest{
		GrantType: oauthapp.GrantPassword, ClientID: publicClient, Username: u.Email, Password: testPassword, Scope: scope,
	})
	require.NoError(h.t, err)
	return r.AccessToken
}

// works reports whether a bearer token authenticates, requiring the one
// generic error otherwise.
func (h *harness) works(token string) bool {
	h.t.Helper()
	_, err := h.apps.Authenticate(h.ctx, token)
	if err == nil {
		return true
	}
	require.ErrorIs(h.t, err, cu.ErrUnauthenticated)
	var ce *cu.Error
	require.ErrorAs(h.t, err, &ce)
	assert.Equal(h.t, "The access token is invalid or has expired.", ce.Message, "one generic message")
	return false
}

// stored reads an application from storage, digest included.
func (h *harness) stored(id uuid.UUID) oauthapp.App {
	h.t.Helper()
	a, err := h.store.OAuthApps().Get(h.ctx, h.org, id)
	require.NoError(h.t, err)
	return a
}

// appCount counts the organization's applications in storage.
func (h *harness) appCount() int {
	h.t.Helper()
	p, err := h.store.OAuthApps().List(h.ctx, h.org, oauthapp.AppFilter{}, cu.Page{Limit: cu.MaxPageLimit})
	require.NoError(h.t, err)
	return len(p.Items)
}

// events returns every event of a subject, in order.
func (h *harness) events(subjectID uuid.UUID) []cu.Event {
	h.t.Helper()
	return h.listEvents(cu.EventFilter{SubjectID: subjectID})
}

// allEvents returns every event of the organization.
func (h *harness) allEvents() []cu.Event {
	h.t.Helper()
	return h.listEvents(cu.EventFilter{})
}

func (h *harness) listEvents(f cu.EventFilter) []cu.Event {
	var out []cu.Event
	p := cu.Page{Limit: cu.MaxPageLimit}
	for {
		page, err := h.store.Events().List(h.ctx, h.org, f, p)
		require.NoError(h.t, err)
		out = append(out, page.Items...)
		if page.NextCursor == "" {
			return out
		}
		p.Cursor = page.NextCursor
	}
}

// requireViolation requires an invalid error with a violation of field
// and rule.
func requireViolation(t *testing.T, err error, field, rule string) {
	t.Helper()
	require.ErrorIs(t, err, cu.ErrInvalid, "want invalid, got %v", err)
	var ce *cu.Error
	require.ErrorAs(t, err, &ce)
	v, ok := ce.Violation(field)
	require.True(t, ok, "want a violation on %q, got %v", field, err)
	assert.Equal(t, rule, v.Rule, "rule of %q", field)
	assert.NotEmpty(t, v.Message)
}

// requireOAuth requires an *OAuthError with code, mapping to the library
// sentinel.
func requireOAuth(t *testing.T, err error, code string, sentinel error) {
	t.Helper()
	var oe *oauthapp.OAuthError
	require.True(t, errors.As(err, &oe), "want an *OAuthError, got %v", err)
	assert.Equal(t, code, oe.Code)
	assert.NotEmpty(t, oe.Description)
	assert.ErrorIs(t, err, sentinel)
}

// noSecretIn asserts that no event payload holds s.
func (h *harness) noSecretIn(s string) {
	h.t.Helper()
	for _, e := range h.allEvents() {
		assert.False(h.t, strings.Contains(string(e.Payload), s), "event %s holds a secret", e.Type)
	}
}
