package role_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	cu "github.com/b2bkit/customerusers"
	"github.com/b2bkit/customerusers/role"
)

func assertCode(t *testing.T, err error, code cu.Code) {
	t.Helper()
	require.Error(t, err)
	assert.Equal(t, code, cu.CodeOf(err), "%v", err)
}

func roleIDs(rs []role.Role) []uuid.UUID {
	out := make([]uuid.UUID, len(rs))
	for i, r := range rs {
		out[i] = r.ID
	}
	return out
}

func TestSeed(t *testing.T) {
	f := newFixture(t)
	assert.Equal(t, "ADMINISTRATOR", f.admin.Code)
	assert.Equal(t, "Administrator", f.admin.Label)
	assert.True(t, f.admin.Predefined())
	assert.True(t, f.admin.SelfManaged && f.admin.Public)
	assert.Len(t, f.admin.Grants, 30, "every permission of the 7 resources")
	for _, gr := range f.admin.Grants {
		assert.Equal(t, role.LevelCorporate, gr.Level, "%s %s", gr.Resource, gr.Permission)
	}
	assert.Equal(t, f.reg.Capabilities(), f.admin.Capabilities)

	assert.Equal(t, "BUYER", f.buyer.Code)
	assert.True(t, f.buyer.SelfManaged && f.buyer.Public)
	assert.Equal(t, []role.Grant{
		g(role.ResourceCustomerUser, role.View, role.LevelDepartment),
		g(role.ResourceCustomerUserAddress, role.View, role.LevelUser),
		g(role.ResourceCustomerUserAddress, role.Create, role.LevelUser),
		g(role.ResourceCustomerUserAddress, role.Edit, role.LevelUser),
		g(role.ResourceCustomerUserAddress, role.Delete, role.LevelUser),
		g(role.ResourceOAuthApplication, role.View, role.LevelUser),
		g(role.ResourceOAuthApplication, role.Create, role.LevelUser),
		g(role.ResourceOAuthApplication, role.Edit, role.LevelUser),
		g(role.ResourceOAuthApplication, role.Delete, role.LevelUser),
		g(role.ResourceConsentAcceptance, role.View, role.LevelUser),
		g(role.ResourceConsentAcceptance, role.Create, role.LevelUser),
	}, f.buyer.Grants)
	assert.Equal(t, []string{role.CapUpdateOwnProfile, role.CapManageOAuthApps}, f.buyer.Capabilities)
	assert.Empty(t, f.reg.Validate(f.buyer.Grants, f.buyer.Capabilities))
	assert.Empty(t, f.reg.Validate(f.admin.Grants, f.admin.Capabilities))

	assert.Equal(t, "ANONYMOUS", f.anonymous.Code)
	assert.False(t, f.anonymous.Public)
	assert.False(t, f.anonymous.SelfManaged)
	assert.Empty(t, f.anonymous.Grants)
	assert.Empty(t, f.anonymous.Capabilities)

	assert.Equal(t, []string{role.EventCreated, role.EventCreated, role.EventCreated}, eventTypes(f.events()))
	assert.Equal(t, cu.ActorSystem, f.events()[0].Actor.Kind)

	// Idempotent: a second call returns the same roles and creates nothing.
	before := f.snapshot()
	again, err := f.svc.Seed(f.ctx, f.org)
	require.NoError(t, err)
	assert.Equal(t, []uuid.UUID{f.admin.ID, f.buyer.ID, f.anonymous.ID}, roleIDs(again))
	f.unchanged(before)

	def, err := f.svc.DefaultRole(f.ctx, f.org)
	require.NoError(t, err)
	assert.Equal(t, f.buyer.ID, def.ID)
	_, err = f.svc.DefaultRole(f.ctx, cu.NewID())
	assertCode(t, err, cu.CodeNotFound)

	// Host resources registered before seeding are included at their widest level.
	require.NoError(t, f.reg.Register(role.Resource{Name: "product", Ownership: role.Unowned, Permissions: []role.Permission{role.View}}))
	other, err := f.svc.Seed(f.ctx, cu.NewID())
	require.NoError(t, err)
	assert.Contains(t, other[0].Grants, g("product", role.View, role.LevelFull))
}

func TestCodeFromLabel(t *testing.T) {
	tests := map[string]string{
		"Sales Manager":          "SALES_MANAGER",
		"  sales   manager  ":    "SALES_MANAGER",
		"Chef d'équipe":          "CHEF_D_EQUIPE",
		"Größe & Maß":            "GROSSE_MASS",
		"Łódź buyers (2025)":     "LODZ_BUYERS_2025",
		"Ærø-Øst":                "AERO_OST",
		"日本":                     "ROLE",
		"---":                    "ROLE",
		"Buyer 日本 Team":          "BUYER_TEAM",
		strings.Repeat("ab", 80): strings.Repeat("AB", 50),
	}
	for label, want := range tests {
		assert.Equal(t, want, role.CodeFromLabel(label), label)
	}
}

