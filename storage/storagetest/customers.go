package storagetest

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	cu "github.com/b2bkit/customerusers"
	"github.com/b2bkit/customerusers/customeruser"
)

func customerCases() []testCase {
	return []testCase{
		{"RoundTrip", customerRoundTrip},
		{"NotFound", customerNotFound},
		{"GetMany", customerGetMany},
		{"UniqueExternalID", customerUniqueExternalID},
		{"ConcurrentUnique", customerConcurrentUnique},
		{"Stale", customerStale},
		{"ConcurrentUpdates", customerConcurrentUpdates},
		{"NoAliasing", customerNoAliasing},
		{"ListSortAndPaging", customerListSort},
		{"ListFilters", customerListFilters},
	}
}

// customerRepo is the customer repository as the shared checks use it.
func (e *env) customerRepo() versioned[customeruser.Customer] {
	return versioned[customeruser.Customer]{repo: e.Customers, norm: normCustomer,
		key: func(c *customeruser.Customer) (uuid.UUID, uuid.UUID, *int64) {
			return c.OrganizationID, c.ID, &c.Version
		}}
}

func customerRoundTrip(e *env) {
	t := e.t
	parent := e.customer(e.org, uuid.Nil, "Parent")
	at := e.now()
	c := customeruser.Customer{
		ID: cu.NewID(), OrganizationID: e.org, Name: "Acme Corp. — Ünïcode & Co", ParentID: parent.ID,
		Group: "Wholesale", SalesRepIDs: []uuid.UUID{cu.NewID(), cu.NewID(), cu.NewID()}, OwnerID: cu.NewID(),
		ExternalID: "ERP-0001", CreatedAt: at, UpdatedAt: at.Add(2500 * time.Microsecond), Version: 1,
	}
	require.NoError(t, e.Customers.Create(e.ctx, c))
	assert.Equal(t, normCustomer(c), normCustomer(e.getCustomer(e.org, c.ID)), "Get returns what Create stored")

	// Update every field, down to empty values; the stored version is
	// expected+1 whatever c.Version says.
	c.Name = "Acme Renamed"
	c.ParentID = uuid.Nil
	c.Group = ""
	c.SalesRepIDs = []uuid.UUID{cu.NewID()}
	c.OwnerID = uuid.Nil
	c.ExternalID = ""
	c.UpdatedAt = e.now()
	c.Version = 99
	repo := e.customerRepo()
	c = repo.checkUpdate(e, c, 1, "Get after Update")

	c.SalesRepIDs = nil
	c.ParentID = parent.ID
	c = repo.checkUpdate(e, c, 2, "Get after emptying sales reps")

	repo.checkDelete(e, c)
	n, err := e.Customers.CountChildren(e.ctx, e.org, parent.ID)
	require.NoError(t, err)
	assert.Zero(t, n, "a deleted customer is no child any more")
}

func customerNotFound(e *env) {
	repo := e.customerRepo()
	kept := e.customer(e.org, uuid.Nil, "Kept")
	repo.checkNotFound(e, customeruser.Customer{ID: cu.NewID(), OrganizationID: e.org, Name: "Ghost", Version: 1}, kept)

	dup := e.customer(e.org, uuid.Nil, "Original")
	again := dup
	again.Name = "Impostor"
	repo.checkTakenID(e, dup, again)
}

func customerGetMany(e *env) {
	t := e.t
	a := e.customer(e.org, uuid.Nil, "A")
	b := e.customer(e.org, a.ID, "B")
	e.customer(e.org, uuid.Nil, "C")
	got, err := e.Customers.GetMany(e.ctx, e.org, []uuid.UUID{cu.NewID(), b.ID, a.ID})
	require.NoError(t, err)
	assert.ElementsMatch(t, []customeruser.Customer{normCustomer(a), normCustomer(b)}, mapSlice(got, normCustomer))
	got, err = e.Customers.GetMany(e.ctx, e.org, nil)
	require.NoError(t, err)
	assert.Empty(t, got)
}

