package customeruser_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	cu "github.com/b2bkit/customerusers"
	"github.com/b2bkit/customerusers/customeruser"
	"github.com/b2bkit/customerusers/role"
)

// uaAddr is a valid address.
func uaAddr() customeruser.Address {
	return customeruser.Address{
		Label: "Office", FirstName: "Ada", LastName: "Lovelace", Street: "1 Main St", City: "Springfield",
		PostalCode: "12345", Country: "us",
	}
}

// uaDefault is a valid address that is the default of typ.
func uaDefault(typ customeruser.AddressType) customeruser.Address {
	a := uaAddr()
	a.Types = []customeruser.AddressTypeFlag{{Type: typ, Default: true}}
	return a
}

// uaPayload decodes an address event.
func uaPayload(t *testing.T, e cu.Event) map[string]any {
	t.Helper()
	var p map[string]any
	require.NoError(t, json.Unmarshal(e.Payload, &p))
	return p
}

func TestUserAddresses(t *testing.T) {
	h := newHarness(t)
	c := h.customer("Acme", uuid.Nil)
	u := h.user(c.ID, "ada@example.org")
	h.clock.Advance(time.Hour)

	// Add.
	got, added, err := h.svc.AddAddress(h.ctx, h.admin, u.ID, uaDefault(customeruser.Billing), u.Version)
	require.NoError(t, err)
	require.Len(t, got.Addresses, 1)
	a := got.Addresses[0]
	assert.Equal(t, a, added, "the new address is returned")
	assert.NotEqual(t, uuid.Nil, a.ID)
	assert.Equal(t, "US", a.Country, "normalised")
	assert.Equal(t, h.clock.Now(), a.CreatedAt)
	assert.Equal(t, h.clock.Now(), a.UpdatedAt)
	assert.Equal(t, u.Version+1, got.Version)
	assert.Equal(t, h.clock.Now(), got.UpdatedAt)
	assert.Equal(t, got, utGet(h, u.ID))
	e := utLast(t, h, u.ID)
	assert.Equal(t, customeruser.EventAddressAdded, e.Type)
	p := uaPayload(t, e)
	assert.Equal(t, a.ID.String(), p["addressId"])
	assert.Equal(t, "1 Main St", p["address"].(map[string]any)["street"])

	// Update: id and creation time stay.
	h.clock.Advance(time.Hour)
	changed := uaDefault(customeruser.Billing)
	changed.City = "Shelbyville"
	changed.ID = uuid.New() // ignored
	got, err = h.svc.UpdateAddress(h.ctx, h.admin, u.ID, a.ID, changed, got.Version)
	require.NoError(t, err)
	require.Len(t, got.Addresses, 1)
	assert.Equal(t, a.ID, got.Addresses[0].ID)
	assert.Equal(t, a.CreatedAt, got.Addresses[0].CreatedAt)
	assert.Equal(t, h.clock.Now(), got.Addresses[0].UpdatedAt)
	assert.Equal(t, "Shelbyville", got.Addresses[0].City)
	e = utLast(t, h, u.ID)
	assert.Equal(t, customeruser.EventAddressUpdated, e.Type)
	p = uaPayload(t, e)
	assert.Equal(t, []any{map[string]any{"field": "city", "before": "Springfield", "after": "Shelbyville"}}, p["changes"])

	// An update that changes nothing writes nothing.
	events := h.eventCount()
	same, err := h.svc.UpdateAddress(h.ctx, h.admin, u.ID, a.ID, changed, 0)
	require.NoError(t, err)
	assert.Equal(t, got, same)
	assert.Equal(t, events, h.eventCount())

	// A second address; the default-type rule spans the list.
	got, added, err = h.svc.AddAddress(h.ctx, h.admin, u.ID, uaDefault(customeruser.Shipping), 0)
	require.NoError(t, err)
	require.Len(t, got.Addresses, 2)
	assert.Contains(t, got.Addresses, added)
	assert.NotEqual(t, a.ID, added.ID)
	assert.Equal(t, customeruser.Shipping, added.Types[0].Type)

	// Remove.
	got, err = h.svc.RemoveAddress(h.ctx, h.admin, u.ID, a.ID, got.Version)
	require.NoError(t, err)
	require.Len(t, got.Addresses, 1)
	assert.Equal(t, customeruser.Shipping, got.Addresses[0].Types[0].Type)
	e = utLast(t, h, u.ID)
	assert.Equal(t, customeruser.EventAddressRemoved, e.Type)
	assert.Equal(t, a.ID.String(), uaPayload(t, e)["addressId"])
}

