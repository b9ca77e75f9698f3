package customeruser_test

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	cu "github.com/b2bkit/customerusers"
	"github.com/b2bkit/customerusers/customeruser"
	"github.com/b2bkit/customerusers/role"
)

// custState is every customer of the harness organization, sorted by id,
// to assert that a refused call changed nothing.
func custState(h *harness) []customeruser.Customer {
	h.t.Helper()
	var out []customeruser.Customer
	p := cu.Page{Limit: cu.MaxPageLimit}
	for {
		page, err := h.store.Customers().List(h.ctx, h.org, customeruser.CustomerFilter{}, p)
		require.NoError(h.t, err)
		out = append(out, page.Items...)
		if page.NextCursor == "" {
			break
		}
		p.Cursor = page.NextCursor
	}
	slices.SortFunc(out, func(a, b customeruser.Customer) int { return strings.Compare(a.ID.String(), b.ID.String()) })
	return out
}

// custRole stores a predefined role granting the permissions on the
// customer resource (and viewing customer users) at level, plus caps.
func custRole(h *harness, label string, level role.Level, perms []role.Permission, caps ...string) role.Role {
	h.t.Helper()
	r := role.Role{
		ID: uuid.New(), OrganizationID: h.org, Code: strings.ToUpper(strings.ReplaceAll(label, " ", "_")), Label: label,
		SelfManaged: true, Public: true, Capabilities: caps, CreatedAt: h.clock.Now(), UpdatedAt: h.clock.Now(), Version: 1,
		Grants: []role.Grant{{Resource: role.ResourceCustomerUser, Permission: role.View, Level: level}},
	}
	for _, p := range perms {
		r.Grants = append(r.Grants, role.Grant{Resource: role.ResourceCustomer, Permission: p, Level: level})
	}
	require.NoError(h.t, h.store.Roles().Create(h.ctx, r))
	return r
}

var custAllPerms = []role.Permission{role.View, role.Create, role.Edit, role.Delete}

// custAssertInvalid checks an invalid error with a violation of field and
// rule, and returns the violation.
func custAssertInvalid(t *testing.T, err error, field, rule string) cu.Violation {
	t.Helper()
	require.Error(t, err)
	assert.Equal(t, cu.CodeInvalid, cu.CodeOf(err), "error: %v", err)
	var e *cu.Error
	require.ErrorAs(t, err, &e)
	v, ok := e.Violation(field)
	if assert.True(t, ok, "no violation on %q in %v", field, err) {
		assert.Equal(t, rule, v.Rule, "rule of %q", field)
		assert.NotEmpty(t, v.Message)
	}
	return v
}

// custUnchanged asserts that the customers and the event count are as
// before.
func custUnchanged(t *testing.T, h *harness, before []customeruser.Customer, events int) {
	t.Helper()
	assert.Equal(t, before, custState(h), "customers changed")
	assert.Equal(t, events, h.eventCount(), "events were appended")
}

func custChanges(t *testing.T, e cu.Event) []cu.Change {
	t.Helper()
	var ch []cu.Change
	require.NoError(t, json.Unmarshal(e.Payload, &ch))
	return ch
}

func custPtr[T any](v T) *T { return &v }

