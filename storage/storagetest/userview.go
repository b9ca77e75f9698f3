package storagetest

import (
	"context"
	"errors"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	cu "github.com/b2bkit/customerusers"
	"github.com/b2bkit/customerusers/customeruser"
)

// userViewCases check the optional customeruser.UserViewReader extension
// (GetWithCustomerSalesReps: Get plus the sales representatives of the
// user's customer, in one read). They skip when Repos.Users does not
// implement it.
func userViewCases() []testCase {
	return []testCase{
		{"RoundTrip", userViewRoundTrip},
		{"FollowsTheCustomer", userViewFollowsCustomer},
		{"NotFoundAndIsolation", userViewIsolation},
		{"InTransaction", userViewInTx},
		{"NoAliasing", userViewNoAliasing},
	}
}

// viewReader returns the extension, or skips the test.
func (e *env) viewReader() customeruser.UserViewReader {
	e.t.Helper()
	vr, ok := e.Users.(customeruser.UserViewReader)
	if !ok {
		e.t.Skipf("Repos.Users (%T) does not implement customeruser.UserViewReader", e.Users)
	}
	return vr
}

// The user comes back as Get returns it, with its customer's
// representatives whatever its own; none without a customer or when the
// customer has none.
func userViewRoundTrip(e *env) {
	t := e.t
	vr := e.viewReader()
	repA, repB := cu.NewID(), cu.NewID()
	served := e.customer(e.org, uuid.Nil, "Served", func(c *customeruser.Customer) { c.SalesRepIDs = []uuid.UUID{repA, repB} })
	unserved := e.customer(e.org, uuid.Nil, "Unserved")
	r := e.role(e.org, uuid.Nil, "Buyer")

	full := e.fullUser(served.ID, "full@example.com", r.ID) // with representatives of its own
	require.NoError(t, e.Users.Create(e.ctx, full))
	inherits := e.user(e.org, served.ID, "inherits@example.com")
	plain := e.user(e.org, unserved.ID, "plain@example.com")
	orphan := e.user(e.org, uuid.Nil, "orphan@example.com")

	tests := []struct {
		name string
		user customeruser.User
		want []uuid.UUID
	}{
		{"own representatives", full, []uuid.UUID{repA, repB}},
		{"inherits", inherits, []uuid.UUID{repA, repB}},
		{"customer without representatives", plain, nil},
		{"no customer", orphan, nil},
	}
	for _, tt := range tests {
		u, reps, err := vr.GetWithCustomerSalesReps(e.ctx, e.org, tt.user.ID)
		require.NoError(t, err, tt.name)
		assert.Equal(t, normUser(e.getUser(e.org, tt.user.ID)), normUser(u), "%s: the user is what Get returns", tt.name)
		assert.Equal(t, normUser(tt.user), normUser(u), "%s: the user is what Create stored", tt.name)
		assert.Equal(t, sortedIDs(tt.want), sortedIDs(reps), "%s: the customer's representatives", tt.name)
	}
}

// The representatives are read at each call: a change of the customer's
// list or of the user's customer shows at once.
func userViewFollowsCustomer(e *env) {
	t := e.t
	vr := e.viewReader()
	rep1, rep2 := cu.NewID(), cu.NewID()
	a := e.customer(e.org, uuid.Nil, "A", func(c *customeruser.Customer) { c.SalesRepIDs = []uuid.UUID{rep1} })
	b := e.customer(e.org, uuid.Nil, "B")
	u := e.user(e.org, a.ID, "u@example.com")

	a.SalesRepIDs, a.Version = []uuid.UUID{rep2}, 2
	require.NoError(t, e.Customers.Update(e.ctx, a, 1))
	_, reps, err := vr.GetWithCustomerSalesReps(e.ctx, e.org, u.ID)
	require.NoError(t, err)
	assert.Equal(t, []uuid.UUID{rep2}, reps, "the customer's new list")

	u.CustomerID, u.UpdatedAt, u.Version = b.ID, e.now(), 2
	require.NoError(t, e.Users.Update(e.ctx, u, 1))
	got, reps, err := vr.GetWithCustomerSalesReps(e.ctx, e.org, u.ID)
	require.NoError(t, err)
	assert.Equal(t, b.ID, got.CustomerID)
	assert.Equal(t, int64(2), got.Version)
	assert.Empty(t, reps, "the new customer has none")
}

