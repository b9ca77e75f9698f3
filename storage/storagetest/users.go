package storagetest

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	cu "github.com/b2bkit/customerusers"
	"github.com/b2bkit/customerusers/customeruser"
)

func userCases() []testCase {
	return []testCase{
		{"RoundTrip", userRoundTrip},
		{"NotFound", userNotFound},
		{"GetByEmailKey", userGetByEmailKey},
		{"UniqueEmail", userUniqueEmail},
		{"GuestsNeverConflict", userGuests},
		{"ConcurrentUniqueEmail", userConcurrentUniqueEmail},
		{"Stale", userStale},
		{"ConcurrentUpdates", userConcurrentUpdates},
		{"Touch", userTouch},
		{"CountByCustomer", userCountByCustomer},
		{"NoAliasing", userNoAliasing},
	}
}

// fullUser returns an unsaved user with every field set.
func (e *env) fullUser(customer uuid.UUID, email string, roles ...uuid.UUID) customeruser.User {
	u := newUser(e.org, customer, email, e.now())
	at := u.CreatedAt
	u.NamePrefix, u.MiddleName, u.NameSuffix = "Dr.", "Q.", "Jr."
	u.FirstName, u.LastName = "Zoë", "O'Brien-Łukasz"
	u.Birthday = ptr(time.Date(1984, 2, 29, 0, 0, 0, 0, time.UTC))
	u.Phone = "+33 1 23 45 67 89"
	u.Confirmed = false
	u.AuthStatus = customeruser.AuthReset
	u.RoleIDs = roles
	u.SalesRepIDs = []uuid.UUID{cu.NewID(), cu.NewID()}
	u.OwnerID = cu.NewID()
	u.WebsiteID = cu.NewID()
	u.PreferredLocalizationID = cu.NewID()
	u.Attributes = map[string]any{
		"loyaltyTier": "gold",
		"score":       42.5,
		"vip":         true,
		"tags":        []any{"a", "b"},
		"nested":      map[string]any{"k": "v", "n": float64(3)},
		"none":        nil,
	}
	u.ExternalID = "CRM-" + email
	u.PasswordHash = "$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g"
	u.PasswordChangedAt = ptr(at.Add(-time.Hour))
	u.LastLoginAt = ptr(at.Add(-time.Minute))
	u.LoginCount = 7
	u.UpdatedAt = at.Add(3 * time.Millisecond)
	u.Addresses = []customeruser.Address{
		{
			ID: cu.NewID(), Label: "Head office", Organization: "Acme Corp", NamePrefix: "Ms.", FirstName: "Ada",
			MiddleName: "B.", LastName: "Lovelace", NameSuffix: "III", Street: "1 Main Street", Street2: "Floor 3",
			City: "Springfield", PostalCode: "12345", Country: "US", Region: "US-IL", Phone: "+1 555 0100",
			Primary: true,
			Types: []customeruser.AddressTypeFlag{
				{Type: customeruser.Billing, Default: true},
				{Type: customeruser.Shipping, Default: false},
			},
			CreatedAt: at, UpdatedAt: at.Add(time.Microsecond),
		},
		{
			ID: cu.NewID(), Organization: "Warehouse GmbH", Street: "Hafenstraße 9", City: "Hamburg",
			PostalCode: "20457", Country: "DE", Region: "Hamburg",
			Types:     []customeruser.AddressTypeFlag{{Type: customeruser.Shipping, Default: true}},
			CreatedAt: at, UpdatedAt: at,
		},
		{ID: cu.NewID(), FirstName: "No", LastName: "Types", Street: "2 Side St", City: "Paris", PostalCode: "75001", Country: "FR", CreatedAt: at, UpdatedAt: at},
	}
	return u
}

// userRepo is the user repository as the shared checks use it.
func (e *env) userRepo() versioned[customeruser.User] {
	return versioned[customeruser.User]{repo: e.Users, norm: normUser,
		key: func(u *customeruser.User) (uuid.UUID, uuid.UUID, *int64) {
			return u.OrganizationID, u.ID, &u.Version
		}}
}

