package storagetest

import (
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	cu "github.com/b2bkit/customerusers"
	"github.com/b2bkit/customerusers/role"
)

func roleCases() []testCase {
	return []testCase{
		{"RoundTrip", roleRoundTrip},
		{"NotFound", roleNotFound},
		{"GetMany", roleGetMany},
		{"UniqueCode", roleUniqueCode},
		{"UniqueLabel", roleUniqueLabel},
		{"ConcurrentUnique", roleConcurrentUnique},
		{"Stale", roleStale},
		{"ConcurrentUpdates", roleConcurrentUpdates},
		{"NoAliasing", roleNoAliasing},
		{"ListSortAndPaging", roleListSort},
		{"ListFilters", roleListFilters},
	}
}

// fullRole returns an unsaved role with every field set.
func (e *env) fullRole(customer uuid.UUID, label string) role.Role {
	r := newRole(e.org, customer, label, e.now())
	r.SelfManaged, r.Public = true, true
	r.Grants = []role.Grant{
		{Resource: role.ResourceCustomerUser, Permission: role.View, Level: role.LevelCorporate},
		{Resource: role.ResourceCustomerUser, Permission: role.Edit, Level: role.LevelDepartment},
		{Resource: role.ResourceCustomerUserAddress, Permission: role.View, Level: role.LevelUser},
		{Resource: "shopping_list", Permission: "share", Level: role.LevelFull},
	}
	r.Capabilities = []string{role.CapManageUsers, role.CapUpdateOwnProfile, "host_capability"}
	r.UpdatedAt = r.CreatedAt.Add(1500 * time.Microsecond)
	return r
}

// roleRepo is the role repository as the shared checks use it.
func (e *env) roleRepo() versioned[role.Role] {
	return versioned[role.Role]{repo: e.Roles, norm: normRole,
		key: func(r *role.Role) (uuid.UUID, uuid.UUID, *int64) {
			return r.OrganizationID, r.ID, &r.Version
		}}
}

func roleRoundTrip(e *env) {
	t := e.t
	c := e.customer(e.org, uuid.Nil, "Acme")
	for _, customer := range []uuid.UUID{uuid.Nil, c.ID} {
		r := e.fullRole(customer, "Full role")
		require.NoError(t, e.Roles.Create(e.ctx, r))

		got := e.getRole(e.org, r.ID)
		assert.Equal(t, normRole(r), normRole(got), "Get returns what Create stored")
		assert.Equal(t, customer == uuid.Nil, got.Predefined())
		byCode, err := e.Roles.GetByCode(e.ctx, e.org, r.Code)
		require.NoError(t, err)
		assert.Equal(t, normRole(r), normRole(byCode), "GetByCode")

		// Update every mutable field; the stored version is expected+1
		// whatever r.Version says.
		r.Label = "Renamed role"
		r.SelfManaged, r.Public = false, false
		r.Grants = []role.Grant{{Resource: role.ResourceCustomer, Permission: role.View, Level: role.LevelDepartment}}
		r.Capabilities = []string{role.CapManageRoles}
		r.UpdatedAt = e.now()
		r.Version = 77
		repo := e.roleRepo()
		r = repo.checkUpdate(e, r, 1, "Get after Update")

		// Empty grants and capabilities.
		r.Grants, r.Capabilities = nil, nil
		r = repo.checkUpdate(e, r, 2, "Get after emptying grants")

		repo.checkDelete(e, r)
		_, err = e.Roles.GetByCode(e.ctx, e.org, r.Code)
		requireCode(t, err, cu.ErrNotFound, "GetByCode after Delete")
	}
}

func roleNotFound(e *env) {
	t := e.t
	repo := e.roleRepo()
	kept := e.role(e.org, uuid.Nil, "Kept")
	unknown := newRole(e.org, uuid.Nil, "Ghost", e.now())

	_, err := e.Roles.GetByCode(e.ctx, e.org, unknown.Code)
	requireCode(t, err, cu.ErrNotFound, "GetByCode")
	_, err = e.Roles.GetByCode(e.ctx, e.org, strings.ToLower(kept.Code))
	requireCode(t, err, cu.ErrNotFound, "GetByCode matches the code exactly")
	repo.checkNotFound(e, unknown, kept)

	// Creating an id that exists fails and changes nothing.
	dup := e.role(e.org, uuid.Nil, "Original")
	again := newRole(e.org, uuid.Nil, "Impostor", e.now())
	again.ID = dup.ID
	repo.checkTakenID(e, dup, again)
}

