package httpadapter

import (
	"net/http"

	cu "github.com/b2bkit/customerusers"
	"github.com/b2bkit/customerusers/role"
)

// viewRoutes are the back office's read-only views of a customer user.
func (a *api) viewRoutes(tag string) []*route {
	return []*route{
		{method: http.MethodGet, path: "/customer-users/{id}/history", op: "getCustomerUserHistory", tag: tag,
			summary: "The user's audit history: who changed what and when, oldest first.", query: paging(),
			status: http.StatusOK, resp: listOf[eventOut]{}, handle: a.history},
		{method: http.MethodGet, path: "/customer-users/{id}/related", op: "getCustomerUserRelated", tag: tag,
			summary: "Host records tied to the user (orders, quotes, shopping lists...), newest first.",
			status:  http.StatusOK, resp: listOf[relatedOut]{}, handle: a.related},
		{method: http.MethodGet, path: "/customer-users/{id}/permissions", op: "explainCustomerUserPermissions", tag: tag,
			summary: "What the user's roles grant, and which role grants what.",
			status:  http.StatusOK, resp: role.Explanation{}, handle: a.permissions},
	}
}

func (a *api) history(c *call) error {
	id, err := c.id("id")
	if err != nil {
		return err
	}
	page, err := a.cfg.Users.History(c.ctx(), c.actor, id, c.page())
	if err != nil {
		return err
	}
	return c.ok(newList(toEvents(page.Items), page.NextCursor))
}

func (a *api) related(c *call) error {
	id, err := c.id("id")
	if err != nil {
		return err
	}
	recs, err := a.cfg.Users.Related(c.ctx(), c.actor, id)
	if err != nil {
		return err
	}
	return c.ok(newList(toRelated(recs), ""))
}

// permissions explains the grants of the user: the user is read as the
// caller (so reach and tenancy apply), then its roles are explained.
func (a *api) permissions(c *call) error {
	id, err := c.id("id")
	if err != nil {
		return err
	}
	u, err := a.cfg.Users.GetUser(c.ctx(), c.actor, id)
	if err != nil {
		return err
	}
	e, err := a.cfg.Roles.Explain(c.ctx(), cu.CustomerUserActor(u.OrganizationID, u.ID, u.CustomerID, u.RoleIDs...))
	if err != nil {
		return err
	}
	return c.ok(e)
}