func TestCreateCustomer(t *testing.T) {
	h := newHarness(t)
	parent := h.customer("Parent", uuid.Nil)
	rep, owner := uuid.New(), uuid.New()

	c, err := h.svc.CreateCustomer(h.ctx, h.admin, customeruser.CustomerInput{
		Name: "  Acme Ltd  ", ParentID: parent.ID, Group: " Wholesale ", SalesRepIDs: []uuid.UUID{rep, rep},
		OwnerID: owner, ExternalID: " ext-1 ",
	})
	require.NoError(t, err)
	assert.NotEqual(t, uuid.Nil, c.ID)
	assert.Equal(t, h.org, c.OrganizationID)
	assert.Equal(t, "Acme Ltd", c.Name)
	assert.Equal(t, "Wholesale", c.Group)
	assert.Equal(t, "ext-1", c.ExternalID)
	assert.Equal(t, []uuid.UUID{rep}, c.SalesRepIDs, "duplicates dropped")
	assert.Equal(t, owner, c.OwnerID)
	assert.Equal(t, parent.ID, c.ParentID)
	assert.Equal(t, int64(1), c.Version)
	assert.Equal(t, h.clock.Now(), c.CreatedAt)

	got, err := h.svc.GetCustomer(h.ctx, h.admin, c.ID)
	require.NoError(t, err)
	assert.Equal(t, c, got)

	evs := h.events(c.ID)
	require.Len(t, evs, 1)
	assert.Equal(t, customeruser.EventCustomerCreated, evs[0].Type)
	assert.Equal(t, customeruser.SubjectCustomer, evs[0].SubjectType)
	assert.Equal(t, h.admin.Ref(), evs[0].Actor)
	var payload map[string]any
	require.NoError(t, json.Unmarshal(evs[0].Payload, &payload))
	assert.Equal(t, "Acme Ltd", payload["name"])
	assert.Equal(t, parent.ID.String(), payload["parentId"])
}

func TestCreateCustomerInvalid(t *testing.T) {
	other := uuid.New()
	tests := []struct {
		name  string
		in    func(h *harness) customeruser.CustomerInput
		field string
		rule  string
	}{
		{"empty name", func(*harness) customeruser.CustomerInput { return customeruser.CustomerInput{} }, "name", "required"},
		{"blank name", func(*harness) customeruser.CustomerInput { return customeruser.CustomerInput{Name: " \t "} }, "name", "required"},
		{"long name", func(*harness) customeruser.CustomerInput {
			return customeruser.CustomerInput{Name: strings.Repeat("é", 256)}
		}, "name", "max_length"},
		{"long group", func(*harness) customeruser.CustomerInput {
			return customeruser.CustomerInput{Name: "X", Group: strings.Repeat("g", 256)}
		}, "group", "max_length"},
		{"long external id", func(*harness) customeruser.CustomerInput {
			return customeruser.CustomerInput{Name: "X", ExternalID: strings.Repeat("e", 256)}
		}, "externalId", "max_length"},
		{"taken external id", func(*harness) customeruser.CustomerInput {
			return customeruser.CustomerInput{Name: "X", ExternalID: "EXT"}
		}, "externalId", "unique"},
		{"unknown parent", func(*harness) customeruser.CustomerInput {
			return customeruser.CustomerInput{Name: "X", ParentID: uuid.New()}
		}, "parentId", "not_found"},
		{"parent of another organization", func(h *harness) customeruser.CustomerInput {
			p, err := h.svc.CreateCustomer(h.ctx, cu.BackOfficeActor(other, uuid.New()), customeruser.CustomerInput{Name: "Foreign"})
			require.NoError(h.t, err)
			return customeruser.CustomerInput{Name: "X", ParentID: p.ID}
		}, "parentId", "not_found"},
		{"nil sales rep", func(*harness) customeruser.CustomerInput {
			return customeruser.CustomerInput{Name: "X", SalesRepIDs: []uuid.UUID{uuid.New(), uuid.Nil}}
		}, "salesRepIds[1]", "required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			_, err := h.svc.CreateCustomer(h.ctx, h.admin, customeruser.CustomerInput{Name: "Existing", ExternalID: "EXT"})
			require.NoError(t, err)
			in := tt.in(h)
			before, events := custState(h), h.eventCount()

			_, err = h.svc.CreateCustomer(h.ctx, h.admin, in)
			custAssertInvalid(t, err, tt.field, tt.rule)
			custUnchanged(t, h, before, events)
		})
	}
}

func TestCreateCustomerLimitsAreInclusive(t *testing.T) {
	h := newHarness(t)
	c, err := h.svc.CreateCustomer(h.ctx, h.admin, customeruser.CustomerInput{
		Name: strings.Repeat("é", 255), Group: strings.Repeat("g", 255), ExternalID: strings.Repeat("e", 255),
	})
	require.NoError(t, err)
	assert.Len(t, []rune(c.Name), 255)
}

