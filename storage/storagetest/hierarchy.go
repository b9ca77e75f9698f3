package storagetest

import (
	"context"
	"fmt"
	"slices"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	cu "github.com/b2bkit/customerusers"
	"github.com/b2bkit/customerusers/customeruser"
	"github.com/b2bkit/customerusers/role"
)

// The customer repository answers the hierarchy questions of the
// authorizer.
var _ role.Hierarchy = customeruser.CustomerRepository(nil)

func hierarchyCases() []testCase {
	return []testCase{
		{"DeepChain", hierarchyChain},
		{"WideTree", hierarchyWide},
		{"Unknown", hierarchyUnknown},
	}
}

func (e *env) subtree(id uuid.UUID) []uuid.UUID {
	e.t.Helper()
	ids, err := e.Customers.Subtree(e.ctx, e.org, id)
	require.NoError(e.t, err)
	return ids
}

func (e *env) ancestors(id uuid.UUID) []uuid.UUID {
	e.t.Helper()
	ids, err := e.Customers.Ancestors(e.ctx, e.org, id)
	require.NoError(e.t, err)
	return ids
}

func (e *env) countChildren(id uuid.UUID) int {
	e.t.Helper()
	n, err := e.Customers.CountChildren(e.ctx, e.org, id)
	require.NoError(e.t, err)
	return n
}

// move gives c a new parent through Update.
func (e *env) move(id, parent uuid.UUID) {
	e.t.Helper()
	c := e.getCustomer(e.org, id)
	c.ParentID = parent
	require.NoError(e.t, e.Customers.Update(e.ctx, c, c.Version))
}

// reversed returns the ids in reverse order.
func reversed(ids []uuid.UUID) []uuid.UUID {
	out := slices.Clone(ids)
	slices.Reverse(out)
	if len(out) == 0 {
		return nil
	}
	return out
}

// A chain 50 deep with a side branch under chain[10]: Subtree reaches the
// node and its descendants, never ancestors or siblings; Ancestors lists
// the parent chain nearest first; both follow a move.
func hierarchyChain(e *env) {
	t := e.t
	const depth = 50
	chain := make([]uuid.UUID, depth)
	parent := uuid.Nil
	for i := range depth {
		chain[i] = e.customer(e.org, parent, fmt.Sprintf("Level %02d", i)).ID
		parent = chain[i]
	}
	side := e.customer(e.org, chain[10], "Side").ID
	sideChild := e.customer(e.org, side, "Side child").ID
	other := e.customer(e.org, uuid.Nil, "Other root").ID

	for _, i := range []int{0, 1, 10, 11, 25, 48, 49} {
		want := slices.Clone(chain[i:])
		if i <= 10 {
			want = append(want, side, sideChild)
		}
		sameIDs(t, want, e.subtree(chain[i]), "Subtree of level %d", i)
		assert.Equal(t, strs(reversed(chain[:i])), strs(e.ancestors(chain[i])), "Ancestors of level %d", i)
	}
	sameIDs(t, []uuid.UUID{side, sideChild}, e.subtree(side), "a side branch holds no sibling")
	assert.Equal(t, strs(append([]uuid.UUID{side}, reversed(chain[:11])...)), strs(e.ancestors(sideChild)))
	assert.Equal(t, 2, e.countChildren(chain[10]))
	assert.Equal(t, 1, e.countChildren(chain[0]))
	assert.Equal(t, 0, e.countChildren(chain[depth-1]))

	// A user at the bottom is in the user subtree of every level.
	u := e.user(e.org, chain[40], "deep@example.com")
	inSubtree := func(of uuid.UUID) bool {
		return slices.Contains(userIDs(e.listUsers(e.org, customeruser.UserFilter{SubtreeOf: of})), u.ID)
	}
	assert.True(t, inSubtree(chain[0]))

	// Move chain[25] (and everything below it) under another root.
	e.move(chain[25], other)
	sameIDs(t, append(slices.Clone(chain[:25]), side, sideChild), e.subtree(chain[0]), "Subtree of the old root after the move")
	sameIDs(t, append([]uuid.UUID{other}, chain[25:]...), e.subtree(other), "Subtree of the new root")
	sameIDs(t, chain[25:], e.subtree(chain[25]))
	assert.Equal(t, strs(append(reversed(chain[25:30]), other)), strs(e.ancestors(chain[30])))
	assert.Equal(t, strs([]uuid.UUID{other}), strs(e.ancestors(chain[25])))
	assert.Equal(t, 0, e.countChildren(chain[24]))
	assert.Equal(t, 1, e.countChildren(other))
	assert.False(t, inSubtree(chain[0]), "the moved user left the old subtree")
	assert.True(t, inSubtree(other))
	sameIDs(t, append([]uuid.UUID{other}, chain[25:]...),
		customerIDs(e.listCustomers(e.org, customeruser.CustomerFilter{SubtreeOf: other})), "customer list subtree filter")

	// Make it top-level.
	e.move(chain[25], uuid.Nil)
	assert.Equal(t, strs(reversed(chain[25:30])), strs(e.ancestors(chain[30])))
	sameIDs(t, []uuid.UUID{other}, e.subtree(other))
	assert.Empty(t, e.ancestors(chain[25]))
	assert.Contains(t, customerIDs(e.listCustomers(e.org, customeruser.CustomerFilter{TopLevel: true})), chain[25])

	// Move the side branch up the chain.
	e.move(side, chain[2])
	assert.Equal(t, strs(append([]uuid.UUID{side}, reversed(chain[:3])...)), strs(e.ancestors(sideChild)))
	sameIDs(t, chain[3:25], e.subtree(chain[3]), "the side branch left")
	sameIDs(t, append(slices.Clone(chain[2:25]), side, sideChild), e.subtree(chain[2]))
}