func TestCreateByBackOffice(t *testing.T) {
	f := newFixture(t)
	bo := f.backOffice()
	r, err := f.svc.Create(f.ctx, bo, role.Input{Label: "  Sales Manager ", CustomerID: f.a, SelfManaged: true, Public: true,
		Grants: []role.Grant{
			g(role.ResourceCustomer, role.View, role.LevelDepartment),
			g(role.ResourceCustomerUser, role.Edit, role.LevelNone),
			g(role.ResourceCustomerUser, role.View, role.LevelCorporate),
		},
		Capabilities: []string{role.CapManageRoles, role.CapManageUsers}})
	require.NoError(t, err)
	assert.Equal(t, "SALES_MANAGER", r.Code)
	assert.Equal(t, "Sales Manager", r.Label)
	assert.Equal(t, f.a, r.CustomerID)
	assert.Equal(t, int64(1), r.Version)
	assert.Equal(t, f.clock.Now(), r.CreatedAt)
	assert.Equal(t, []role.Grant{
		g(role.ResourceCustomerUser, role.View, role.LevelCorporate),
		g(role.ResourceCustomer, role.View, role.LevelDepartment),
	}, r.Grants, "sorted by registry order, level-none grants dropped")
	assert.Equal(t, []string{role.CapManageUsers, role.CapManageRoles}, r.Capabilities)
	assert.Equal(t, r, f.getRole(r.ID))

	es := f.events()
	last := es[len(es)-1]
	assert.Equal(t, role.EventCreated, last.Type)
	assert.Equal(t, role.SubjectType, last.SubjectType)
	assert.Equal(t, r.ID, last.SubjectID)
	assert.Equal(t, cu.ActorRef{Kind: cu.ActorBackOffice, ID: bo.ID}, last.Actor)
	var payload map[string]any
	require.NoError(t, json.Unmarshal(last.Payload, &payload))
	assert.Equal(t, "SALES_MANAGER", payload["code"])
	assert.Equal(t, f.a.String(), payload["customerId"])

	// The same label for another customer is fine; its code gets a suffix.
	r2, err := f.svc.Create(f.ctx, bo, role.Input{Label: "Sales manager", CustomerID: f.sib})
	require.NoError(t, err)
	assert.NotEqual(t, r.Code, r2.Code)
	assert.Regexp(t, `^SALES_MANAGER_[0-9A-F]{6}$`, r2.Code)
	// And as a predefined role.
	r3, err := f.svc.Create(f.ctx, bo, role.Input{Label: "Sales manager"})
	require.NoError(t, err)
	assert.True(t, r3.Predefined())
	assert.NotEqual(t, r2.Code, r3.Code)
}

func TestCreateRejectsBadInput(t *testing.T) {
	f := newFixture(t)
	bo := f.backOffice()
	_, err := f.svc.Create(f.ctx, bo, role.Input{Label: "Purchasers", CustomerID: f.a})
	require.NoError(t, err)
	ok := []role.Grant{g(role.ResourceCustomer, role.View, role.LevelDepartment)}
	tests := []struct {
		name  string
		in    role.Input
		field string
		rule  string
	}{
		{"empty label", role.Input{Label: "   ", CustomerID: f.a}, "label", "required"},
		{"short label", role.Input{Label: " ab ", CustomerID: f.a}, "label", "min_length"},
		{"long label", role.Input{Label: strings.Repeat("é", 256), CustomerID: f.a}, "label", "max_length"},
		{"label taken in the customer", role.Input{Label: "purchasers ", CustomerID: f.a}, "label", "unique"},
		{"label taken among predefined", role.Input{Label: "BUYER"}, "label", "unique"},
		{"unknown customer", role.Input{Label: "Valid", CustomerID: cu.NewID()}, "customerId", "not_found"},
		{"unknown resource", role.Input{Label: "Valid", Grants: []role.Grant{g("order", role.View, role.LevelUser)}}, "grants[0].resource", "unknown_resource"},
		{"unknown permission", role.Input{Label: "Valid", Grants: append(ok, g(role.ResourceCustomer, "approve", role.LevelDepartment))}, "grants[1].permission", "unknown_permission"},
		{"impossible level", role.Input{Label: "Valid", Grants: []role.Grant{g(role.ResourceCustomerUser, role.View, role.LevelUser)}}, "grants[0].level", "level_not_allowed"},
		{"duplicate grant", role.Input{Label: "Valid", Grants: append(ok, ok...)}, "grants[1]", "duplicate"},
		{"unknown capability", role.Input{Label: "Valid", Capabilities: []string{"fly"}}, "capabilities[0]", "unknown_capability"},
	}
	for _, tt := range tests {
		before := f.snapshot()
		_, err := f.svc.Create(f.ctx, bo, tt.in)
		assertViolation(t, err, tt.field, tt.rule)
		f.unchanged(before)
	}

	// Several problems are reported together.
	_, err = f.svc.Create(f.ctx, bo, role.Input{Label: "x", CustomerID: cu.NewID(), Capabilities: []string{"fly"}})
	var e *cu.Error
	require.True(t, errors.As(err, &e))
	assert.Len(t, e.Violations, 3)
}

