package httpadapter

import (
	"net/http"

	"github.com/google/uuid"

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
			status: http.StatusOK, resp: listOf[customerOut]{},
			handle: listEntities(customerFilter, a.cfg.Users.ListCustomers, toCustomer)},
		{method: http.MethodPost, path: "/customers", op: "createCustomer", tag: tag,
			summary: "Create a customer.", body: customerIn{},
			status: http.StatusCreated, resp: customerOut{}, etag: true, location: true,
			handle: createEntity[customerIn]("/customers", a.cfg.Users.CreateCustomer, toCustomer)},
		{method: http.MethodGet, path: "/customers/{id}", op: "getCustomer", tag: tag,
			summary: "Get a customer.", status: http.StatusOK, resp: customerOut{}, etag: true,
			handle: getEntity(a.cfg.Users.GetCustomer, toCustomer)},
		{method: http.MethodPatch, path: "/customers/{id}", op: "updateCustomer", tag: tag,
			summary: "Change a customer: absent fields stay, null clears.", body: customerPatch{}, conditional: true,
			status: http.StatusOK, resp: customerOut{}, etag: true,
			handle: updateEntity[customerPatch](a.cfg.Users.UpdateCustomer, toCustomer)},
		{method: http.MethodDelete, path: "/customers/{id}", op: "deleteCustomer", tag: tag,
			summary: "Delete a customer without users or children (409 otherwise).", conditional: true,
			status: http.StatusNoContent, errs: []int{http.StatusConflict},
			handle: deleteEntity(a.cfg.Users.DeleteCustomer)},
	}
}

// customerFilter reads the filters of the customer list.
func customerFilter(c *call) (customeruser.CustomerFilter, error) {
	f := customeruser.CustomerFilter{ParentID: c.qUUID("parentId"), SubtreeOf: c.qUUID("subtreeOf"), Name: c.qString("name")}
	if b := c.qBool("topLevel"); b != nil {
		f.TopLevel = *b
	}
	return f, nil
}

func (o customerOut) key() (uuid.UUID, int64) { return o.ID, o.Version }

func (p customerPatch) version() opt[int64] { return p.Version }