func TestUpdateCustomer(t *testing.T) {
	h := newHarness(t)
	a := h.customer("A", uuid.Nil)
	b := h.customer("B", uuid.Nil)
	rep := uuid.New()
	h.clock.Advance(3600e9)

	c, err := h.svc.UpdateCustomer(h.ctx, h.admin, b.ID, customeruser.CustomerPatch{
		Name: custPtr(" B2 "), ParentID: custPtr(a.ID), SalesRepIDs: custPtr([]uuid.UUID{rep}), Group: custPtr(b.Group),
	}, b.Version)
	require.NoError(t, err)
	assert.Equal(t, "B2", c.Name)
	assert.Equal(t, a.ID, c.ParentID)
	assert.Equal(t, []uuid.UUID{rep}, c.SalesRepIDs)
	assert.Equal(t, b.Version+1, c.Version)
	assert.Equal(t, h.clock.Now(), c.UpdatedAt)
	assert.Equal(t, b.CreatedAt, c.CreatedAt)

	stored, err := h.svc.GetCustomer(h.ctx, h.admin, b.ID)
	require.NoError(t, err)
	assert.Equal(t, c, stored)

	evs := h.events(b.ID)
	require.Len(t, evs, 2)
	assert.Equal(t, customeruser.EventCustomerUpdated, evs[1].Type)
	ch := custChanges(t, evs[1])
	require.Len(t, ch, 3, "only changed fields: %v", ch)
	assert.Equal(t, cu.Change{Field: "name", Before: "B", After: "B2"}, ch[0])
	assert.Equal(t, cu.Change{Field: "parentId", Before: nil, After: a.ID.String()}, ch[1])
	assert.Equal(t, cu.Change{Field: "salesRepIds", Before: []any{}, After: []any{rep.String()}}, ch[2])

	t.Run("no-op patch writes nothing", func(t *testing.T) {
		before, events := custState(h), h.eventCount()
		got, err := h.svc.UpdateCustomer(h.ctx, h.admin, b.ID, customeruser.CustomerPatch{Name: custPtr("B2 ")}, 0)
		require.NoError(t, err)
		assert.Equal(t, c, got)
		custUnchanged(t, h, before, events)
	})

	t.Run("detach from parent", func(t *testing.T) {
		got, err := h.svc.UpdateCustomer(h.ctx, h.admin, b.ID, customeruser.CustomerPatch{ParentID: custPtr(uuid.Nil)}, 0)
		require.NoError(t, err)
		assert.Equal(t, uuid.Nil, got.ParentID)
	})
}

func TestUpdateCustomerInvalid(t *testing.T) {
	// Chain: top -> middle -> bottom, plus a lone customer.
	tests := []struct {
		name  string
		patch func(top, middle, bottom customeruser.Customer) (uuid.UUID, customeruser.CustomerPatch)
		field string
		rule  string
		names []string // the message must name these
	}{
		{"empty name", func(top, _, _ customeruser.Customer) (uuid.UUID, customeruser.CustomerPatch) {
			return top.ID, customeruser.CustomerPatch{Name: custPtr("  ")}
		}, "name", "required", nil},
		{"long name", func(top, _, _ customeruser.Customer) (uuid.UUID, customeruser.CustomerPatch) {
			return top.ID, customeruser.CustomerPatch{Name: custPtr(strings.Repeat("n", 256))}
		}, "name", "max_length", nil},
		{"long group", func(top, _, _ customeruser.Customer) (uuid.UUID, customeruser.CustomerPatch) {
			return top.ID, customeruser.CustomerPatch{Group: custPtr(strings.Repeat("g", 256))}
		}, "group", "max_length", nil},
		{"taken external id", func(_, middle, _ customeruser.Customer) (uuid.UUID, customeruser.CustomerPatch) {
			return middle.ID, customeruser.CustomerPatch{ExternalID: custPtr("TOP")}
		}, "externalId", "unique", nil},
		{"self parent", func(_, middle, _ customeruser.Customer) (uuid.UUID, customeruser.CustomerPatch) {
			return middle.ID, customeruser.CustomerPatch{ParentID: custPtr(middle.ID)}
		}, "parentId", "self_parent", []string{"Middle"}},
		{"cycle through a grandchild", func(top, _, bottom customeruser.Customer) (uuid.UUID, customeruser.CustomerPatch) {
			return top.ID, customeruser.CustomerPatch{ParentID: custPtr(bottom.ID)}
		}, "parentId", "cycle", []string{"Top", "Bottom"}},
		{"cycle through a child", func(_, middle, bottom customeruser.Customer) (uuid.UUID, customeruser.CustomerPatch) {
			return middle.ID, customeruser.CustomerPatch{ParentID: custPtr(bottom.ID)}
		}, "parentId", "cycle", []string{"Middle", "Bottom"}},
		{"unknown parent", func(top, _, _ customeruser.Customer) (uuid.UUID, customeruser.CustomerPatch) {
			return top.ID, customeruser.CustomerPatch{ParentID: custPtr(uuid.New())}
		}, "parentId", "not_found", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			top, err := h.svc.CreateCustomer(h.ctx, h.admin, customeruser.CustomerInput{Name: "Top", ExternalID: "TOP"})
			require.NoError(t, err)
			middle := h.customer("Middle", top.ID)
			bottom := h.customer("Bottom", middle.ID)
			id, patch := tt.patch(top, middle, bottom)
			before, events := custState(h), h.eventCount()

			_, err = h.svc.UpdateCustomer(h.ctx, h.admin, id, patch, 0)
			v := custAssertInvalid(t, err, tt.field, tt.rule)
			for _, n := range tt.names {
				assert.Contains(t, v.Message, n)
			}
			custUnchanged(t, h, before, events)
		})
	}
}