func TestUpdateByBackOffice(t *testing.T) {
	f := newFixture(t)
	bo := f.backOffice()
	r, err := f.svc.Create(f.ctx, bo, role.Input{Label: "Auditors", CustomerID: f.a, SelfManaged: true, Public: true})
	require.NoError(t, err)
	f.clock.Advance(time.Hour)

	got, err := f.svc.Update(f.ctx, bo, r.ID, role.Patch{Label: ptr(" Internal auditors "), Public: ptr(false),
		Grants:       &[]role.Grant{g(role.ResourceCustomerUser, role.View, role.LevelCorporate)},
		Capabilities: &[]string{role.CapViewAuditHistory}}, 1)
	require.NoError(t, err)
	assert.Equal(t, "AUDITORS", got.Code, "the code never changes")
	assert.Equal(t, "Internal auditors", got.Label)
	assert.False(t, got.Public)
	assert.Equal(t, int64(2), got.Version)
	assert.Equal(t, f.clock.Now(), got.UpdatedAt)
	assert.Equal(t, r.CreatedAt, got.CreatedAt)
	assert.Equal(t, got, f.getRole(r.ID))

	es := f.events()
	last := es[len(es)-1]
	assert.Equal(t, role.EventUpdated, last.Type)
	var payload struct {
		Changes []struct {
			Field  string          `json:"field"`
			Before json.RawMessage `json:"before"`
			After  json.RawMessage `json:"after"`
		} `json:"changes"`
	}
	require.NoError(t, json.Unmarshal(last.Payload, &payload))
	fields := []string{}
	for _, c := range payload.Changes {
		fields = append(fields, c.Field)
	}
	assert.Equal(t, []string{"label", "public", "grants", "capabilities"}, fields)
	assert.JSONEq(t, `"Auditors"`, string(payload.Changes[0].Before))
	assert.JSONEq(t, `"Internal auditors"`, string(payload.Changes[0].After))
	assert.JSONEq(t, `[{"resource":"customer_user","permission":"view","level":"corporate"}]`, string(payload.Changes[2].After))

	// Nothing to change: no write, no event.
	before := f.snapshot()
	same, err := f.svc.Update(f.ctx, bo, r.ID, role.Patch{Label: ptr("Internal auditors")}, 2)
	require.NoError(t, err)
	assert.Equal(t, got, same)
	f.unchanged(before)

	// Stale version.
	_, err = f.svc.Update(f.ctx, bo, r.ID, role.Patch{Label: ptr("Again")}, 1)
	assert.ErrorIs(t, err, cu.ErrStale)
	f.unchanged(before)

	// Unknown role.
	_, err = f.svc.Update(f.ctx, bo, cu.NewID(), role.Patch{Label: ptr("Again")}, 1)
	assertCode(t, err, cu.CodeNotFound)

	_, err = f.svc.Create(f.ctx, bo, role.Input{Label: "Taken", CustomerID: f.a})
	require.NoError(t, err)
	before = f.snapshot()
	tests := []struct {
		name  string
		p     role.Patch
		field string
		rule  string
	}{
		{"empty label", role.Patch{Label: ptr("")}, "label", "required"},
		{"label taken", role.Patch{Label: ptr("TAKEN")}, "label", "unique"},
		{"unknown customer", role.Patch{CustomerID: ptr(cu.NewID())}, "customerId", "not_found"},
		{"impossible level", role.Patch{Grants: &[]role.Grant{g(role.ResourceCustomerUserRole, role.View, role.LevelUser)}}, "grants[0].level", "level_not_allowed"},
		{"unknown capability", role.Patch{Capabilities: &[]string{"fly"}}, "capabilities[0]", "unknown_capability"},
	}
	for _, tt := range tests {
		_, err := f.svc.Update(f.ctx, bo, r.ID, tt.p, 2)
		assertViolation(t, err, tt.field, tt.rule)
		f.unchanged(before)
	}
}

