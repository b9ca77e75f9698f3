package storagetest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	cu "github.com/b2bkit/customerusers"
	"github.com/b2bkit/customerusers/customeruser"
)

func userListCases() []testCase {
	return []testCase{
		{"Paging", userPaging},
		{"PagingWhileInserting", userPagingWhileInserting},
		{"PageArguments", userPageArguments},
		{"Filters", userFilters},
	}
}

// userSort is a sort of UserRepository.List with the key comparison the
// suite expects. E-mails and last names are generated in one letter case
// and with one shape, so that byte order, case-insensitive order and
// database collations agree.
type userSort struct {
	sort cu.Sort
	cmp  func(a, b customeruser.User) int
}

func userSorts() []userSort {
	byTime := func(a, b customeruser.User) int { return a.CreatedAt.Compare(b.CreatedAt) }
	byEmail := func(a, b customeruser.User) int { return strings.Compare(a.Email, b.Email) }
	byLast := func(a, b customeruser.User) int { return strings.Compare(a.LastName, b.LastName) }
	return []userSort{
		{cu.Sort{}, byTime},
		{cu.Sort{Field: customeruser.SortCreatedAt}, byTime},
		{cu.Sort{Field: customeruser.SortCreatedAt, Desc: true}, byTime},
		{cu.Sort{Field: customeruser.SortEmail}, byEmail},
		{cu.Sort{Field: customeruser.SortEmail, Desc: true}, byEmail},
		{cu.Sort{Field: customeruser.SortLastName}, byLast},
		{cu.Sort{Field: customeruser.SortLastName, Desc: true}, byLast},
	}
}

// pagingUsers creates n users whose creation times, e-mails and last names
// are shuffled against their ids, with ties in each (guests share the
// e-mail of a registered user). E-mails use even numbers; odd ones are
// left for rows inserted later.
func (e *env) pagingUsers(customer uuid.UUID, n int) []customeruser.User {
	e.t.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	perm := rng.Perm(n)
	users := make([]customeruser.User, n)
	require.NoError(e.t, e.Tx.InTx(e.ctx, func(ctx context.Context) error {
		for i := range n {
			u := newUser(e.org, customer, fmt.Sprintf("user%04d@example.com", 2*perm[i]), time.Time{})
			if i%10 == 9 {
				u = newUser(e.org, customer, users[i-1].Email, time.Time{})
				u.Guest = true
			}
			u.FirstName = fmt.Sprintf("first%04d", i)
			u.LastName = fmt.Sprintf("last%02d", perm[i]%12)
			u.CreatedAt = base.Add(time.Hour + time.Duration(perm[i]/3)*time.Second)
			u.UpdatedAt = u.CreatedAt
			users[i] = u
			if err := e.Users.Create(ctx, u); err != nil {
				return err
			}
		}
		return nil
	}))
	return users
}

// Every sort, at every page size, lists every user exactly once, in order,
// in full pages but the last; the order does not depend on the page size.
func userPaging(e *env) {
	t := e.t
	c := e.customer(e.org, uuid.Nil, "Acme")
	const n = 120
	users := e.pagingUsers(c.ID, n)

	for _, s := range userSorts() {
		var first []uuid.UUID
		for _, limit := range []int{0, 48, 40, 7, 1, n, cu.MaxPageLimit} {
			size := limit
			if size == 0 {
				size = cu.DefaultPageLimit
			}
			var got []customeruser.User
			var pages int
			p := cu.Page{Limit: limit, Sort: s.sort}
			for {
				pg, err := e.Users.List(e.ctx, e.org, customeruser.UserFilter{}, p)
				require.NoError(t, err, "sort %q limit %d", s.sort, limit)
				pages++
				got = append(got, pg.Items...)
				if pg.NextCursor == "" {
					assert.Len(t, pg.Items, n-(pages-1)*size, "sort %q limit %d: last page", s.sort, limit)
					break
				}
				require.Len(t, pg.Items, size, "sort %q limit %d: page %d is full", s.sort, limit, pages)
				require.Less(t, pages, n+2, "paging does not end")
				p.Cursor = pg.NextCursor
			}
			assert.Equal(t, (n+size-1)/size, pages, "sort %q limit %d: number of pages (no empty last page)", s.sort, limit)
			requireSameIDs(t, userIDs(users), userIDs(got), "sort %q limit %d: every user exactly once", s.sort, limit)
			checkOrder(t, got, userIDs(got), s.sort.Desc, s.cmp, fmt.Sprintf("users by %q, limit %d", s.sort, limit))
			if first == nil {
				first = userIDs(got)
			}
			assert.Equal(t, strs(first), strs(userIDs(got)), "sort %q: limit %d gives the same order", s.sort, limit)
		}
	}

	// The default sort is createdAt ascending.
	all := lister(e.ctx, e.Users.List, e.org, customeruser.UserFilter{})
	def := allPages(t, 0, all, cu.Page{})
	asc := allPages(t, 0, all, cu.Page{Sort: cu.Sort{Field: customeruser.SortCreatedAt}})
	assert.Equal(t, strs(userIDs(asc)), strs(userIDs(def)))

	// A filtered list pages the same way.
	guests := allPages(t, 9, lister(e.ctx, e.Users.List, e.org, customeruser.UserFilter{Guest: ptr(true)}),
		cu.Page{Sort: cu.Sort{Field: customeruser.SortEmail, Desc: true}})
	assert.Len(t, guests, n/10)

	// An organization without users lists nothing.
	pg, err := e.Users.List(e.ctx, cu.NewID(), customeruser.UserFilter{}, cu.Page{})
	require.NoError(t, err)
	assert.Empty(t, pg.Items)
	assert.Empty(t, pg.NextCursor)
}

