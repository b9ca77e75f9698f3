package storagetest

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	cu "github.com/b2bkit/customerusers"
	"github.com/b2bkit/customerusers/customeruser"
)

// batchUsers is a user repository with the optional batch extensions.
type batchUsers interface {
	customeruser.UserRepository
	customeruser.BatchUserWriter
	customeruser.BatchUserReader
	customeruser.BatchUserUpdater
	customeruser.UserRoleCounter
}

// RunBatchUsers runs the contract of the optional user repository
// extensions that imports and exports detect: customeruser.BatchUserWriter
// (CreateMany: Create's contract for each user, all or nothing),
// customeruser.BatchUserReader (GetManyByEmailKeys: non-guest users of the
// organization, each once, in any order), customeruser.BatchUserUpdater
// (UpdateMany: Update's contract for each user, all or nothing, errors
// naming the user) and customeruser.UserRoleCounter (MaxRoleCount with
// List's filters). Repos.Users must implement all four. Each subtest calls open(t) for a fresh storage, in parallel.
func RunBatchUsers(t *testing.T, open func(t *testing.T) Repos) {
	t.Helper()
	cases := []testCase{
		{"CreateManyRoundTrip", batchCreateRoundTrip},
		{"CreateManyAllOrNothing", batchCreateAllOrNothing},
		{"CreateManyConcurrent", batchCreateConcurrent},
		{"UpdateManyRoundTrip", batchUpdateRoundTrip},
		{"UpdateManyAllOrNothing", batchUpdateAllOrNothing},
		{"GetManyByEmailKeys", batchGetByKeys},
		{"GetManyByEmailKeysAtScale", batchGetByKeysAtScale},
		{"MaxRoleCount", batchMaxRoleCount},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			r := open(t)
			require.NotNil(t, r.Users, "Repos.Users")
			_, ok := r.Users.(batchUsers)
			require.True(t, ok, "Repos.Users (%T) implements BatchUserWriter, BatchUserReader, BatchUserUpdater and UserRoleCounter", r.Users)
			c.fn(&env{t: t, ctx: t.Context(), Repos: r, org: cu.NewID()})
		})
	}
}

func (e *env) batch() batchUsers { return e.Users.(batchUsers) }

// Every field of every user (roles and addresses included) is stored, and
// the values given are copied in.
func batchCreateRoundTrip(e *env) {
	t := e.t
	c := e.customer(e.org, uuid.Nil, "Acme")
	r1, r2 := e.role(e.org, uuid.Nil, "One"), e.role(e.org, c.ID, "Two")
	full := e.fullUser(c.ID, "full@example.com", r2.ID, r1.ID)
	plain := newUser(e.org, uuid.Nil, "plain@example.com", e.now())
	guest := newUser(e.org, c.ID, "full@example.com", e.now())
	guest.Guest, guest.Enabled = true, false
	guest2 := newUser(e.org, c.ID, "FULL@example.com", e.now())
	guest2.EmailKey, guest2.Guest = "full@example.com", true
	given := []customeruser.User{full, plain, guest, guest2}
	want := mapSlice(given, normUser)
	require.NoError(t, e.batch().CreateMany(e.ctx, given))
	given[0].Addresses[0].Street, given[0].RoleIDs[0] = "changed", cu.NewID()
	for i, u := range want {
		got := e.getUser(e.org, u.ID)
		assert.Equal(t, u, normUser(got), "user %d", i)
	}
	require.NoError(t, e.batch().CreateMany(e.ctx, nil), "nothing to create is fine")
	byKey, err := e.Users.GetByEmailKey(e.ctx, e.org, "full@example.com")
	require.NoError(t, err)
	assert.Equal(t, full.ID, byKey.ID, "the e-mail index knows the new users")
}