func TestMoveRoleToAnotherCustomer(t *testing.T) {
	f := newFixture(t)
	bo := f.backOffice()
	r, err := f.svc.Create(f.ctx, bo, role.Input{Label: "Movers", CustomerID: f.a, SelfManaged: true, Public: true})
	require.NoError(t, err)
	u1 := f.user(f.a, true, r.ID, f.buyer.ID)
	u2 := f.user(f.a, false, r.ID)

	before := f.snapshot()
	_, err = f.svc.Update(f.ctx, bo, r.ID, role.Patch{CustomerID: ptr(f.sib)}, 1)
	assertCode(t, err, cu.CodeConflict)
	assert.Contains(t, err.Error(), "2 users")
	f.unchanged(before)
	assert.Equal(t, []uuid.UUID{r.ID, f.buyer.ID}, f.getUser(u1.ID).RoleIDs)

	got, err := f.svc.Update(f.ctx, bo, r.ID, role.Patch{CustomerID: ptr(f.sib), ConfirmUnassign: true}, 1)
	require.NoError(t, err)
	assert.Equal(t, f.sib, got.CustomerID)
	assert.Equal(t, int64(2), got.Version)
	assert.Equal(t, []uuid.UUID{f.buyer.ID}, f.getUser(u1.ID).RoleIDs)
	assert.Equal(t, int64(2), f.getUser(u1.ID).Version)
	assert.Empty(t, f.getUser(u2.ID).RoleIDs, "disabled users may be left without roles")
	es := f.events()
	assert.Equal(t, []string{role.EventUpdated, role.EventUsersUnassigned}, eventTypes(es[len(es)-2:]))
	var un struct {
		Count   int         `json:"count"`
		UserIDs []uuid.UUID `json:"userIds"`
	}
	require.NoError(t, json.Unmarshal(es[len(es)-1].Payload, &un))
	assert.Equal(t, 2, un.Count)
	assert.ElementsMatch(t, []uuid.UUID{u1.ID, u2.ID}, un.UserIDs)

	// An enabled user whose only role it is blocks the move, even confirmed.
	r2, err := f.svc.Create(f.ctx, bo, role.Input{Label: "Only role", CustomerID: f.a})
	require.NoError(t, err)
	u3 := f.user(f.a, true, r2.ID)
	f.user(f.sib, true, r2.ID) // already of the target customer: stays
	before = f.snapshot()
	_, err = f.svc.Update(f.ctx, bo, r2.ID, role.Patch{CustomerID: ptr(f.sib), ConfirmUnassign: true}, 1)
	assertViolation(t, err, "customerId", "last_role")
	var e *cu.Error
	require.True(t, errors.As(err, &e))
	assert.Equal(t, "You cannot remove last role from 1 enabled users", e.Violations[0].Message)
	f.unchanged(before)
	assert.Equal(t, []uuid.UUID{r2.ID}, f.getUser(u3.ID).RoleIDs)

	// Giving a predefined role a customer unassigns the other customers' users.
	p, err := f.svc.Create(f.ctx, bo, role.Input{Label: "Shared", SelfManaged: true, Public: true})
	require.NoError(t, err)
	inA := f.user(f.a, true, p.ID, f.buyer.ID)
	inS := f.user(f.sib, true, p.ID, f.buyer.ID)
	before = f.snapshot()
	_, err = f.svc.Update(f.ctx, bo, p.ID, role.Patch{CustomerID: ptr(f.a)}, 1)
	assertCode(t, err, cu.CodeConflict)
	assert.Contains(t, err.Error(), "1 users")
	f.unchanged(before)
	_, err = f.svc.Update(f.ctx, bo, p.ID, role.Patch{CustomerID: ptr(f.a), ConfirmUnassign: true}, 1)
	require.NoError(t, err)
	assert.Equal(t, []uuid.UUID{p.ID, f.buyer.ID}, f.getUser(inA.ID).RoleIDs)
	assert.Equal(t, []uuid.UUID{f.buyer.ID}, f.getUser(inS.ID).RoleIDs)

	// And back to predefined: nobody loses it.
	back, err := f.svc.Update(f.ctx, bo, p.ID, role.Patch{CustomerID: ptr(uuid.Nil)}, 2)
	require.NoError(t, err)
	assert.True(t, back.Predefined())
	assert.Equal(t, []uuid.UUID{p.ID, f.buyer.ID}, f.getUser(inA.ID).RoleIDs)
}

func TestDelete(t *testing.T) {
	f := newFixture(t)
	bo := f.backOffice()
	held, err := f.svc.Create(f.ctx, bo, role.Input{Label: "Held", CustomerID: f.a})
	require.NoError(t, err)
	f.user(f.a, false, held.ID)
	free, err := f.svc.Create(f.ctx, bo, role.Input{Label: "Free", CustomerID: f.a})
	require.NoError(t, err)

	before := f.snapshot()
	err = f.svc.Delete(f.ctx, bo, held.ID, 1)
	assertCode(t, err, cu.CodeConflict)
	assert.Contains(t, err.Error(), "1 users")
	err = f.svc.Delete(f.ctx, bo, f.buyer.ID, f.buyer.Version)
	assertCode(t, err, cu.CodeConflict)
	assert.Contains(t, err.Error(), "default role")
	err = f.svc.Delete(f.ctx, bo, free.ID, 7)
	assert.ErrorIs(t, err, cu.ErrStale)
	err = f.svc.Delete(f.ctx, bo, cu.NewID(), 1)
	assertCode(t, err, cu.CodeNotFound)
	f.unchanged(before)

	require.NoError(t, f.svc.Delete(f.ctx, bo, free.ID, 1))
	_, err = f.store.Roles().Get(f.ctx, f.org, free.ID)
	assert.ErrorIs(t, err, cu.ErrNotFound)
	es := f.events()
	assert.Equal(t, role.EventDeleted, es[len(es)-1].Type)
	assert.Equal(t, free.ID, es[len(es)-1].SubjectID)

	// The default role is configurable.
	svc := f.service(role.WithDefaultRoleCode(held.Code))
	assert.Equal(t, held.Code, svc.DefaultRoleCode())
	def, err := svc.DefaultRole(f.ctx, f.org)
	require.NoError(t, err)
	assert.Equal(t, held.ID, def.ID)
	require.NoError(t, svc.Delete(f.ctx, bo, f.buyer.ID, f.buyer.Version))
}

