package storagetest

import (
	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	cu "github.com/b2bkit/customerusers"
	"github.com/b2bkit/customerusers/customeruser"
	"github.com/b2bkit/customerusers/role"
)

// The user repository answers the role-holder questions of the role
// lifecycle.
var _ role.Holders = customeruser.UserRepository(nil)

func holderCases() []testCase {
	return []testCase{
		{"CountAndOutside", holdersCount},
		{"Unassign", holdersUnassign},
		{"Replace", holdersReplace},
	}
}

// holderFixture: three customers, three roles and five users:
//
//	a: c1, r1, enabled      b: c1, r1 r2, enabled    c: c2, r1, disabled
//	d: c3, r1 r2 r3, enabled                         e: c2, r2, enabled
type holderFixture struct {
	c1, c2, c3    customeruser.Customer
	r1, r2, r3    role.Role
	a, b, c, d, x customeruser.User // x is "e"
}

func (e *env) holderFixture() holderFixture {
	var f holderFixture
	f.c1 = e.customer(e.org, uuid.Nil, "C1")
	f.c2 = e.customer(e.org, uuid.Nil, "C2")
	f.c3 = e.customer(e.org, f.c1.ID, "C3")
	f.r1 = e.role(e.org, uuid.Nil, "R1")
	f.r2 = e.role(e.org, uuid.Nil, "R2")
	f.r3 = e.role(e.org, uuid.Nil, "R3")
	roles := func(ids ...uuid.UUID) func(*customeruser.User) {
		return func(u *customeruser.User) { u.RoleIDs = ids }
	}
	f.a = e.user(e.org, f.c1.ID, "a@example.com", roles(f.r1.ID))
	f.b = e.user(e.org, f.c1.ID, "b@example.com", roles(f.r1.ID, f.r2.ID))
	f.c = e.user(e.org, f.c2.ID, "c@example.com", roles(f.r1.ID), func(u *customeruser.User) { u.Enabled = false })
	f.d = e.user(e.org, f.c3.ID, "d@example.com", roles(f.r1.ID, f.r2.ID, f.r3.ID))
	f.x = e.user(e.org, f.c2.ID, "e@example.com", roles(f.r2.ID))
	return f
}

func (e *env) countHolders(roleID uuid.UUID) int {
	e.t.Helper()
	n, err := e.Users.CountHolders(e.ctx, e.org, roleID)
	require.NoError(e.t, err)
	return n
}

func holdersCount(e *env) {
	t := e.t
	f := e.holderFixture()
	assert.Equal(t, 4, e.countHolders(f.r1.ID))
	assert.Equal(t, 3, e.countHolders(f.r2.ID))
	assert.Equal(t, 1, e.countHolders(f.r3.ID))
	assert.Equal(t, 0, e.countHolders(cu.NewID()))

	outside := func(roleID, customerID uuid.UUID) []role.Holder {
		hs, err := e.Users.HoldersOutside(e.ctx, e.org, roleID, customerID)
		require.NoError(t, err)
		return hs
	}
	assert.ElementsMatch(t, []role.Holder{
		{UserID: f.c.ID, CustomerID: f.c2.ID, Enabled: false, RoleCount: 1},
		{UserID: f.d.ID, CustomerID: f.c3.ID, Enabled: true, RoleCount: 3},
	}, outside(f.r1.ID, f.c1.ID), "holders of r1 outside c1 (a child customer is outside too)")
	assert.ElementsMatch(t, []role.Holder{
		{UserID: f.b.ID, CustomerID: f.c1.ID, Enabled: true, RoleCount: 2},
		{UserID: f.d.ID, CustomerID: f.c3.ID, Enabled: true, RoleCount: 3},
	}, outside(f.r2.ID, f.c2.ID))
	assert.Empty(t, outside(f.r3.ID, f.c3.ID))
	assert.Len(t, outside(f.r1.ID, uuid.Nil), 4, "outside no customer: every holder")

	// Counts follow updates and deletes.
	d := f.d
	d.RoleIDs = []uuid.UUID{f.r3.ID}
	require.NoError(t, e.Users.Update(e.ctx, d, d.Version))
	require.NoError(t, e.Users.Delete(e.ctx, e.org, f.a.ID))
	assert.Equal(t, 2, e.countHolders(f.r1.ID))
	assert.Equal(t, 2, e.countHolders(f.r2.ID))
	assert.Equal(t, []role.Holder{{UserID: f.d.ID, CustomerID: f.c3.ID, Enabled: true, RoleCount: 1}}, outside(f.r3.ID, f.c1.ID))
}

