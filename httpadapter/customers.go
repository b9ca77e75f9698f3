package httpadapter

import (
	"net/http"

	"github.com/b2bkit/customerusers/customeruser"
)

// customerRoutes are the back office's customer routes.
func (a *api) customerRoutes() []*route {
	const tag = "Customers"
	return []*route{
		{method: http.MethodGet, path: "/customers", op: "listCustomers", tag: tag,
			summary: "List customers.",
			query: append(paging("name", "createdAt"),
				param{name: "parentId", kind: pUUID, doc: "Direct children of this customer."},
				param{name: "topLevel", kind: pBool, doc: "Only customers without a parent."},
				param{name: "subtreeOf", kind: pUUID, doc: "This customer and all its descendants."},
				param{name: "name", kind: pString, doc: "Case-insensitive substring of the name."}),
			status: http.StatusOK, resp: listOf[customerOut]{}, handle: a.listCustomers},
		{method: http.MethodPost, path: "/customers", op: "createCustomer", tag: tag,
			summary: "Create a customer.", body: customerIn{},
			status: http.StatusCreated, resp: customerOut{}, etag: true, location: true, handle: a.createCustomer},
		{method: http.MethodGet, path: "/customers/{id}", op: "getCustomer", tag: tag,
			summary: "Get a customer.", status: http.StatusOK, resp: customerOut{}, etag: true, handle: a.getCustomer},
		{method: http.MethodPatch, path: "/customers/{id}", op: "updateCustomer", tag: tag,
			summary: "Change a customer: absent fields stay, null clears.", body: customerPatch{}, conditional: true,
			status: http.StatusOK, resp: customerOut{}, etag: true, handle: a.updateCustomer},
		{method: http.MethodDelete, path: "/customers/{id}", op: "deleteCustomer", tag: tag,
			summary: "Delete a customer without users or children (409 otherwise).", conditional: true,
			status: http.StatusNoContent, errs: []int{http.StatusConflict}, handle: a.deleteCustomer},
	}
}

func (a *api) listCustomers(c *call) error {
	f := customeruser.CustomerFilter{ParentID: c.qUUID("parentId"), SubtreeOf: c.qUUID("subtreeOf"), Name: c.qString("name")}
	if b := c.qBool("topLevel"); b != nil {
		f.TopLevel = *b
	}
	page, err := a.cfg.Users.ListCustomers(c.ctx(), c.actor, f, c.page())
	if err != nil {
		return err
	}
	items := make([]customerOut, 0, len(page.Items))
	for _, x := range page.Items {
		items = append(items, toCustomer(x))
	}
	return c.ok(newList(items, page.NextCursor))
}

func (a *api) createCustomer(c *call) error {
	var in customerIn
	if err := c.decode(&in); err != nil {
		return err
	}
	x, err := a.cfg.Users.CreateCustomer(c.ctx(), c.actor, in.input())
	if err != nil {
		return err
	}
	return c.created("/customers/"+x.ID.String(), toCustomer(x), x.Version)
}

func (a *api) getCustomer(c *call) error {
	id, err := c.id("id")
	if err != nil {
		return err
	}
	x, err := a.cfg.Users.GetCustomer(c.ctx(), c.actor, id)
	if err != nil {
		return err
	}
	return c.entity(http.StatusOK, toCustomer(x), x.Version)
}

func (a *api) updateCustomer(c *call) error {
	id, err := c.id("id")
	if err != nil {
		return err
	}
	var in customerPatch
	if err := c.decode(&in); err != nil {
		return err
	}
	v, err := c.expectedVersion(in.Version)
	if err != nil {
		return err
	}
	x, err := a.cfg.Users.UpdateCustomer(c.ctx(), c.actor, id, in.patch(), v)
	if err != nil {
		return err
	}
	return c.entity(http.StatusOK, toCustomer(x), x.Version)
}

func (a *api) deleteCustomer(c *call) error {
	id, err := c.id("id")
	if err != nil {
		return err
	}
	v, err := c.expectedVersion(opt[int64]{})
	if err != nil {
		return err
	}
	if err := a.cfg.Users.DeleteCustomer(c.ctx(), c.actor, id, v); err != nil {
		return err
	}
	return c.noContent(0)
}
