package customeruser_test

import (
	"slices"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	cu "github.com/b2bkit/customerusers"
	"github.com/b2bkit/customerusers/customeruser"
	"github.com/b2bkit/customerusers/role"
)

// delTree is a customer tree with users: parent P and its child C, and an
// unrelated top-level customer O.
type delTree struct {
	p, c, o customeruser.Customer
	// deptRole administers users at department level and holds everything
	// the buyer role grants.
	deptRole role.Role
	// adminP is a corporate administrator of P (seeded Administrator),
	// deptP a department administrator of P, buyerP a buyer of P.
	adminP, deptP, buyerP customeruser.User
	userC, userO          customeruser.User
}

func newDelTree(h *harness) delTree {
	h.t.Helper()
	var t delTree
	t.p = h.customer("P", uuid.Nil)
	t.c = h.customer("C", t.p.ID)
	t.o = h.customer("O", uuid.Nil)
	grants := slices.Clone(h.buyerRole.Grants)
	for _, p := range []role.Permission{role.Create, role.Edit, role.Delete, role.Assign} {
		grants = append(grants, role.Grant{Resource: role.ResourceCustomerUser, Permission: p, Level: role.LevelDepartment})
	}
	caps := append(slices.Clone(h.buyerRole.Capabilities), role.CapManageUsers)
	t.deptRole = utRole(h, "Department admin", uuid.Nil, grants, caps...)
	t.adminP = h.user(t.p.ID, "admin.p@example.org", h.adminRole.ID)
	t.deptP = h.user(t.p.ID, "dept.p@example.org", t.deptRole.ID)
	t.buyerP = h.user(t.p.ID, "buyer.p@example.org")
	t.userC = h.user(t.c.ID, "user.c@example.org")
	t.userO = h.user(t.o.ID, "user.o@example.org")
	return t
}

// delIDs are the ids of a page of users.
func delIDs(t *testing.T, page cu.PageOf[customeruser.User], err error) []uuid.UUID {
	t.Helper()
	require.NoError(t, err)
	var ids []uuid.UUID
	for _, u := range page.Items {
		ids = append(ids, u.ID)
	}
	return ids
}

func TestDelegationReach(t *testing.T) {
	h := newHarness(t)
	tr := newDelTree(h)
	corp, dept, buyer := h.storefront(tr.adminP), h.storefront(tr.deptP), h.storefront(tr.buyerP)
	list := func(a cu.Actor, f customeruser.UserFilter) []uuid.UUID {
		page, err := h.svc.ListUsers(h.ctx, a, f, cu.Page{})
		return delIDs(t, page, err)
	}

	// Corporate reaches P and its child C, never O.
	assert.ElementsMatch(t, []uuid.UUID{tr.adminP.ID, tr.deptP.ID, tr.buyerP.ID, tr.userC.ID}, list(corp, customeruser.UserFilter{}))
	assert.Equal(t, []uuid.UUID{tr.userC.ID}, list(corp, customeruser.UserFilter{CustomerIDs: []uuid.UUID{tr.c.ID, tr.o.ID}}))
	assert.Empty(t, list(corp, customeruser.UserFilter{CustomerIDs: []uuid.UUID{tr.o.ID}}))
	assert.Empty(t, list(corp, customeruser.UserFilter{CustomerID: tr.o.ID}))
	_, err := h.svc.GetUser(h.ctx, corp, tr.userC.ID)
	assert.NoError(t, err)
	_, err = h.svc.GetUser(h.ctx, corp, tr.userO.ID)
	assert.ErrorIs(t, err, cu.ErrNotFound)

	// Department reaches P only.
	assert.ElementsMatch(t, []uuid.UUID{tr.adminP.ID, tr.deptP.ID, tr.buyerP.ID}, list(dept, customeruser.UserFilter{}))
	_, err = h.svc.GetUser(h.ctx, dept, tr.userC.ID)
	assert.ErrorIs(t, err, cu.ErrNotFound)
	_, err = h.svc.UpdateUser(h.ctx, dept, tr.userC.ID, customeruser.UserPatch{FirstName: utPtr("X")}, 0)
	assert.ErrorIs(t, err, cu.ErrNotFound)
	_, err = h.svc.DisableUser(h.ctx, dept, tr.userC.ID, 0)
	assert.ErrorIs(t, err, cu.ErrNotFound)

	// A buyer sees its colleagues but changes none of them.
	assert.ElementsMatch(t, []uuid.UUID{tr.adminP.ID, tr.deptP.ID, tr.buyerP.ID}, list(buyer, customeruser.UserFilter{}))
	before, events := utUsers(h), h.eventCount()
	_, err = h.svc.UpdateUser(h.ctx, buyer, tr.deptP.ID, customeruser.UserPatch{FirstName: utPtr("X")}, 0)
	assert.ErrorIs(t, err, cu.ErrForbidden)
	_, err = h.svc.DisableUser(h.ctx, buyer, tr.deptP.ID, 0)
	assert.ErrorIs(t, err, cu.ErrForbidden)
	assert.ErrorIs(t, h.svc.DeleteUser(h.ctx, buyer, tr.deptP.ID, 0), cu.ErrForbidden)
	_, err = h.svc.CreateUser(h.ctx, buyer, utInput(h, tr.p.ID, "new@example.org"))
	assert.ErrorIs(t, err, cu.ErrForbidden)
	utUnchanged(t, h, before, events)
}

