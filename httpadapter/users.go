package httpadapter

import (
	"net/http"

	"github.com/google/uuid"

	"github.com/b2bkit/customerusers/customeruser"
)

// target picks the customer user a route is about: the {id} of the path,
// or the caller itself for the storefront's /me routes.
type target func(*call) (uuid.UUID, error)

func pathID(c *call) (uuid.UUID, error) { return c.id("id") }

func self(c *call) (uuid.UUID, error) { return c.actor.ID, nil }

// userPatcher is a PATCH body of a customer user (back office or
// storefront shape).
type userPatcher interface {
	patch() (customeruser.UserPatch, error)
	version() opt[int64]
}

func (p userPatchFields) version() opt[int64] { return p.Version }

// userListParams are the filters of customer-user lists.
var userListParams = append(paging(customeruser.SortCreatedAt, customeruser.SortEmail, customeruser.SortLastName),
	param{name: "customerId", kind: pUUID, doc: "Users of this customer."},
	param{name: "subtreeOf", kind: pUUID, doc: "Users of this customer and its descendants."},
	param{name: "email", kind: pString, doc: "Case-insensitive substring of the e-mail."},
	param{name: "name", kind: pString, doc: "Case-insensitive substring of the first, middle or last name."},
	param{name: "q", kind: pString, doc: "Free text matched against the e-mail and the name parts."},
	param{name: "enabled", kind: pBool},
	param{name: "confirmed", kind: pBool},
	param{name: "guest", kind: pBool},
	param{name: "authStatus", kind: pEnum, enum: []string{string(customeruser.AuthActive), string(customeruser.AuthReset)}},
	param{name: "roleId", kind: pUUID, doc: "Users holding this role."},
	param{name: "websiteId", kind: pUUID},
	param{name: "createdFrom", kind: pTime, doc: "Created at or after this time (RFC 3339, or a YYYY-MM-DD date at 00:00 UTC)."},
	param{name: "createdTo", kind: pTime, doc: "Created before this time (RFC 3339, or a YYYY-MM-DD date at 00:00 UTC)."},
)

// userRoutes are the customer-user routes under base: /customer-users in
// the back office, /users (delegated administration) in the storefront,
// where patchBody has no password.
func (a *api) userRoutes(base, tag string, patchBody func() userPatcher) []*route {
	item := base + "/{id}"
	action := func(name, op, summary string, status int, resp any, conditional bool, errs []int, h func(*call) error) *route {
		return &route{method: http.MethodPost, path: item + "/" + name, op: op, tag: tag, summary: summary,
			status: status, resp: resp, etag: resp != nil, conditional: conditional, errs: errs, handle: h}
	}
	return []*route{
		{method: http.MethodGet, path: base, op: "listCustomerUsers", tag: tag,
			summary: "List customer users (within the caller's reach).", query: userListParams,
			status: http.StatusOK, resp: listOf[userOut]{}, handle: a.listUsers},
		{method: http.MethodPost, path: base, op: "createCustomerUser", tag: tag,
			summary: "Create a customer user.", body: userCreateIn{},
			status: http.StatusCreated, resp: userOut{}, etag: true, location: true, handle: a.createUser(base)},
		{method: http.MethodGet, path: item, op: "getCustomerUser", tag: tag,
			summary: "Get a customer user.", status: http.StatusOK, resp: userOut{}, etag: true, handle: a.getUser(pathID)},
		{method: http.MethodPatch, path: item, op: "updateCustomerUser", tag: tag,
			summary: "Change a customer user: absent fields stay, null clears.", body: patchBody(), conditional: true,
			status: http.StatusOK, resp: userUpdateOut{}, etag: true, handle: a.updateUser(pathID, patchBody)},
		{method: http.MethodDelete, path: item, op: "deleteCustomerUser", tag: tag,
			summary: "Delete a customer user with its addresses and tokens.", conditional: true,
			status: http.StatusNoContent, handle: deleteEntity(a.cfg.Users.DeleteUser)},
		action("enable", "enableCustomerUser", "Let the user log in again (it needs a role).", http.StatusOK, userOut{},
			true, []int{http.StatusUnprocessableEntity}, a.setEnabled(true)),
		action("disable", "disableCustomerUser", "Stop the user from logging in; its links and tokens die.", http.StatusOK, userOut{},
			true, nil, a.setEnabled(false)),
		action("confirm", "confirmCustomerUser", "Confirm the account; the user is e-mailed a welcome with a set-password link.",
			http.StatusOK, userOut{}, true, []int{http.StatusConflict}, a.confirmUser),
		action("resend-confirmation", "resendConfirmation", "E-mail a new confirmation link; the previous one dies.",
			http.StatusNoContent, nil, true, []int{http.StatusConflict}, a.resendConfirmation),
		action("reset-password", "forcePasswordReset", "Make the user set a new password (e-mailed link) before logging in again.",
			http.StatusOK, userOut{}, true, []int{http.StatusConflict}, a.forceReset),
	}
}

// userView renders a user that a change returned with its effective sales
// representatives. When the caller may not see them (a storefront user
// without view rights on itself) the field is null. Reads of one user go
// through Service.GetUserView instead, which reads the user and its
// customer's representatives in one statement.
func (a *api) userView(c *call, u customeruser.User) (userOut, error) {
	views, err := a.userViews(c, []customeruser.User{u})
	if err != nil {
		return userOut{}, err
	}
	return views[0], nil
}

