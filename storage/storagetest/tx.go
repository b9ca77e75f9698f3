package storagetest

import (
	"context"
	"errors"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	cu "github.com/b2bkit/customerusers"
	"github.com/b2bkit/customerusers/customeruser"
	"github.com/b2bkit/customerusers/role"
)

func txCases() []testCase {
	return []testCase{
		{"RollbackOnError", txRollbackOnError},
		{"RollbackOnPanic", txRollbackOnPanic},
		{"NestedJoinsOuter", txNested},
		{"Commit", txCommit},
		{"UniqueKeysFreedInTx", txUniqueFreed},
	}
}

var errBoom = errors.New("boom")

// txWorld is data that exists before a transaction, and a snapshot of it.
type txWorld struct {
	parent, leaf customeruser.Customer
	r1, r2       role.Role
	user, other  customeruser.User
	tok          customeruser.Token
}

func (e *env) txWorld() txWorld {
	var w txWorld
	w.parent = e.customer(e.org, uuid.Nil, "Parent", func(c *customeruser.Customer) { c.ExternalID = "P-1" })
	w.leaf = e.customer(e.org, w.parent.ID, "Leaf")
	w.r1 = e.role(e.org, uuid.Nil, "Keeper")
	w.r2 = e.role(e.org, uuid.Nil, "Second")
	w.user = e.user(e.org, w.parent.ID, "user@example.com", func(u *customeruser.User) { u.RoleIDs = []uuid.UUID{w.r1.ID, w.r2.ID} })
	w.other = e.user(e.org, w.parent.ID, "other@example.com", func(u *customeruser.User) { u.RoleIDs = []uuid.UUID{w.r1.ID} })
	w.tok = e.token(e.org, w.user.ID, customeruser.PurposeSetPassword)
	return w
}

// created is what writeEverything creates.
type created struct {
	customer customeruser.Customer
	role     role.Role
	user     customeruser.User
	tok      customeruser.Token
	attempt  customeruser.LoginAttempt
	event    cu.Event
}

// writeEverything writes to every repository with every method inside the
// transaction of ctx, checking that the transaction reads its own writes.
// It returns the first error.
func (e *env) writeEverything(ctx context.Context, w txWorld) (created, error) {
	at := e.now()
	var c created
	c.customer = customeruser.Customer{ID: cu.NewID(), OrganizationID: e.org, Name: "New", ParentID: w.parent.ID, ExternalID: "NEW-1", CreatedAt: at, UpdatedAt: at, Version: 1}
	c.role = newRole(e.org, c.customer.ID, "New role", at)
	c.user = newUser(e.org, c.customer.ID, "new@example.com", at)
	c.user.RoleIDs = []uuid.UUID{c.role.ID}
	c.tok = customeruser.Token{Hash: []byte("new token digest"), OrganizationID: e.org, UserID: c.user.ID, Purpose: customeruser.PurposeConfirm, CreatedAt: at, ExpiresAt: at.Add(1e12)}
	c.attempt = customeruser.LoginAttempt{ID: cu.NewID(), OrganizationID: e.org, UserID: w.user.ID, Email: "user@example.com", At: at, Reason: "wrong_password"}
	c.event = event(e.org, "customer_user", w.user.ID, "customer_user.updated", at, map[string]string{"k": "v"})

	steps := []func() error{
		func() error { return e.Customers.Create(ctx, c.customer) },
		func() error {
			p := w.parent
			p.Name, p.ExternalID = "Parent renamed", "P-2"
			return e.Customers.Update(ctx, p, p.Version)
		},
		func() error { return e.Customers.Delete(ctx, e.org, w.leaf.ID) },
		func() error { return e.Roles.Create(ctx, c.role) },
		func() error {
			r := w.r1
			r.Label = "Keeper renamed"
			return e.Roles.Update(ctx, r, r.Version)
		},
		func() error { return e.Users.Create(ctx, c.user) },
		func() error {
			u := w.user
			u.Email, u.EmailKey, u.FirstName = "renamed@example.com", "renamed@example.com", "Renamed"
			return e.Users.Update(ctx, u, u.Version)
		},
		func() error {
			u := w.other
			u.LoginCount, u.PasswordHash = 99, "touched"
			return e.Users.Touch(ctx, u)
		},
		func() error { return e.Users.Unassign(ctx, e.org, w.r2.ID, []uuid.UUID{w.user.ID}) },
		func() error {
			_, err := e.Users.Replace(ctx, e.org, w.r1.ID, c.role.ID, []uuid.UUID{w.parent.ID})
			return err
		},
		func() error { return e.Tokens.Create(ctx, c.tok) },
		func() error {
			_, err := e.Tokens.Consume(ctx, e.org, w.tok.Purpose, w.tok.Hash)
			return err
		},
		func() error { return e.Tokens.DeleteForUser(ctx, e.org, w.other.ID) },
		func() error { return e.Attempts.Record(ctx, c.attempt) },
		func() error { return e.Events.Append(ctx, c.event) },
		func() error { return e.Roles.Delete(ctx, e.org, w.r2.ID) },
		// The transaction sees its own writes.
		func() error {
			if _, err := e.Customers.Get(ctx, e.org, c.customer.ID); err != nil {
				return err
			}
			if _, err := e.Roles.GetByCode(ctx, e.org, c.role.Code); err != nil {
				return err
			}
			u, err := e.Users.GetByEmailKey(ctx, e.org, "renamed@example.com")
			if err != nil {
				return err
			}
			if u.FirstName != "Renamed" {
				return errors.New("the transaction does not see its own update")
			}
			if n, err := e.Users.CountByCustomer(ctx, e.org, c.customer.ID); err != nil || n != 1 {
				return errors.Join(errors.New("the transaction does not see its own user"), err)
			}
			if _, err := e.Customers.Get(ctx, e.org, w.leaf.ID); !errors.Is(err, cu.ErrNotFound) {
				return errors.New("the transaction still sees a customer it deleted")
			}
			pg, err := e.Events.List(ctx, e.org, cu.EventFilter{SubjectType: "customer_user", SubjectID: w.user.ID}, cu.Page{})
			if err != nil || len(pg.Items) != 1 {
				return errors.Join(errors.New("the transaction does not see its own event"), err)
			}
			return nil
		},
	}
	for _, s := range steps {
		if err := s(); err != nil {
			return c, err
		}
	}
	return c, nil
}

