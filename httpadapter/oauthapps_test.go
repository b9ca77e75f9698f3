package httpadapter_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/b2bkit/customerusers/oauthapp"
	"github.com/b2bkit/customerusers/role"
)

func TestBackOfficeOAuthApplications(t *testing.T) {
	eachStorage(t, func(t *testing.T, h *harness) {
		c := newCompany(h)
		list := "/customer-users/" + c.buyer.ID.String() + "/oauth-applications"
		r := h.bo(http.MethodPost, list, map[string]any{"name": "ERP", "scopes": []string{"customer_user:view"}}).expect(t, http.StatusCreated)
		id := r.id(t)
		assert.Equal(t, boPrefix+"/oauth-applications/"+id.String(), r.header.Get("Location"))
		assert.Equal(t, `"1"`, r.header.Get("ETag"))
		created := r.obj(t)
		secret := created["clientSecret"].(string)
		assert.Len(t, secret, 43)
		assert.Equal(t, c.buyer.ID.String(), created["ownerUserId"])
		assert.Equal(t, []any{"client_credentials"}, created["grants"])
		assert.Equal(t, true, created["active"])
		_, ok := h.mail.last("customer_user_oauth_application_created", c.buyer.Email)
		assert.True(t, ok, "the owner is told")

		// The secret is shown once: no read carries it.
		got := h.bo(http.MethodGet, "/oauth-applications/"+id.String(), nil).expect(t, http.StatusOK)
		assert.NotContains(t, string(got.body), secret)
		assert.NotContains(t, got.obj(t), "clientSecret")
		h.bo(http.MethodPost, list, map[string]any{"name": "Analytics"}).expect(t, http.StatusCreated)
		items := h.bo(http.MethodGet, list, nil).expect(t, http.StatusOK)
		assert.NotContains(t, string(items.body), secret)
		names := []any{}
		for _, it := range items.items(t) {
			names = append(names, it["name"])
		}
		assert.Equal(t, []any{"Analytics", "ERP"}, names, "sorted by name")
		first := h.bo(http.MethodGet, list+"?limit=1&sort=-createdAt", nil).expect(t, http.StatusOK).obj(t)
		assert.Equal(t, "Analytics", first["items"].([]any)[0].(map[string]any)["name"])
		assert.NotNil(t, first["nextCursor"])
		assert.Empty(t, h.bo(http.MethodGet, "/customer-users/"+c.admin.ID.String()+"/oauth-applications", nil).expect(t, http.StatusOK).items(t))

		// Change, with If-Match or the body's version.
		upd := h.bo(http.MethodPatch, "/oauth-applications/"+id.String(), map[string]any{"name": "ERP sync", "scopes": nil}, ifMatch(1)).
			expect(t, http.StatusOK)
		assert.Equal(t, `"2"`, upd.header.Get("ETag"))
		assert.Equal(t, []any{}, upd.obj(t)["scopes"])
		h.bo(http.MethodPatch, "/oauth-applications/"+id.String(), map[string]any{"active": false, "version": 2}).expect(t, http.StatusOK)

		// Bad input changes nothing.
		before := h.eventCount(h.org)
		p := h.bo(http.MethodPost, list, map[string]any{"name": "", "scopes": []string{"customer_user:fly"}}).
			expectProblem(t, http.StatusUnprocessableEntity, "invalid")
		violation(t, p, "name", "required")
		violation(t, p, "scopes[0]", "not_granted")
		p = h.bo(http.MethodPost, list, map[string]any{"name": "erp SYNC"}).expectProblem(t, http.StatusUnprocessableEntity, "invalid")
		violation(t, p, "name", "unique")
		p = h.bo(http.MethodPost, list, map[string]any{"name": strings.Repeat("x", 256)}).expectProblem(t, http.StatusUnprocessableEntity, "invalid")
		violation(t, p, "name", "max_length")
		h.bo(http.MethodPost, list, map[string]any{"name": "X", "clientSecret": "mine"}).expectProblem(t, http.StatusBadRequest, "bad_request")
		h.bo(http.MethodPost, list, `{"name":`).expectProblem(t, http.StatusBadRequest, "bad_request")
		h.bo(http.MethodPost, "/customer-users/"+uuid.NewString()+"/oauth-applications", map[string]any{"name": "X"}).
			expectProblem(t, http.StatusNotFound, "not_found")
		h.bo(http.MethodGet, "/customer-users/"+uuid.NewString()+"/oauth-applications", nil).expectProblem(t, http.StatusNotFound, "not_found")
		h.bo(http.MethodGet, list+"?sort=clientId", nil).expectProblem(t, http.StatusBadRequest, "bad_request")
		h.bo(http.MethodPatch, "/oauth-applications/"+id.String(), map[string]any{"name": nil}).expectProblem(t, http.StatusBadRequest, "bad_request")
		h.bo(http.MethodPatch, "/oauth-applications/"+id.String(), map[string]any{"active": true}, ifMatch(1)).
			expectProblem(t, http.StatusPreconditionFailed, "stale")
		h.bo(http.MethodDelete, "/oauth-applications/"+id.String(), nil, ifMatch(9)).expectProblem(t, http.StatusPreconditionFailed, "stale")
		h.bo(http.MethodGet, "/oauth-applications/x", nil).expectProblem(t, http.StatusBadRequest, "bad_request")
		h.bo(http.MethodGet, "/oauth-applications/"+uuid.NewString(), nil).expectProblem(t, http.StatusNotFound, "not_found")
		// A disabled user owns no new application.
		h.bo(http.MethodPost, "/customer-users/"+c.west1.ID.String()+"/disable", nil).expect(t, http.StatusOK)
		before = h.eventCount(h.org)
		p = h.bo(http.MethodPost, "/customer-users/"+c.west1.ID.String()+"/oauth-applications", map[string]any{"name": "X"}).
			expectProblem(t, http.StatusUnprocessableEntity, "invalid")
		violation(t, p, "ownerUserId", "disabled")
		assert.Equal(t, before, h.eventCount(h.org))

		h.bo(http.MethodDelete, "/oauth-applications/"+id.String(), nil, ifMatch(3)).expect(t, http.StatusNoContent)
		h.bo(http.MethodGet, "/oauth-applications/"+id.String(), nil).expectProblem(t, http.StatusNotFound, "not_found")
	})
}