func userRoundTrip(e *env) {
	t := e.t
	c1 := e.customer(e.org, uuid.Nil, "Acme")
	c2 := e.customer(e.org, uuid.Nil, "Globex")
	r1 := e.role(e.org, uuid.Nil, "Buyer")
	r2 := e.role(e.org, c1.ID, "Approver")
	r3 := e.role(e.org, c2.ID, "Boss")

	u := e.fullUser(c1.ID, "Zoe.OBrien@Example.COM", r1.ID, r2.ID)
	require.NoError(t, e.Users.Create(e.ctx, u))
	assert.Equal(t, normUser(u), normUser(e.getUser(e.org, u.ID)), "Get returns what Create stored")
	byKey, err := e.Users.GetByEmailKey(e.ctx, e.org, "zoe.obrien@example.com")
	require.NoError(t, err)
	assert.Equal(t, normUser(u), normUser(byKey), "GetByEmailKey")

	// Update every field: a new customer, e-mail, roles; one address
	// changed, one removed, one added; pointers cleared.
	u.CustomerID = c2.ID
	u.Email, u.EmailKey = "zoe@globex.test", "zoe@globex.test"
	u.NamePrefix, u.FirstName, u.MiddleName, u.LastName, u.NameSuffix = "", "Zoe", "", "Brien", ""
	u.Birthday = nil
	u.Phone = ""
	u.Enabled, u.Confirmed = false, true
	u.AuthStatus = customeruser.AuthActive
	u.RoleIDs = []uuid.UUID{r1.ID, r3.ID}
	u.SalesRepIDs = nil
	u.OwnerID, u.WebsiteID, u.PreferredLocalizationID = cu.NewID(), cu.NewID(), uuid.Nil
	u.Attributes = map[string]any{"loyaltyTier": "silver"}
	u.ExternalID = ""
	u.PasswordHash = "$argon2id$v=19$m=64,t=1,p=1$bmV3c2FsdG5ld3NhbHQ$bmV3aGFzaG5ld2hhc2huZXdoYXNobmV3aGFzaG5ldw"
	u.PasswordChangedAt = ptr(e.now())
	u.LastLoginAt = nil
	u.LoginCount = 0
	u.UpdatedAt = e.now()
	u.Addresses[0].Street = "100 New Street"
	u.Addresses[0].Types = []customeruser.AddressTypeFlag{{Type: customeruser.Shipping, Default: false}}
	u.Addresses[0].Primary = false
	u.Addresses[0].UpdatedAt = u.UpdatedAt
	u.Addresses = append(u.Addresses[:1], u.Addresses[2], customeruser.Address{
		ID: cu.NewID(), Label: "New", Organization: "Globex", Street: "3 Elm", City: "Rome", PostalCode: "00100",
		Country: "IT", Primary: true, Types: []customeruser.AddressTypeFlag{{Type: customeruser.Billing, Default: true}},
		CreatedAt: u.UpdatedAt, UpdatedAt: u.UpdatedAt,
	})
	u.Version = 50
	repo := e.userRepo()
	u = repo.checkUpdate(e, u, 1, "Get after Update")
	_, err = e.Users.GetByEmailKey(e.ctx, e.org, "zoe.obrien@example.com")
	requireCode(t, err, cu.ErrNotFound, "the old e-mail key is gone")
	byKey, err = e.Users.GetByEmailKey(e.ctx, e.org, "zoe@globex.test")
	require.NoError(t, err)
	assert.Equal(t, u.ID, byKey.ID)

	// Emptying every collection.
	u.RoleIDs, u.Addresses, u.Attributes = nil, nil, nil
	u = repo.checkUpdate(e, u, 2, "Get after emptying collections")

	repo.checkDelete(e, u)
	_, err = e.Users.GetByEmailKey(e.ctx, e.org, u.EmailKey)
	requireCode(t, err, cu.ErrNotFound, "GetByEmailKey after Delete")
}