// External ids are unique per organization; the empty one is no id.
func customerUniqueExternalID(e *env) {
	t := e.t
	ext := func(id string) func(*customeruser.Customer) {
		return func(c *customeruser.Customer) { c.ExternalID = id }
	}
	a := e.customer(e.org, uuid.Nil, "A", ext("ERP-1"))
	e.customer(e.org, uuid.Nil, "No id 1")
	e.customer(e.org, uuid.Nil, "No id 2") // two empty external ids do not clash
	child := e.customer(e.org, a.ID, "Child", ext("ERP-2"))

	dup := customeruser.Customer{ID: cu.NewID(), OrganizationID: e.org, Name: "Dup", ExternalID: "ERP-1", Version: 1}
	requireUnique(t, e.Customers.Create(e.ctx, dup), "externalId")
	_, err := e.Customers.Get(e.ctx, e.org, dup.ID)
	requireCode(t, err, cu.ErrNotFound, "a refused Create stores nothing")

	x := child
	x.ExternalID = "ERP-1"
	x.Name = "Changed"
	requireUnique(t, e.Customers.Update(e.ctx, x, child.Version), "externalId")
	assert.Equal(t, normCustomer(child), normCustomer(e.getCustomer(e.org, child.ID)), "a refused Update changes nothing")

	x.ExternalID = "ERP-2" // its own id
	require.NoError(t, e.Customers.Update(e.ctx, x, child.Version))
	x.ExternalID = ""
	require.NoError(t, e.Customers.Update(e.ctx, x, child.Version+1))
	// Freed ids are reusable.
	dup.ExternalID = "ERP-2"
	require.NoError(t, e.Customers.Create(e.ctx, dup))
	require.NoError(t, e.Customers.Delete(e.ctx, e.org, child.ID))
	require.NoError(t, e.Customers.Delete(e.ctx, e.org, dup.ID))
	dup.ID = cu.NewID()
	require.NoError(t, e.Customers.Create(e.ctx, dup))
}

func customerConcurrentUnique(e *env) {
	t := e.t
	won, refused := race(t, func(i int) error {
		c := customeruser.Customer{ID: cu.NewID(), OrganizationID: e.org, Name: fmt.Sprintf("Racer %d", i), ExternalID: "RACE", Version: 1}
		return e.maybeInTx(i, func(ctx context.Context) error { return e.Customers.Create(ctx, c) })
	}, uniqueOn("externalId"))
	assert.Len(t, won, 1)
	assert.Equal(t, concurrency-1, refused)
	assert.Len(t, e.listCustomers(e.org, customeruser.CustomerFilter{Name: "racer"}), 1)
}

func customerStale(e *env) {
	c := e.customer(e.org, uuid.Nil, "Acme")
	x := c
	x.Name = "Changed"
	assert.Equal(e.t, "Changed", e.customerRepo().checkStale(e, c, x).Name)
}

// Each writer adds its own sales rep, retrying on stale: a lost update
// would lose one.
func customerConcurrentUpdates(e *env) {
	c := e.customer(e.org, uuid.Nil, "Shared")
	reps := make([]uuid.UUID, concurrency)
	for i := range reps {
		reps[i] = cu.NewID()
	}
	got := e.customerRepo().raceUpdates(e, c, func(i int, cur *customeruser.Customer) error {
		cur.SalesRepIDs = append(cur.SalesRepIDs, reps[i])
		return nil
	})
	sameIDs(e.t, reps, got.SalesRepIDs, "no lost update")
}

func customerNoAliasing(e *env) {
	c := customeruser.Customer{ID: cu.NewID(), OrganizationID: e.org, Name: "Alias", SalesRepIDs: []uuid.UUID{cu.NewID()}, Version: 1}
	e.customerRepo().checkNoAliasing(e, c, func(c *customeruser.Customer) { c.SalesRepIDs[0] = uuid.Nil })
}

func customerListSort(e *env) {
	t := e.t
	root := e.customer(e.org, uuid.Nil, "Name 00")
	var all []customeruser.Customer
	all = append(all, root)
	for i := 1; i < 31; i++ {
		parent := uuid.Nil
		if i%3 == 0 {
			parent = root.ID
		}
		// Names repeat (ties need the id); creation times repeat too.
		at := base.Add(time.Duration(i/2) * time.Second)
		all = append(all, e.customer(e.org, parent, fmt.Sprintf("Name %02d", (i*7)%13), func(c *customeruser.Customer) {
			c.CreatedAt, c.UpdatedAt = at, at
		}))
	}
	sorts := []struct {
		sort cu.Sort
		cmp  func(a, b customeruser.Customer) int
	}{
		{cu.Sort{}, func(a, b customeruser.Customer) int { return strings.Compare(a.Name, b.Name) }},
		{cu.Sort{Field: "name"}, func(a, b customeruser.Customer) int { return strings.Compare(a.Name, b.Name) }},
		{cu.Sort{Field: "name", Desc: true}, func(a, b customeruser.Customer) int { return strings.Compare(a.Name, b.Name) }},
		{cu.Sort{Field: "createdAt"}, func(a, b customeruser.Customer) int { return a.CreatedAt.Compare(b.CreatedAt) }},
		{cu.Sort{Field: "createdAt", Desc: true}, func(a, b customeruser.Customer) int { return a.CreatedAt.Compare(b.CreatedAt) }},
	}
	list := lister(e.ctx, e.Customers.List, e.org, customeruser.CustomerFilter{})
	for _, s := range sorts {
		checkSortAtLimits(t, list, s.sort, []int{0, 1, 7, 31}, customerIDs(all), customerIDs, s.cmp)
	}
	// Paging works on filtered lists too.
	got := allPages(t, 2, lister(e.ctx, e.Customers.List, e.org, customeruser.CustomerFilter{ParentID: root.ID}),
		cu.Page{Sort: cu.Sort{Field: "createdAt", Desc: true}})
	assert.Len(t, got, 10)
	checkPageArgs(t, func(p cu.Page) error {
		_, err := e.Customers.List(e.ctx, e.org, customeruser.CustomerFilter{}, p)
		return err
	}, cu.Sort{Field: "name"}, cu.Sort{Field: "createdAt"})
}

