package role_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	cu "github.com/b2bkit/customerusers"
	"github.com/b2bkit/customerusers/customeruser"
	"github.com/b2bkit/customerusers/role"
	"github.com/b2bkit/customerusers/storage/memory"
)

func (f *fixture) grantsOf(actor cu.Actor) *role.Grants {
	f.t.Helper()
	gr, err := f.svc.Authorizer().Grants(f.ctx, actor)
	require.NoError(f.t, err)
	return gr
}

func TestGrantsCanAtEveryLevel(t *testing.T) {
	f := newFixture(t)
	me := cu.NewID()
	colleague := cu.NewID()
	targets := map[string]role.Target{
		"own record":      {OwnerUserID: me, CustomerID: f.a},
		"colleague":       {OwnerUserID: colleague, CustomerID: f.a},
		"child customer":  {OwnerUserID: cu.NewID(), CustomerID: f.aa},
		"grandchild":      {OwnerUserID: cu.NewID(), CustomerID: f.aaa},
		"parent customer": {OwnerUserID: cu.NewID(), CustomerID: f.root},
		"sibling":         {OwnerUserID: cu.NewID(), CustomerID: f.sib},
		"other tree":      {OwnerUserID: cu.NewID(), CustomerID: f.other},
		"no customer":     {OwnerUserID: cu.NewID()},
	}
	reach := map[role.Level][]string{
		role.LevelNone:       {},
		role.LevelUser:       {"own record"},
		role.LevelDepartment: {"own record", "colleague"},
		role.LevelCorporate:  {"own record", "colleague", "child customer", "grandchild"},
	}
	for level, want := range reach {
		{
			r := f.role("Level "+level.String(), uuid.Nil, []role.Grant{g(role.ResourceCustomerUserAddress, role.Edit, level)})
			gr := f.grantsOf(cu.Actor{Kind: cu.ActorCustomerUser, OrganizationID: f.org, ID: me, CustomerID: f.a, RoleIDs: []uuid.UUID{r.ID}})
			assert.Equal(t, level, gr.Level(role.ResourceCustomerUserAddress, role.Edit))
			for name, tg := range targets {
				assert.Equal(t, contains2(want, name), gr.Can(role.Edit, role.ResourceCustomerUserAddress, tg), "%s on %s", level, name)
				// Other permissions and resources are not granted.
				assert.False(t, gr.Can(role.View, role.ResourceCustomerUserAddress, tg))
				assert.False(t, gr.Can(role.Edit, role.ResourceCustomerUser, tg))
			}
		}
	}

	{ // unowned
		require.NoError(t, f.reg.Register(role.Resource{Name: "product", Ownership: role.Unowned, Permissions: []role.Permission{role.View, role.Edit}}))
		r := f.role("Catalog", uuid.Nil, []role.Grant{g("product", role.View, role.LevelFull)})
		gr := f.grantsOf(cu.CustomerUserActor(f.org, me, f.a, r.ID))
		for name, tg := range targets {
			assert.True(t, gr.Can(role.View, "product", tg), name)
			assert.False(t, gr.Can(role.Edit, "product", tg), name)
		}
		ids, all := gr.ReachCustomers("product", role.View)
		assert.True(t, all)
		assert.Empty(t, ids)
	}
}