// A failing CreateMany stores none of its users, whichever user fails and
// why; inside a transaction, its rollback undoes a successful one.
func batchCreateAllOrNothing(e *env) {
	t := e.t
	c := e.customer(e.org, uuid.Nil, "Acme")
	r := e.role(e.org, uuid.Nil, "Buyer")
	taken := e.user(e.org, c.ID, "taken@example.com")
	fresh := func(email string) customeruser.User {
		u := newUser(e.org, c.ID, email, e.now())
		u.RoleIDs = []uuid.UUID{r.ID}
		return u
	}
	count := func() int {
		t.Helper()
		return len(e.listUsers(e.org, customeruser.UserFilter{}))
	}
	before := count()

	batch := []customeruser.User{fresh("a@example.com"), fresh("b@example.com"), fresh("TAKEN@example.com")}
	batch[2].EmailKey = "taken@example.com"
	requireEmailUnique(t, e.batch().CreateMany(e.ctx, batch))
	assert.Equal(t, before, count(), "a taken e-mail: nothing stored")

	twice := []customeruser.User{fresh("c@example.com"), fresh("d@example.com"), fresh("c@example.com")}
	requireEmailUnique(t, e.batch().CreateMany(e.ctx, twice))
	assert.Equal(t, before, count(), "one e-mail twice in the batch: nothing stored")

	noRole := []customeruser.User{fresh("e@example.com"), fresh("f@example.com")}
	noRole[1].RoleIDs = []uuid.UUID{r.ID, cu.NewID()}
	require.ErrorIs(t, e.batch().CreateMany(e.ctx, noRole), cu.ErrInvalid, "a missing role")
	noCustomer := []customeruser.User{fresh("g@example.com"), fresh("h@example.com")}
	noCustomer[0].CustomerID = cu.NewID()
	require.ErrorIs(t, e.batch().CreateMany(e.ctx, noCustomer), cu.ErrInvalid, "a missing customer")
	dupID := []customeruser.User{fresh("i@example.com"), fresh("j@example.com")}
	dupID[1].ID = taken.ID
	require.Error(t, e.batch().CreateMany(e.ctx, dupID), "a taken id")
	assert.Equal(t, before, count())

	err := e.Tx.InTx(e.ctx, func(ctx context.Context) error {
		if err := e.batch().CreateMany(ctx, []customeruser.User{fresh("k@example.com"), fresh("l@example.com")}); err != nil {
			return err
		}
		return errBoom
	})
	require.ErrorIs(t, err, errBoom)
	assert.Equal(t, before, count(), "rolled back with its transaction")
	_, err = e.Users.GetByEmailKey(e.ctx, e.org, "k@example.com")
	requireCode(t, err, cu.ErrNotFound, "the e-mail index was rolled back too")

	ok := []customeruser.User{fresh("a@example.com"), fresh("k@example.com")}
	require.NoError(t, e.batch().CreateMany(e.ctx, ok), "the refused e-mails are free")
	assert.Equal(t, before+2, count())
}

// Batches racing for one e-mail key: exactly one wins, the others store
// nothing.
func batchCreateConcurrent(e *env) {
	t := e.t
	c := e.customer(e.org, uuid.Nil, "Acme")
	const workers = 6
	var wg sync.WaitGroup
	errs := make([]error, workers)
	for i := range workers {
		b := []customeruser.User{
			newUser(e.org, c.ID, "own"+strings.Repeat("x", i)+"@example.com", e.now()),
			newUser(e.org, c.ID, "shared@example.com", e.now()),
		}
		wg.Go(func() {
			errs[i] = e.maybeInTx(i, func(ctx context.Context) error { return e.batch().CreateMany(ctx, b) })
		})
	}
	wg.Wait()
	won := 0
	for _, err := range errs {
		if err == nil {
			won++
			continue
		}
		assert.True(t, isUnique(err, "email"), "want an e-mail unique error, got %v", err)
	}
	assert.Equal(t, 1, won, "exactly one batch wins")
	assert.Len(t, e.listUsers(e.org, customeruser.UserFilter{}), 2, "the losing batches stored nothing")
}