func TestDelegationCreate(t *testing.T) {
	h := newHarness(t)
	tr := newDelTree(h)
	corp, dept := h.storefront(tr.adminP), h.storefront(tr.deptP)

	u, err := h.svc.CreateUser(h.ctx, corp, utInput(h, tr.c.ID, "new.c@example.org"))
	require.NoError(t, err)
	assert.Equal(t, corp.Ref(), utLast(t, h, u.ID).Actor)
	_, err = h.svc.CreateUser(h.ctx, dept, utInput(h, tr.p.ID, "new.p@example.org"))
	require.NoError(t, err)

	cases := []struct {
		name        string
		actor       cu.Actor
		edit        func(in *customeruser.CreateUserInput)
		field, rule string
	}{
		{"corporate outside its tree", corp, func(in *customeruser.CreateUserInput) { in.CustomerID = tr.o.ID }, "customerId", "out_of_reach"},
		{"department in a child", dept, func(in *customeruser.CreateUserInput) { in.CustomerID = tr.c.ID }, "customerId", "out_of_reach"},
		{"unknown customer looks out of reach", dept, func(in *customeruser.CreateUserInput) { in.CustomerID = uuid.New() }, "customerId", "out_of_reach"},
		{"sales representatives", corp, func(in *customeruser.CreateUserInput) { in.SalesRepIDs = []uuid.UUID{uuid.New()} }, "salesRepIds", "forbidden_field"},
		{"owner", corp, func(in *customeruser.CreateUserInput) { in.OwnerID = uuid.New() }, "ownerId", "forbidden_field"},
		{"addresses", corp, func(in *customeruser.CreateUserInput) { in.Addresses = []customeruser.Address{uaAddr()} }, "addresses", "forbidden_field"},
		{"external id", corp, func(in *customeruser.CreateUserInput) { in.ExternalID = "X" }, "externalId", "forbidden_field"},
		{"guest", corp, func(in *customeruser.CreateUserInput) { in.Guest = true }, "guest", "forbidden_field"},
		{"a role above its own", dept, func(in *customeruser.CreateUserInput) { in.RoleIDs = []uuid.UUID{h.adminRole.ID} }, "roleIds[0]", "not_assignable"},
		{"a non-public role", corp, func(in *customeruser.CreateUserInput) {
			in.Enabled, in.RoleIDs = utPtr(false), []uuid.UUID{h.anonymousRole.ID}
		}, "roleIds[0]", "not_assignable"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before, events := utUsers(h), h.eventCount()
			in := utInput(h, tr.p.ID, "refused@example.org")
			tc.edit(&in)
			_, err := h.svc.CreateUser(h.ctx, tc.actor, in)
			utInvalid(t, err, tc.field, tc.rule)
			utUnchanged(t, h, before, events)
		})
	}
}