func roleGetMany(e *env) {
	t := e.t
	a := e.role(e.org, uuid.Nil, "Alpha")
	b := e.role(e.org, uuid.Nil, "Beta")
	e.role(e.org, uuid.Nil, "Gamma")

	got, err := e.Roles.GetMany(e.ctx, e.org, []uuid.UUID{b.ID, cu.NewID(), a.ID})
	require.NoError(t, err)
	assert.ElementsMatch(t, []role.Role{normRole(a), normRole(b)}, mapSlice(got, normRole))

	got, err = e.Roles.GetMany(e.ctx, e.org, nil)
	require.NoError(t, err)
	assert.Empty(t, got, "GetMany of no ids")
}

func roleUniqueCode(e *env) {
	t := e.t
	a := e.role(e.org, uuid.Nil, "Alpha")

	dup := newRole(e.org, uuid.Nil, "Another label", e.now())
	dup.Code = a.Code
	requireUnique(t, e.Roles.Create(e.ctx, dup), "code")
	_, err := e.Roles.Get(e.ctx, e.org, dup.ID)
	requireCode(t, err, cu.ErrNotFound, "a refused Create stores nothing")

	// The same code in another customer is still the same code.
	c := e.customer(e.org, uuid.Nil, "Acme")
	dup.CustomerID = c.ID
	requireUnique(t, e.Roles.Create(e.ctx, dup), "code")

	// Update cannot take another role's code either.
	b := e.role(e.org, uuid.Nil, "Beta")
	b2 := b
	b2.Code = a.Code
	requireUnique(t, e.Roles.Update(e.ctx, b2, b.Version), "code")
	assert.Equal(t, normRole(b), normRole(e.getRole(e.org, b.ID)), "a refused Update changes nothing")

	// A deleted role's code is free again.
	require.NoError(t, e.Roles.Delete(e.ctx, e.org, a.ID))
	dup.CustomerID = uuid.Nil
	require.NoError(t, e.Roles.Create(e.ctx, dup))
}

// Labels are unique per (organization, customer), case-insensitively; the
// predefined roles (no customer) form one more such group.
func roleUniqueLabel(e *env) {
	t := e.t
	c1 := e.customer(e.org, uuid.Nil, "Acme")
	c2 := e.customer(e.org, uuid.Nil, "Globex")
	pre := e.role(e.org, uuid.Nil, "Buyer")
	own := e.role(e.org, c1.ID, "Buyer") // a customer's copy of a predefined role
	e.role(e.org, c2.ID, "Buyer")

	for _, label := range []string{"Buyer", "BUYER", "buyer"} {
		requireUnique(t, e.Roles.Create(e.ctx, newRole(e.org, uuid.Nil, label, e.now())), "label")
		requireUnique(t, e.Roles.Create(e.ctx, newRole(e.org, c1.ID, label, e.now())), "label")
	}
	assert.Len(t, e.listRoles(e.org, role.Filter{}), 3, "refused creates store nothing")

	// Update: renaming onto a taken label, or moving to a customer that
	// has the label, is refused; keeping one's own label is fine.
	other := e.role(e.org, c1.ID, "Approver")
	x := other
	x.Label = "bUYER"
	requireUnique(t, e.Roles.Update(e.ctx, x, other.Version), "label")
	y := own
	y.CustomerID = c2.ID
	requireUnique(t, e.Roles.Update(e.ctx, y, own.Version), "label")
	z := own
	z.CustomerID = uuid.Nil
	requireUnique(t, e.Roles.Update(e.ctx, z, own.Version), "label")
	assert.Equal(t, normRole(other), normRole(e.getRole(e.org, other.ID)))
	assert.Equal(t, normRole(own), normRole(e.getRole(e.org, own.ID)))

	x.Label = "APPROVER" // its own label in another case
	require.NoError(t, e.Roles.Update(e.ctx, x, other.Version))

	// A deleted role's label is free again.
	require.NoError(t, e.Roles.Delete(e.ctx, e.org, pre.ID))
	require.NoError(t, e.Roles.Create(e.ctx, newRole(e.org, uuid.Nil, "buyer", e.now())))
}