func contains2(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

func TestGrantsReachHelpers(t *testing.T) {
	f := newFixture(t)
	r := f.role("Reach", uuid.Nil, []role.Grant{
		g(role.ResourceCustomerUser, role.View, role.LevelCorporate),
		g(role.ResourceCustomerUser, role.Edit, role.LevelDepartment),
		g(role.ResourceCustomerUserAddress, role.View, role.LevelUser),
	})
	gr := f.grantsOf(cu.CustomerUserActor(f.org, cu.NewID(), f.a, r.ID))

	ids, all := gr.ReachCustomers(role.ResourceCustomerUser, role.View)
	assert.False(t, all)
	assert.ElementsMatch(t, []uuid.UUID{f.a, f.aa, f.aaa}, ids)
	ids, all = gr.ReachCustomers(role.ResourceCustomerUser, role.Edit)
	assert.False(t, all)
	assert.Equal(t, []uuid.UUID{f.a}, ids)
	ids, all = gr.ReachCustomers(role.ResourceCustomerUserAddress, role.View)
	assert.False(t, all)
	assert.Empty(t, ids)

	assert.True(t, gr.InReach(role.LevelCorporate, f.aaa))
	assert.False(t, gr.InReach(role.LevelCorporate, f.root))
	assert.False(t, gr.InReach(role.LevelCorporate, f.sib))
	assert.True(t, gr.InReach(role.LevelDepartment, f.a))
	assert.False(t, gr.InReach(role.LevelDepartment, f.aa))
	assert.False(t, gr.InReach(role.LevelUser, f.a))
}

func TestGrantsAccumulateAcrossRoles(t *testing.T) {
	f := newFixture(t)
	r1 := f.role("One", uuid.Nil, []role.Grant{
		g(role.ResourceCustomerUser, role.View, role.LevelDepartment),
		g(role.ResourceCustomerUserAddress, role.Edit, role.LevelCorporate),
	}, role.CapManageUsers)
	r2 := f.role("Two", f.a, []role.Grant{
		g(role.ResourceCustomerUser, role.View, role.LevelCorporate),
		g(role.ResourceCustomerUserAddress, role.Edit, role.LevelUser),
		g(role.ResourceCustomer, role.View, role.LevelDepartment),
	}, role.CapManageRoles, role.CapManageUsers)
	gr := f.grantsOf(cu.CustomerUserActor(f.org, cu.NewID(), f.a, r1.ID, r2.ID))

	assert.Equal(t, role.LevelCorporate, gr.Level(role.ResourceCustomerUser, role.View), "widest wins")
	assert.Equal(t, role.LevelCorporate, gr.Level(role.ResourceCustomerUserAddress, role.Edit), "widest wins, whatever the order")
	assert.Equal(t, role.LevelDepartment, gr.Level(role.ResourceCustomer, role.View))
	assert.Equal(t, role.LevelNone, gr.Level(role.ResourceCustomer, role.Edit))
	assert.True(t, gr.Has(role.CapManageUsers))
	assert.True(t, gr.Has(role.CapManageRoles))
	assert.False(t, gr.Has(role.CapManagePasswords))
	assert.Len(t, gr.Roles(), 2)
	assert.True(t, gr.Can(role.View, role.ResourceCustomerUser, role.Target{CustomerID: f.aaa}))
}

func TestStaleRoleOfAnotherCustomerGrantsNothing(t *testing.T) {
	f := newFixture(t)
	foreign := f.role("Sibling admin", f.sib, manager(role.LevelCorporate), role.CapManageRoles)
	gr := f.grantsOf(cu.CustomerUserActor(f.org, cu.NewID(), f.a, foreign.ID))
	assert.Equal(t, role.LevelNone, gr.Level(role.ResourceCustomerUserRole, role.View))
	assert.False(t, gr.Has(role.CapManageRoles))
	assert.False(t, gr.Can(role.View, role.ResourceCustomerUser, role.Target{CustomerID: f.sib}))
	assert.False(t, gr.Can(role.View, role.ResourceCustomerUser, role.Target{CustomerID: f.a}))

	// The same role held by a user of its customer works.
	gr = f.grantsOf(cu.CustomerUserActor(f.org, cu.NewID(), f.sib, foreign.ID))
	assert.True(t, gr.Can(role.View, role.ResourceCustomerUser, role.Target{CustomerID: f.sib}))
}

func TestTrustedAndAnonymousGrants(t *testing.T) {
	f := newFixture(t)
	tg := role.Target{OwnerUserID: cu.NewID(), CustomerID: f.other}
	for _, a := range []cu.Actor{f.backOffice(), cu.SystemActor(f.org)} {
		gr := f.grantsOf(a)
		assert.True(t, gr.Can(role.Delete, role.ResourceCustomerUser, tg))
		assert.True(t, gr.Has("anything"))
		assert.Equal(t, role.LevelFull, gr.Level(role.ResourceCustomer, role.Edit))
		assert.True(t, gr.CanAssign(f.anonymous))
		assert.Empty(t, gr.Escalations(f.admin.Grants, f.admin.Capabilities))
	}
	gr := f.grantsOf(cu.AnonymousActor(f.org))
	assert.False(t, gr.Can(role.View, role.ResourceCustomerUser, tg))
	assert.False(t, gr.Has(role.CapUpdateOwnProfile))
	assert.False(t, gr.CanAssign(f.buyer))

	ok, err := f.svc.Authorizer().Can(f.ctx, cu.CustomerUserActor(f.org, cu.NewID(), f.a, f.buyer.ID), role.View, role.ResourceCustomerUser, role.Target{CustomerID: f.a})
	require.NoError(t, err)
	assert.True(t, ok)
}

func TestEscalations(t *testing.T) {
	f := newFixture(t)
	mine := f.role("Mine", f.a, append(manager(role.LevelDepartment), g(role.ResourceCustomerUserAddress, role.View, role.LevelUser)), role.CapManageRoles)
	gr := f.grantsOf(cu.CustomerUserActor(f.org, cu.NewID(), f.a, mine.ID))

	assert.Empty(t, gr.Escalations([]role.Grant{
		g(role.ResourceCustomerUserRole, role.View, role.LevelDepartment),
		g(role.ResourceCustomerUserAddress, role.View, role.LevelUser),
		g(role.ResourceCustomer, role.View, role.LevelNone),
	}, []string{role.CapManageRoles}))

	vs := gr.Escalations([]role.Grant{
		g(role.ResourceCustomerUserAddress, role.View, role.LevelUser),
		g(role.ResourceCustomerUserRole, role.View, role.LevelCorporate),
		g(role.ResourceCustomer, role.View, role.LevelDepartment),
	}, []string{role.CapManageRoles, role.CapManageUsers})
	require.Len(t, vs, 3)
	assert.Equal(t, cu.Violation{Field: "grants[1]", Rule: "escalation", Message: vs[0].Message}, vs[0])
	assert.Contains(t, vs[0].Message, "corporate")
	assert.Equal(t, "grants[2]", vs[1].Field)
	assert.Equal(t, "capabilities[1]", vs[2].Field)
	assert.Equal(t, "escalation", vs[2].Rule)
}

func TestCanAssign(t *testing.T) {
	f := newFixture(t)
	mine := f.role("Delegate", f.a, manager(role.LevelCorporate), role.CapManageRoles, role.CapManageUsers)
	gr := f.grantsOf(cu.CustomerUserActor(f.org, cu.NewID(), f.a, mine.ID))

	small := []role.Grant{g(role.ResourceCustomerUser, role.View, role.LevelDepartment)}
	notPublic := f.role("Hidden", f.a, small)
	notPublic.Public = false
	require.NoError(t, f.store.Roles().Update(f.ctx, notPublic, 1))
	notSelf := f.role("Back office only", f.a, small)
	notSelf.SelfManaged = false
	require.NoError(t, f.store.Roles().Update(f.ctx, notSelf, 1))

	tests := []struct {
		name string
		r    role.Role
		want bool
	}{
		{"own role", mine, true},
		{"predefined buyer", f.buyer, false}, // buyer grants addresses it does not hold
		{"predefined within own grants", f.role("Viewer", uuid.Nil, small), true},
		{"role of a child customer", f.role("Child", f.aa, small), true},
		{"role of a sibling", f.role("Sibling", f.sib, small), false},
		{"role of the parent", f.role("Parent", f.root, small), false},
		{"not public", f.getRole(notPublic.ID), false},
		{"not self-managed", f.getRole(notSelf.ID), false},
		{"anonymous role", f.anonymous, false},
		{"level above own", f.role("Wide", f.a, []role.Grant{g(role.ResourceCustomer, role.View, role.LevelDepartment)}), false},
		{"capability it lacks", f.role("Pw", f.a, nil, role.CapManagePasswords), false},
		{"administrator", f.admin, false},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, gr.CanAssign(tt.r), tt.name)
	}
	// Another organization's role is never assignable.
	foreign := mine
	foreign.OrganizationID = cu.NewID()
	assert.False(t, gr.CanAssign(foreign))
}