func TestCustomerStaleVersion(t *testing.T) {
	h := newHarness(t)
	c := h.customer("A", uuid.Nil)
	_, err := h.svc.UpdateCustomer(h.ctx, h.admin, c.ID, customeruser.CustomerPatch{Name: custPtr("A2")}, c.Version)
	require.NoError(t, err)
	before, events := custState(h), h.eventCount()

	_, err = h.svc.UpdateCustomer(h.ctx, h.admin, c.ID, customeruser.CustomerPatch{Name: custPtr("A3")}, c.Version)
	assert.ErrorIs(t, err, cu.ErrStale)
	err = h.svc.DeleteCustomer(h.ctx, h.admin, c.ID, c.Version)
	assert.ErrorIs(t, err, cu.ErrStale)
	custUnchanged(t, h, before, events)

	// 0 skips the optimistic check.
	got, err := h.svc.UpdateCustomer(h.ctx, h.admin, c.ID, customeruser.CustomerPatch{Name: custPtr("A3")}, 0)
	require.NoError(t, err)
	assert.Equal(t, c.Version+2, got.Version)
	require.NoError(t, h.svc.DeleteCustomer(h.ctx, h.admin, c.ID, 0))
}

func TestDeleteCustomer(t *testing.T) {
	h := newHarness(t)
	parent := h.customer("Parent", uuid.Nil)
	child := h.customer("Child", parent.ID)
	withUser := h.customer("Staffed", uuid.Nil)
	h.user(withUser.ID, "staff@example.com")

	for _, tc := range []struct {
		name string
		id   uuid.UUID
	}{{"has children", parent.ID}, {"has users", withUser.ID}} {
		t.Run(tc.name, func(t *testing.T) {
			before, events := custState(h), h.eventCount()
			err := h.svc.DeleteCustomer(h.ctx, h.admin, tc.id, 0)
			assert.ErrorIs(t, err, cu.ErrConflict)
			custUnchanged(t, h, before, events)
		})
	}

	require.NoError(t, h.svc.DeleteCustomer(h.ctx, h.admin, child.ID, child.Version))
	_, err := h.svc.GetCustomer(h.ctx, h.admin, child.ID)
	assert.ErrorIs(t, err, cu.ErrNotFound)
	evs := h.events(child.ID)
	require.Len(t, evs, 2)
	assert.Equal(t, customeruser.EventCustomerDeleted, evs[1].Type)
	assert.Contains(t, string(evs[1].Payload), "Child")

	// Without its child the parent can go.
	require.NoError(t, h.svc.DeleteCustomer(h.ctx, h.admin, parent.ID, 0))
	err = h.svc.DeleteCustomer(h.ctx, h.admin, parent.ID, 0)
	assert.ErrorIs(t, err, cu.ErrNotFound)
}