// assertUnchanged asserts that the world is as before and that nothing
// writeEverything created exists.
func (e *env) assertUnchanged(w txWorld, c created) {
	t := e.t
	t.Helper()
	assert.Equal(t, normCustomer(w.parent), normCustomer(e.getCustomer(e.org, w.parent.ID)), "updated customer restored")
	assert.Equal(t, normCustomer(w.leaf), normCustomer(e.getCustomer(e.org, w.leaf.ID)), "deleted customer restored")
	assert.Equal(t, normRole(w.r1), normRole(e.getRole(e.org, w.r1.ID)), "updated role restored")
	assert.Equal(t, normRole(w.r2), normRole(e.getRole(e.org, w.r2.ID)), "deleted role restored")
	assert.Equal(t, normUser(w.user), normUser(e.getUser(e.org, w.user.ID)), "updated user restored")
	assert.Equal(t, normUser(w.other), normUser(e.getUser(e.org, w.other.ID)), "touched user restored")

	_, err := e.Customers.Get(e.ctx, e.org, c.customer.ID)
	requireCode(t, err, cu.ErrNotFound, "created customer")
	_, err = e.Roles.Get(e.ctx, e.org, c.role.ID)
	requireCode(t, err, cu.ErrNotFound, "created role")
	_, err = e.Users.Get(e.ctx, e.org, c.user.ID)
	requireCode(t, err, cu.ErrNotFound, "created user")
	_, err = e.Users.GetByEmailKey(e.ctx, e.org, "renamed@example.com")
	requireCode(t, err, cu.ErrNotFound, "renamed e-mail key")
	got, err := e.Users.GetByEmailKey(e.ctx, e.org, "user@example.com")
	require.NoError(t, err, "original e-mail key")
	assert.Equal(t, w.user.ID, got.ID)
	assert.Len(t, e.listCustomers(e.org, customeruser.CustomerFilter{}), 2)
	assert.Len(t, e.listRoles(e.org, role.Filter{}), 2)
	assert.Len(t, e.listUsers(e.org, customeruser.UserFilter{}), 2)
	assert.Equal(t, 2, e.countHolders(w.r1.ID))
	assert.Equal(t, 1, e.countHolders(w.r2.ID))
	sameIDs(t, []uuid.UUID{w.parent.ID, w.leaf.ID}, e.subtree(w.parent.ID))

	pg, err := e.Attempts.List(e.ctx, e.org, w.user.ID, cu.Page{})
	require.NoError(t, err)
	assert.Empty(t, pg.Items, "recorded attempt")
	n, _, err := e.Attempts.Failures(e.ctx, e.org, w.user.ID, base)
	require.NoError(t, err)
	assert.Zero(t, n)
	ev, err := e.Events.List(e.ctx, e.org, cu.EventFilter{SubjectType: "customer_user", SubjectID: w.user.ID}, cu.Page{})
	require.NoError(t, err)
	assert.Empty(t, ev.Items, "appended event")
	assert.False(t, e.consumable(c.tok), "created token")
	assert.True(t, e.consumable(w.tok), "consumed token restored")

	// The keys the transaction took are free again.
	x := c.customer
	x.ID = cu.NewID()
	x.ParentID = uuid.Nil
	require.NoError(t, e.Customers.Create(e.ctx, x))
	require.NoError(t, e.Roles.Create(e.ctx, newRole(e.org, x.ID, c.role.Label, e.now())))
	y := c.user
	y.ID, y.CustomerID, y.RoleIDs = cu.NewID(), x.ID, nil
	require.NoError(t, e.Users.Create(e.ctx, y))
	z := newUser(e.org, x.ID, "renamed@example.com", e.now())
	require.NoError(t, e.Users.Create(e.ctx, z))
}

