package httpadapter

import (
	"net/http"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/b2bkit/customerusers/oauthapp"
)

// appRoutes are the OAuth application routes: the applications of a
// customer user are listed and created under list
// (/customer-users/{id}/oauth-applications in the back office, where t is
// the path's user; /me/oauth-applications in the storefront, the caller),
// and each is read, changed and deleted under items/{id}.
func (a *api) appRoutes(list, items, tag string, t target) []*route {
	item := items + "/{id}"
	listOwner := t
	if a.surface == backOffice {
		listOwner = a.existingUser
	}
	return []*route{
		{method: http.MethodGet, path: list, op: "listOAuthApplications", tag: tag,
			summary: "List the user's OAuth applications (never their secrets).", query: paging(oauthapp.SortName, oauthapp.SortCreatedAt),
			status: http.StatusOK, resp: listOf[appOut]{}, errs: []int{http.StatusNotFound},
			handle: listEntities(listOwner, a.cfg.OAuth.List, toApp)},
		{method: http.MethodPost, path: list, op: "createOAuthApplication", tag: tag,
			summary: "Create an OAuth application of the user (client_credentials grant). The answer holds the client secret, shown this once and never again.",
			body:    appIn{}, status: http.StatusCreated, resp: appCreatedOut{}, etag: true, location: true,
			errs: []int{http.StatusNotFound}, handle: a.createApp(items, t)},
		{method: http.MethodGet, path: item, op: "getOAuthApplication", tag: tag,
			summary: "Get an OAuth application (never its secret).", status: http.StatusOK, resp: appOut{}, etag: true,
			handle: getEntity(a.cfg.OAuth.Get, toApp)},
		{method: http.MethodPatch, path: item, op: "updateOAuthApplication", tag: tag,
			summary: "Rename, activate or deactivate an application or change its scopes; deactivating it or changing its scopes kills its tokens at once.",
			body:    appPatch{}, conditional: true, status: http.StatusOK, resp: appOut{}, etag: true,
			handle: updateEntity[appPatch](a.cfg.OAuth.Update, toApp)},
		{method: http.MethodDelete, path: item, op: "deleteOAuthApplication", tag: tag,
			summary: "Delete an application; its tokens stop working at once.", conditional: true,
			status: http.StatusNoContent, handle: deleteEntity(a.cfg.OAuth.Delete)},
	}
}

// existingUser is the target of the back office's application list: the
// path's user, read first, because the application service lists the
// applications of any id (none for an unknown user) and an unknown or
// another organization's user must be a 404.
func (a *api) existingUser(c *call) (uuid.UUID, error) {
	id, err := c.id("id")
	if err != nil {
		return uuid.Nil, err
	}
	if _, err := a.cfg.Users.GetUser(c.ctx(), c.actor, id); err != nil {
		return uuid.Nil, err
	}
	return id, nil
}

func (a *api) createApp(items string, t target) func(*call) error {
	return func(c *call) error {
		owner, err := t(c)
		if err != nil {
			return err
		}
		var in appIn
		if err := c.decode(&in); err != nil {
			return err
		}
		res, err := a.cfg.OAuth.Create(c.ctx(), c.actor, owner, oauthapp.Input{Name: in.Name, Active: in.Active, Scopes: in.Scopes})
		if err != nil {
			return err
		}
		out := appCreatedOut{appOut: toApp(res.App), ClientSecret: res.ClientSecret}
		return c.created(items+"/"+res.App.ID.String(), out, res.App.Version)
	}
}

// appOut is an OAuth application. It never carries the client secret or
// its digest.
type appOut struct {
	ID          uuid.UUID  `json:"id"`
	OwnerUserID uuid.UUID  `json:"ownerUserId" doc:"The customer user the application acts as."`
	Name        string     `json:"name"`
	ClientID    string     `json:"clientId"`
	Grants      []string   `json:"grants"`
	Active      bool       `json:"active"`
	Scopes      []string   `json:"scopes" doc:"What its tokens may do (\"resource:permission\" pairs and capabilities); empty: all of the owner's permissions."`
	LastUsedAt  *time.Time `json:"lastUsedAt" doc:"When a token was last issued to it."`
	CreatedAt   time.Time  `json:"createdAt"`
	UpdatedAt   time.Time  `json:"updatedAt"`
	Version     int64      `json:"version" doc:"Also the ETag; send it back as If-Match."`
}

func (o appOut) key() (uuid.UUID, int64) { return o.ID, o.Version }

func toApp(x oauthapp.App) appOut {
	grants, scopes := slices.Clone(x.Grants), slices.Clone(x.Scopes)
	if grants == nil {
		grants = []string{}
	}
	if scopes == nil {
		scopes = []string{}
	}
	return appOut{
		ID: x.ID, OwnerUserID: x.OwnerUserID, Name: x.Name, ClientID: x.ClientID, Grants: grants, Active: x.Active,
		Scopes: scopes, LastUsedAt: x.LastUsedAt, CreatedAt: x.CreatedAt, UpdatedAt: x.UpdatedAt, Version: x.Version,
	}
}

// appCreatedOut is a new application with its client secret.
type appCreatedOut struct {
	appOut
	ClientSecret string `json:"clientSecret" doc:"Shown this once: only its digest is stored. Keep it safe."`
}

// appIn creates an application.
type appIn struct {
	Name   string   `json:"name" oa:"required" doc:"Unique among the owner's applications."`
	Active *bool    `json:"active" doc:"Default true."`
	Scopes []string `json:"scopes" doc:"Each must be held by the owner; empty: all of the owner's permissions."`
}

// appPatch changes an application.
type appPatch struct {
	Name    opt[string]   `json:"name" oa:"notnull"`
	Active  opt[bool]     `json:"active" oa:"notnull"`
	Scopes  opt[[]string] `json:"scopes" doc:"Replaces the scopes; null or [] means all of the owner's permissions."`
	Version opt[int64]    `json:"version" doc:"The version read; checked when no If-Match is sent."`
}

func (p appPatch) version() opt[int64] { return p.Version }

func (p appPatch) patch() (oauthapp.Patch, error) {
	if p.Name.Null {
		return oauthapp.Patch{}, nullField("name")
	}
	if p.Active.Null {
		return oauthapp.Patch{}, nullField("active")
	}
	out := oauthapp.Patch{Name: p.Name.ptr(), Active: p.Active.ptr()}
	if p.Scopes.Set {
		s := p.Scopes.V
		if s == nil {
			s = []string{}
		}
		out.Scopes = &s
	}
	return out, nil
}