func TestCustomerUnauthenticatedAndOtherOrganization(t *testing.T) {
	h := newHarness(t)
	c := h.customer("A", uuid.Nil)
	before, events := custState(h), h.eventCount()

	anon := cu.AnonymousActor(h.org)
	_, err := h.svc.GetCustomer(h.ctx, anon, c.ID)
	assert.ErrorIs(t, err, cu.ErrUnauthenticated)
	_, err = h.svc.ListCustomers(h.ctx, anon, customeruser.CustomerFilter{}, cu.Page{})
	assert.ErrorIs(t, err, cu.ErrUnauthenticated)
	_, err = h.svc.CreateCustomer(h.ctx, anon, customeruser.CustomerInput{Name: "X"})
	assert.ErrorIs(t, err, cu.ErrUnauthenticated)
	_, err = h.svc.UpdateCustomer(h.ctx, anon, c.ID, customeruser.CustomerPatch{Name: custPtr("X")}, 0)
	assert.ErrorIs(t, err, cu.ErrUnauthenticated)
	assert.ErrorIs(t, h.svc.DeleteCustomer(h.ctx, anon, c.ID, 0), cu.ErrUnauthenticated)
	_, err = h.svc.CustomerSubtree(h.ctx, anon, c.ID)
	assert.ErrorIs(t, err, cu.ErrUnauthenticated)

	stranger := cu.BackOfficeActor(uuid.New(), uuid.New())
	_, err = h.svc.GetCustomer(h.ctx, stranger, c.ID)
	assert.ErrorIs(t, err, cu.ErrNotFound)
	_, err = h.svc.UpdateCustomer(h.ctx, stranger, c.ID, customeruser.CustomerPatch{Name: custPtr("X")}, 0)
	assert.ErrorIs(t, err, cu.ErrNotFound)
	assert.ErrorIs(t, h.svc.DeleteCustomer(h.ctx, stranger, c.ID, 0), cu.ErrNotFound)
	_, err = h.svc.CustomerSubtree(h.ctx, stranger, c.ID)
	assert.ErrorIs(t, err, cu.ErrNotFound)
	page, err := h.svc.ListCustomers(h.ctx, stranger, customeruser.CustomerFilter{}, cu.Page{})
	require.NoError(t, err)
	assert.Empty(t, page.Items)
	custUnchanged(t, h, before, events)
}

func TestListCustomers(t *testing.T) {
	h := newHarness(t)
	a := h.customer("Alpha", uuid.Nil)
	b := h.customer("Beta", a.ID)
	c := h.customer("Gamma", b.ID)
	d := h.customer("Delta", uuid.Nil)

	names := func(p cu.PageOf[customeruser.Customer]) []string {
		var out []string
		for _, c := range p.Items {
			out = append(out, c.Name)
		}
		return out
	}
	page, err := h.svc.ListCustomers(h.ctx, h.admin, customeruser.CustomerFilter{}, cu.Page{})
	require.NoError(t, err)
	assert.Equal(t, []string{"Alpha", "Beta", "Delta", "Gamma"}, names(page))

	page, err = h.svc.ListCustomers(h.ctx, h.admin, customeruser.CustomerFilter{SubtreeOf: b.ID}, cu.Page{})
	require.NoError(t, err)
	assert.Equal(t, []string{"Beta", "Gamma"}, names(page))

	page, err = h.svc.ListCustomers(h.ctx, h.admin, customeruser.CustomerFilter{TopLevel: true}, cu.Page{Limit: 1})
	require.NoError(t, err)
	assert.Equal(t, []string{"Alpha"}, names(page))
	require.NotEmpty(t, page.NextCursor)
	page, err = h.svc.ListCustomers(h.ctx, h.admin, customeruser.CustomerFilter{TopLevel: true}, cu.Page{Limit: 1, Cursor: page.NextCursor})
	require.NoError(t, err)
	assert.Equal(t, []string{"Delta"}, names(page))

	_, err = h.svc.ListCustomers(h.ctx, h.admin, customeruser.CustomerFilter{}, cu.Page{Limit: -1})
	custAssertInvalid(t, err, "limit", "min")

	ids, err := h.svc.CustomerSubtree(h.ctx, h.admin, a.ID)
	require.NoError(t, err)
	assert.ElementsMatch(t, []uuid.UUID{a.ID, b.ID, c.ID}, ids)
	_ = d
}