func TestExplain(t *testing.T) {
	f := newFixture(t)
	extra := f.role("Address keeper", f.a, []role.Grant{
		g(role.ResourceCustomerUserAddress, role.View, role.LevelDepartment),
		g(role.ResourceCustomerUser, role.View, role.LevelDepartment),
	}, role.CapUpdateOwnProfile, role.CapManagePasswords)
	stale := f.role("Stale", f.sib, []role.Grant{g(role.ResourceCustomer, role.View, role.LevelCorporate)}, role.CapManageRoles)
	actor := cu.CustomerUserActor(f.org, cu.NewID(), f.a, f.buyer.ID, extra.ID, stale.ID)

	e, err := f.svc.Explain(f.ctx, actor)
	require.NoError(t, err)
	assert.False(t, e.Trusted)
	require.Len(t, e.Roles, 3)
	assert.Equal(t, []string{"Address keeper", "Buyer", "Stale"}, []string{e.Roles[0].Label, e.Roles[1].Label, e.Roles[2].Label})
	assert.True(t, e.Roles[0].Effective)
	assert.False(t, e.Roles[2].Effective)
	assert.NotEmpty(t, e.Roles[2].Reason)

	perm := func(res string, p role.Permission) role.ExplainedPermission {
		for _, x := range e.Permissions {
			if x.Resource == res && x.Permission == p {
				return x
			}
		}
		t.Fatalf("no %s %s", res, p)
		return role.ExplainedPermission{}
	}
	buyerRef := role.RoleRef{ID: f.buyer.ID, Code: "BUYER", Label: "Buyer"}
	extraRef := role.RoleRef{ID: extra.ID, Code: extra.Code, Label: extra.Label}
	assert.Equal(t, role.ExplainedPermission{Resource: role.ResourceCustomerUserAddress, Permission: role.View,
		Level: role.LevelDepartment, GrantedBy: []role.RoleRef{extraRef}}, perm(role.ResourceCustomerUserAddress, role.View),
		"only the role granting the widest level is named")
	assert.Equal(t, []role.RoleRef{extraRef, buyerRef}, perm(role.ResourceCustomerUser, role.View).GrantedBy, "ties name every role")
	assert.Equal(t, []role.RoleRef{buyerRef}, perm(role.ResourceCustomerUserAddress, role.Edit).GrantedBy)
	assert.Equal(t, role.LevelUser, perm(role.ResourceCustomerUserAddress, role.Edit).Level)
	none := perm(role.ResourceCustomer, role.View)
	assert.Equal(t, role.LevelNone, none.Level, "the stale role grants nothing")
	assert.Empty(t, none.GrantedBy)
	assert.Len(t, e.Permissions, 30, "every registered permission is listed")
	assert.Equal(t, role.ResourceCustomerUser, e.Permissions[0].Resource)

	require.Len(t, e.Capabilities, 7)
	caps := map[string]role.ExplainedCapability{}
	for _, c := range e.Capabilities {
		caps[c.Capability] = c
	}
	assert.Equal(t, []role.RoleRef{extraRef, buyerRef}, caps[role.CapUpdateOwnProfile].GrantedBy)
	assert.True(t, caps[role.CapManagePasswords].Granted)
	assert.False(t, caps[role.CapManageRoles].Granted, "the stale role gives no capability")
	assert.Empty(t, caps[role.CapManageRoles].GrantedBy)

	// JSON is camelCase, levels by name, and stable.
	b, err := json.Marshal(e)
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(b, &m))
	assert.Contains(t, m, "permissions")
	first := m["permissions"].([]any)[0].(map[string]any)
	assert.Equal(t, "customer_user", first["resource"])
	assert.Equal(t, "department", first["level"])
	assert.Contains(t, first, "grantedBy")
	e2, err := f.svc.Explain(f.ctx, actor)
	require.NoError(t, err)
	b2, err := json.Marshal(e2)
	require.NoError(t, err)
	assert.Equal(t, string(b), string(b2))

	// Trusted actors get everything, from no role.
	e, err = f.svc.Explain(f.ctx, f.backOffice())
	require.NoError(t, err)
	assert.True(t, e.Trusted)
	assert.Empty(t, e.Roles)
	for _, p := range e.Permissions {
		assert.Equal(t, role.LevelCorporate, p.Level)
		assert.Empty(t, p.GrantedBy)
	}
	for _, c := range e.Capabilities {
		assert.True(t, c.Granted)
	}
}