// checkPageArgs checks that bad page arguments are invalid errors: limits
// out of range, a malformed cursor, a cursor of another sort order and an
// unknown sort field. a and b are two valid sorts.
func checkPageArgs(t testing.TB, list func(p cu.Page) error, a, b cu.Sort) {
	t.Helper()
	require.NoError(t, list(cu.Page{Limit: cu.MaxPageLimit, Sort: a}))
	cursor := cu.EncodeCursor(cu.Cursor{Sort: a.String(), Key: "x", ID: cu.NewID()})
	bad := []struct {
		name string
		p    cu.Page
	}{
		{"negative limit", cu.Page{Limit: -1}},
		{"limit above the maximum", cu.Page{Limit: cu.MaxPageLimit + 1}},
		{"malformed cursor", cu.Page{Cursor: "%%% not a cursor"}},
		{"cursor of another sort", cu.Page{Cursor: cursor, Sort: b}},
		{"unknown sort field", cu.Page{Sort: cu.Sort{Field: "passwordHash"}}},
	}
	for _, tt := range bad {
		requireCode(t, list(tt.p), cu.ErrInvalid, tt.name)
	}
}

func customerListFilters(e *env) {
	t := e.t
	r := e.customer(e.org, uuid.Nil, "Root Holding")
	c1 := e.customer(e.org, r.ID, "Child One")
	c2 := e.customer(e.org, r.ID, "Child Two")
	g := e.customer(e.org, c1.ID, "Grandchild of one")
	s := e.customer(e.org, uuid.Nil, "Sibling Root")

	tests := []struct {
		name string
		f    customeruser.CustomerFilter
		want []customeruser.Customer
	}{
		{"none", customeruser.CustomerFilter{}, []customeruser.Customer{r, c1, c2, g, s}},
		{"parent", customeruser.CustomerFilter{ParentID: r.ID}, []customeruser.Customer{c1, c2}},
		{"parent of a leaf", customeruser.CustomerFilter{ParentID: g.ID}, nil},
		{"top level", customeruser.CustomerFilter{TopLevel: true}, []customeruser.Customer{r, s}},
		{"subtree of root", customeruser.CustomerFilter{SubtreeOf: r.ID}, []customeruser.Customer{r, c1, c2, g}},
		{"subtree of child", customeruser.CustomerFilter{SubtreeOf: c1.ID}, []customeruser.Customer{c1, g}},
		{"subtree of leaf", customeruser.CustomerFilter{SubtreeOf: g.ID}, []customeruser.Customer{g}},
		{"name substring any case", customeruser.CustomerFilter{Name: "CHILD"}, []customeruser.Customer{c1, c2, g}},
		{"name and subtree", customeruser.CustomerFilter{Name: "root", SubtreeOf: r.ID}, []customeruser.Customer{r}},
		{"name and top level", customeruser.CustomerFilter{Name: "root", TopLevel: true}, []customeruser.Customer{r, s}},
		{"ids", customeruser.CustomerFilter{IDs: []uuid.UUID{g.ID, s.ID, cu.NewID()}}, []customeruser.Customer{g, s}},
		{"ids and parent", customeruser.CustomerFilter{IDs: []uuid.UUID{g.ID, c2.ID}, ParentID: r.ID}, []customeruser.Customer{c2}},
		{"unknown subtree", customeruser.CustomerFilter{SubtreeOf: cu.NewID()}, nil},
	}
	for _, tt := range tests {
		got := e.listCustomers(e.org, tt.f)
		sameIDs(t, customerIDs(tt.want), customerIDs(got), tt.name)
	}
	got := e.listCustomers(e.org, customeruser.CustomerFilter{IDs: []uuid.UUID{c1.ID}})
	require.Len(t, got, 1)
	assert.Equal(t, normCustomer(c1), normCustomer(got[0]), "lists return full values")
}
