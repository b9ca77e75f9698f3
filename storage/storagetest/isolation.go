package storagetest

import (
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	cu "github.com/b2bkit/customerusers"
	"github.com/b2bkit/customerusers/customeruser"
	"github.com/b2bkit/customerusers/role"
)

func isolationCases() []testCase {
	return []testCase{
		{"Organizations", isolationOrganizations},
	}
}

// orgData is the same data set, created in one organization.
type orgData struct {
	org          uuid.UUID
	root, child  customeruser.Customer
	pre, own     role.Role
	user, guest  customeruser.User
	tok          customeruser.Token
	attempt      customeruser.LoginAttempt
	ev           cu.Event
	allUsers     []uuid.UUID
	allCustomers []uuid.UUID
	allRoles     []uuid.UUID
}

// website is shared by both organizations' users (host ids need not be
// unique across organizations).
var website = uuid.MustParse("0190a3c4-0000-7000-8000-00000000beef")

func (e *env) seedOrg(org uuid.UUID) orgData {
	t := e.t
	d := orgData{org: org}
	d.root = e.customer(org, uuid.Nil, "Acme", func(c *customeruser.Customer) { c.ExternalID = "EXT-1" })
	d.child = e.customer(org, d.root.ID, "Acme Child", func(c *customeruser.Customer) { c.ExternalID = "EXT-2" })
	d.pre = e.role(org, uuid.Nil, "Buyer", func(r *role.Role) { r.Code = "ROLE_FRONTEND_BUYER" })
	d.own = e.role(org, d.root.ID, "Buyer", func(r *role.Role) { r.Code = "ROLE_FRONTEND_BUYER_ACME" })
	d.user = e.user(org, d.child.ID, "Same@Example.com", func(u *customeruser.User) {
		u.RoleIDs = []uuid.UUID{d.pre.ID, d.own.ID}
		u.ExternalID = "U-1"
		u.WebsiteID = website
		u.CreatedAt = base.Add(time.Hour)
	})
	d.guest = e.user(org, d.root.ID, "same@example.com", func(u *customeruser.User) {
		u.Guest = true
		u.WebsiteID = website
		u.Enabled = false
	})
	d.tok = e.token(org, d.user.ID, customeruser.PurposeSetPassword)
	d.attempt = customeruser.LoginAttempt{ID: cu.NewID(), OrganizationID: org, UserID: d.user.ID, Email: d.user.Email, At: base.Add(time.Minute), Reason: "wrong_password"}
	require.NoError(t, e.Attempts.Record(e.ctx, d.attempt))
	d.ev = event(org, "customer_user", d.user.ID, "customer_user.created", base, nil)
	require.NoError(t, e.Events.Append(e.ctx, d.ev))
	d.allUsers = []uuid.UUID{d.user.ID, d.guest.ID}
	d.allCustomers = []uuid.UUID{d.root.ID, d.child.ID}
	d.allRoles = []uuid.UUID{d.pre.ID, d.own.ID}
	return d
}