func TestScopesNarrowGrants(t *testing.T) {
	ctx := context.Background()
	s := memory.New()
	org := cu.NewID()
	now := time.Now().UTC()
	c := customeruser.Customer{ID: cu.NewID(), OrganizationID: org, Name: "C", CreatedAt: now, UpdatedAt: now, Version: 1}
	require.NoError(t, s.Customers().Create(ctx, c))
	r := role.Role{ID: cu.NewID(), OrganizationID: org, Code: "R", Label: "Role", Version: 1,
		Grants: []role.Grant{
			{Resource: role.ResourceCustomerUser, Permission: role.View, Level: role.LevelDepartment},
			{Resource: role.ResourceCustomerUser, Permission: role.Edit, Level: role.LevelDepartment},
		},
		Capabilities: []string{role.CapManageUsers, role.CapManageRoles}}
	require.NoError(t, s.Roles().Create(ctx, r))
	authz := role.NewAuthorizer(s.Roles(), s.Customers())
	target := role.Target{OwnerUserID: cu.NewID(), CustomerID: c.ID}

	actor := cu.CustomerUserActor(org, cu.NewID(), c.ID, r.ID)
	full, err := authz.Grants(ctx, actor)
	require.NoError(t, err)
	assert.True(t, full.Can(role.Edit, role.ResourceCustomerUser, target))
	assert.True(t, full.Has(role.CapManageRoles))

	actor.Scopes = []string{role.Scope(role.ResourceCustomerUser, role.View), role.CapManageUsers}
	narrow, err := authz.Grants(ctx, actor)
	require.NoError(t, err)
	assert.True(t, narrow.Can(role.View, role.ResourceCustomerUser, target))
	assert.False(t, narrow.Can(role.Edit, role.ResourceCustomerUser, target), "edit is outside the scopes")
	assert.True(t, narrow.Has(role.CapManageUsers))
	assert.False(t, narrow.Has(role.CapManageRoles), "a capability outside the scopes is dropped")

	actor.Scopes = []string{}
	none, err := authz.Grants(ctx, actor)
	require.NoError(t, err)
	assert.False(t, none.Can(role.View, role.ResourceCustomerUser, target), "empty scopes grant nothing")
}
