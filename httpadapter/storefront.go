package httpadapter

import (
	"net/http"
)

// meRoutes are the storefront's self-service routes: the caller's own
// profile, password and addresses.
func (a *api) meRoutes() []*route {
	const tag = "Me"
	selfPatch := func() userPatcher { return &storefrontUserPatch{} }
	routes := []*route{
		{method: http.MethodGet, path: "/me", op: "getMe", tag: tag,
			summary: "The caller's own customer-user record.", status: http.StatusOK, resp: userOut{}, etag: true,
			errs: []int{http.StatusNotFound}, handle: a.getUser(self)},
		{method: http.MethodPatch, path: "/me", op: "updateMe", tag: tag,
			summary: "Change one's own profile (with update_own_profile: name parts, birthday, phone, e-mail, preferred localization).",
			body:    selfPatch(), conditional: true, status: http.StatusOK, resp: userUpdateOut{}, etag: true,
			errs: []int{http.StatusNotFound}, handle: a.updateUser(self, selfPatch)},
		{method: http.MethodPost, path: "/me/password", op: "changeMyPassword", tag: tag,
			summary: "Change one's own password, giving the current one.", body: changePasswordIn{},
			status: http.StatusNoContent, errs: []int{http.StatusNotFound, http.StatusPreconditionFailed}, handle: a.changePassword},
	}
	return append(routes, a.addressRoutes("/me", "id", tag, self)...)
}

func (a *api) changePassword(c *call) error {
	var in changePasswordIn
	if err := c.decode(&in); err != nil {
		return err
	}
	if err := a.cfg.Users.ChangePassword(c.ctx(), c.actor, c.actor.ID, in.CurrentPassword, in.Password); err != nil {
		return err
	}
	return c.noContent(0)
}