func TestUserAddressesInvalid(t *testing.T) {
	h := newHarness(t)
	c := h.customer("Acme", uuid.Nil)
	u := h.user(c.ID, "ada@example.org")
	u, _, err := h.svc.AddAddress(h.ctx, h.admin, u.ID, uaDefault(customeruser.Billing), 0)
	require.NoError(t, err)
	u, _, err = h.svc.AddAddress(h.ctx, h.admin, u.ID, uaDefault(customeruser.Shipping), 0)
	require.NoError(t, err)
	first, second := u.Addresses[0], u.Addresses[1]

	noCountry := uaAddr()
	noCountry.Country = ""
	noName := uaAddr()
	noName.FirstName, noName.Organization = "", ""

	cases := []struct {
		name        string
		call        func() error
		field, rule string
	}{
		{"add without country", func() error {
			_, _, err := h.svc.AddAddress(h.ctx, h.admin, u.ID, noCountry, 0)
			return err
		}, "country", "required"},
		{"add without name or organization", func() error {
			_, _, err := h.svc.AddAddress(h.ctx, h.admin, u.ID, noName, 0)
			return err
		}, "firstName", "name_or_organization"},
		{"add a second default billing", func() error {
			_, _, err := h.svc.AddAddress(h.ctx, h.admin, u.ID, uaDefault(customeruser.Billing), 0)
			return err
		}, "types", "default_type"},
		{"update into a second default shipping", func() error {
			_, err := h.svc.UpdateAddress(h.ctx, h.admin, u.ID, first.ID, uaDefault(customeruser.Shipping), 0)
			return err
		}, "addresses[1].types", "default_type"},
		{"update to invalid", func() error {
			_, err := h.svc.UpdateAddress(h.ctx, h.admin, u.ID, second.ID, noCountry, 0)
			return err
		}, "country", "required"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before, events := utUsers(h), h.eventCount()
			utInvalid(t, tc.call(), tc.field, tc.rule)
			utUnchanged(t, h, before, events)
		})
	}

	before, events := utUsers(h), h.eventCount()
	_, err = h.svc.UpdateAddress(h.ctx, h.admin, u.ID, uuid.New(), uaAddr(), 0)
	assert.ErrorIs(t, err, cu.ErrNotFound)
	_, err = h.svc.RemoveAddress(h.ctx, h.admin, u.ID, uuid.New(), 0)
	assert.ErrorIs(t, err, cu.ErrNotFound)
	_, _, err = h.svc.AddAddress(h.ctx, h.admin, uuid.New(), uaAddr(), 0)
	assert.ErrorIs(t, err, cu.ErrNotFound)
	_, err = h.svc.RemoveAddress(h.ctx, h.admin, u.ID, first.ID, 1)
	assert.ErrorIs(t, err, cu.ErrStale)
	utUnchanged(t, h, before, events)
}

func TestUserAddressesStorefront(t *testing.T) {
	h := newHarness(t)
	c := h.customer("Acme", uuid.Nil)
	far := h.customer("Far", uuid.Nil)
	buyer := h.user(c.ID, "buyer@example.org")
	colleague := h.user(c.ID, "colleague@example.org")
	stranger := h.user(far.ID, "stranger@example.org")
	admin := h.user(c.ID, "admin@example.org", h.adminRole.ID)
	noAddr := utRole(h, "No addresses", uuid.Nil, []role.Grant{{Resource: role.ResourceCustomerUser, Permission: role.View, Level: role.LevelDepartment}})
	viewer := h.user(c.ID, "viewer@example.org", noAddr.ID)

	// A buyer manages its own addresses (customer_user_address at user level).
	me := h.storefront(buyer)
	got, added, err := h.svc.AddAddress(h.ctx, me, buyer.ID, uaAddr(), 0)
	require.NoError(t, err)
	id := got.Addresses[0].ID
	assert.Equal(t, id, added.ID)
	upd := uaAddr()
	upd.Street = "2 Main St"
	_, err = h.svc.UpdateAddress(h.ctx, me, buyer.ID, id, upd, 0)
	require.NoError(t, err)
	_, err = h.svc.RemoveAddress(h.ctx, me, buyer.ID, id, 0)
	require.NoError(t, err)
	assert.Equal(t, me.Ref(), utLast(t, h, buyer.ID).Actor)

	before, events := utUsers(h), h.eventCount()
	// Another user's addresses: never from the storefront, even for an
	// administrator of the same customer.
	_, _, err = h.svc.AddAddress(h.ctx, me, colleague.ID, uaAddr(), 0)
	assert.ErrorIs(t, err, cu.ErrForbidden)
	_, _, err = h.svc.AddAddress(h.ctx, h.storefront(admin), colleague.ID, uaAddr(), 0)
	assert.ErrorIs(t, err, cu.ErrForbidden)
	// Out of reach: not found.
	_, _, err = h.svc.AddAddress(h.ctx, me, stranger.ID, uaAddr(), 0)
	assert.ErrorIs(t, err, cu.ErrNotFound)
	// Own addresses without the permission.
	_, _, err = h.svc.AddAddress(h.ctx, h.storefront(viewer), viewer.ID, uaAddr(), 0)
	assert.ErrorIs(t, err, cu.ErrForbidden)
	// Anonymous.
	_, _, err = h.svc.AddAddress(h.ctx, cu.AnonymousActor(h.org), buyer.ID, uaAddr(), 0)
	assert.Equal(t, cu.CodeUnauthenticated, cu.CodeOf(err))
	utUnchanged(t, h, before, events)
}