// An unknown id, or another organization's user, is not found; a user is
// never given another organization's customer's representatives.
func userViewIsolation(e *env) {
	t := e.t
	vr := e.viewReader()
	other := cu.NewID()
	mine := e.customer(e.org, uuid.Nil, "Mine", func(c *customeruser.Customer) { c.SalesRepIDs = []uuid.UUID{cu.NewID()} })
	theirs := e.customer(other, uuid.Nil, "Theirs", func(c *customeruser.Customer) { c.SalesRepIDs = []uuid.UUID{cu.NewID()} })
	u := e.user(e.org, mine.ID, "u@example.com")
	foreign := e.user(other, theirs.ID, "u@example.com")

	for name, id := range map[string]uuid.UUID{"unknown id": cu.NewID(), "another organization's user": foreign.ID} {
		_, _, err := vr.GetWithCustomerSalesReps(e.ctx, e.org, id)
		requireCode(t, err, cu.ErrNotFound, name)
	}
	_, _, err := vr.GetWithCustomerSalesReps(e.ctx, other, u.ID)
	requireCode(t, err, cu.ErrNotFound, "my user seen from the other organization")

	got, reps, err := vr.GetWithCustomerSalesReps(e.ctx, other, foreign.ID)
	require.NoError(t, err)
	assert.Equal(t, other, got.OrganizationID)
	assert.Equal(t, theirs.SalesRepIDs, reps)
	_, reps, err = vr.GetWithCustomerSalesReps(e.ctx, e.org, u.ID)
	require.NoError(t, err)
	assert.Equal(t, mine.SalesRepIDs, reps)
}

// Inside a transaction the read sees the transaction's own writes, like
// Get; after a rollback they are gone.
func userViewInTx(e *env) {
	t := e.t
	vr := e.viewReader()
	rollback := errors.New("roll back")
	rep := cu.NewID()
	at := e.now()
	c := customeruser.Customer{ID: cu.NewID(), OrganizationID: e.org, Name: "New", SalesRepIDs: []uuid.UUID{rep},
		CreatedAt: at, UpdatedAt: at, Version: 1}
	u := newUser(e.org, c.ID, "new@example.com", e.now())
	var got customeruser.User
	var reps []uuid.UUID
	err := e.Tx.InTx(e.ctx, func(ctx context.Context) error {
		if err := e.Customers.Create(ctx, c); err != nil {
			return err
		}
		if err := e.Users.Create(ctx, u); err != nil {
			return err
		}
		var err error
		if got, reps, err = vr.GetWithCustomerSalesReps(ctx, e.org, u.ID); err != nil {
			return err
		}
		return rollback
	})
	require.ErrorIs(t, err, rollback)
	assert.Equal(t, u.ID, got.ID, "the transaction's own user")
	assert.Equal(t, []uuid.UUID{rep}, reps, "the transaction's own customer")
	_, _, err = vr.GetWithCustomerSalesReps(e.ctx, e.org, u.ID)
	requireCode(t, err, cu.ErrNotFound, "rolled back")
}

// The values returned are copies.
func userViewNoAliasing(e *env) {
	t := e.t
	vr := e.viewReader()
	rep := cu.NewID()
	c := e.customer(e.org, uuid.Nil, "Acme", func(c *customeruser.Customer) { c.SalesRepIDs = []uuid.UUID{rep} })
	u := e.user(e.org, c.ID, "u@example.com", func(u *customeruser.User) { u.SalesRepIDs = []uuid.UUID{cu.NewID()} })
	got, reps, err := vr.GetWithCustomerSalesReps(e.ctx, e.org, u.ID)
	require.NoError(t, err)
	require.Len(t, reps, 1)
	require.Len(t, got.SalesRepIDs, 1)
	reps[0], got.SalesRepIDs[0] = cu.NewID(), cu.NewID()
	got2, reps2, err := vr.GetWithCustomerSalesReps(e.ctx, e.org, u.ID)
	require.NoError(t, err)
	assert.Equal(t, []uuid.UUID{rep}, reps2)
	assert.Equal(t, u.SalesRepIDs, got2.SalesRepIDs)
	assert.Equal(t, []uuid.UUID{rep}, e.getCustomer(e.org, c.ID).SalesRepIDs)
}
