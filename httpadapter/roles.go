package httpadapter

import (
	"net/http"

	"github.com/google/uuid"

	"github.com/b2bkit/customerusers/role"
)

// roleRoutes are the role routes of the back office and (delegated) of the
// storefront, where the role service limits what the caller sees and
// grants.
func (a *api) roleRoutes() []*route {
	const tag = "Roles"
	return []*route{
		{method: http.MethodGet, path: "/roles", op: "listRoles", tag: tag,
			summary: "List roles, sorted by label.",
			query: append(paging(),
				param{name: "customerId", kind: pUUID, doc: "Roles of this customer."},
				param{name: "includePredefined", kind: pBool, doc: "With customerId: predefined roles too."},
				param{name: "predefinedOnly", kind: pBool, doc: "Only roles without a customer."},
				param{name: "label", kind: pString, doc: "Case-insensitive substring of the label."}),
			status: http.StatusOK, resp: listOf[roleOut]{}, handle: listEntities(roleFilter, a.cfg.Roles.List, toRole)},
		{method: http.MethodPost, path: "/roles", op: "createRole", tag: tag,
			summary: "Create a role; its code is derived from the label.", body: roleIn{},
			status: http.StatusCreated, resp: roleOut{}, etag: true, location: true,
			handle: createEntity[roleIn]("/roles", a.cfg.Roles.Create, toRole)},
		{method: http.MethodGet, path: "/roles/{id}", op: "getRole", tag: tag,
			summary: "Get a role.", status: http.StatusOK, resp: roleOut{}, etag: true,
			handle: getEntity(a.cfg.Roles.Get, toRole)},
		{method: http.MethodPatch, path: "/roles/{id}", op: "updateRole", tag: tag,
			summary: "Change a role (in the storefront, editing a predefined role returns a copy bound to the caller's customer).",
			body:    rolePatch{}, conditional: true, status: http.StatusOK, resp: roleOut{}, etag: true,
			errs: []int{http.StatusConflict}, handle: updateEntity[rolePatch](a.cfg.Roles.Update, toRole)},
		{method: http.MethodDelete, path: "/roles/{id}", op: "deleteRole", tag: tag,
			summary: "Delete a role nobody holds that is not the default role (409 otherwise).", conditional: true,
			status: http.StatusNoContent, errs: []int{http.StatusConflict},
			handle: deleteEntity(a.cfg.Roles.Delete)},
	}
}

// roleFilter reads the filters of the role list.
func roleFilter(c *call) (role.Filter, error) {
	f := role.Filter{CustomerID: c.qUUID("customerId"), Label: c.qString("label")}
	if b := c.qBool("includePredefined"); b != nil {
		f.IncludePredefined = *b
	}
	if b := c.qBool("predefinedOnly"); b != nil {
		f.PredefinedOnly = *b
	}
	return f, nil
}

func (o roleOut) key() (uuid.UUID, int64) { return o.ID, o.Version }

// version is the version read: with no If-Match either, the change is
// unconditional.
func (p rolePatch) version() opt[int64] { return p.Version }
