package customeruser_test

import (
	"context"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	cu "github.com/b2bkit/customerusers"
	"github.com/b2bkit/customerusers/customeruser"
	"github.com/b2bkit/customerusers/internal/teststore"
	"github.com/b2bkit/customerusers/role"
)

// TestMain runs the tests on memory, then on PostgreSQL (teststore.Main).
func TestMain(m *testing.M) { teststore.Main(m) }

// testStore is the storage of one test: a fresh memory store, or the
// shared PostgreSQL store. Its outbox holds the harness organization's
// events only, since the PostgreSQL schema is shared.
type testStore = teststore.Store

func newTestStore(org uuid.UUID) *testStore { return teststore.New(org) }

const testPassword = teststore.Password

// cheapArgon2 keeps tests fast; production parameters are tested in
// password_test.go.
var cheapArgon2 = teststore.CheapArgon2

// recordingNotifier keeps every notification it is given. The Service
// calls it inside the transaction of the change, so it also records the
// notifications of a change that later rolls back (a host's outer
// transaction failing): tests of rollback use the outbox path
// (notifier_test.go), where nothing is sent for a rolled-back change.
type recordingNotifier = teststore.Notifier

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
		clock: teststore.Clock(),
		org:   uuid.New(),
		mail:  &recordingNotifier{},
		sites: customeruser.NewStaticSites(),
	}
	h.store = newTestStore(h.org)
	h.admin = cu.BackOfficeActor(h.org, uuid.New())
	h.website, h.website2 = teststore.AddWebsites(h.sites, h.org)

	h.authz = h.store.Authorizer()
	h.roles = role.NewService(h.store.RoleDeps(h.authz), role.WithClock(h.clock))
	seeded := teststore.Seed(t, h.ctx, h.roles, h.org)
	h.adminRole, h.buyerRole, h.anonymousRole = seeded.Admin, seeded.Buyer, seeded.Anonymous

	cfg := customeruser.DefaultConfig()
	cfg.Argon2 = cheapArgon2
	all := append([]customeruser.Option{customeruser.WithConfig(cfg), customeruser.WithClock(h.clock)}, opts...)
	deps := h.store.UserDeps(h.authz)
	deps.Sites, deps.Notifier = h.sites, h.mail
	h.svc = customeruser.NewService(deps, all...)
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
	h.t.Helper()
	return teststore.Events(h.t, h.ctx, h.store.Events(), h.org, f)
}

// memoryOnly skips t during the PostgreSQL pass, for the few tests too
// slow there whose point is not the storage; reason says why.
func memoryOnly(t *testing.T, reason string) {
	t.Helper()
	teststore.MemoryOnly(t, reason)
}