// userViews renders users with their effective sales representatives,
// read for all of them at once (one read, not one per user).
func (a *api) userViews(c *call, users []customeruser.User) ([]userOut, error) {
	reps, err := a.cfg.Users.EffectiveSalesRepsOf(c.ctx(), c.actor, users)
	if err != nil {
		return nil, err
	}
	out := make([]userOut, 0, len(users))
	for _, u := range users {
		out = append(out, toUser(u, reps[u.ID])) // nil (null) when not visible
	}
	return out, nil
}

// userListFilter reads the filters of userListParams (the list and the
// CSV exports).
func (c *call) userListFilter() customeruser.UserFilter {
	return customeruser.UserFilter{
		CustomerID: c.qUUID("customerId"), SubtreeOf: c.qUUID("subtreeOf"), Email: c.qString("email"),
		Name: c.qString("name"), Q: c.qString("q"), Enabled: c.qBool("enabled"), Confirmed: c.qBool("confirmed"),
		Guest: c.qBool("guest"), AuthStatus: customeruser.AuthStatus(c.qString("authStatus")), RoleID: c.qUUID("roleId"),
		WebsiteID: c.qUUID("websiteId"), CreatedFrom: c.qTime("createdFrom"), CreatedTo: c.qTime("createdTo"),
	}
}

func (a *api) listUsers(c *call) error {
	page, err := a.cfg.Users.ListUsers(c.ctx(), c.actor, c.userListFilter(), c.page())
	if err != nil {
		return err
	}
	items, err := a.userViews(c, page.Items)
	if err != nil {
		return err
	}
	return c.ok(newList(items, page.NextCursor))
}

func (a *api) createUser(base string) func(*call) error {
	return func(c *call) error {
		var in userCreateIn
		if err := c.decode(&in); err != nil {
			return err
		}
		u, err := a.cfg.Users.CreateUser(c.ctx(), c.actor, in.input())
		if err != nil {
			return err
		}
		v, err := a.userView(c, u)
		if err != nil {
			return err
		}
		return c.created(base+"/"+u.ID.String(), v, u.Version)
	}
}

func (a *api) getUser(t target) func(*call) error {
	return func(c *call) error {
		id, err := t(c)
		if err != nil {
			return err
		}
		v, err := a.cfg.Users.GetUserView(c.ctx(), c.actor, id)
		if err != nil {
			return err
		}
		return c.entity(http.StatusOK, toUser(v.User, v.EffectiveSalesRepIDs), v.User.Version)
	}
}

func (a *api) updateUser(t target, newBody func() userPatcher) func(*call) error {
	return func(c *call) error {
		id, err := t(c)
		if err != nil {
			return err
		}
		body := newBody()
		if err := c.decode(body); err != nil {
			return err
		}
		p, err := body.patch()
		if err != nil {
			return err
		}
		version, err := c.expectedVersion(body.version())
		if err != nil {
			return err
		}
		res, err := a.cfg.Users.UpdateUser(c.ctx(), c.actor, id, p, version)
		if err != nil {
			return err
		}
		v, err := a.userView(c, res.User)
		if err != nil {
			return err
		}
		return c.entity(http.StatusOK, userUpdateOut{userOut: v, Notices: res.Notices}, res.User.Version)
	}
}

func (a *api) setEnabled(enabled bool) func(*call) error {
	return func(c *call) error {
		id, err := c.id("id")
		if err != nil {
			return err
		}
		v, err := c.expectedVersion(opt[int64]{})
		if err != nil {
			return err
		}
		f := a.cfg.Users.DisableUser
		if enabled {
			f = a.cfg.Users.EnableUser
		}
		u, err := f(c.ctx(), c.actor, id, v)
		if err != nil {
			return err
		}
		return a.writeUser(c, u)
	}
}

func (a *api) writeUser(c *call, u customeruser.User) error {
	v, err := a.userView(c, u)
	if err != nil {
		return err
	}
	return c.entity(http.StatusOK, v, u.Version)
}

func (a *api) confirmUser(c *call) error {
	id, err := c.id("id")
	if err != nil {
		return err
	}
	v, err := c.expectedVersion(opt[int64]{})
	if err != nil {
		return err
	}
	u, err := a.cfg.Users.Confirm(c.ctx(), c.actor, id, v)
	if err != nil {
		return err
	}
	return a.writeUser(c, u)
}

func (a *api) resendConfirmation(c *call) error {
	id, err := c.id("id")
	if err != nil {
		return err
	}
	v, err := c.expectedVersion(opt[int64]{})
	if err != nil {
		return err
	}
	if err := a.cfg.Users.ResendConfirmation(c.ctx(), c.actor, id, v); err != nil {
		return err
	}
	return c.noContent(0)
}

func (a *api) forceReset(c *call) error {
	id, err := c.id("id")
	if err != nil {
		return err
	}
	v, err := c.expectedVersion(opt[int64]{})
	if err != nil {
		return err
	}
	u, err := a.cfg.Users.ForceReset(c.ctx(), c.actor, id, v)
	if err != nil {
		return err
	}
	return a.writeUser(c, u)
}