// custTree is root -> acme -> east -> eastSub, and a sibling acme2 under
// root; storefront users sit at acme.
type custTree struct {
	root, acme, east, eastSub, sibling customeruser.Customer
}

func newCustTree(h *harness) custTree {
	var t custTree
	t.root = h.customer("Root", uuid.Nil)
	t.acme = h.customer("Acme", t.root.ID)
	t.east = h.customer("Acme East", t.acme.ID)
	t.eastSub = h.customer("Acme East Sub", t.east.ID)
	t.sibling = h.customer("Sibling", t.root.ID)
	return t
}

func TestCustomerStorefrontReach(t *testing.T) {
	h := newHarness(t)
	tree := newCustTree(h)
	dept := custRole(h, "Dept Manager", role.LevelDepartment, custAllPerms)
	corp := custRole(h, "Corp Manager", role.LevelCorporate, custAllPerms)
	none := custRole(h, "No Customers", role.LevelDepartment, nil)
	deptActor := h.storefront(h.user(tree.acme.ID, "dept@example.com", dept.ID))
	corpActor := h.storefront(h.user(tree.acme.ID, "corp@example.com", corp.ID))
	noneActor := h.storefront(h.user(tree.acme.ID, "none@example.com", none.ID))

	tests := []struct {
		name    string
		actor   cu.Actor
		visible []customeruser.Customer
		hidden  []customeruser.Customer
	}{
		{"department", deptActor, []customeruser.Customer{tree.acme}, []customeruser.Customer{tree.root, tree.east, tree.eastSub, tree.sibling}},
		{"corporate", corpActor, []customeruser.Customer{tree.acme, tree.east, tree.eastSub}, []customeruser.Customer{tree.root, tree.sibling}},
		{"no customer grant", noneActor, nil, []customeruser.Customer{tree.root, tree.acme, tree.east, tree.eastSub, tree.sibling}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, c := range tt.visible {
				got, err := h.svc.GetCustomer(h.ctx, tt.actor, c.ID)
				require.NoError(t, err, c.Name)
				assert.Equal(t, c.ID, got.ID)
			}
			for _, c := range tt.hidden {
				_, err := h.svc.GetCustomer(h.ctx, tt.actor, c.ID)
				assert.ErrorIs(t, err, cu.ErrNotFound, c.Name)
				_, err = h.svc.CustomerSubtree(h.ctx, tt.actor, c.ID)
				assert.ErrorIs(t, err, cu.ErrNotFound, c.Name)
			}
			page, err := h.svc.ListCustomers(h.ctx, tt.actor, customeruser.CustomerFilter{}, cu.Page{})
			require.NoError(t, err)
			var want, got []uuid.UUID
			for _, c := range tt.visible {
				want = append(want, c.ID)
			}
			for _, c := range page.Items {
				got = append(got, c.ID)
			}
			assert.ElementsMatch(t, want, got)

			// An explicit id filter cannot widen the reach.
			page, err = h.svc.ListCustomers(h.ctx, tt.actor, customeruser.CustomerFilter{IDs: []uuid.UUID{tree.root.ID, tree.acme.ID}}, cu.Page{})
			require.NoError(t, err)
			for _, c := range page.Items {
				assert.Equal(t, tree.acme.ID, c.ID)
			}
		})
	}

	t.Run("subtree is cut to the reach", func(t *testing.T) {
		ids, err := h.svc.CustomerSubtree(h.ctx, deptActor, tree.acme.ID)
		require.NoError(t, err)
		assert.Equal(t, []uuid.UUID{tree.acme.ID}, ids)
		ids, err = h.svc.CustomerSubtree(h.ctx, corpActor, tree.acme.ID)
		require.NoError(t, err)
		assert.ElementsMatch(t, []uuid.UUID{tree.acme.ID, tree.east.ID, tree.eastSub.ID}, ids)
	})

	t.Run("another organization", func(t *testing.T) {
		foreign := cu.CustomerUserActor(uuid.New(), deptActor.ID, tree.acme.ID, corp.ID)
		_, err := h.svc.GetCustomer(h.ctx, foreign, tree.acme.ID)
		assert.ErrorIs(t, err, cu.ErrNotFound)
		page, err := h.svc.ListCustomers(h.ctx, foreign, customeruser.CustomerFilter{}, cu.Page{})
		require.NoError(t, err)
		assert.Empty(t, page.Items)
	})
}