// One root, 200 children, 10 grandchildren each.
func hierarchyWide(e *env) {
	t := e.t
	const width, fan = 200, 10
	var root uuid.UUID
	children := make([]uuid.UUID, width)
	grand := make([][]uuid.UUID, width)
	require.NoError(t, e.Tx.InTx(e.ctx, func(ctx context.Context) error {
		mk := func(parent uuid.UUID, name string) (uuid.UUID, error) {
			at := e.now()
			c := customeruser.Customer{ID: cu.NewID(), OrganizationID: e.org, Name: name, ParentID: parent, CreatedAt: at, UpdatedAt: at, Version: 1}
			return c.ID, e.Customers.Create(ctx, c)
		}
		var err error
		if root, err = mk(uuid.Nil, "Root"); err != nil {
			return err
		}
		for i := range width {
			if children[i], err = mk(root, fmt.Sprintf("Child %03d", i)); err != nil {
				return err
			}
			grand[i] = make([]uuid.UUID, fan)
			for j := range fan {
				if grand[i][j], err = mk(children[i], fmt.Sprintf("Grandchild %03d-%02d", i, j)); err != nil {
					return err
				}
			}
		}
		return nil
	}))
	all := append([]uuid.UUID{root}, children...)
	for i := range width {
		all = append(all, grand[i]...)
	}

	sameIDs(t, all, e.subtree(root))
	for _, i := range []int{0, 7, 199} {
		sameIDs(t, append([]uuid.UUID{children[i]}, grand[i]...), e.subtree(children[i]), "Subtree of child %d", i)
		assert.Equal(t, strs([]uuid.UUID{root}), strs(e.ancestors(children[i])))
		assert.Equal(t, strs([]uuid.UUID{grand[i][3]}), strs(e.subtree(grand[i][3])))
		assert.Equal(t, strs([]uuid.UUID{children[i], root}), strs(e.ancestors(grand[i][3])))
		assert.Equal(t, fan, e.countChildren(children[i]))
		assert.Equal(t, 0, e.countChildren(grand[i][9]))
	}
	assert.Equal(t, width, e.countChildren(root))
	assert.Len(t, e.listCustomers(e.org, customeruser.CustomerFilter{ParentID: root}), width)

	// Move child 7 with its children under child 3.
	e.move(children[7], children[3])
	want3 := append(append([]uuid.UUID{children[3], children[7]}, grand[3]...), grand[7]...)
	sameIDs(t, want3, e.subtree(children[3]))
	sameIDs(t, want3, customerIDs(e.listCustomers(e.org, customeruser.CustomerFilter{SubtreeOf: children[3]})))
	sameIDs(t, append([]uuid.UUID{children[7]}, grand[7]...), e.subtree(children[7]))
	assert.Equal(t, strs([]uuid.UUID{children[7], children[3], root}), strs(e.ancestors(grand[7][0])))
	sameIDs(t, append([]uuid.UUID{children[4]}, grand[4]...), e.subtree(children[4]), "a sibling is unaffected")
	sameIDs(t, all, e.subtree(root))
	assert.Equal(t, width-1, e.countChildren(root))
	assert.Equal(t, fan+1, e.countChildren(children[3]))
}

// Hierarchy questions about an unknown customer find nothing.
func hierarchyUnknown(e *env) {
	t := e.t
	e.customer(e.org, uuid.Nil, "Existing")
	unknown := cu.NewID()
	ids, err := e.Customers.Subtree(e.ctx, e.org, unknown)
	notFoundOrEmpty(t, ids, err, "Subtree of an unknown customer")
	ids, err = e.Customers.Ancestors(e.ctx, e.org, unknown)
	notFoundOrEmpty(t, ids, err, "Ancestors of an unknown customer")
	n, err := e.Customers.CountChildren(e.ctx, e.org, unknown)
	if err != nil {
		require.ErrorIs(t, err, cu.ErrNotFound)
	} else {
		assert.Zero(t, n)
	}
}