func roleConcurrentUnique(e *env) {
	t := e.t
	c := e.customer(e.org, uuid.Nil, "Acme")
	code := "ROLE_FRONTEND_RACE"
	// Half the goroutines race on the code, half on the label.
	field := func(i int) string { return []string{"code", "label"}[i%2] }
	won, refused := race(t, func(i int) error {
		r := newRole(e.org, c.ID, fmt.Sprintf("Label %d", i), e.now())
		if field(i) == "code" {
			r.Code = code
		} else {
			r.Label = []string{"Racer", "RACER", "racer", "rAcEr"}[i%4]
		}
		return e.Roles.Create(e.ctx, r)
	}, func(i int, err error) bool { return isUnique(err, field(i)) })
	assert.Len(t, won, 2, "one winner for the code, one for the label")
	assert.Equal(t, concurrency-2, refused)
	got := e.listRoles(e.org, role.Filter{Label: "racer"})
	assert.Len(t, got, 1, "one role labelled racer")
	_, err := e.Roles.GetByCode(e.ctx, e.org, code)
	require.NoError(t, err)
}

func roleStale(e *env) {
	r := e.role(e.org, uuid.Nil, "Alpha")
	x := r
	x.Label = "Changed"
	assert.Equal(e.t, "Changed", e.roleRepo().checkStale(e, r, x).Label)
}

// Every writer retries on stale until it succeeds; each adds its own grant,
// so a lost update would lose a grant.
func roleConcurrentUpdates(e *env) {
	r := e.role(e.org, uuid.Nil, "Shared")
	got := e.roleRepo().raceUpdates(e, r, func(i int, cur *role.Role) error {
		cur.Grants = append(cur.Grants, role.Grant{Resource: fmt.Sprintf("res_%02d", i), Permission: role.View, Level: role.LevelFull})
		return nil
	})
	assert.Len(e.t, got.Grants, concurrency, "no lost update")
}

// The storage keeps its own copy: changing the value given to Create or
// returned by Get changes nothing stored.
func roleNoAliasing(e *env) {
	t := e.t
	r := e.fullRole(uuid.Nil, "Alias")
	want := e.roleRepo().checkNoAliasing(e, r, func(r *role.Role) {
		r.Grants[0].Level = role.LevelNone
		r.Capabilities[0] = "mutated"
	})
	many, err := e.Roles.GetMany(e.ctx, e.org, []uuid.UUID{r.ID})
	require.NoError(t, err)
	require.Len(t, many, 1)
	many[0].Capabilities[0] = "mutated"
	assert.Equal(t, want, normRole(e.getRole(e.org, r.ID)), "after changing a GetMany value")
}

func roleListSort(e *env) {
	t := e.t
	c := e.customer(e.org, uuid.Nil, "Acme")
	var all []role.Role
	for i := range 23 {
		// Labels repeat across customers, so that ties need the id.
		customer := uuid.Nil
		if i%2 == 1 {
			customer = c.ID
		}
		all = append(all, e.role(e.org, customer, fmt.Sprintf("Label %02d", i/2)))
	}
	list := lister(e.ctx, e.Roles.List, e.org, role.Filter{})
	byLabel := func(a, b role.Role) int { return strings.Compare(a.Label, b.Label) }
	for _, desc := range []bool{false, true} {
		checkSortAtLimits(t, list, cu.Sort{Field: "label", Desc: desc}, []int{0, 1, 5, 23}, roleIDs(all), roleIDs, byLabel)
	}
	// The zero sort is by label ascending.
	got := allPages(t, 4, list, cu.Page{})
	checkOrder(t, mapSlice(got, func(r role.Role) string { return r.Label }), roleIDs(got), false, strings.Compare, "roles, default sort")
	assert.Len(t, got, len(all))
}