// UpdateMany writes every field of every user, makes their role links and
// addresses those given (dropping, changing and adding), bumps each
// version by one and leaves the other users alone.
func batchUpdateRoundTrip(e *env) {
	t := e.t
	c1, c2 := e.customer(e.org, uuid.Nil, "Acme"), e.customer(e.org, uuid.Nil, "Globex")
	r1, r2, r3 := e.role(e.org, uuid.Nil, "One"), e.role(e.org, uuid.Nil, "Two"), e.role(e.org, c2.ID, "Three")
	a := e.fullUser(c1.ID, "a@example.com", r1.ID, r2.ID)
	require.NoError(t, e.Users.Create(e.ctx, a))
	b := e.user(e.org, c1.ID, "b@example.com", func(u *customeruser.User) { u.RoleIDs = []uuid.UUID{r1.ID} })
	untouched := e.user(e.org, c1.ID, "c@example.com", func(u *customeruser.User) { u.RoleIDs = []uuid.UUID{r1.ID} })
	a, b = e.getUser(e.org, a.ID), e.getUser(e.org, b.ID)

	a2, b2 := userCopyOf(a), userCopyOf(b)
	a2.CustomerID, a2.Email, a2.EmailKey, a2.FirstName = c2.ID, "A2@example.com", "a2@example.com", "Renamed"
	a2.RoleIDs = []uuid.UUID{r3.ID, r1.ID}
	a2.Addresses = a2.Addresses[1:]
	a2.Addresses[0].Street = "Changed street"
	a2.Addresses = append(a2.Addresses, customeruser.Address{ID: cu.NewID(), Street: "New", City: "Rome", PostalCode: "00100",
		Country: "IT", CreatedAt: e.now(), UpdatedAt: e.now()})
	a2.Attributes = map[string]any{"only": "this"}
	a2.UpdatedAt = e.now().Add(time.Second)
	b2.Email, b2.EmailKey = "B2@example.com", "b2@example.com"
	b2.RoleIDs = nil
	b2.Enabled = false
	require.NoError(t, e.batch().UpdateMany(e.ctx, []customeruser.User{a2, b2}, []int64{a.Version, b.Version}))

	gotA, gotB := e.getUser(e.org, a.ID), e.getUser(e.org, b.ID)
	assert.Equal(t, a.Version+1, gotA.Version)
	assert.Equal(t, b.Version+1, gotB.Version)
	a2.Version, b2.Version = a.Version+1, b.Version+1
	assert.Equal(t, normUser(a2), normUser(gotA), "every field, roles and addresses")
	assert.Equal(t, normUser(b2), normUser(gotB))
	assert.Equal(t, normUser(untouched), normUser(e.getUser(e.org, untouched.ID)), "another user is left alone")
	byKey, err := e.Users.GetByEmailKey(e.ctx, e.org, "b2@example.com")
	require.NoError(t, err)
	assert.Equal(t, b.ID, byKey.ID, "the e-mail index follows")
	_, err = e.Users.GetByEmailKey(e.ctx, e.org, "a@example.com")
	requireCode(t, err, cu.ErrNotFound, "the old e-mail is free")
	require.NoError(t, e.batch().UpdateMany(e.ctx, nil, nil), "nothing to update is fine")
}

