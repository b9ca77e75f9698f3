package httpadapter

import (
	"net/http"

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
			status: http.StatusOK, resp: listOf[roleOut]{}, handle: a.listRoles},
		{method: http.MethodPost, path: "/roles", op: "createRole", tag: tag,
			summary: "Create a role; its code is derived from the label.", body: roleIn{},
			status: http.StatusCreated, resp: roleOut{}, etag: true, location: true, handle: a.createRole},
		{method: http.MethodGet, path: "/roles/{id}", op: "getRole", tag: tag,
			summary: "Get a role.", status: http.StatusOK, resp: roleOut{}, etag: true, handle: a.getRole},
		{method: http.MethodPatch, path: "/roles/{id}", op: "updateRole", tag: tag,
			summary: "Change a role (in the storefront, editing a predefined role returns a copy bound to the caller's customer).",
			body:    rolePatch{}, conditional: true, status: http.StatusOK, resp: roleOut{}, etag: true,
			errs: []int{http.StatusConflict}, handle: a.updateRole},
		{method: http.MethodDelete, path: "/roles/{id}", op: "deleteRole", tag: tag,
			summary: "Delete a role nobody holds that is not the default role (409 otherwise).", conditional: true,
			status: http.StatusNoContent, errs: []int{http.StatusConflict}, handle: a.deleteRole},
	}
}

func (a *api) listRoles(c *call) error {
	f := role.Filter{CustomerID: c.qUUID("customerId"), Label: c.qString("label")}
	if b := c.qBool("includePredefined"); b != nil {
		f.IncludePredefined = *b
	}
	if b := c.qBool("predefinedOnly"); b != nil {
		f.PredefinedOnly = *b
	}
	page, err := a.cfg.Roles.List(c.ctx(), c.actor, f, c.page())
	if err != nil {
		return err
	}
	items := make([]roleOut, 0, len(page.Items))
	for _, r := range page.Items {
		items = append(items, toRole(r))
	}
	return c.ok(newList(items, page.NextCursor))
}

func (a *api) createRole(c *call) error {
	var in roleIn
	if err := c.decode(&in); err != nil {
		return err
	}
	r, err := a.cfg.Roles.Create(c.ctx(), c.actor, in.input())
	if err != nil {
		return err
	}
	return c.created("/roles/"+r.ID.String(), toRole(r), r.Version)
}

func (a *api) getRole(c *call) error {
	id, err := c.id("id")
	if err != nil {
		return err
	}
	r, err := a.cfg.Roles.Get(c.ctx(), c.actor, id)
	if err != nil {
		return err
	}
	return c.entity(http.StatusOK, toRole(r), r.Version)
}

func (a *api) updateRole(c *call) error {
	id, err := c.id("id")
	if err != nil {
		return err
	}
	var in rolePatch
	if err := c.decode(&in); err != nil {
		return err
	}
	p, err := in.patch()
	if err != nil {
		return err
	}
	v, err := c.expectedVersion(in.Version) // 0: unconditional
	if err != nil {
		return err
	}
	r, err := a.cfg.Roles.Update(c.ctx(), c.actor, id, p, v)
	if err != nil {
		return err
	}
	return c.entity(http.StatusOK, toRole(r), r.Version)
}

func (a *api) deleteRole(c *call) error {
	id, err := c.id("id")
	if err != nil {
		return err
	}
	v, err := c.expectedVersion(opt[int64]{}) // 0: unconditional
	if err != nil {
		return err
	}
	if err := a.cfg.Roles.Delete(c.ctx(), c.actor, id, v); err != nil {
		return err
	}
	return c.noContent(0)
}