// From organization B nothing of organization A is visible or changeable,
// by any method, even with A's ids; equal values (e-mail, role code and
// label, external ids) in the two organizations do not conflict.
func isolationOrganizations(e *env) {
	t := e.t
	a := e.seedOrg(cu.NewID())
	b := e.seedOrg(cu.NewID())
	ctx, org := e.ctx, b.org
	var err error

	// ---- roles ----
	_, err = e.Roles.Get(ctx, org, a.pre.ID)
	requireCode(t, err, cu.ErrNotFound, "Roles.Get")
	got, err := e.Roles.GetByCode(ctx, org, a.pre.Code)
	require.NoError(t, err)
	assert.Equal(t, b.pre.ID, got.ID, "Roles.GetByCode finds B's role")
	many, err := e.Roles.GetMany(ctx, org, append(slices.Clone(a.allRoles), b.pre.ID))
	require.NoError(t, err)
	sameIDs(t, []uuid.UUID{b.pre.ID}, roleIDs(many), "Roles.GetMany")
	assertListsHide(t, "Roles.List", map[string]role.Filter{
		"none":          {},
		"customer":      {CustomerID: a.root.ID, IncludePredefined: true},
		"predefined":    {PredefinedOnly: true},
		"label":         {Label: "buyer"},
		"ids":           {IDs: a.allRoles},
		"storefront":    {Storefront: true},
		"customer only": {CustomerID: a.root.ID},
		"customers":     {CustomerIDs: a.allCustomers, IncludePredefined: true},
	}, func(f role.Filter) []uuid.UUID { return roleIDs(e.listRoles(org, f)) }, a.allRoles)
	sameIDs(t, b.allRoles, roleIDs(e.listRoles(org, role.Filter{})))
	x := a.pre
	x.OrganizationID = org
	x.Label = "Hijacked"
	requireCode(t, e.Roles.Update(ctx, x, x.Version), cu.ErrNotFound, "Roles.Update")
	requireCode(t, e.Roles.Delete(ctx, org, a.pre.ID), cu.ErrNotFound, "Roles.Delete")

	// ---- customers ----
	_, err = e.Customers.Get(ctx, org, a.root.ID)
	requireCode(t, err, cu.ErrNotFound, "Customers.Get")
	cs, err := e.Customers.GetMany(ctx, org, append(slices.Clone(a.allCustomers), b.root.ID))
	require.NoError(t, err)
	sameIDs(t, []uuid.UUID{b.root.ID}, customerIDs(cs), "Customers.GetMany")
	assertListsHide(t, "Customers.List", map[string]customeruser.CustomerFilter{
		"none":      {},
		"parent":    {ParentID: a.root.ID},
		"top level": {TopLevel: true},
		"subtree":   {SubtreeOf: a.root.ID},
		"name":      {Name: "acme"},
		"ids":       {IDs: a.allCustomers},
	}, func(f customeruser.CustomerFilter) []uuid.UUID { return customerIDs(e.listCustomers(org, f)) }, a.allCustomers)
	sameIDs(t, b.allCustomers, customerIDs(e.listCustomers(org, customeruser.CustomerFilter{})))
	xc := a.root
	xc.OrganizationID = org
	xc.Name = "Hijacked"
	requireCode(t, e.Customers.Update(ctx, xc, xc.Version), cu.ErrNotFound, "Customers.Update")
	requireCode(t, e.Customers.Delete(ctx, org, a.child.ID), cu.ErrNotFound, "Customers.Delete")
	ids, err := e.Customers.Subtree(ctx, org, a.root.ID)
	notFoundOrEmpty(t, ids, err, "Customers.Subtree")
	ids, err = e.Customers.Ancestors(ctx, org, a.child.ID)
	notFoundOrEmpty(t, ids, err, "Customers.Ancestors")
	n, err := e.Customers.CountChildren(ctx, org, a.root.ID)
	if err != nil {
		require.ErrorIs(t, err, cu.ErrNotFound, "Customers.CountChildren")
	} else {
		assert.Zero(t, n, "Customers.CountChildren")
	}

	// ---- users ----
	_, err = e.Users.Get(ctx, org, a.user.ID)
	requireCode(t, err, cu.ErrNotFound, "Users.Get")
	u, err := e.Users.GetByEmailKey(ctx, org, a.user.EmailKey)
	require.NoError(t, err)
	assert.Equal(t, b.user.ID, u.ID, "Users.GetByEmailKey finds B's user")
	assertListsHide(t, "Users.List", map[string]customeruser.UserFilter{
		"none":         {},
		"customer":     {CustomerID: a.child.ID},
		"subtree":      {SubtreeOf: a.root.ID},
		"customer ids": {CustomerIDs: a.allCustomers},
		"email":        {Email: "same@"},
		"name":         {Name: "same"},
		"q":            {Q: "same"},
		"enabled":      {Enabled: ptr(true)},
		"disabled":     {Enabled: ptr(false)},
		"confirmed":    {Confirmed: ptr(true)},
		"guest":        {Guest: ptr(true)},
		"auth status":  {AuthStatus: customeruser.AuthActive},
		"role":         {RoleID: a.pre.ID},
		"website":      {WebsiteID: website},
		"created":      {CreatedFrom: base, CreatedTo: base.Add(2 * time.Hour)},
		"ids":          {IDs: a.allUsers},
	}, func(f customeruser.UserFilter) []uuid.UUID { return userIDs(e.listUsers(org, f)) }, a.allUsers)
	sameIDs(t, b.allUsers, userIDs(e.listUsers(org, customeruser.UserFilter{})))
	xu := a.user
	xu.OrganizationID = org
	xu.FirstName = "Hijacked"
	requireCode(t, e.Users.Update(ctx, xu, xu.Version), cu.ErrNotFound, "Users.Update")
	xu.LoginCount = 1000
	requireCode(t, e.Users.Touch(ctx, xu), cu.ErrNotFound, "Users.Touch")
	requireCode(t, e.Users.Delete(ctx, org, a.user.ID), cu.ErrNotFound, "Users.Delete")
	n, err = e.Users.CountByCustomer(ctx, org, a.child.ID)
	require.NoError(t, err)
	assert.Zero(t, n, "Users.CountByCustomer")

	// ---- holders ----
	n, err = e.Users.CountHolders(ctx, org, a.pre.ID)
	require.NoError(t, err)
	assert.Zero(t, n, "CountHolders")
	hs, err := e.Users.HoldersOutside(ctx, org, a.pre.ID, b.root.ID)
	require.NoError(t, err)
	assert.Empty(t, hs, "HoldersOutside")
	if err := e.Users.Unassign(ctx, org, a.pre.ID, []uuid.UUID{a.user.ID}); err != nil {
		require.ErrorIs(t, err, cu.ErrNotFound, "Unassign")
	}
	if err := e.Users.Unassign(ctx, org, b.pre.ID, []uuid.UUID{a.user.ID, b.user.ID}); err != nil {
		require.ErrorIs(t, err, cu.ErrNotFound, "Unassign")
	}
	if n, err := e.Users.Replace(ctx, org, a.pre.ID, b.own.ID, a.allCustomers); err != nil {
		require.ErrorIs(t, err, cu.ErrNotFound, "Replace")
	} else {
		assert.Zero(t, n, "Replace")
	}
	if n, err := e.Users.Replace(ctx, org, a.own.ID, b.own.ID, []uuid.UUID{a.child.ID, b.child.ID}); err != nil {
		require.ErrorIs(t, err, cu.ErrNotFound, "Replace")
	} else {
		assert.Zero(t, n, "Replace")
	}

	// ---- tokens, attempts, events ----
	_, err = e.Tokens.Consume(ctx, org, a.tok.Purpose, a.tok.Hash)
	requireCode(t, err, cu.ErrNotFound, "Tokens.Consume")
	require.NoError(t, e.Tokens.DeleteForUser(ctx, org, a.user.ID))
	fails, last, err := e.Attempts.Failures(ctx, org, a.user.ID, base)
	require.NoError(t, err)
	assert.Zero(t, fails, "Attempts.Failures")
	assert.True(t, last.IsZero(), "Attempts.Failures")
	ap, err := e.Attempts.List(ctx, org, a.user.ID, cu.Page{})
	require.NoError(t, err)
	assert.Empty(t, ap.Items, "Attempts.List")
	ev, err := e.Events.List(ctx, org, cu.EventFilter{SubjectType: "customer_user", SubjectID: a.user.ID}, cu.Page{})
	require.NoError(t, err)
	assert.Empty(t, ev.Items, "Events.List")

	// ---- A is intact ----
	e.assertOrgIntact(a)
	// B lost only its own r1 (the Unassign above).
	bu := e.getUser(org, b.user.ID)
	sameIDs(t, []uuid.UUID{b.own.ID}, bu.RoleIDs)
	assert.True(t, e.consumable(b.tok))
}