func txRollbackOnError(e *env) {
	t := e.t
	w := e.txWorld()
	var c created
	err := e.Tx.InTx(e.ctx, func(ctx context.Context) error {
		var err error
		if c, err = e.writeEverything(ctx, w); err != nil {
			return err
		}
		return errBoom
	})
	require.ErrorIs(t, err, errBoom, "InTx returns the error of fn")
	e.assertUnchanged(w, c)
}

func txRollbackOnPanic(e *env) {
	t := e.t
	w := e.txWorld()
	var c created
	var writeErr error
	recovered, err := func() (r any, err error) {
		defer func() { r = recover() }()
		err = e.Tx.InTx(e.ctx, func(ctx context.Context) error {
			c, writeErr = e.writeEverything(ctx, w)
			panic("boom")
		})
		return nil, err
	}()
	require.NoError(t, writeErr)
	assert.True(t, recovered != nil || err != nil, "InTx either re-panics or returns an error")
	e.assertUnchanged(w, c)

	// The storage is still usable, in and out of transactions.
	e.customer(e.org, uuid.Nil, "After the panic")
	require.NoError(t, e.Tx.InTx(e.ctx, func(ctx context.Context) error {
		return e.Customers.Create(ctx, customeruser.Customer{ID: cu.NewID(), OrganizationID: e.org, Name: "In a transaction", Version: 1})
	}))
}

// A nested InTx joins the outer transaction: its writes commit or roll back
// with the outer one.
func txNested(e *env) {
	t := e.t
	c := e.customer(e.org, uuid.Nil, "Acme")
	u1 := newUser(e.org, c.ID, "inner@example.com", e.now())
	u2 := newUser(e.org, c.ID, "outer@example.com", e.now())

	err := e.Tx.InTx(e.ctx, func(ctx context.Context) error {
		if err := e.Tx.InTx(ctx, func(ctx context.Context) error { return e.Users.Create(ctx, u1) }); err != nil {
			return err
		}
		if _, err := e.Users.Get(ctx, e.org, u1.ID); err != nil {
			return err
		}
		if err := e.Users.Create(ctx, u2); err != nil {
			return err
		}
		return errBoom
	})
	require.ErrorIs(t, err, errBoom)
	_, err = e.Users.Get(e.ctx, e.org, u1.ID)
	requireCode(t, err, cu.ErrNotFound, "the inner write rolls back with the outer transaction")
	_, err = e.Users.Get(e.ctx, e.org, u2.ID)
	requireCode(t, err, cu.ErrNotFound)

	// An inner error returned by the outer function rolls back everything.
	err = e.Tx.InTx(e.ctx, func(ctx context.Context) error {
		if err := e.Users.Create(ctx, u2); err != nil {
			return err
		}
		return e.Tx.InTx(ctx, func(ctx context.Context) error {
			if err := e.Users.Create(ctx, u1); err != nil {
				return err
			}
			return errBoom
		})
	})
	require.ErrorIs(t, err, errBoom)
	assert.Empty(t, e.listUsers(e.org, customeruser.UserFilter{}))

	require.NoError(t, e.Tx.InTx(e.ctx, func(ctx context.Context) error {
		if err := e.Tx.InTx(ctx, func(ctx context.Context) error { return e.Users.Create(ctx, u1) }); err != nil {
			return err
		}
		return e.Tx.InTx(ctx, func(ctx context.Context) error {
			return e.Tx.InTx(ctx, func(ctx context.Context) error { return e.Users.Create(ctx, u2) })
		})
	}))
	sameIDs(t, []uuid.UUID{u1.ID, u2.ID}, userIDs(e.listUsers(e.org, customeruser.UserFilter{})))
}