// storefront is a fixture with delegated administrators and roles of
// several customers.
type storefront struct {
	*fixture
	admin    cu.Actor // Administrator at A (corporate, every capability)
	dept     cu.Actor // department-level role manager at A
	viewer   cu.Actor // views roles at corporate, edits at department
	buyer    cu.Actor // plain buyer at A
	deptRole role.Role
	ofA      role.Role
	ofAA     role.Role
	ofSib    role.Role
	ofRoot   role.Role
	hiddenA  role.Role
	backA    role.Role
}

func newStorefront(t *testing.T) *storefront {
	f := newFixture(t)
	s := &storefront{fixture: f}
	s.deptRole = f.role("Dept manager", f.a, manager(role.LevelDepartment), role.CapManageRoles)
	viewerRole := f.role("Viewer editor", f.a, []role.Grant{
		g(role.ResourceCustomerUserRole, role.View, role.LevelCorporate),
		g(role.ResourceCustomerUserRole, role.Edit, role.LevelDepartment),
	}, role.CapManageRoles)
	s.admin = f.actor(f.a, f.admin.ID)
	s.dept = f.actor(f.a, s.deptRole.ID)
	s.viewer = f.actor(f.a, viewerRole.ID)
	s.buyer = f.actor(f.a, f.buyer.ID)
	small := []role.Grant{g(role.ResourceCustomerUserRole, role.View, role.LevelDepartment)}
	s.ofA = f.role("Of A", f.a, small)
	s.ofAA = f.role("Of AA", f.aa, small)
	s.ofSib = f.role("Of S", f.sib, small)
	s.ofRoot = f.role("Of Root", f.root, small)
	s.hiddenA = f.role("Hidden A", f.a, small)
	s.hiddenA.Public = false
	require.NoError(t, f.store.Roles().Update(f.ctx, s.hiddenA, 1))
	s.backA = f.role("Back office A", f.a, small)
	s.backA.SelfManaged = false
	require.NoError(t, f.store.Roles().Update(f.ctx, s.backA, 1))
	return s
}

func TestStorefrontVisibility(t *testing.T) {
	s := newStorefront(t)
	visible := map[uuid.UUID]bool{s.fixture.admin.ID: true, s.fixture.buyer.ID: true, s.ofA.ID: true, s.ofAA.ID: true, s.deptRole.ID: true}
	for _, r := range s.allRoles() {
		_, err := s.svc.Get(s.ctx, s.admin, r.ID)
		if visible[r.ID] || r.Label == "Viewer editor" {
			assert.NoError(t, err, r.Label)
		} else {
			assertCode(t, err, cu.CodeNotFound)
		}
	}
	page, err := s.svc.List(s.ctx, s.admin, role.Filter{}, cu.Page{})
	require.NoError(t, err)
	labels := []string{}
	for _, r := range page.Items {
		labels = append(labels, r.Label)
	}
	assert.Equal(t, []string{"Administrator", "Buyer", "Dept manager", "Of A", "Of AA", "Viewer editor"}, labels)

	page, err = s.svc.List(s.ctx, s.admin, role.Filter{CustomerID: s.sib, IncludePredefined: true}, cu.Page{})
	require.NoError(t, err)
	assert.ElementsMatch(t, []uuid.UUID{s.fixture.admin.ID, s.fixture.buyer.ID}, roleIDs(page.Items))
	page, err = s.svc.List(s.ctx, s.admin, role.Filter{CustomerID: s.sib}, cu.Page{})
	require.NoError(t, err)
	assert.Empty(t, page.Items)
	page, err = s.svc.List(s.ctx, s.admin, role.Filter{CustomerID: s.aa}, cu.Page{})
	require.NoError(t, err)
	assert.Equal(t, []uuid.UUID{s.ofAA.ID}, roleIDs(page.Items))
	page, err = s.svc.List(s.ctx, s.admin, role.Filter{PredefinedOnly: true}, cu.Page{})
	require.NoError(t, err)
	assert.ElementsMatch(t, []uuid.UUID{s.fixture.admin.ID, s.fixture.buyer.ID}, roleIDs(page.Items))

	// Department reach: the child customer's role is out of reach.
	_, err = s.svc.Get(s.ctx, s.dept, s.ofAA.ID)
	assertCode(t, err, cu.CodeNotFound)
	_, err = s.svc.Get(s.ctx, s.dept, s.ofA.ID)
	assert.NoError(t, err)
	page, err = s.svc.List(s.ctx, s.dept, role.Filter{}, cu.Page{})
	require.NoError(t, err)
	assert.NotContains(t, roleIDs(page.Items), s.ofAA.ID)
	assert.Contains(t, roleIDs(page.Items), s.ofA.ID)

	// Without manage_roles nothing is shown.
	_, err = s.svc.Get(s.ctx, s.buyer, s.ofA.ID)
	assertCode(t, err, cu.CodeForbidden)
	_, err = s.svc.List(s.ctx, s.buyer, role.Filter{}, cu.Page{})
	assertCode(t, err, cu.CodeForbidden)
	_, err = s.svc.List(s.ctx, cu.AnonymousActor(s.org), role.Filter{}, cu.Page{})
	assertCode(t, err, cu.CodeForbidden)

	// The back office sees everything; other organizations see nothing.
	page, err = s.svc.List(s.ctx, s.backOffice(), role.Filter{}, cu.Page{})
	require.NoError(t, err)
	assert.Len(t, page.Items, len(s.allRoles()))
	_, err = s.svc.Get(s.ctx, cu.BackOfficeActor(cu.NewID(), cu.NewID()), s.ofA.ID)
	assertCode(t, err, cu.CodeNotFound)
	_, err = s.svc.List(s.ctx, s.backOffice(), role.Filter{}, cu.Page{Limit: -1})
	assertViolation(t, err, "limit", "min")
}