func userNotFound(e *env) {
	t := e.t
	repo := e.userRepo()
	c := e.customer(e.org, uuid.Nil, "Acme")
	kept := e.user(e.org, c.ID, "kept@example.com")
	unknown := newUser(e.org, c.ID, "ghost@example.com", e.now())

	_, err := e.Users.GetByEmailKey(e.ctx, e.org, unknown.EmailKey)
	requireCode(t, err, cu.ErrNotFound, "GetByEmailKey")
	requireCode(t, e.Users.Touch(e.ctx, unknown), cu.ErrNotFound, "Touch")
	repo.checkNotFound(e, unknown, kept)
	requireCode(t, e.Users.Touch(e.ctx, kept), cu.ErrNotFound, "Touch of a deleted user")

	dup := e.user(e.org, c.ID, "original@example.com")
	again := newUser(e.org, c.ID, "impostor@example.com", e.now())
	again.ID = dup.ID
	repo.checkTakenID(e, dup, again)
	_, err = e.Users.GetByEmailKey(e.ctx, e.org, again.EmailKey)
	requireCode(t, err, cu.ErrNotFound, "a refused Create stores nothing")
}

// GetByEmailKey matches the key exactly (the service computes it) and
// finds only non-guest users.
func userGetByEmailKey(e *env) {
	t := e.t
	c := e.customer(e.org, uuid.Nil, "Acme")
	u := e.user(e.org, c.ID, "Amanda@Example.org")
	guest := func(x *customeruser.User) { x.Guest = true }
	e.user(e.org, c.ID, "Amanda@Example.org", guest)
	e.user(e.org, c.ID, "only.guest@example.org", guest)

	got, err := e.Users.GetByEmailKey(e.ctx, e.org, "amanda@example.org")
	require.NoError(t, err)
	assert.Equal(t, u.ID, got.ID, "the non-guest user, not the guest")
	_, err = e.Users.GetByEmailKey(e.ctx, e.org, "Amanda@Example.org")
	requireCode(t, err, cu.ErrNotFound, "the key is matched exactly")
	_, err = e.Users.GetByEmailKey(e.ctx, e.org, "only.guest@example.org")
	requireCode(t, err, cu.ErrNotFound, "guests are not found by e-mail key")

	// Case-sensitive mode: keys that differ in case are different users.
	cs := newUser(e.org, c.ID, "CaseSensitive@example.org", e.now())
	cs.EmailKey = cs.Email
	require.NoError(t, e.Users.Create(e.ctx, cs))
	cs2 := newUser(e.org, c.ID, "casesensitive@example.org", e.now())
	require.NoError(t, e.Users.Create(e.ctx, cs2))
	got, err = e.Users.GetByEmailKey(e.ctx, e.org, "CaseSensitive@example.org")
	require.NoError(t, err)
	assert.Equal(t, cs.ID, got.ID)
	got, err = e.Users.GetByEmailKey(e.ctx, e.org, "casesensitive@example.org")
	require.NoError(t, err)
	assert.Equal(t, cs2.ID, got.ID)
}

func requireEmailUnique(t testing.TB, err error) {
	t.Helper()
	requireUnique(t, err, "email")
	var ce *cu.Error
	require.ErrorAs(t, err, &ce)
	v, _ := ce.Violation("email")
	assert.Equal(t, "This email is already used.", v.Message)
}

func userUniqueEmail(e *env) {
	t := e.t
	c := e.customer(e.org, uuid.Nil, "Acme")
	other := e.customer(e.org, uuid.Nil, "Globex")
	a := e.user(e.org, c.ID, "taken@example.com")
	b := e.user(e.org, c.ID, "free@example.com")

	for _, email := range []string{"taken@example.com", "TAKEN@example.com", "Taken@Example.Com"} {
		dup := newUser(e.org, c.ID, email, e.now())
		requireEmailUnique(t, e.Users.Create(e.ctx, dup))
		dup.CustomerID = other.ID // per organization, not per customer
		requireEmailUnique(t, e.Users.Create(e.ctx, dup))
		_, err := e.Users.Get(e.ctx, e.org, dup.ID)
		requireCode(t, err, cu.ErrNotFound, "a refused Create stores nothing")
	}

	// Update onto a taken key is refused and changes nothing.
	x := b
	x.Email, x.EmailKey, x.FirstName = "TAKEN@EXAMPLE.COM", "taken@example.com", "Changed"
	requireEmailUnique(t, e.Users.Update(e.ctx, x, b.Version))
	assert.Equal(t, normUser(b), normUser(e.getUser(e.org, b.ID)))
	got, err := e.Users.GetByEmailKey(e.ctx, e.org, "taken@example.com")
	require.NoError(t, err)
	assert.Equal(t, a.ID, got.ID)

	// Changing the case of one's own e-mail is fine.
	y := a
	y.Email = "Taken@Example.com"
	require.NoError(t, e.Users.Update(e.ctx, y, a.Version))
	// A freed key is reusable: by update...
	y.Email, y.EmailKey = "moved@example.com", "moved@example.com"
	require.NoError(t, e.Users.Update(e.ctx, y, a.Version+1))
	x.Version = b.Version
	require.NoError(t, e.Users.Update(e.ctx, x, b.Version))
	// ...and by delete.
	require.NoError(t, e.Users.Delete(e.ctx, e.org, b.ID))
	e.user(e.org, c.ID, "Taken@example.com")
}

