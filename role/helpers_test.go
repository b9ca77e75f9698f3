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
	"github.com/b2bkit/customerusers/internal/teststore"
	"github.com/b2bkit/customerusers/role"
)

// TestMain runs the tests on memory, then on PostgreSQL (teststore.Main).
func TestMain(m *testing.M) { teststore.Main(m) }

// fixture is an organization in a store (see teststore.New) with a role
// Service and this customer tree:
//
//	Root ── A ── AA ── AAA
//	   └─── S (sibling of A)
//	Other (another top-level customer)
type fixture struct {
	t     *testing.T
	ctx   context.Context
	store *teststore.Store
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
	org := cu.NewID()
	f := &fixture{t: t, ctx: context.Background(), store: teststore.New(org), reg: role.NewRegistry(),
		clock: cu.NewManualClock(time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)), org: org}
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
	deps := f.store.RoleDeps(f.store.Authorizer())
	deps.Registry = f.reg
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