func TestCustomerStorefrontWrites(t *testing.T) {
	h := newHarness(t)
	tree := newCustTree(h)
	dept := custRole(h, "Dept Manager", role.LevelDepartment, custAllPerms)
	corp := custRole(h, "Corp Manager", role.LevelCorporate, custAllPerms)
	viewer := custRole(h, "Corp Viewer", role.LevelCorporate, []role.Permission{role.View})
	deptActor := h.storefront(h.user(tree.acme.ID, "dept@example.com", dept.ID))
	corpActor := h.storefront(h.user(tree.acme.ID, "corp@example.com", corp.ID))
	viewActor := h.storefront(h.user(tree.acme.ID, "view@example.com", viewer.ID))

	t.Run("refusals change nothing", func(t *testing.T) {
		tests := []struct {
			name  string
			call  func() error
			code  cu.Code
			field string
			rule  string
		}{
			{"department may not create", func() error {
				_, err := h.svc.CreateCustomer(h.ctx, deptActor, customeruser.CustomerInput{Name: "N", ParentID: tree.acme.ID})
				return err
			}, cu.CodeForbidden, "", ""},
			{"viewer may not create", func() error {
				_, err := h.svc.CreateCustomer(h.ctx, viewActor, customeruser.CustomerInput{Name: "N", ParentID: tree.acme.ID})
				return err
			}, cu.CodeForbidden, "", ""},
			{"top-level customer is out of reach", func() error {
				_, err := h.svc.CreateCustomer(h.ctx, corpActor, customeruser.CustomerInput{Name: "N"})
				return err
			}, cu.CodeInvalid, "parentId", "required"},
			{"parent out of reach", func() error {
				_, err := h.svc.CreateCustomer(h.ctx, corpActor, customeruser.CustomerInput{Name: "N", ParentID: tree.sibling.ID})
				return err
			}, cu.CodeInvalid, "parentId", "not_found"},
			{"create with owner", func() error {
				_, err := h.svc.CreateCustomer(h.ctx, corpActor, customeruser.CustomerInput{Name: "N", ParentID: tree.acme.ID, OwnerID: uuid.New()})
				return err
			}, cu.CodeInvalid, "ownerId", "forbidden_field"},
			{"create with sales reps", func() error {
				_, err := h.svc.CreateCustomer(h.ctx, corpActor, customeruser.CustomerInput{Name: "N", ParentID: tree.acme.ID, SalesRepIDs: []uuid.UUID{uuid.New()}})
				return err
			}, cu.CodeInvalid, "salesRepIds", "forbidden_field"},
			{"change sales reps", func() error {
				_, err := h.svc.UpdateCustomer(h.ctx, corpActor, tree.east.ID, customeruser.CustomerPatch{SalesRepIDs: custPtr([]uuid.UUID{uuid.New()})}, 0)
				return err
			}, cu.CodeInvalid, "salesRepIds", "forbidden_field"},
			{"change owner", func() error {
				_, err := h.svc.UpdateCustomer(h.ctx, deptActor, tree.acme.ID, customeruser.CustomerPatch{OwnerID: custPtr(uuid.New())}, 0)
				return err
			}, cu.CodeInvalid, "ownerId", "forbidden_field"},
			{"viewer may not edit", func() error {
				_, err := h.svc.UpdateCustomer(h.ctx, viewActor, tree.east.ID, customeruser.CustomerPatch{Name: custPtr("N")}, 0)
				return err
			}, cu.CodeForbidden, "", ""},
			{"edit out of reach", func() error {
				_, err := h.svc.UpdateCustomer(h.ctx, deptActor, tree.east.ID, customeruser.CustomerPatch{Name: custPtr("N")}, 0)
				return err
			}, cu.CodeNotFound, "", ""},
			{"edit an ancestor", func() error {
				_, err := h.svc.UpdateCustomer(h.ctx, corpActor, tree.root.ID, customeruser.CustomerPatch{Name: custPtr("N")}, 0)
				return err
			}, cu.CodeNotFound, "", ""},
			{"move under an ancestor", func() error {
				_, err := h.svc.UpdateCustomer(h.ctx, corpActor, tree.eastSub.ID, customeruser.CustomerPatch{ParentID: custPtr(tree.root.ID)}, 0)
				return err
			}, cu.CodeInvalid, "parentId", "not_found"},
			{"move to top level", func() error {
				_, err := h.svc.UpdateCustomer(h.ctx, corpActor, tree.eastSub.ID, customeruser.CustomerPatch{ParentID: custPtr(uuid.Nil)}, 0)
				return err
			}, cu.CodeInvalid, "parentId", "required"},
			{"move own customer into its subtree", func() error {
				_, err := h.svc.UpdateCustomer(h.ctx, corpActor, tree.acme.ID, customeruser.CustomerPatch{ParentID: custPtr(tree.eastSub.ID)}, 0)
				return err
			}, cu.CodeInvalid, "parentId", "cycle"},
			{"viewer may not delete", func() error {
				return h.svc.DeleteCustomer(h.ctx, viewActor, tree.eastSub.ID, 0)
			}, cu.CodeForbidden, "", ""},
			{"delete out of reach", func() error {
				return h.svc.DeleteCustomer(h.ctx, deptActor, tree.eastSub.ID, 0)
			}, cu.CodeNotFound, "", ""},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				before, events := custState(h), h.eventCount()
				err := tt.call()
				if tt.field != "" {
					custAssertInvalid(t, err, tt.field, tt.rule)
				} else {
					assert.Equal(t, tt.code, cu.CodeOf(err), "error: %v", err)
				}
				custUnchanged(t, h, before, events)
			})
		}
	})

	t.Run("corporate manager works within reach", func(t *testing.T) {
		n, err := h.svc.CreateCustomer(h.ctx, corpActor, customeruser.CustomerInput{Name: "Acme West", ParentID: tree.acme.ID})
		require.NoError(t, err)
		// Echoing the unchanged sales reps and owner is allowed.
		n, err = h.svc.UpdateCustomer(h.ctx, corpActor, n.ID, customeruser.CustomerPatch{
			Name: custPtr("Acme West 2"), ParentID: custPtr(tree.east.ID), SalesRepIDs: custPtr([]uuid.UUID(nil)), OwnerID: custPtr(uuid.Nil),
		}, n.Version)
		require.NoError(t, err)
		assert.Equal(t, tree.east.ID, n.ParentID)
		evs := h.events(n.ID)
		require.Len(t, evs, 2)
		assert.Equal(t, corpActor.Ref(), evs[1].Actor)
		require.NoError(t, h.svc.DeleteCustomer(h.ctx, corpActor, n.ID, n.Version))
	})

	t.Run("department manager edits its own customer", func(t *testing.T) {
		c, err := h.svc.UpdateCustomer(h.ctx, deptActor, tree.acme.ID, customeruser.CustomerPatch{Group: custPtr("Gold")}, 0)
		require.NoError(t, err)
		assert.Equal(t, "Gold", c.Group)
	})
}

func TestCustomerErrorsAreCuErrors(t *testing.T) {
	h := newHarness(t)
	_, err := h.svc.GetCustomer(h.ctx, h.admin, uuid.New())
	var e *cu.Error
	assert.True(t, errors.As(err, &e))
	assert.ErrorIs(t, err, cu.ErrNotFound)
}