func (e *env) assertOrgIntact(d orgData) {
	t := e.t
	t.Helper()
	assert.Equal(t, normRole(d.pre), normRole(e.getRole(d.org, d.pre.ID)))
	assert.Equal(t, normRole(d.own), normRole(e.getRole(d.org, d.own.ID)))
	assert.Equal(t, normCustomer(d.root), normCustomer(e.getCustomer(d.org, d.root.ID)))
	assert.Equal(t, normCustomer(d.child), normCustomer(e.getCustomer(d.org, d.child.ID)))
	assert.Equal(t, normUser(d.user), normUser(e.getUser(d.org, d.user.ID)))
	assert.Equal(t, normUser(d.guest), normUser(e.getUser(d.org, d.guest.ID)))
	n, _, err := e.Attempts.Failures(e.ctx, d.org, d.user.ID, base)
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	ev, err := e.Events.List(e.ctx, d.org, cu.EventFilter{SubjectType: "customer_user", SubjectID: d.user.ID}, cu.Page{})
	require.NoError(t, err)
	require.Len(t, ev.Items, 1)
	assert.Equal(t, normEvent(d.ev), normEvent(ev.Items[0]))
	tok, err := e.Tokens.Consume(e.ctx, d.org, d.tok.Purpose, d.tok.Hash)
	require.NoError(t, err, "A's token is still there")
	assert.Equal(t, normToken(d.tok), normToken(tok))
}