func TestStorefrontOAuthApplications(t *testing.T) {
	eachStorage(t, func(t *testing.T, h *harness) {
		c := newCompany(h)
		r := h.sf(c.buyerTok, http.MethodPost, "/me/oauth-applications", map[string]any{"name": "My script"}).expect(t, http.StatusCreated)
		id := r.id(t)
		assert.Equal(t, sfPrefix+"/me/oauth-applications/"+id.String(), r.header.Get("Location"))
		assert.NotEmpty(t, r.obj(t)["clientSecret"])
		assert.Len(t, h.sf(c.buyerTok, http.MethodGet, "/me/oauth-applications", nil).expect(t, http.StatusOK).items(t), 1)
		h.sf(c.buyerTok, http.MethodGet, "/me/oauth-applications/"+id.String(), nil).expect(t, http.StatusOK)
		d := h.sf(c.buyerTok, http.MethodPatch, "/me/oauth-applications/"+id.String(), map[string]any{"active": false}).
			expect(t, http.StatusOK).obj(t)
		assert.Equal(t, false, d["active"])

		// Another user's application does not exist for the caller, even
		// for its customer administrator.
		before := h.eventCount(h.org)
		for _, tok := range []string{c.adminTok, h.userToken(c.west1)} {
			h.sf(tok, http.MethodGet, "/me/oauth-applications/"+id.String(), nil).expectProblem(t, http.StatusNotFound, "not_found")
			h.sf(tok, http.MethodPatch, "/me/oauth-applications/"+id.String(), map[string]any{"active": true}).expectProblem(t, http.StatusNotFound, "not_found")
			h.sf(tok, http.MethodDelete, "/me/oauth-applications/"+id.String(), nil).expectProblem(t, http.StatusNotFound, "not_found")
			assert.Empty(t, h.sf(tok, http.MethodGet, "/me/oauth-applications", nil).expect(t, http.StatusOK).items(t))
		}
		// A scope the caller does not hold is refused (no escalation).
		p := h.sf(c.buyerTok, http.MethodPost, "/me/oauth-applications", map[string]any{"name": "Admin", "scopes": []string{"customer_user:delete"}}).
			expectProblem(t, http.StatusUnprocessableEntity, "invalid")
		violation(t, p, "scopes[0]", "not_granted")
		assert.Equal(t, before, h.eventCount(h.org), "nothing changed")
		// A user without manage_oauth_apps may not.
		plain, err := h.roles.Create(h.ctx, h.admin, role.Input{Label: "Plain", SelfManaged: true, Public: true,
			Capabilities: []string{role.CapUpdateOwnProfile}})
		require.NoError(t, err)
		loner := h.userToken(h.user(c.east, "loner@east.example", plain.ID))
		before = h.eventCount(h.org)
		h.sf(loner, http.MethodGet, "/me/oauth-applications", nil).expectProblem(t, http.StatusForbidden, "forbidden")
		h.sf(loner, http.MethodPost, "/me/oauth-applications", map[string]any{"name": "X"}).expectProblem(t, http.StatusForbidden, "forbidden")
		assert.Equal(t, before, h.eventCount(h.org))

		h.sf(c.buyerTok, http.MethodDelete, "/me/oauth-applications/"+id.String(), nil).expect(t, http.StatusNoContent)
		_, err = h.st.Apps.Get(h.ctx, h.org, id)
		assert.Error(t, err)
	})
}

// TestScopedTokenCreatesScopedApps: a token limited to scopes cannot make
// an application with more (or all) permissions.
func TestScopedTokenCreatesScopedApps(t *testing.T) {
	eachStorage(t, func(t *testing.T, h *harness) {
		c := newCompany(h)
		app, err := h.apps.Create(h.ctx, h.admin, c.buyer.ID, oauthapp.Input{Name: "Limited",
			Scopes: []string{"oauth_application:view", "oauth_application:create", role.CapManageOAuthApps}})
		require.NoError(t, err)
		tok := h.clientToken(app.App.ClientID, app.ClientSecret)
		p := h.sf(tok, http.MethodPost, "/me/oauth-applications", map[string]any{"name": "Everything"}).
			expectProblem(t, http.StatusUnprocessableEntity, "invalid")
		violation(t, p, "scopes", "required")
		h.sf(tok, http.MethodPost, "/me/oauth-applications", map[string]any{"name": "Viewer", "scopes": []string{"oauth_application:view"}}).
			expect(t, http.StatusCreated)
		h.sf(tok, http.MethodGet, "/me/consents", nil).expectProblem(t, http.StatusForbidden, "forbidden")
	})
}
