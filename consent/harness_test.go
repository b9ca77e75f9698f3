package consent_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	cu "github.com/b2bkit/customerusers"
	"github.com/b2bkit/customerusers/consent"
	"github.com/b2bkit/customerusers/customeruser"
	"github.com/b2bkit/customerusers/internal/teststore"
	"github.com/b2bkit/customerusers/role"
)

// TestMain runs the tests on memory, then on PostgreSQL (teststore.Main).
func TestMain(m *testing.M) { teststore.Main(m) }

const testPassword = teststore.Password

// cheapArgon2 keeps tests fast.
var cheapArgon2 = teststore.CheapArgon2

// harness wires customeruser and consent over one store.
type harness struct {
	t        *testing.T
	ctx      context.Context
	store    *teststore.Store
	clock    *cu.ManualClock
	org      uuid.UUID
	admin    cu.Actor
	users    *customeruser.Service
	svc      *consent.Service
	gdpr     *consent.GDPR
	sources  []consent.PersonalDataSource
	sites    *customeruser.StaticSites
	website  customeruser.Website // default website, 2 localizations
	website2 customeruser.Website
	buyer    role.Role
	adminR   role.Role
	acme     customeruser.Customer
}

// harnessOpt changes the harness before the services are built.
type harnessOpt func(h *harness, cfg *customeruser.Config)

func withSources(src ...consent.PersonalDataSource) harnessOpt {
	return func(h *harness, _ *customeruser.Config) { h.sources = append(h.sources, src...) }
}

func withoutConfirmation() harnessOpt {
	return func(_ *harness, cfg *customeruser.Config) { cfg.ConfirmationRequired = false }
}

func newHarness(t *testing.T, opts ...harnessOpt) *harness {
	t.Helper()
	h := &harness{
		t: t, ctx: context.Background(),
		clock: teststore.Clock(),
		org:   uuid.New(), sites: customeruser.NewStaticSites(),
	}
	h.store = teststore.New(h.org)
	h.admin = cu.BackOfficeActor(h.org, uuid.New())
	h.website, h.website2 = teststore.AddWebsites(h.sites, h.org)

	authz := h.store.Authorizer()
	roles := role.NewService(h.store.RoleDeps(authz), role.WithClock(h.clock))
	seeded := teststore.Seed(t, h.ctx, roles, h.org)
	h.buyer, h.adminR = seeded.Buyer, seeded.Admin

	cfg := customeruser.DefaultConfig()
	cfg.Argon2 = cheapArgon2
	for _, o := range opts {
		o(h, &cfg)
	}
	h.svc = consent.NewService(h.store.ConsentDeps(authz, h.sites), consent.WithClock(h.clock))
	userDeps := h.store.UserDeps(authz)
	userDeps.Sites = h.sites
	h.users = customeruser.NewService(userDeps, customeruser.WithConfig(cfg), customeruser.WithClock(h.clock),
		customeruser.WithRegistrationHook(consent.RegistrationHook(h.svc)),
		customeruser.WithDeleteHook(consent.DeleteHook(h.svc)))
	h.gdpr = consent.NewGDPR(h.svc, h.users, h.sources...)
	if e, ok := h.store.LoginAttempts().(consent.AttemptEraser); ok {
		h.gdpr = h.gdpr.With(consent.WithAttemptEraser(e))
	}
	h.acme = h.customer("Acme", uuid.Nil)
	return h
}

func (h *harness) customer(name string, parent uuid.UUID) customeruser.Customer {
	h.t.Helper()
	c, err := h.users.CreateCustomer(h.ctx, h.admin, customeruser.CustomerInput{Name: name, ParentID: parent})
	require.NoError(h.t, err)
	return c
}

// user creates a buyer of Acme on the default website.
func (h *harness) user(email string, opts ...func(*customeruser.CreateUserInput)) customeruser.User {
	h.t.Helper()
	in := customeruser.CreateUserInput{
		CustomerID: h.acme.ID, Email: email, FirstName: "Ada", LastName: "Lovelace",
		RoleIDs: []uuid.UUID{h.buyer.ID}, Password: testPassword,
	}
	for _, o := range opts {
		o(&in)
	}
	u, err := h.users.CreateUser(h.ctx, h.admin, in)
	require.NoError(h.t, err)
	return u
}

func (h *harness) storefront(u customeruser.User) cu.Actor {
	return cu.CustomerUserActor(h.org, u.ID, u.CustomerID, u.RoleIDs...)
}

// def creates a consent enabled on the default website.
func (h *harness) def(name string, opts ...func(*consent.DefinitionInput)) consent.Definition {
	h.t.Helper()
	in := consent.DefinitionInput{DefaultName: name, ContentRef: "/pages/" + name, WebsiteIDs: []uuid.UUID{h.website.ID}}
	for _, o := range opts {
		o(&in)
	}
	d, err := h.svc.CreateDefinition(h.ctx, h.admin, in)
	require.NoError(h.t, err)
	return d
}

func optional(in *consent.DefinitionInput) { in.Mandatory = ptr(false) }

func ptr[T any](v T) *T { return &v }

// accept accepts a consent for u as u.
func (h *harness) accept(u customeruser.User, d consent.Definition) consent.Entry {
	h.t.Helper()
	e, err := h.svc.Accept(h.ctx, h.storefront(u), u.ID, d.ID, "")
	require.NoError(h.t, err)
	return e
}