func TestDelegationRoles(t *testing.T) {
	h := newHarness(t)
	tr := newDelTree(h)
	dept := h.storefront(tr.deptP)
	oRole := utRole(h, "O role", tr.o.ID, nil)
	pRole := utRole(h, "P role", tr.p.ID, []role.Grant{{Resource: role.ResourceCustomerUser, Permission: role.View, Level: role.LevelDepartment}})
	hidden, err := h.roles.Create(h.ctx, h.admin, role.Input{Label: "Back-office only", Public: true})
	require.NoError(t, err)
	require.False(t, hidden.SelfManaged)

	cases := []struct {
		name        string
		roles       []uuid.UUID
		field, rule string
	}{
		{"escalation: more than it holds", []uuid.UUID{h.buyerRole.ID, h.adminRole.ID}, "roleIds[1]", "not_assignable"},
		{"a non-public role", []uuid.UUID{h.buyerRole.ID, h.anonymousRole.ID}, "roleIds[1]", "not_assignable"},
		{"a role not self-managed", []uuid.UUID{hidden.ID}, "roleIds[0]", "not_assignable"},
		{"another customer's role", []uuid.UUID{h.buyerRole.ID, oRole.ID}, "roleIds[1]", "customer_mismatch"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before, events := utUsers(h), h.eventCount()
			_, err := h.svc.UpdateUser(h.ctx, dept, tr.buyerP.ID, customeruser.UserPatch{RoleIDs: &tc.roles}, 0)
			utInvalid(t, err, tc.field, tc.rule)
			utUnchanged(t, h, before, events)
		})
	}

	// Its own customer's self-managed public role, within its limits.
	res, err := h.svc.UpdateUser(h.ctx, dept, tr.buyerP.ID, customeruser.UserPatch{RoleIDs: &[]uuid.UUID{h.buyerRole.ID, pRole.ID}}, 0)
	require.NoError(t, err)
	assert.ElementsMatch(t, []uuid.UUID{h.buyerRole.ID, pRole.ID}, res.User.RoleIDs)

	// A role the user already holds may stay, even one the actor could not
	// give.
	_, err = h.svc.UpdateUser(h.ctx, h.admin, tr.buyerP.ID, customeruser.UserPatch{RoleIDs: &[]uuid.UUID{h.buyerRole.ID, h.adminRole.ID}}, 0)
	require.NoError(t, err)
	_, err = h.svc.UpdateUser(h.ctx, dept, tr.buyerP.ID, customeruser.UserPatch{
		FirstName: utPtr("Kept"), RoleIDs: &[]uuid.UUID{h.adminRole.ID, h.buyerRole.ID},
	}, 0)
	require.NoError(t, err)
}

func TestDelegationNeverItself(t *testing.T) {
	h := newHarness(t)
	tr := newDelTree(h)
	// adminP also holds the department-admin role, which grants
	// manage_users too.
	_, err := h.svc.UpdateUser(h.ctx, h.admin, tr.adminP.ID, customeruser.UserPatch{RoleIDs: &[]uuid.UUID{h.adminRole.ID, tr.deptRole.ID}}, 0)
	require.NoError(t, err)
	me := h.storefront(utGet(h, tr.adminP.ID))

	before, events := utUsers(h), h.eventCount()
	_, err = h.svc.DisableUser(h.ctx, me, tr.adminP.ID, 0)
	assert.ErrorIs(t, err, cu.ErrForbidden)
	assert.ErrorIs(t, h.svc.DeleteUser(h.ctx, me, tr.adminP.ID, 0), cu.ErrForbidden)
	_, err = h.svc.UpdateUser(h.ctx, me, tr.adminP.ID, customeruser.UserPatch{Enabled: utPtr(false)}, 0)
	assert.ErrorIs(t, err, cu.ErrForbidden)
	_, err = h.svc.UpdateUser(h.ctx, me, tr.adminP.ID, customeruser.UserPatch{RoleIDs: &[]uuid.UUID{h.buyerRole.ID}}, 0)
	assert.ErrorIs(t, err, cu.ErrForbidden, "its last roles granting manage_users")
	utUnchanged(t, h, before, events)

	// Dropping one of two admin roles is fine.
	res, err := h.svc.UpdateUser(h.ctx, me, tr.adminP.ID, customeruser.UserPatch{RoleIDs: &[]uuid.UUID{h.adminRole.ID}}, 0)
	require.NoError(t, err)
	me = h.storefront(res.User)
	_, err = h.svc.UpdateUser(h.ctx, me, tr.adminP.ID, customeruser.UserPatch{RoleIDs: &[]uuid.UUID{h.buyerRole.ID}}, 0)
	assert.ErrorIs(t, err, cu.ErrForbidden)

	// Others within reach it may disable and delete.
	_, err = h.svc.DisableUser(h.ctx, me, tr.userC.ID, 0)
	require.NoError(t, err)
	require.NoError(t, h.svc.DeleteUser(h.ctx, me, tr.userC.ID, 0))
}

