package oauthapp_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	cu "github.com/b2bkit/customerusers"
	"github.com/b2bkit/customerusers/customeruser"
	"github.com/b2bkit/customerusers/internal/teststore"
	"github.com/b2bkit/customerusers/oauthapp"
	"github.com/b2bkit/customerusers/role"
)

// TestMain runs the tests on memory, then on PostgreSQL (teststore.Main).
func TestMain(m *testing.M) { teststore.Main(m) }

const testPassword = teststore.Password

// The first-party clients of the harness: a public one and a confidential
// one.
const (
	publicClient       = "storefront"
	confidentialClient = "storefront-server"
	confidentialSecret = "first-party-secret"
)

// cheapArgon2 keeps tests fast.
var cheapArgon2 = teststore.CheapArgon2

// recordingNotifier keeps every notification it is given, or fails.
type recordingNotifier struct{ teststore.Notifier }

func (n *recordingNotifier) count(template string) int { return n.Count(template) }

type harness struct {
	t                    *testing.T
	ctx                  context.Context
	store                *teststore.Store
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

// newHarness wires customeruser and oauthapp over one store, seeds
// the roles and creates the customer "Acme". Login lockout starts after 3
// failures.
func newHarness(t *testing.T) *harness {
	t.Helper()
	h := &harness{
		t:     t,
		ctx:   context.Background(),
		clock: teststore.Clock(),
		org:   uuid.New(),
		mail:  &recordingNotifier{},
	}
	h.store = teststore.New(h.org)
	h.admin = cu.BackOfficeActor(h.org, uuid.New())
	h.authz = h.store.Authorizer()
	h.roles = role.NewService(h.store.RoleDeps(h.authz), role.WithClock(h.clock))
	seeded := teststore.Seed(t, h.ctx, h.roles, h.org)
	h.adminRole, h.buyerRole = seeded.Admin, seeded.Buyer

	cfg := customeruser.DefaultConfig()
	cfg.Argon2 = cheapArgon2
	cfg.Lockout.Threshold = 3
	userDeps := h.store.UserDeps(h.authz)
	userDeps.Notifier = h.mail
	h.users = customeruser.NewService(userDeps, customeruser.WithConfig(cfg), customeruser.WithClock(h.clock))
	h.apps = oauthapp.NewService(h.store.OAuthDeps(h.authz, h.mail, h.users),
		oauthapp.Config{FirstPartyClients: []oauthapp.FirstPartyClient{
			{ClientID: publicClient},
			{ClientID: confidentialClient, SecretDigest: oauthapp.DigestSecret(confidentialSecret)},
		}}, oauthapp.WithClock(h.clock))
	h.users.AddDeleteHook(oauthapp.DeleteHook(h.apps))
	h.users.AddAccessRevokedHook(oauthapp.RevokeHook(h.apps))

	var err error
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
	h.t.Helper()
	return teststore.Events(h.t, h.ctx, h.store.Events(), h.org, f)
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