// Rows inserted while a client pages never make it see a row twice or miss
// a row that existed when it started, whatever their sort keys.
func userPagingWhileInserting(e *env) {
	t := e.t
	c := e.customer(e.org, uuid.Nil, "Acme")
	const n = 120
	e.pagingUsers(c.ID, n)
	rng := rand.New(rand.NewPCG(3, 4))
	used := map[int]bool{}

	for _, s := range userSorts() {
		start := e.listUsers(e.org, customeruser.UserFilter{})
		seen := map[uuid.UUID]bool{}
		var got []customeruser.User
		p := cu.Page{Limit: 25, Sort: s.sort}
		for pages := 0; ; pages++ {
			require.Less(t, pages, 100, "paging does not end")
			pg, err := e.Users.List(e.ctx, e.org, customeruser.UserFilter{}, p)
			require.NoError(t, err)
			for _, u := range pg.Items {
				assert.False(t, seen[u.ID], "sort %q: %s listed twice", s.sort, u.Email)
				seen[u.ID] = true
			}
			got = append(got, pg.Items...)
			if pg.NextCursor == "" {
				break
			}
			p.Cursor = pg.NextCursor
			// Insert rows before, among and after the ones already seen.
			for range 4 {
				k := 2*rng.IntN(2*n) + 1
				for used[k] {
					k = 2*rng.IntN(2*n) + 1
				}
				used[k] = true
				u := newUser(e.org, c.ID, fmt.Sprintf("user%04d@example.com", k), time.Time{})
				u.LastName = fmt.Sprintf("last%02d", rng.IntN(13))
				u.CreatedAt = base.Add(time.Duration(rng.IntN(3*3600)) * time.Second)
				u.UpdatedAt = u.CreatedAt
				require.NoError(t, e.Users.Create(e.ctx, u))
			}
		}
		for _, u := range start {
			assert.True(t, seen[u.ID], "sort %q: %s existed at the start and was skipped", s.sort, u.Email)
		}
		checkOrder(t, got, userIDs(got), s.sort.Desc, s.cmp, fmt.Sprintf("users by %q while inserting", s.sort))
	}
}

func userPageArguments(e *env) {
	c := e.customer(e.org, uuid.Nil, "Acme")
	e.user(e.org, c.ID, "a@example.com")
	e.user(e.org, c.ID, "b@example.com")
	checkPageArgs(e.t, func(p cu.Page) error {
		_, err := e.Users.List(e.ctx, e.org, customeruser.UserFilter{}, p)
		return err
	}, cu.Sort{Field: customeruser.SortEmail}, cu.Sort{Field: customeruser.SortLastName})
	// A cursor of the descending order does not work for the ascending one.
	pg, err := e.Users.List(e.ctx, e.org, customeruser.UserFilter{}, cu.Page{Limit: 1, Sort: cu.Sort{Field: customeruser.SortEmail, Desc: true}})
	require.NoError(e.t, err)
	require.NotEmpty(e.t, pg.NextCursor)
	_, err = e.Users.List(e.ctx, e.org, customeruser.UserFilter{}, cu.Page{Limit: 1, Cursor: pg.NextCursor, Sort: cu.Sort{Field: customeruser.SortEmail}})
	requireCode(e.t, err, cu.ErrInvalid)
}