// ledger returns every ledger entry of the organization matching f.
func (h *harness) ledger(f consent.LedgerFilter) []consent.Entry {
	h.t.Helper()
	var out []consent.Entry
	p := cu.Page{Limit: cu.MaxPageLimit}
	for {
		page, err := h.svc.Ledger(h.ctx, h.admin, f, p)
		require.NoError(h.t, err)
		out = append(out, page.Items...)
		if page.NextCursor == "" {
			return out
		}
		p.Cursor = page.NextCursor
	}
}

// definitions returns every definition of the organization.
func (h *harness) definitions() []consent.Definition {
	h.t.Helper()
	page, err := h.svc.ListDefinitions(h.ctx, h.admin, consent.DefinitionFilter{}, cu.Page{Limit: cu.MaxPageLimit})
	require.NoError(h.t, err)
	return page.Items
}

func (h *harness) events(f cu.EventFilter) []cu.Event {
	h.t.Helper()
	return teststore.Events(h.t, h.ctx, h.store.Events(), h.org, f)
}

func (h *harness) eventCount() int { return len(h.events(cu.EventFilter{})) }

// eventsOf returns the events of a type about a subject.
func (h *harness) eventsOf(subject uuid.UUID, typ string) []cu.Event {
	var out []cu.Event
	for _, e := range h.events(cu.EventFilter{SubjectID: subject}) {
		if e.Type == typ {
			out = append(out, e)
		}
	}
	return out
}

func (h *harness) state(u customeruser.User) []consent.State {
	h.t.Helper()
	st, err := h.svc.State(h.ctx, h.admin, u.ID)
	require.NoError(h.t, err)
	return st
}

// requireViolation asserts an invalid error with a violation of field and
// rule.
func requireViolation(t *testing.T, err error, field, rule string) {
	t.Helper()
	require.Error(t, err)
	var e *cu.Error
	require.True(t, errors.As(err, &e), "want *cu.Error, got %T %v", err, err)
	require.Equal(t, cu.CodeInvalid, e.Code, "%v", err)
	v, ok := e.Violation(field)
	require.True(t, ok, "want a violation on %q, got %v", field, err)
	assert.Equal(t, rule, v.Rule, "rule of %q", field)
	assert.NotEmpty(t, v.Message)
}

// requireCode asserts the error code.
func requireCode(t *testing.T, err error, code cu.Code, msg ...string) {
	t.Helper()
	require.Error(t, err, msg)
	require.Equal(t, code, cu.CodeOf(err), "%v %v", err, msg)
}

// payload decodes an event payload.
func payload(t *testing.T, e cu.Event) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(e.Payload, &m))
	return m
}

// payloadChanges decodes the field-level changes of an update event.
func payloadChanges(t *testing.T, e cu.Event) []cu.Change {
	t.Helper()
	var ch []cu.Change
	require.NoError(t, json.Unmarshal(e.Payload, &ch))
	return ch
}

// dumpStore renders everything the store holds about the organization, as
// text to search for personal data. On PostgreSQL it is every row of every
// table of the schema that has an organization_id column, as JSON; on the
// memory store, every record the repositories list.
func (h *harness) dumpStore() string {
	h.t.Helper()
	var b strings.Builder
	if pg := h.store.Postgres(); pg != nil {
		db := pg.DB()
		var tables []string
		require.NoError(h.t, db.NewRaw(`SELECT table_name FROM information_schema.columns
			WHERE table_schema = current_schema() AND column_name = 'organization_id' ORDER BY table_name`).Scan(h.ctx, &tables))
		require.NotEmpty(h.t, tables)
		for _, table := range tables {
			var rows []string
			require.NoError(h.t, db.NewRaw("SELECT to_jsonb(t)::text FROM ? t WHERE organization_id = ?",
				bun.Ident(table), h.org).Scan(h.ctx, &rows))
			b.WriteString(table + ":\n" + strings.Join(rows, "\n") + "\n")
		}
		return b.String()
	}
	add := func(what string, v any) {
		js, err := json.Marshal(v)
		require.NoError(h.t, err)
		b.WriteString(what + ": " + string(js) + "\n")
	}
	users, err := h.store.Users().List(h.ctx, h.org, customeruser.UserFilter{}, cu.Page{Limit: cu.MaxPageLimit})
	require.NoError(h.t, err)
	add("users", users.Items)
	customers, err := h.store.Customers().List(h.ctx, h.org, customeruser.CustomerFilter{}, cu.Page{Limit: cu.MaxPageLimit})
	require.NoError(h.t, err)
	add("customers", customers.Items)
	for _, e := range h.events(cu.EventFilter{}) {
		add("event", e)
		b.WriteString(string(e.Payload) + "\n")
	}
	for _, u := range append(users.Items, customeruser.User{}) {
		attempts, err := h.store.LoginAttempts().List(h.ctx, h.org, u.ID, cu.Page{Limit: cu.MaxPageLimit})
		require.NoError(h.t, err)
		add("attempts", attempts.Items)
	}
	add("ledger", h.ledger(consent.LedgerFilter{}))
	add("consents", h.definitions())
	return b.String()
}