// Guests never conflict, with each other or with a registered user.
func userGuests(e *env) {
	t := e.t
	c := e.customer(e.org, uuid.Nil, "Acme")
	guest := func(x *customeruser.User) { x.Guest = true }
	g1 := e.user(e.org, c.ID, "shopper@example.com", guest)
	e.user(e.org, c.ID, "SHOPPER@example.com", guest)
	reg := e.user(e.org, c.ID, "Shopper@example.com") // a registered user after guests
	e.user(e.org, c.ID, "shopper@EXAMPLE.com", guest) // a guest after a registered user
	assert.Len(t, e.listUsers(e.org, customeruser.UserFilter{Email: "shopper@"}), 4)

	// A guest becoming a registered user takes the key, which is taken.
	x := g1
	x.Guest = false
	requireEmailUnique(t, e.Users.Update(e.ctx, x, g1.Version))
	assert.True(t, e.getUser(e.org, g1.ID).Guest)

	// Once the registered user is a guest too, the key is free.
	y := reg
	y.Guest = true
	require.NoError(t, e.Users.Update(e.ctx, y, reg.Version))
	_, err := e.Users.GetByEmailKey(e.ctx, e.org, "shopper@example.com")
	requireCode(t, err, cu.ErrNotFound)
	require.NoError(t, e.Users.Update(e.ctx, x, g1.Version))
	got, err := e.Users.GetByEmailKey(e.ctx, e.org, "shopper@example.com")
	require.NoError(t, err)
	assert.Equal(t, g1.ID, got.ID)
}

// N writers create the same e-mail in different cases at once: exactly one
// wins, the others get the email/unique error.
func userConcurrentUniqueEmail(e *env) {
	t := e.t
	c := e.customer(e.org, uuid.Nil, "Acme")
	ids := make([]uuid.UUID, concurrency)
	won, refused := race(t, func(i int) error {
		email := []byte("race.condition@example.com")
		for j := range email {
			if (i>>(j%4))&1 == 1 {
				email[j] = byte(strings.ToUpper(string(email[j]))[0])
			}
		}
		u := newUser(e.org, c.ID, string(email), e.now())
		ids[i] = u.ID
		return e.maybeInTx(i, func(ctx context.Context) error { return e.Users.Create(ctx, u) })
	}, uniqueOn("email"))
	require.Len(t, won, 1, "exactly one writer wins")
	assert.Equal(t, concurrency-1, refused)
	got, err := e.Users.GetByEmailKey(e.ctx, e.org, "race.condition@example.com")
	require.NoError(t, err)
	assert.Equal(t, ids[won[0]], got.ID)
	assert.Len(t, e.listUsers(e.org, customeruser.UserFilter{Email: "race.condition"}), 1)
}

func userStale(e *env) {
	c := e.customer(e.org, uuid.Nil, "Acme")
	u := e.user(e.org, c.ID, "stale@example.com")
	x := u
	x.FirstName = "Changed"
	assert.Equal(e.t, "Changed", e.userRepo().checkStale(e, u, x).FirstName)
}

// Every writer increments a counter (the middle name) with read, modify,
// update, retrying on stale: the final value is the number of writers.
func userConcurrentUpdates(e *env) {
	t := e.t
	c := e.customer(e.org, uuid.Nil, "Acme")
	u := e.user(e.org, c.ID, "counter@example.com", func(x *customeruser.User) { x.MiddleName = "0" })
	got := e.userRepo().raceUpdates(e, u, func(_ int, cur *customeruser.User) error {
		n, err := strconv.Atoi(cur.MiddleName)
		cur.MiddleName = strconv.Itoa(n + 1)
		return err
	})
	assert.Equal(t, strconv.Itoa(concurrency), got.MiddleName, "no lost update")
}