// Each UserFilter field, alone and combined.
func userFilters(e *env) {
	t := e.t
	root := e.customer(e.org, uuid.Nil, "Root")
	child := e.customer(e.org, root.ID, "Child")
	grand := e.customer(e.org, child.ID, "Grandchild")
	sibling := e.customer(e.org, uuid.Nil, "Sibling")
	ra := e.role(e.org, uuid.Nil, "Role A")
	rb := e.role(e.org, uuid.Nil, "Role B")
	w1, w2 := cu.NewID(), cu.NewID()
	at := func(h int) time.Time { return base.Add(time.Duration(h) * time.Hour) }
	mk := func(customer uuid.UUID, email, first, middle, last string, h int, opts ...func(*customeruser.User)) customeruser.User {
		return e.user(e.org, customer, email, append([]func(*customeruser.User){func(u *customeruser.User) {
			u.FirstName, u.MiddleName, u.LastName = first, middle, last
			u.CreatedAt, u.UpdatedAt = at(h), at(h)
		}}, opts...)...)
	}
	u1 := mk(root.ID, "Alice.Smith@Example.com", "Alice", "", "Smith", 1, func(u *customeruser.User) {
		u.RoleIDs, u.WebsiteID = []uuid.UUID{ra.ID}, w1
	})
	u2 := mk(child.ID, "bob.jones@example.org", "Bob", "Zed", "Jones", 2, func(u *customeruser.User) {
		u.RoleIDs, u.WebsiteID, u.Confirmed = []uuid.UUID{ra.ID, rb.ID}, w2, false
	})
	u3 := mk(grand.ID, "carol@zebra.io", "Carol", "", "King", 3, func(u *customeruser.User) {
		u.Enabled, u.AuthStatus, u.WebsiteID = false, customeruser.AuthReset, w1
	})
	u4 := mk(sibling.ID, "dave@example.com", "Dave", "", "Zebra", 4, func(u *customeruser.User) {
		u.RoleIDs, u.WebsiteID = []uuid.UUID{rb.ID}, w2
	})
	u5 := mk(child.ID, "guest@example.com", "Guest", "", "Shopper", 5, func(u *customeruser.User) { u.Guest = true })

	all := []customeruser.User{u1, u2, u3, u4, u5}
	users := func(us ...customeruser.User) []customeruser.User { return us }
	f := func(mod func(*customeruser.UserFilter)) customeruser.UserFilter {
		var x customeruser.UserFilter
		mod(&x)
		return x
	}
	tests := []struct {
		name string
		f    customeruser.UserFilter
		want []customeruser.User
	}{
		{"none", customeruser.UserFilter{}, all},
		{"customer", f(func(x *customeruser.UserFilter) { x.CustomerID = child.ID }), users(u2, u5)},
		{"customer without users", f(func(x *customeruser.UserFilter) { x.CustomerID = cu.NewID() }), nil},
		{"subtree of root", f(func(x *customeruser.UserFilter) { x.SubtreeOf = root.ID }), users(u1, u2, u3, u5)},
		{"subtree of child", f(func(x *customeruser.UserFilter) { x.SubtreeOf = child.ID }), users(u2, u3, u5)},
		{"subtree of leaf", f(func(x *customeruser.UserFilter) { x.SubtreeOf = grand.ID }), users(u3)},
		{"subtree and customer", f(func(x *customeruser.UserFilter) { x.SubtreeOf, x.CustomerID = root.ID, sibling.ID }), nil},
		{"customer ids", f(func(x *customeruser.UserFilter) { x.CustomerIDs = []uuid.UUID{grand.ID, sibling.ID} }), users(u3, u4)},
		{"customer ids and subtree", f(func(x *customeruser.UserFilter) {
			x.CustomerIDs, x.SubtreeOf = []uuid.UUID{grand.ID, sibling.ID}, root.ID
		}), users(u3)},
		{"email substring any case", f(func(x *customeruser.UserFilter) { x.Email = "EXAMPLE.COM" }), users(u1, u4, u5)},
		{"email prefix", f(func(x *customeruser.UserFilter) { x.Email = "smith@" }), users(u1)},
		{"email: local part", f(func(x *customeruser.UserFilter) { x.Email = "jones@" }), users(u2)},
		{"name: middle", f(func(x *customeruser.UserFilter) { x.Name = "zed" }), users(u2)},
		{"name: last, not e-mail", f(func(x *customeruser.UserFilter) { x.Name = "ZEBRA" }), users(u4)},
		{"name: first", f(func(x *customeruser.UserFilter) { x.Name = "aLiCe" }), users(u1)},
		{"name: substring", f(func(x *customeruser.UserFilter) { x.Name = "ar" }), users(u3)},
		{"q: e-mail or last name", f(func(x *customeruser.UserFilter) { x.Q = "zebra" }), users(u3, u4)},
		{"q: first name", f(func(x *customeruser.UserFilter) { x.Q = "BOB" }), users(u2)},
		{"q: middle name", f(func(x *customeruser.UserFilter) { x.Q = "Zed" }), users(u2)},
		{"q: e-mail domain", f(func(x *customeruser.UserFilter) { x.Q = "example.org" }), users(u2)},
		{"q: nothing", f(func(x *customeruser.UserFilter) { x.Q = "nobody" }), nil},
		{"enabled", f(func(x *customeruser.UserFilter) { x.Enabled = ptr(true) }), users(u1, u2, u4, u5)},
		{"disabled", f(func(x *customeruser.UserFilter) { x.Enabled = ptr(false) }), users(u3)},
		{"confirmed", f(func(x *customeruser.UserFilter) { x.Confirmed = ptr(true) }), users(u1, u3, u4, u5)},
		{"unconfirmed", f(func(x *customeruser.UserFilter) { x.Confirmed = ptr(false) }), users(u2)},
		{"guests", f(func(x *customeruser.UserFilter) { x.Guest = ptr(true) }), users(u5)},
		{"registered", f(func(x *customeruser.UserFilter) { x.Guest = ptr(false) }), users(u1, u2, u3, u4)},
		{"auth reset", f(func(x *customeruser.UserFilter) { x.AuthStatus = customeruser.AuthReset }), users(u3)},
		{"auth active", f(func(x *customeruser.UserFilter) { x.AuthStatus = customeruser.AuthActive }), users(u1, u2, u4, u5)},
		{"role a", f(func(x *customeruser.UserFilter) { x.RoleID = ra.ID }), users(u1, u2)},
		{"role b", f(func(x *customeruser.UserFilter) { x.RoleID = rb.ID }), users(u2, u4)},
		{"unknown role", f(func(x *customeruser.UserFilter) { x.RoleID = cu.NewID() }), nil},
		{"website", f(func(x *customeruser.UserFilter) { x.WebsiteID = w1 }), users(u1, u3)},
		{"created from", f(func(x *customeruser.UserFilter) { x.CreatedFrom = at(2).Add(30 * time.Minute) }), users(u3, u4, u5)},
		{"created to", f(func(x *customeruser.UserFilter) { x.CreatedTo = at(3).Add(30 * time.Minute) }), users(u1, u2, u3)},
		{"created range", f(func(x *customeruser.UserFilter) {
			x.CreatedFrom, x.CreatedTo = at(2).Add(30*time.Minute), at(3).Add(30*time.Minute)
		}), users(u3)},
		{"ids", f(func(x *customeruser.UserFilter) { x.IDs = []uuid.UUID{u1.ID, u4.ID, cu.NewID()} }), users(u1, u4)},
		{"combined", f(func(x *customeruser.UserFilter) {
			x.SubtreeOf, x.Enabled, x.RoleID = root.ID, ptr(true), ra.ID
		}), users(u1, u2)},
		{"combined, nothing", f(func(x *customeruser.UserFilter) {
			x.Guest, x.RoleID = ptr(true), ra.ID
		}), nil},
	}
	for _, tt := range tests {
		got := e.listUsers(e.org, tt.f)
		sameIDs(t, userIDs(tt.want), userIDs(got), tt.name)
		// Filtered lists keep their order and page like the full one.
		paged := allPages(t, 2, lister(e.ctx, e.Users.List, e.org, tt.f), cu.Page{Sort: cu.Sort{Field: customeruser.SortLastName}})
		sameIDs(t, userIDs(tt.want), userIDs(paged), "%s, paged by last name", tt.name)
		assert.True(t, slices.IsSortedFunc(paged, func(a, b customeruser.User) int {
			return strings.Compare(strings.ToLower(a.LastName), strings.ToLower(b.LastName))
		}), "%s, paged by last name: order", tt.name)
	}
	got := e.listUsers(e.org, customeruser.UserFilter{IDs: []uuid.UUID{u2.ID}})
	require.Len(t, got, 1)
	assert.Equal(t, normUser(u2), normUser(got[0]), "lists return full values")
}
