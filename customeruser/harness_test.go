package customeruser_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	cu "github.com/b2bkit/customerusers"
	"github.com/b2bkit/customerusers/customeruser"
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
// store. Its outbox holds the harness organization's events only, since
// the PostgreSQL schema is shared.
type testStore struct {
	cu.Transactor
	roles     role.Repository
	customers testCustomers
	users     customeruser.UserRepository
	tokens    customeruser.TokenRepository
	attempts  customeruser.LoginAttemptRepository
	events    cu.EventLog
	outbox    cu.Outbox
}

func newTestStore(org uuid.UUID) *testStore {
	if pg := pgStore; pg != nil {
		return &testStore{Transactor: pg, roles: pg.Roles(), customers: pg.Customers(), users: pg.Users(), tokens: pg.Tokens(),
			attempts: pg.LoginAttempts(), events: pg.Events(), outbox: pg.OutboxOf(org)}
	}
	m := memory.New()
	return &testStore{Transactor: m, roles: m.Roles(), customers: m.Customers(), users: m.Users(), tokens: m.Tokens(),
		attempts: m.LoginAttempts(), events: m.Events(), outbox: m.Outbox()}
}

func (s *testStore) Roles() role.Repository                             { return s.roles }
func (s *testStore) Customers() testCustomers                           { return s.customers }
func (s *testStore) Users() customeruser.UserRepository                 { return s.users }
func (s *testStore) Tokens() customeruser.TokenRepository               { return s.tokens }
func (s *testStore) LoginAttempts() customeruser.LoginAttemptRepository { return s.attempts }
func (s *testStore) Events() cu.EventLog                                { return s.events }
func (s *testStore) Outbox() cu.Outbox                                  { return s.outbox }

const testPassword = "Secret123"

// cheapArgon2 keeps tests fast; production parameters are tested in
// password_test.go.
var cheapArgon2 = customeruser.Argon2Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}

// recordingNotifier keeps every notification it is given. The Service
// calls it inside the transaction of the change, so it also records the
// notifications of a change that later rolls back (a host's outer
// transaction failing): tests of rollback use the outbox path
// (notifier_test.go), where nothing is sent for a rolled-back change.
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

// Sent returns all notifications so far.
func (n *recordingNotifier) Sent() []customeruser.Notification {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]customeruser.Notification(nil), n.sent...)
}

// Last returns the latest notification with that template.
func (n *recordingNotifier) Last(template string) (customeruser.Notification, bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	for i := len(n.sent) - 1; i >= 0; i-- {
		if n.sent[i].Template == template {
			return n.sent[i], true
		}
	}
	return customeruser.Notification{}, false
}

// Reset forgets the notifications so far.
func (n *recordingNotifier) Reset() {
	n.mu.Lock()
	n.sent = nil
	n.mu.Unlock()
}

type harness struct {
	t                                   *testing.T
	ctx                                 context.Context
	store                               *testStore
	svc                                 *customeruser.Service
	roles                               *role.Service
	authz                               *role.Authorizer
	clock                               *cu.ManualClock
	org                                 uuid.UUID
	admin                               cu.Actor
	mail                                *recordingNotifier
	sites                               *customeruser.StaticSites
	adminRole, buyerRole, anonymousRole role.Role
	website, website2                   customeruser.Website
}

func newHarness(t *testing.T, opts ...customeruser.Option) *harness {
	t.Helper()
	h := &harness{
		t:     t,
		ctx:   context.Background(),
		clock: cu.NewManualClock(time.Date(2026, 1, 15, 10, 0, 0, 0, time.UTC)),
		org:   uuid.New(),
		mail:  &recordingNotifier{},
		sites: customeruser.NewStaticSites(),
	}
	h.store = newTestStore(h.org)
	h.admin = cu.BackOfficeActor(h.org, uuid.New())
	h.website = customeruser.Website{ID: uuid.New(), Name: "Main", Localizations: []uuid.UUID{uuid.New(), uuid.New()}}
	h.website.DefaultLocalizationID = h.website.Localizations[0]
	h.website2 = customeruser.Website{ID: uuid.New(), Name: "Outlet", Localizations: []uuid.UUID{uuid.New()}}
	h.website2.DefaultLocalizationID = h.website2.Localizations[0]
	h.sites.Add(h.org, h.website)
	h.sites.Add(h.org, h.website2)

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
		case "ADMINISTRATOR":
			h.adminRole = r
		case "BUYER":
			h.buyerRole = r
		case "ANONYMOUS":
			h.anonymousRole = r
		}
	}
	require.NotEqual(t, uuid.Nil, h.adminRole.ID)
	require.NotEqual(t, uuid.Nil, h.buyerRole.ID)

	cfg := customeruser.DefaultConfig()
	cfg.Argon2 = cheapArgon2
	all := append([]customeruser.Option{customeruser.WithConfig(cfg), customeruser.WithClock(h.clock)}, opts...)
	h.svc = customeruser.NewService(customeruser.Deps{
		Tx: h.store, Customers: customers, Users: h.store.Users(), Tokens: h.store.Tokens(),
		Attempts: h.store.LoginAttempts(), Events: h.store.Events(), Roles: h.store.Roles(),
		Authorizer: h.authz, Sites: h.sites, Notifier: h.mail,
	}, all...)
	return h
}

// customer creates a customer as the back-office admin.
func (h *harness) customer(name string, parent uuid.UUID) customeruser.Customer {
	h.t.Helper()
	c, err := h.svc.CreateCustomer(h.ctx, h.admin, customeruser.CustomerInput{Name: name, ParentID: parent})
	require.NoError(h.t, err)
	return c
}

// user creates an enabled, confirmed user as the back-office admin, with
// the buyer role when no role is given.
func (h *harness) user(customerID uuid.UUID, email string, roleIDs ...uuid.UUID) customeruser.User {
	h.t.Helper()
	if len(roleIDs) == 0 {
		roleIDs = []uuid.UUID{h.buyerRole.ID}
	}
	u, err := h.svc.CreateUser(h.ctx, h.admin, customeruser.CreateUserInput{
		CustomerID: customerID, Email: email, FirstName: "Test", LastName: "User",
		RoleIDs: roleIDs, Password: testPassword,
	})
	require.NoError(h.t, err)
	return u
}

// storefront returns the storefront actor of u.
func (h *harness) storefront(u customeruser.User) cu.Actor {
	return cu.CustomerUserActor(h.org, u.ID, u.CustomerID, u.RoleIDs...)
}

// events returns every event of a subject, in order.
func (h *harness) events(subjectID uuid.UUID) []cu.Event {
	h.t.Helper()
	return h.listEvents(cu.EventFilter{SubjectID: subjectID})
}

// eventCount counts all events of the organization.
func (h *harness) eventCount() int {
	h.t.Helper()
	return len(h.listEvents(cu.EventFilter{}))
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

// memoryOnly skips t during the PostgreSQL pass, for the few tests too
// slow there whose point is not the storage; reason says why.
func memoryOnly(t *testing.T, reason string) {
	t.Helper()
	if pgStore != nil {
		t.Skip("memory storage only: " + reason)
	}
}
