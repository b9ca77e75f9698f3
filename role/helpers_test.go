package role_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
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
// fixture works in an organization of its own (see pgtest.Main).
var pgStore *postgres.Store

func TestMain(m *testing.M) { pgtest.Main(m, func(s *postgres.Store) { pgStore = s }) }

// testCustomers is the customer repository of a store, which is also the
// customer hierarchy.
type testCustomers interface {
	customeruser.CustomerRepository
	role.Hierarchy
}

// testStore is the storage of one fixture: a fresh memory store, or the
// shared PostgreSQL store.
type testStore struct {
	cu.Transactor
	roles     role.Repository
	customers testCustomers
	users     customeruser.UserRepository
	events    cu.EventLog
}

func newTestStore() *testStore {
	if pg := pgStore; pg != nil {
		return &testStore{Transactor: pg, roles: pg.Roles(), customers: pg.Customers(), users: pg.Users(), events: pg.Events()}
	}
	m := memory.New()
	return &testStore{Transactor: m, roles: m.Roles(), customers: m.Customers(), users: m.Users(), events: m.Events()}
}

func (s *testStore) Roles() role.Repository             { return s.roles }
func (s *testStore) Customers() testCustomers           { return s.customers }
func (s *testStore) Users() customeruser.UserRepository { return s.users }
func (s *testStore) Events() cu.EventLog                { return s.events }

// fixture is an organization in a fresh store (see testStore) with a role Service
// and this customer tree:
//
//	Root ── A ── AA ── AAA
//	   └─── S (sibling of A)
//	Other (another top-level customer)
type fixture struct {
	t     *testing.T
	ctx   context.Context
	store *testStore
	reg   *role.Registry
	svc   *role.Service
	clock *cu.ManualClock
	org   uuid.UUID

	root, a, aa, aaa, sib, other uuid.UUID
	// admin, buyer and anonymous are the seeded roles.
	admin, buyer, anonymous role.Role
	n                       int
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{t: t, ctx: context.Background(), store: newTestStore(), reg: role.NewRegistry(),
		clock: cu.NewManualClock(time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)), org: cu.NewID()}
	f.svc = f.service()
	f.root = f.customer("Root", uuid.Nil)
	f.a = f.customer("A", f.root)
	f.aa = f.customer("AA", f.a)
	f.aaa = f.customer("AAA", f.aa)
	f.sib = f.customer("S", f.root)
	f.other = f.customer("Other", uuid.Nil)
	seeded, err := f.svc.Seed(f.ctx, f.org)
	require.NoError(t, err)
	require.Len(t, seeded, 3)
	f.admin, f.buyer, f.anonymous = seeded[0], seeded[1], seeded[2]
	return f
}

func (f *fixture) service(opts ...role.Option) *role.Service {
	deps := role.Deps{Tx: f.store, Roles: f.store.Roles(), Holders: f.store.Users(), Hierarchy: f.store.Customers(),
		Events: f.store.Events(), Registry: f.reg}
	deps.Authorizer = role.NewAuthorizer(deps.Roles, deps.Hierarchy)
	return role.NewService(deps, append([]role.Option{role.WithClock(f.clock)}, opts...)...)
}

func (f *fixture) customer(name string, parent uuid.UUID) uuid.UUID {
	f.t.Helper()
	c := customeruser.Customer{ID: cu.NewID(), OrganizationID: f.org, Name: name, ParentID: parent,
		CreatedAt: f.clock.Now(), UpdatedAt: f.clock.Now(), Version: 1}
	require.NoError(f.t, f.store.Customers().Create(f.ctx, c))
	return c.ID
}

// user stores a customer user of customer holding roles.
func (f *fixture) user(customer uuid.UUID, enabled bool, roles ...uuid.UUID) customeruser.User {
	f.t.Helper()
	f.n++
	email := "user" + strings.Repeat("x", f.n%3) + uuid.NewString()[:8] + "@example.com"
	u := customeruser.User{ID: cu.NewID(), OrganizationID: f.org, CustomerID: customer, Email: email,
		EmailKey: strings.ToLower(email), FirstName: "Test", LastName: "User", Enabled: enabled, Confirmed: true,
		AuthStatus: customeruser.AuthActive, RoleIDs: roles, CreatedAt: f.clock.Now(), UpdatedAt: f.clock.Now(), Version: 1}
	require.NoError(f.t, f.store.Users().Create(f.ctx, u))
	return u
}