// A failing UpdateMany writes none of its users, and the error names the
// user concerned: stale, missing, of another organization, a taken e-mail
// or a missing role. Inside a transaction, its rollback undoes a
// successful one.
func batchUpdateAllOrNothing(e *env) {
	t := e.t
	c := e.customer(e.org, uuid.Nil, "Acme")
	r := e.role(e.org, uuid.Nil, "Buyer")
	mk := func(email string) customeruser.User {
		return e.user(e.org, c.ID, email, func(u *customeruser.User) { u.RoleIDs = []uuid.UUID{r.ID} })
	}
	a, b, taken := mk("a@example.com"), mk("b@example.com"), mk("taken@example.com")
	other := cu.NewID()
	stranger := e.user(other, e.customer(other, uuid.Nil, "Other").ID, "s@example.com")
	renamed := func(u customeruser.User) customeruser.User {
		u = userCopyOf(u)
		u.FirstName = "Changed"
		return u
	}
	unchanged := func() {
		t.Helper()
		for _, u := range []customeruser.User{a, b, taken} {
			got := e.getUser(e.org, u.ID)
			assert.Equal(t, u.Version, got.Version, "%s: version", u.Email)
			assert.Equal(t, u.FirstName, got.FirstName, "%s: nothing written", u.Email)
		}
		got := e.getUser(other, stranger.ID)
		assert.Equal(t, stranger.FirstName, got.FirstName, "the other organization's user")
	}
	itemErr := func(err error, index int, sentinel error, msg string) {
		t.Helper()
		var ie *customeruser.BatchItemError
		require.ErrorAs(t, err, &ie, msg)
		assert.Equal(t, index, ie.Index, msg)
		assert.ErrorIs(t, err, sentinel, msg)
	}

	err := e.batch().UpdateMany(e.ctx, []customeruser.User{renamed(a), renamed(b)}, []int64{a.Version, b.Version + 1})
	itemErr(err, 1, cu.ErrStale, "a stale version")
	unchanged()

	ghost := newUser(e.org, c.ID, "ghost@example.com", e.now())
	err = e.batch().UpdateMany(e.ctx, []customeruser.User{renamed(a), ghost}, []int64{a.Version, 1})
	itemErr(err, 1, cu.ErrNotFound, "a missing user")
	unchanged()

	impostor := renamed(stranger)
	impostor.OrganizationID = e.org
	err = e.batch().UpdateMany(e.ctx, []customeruser.User{impostor, renamed(a)}, []int64{stranger.Version, a.Version})
	itemErr(err, 0, cu.ErrNotFound, "another organization's user")
	unchanged()

	clash := renamed(b)
	clash.Email, clash.EmailKey = "TAKEN@example.com", "taken@example.com"
	err = e.batch().UpdateMany(e.ctx, []customeruser.User{renamed(a), clash}, []int64{a.Version, b.Version})
	requireEmailUnique(t, err)
	var ie *customeruser.BatchItemError
	if errors.As(err, &ie) {
		assert.Equal(t, 1, ie.Index, "a taken e-mail names its user when the storage can tell")
	}
	unchanged()

	noRole := renamed(a)
	noRole.RoleIDs = []uuid.UUID{r.ID, cu.NewID()}
	err = e.batch().UpdateMany(e.ctx, []customeruser.User{renamed(b), noRole}, []int64{b.Version, a.Version})
	require.ErrorIs(t, err, cu.ErrInvalid, "a missing role")
	unchanged()

	err = e.Tx.InTx(e.ctx, func(ctx context.Context) error {
		if err := e.batch().UpdateMany(ctx, []customeruser.User{renamed(a), renamed(b)}, []int64{a.Version, b.Version}); err != nil {
			return err
		}
		return errBoom
	})
	require.ErrorIs(t, err, errBoom)
	unchanged()

	err = e.Tx.InTx(e.ctx, func(ctx context.Context) error {
		err := e.batch().UpdateMany(ctx, []customeruser.User{renamed(a), renamed(b)}, []int64{a.Version, b.Version + 5})
		itemErr(err, 1, cu.ErrStale, "a stale version inside a transaction")
		return nil // commit what the transaction holds: nothing of the failed call
	})
	require.NoError(t, err)
	unchanged()

	require.NoError(t, e.batch().UpdateMany(e.ctx, []customeruser.User{renamed(a), renamed(b)}, []int64{a.Version, b.Version}))
	assert.Equal(t, "Changed", e.getUser(e.org, b.ID).FirstName)
}

// userCopyOf returns u with its slices and maps copied, so that changing
// the copy leaves u as it is.
func userCopyOf(u customeruser.User) customeruser.User {
	u.RoleIDs = slices.Clone(u.RoleIDs)
	u.SalesRepIDs = slices.Clone(u.SalesRepIDs)
	u.Addresses = slices.Clone(u.Addresses)
	u.Attributes = maps.Clone(u.Attributes)
	return u
}

// GetManyByEmailKeys finds the organization's non-guest users by exact
// key, each once, and leaves out missing keys.
func batchGetByKeys(e *env) {
	t := e.t
	c := e.customer(e.org, uuid.Nil, "Acme")
	a := e.fullUser(c.ID, "a@example.com")
	a.RoleIDs = []uuid.UUID{e.role(e.org, uuid.Nil, "Buyer").ID}
	require.NoError(t, e.Users.Create(e.ctx, a))
	b := e.user(e.org, c.ID, "b@example.com")
	e.user(e.org, c.ID, "guest@example.com", func(u *customeruser.User) { u.Guest = true })
	other := cu.NewID()
	e.user(other, e.customer(other, uuid.Nil, "Other").ID, "c@example.com")

	got, err := e.batch().GetManyByEmailKeys(e.ctx, e.org,
		[]string{"a@example.com", "b@example.com", "b@example.com", "guest@example.com", "c@example.com", "missing@example.com", "A@EXAMPLE.COM"})
	require.NoError(t, err)
	require.Len(t, got, 2, "a and b, once each")
	byID := map[uuid.UUID]customeruser.User{}
	for _, u := range got {
		byID[u.ID] = u
	}
	assert.Equal(t, normUser(a), normUser(byID[a.ID]), "every field")
	assert.Equal(t, b.ID, byID[b.ID].ID)

	none, err := e.batch().GetManyByEmailKeys(e.ctx, e.org, nil)
	require.NoError(t, err)
	assert.Empty(t, none)
	none, err = e.batch().GetManyByEmailKeys(e.ctx, other, []string{"a@example.com"})
	require.NoError(t, err)
	assert.Empty(t, none, "another organization")
}

