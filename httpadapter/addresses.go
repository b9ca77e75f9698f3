package httpadapter

import (
	"net/http"
	"slices"
	"strings"

	"github.com/google/uuid"

	cu "github.com/b2bkit/customerusers"
	"github.com/b2bkit/customerusers/customeruser"
)

// addressRoutes are the address routes of a customer user: under
// /customer-users/{id} in the back office (address id {addressId}), under
// /me in the storefront (address id {id}). Addresses belong to their user:
// their ETag and If-Match are the user's version.
func (a *api) addressRoutes(base, addressParam, tag string, t target) []*route {
	list := base + "/addresses"
	item := list + "/{" + addressParam + "}"
	return []*route{
		{method: http.MethodGet, path: list, op: "listAddresses", tag: tag,
			summary: "List the user's addresses (ETag: the user's version).",
			status:  http.StatusOK, resp: listOf[addressOut]{}, etag: true, errs: []int{http.StatusNotFound}, handle: a.listAddresses(t)},
		{method: http.MethodPost, path: list, op: "addAddress", tag: tag,
			summary: "Add an address (If-Match: the user's version).", body: addressIn{}, conditional: true,
			status: http.StatusCreated, resp: addressOut{}, etag: true, location: true, errs: []int{http.StatusNotFound},
			handle: a.addAddress(list, t)},
		{method: http.MethodPatch, path: item, op: "updateAddress", tag: tag,
			summary: "Change an address: absent fields stay (If-Match: the user's version).", body: addressPatch{}, conditional: true,
			status: http.StatusOK, resp: addressOut{}, etag: true, handle: a.updateAddress(addressParam, t)},
		{method: http.MethodDelete, path: item, op: "removeAddress", tag: tag,
			summary: "Remove an address (If-Match: the user's version).", conditional: true,
			status: http.StatusNoContent, etag: true, handle: a.removeAddress(addressParam, t)},
	}
}

func (a *api) listAddresses(t target) func(*call) error {
	return func(c *call) error {
		id, err := t(c)
		if err != nil {
			return err
		}
		u, err := a.cfg.Users.GetUser(c.ctx(), c.actor, id)
		if err != nil {
			return err
		}
		return c.entity(http.StatusOK, newList(toAddresses(u.Addresses), ""), u.Version)
	}
}

func (a *api) addAddress(list string, t target) func(*call) error {
	return func(c *call) error {
		id, err := t(c)
		if err != nil {
			return err
		}
		var in addressIn
		if err := c.decode(&in); err != nil {
			return err
		}
		v, err := c.expectedVersion(opt[int64]{})
		if err != nil {
			return err
		}
		u, added, err := a.cfg.Users.AddAddress(c.ctx(), c.actor, id, in.address(), v)
		if err != nil {
			return err
		}
		loc := strings.Replace(list, "{id}", id.String(), 1) + "/" + added.ID.String()
		return c.created(loc, toAddress(added), u.Version)
	}
}

var errNoNewAddress = &cu.Error{Code: cu.CodeInternal, Message: "the changed address is missing from the answer"}

// findAddress returns the address with id among as.
func findAddress(as []customeruser.Address, id uuid.UUID) (customeruser.Address, bool) {
	i := slices.IndexFunc(as, func(x customeruser.Address) bool { return x.ID == id })
	if i < 0 {
		return customeruser.Address{}, false
	}
	return as[i], true
}

// updateAddress merges the patch onto the stored address and replaces it.
// The write is checked against the version the merge was made from (or
// the one the client sent), so that no concurrent change is lost.
func (a *api) updateAddress(addressParam string, t target) func(*call) error {
	return func(c *call) error {
		id, err := t(c)
		if err != nil {
			return err
		}
		addressID, err := c.id(addressParam)
		if err != nil {
			return err
		}
		var in addressPatch
		if err := c.decode(&in); err != nil {
			return err
		}
		v, err := c.expectedVersion(in.Version)
		if err != nil {
			return err
		}
		u, err := a.cfg.Users.GetUser(c.ctx(), c.actor, id)
		if err != nil {
			return err
		}
		cur, ok := findAddress(u.Addresses, addressID)
		if !ok {
			return cu.NotFound("address")
		}
		if v == 0 {
			v = u.Version
		}
		next, err := in.apply(cur)
		if err != nil {
			return err
		}
		u, err = a.cfg.Users.UpdateAddress(c.ctx(), c.actor, id, addressID, next, v)
		if err != nil {
			return err
		}
		got, ok := findAddress(u.Addresses, addressID)
		if !ok {
			return cu.Internal(errNoNewAddress)
		}
		return c.entity(http.StatusOK, toAddress(got), u.Version)
	}
}

func (a *api) removeAddress(addressParam string, t target) func(*call) error {
	return func(c *call) error {
		id, err := t(c)
		if err != nil {
			return err
		}
		addressID, err := c.id(addressParam)
		if err != nil {
			return err
		}
		v, err := c.expectedVersion(opt[int64]{})
		if err != nil {
			return err
		}
		u, err := a.cfg.Users.RemoveAddress(c.ctx(), c.actor, id, addressID, v)
		if err != nil {
			return err
		}
		return c.noContent(u.Version)
	}
}