func TestDelegationForbiddenFields(t *testing.T) {
	h := newHarness(t)
	tr := newDelTree(h)
	rep := uuid.New()
	_, err := h.svc.UpdateUser(h.ctx, h.admin, tr.buyerP.ID, customeruser.UserPatch{SalesRepIDs: &[]uuid.UUID{rep}, ExternalID: utPtr("E1")}, 0)
	require.NoError(t, err)
	corp := h.storefront(tr.adminP)

	for _, tc := range []struct {
		field string
		patch customeruser.UserPatch
	}{
		{"salesRepIds", customeruser.UserPatch{SalesRepIDs: &[]uuid.UUID{}}},
		{"ownerId", customeruser.UserPatch{OwnerID: utPtr(uuid.New())}},
		{"externalId", customeruser.UserPatch{ExternalID: utPtr("E2")}},
		{"guest", customeruser.UserPatch{Guest: utPtr(true)}},
	} {
		t.Run(tc.field, func(t *testing.T) {
			before, events := utUsers(h), h.eventCount()
			_, err := h.svc.UpdateUser(h.ctx, corp, tr.buyerP.ID, tc.patch, 0)
			utInvalid(t, err, tc.field, "forbidden_field")
			utUnchanged(t, h, before, events)
		})
	}

	// Sending the stored values back is not a change.
	_, err = h.svc.UpdateUser(h.ctx, corp, tr.buyerP.ID, customeruser.UserPatch{
		SalesRepIDs: &[]uuid.UUID{rep}, ExternalID: utPtr("E1"), FirstName: utPtr("Renamed"),
	}, 0)
	require.NoError(t, err)
}

func TestDelegationMoveUser(t *testing.T) {
	h := newHarness(t)
	tr := newDelTree(h)
	corp := h.storefront(tr.adminP)
	res, err := h.svc.UpdateUser(h.ctx, corp, tr.userC.ID, customeruser.UserPatch{CustomerID: &tr.p.ID}, 0)
	require.NoError(t, err)
	assert.Equal(t, tr.p.ID, res.User.CustomerID)

	before, events := utUsers(h), h.eventCount()
	_, err = h.svc.UpdateUser(h.ctx, corp, tr.userC.ID, customeruser.UserPatch{CustomerID: &tr.o.ID}, 0)
	utInvalid(t, err, "customerId", "out_of_reach")
	utUnchanged(t, h, before, events)
}

func TestDelegationOwnProfile(t *testing.T) {
	h := newHarness(t)
	tr := newDelTree(h)
	me := h.storefront(tr.buyerP) // buyer: update_own_profile, no edit on users

	got, err := h.svc.GetUser(h.ctx, me, tr.buyerP.ID)
	require.NoError(t, err)
	assert.Equal(t, tr.buyerP, got)

	res, err := h.svc.UpdateUser(h.ctx, me, tr.buyerP.ID, customeruser.UserPatch{
		FirstName: utPtr("Me"), Phone: utPtr("+1 555 000 1111"), Email: utPtr("me@example.org"),
		PreferredLocalizationID: utPtr(h.website.Localizations[1]),
	}, 0)
	require.NoError(t, err)
	assert.Equal(t, "Me", res.User.FirstName)
	assert.Equal(t, "me@example.org", res.User.Email)
	assert.Equal(t, me.Ref(), utLast(t, h, tr.buyerP.ID).Actor)

	for _, tc := range []struct {
		field string
		patch customeruser.UserPatch
	}{
		{"roleIds", customeruser.UserPatch{RoleIDs: &[]uuid.UUID{h.buyerRole.ID, tr.deptRole.ID}}},
		{"confirmed", customeruser.UserPatch{Confirmed: utPtr(false)}},
		{"websiteId", customeruser.UserPatch{WebsiteID: &h.website2.ID}},
		{"customerId", customeruser.UserPatch{CustomerID: &tr.c.ID}},
		{"password", customeruser.UserPatch{Password: utPtr("MyOwn12345")}},
	} {
		t.Run(tc.field, func(t *testing.T) {
			before, events := utUsers(h), h.eventCount()
			_, err := h.svc.UpdateUser(h.ctx, me, tr.buyerP.ID, tc.patch, 0)
			utInvalid(t, err, tc.field, "forbidden_field")
			utUnchanged(t, h, before, events)
		})
	}

	// Without update_own_profile (and without edit) not even that.
	viewOnly := utRole(h, "Viewer", uuid.Nil, []role.Grant{{Resource: role.ResourceCustomerUser, Permission: role.View, Level: role.LevelDepartment}})
	v := h.user(tr.p.ID, "viewer@example.org", viewOnly.ID)
	_, err = h.svc.UpdateUser(h.ctx, h.storefront(v), v.ID, customeruser.UserPatch{FirstName: utPtr("X")}, 0)
	assert.ErrorIs(t, err, cu.ErrForbidden)
}