func TestStorefrontCreate(t *testing.T) {
	s := newStorefront(t)
	r, err := s.svc.Create(s.ctx, s.admin, role.Input{Label: "Team lead",
		Grants: []role.Grant{g(role.ResourceCustomerUser, role.View, role.LevelCorporate)}, Capabilities: []string{role.CapManageUsers}})
	require.NoError(t, err)
	assert.Equal(t, s.a, r.CustomerID, "defaults to the actor's customer")
	assert.True(t, r.SelfManaged && r.Public, "storefront roles are self-managed and public")
	es := s.events()
	assert.Equal(t, cu.ActorCustomerUser, es[len(es)-1].Actor.Kind)

	r, err = s.svc.Create(s.ctx, s.admin, role.Input{Label: "Team lead", CustomerID: s.aaa})
	require.NoError(t, err)
	assert.Equal(t, s.aaa, r.CustomerID, "corporate reach covers any depth")

	tests := []struct {
		name  string
		actor cu.Actor
		in    role.Input
		field string
		rule  string
	}{
		{"sibling customer", s.admin, role.Input{Label: "Nope", CustomerID: s.sib}, "customerId", "not_found"},
		{"parent customer", s.admin, role.Input{Label: "Nope", CustomerID: s.root}, "customerId", "not_found"},
		{"unknown customer", s.admin, role.Input{Label: "Nope", CustomerID: cu.NewID()}, "customerId", "not_found"},
		{"child beyond department", s.dept, role.Input{Label: "Nope", CustomerID: s.aa}, "customerId", "not_found"},
		{"level above own", s.dept, role.Input{Label: "Nope", Grants: []role.Grant{
			g(role.ResourceCustomerUserRole, role.View, role.LevelDepartment),
			g(role.ResourceCustomerUserRole, role.Edit, role.LevelCorporate)}}, "grants[1]", "escalation"},
		{"permission it lacks", s.dept, role.Input{Label: "Nope", Grants: []role.Grant{
			g(role.ResourceCustomer, role.View, role.LevelDepartment)}}, "grants[0]", "escalation"},
		{"capability it lacks", s.dept, role.Input{Label: "Nope", Capabilities: []string{role.CapManageRoles, role.CapManageUsers}}, "capabilities[1]", "escalation"},
		{"label taken", s.dept, role.Input{Label: "of a"}, "label", "unique"},
	}
	for _, tt := range tests {
		before := s.snapshot()
		_, err := s.svc.Create(s.ctx, tt.actor, tt.in)
		assertViolation(t, err, tt.field, tt.rule)
		s.unchanged(before)
	}

	before := s.snapshot()
	_, err = s.svc.Create(s.ctx, s.buyer, role.Input{Label: "Nope"})
	assertCode(t, err, cu.CodeForbidden)
	_, err = s.svc.Create(s.ctx, s.viewer, role.Input{Label: "Nope"})
	assertCode(t, err, cu.CodeForbidden)
	_, err = s.svc.Create(s.ctx, cu.AnonymousActor(s.org), role.Input{Label: "Nope"})
	assertCode(t, err, cu.CodeForbidden)
	s.unchanged(before)

	// Within its own grants a department manager may create.
	r, err = s.svc.Create(s.ctx, s.dept, role.Input{Label: "Junior manager", Grants: []role.Grant{
		g(role.ResourceCustomerUserRole, role.View, role.LevelDepartment)}, Capabilities: []string{role.CapManageRoles}})
	require.NoError(t, err)
	assert.Equal(t, s.a, r.CustomerID)
}