// GetManyByEmailKeys on an organization of a few thousand users, in the
// batches of an import: exactly the registered users with the keys come
// back (keys compared exactly, so the case rule is the caller's), never a
// guest, never another organization's user holding the same key; the
// users an open transaction created are found in it, and only there.
func batchGetByKeysAtScale(e *env) {
	t := e.t
	const n = 3000
	c := e.customer(e.org, uuid.Nil, "Acme")
	r1, r2 := e.role(e.org, uuid.Nil, "Buyer"), e.role(e.org, uuid.Nil, "Admin")
	other := cu.NewID()
	oc := e.customer(other, uuid.Nil, "Other")
	at := e.now()
	// registered maps the keys of the organization's non-guest users to
	// them; keys lists every key stored anywhere, and more.
	registered := map[string]customeruser.User{}
	var keys []string
	var mine, theirs []customeruser.User
	for i := range n {
		email := fmt.Sprintf("user%05d@example.com", i)
		u := newUser(e.org, c.ID, email, at)
		u.RoleIDs = []uuid.UUID{r1.ID}
		if i%2 == 1 {
			u.RoleIDs = append(u.RoleIDs, r2.ID)
		}
		switch i % 10 {
		case 3:
			// Stored under the case-sensitive rule: the key is the e-mail
			// as written, which the lower-cased key does not find.
			u.Email = fmt.Sprintf("User%05d@Example.com", i)
			u.EmailKey = u.Email
			keys = append(keys, strings.ToLower(u.Email))
		case 7:
			// A guest, with a key of its own or a registered user's.
			u.Guest, u.Enabled, u.RoleIDs = true, false, nil
			if i%20 == 17 {
				u.EmailKey = fmt.Sprintf("user%05d@example.com", i-1)
			}
		}
		mine = append(mine, u)
		keys = append(keys, u.EmailKey, fmt.Sprintf("missing%05d@example.com", i))
		if !u.Guest {
			registered[u.EmailKey] = u
		}
		if i%3 == 0 {
			// Another organization holds the same key; some keys only
			// it holds.
			o := newUser(other, oc.ID, u.Email, at)
			o.EmailKey = u.EmailKey
			theirs = append(theirs, o)
			if i%9 == 0 {
				only := newUser(other, oc.ID, fmt.Sprintf("theirs%05d@example.com", i), at)
				theirs = append(theirs, only)
				keys = append(keys, only.EmailKey)
			}
		}
	}
	// A pair of keys differing in case only: two users.
	lower, upper := newUser(e.org, c.ID, "pair@example.com", at), newUser(e.org, c.ID, "Pair@Example.com", at)
	upper.EmailKey = upper.Email
	mine = append(mine, lower, upper)
	registered[lower.EmailKey], registered[upper.EmailKey] = lower, upper
	keys = append(keys, lower.EmailKey, upper.EmailKey, "PAIR@EXAMPLE.COM")
	for _, us := range [][]customeruser.User{mine, theirs} {
		for b := range slices.Chunk(us, 500) {
			require.NoError(t, e.batch().CreateMany(e.ctx, b))
		}
	}

	// check looks keys up and compares with registered.
	check := func(ctx context.Context, keys []string, registered map[string]customeruser.User, what string) {
		t.Helper()
		got, err := e.batch().GetManyByEmailKeys(ctx, e.org, keys)
		require.NoError(t, err, what)
		var want []uuid.UUID
		seen := map[string]bool{}
		for _, k := range keys {
			if u, ok := registered[k]; ok && !seen[k] {
				seen[k] = true
				want = append(want, u.ID)
			}
		}
		if !sameIDs(t, want, userIDs(got), what) {
			return
		}
		for _, u := range got {
			w := registered[u.EmailKey]
			assert.Equal(t, w.ID, u.ID, "%s: the user of key %q", what, u.EmailKey)
			assert.Equal(t, e.org, u.OrganizationID, what)
			assert.False(t, u.Guest, what)
			assert.Equal(t, w.Email, u.Email, what)
			assert.Equal(t, sortedIDs(w.RoleIDs), sortedIDs(u.RoleIDs), "%s: roles of %q", what, u.EmailKey)
		}
	}
	// In an import's batches, each with a repeated key.
	for i, b := range slices.Collect(slices.Chunk(keys, 500)) {
		check(e.ctx, slices.Concat(b, b[:1]), registered, fmt.Sprintf("batch %d", i))
	}
	check(e.ctx, keys, registered, "every key at once")
	check(e.ctx, []string{"PAIR@EXAMPLE.COM", "pair@example.com"}, registered, "the pair, lower case")
	check(e.ctx, []string{"Pair@Example.com"}, registered, "the pair, as written")
	theirsOnly, err := e.batch().GetManyByEmailKeys(e.ctx, other, []string{"user00000@example.com", "user00001@example.com", "theirs00000@example.com"})
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{"user00000@example.com", "theirs00000@example.com"},
		mapSlice(theirsOnly, func(u customeruser.User) string { return u.EmailKey }), "the other organization's own users")

	// Users created in an open transaction (an all-or-nothing import's
	// earlier batches) are found in it and gone after its rollback.
	var added []customeruser.User
	for i := range 500 {
		added = append(added, newUser(e.org, c.ID, fmt.Sprintf("added%05d@example.com", i), at))
	}
	inTx := maps.Clone(registered)
	var addedKeys []string
	for _, u := range added {
		inTx[u.EmailKey] = u
		addedKeys = append(addedKeys, u.EmailKey, "x"+u.EmailKey)
	}
	err = e.Tx.InTx(e.ctx, func(ctx context.Context) error {
		if err := e.batch().CreateMany(ctx, added); err != nil {
			return err
		}
		check(ctx, slices.Concat(addedKeys, keys[:500]), inTx, "in the transaction")
		return errBoom
	})
	require.ErrorIs(t, err, errBoom)
	check(e.ctx, slices.Concat(addedKeys, keys[:500]), registered, "after the rollback")
}