// actor stores a customer user and returns it as a storefront actor.
func (f *fixture) actor(customer uuid.UUID, roles ...uuid.UUID) cu.Actor {
	f.t.Helper()
	u := f.user(customer, true, roles...)
	return cu.CustomerUserActor(f.org, u.ID, customer, roles...)
}

func (f *fixture) backOffice() cu.Actor { return cu.BackOfficeActor(f.org, cu.NewID()) }

// role stores a role directly, bypassing the Service.
func (f *fixture) role(label string, customer uuid.UUID, grants []role.Grant, caps ...string) role.Role {
	f.t.Helper()
	r := role.Role{ID: cu.NewID(), OrganizationID: f.org, Code: role.CodeFromLabel(label) + "_" + uuid.NewString()[:4],
		Label: label, CustomerID: customer, SelfManaged: true, Public: true, Grants: grants, Capabilities: caps,
		CreatedAt: f.clock.Now(), UpdatedAt: f.clock.Now(), Version: 1}
	require.NoError(f.t, f.store.Roles().Create(f.ctx, r))
	return r
}

func (f *fixture) getRole(id uuid.UUID) role.Role {
	f.t.Helper()
	r, err := f.store.Roles().Get(f.ctx, f.org, id)
	require.NoError(f.t, err)
	return r
}

func (f *fixture) getUser(id uuid.UUID) customeruser.User {
	f.t.Helper()
	u, err := f.store.Users().Get(f.ctx, f.org, id)
	require.NoError(f.t, err)
	return u
}

// allRoles returns every role of the organization.
func (f *fixture) allRoles() []role.Role {
	f.t.Helper()
	page, err := f.store.Roles().List(f.ctx, f.org, role.Filter{}, cu.Page{Limit: cu.MaxPageLimit})
	require.NoError(f.t, err)
	return page.Items
}

// events returns every event of the organization in order.
func (f *fixture) events() []cu.Event {
	f.t.Helper()
	page, err := f.store.Events().List(f.ctx, f.org, cu.EventFilter{}, cu.Page{Limit: cu.MaxPageLimit})
	require.NoError(f.t, err)
	return page.Items
}

func eventTypes(es []cu.Event) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.Type
	}
	return out
}

// state is what must not change when a call fails.
type state struct {
	roles  []role.Role
	events int
}

func (f *fixture) snapshot() state { return state{roles: f.allRoles(), events: len(f.events())} }

// unchanged asserts that no role and no event changed since s.
func (f *fixture) unchanged(s state) {
	f.t.Helper()
	assert.Equal(f.t, s.roles, f.allRoles(), "roles changed")
	assert.Equal(f.t, s.events, len(f.events()), "events appended")
}

// assertViolation checks that err is invalid with a violation of field and
// rule.
func assertViolation(t *testing.T, err error, field, rule string) {
	t.Helper()
	require.Error(t, err)
	var e *cu.Error
	require.True(t, errors.As(err, &e), "not a cu.Error: %v", err)
	require.Equal(t, cu.CodeInvalid, e.Code, "%v", err)
	v, ok := e.Violation(field)
	require.True(t, ok, "no violation on %s in %v", field, err)
	assert.Equal(t, rule, v.Rule, "%v", err)
	assert.NotEmpty(t, v.Message)
}

func g(res string, p role.Permission, l role.Level) role.Grant {
	return role.Grant{Resource: res, Permission: p, Level: l}
}

// manager returns the grants of a role manager at level l.
func manager(l role.Level) []role.Grant {
	return []role.Grant{
		g(role.ResourceCustomerUserRole, role.View, l), g(role.ResourceCustomerUserRole, role.Create, l),
		g(role.ResourceCustomerUserRole, role.Edit, l), g(role.ResourceCustomerUserRole, role.Delete, l),
		g(role.ResourceCustomerUser, role.View, l),
	}
}

func ptr[T any](v T) *T { return &v }