func roleListFilters(e *env) {
	t := e.t
	c1 := e.customer(e.org, uuid.Nil, "Acme")
	c2 := e.customer(e.org, uuid.Nil, "Globex")
	storefront := func(r *role.Role) { r.SelfManaged, r.Public = true, true }
	admin := e.role(e.org, uuid.Nil, "Administrator", storefront)
	buyer := e.role(e.org, uuid.Nil, "Buyer", func(r *role.Role) { r.SelfManaged = true })
	anon := e.role(e.org, uuid.Nil, "Anonymous")
	c1Buyer := e.role(e.org, c1.ID, "Buyer", storefront)
	c1Clerk := e.role(e.org, c1.ID, "Order clerk", func(r *role.Role) { r.Public = true })
	c2Boss := e.role(e.org, c2.ID, "Boss", storefront)

	tests := []struct {
		name string
		f    role.Filter
		want []role.Role
	}{
		{"none", role.Filter{}, []role.Role{admin, buyer, anon, c1Buyer, c1Clerk, c2Boss}},
		{"customer", role.Filter{CustomerID: c1.ID}, []role.Role{c1Buyer, c1Clerk}},
		{"customer and predefined", role.Filter{CustomerID: c1.ID, IncludePredefined: true}, []role.Role{admin, buyer, anon, c1Buyer, c1Clerk}},
		{"customers", role.Filter{CustomerIDs: []uuid.UUID{c1.ID, c2.ID}}, []role.Role{c1Buyer, c1Clerk, c2Boss}},
		{"customers and predefined", role.Filter{CustomerIDs: []uuid.UUID{c2.ID}, IncludePredefined: true}, []role.Role{admin, buyer, anon, c2Boss}},
		{"customers, storefront", role.Filter{CustomerIDs: []uuid.UUID{c1.ID, c2.ID}, IncludePredefined: true, Storefront: true}, []role.Role{admin, c1Buyer, c2Boss}},
		{"predefined only", role.Filter{PredefinedOnly: true}, []role.Role{admin, buyer, anon}},
		{"storefront", role.Filter{Storefront: true}, []role.Role{admin, c1Buyer, c2Boss}},
		{"storefront of a customer", role.Filter{Storefront: true, CustomerID: c1.ID, IncludePredefined: true}, []role.Role{admin, c1Buyer}},
		{"label substring, any case", role.Filter{Label: "UYE"}, []role.Role{buyer, c1Buyer}},
		{"label matching nothing", role.Filter{Label: "zzz"}, nil},
		{"ids", role.Filter{IDs: []uuid.UUID{anon.ID, c2Boss.ID, cu.NewID()}}, []role.Role{anon, c2Boss}},
		{"ids and customer", role.Filter{IDs: []uuid.UUID{anon.ID, c2Boss.ID}, CustomerID: c2.ID}, []role.Role{c2Boss}},
		{"unknown customer", role.Filter{CustomerID: cu.NewID()}, nil},
	}
	for _, tt := range tests {
		got := e.listRoles(e.org, tt.f)
		sameIDs(t, roleIDs(tt.want), roleIDs(got), tt.name)
		checkOrder(t, mapSlice(got, func(r role.Role) string { return strings.ToLower(r.Label) }), roleIDs(got), false, strings.Compare, tt.name)
	}
	// Filtered lists page like unfiltered ones.
	got := allPages(t, 1, lister(e.ctx, e.Roles.List, e.org, role.Filter{CustomerID: c1.ID, IncludePredefined: true}), cu.Page{})
	sameIDs(t, roleIDs([]role.Role{admin, buyer, anon, c1Buyer, c1Clerk}), roleIDs(got))
	// Full values come back.
	got = e.listRoles(e.org, role.Filter{IDs: []uuid.UUID{admin.ID}})
	require.Len(t, got, 1)
	assert.Equal(t, normRole(admin), normRole(got[0]))
}