func TestStorefrontUpdate(t *testing.T) {
	s := newStorefront(t)
	got, err := s.svc.Update(s.ctx, s.dept, s.ofA.ID, role.Patch{Label: ptr("Of A, renamed"), SelfManaged: ptr(true)}, 1)
	require.NoError(t, err)
	assert.Equal(t, "Of A, renamed", got.Label)

	tests := []struct {
		name  string
		actor cu.Actor
		id    uuid.UUID
		p     role.Patch
		field string
		rule  string
	}{
		{"level above own", s.dept, s.ofA.ID, role.Patch{Grants: &[]role.Grant{g(role.ResourceCustomerUserRole, role.View, role.LevelCorporate)}}, "grants[0]", "escalation"},
		{"capability it lacks", s.dept, s.ofA.ID, role.Patch{Capabilities: &[]string{role.CapManagePasswords}}, "capabilities[0]", "escalation"},
		{"hide the role", s.dept, s.ofA.ID, role.Patch{Public: ptr(false)}, "public", "not_allowed"},
		{"leave self-management", s.dept, s.ofA.ID, role.Patch{SelfManaged: ptr(false)}, "selfManaged", "not_allowed"},
		{"move out of reach", s.admin, s.ofA.ID, role.Patch{CustomerID: ptr(s.sib)}, "customerId", "not_found"},
		{"make it predefined", s.admin, s.ofA.ID, role.Patch{CustomerID: ptr(uuid.Nil)}, "customerId", "required"},
	}
	for _, tt := range tests {
		before := s.snapshot()
		_, err := s.svc.Update(s.ctx, tt.actor, tt.id, tt.p, 2)
		assertViolation(t, err, tt.field, tt.rule)
		s.unchanged(before)
	}

	before := s.snapshot()
	for name, tc := range map[string]struct {
		actor cu.Actor
		id    uuid.UUID
		code  cu.Code
	}{
		"non-public role":        {s.admin, s.hiddenA.ID, cu.CodeNotFound},
		"back-office-only role":  {s.admin, s.backA.ID, cu.CodeNotFound},
		"sibling's role":         {s.admin, s.ofSib.ID, cu.CodeNotFound},
		"parent's role":          {s.admin, s.ofRoot.ID, cu.CodeNotFound},
		"child role beyond dept": {s.dept, s.ofAA.ID, cu.CodeNotFound},
		"sees but may not edit":  {s.viewer, s.ofAA.ID, cu.CodeForbidden},
		"no manage_roles":        {s.buyer, s.ofA.ID, cu.CodeForbidden},
	} {
		_, err := s.svc.Update(s.ctx, tc.actor, tc.id, role.Patch{Label: ptr("Hacked")}, 1)
		assert.Equal(t, tc.code, cu.CodeOf(err), name)
	}
	s.unchanged(before)

	// Corporate managers move roles within their reach.
	moved, err := s.svc.Update(s.ctx, s.admin, s.ofA.ID, role.Patch{CustomerID: ptr(s.aa)}, 2)
	require.NoError(t, err)
	assert.Equal(t, s.aa, moved.CustomerID)
}