// assertOnlyRolesChanged asserts that got is before with roles and a
// version one higher (UpdatedAt is the storage's business).
func assertOnlyRolesChanged(t assert.TestingT, before, got customeruser.User, roles []uuid.UUID, msg string) {
	want := before
	want.RoleIDs = roles
	want.Version = before.Version + 1
	want.UpdatedAt = got.UpdatedAt
	assert.Equal(t, normUser(want), normUser(got), msg)
}

func holdersUnassign(e *env) {
	t := e.t
	f := e.holderFixture()
	require.NoError(t, e.Users.Unassign(e.ctx, e.org, f.r1.ID, []uuid.UUID{f.c.ID, f.d.ID}))

	assertOnlyRolesChanged(t, f.c, e.getUser(e.org, f.c.ID), nil, "c lost r1")
	assertOnlyRolesChanged(t, f.d, e.getUser(e.org, f.d.ID), []uuid.UUID{f.r2.ID, f.r3.ID}, "d lost only r1")
	for _, u := range []customeruser.User{f.a, f.b, f.x} {
		assert.Equal(t, normUser(u), normUser(e.getUser(e.org, u.ID)), "%s is untouched", u.Email)
	}
	assert.Equal(t, 2, e.countHolders(f.r1.ID))
	assert.Equal(t, 3, e.countHolders(f.r2.ID))

	// The bumped version is the one to update with.
	d := e.getUser(e.org, f.d.ID)
	requireCode(t, e.Users.Update(e.ctx, d, f.d.Version), cu.ErrStale)
	require.NoError(t, e.Users.Update(e.ctx, d, d.Version))

	// Unassigning from a user who does not hold the role changes its roles
	// in no way; no users is a no-op.
	require.NoError(t, e.Users.Unassign(e.ctx, e.org, f.r3.ID, []uuid.UUID{f.x.ID}))
	sameIDs(t, []uuid.UUID{f.r2.ID}, e.getUser(e.org, f.x.ID).RoleIDs)
	require.NoError(t, e.Users.Unassign(e.ctx, e.org, f.r2.ID, nil))
	assert.Equal(t, 3, e.countHolders(f.r2.ID))
}

func holdersReplace(e *env) {
	t := e.t
	f := e.holderFixture()
	n, err := e.Users.Replace(e.ctx, e.org, f.r2.ID, f.r3.ID, []uuid.UUID{f.c1.ID, f.c3.ID})
	require.NoError(t, err)
	assert.Equal(t, 2, n, "b and d changed")

	assertOnlyRolesChanged(t, f.b, e.getUser(e.org, f.b.ID), []uuid.UUID{f.r1.ID, f.r3.ID}, "b: r2 became r3")
	// d held r3 already: it holds it once.
	assertOnlyRolesChanged(t, f.d, e.getUser(e.org, f.d.ID), []uuid.UUID{f.r1.ID, f.r3.ID}, "d: r2 gone, r3 once")
	for _, u := range []customeruser.User{f.a, f.c, f.x} {
		assert.Equal(t, normUser(u), normUser(e.getUser(e.org, u.ID)), "%s is untouched", u.Email)
	}
	assert.Equal(t, 1, e.countHolders(f.r2.ID), "e (customer c2) keeps r2")
	assert.Equal(t, 2, e.countHolders(f.r3.ID))
	hs, err := e.Users.HoldersOutside(e.ctx, e.org, f.r3.ID, f.c2.ID)
	require.NoError(t, err)
	assert.ElementsMatch(t, []role.Holder{
		{UserID: f.b.ID, CustomerID: f.c1.ID, Enabled: true, RoleCount: 2},
		{UserID: f.d.ID, CustomerID: f.c3.ID, Enabled: true, RoleCount: 2},
	}, hs)

	// Nothing to replace.
	n, err = e.Users.Replace(e.ctx, e.org, f.r2.ID, f.r3.ID, []uuid.UUID{f.c1.ID})
	require.NoError(t, err)
	assert.Zero(t, n)
	n, err = e.Users.Replace(e.ctx, e.org, f.r2.ID, f.r3.ID, nil)
	require.NoError(t, err)
	assert.Zero(t, n, "no customers, no users")
	sameIDs(t, []uuid.UUID{f.r2.ID}, e.getUser(e.org, f.x.ID).RoleIDs)
}