// A successful transaction commits every write.
func txCommit(e *env) {
	t := e.t
	w := e.txWorld()
	var c created
	require.NoError(t, e.Tx.InTx(e.ctx, func(ctx context.Context) error {
		var err error
		c, err = e.writeEverything(ctx, w)
		return err
	}))
	p := e.getCustomer(e.org, w.parent.ID)
	assert.Equal(t, "Parent renamed", p.Name)
	assert.EqualValues(t, 2, p.Version)
	_, err := e.Customers.Get(e.ctx, e.org, w.leaf.ID)
	requireCode(t, err, cu.ErrNotFound)
	assert.Equal(t, normCustomer(c.customer), normCustomer(e.getCustomer(e.org, c.customer.ID)))
	assert.Equal(t, normRole(c.role), normRole(e.getRole(e.org, c.role.ID)))
	assert.Equal(t, "Keeper renamed", e.getRole(e.org, w.r1.ID).Label)
	_, err = e.Roles.Get(e.ctx, e.org, w.r2.ID)
	requireCode(t, err, cu.ErrNotFound)
	assert.Equal(t, normUser(c.user), normUser(e.getUser(e.org, c.user.ID)))
	u := e.getUser(e.org, w.user.ID)
	assert.Equal(t, "renamed@example.com", u.Email)
	sameIDs(t, []uuid.UUID{c.role.ID}, u.RoleIDs, "r2 unassigned, r1 replaced")
	o := e.getUser(e.org, w.other.ID)
	assert.EqualValues(t, 99, o.LoginCount)
	sameIDs(t, []uuid.UUID{c.role.ID}, o.RoleIDs)
	pg, err := e.Attempts.List(e.ctx, e.org, w.user.ID, cu.Page{})
	require.NoError(t, err)
	require.Len(t, pg.Items, 1)
	assert.Equal(t, normAttempt(c.attempt), normAttempt(pg.Items[0]))
	ev, err := e.Events.List(e.ctx, e.org, cu.EventFilter{SubjectType: "customer_user", SubjectID: w.user.ID}, cu.Page{})
	require.NoError(t, err)
	require.Len(t, ev.Items, 1)
	assert.Equal(t, normEvent(c.event), normEvent(ev.Items[0]))
	assert.False(t, e.consumable(w.tok), "consumed in the transaction")
	assert.True(t, e.consumable(c.tok), "created in the transaction")
}

// Inside one transaction, a key freed by a delete or an update can be taken
// by the next write.
func txUniqueFreed(e *env) {
	t := e.t
	c := e.customer(e.org, uuid.Nil, "Acme", func(x *customeruser.Customer) { x.ExternalID = "EXT" })
	old := e.user(e.org, c.ID, "reuse@example.com")
	moved := e.user(e.org, c.ID, "moved@example.com")
	r := e.role(e.org, uuid.Nil, "Reused")
	nu := newUser(e.org, c.ID, "Reuse@Example.com", e.now())
	nu2 := newUser(e.org, c.ID, "moved@example.com", e.now())
	nr := newRole(e.org, uuid.Nil, "reused", e.now())
	nc := customeruser.Customer{ID: cu.NewID(), OrganizationID: e.org, Name: "New", ExternalID: "EXT", Version: 1}
	require.NoError(t, e.Tx.InTx(e.ctx, func(ctx context.Context) error {
		if err := e.Users.Delete(ctx, e.org, old.ID); err != nil {
			return err
		}
		if err := e.Users.Create(ctx, nu); err != nil {
			return err
		}
		m := moved
		m.Email, m.EmailKey = "elsewhere@example.com", "elsewhere@example.com"
		if err := e.Users.Update(ctx, m, m.Version); err != nil {
			return err
		}
		if err := e.Users.Create(ctx, nu2); err != nil {
			return err
		}
		if err := e.Roles.Delete(ctx, e.org, r.ID); err != nil {
			return err
		}
		if err := e.Roles.Create(ctx, nr); err != nil {
			return err
		}
		x := c
		x.ExternalID = ""
		if err := e.Customers.Update(ctx, x, x.Version); err != nil {
			return err
		}
		return e.Customers.Create(ctx, nc)
	}))
	got, err := e.Users.GetByEmailKey(e.ctx, e.org, "reuse@example.com")
	require.NoError(t, err)
	assert.Equal(t, nu.ID, got.ID)
	got, err = e.Users.GetByEmailKey(e.ctx, e.org, "moved@example.com")
	require.NoError(t, err)
	assert.Equal(t, nu2.ID, got.ID)
	e.getRole(e.org, nr.ID)
	e.getCustomer(e.org, nc.ID)
}