func TestStorefrontEditingPredefinedMakesACopy(t *testing.T) {
	s := newStorefront(t)
	uA := s.user(s.a, true, s.fixture.buyer.ID)
	uAA := s.user(s.aa, true, s.fixture.buyer.ID)
	uS := s.user(s.sib, true, s.fixture.buyer.ID)
	buyerBefore := s.getRole(s.fixture.buyer.ID)
	s.clock.Advance(time.Minute)

	c, err := s.svc.Update(s.ctx, s.admin, buyerBefore.ID, role.Patch{Label: ptr("Buyer of A"),
		Capabilities: &[]string{role.CapUpdateOwnProfile}}, buyerBefore.Version)
	require.NoError(t, err)
	assert.NotEqual(t, buyerBefore.ID, c.ID)
	assert.Equal(t, "BUYER_OF_A", c.Code)
	assert.Equal(t, "Buyer of A", c.Label)
	assert.Equal(t, s.a, c.CustomerID)
	assert.True(t, c.SelfManaged && c.Public)
	assert.Equal(t, buyerBefore.Grants, c.Grants)
	assert.Equal(t, []string{role.CapUpdateOwnProfile}, c.Capabilities)
	assert.Equal(t, int64(1), c.Version)
	assert.Equal(t, c, s.getRole(c.ID))

	assert.Equal(t, buyerBefore, s.getRole(buyerBefore.ID), "the predefined role is untouched")
	assert.Equal(t, []uuid.UUID{c.ID}, s.getUser(uA.ID).RoleIDs, "holders of the actor's customer move to the copy")
	assert.Equal(t, []uuid.UUID{buyerBefore.ID}, s.getUser(uAA.ID).RoleIDs)
	assert.Equal(t, []uuid.UUID{buyerBefore.ID}, s.getUser(uS.ID).RoleIDs)
	// The buyer actor of the storefront fixture held Buyer at A too.
	assert.Equal(t, []uuid.UUID{c.ID}, s.getUser(s.buyer.ID).RoleIDs)

	es := s.events()
	assert.Equal(t, []string{role.EventCreated, role.EventCopied}, eventTypes(es[len(es)-2:]))
	var copied struct {
		SourceID   uuid.UUID `json:"sourceId"`
		MovedUsers int       `json:"movedUsers"`
	}
	require.NoError(t, json.Unmarshal(es[len(es)-1].Payload, &copied))
	assert.Equal(t, buyerBefore.ID, copied.SourceID)
	assert.Equal(t, 2, copied.MovedUsers)

	// A copy keeps the original label unless told otherwise, so a second
	// plain copy in the same customer collides.
	_, err = s.svc.Update(s.ctx, s.admin, buyerBefore.ID, role.Patch{}, buyerBefore.Version)
	require.NoError(t, err)
	before := s.snapshot()
	_, err = s.svc.Update(s.ctx, s.admin, buyerBefore.ID, role.Patch{}, buyerBefore.Version)
	assertViolation(t, err, "label", "unique")
	s.unchanged(before)

	// Other refusals leave everything as it was.
	_, err = s.svc.Update(s.ctx, s.admin, buyerBefore.ID, role.Patch{Label: ptr("Elsewhere"), CustomerID: ptr(s.aa)}, buyerBefore.Version)
	assertViolation(t, err, "customerId", "not_allowed")
	_, err = s.svc.Update(s.ctx, s.admin, buyerBefore.ID, role.Patch{Label: ptr("Late")}, buyerBefore.Version+1)
	assert.ErrorIs(t, err, cu.ErrStale)
	_, err = s.svc.Update(s.ctx, s.dept, s.fixture.admin.ID, role.Patch{Label: ptr("My administrator")}, 1)
	assertViolation(t, err, "grants[0]", "escalation")
	_, err = s.svc.Update(s.ctx, s.viewer, buyerBefore.ID, role.Patch{Label: ptr("Viewer's buyer")}, 1)
	assertCode(t, err, cu.CodeForbidden)
	err = s.svc.Delete(s.ctx, s.admin, buyerBefore.ID, buyerBefore.Version)
	assertCode(t, err, cu.CodeForbidden)
	err = s.svc.Delete(s.ctx, s.admin, s.fixture.anonymous.ID, 1)
	assertCode(t, err, cu.CodeNotFound)
	s.unchanged(before)
}

func TestStorefrontDelete(t *testing.T) {
	s := newStorefront(t)
	before := s.snapshot()
	assertCode(t, s.svc.Delete(s.ctx, s.dept, s.ofAA.ID, 1), cu.CodeNotFound)
	assertCode(t, s.svc.Delete(s.ctx, s.admin, s.ofSib.ID, 1), cu.CodeNotFound)
	assertCode(t, s.svc.Delete(s.ctx, s.viewer, s.ofA.ID, 1), cu.CodeForbidden)
	assertCode(t, s.svc.Delete(s.ctx, s.dept, s.deptRole.ID, 1), cu.CodeConflict) // held by the actor
	s.unchanged(before)
	require.NoError(t, s.svc.Delete(s.ctx, s.dept, s.ofA.ID, 1))
	require.NoError(t, s.svc.Delete(s.ctx, s.admin, s.ofAA.ID, 1))
}

// expectedVersion 0 skips the optimistic check of Update and Delete.
func TestUpdateDeleteWithoutVersion(t *testing.T) {
	f := newFixture(t)
	bo := f.backOffice()
	r, err := f.svc.Create(f.ctx, bo, role.Input{Label: "Auditors", CustomerID: f.a})
	require.NoError(t, err)
	got, err := f.svc.Update(f.ctx, bo, r.ID, role.Patch{Label: ptr("Renamed")}, 1)
	require.NoError(t, err)
	require.EqualValues(t, 2, got.Version)

	got, err = f.svc.Update(f.ctx, bo, r.ID, role.Patch{Label: ptr("Unconditional")}, 0)
	require.NoError(t, err)
	assert.EqualValues(t, 3, got.Version, "written over the version it found")
	assert.Equal(t, "Unconditional", got.Label)
	stored, err := f.store.Roles().Get(f.ctx, f.org, r.ID)
	require.NoError(t, err)
	assert.Equal(t, got, stored)

	before := f.snapshot()
	_, err = f.svc.Update(f.ctx, bo, r.ID, role.Patch{Label: ptr("Late")}, 2)
	assert.ErrorIs(t, err, cu.ErrStale, "a stated version is still checked")
	assert.ErrorIs(t, f.svc.Delete(f.ctx, bo, r.ID, 2), cu.ErrStale)
	f.unchanged(before)

	require.NoError(t, f.svc.Delete(f.ctx, bo, r.ID, 0))
	_, err = f.store.Roles().Get(f.ctx, f.org, r.ID)
	assert.ErrorIs(t, err, cu.ErrNotFound)
	assert.ErrorIs(t, f.svc.Delete(f.ctx, bo, r.ID, 0), cu.ErrNotFound)
}