// MaxRoleCount applies List's filters and counts each user's roles.
func batchMaxRoleCount(e *env) {
	t := e.t
	c1 := e.customer(e.org, uuid.Nil, "One")
	c2 := e.customer(e.org, c1.ID, "Two")
	c3 := e.customer(e.org, uuid.Nil, "Three")
	roles := make([]uuid.UUID, 4)
	for i := range roles {
		roles[i] = e.role(e.org, uuid.Nil, "R"+string(rune('a'+i))).ID
	}
	withRoles := func(ids ...uuid.UUID) func(*customeruser.User) {
		return func(u *customeruser.User) { u.RoleIDs = ids }
	}
	e.user(e.org, c1.ID, "one@example.com", withRoles(roles[0]))
	e.user(e.org, c2.ID, "two@example.com", withRoles(roles[0], roles[1], roles[2]))
	e.user(e.org, c3.ID, "three@example.com", withRoles(roles...), func(u *customeruser.User) { u.Enabled = false })
	e.user(e.org, c3.ID, "none@example.com")
	other := cu.NewID()
	oc := e.customer(other, uuid.Nil, "Other")
	orole := e.role(other, uuid.Nil, "Only")
	e.user(other, oc.ID, "x@example.com", withRoles(orole.ID))

	count := func(f customeruser.UserFilter, org uuid.UUID) int {
		t.Helper()
		n, err := e.batch().MaxRoleCount(e.ctx, org, f)
		require.NoError(t, err)
		return n
	}
	assert.Equal(t, 4, count(customeruser.UserFilter{}, e.org))
	assert.Equal(t, 3, count(customeruser.UserFilter{Enabled: ptr(true)}, e.org))
	assert.Equal(t, 3, count(customeruser.UserFilter{SubtreeOf: c1.ID}, e.org))
	assert.Equal(t, 1, count(customeruser.UserFilter{CustomerID: c1.ID}, e.org))
	assert.Equal(t, 0, count(customeruser.UserFilter{Email: "none@"}, e.org))
	assert.Equal(t, 0, count(customeruser.UserFilter{Email: "nobody"}, e.org), "no user matches")
	assert.Equal(t, 4, count(customeruser.UserFilter{RoleID: roles[3]}, e.org))
	assert.Equal(t, 1, count(customeruser.UserFilter{}, other), "another organization")
	assert.Equal(t, 0, count(customeruser.UserFilter{}, cu.NewID()))
}