// Touch stores LastLoginAt, LoginCount and PasswordHash, and nothing else:
// not Version, not UpdatedAt, and not the other fields of its argument,
// which a login may have read before a concurrent Update.
func userTouch(e *env) {
	t := e.t
	c := e.customer(e.org, uuid.Nil, "Acme")
	u := e.user(e.org, c.ID, "touch@example.com", func(x *customeruser.User) { x.PasswordHash = "old-hash" })
	read := u // what a login read

	// Meanwhile an administrator updates the user.
	upd := u
	upd.FirstName = "Renamed"
	upd.UpdatedAt = e.now()
	require.NoError(t, e.Users.Update(e.ctx, upd, u.Version))
	upd.Version = u.Version + 1

	login := e.now()
	read.LastLoginAt = &login
	read.LoginCount = 3
	read.PasswordHash = "rehashed"
	read.UpdatedAt = e.now() // ignored
	require.NoError(t, e.Users.Touch(e.ctx, read))

	want := upd
	want.LastLoginAt, want.LoginCount, want.PasswordHash = &login, 3, "rehashed"
	assert.Equal(t, normUser(want), normUser(e.getUser(e.org, u.ID)), "Touch keeps Version, UpdatedAt and the concurrent update")

	// A later Update with the unchanged version still works.
	upd2 := e.getUser(e.org, u.ID)
	upd2.LastName = "After"
	require.NoError(t, e.Users.Update(e.ctx, upd2, want.Version))
}

// CountByCustomer counts every user of one customer, guests included.
func userCountByCustomer(e *env) {
	t := e.t
	a := e.customer(e.org, uuid.Nil, "A")
	b := e.customer(e.org, a.ID, "B")
	empty := e.customer(e.org, uuid.Nil, "Empty")
	for i := range 3 {
		e.user(e.org, a.ID, fmt.Sprintf("a%d@example.com", i))
	}
	e.user(e.org, a.ID, "guest@example.com", func(u *customeruser.User) { u.Guest = true })
	e.user(e.org, a.ID, "disabled@example.com", func(u *customeruser.User) { u.Enabled = false })
	moving := e.user(e.org, b.ID, "b@example.com")
	count := func(id uuid.UUID) int {
		n, err := e.Users.CountByCustomer(e.ctx, e.org, id)
		require.NoError(t, err)
		return n
	}
	assert.Equal(t, 5, count(a.ID), "a child's users are not counted")
	assert.Equal(t, 1, count(b.ID))
	assert.Equal(t, 0, count(empty.ID))
	assert.Equal(t, 0, count(cu.NewID()))

	moving.CustomerID = empty.ID
	require.NoError(t, e.Users.Update(e.ctx, moving, moving.Version))
	assert.Equal(t, 0, count(b.ID))
	assert.Equal(t, 1, count(empty.ID))
	require.NoError(t, e.Users.Delete(e.ctx, e.org, moving.ID))
	assert.Equal(t, 0, count(empty.ID))
}

func userNoAliasing(e *env) {
	t := e.t
	c := e.customer(e.org, uuid.Nil, "Acme")
	r := e.role(e.org, uuid.Nil, "Buyer")
	mutate := func(x *customeruser.User) {
		x.RoleIDs[0] = uuid.Nil
		x.SalesRepIDs[0] = uuid.Nil
		x.Addresses[0].City = "Mutated"
		x.Addresses[0].Types[0].Default = false
		x.Attributes["loyaltyTier"] = "mutated"
		x.Attributes["nested"].(map[string]any)["k"] = "mutated"
		*x.Birthday = time.Time{}
		*x.LastLoginAt = time.Time{}
	}
	u := e.fullUser(c.ID, "alias@example.com", r.ID)
	want := e.userRepo().checkNoAliasing(e, u, mutate)
	list := e.listUsers(e.org, customeruser.UserFilter{})
	require.Len(t, list, 1)
	mutate(&list[0])
	assert.Equal(t, want, normUser(e.getUser(e.org, u.ID)), "after changing a listed value")
}
