package httpadapter_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	cu "github.com/b2bkit/customerusers"
	"github.com/b2bkit/customerusers/customeruser"
	"github.com/b2bkit/customerusers/httpadapter"
	"github.com/b2bkit/customerusers/oauthapp"
)

// TestRegisterWithConsentsLoginFlow follows a visitor from registration
// with the website's mandatory consent, through confirmation and a
// password-grant login, to its profile and a reset password, all over
// HTTP.
func TestRegisterWithConsentsLoginFlow(t *testing.T) {
	eachStorage(t, func(t *testing.T, h *harness) {
		const email = "amanda@cole.example"
		terms := h.bo(http.MethodPost, "/consents", map[string]any{"defaultName": "Terms of sale",
			"websiteIds": []uuid.UUID{h.website.ID}, "contentRef": "/terms"}).expect(t, http.StatusCreated).id(t)
		h.bo(http.MethodPost, "/consents", map[string]any{"defaultName": "Newsletter", "mandatory": false,
			"websiteIds": []uuid.UUID{h.website.ID}, "position": 1}).expect(t, http.StatusCreated)

		// The registration form learns what to show.
		shown := h.pub(http.MethodGet, "/consents", nil).expect(t, http.StatusOK).items(t)
		require.Len(t, shown, 2)
		assert.Equal(t, terms.String(), shown[0]["id"])
		assert.Equal(t, true, shown[0]["mandatory"])
		assert.Equal(t, false, shown[1]["mandatory"])

		// Without the mandatory consent, no account.
		before := h.eventCount(h.org)
		p := h.pub(http.MethodPost, "/register", registration(email)).expectProblem(t, http.StatusUnprocessableEntity, "invalid")
		violation(t, p, "consents", "mandatory")
		in := registration(email)
		in["acceptedConsentIds"] = []uuid.UUID{uuid.New()}
		p = h.pub(http.MethodPost, "/register", in).expectProblem(t, http.StatusUnprocessableEntity, "invalid")
		violation(t, p, "acceptedConsentIds[0]", "not_found")
		assert.Equal(t, before, h.eventCount(h.org), "nothing changed")

		in["acceptedConsentIds"] = []uuid.UUID{terms}
		h.pub(http.MethodPost, "/register", in).expect(t, http.StatusAccepted)
		n, ok := h.mail.last(customeruser.TemplateConfirmation, email)
		require.True(t, ok)

		// Unconfirmed: the password grant refuses, the same way as a wrong password.
		form := url.Values{"grant_type": {"password"}, "client_id": {storefrontClient}, "username": {email}, "password": {testPassword}}
		unconfirmed := h.oauth("/oauth2/token", form).expectOAuthError(t, http.StatusBadRequest, "invalid_grant")
		form.Set("password", "Wrong1234")
		wrong := h.oauth("/oauth2/token", form).expectOAuthError(t, http.StatusBadRequest, "invalid_grant")
		assert.Equal(t, wrong, unconfirmed)

		h.pub(http.MethodPost, "/confirm-email", map[string]any{"token": n.Token}).expect(t, http.StatusNoContent)

		// Login, then the profile and the accepted consent with the bearer token.
		r := h.oauth("/oauth2/token", url.Values{"grant_type": {"password"}, "client_id": {storefrontClient},
			"username": {"AMANDA@cole.example"}, "password": {testPassword}}).expect(t, http.StatusOK)
		assert.Equal(t, "no-store", r.header.Get("Cache-Control"))
		assert.Equal(t, "no-cache", r.header.Get("Pragma"))
		grant := r.obj(t)
		assert.Equal(t, "Bearer", grant["token_type"])
		assert.Equal(t, float64(3600), grant["expires_in"])
		tok := grant["access_token"].(string)
		me := h.sf(tok, http.MethodGet, "/me", nil).expect(t, http.StatusOK).obj(t)
		assert.Equal(t, email, me["email"])
		assert.Equal(t, true, me["confirmed"])
		assert.Equal(t, float64(1), me["loginCount"])
		consents := h.sf(tok, http.MethodGet, "/me/consents", nil).expect(t, http.StatusOK).items(t)
		require.Len(t, consents, 2)
		assert.Equal(t, true, consents[0]["accepted"])
		assert.Equal(t, false, consents[1]["accepted"])

		// Forgot and reset: the new password works, the old token dies.
		h.clock.Advance(time.Minute)
		h.pub(http.MethodPost, "/password/forgot", map[string]any{"email": email}).expect(t, http.StatusAccepted)
		reset, ok := h.mail.last(customeruser.TemplateResetPassword, email)
		require.True(t, ok)
		h.pub(http.MethodPost, "/password/reset", map[string]any{"token": reset.Token, "password": "NewSecret9"}).expect(t, http.StatusNoContent)
		h.sf(tok, http.MethodGet, "/me", nil).expectProblem(t, http.StatusUnauthorized, "unauthenticated")
		h.oauth("/oauth2/token", url.Values{"grant_type": {"password"}, "client_id": {storefrontClient},
			"username": {email}, "password": {testPassword}}).expectOAuthError(t, http.StatusBadRequest, "invalid_grant")
		tok = h.login(email, "NewSecret9")
		h.sf(tok, http.MethodGet, "/me", nil).expect(t, http.StatusOK)
	})
}

// TestOAuthApplicationFlow: an application is created, gets a token,
// calls the storefront as its owner within its scopes, and its token dies
// when it is deactivated.
func TestOAuthApplicationFlow(t *testing.T) {
	eachStorage(t, func(t *testing.T, h *harness) {
		c := newCompany(h)
		created := h.bo(http.MethodPost, "/customer-users/"+c.buyer.ID.String()+"/oauth-applications",
			map[string]any{"name": "ERP sync", "scopes": []string{"customer_user:view"}}).expect(t, http.StatusCreated)
		app := created.obj(t)
		secret := app["clientSecret"].(string)
		clientID := app["clientId"].(string)
		require.NotEmpty(t, secret)

		// Basic and form credentials both work.
		tok := h.clientToken(clientID, secret)
		r := h.oauth("/oauth2/token", url.Values{"grant_type": {"client_credentials"}, "client_id": {clientID},
			"client_secret": {secret}}).expect(t, http.StatusOK)
		assert.Equal(t, "customer_user:view", r.obj(t)["scope"])

		// The storefront as the owner, limited to the token's scopes.
		me := h.sf(tok, http.MethodGet, "/me", nil).expect(t, http.StatusOK).obj(t)
		assert.Equal(t, c.buyer.ID.String(), me["id"])
		h.sf(tok, http.MethodGet, "/users/"+c.admin.ID.String(), nil).expect(t, http.StatusOK)
		h.sf(tok, http.MethodPatch, "/me", map[string]any{"firstName": "Robot"}).expectProblem(t, http.StatusForbidden, "forbidden")

		// Deactivated: the token is refused at once, and no new one is issued.
		appID := created.id(t)
		h.bo(http.MethodPatch, "/oauth-applications/"+appID.String(), map[string]any{"active": false}, ifMatch(1)).expect(t, http.StatusOK)
		r = h.sf(tok, http.MethodGet, "/me", nil)
		r.expectProblem(t, http.StatusUnauthorized, "unauthenticated")
		assert.Equal(t, "Bearer", r.header.Get("WWW-Authenticate"))
		h.oauth("/oauth2/token", url.Values{"grant_type": {"client_credentials"}}, withBasic(clientID, secret)).
			expectOAuthError(t, http.StatusUnauthorized, "invalid_client")

		// Active again: a new token works; deleting the application kills it.
		h.bo(http.MethodPatch, "/oauth-applications/"+appID.String(), map[string]any{"active": true}).expect(t, http.StatusOK)
		tok = h.clientToken(clientID, secret)
		h.sf(tok, http.MethodGet, "/me", nil).expect(t, http.StatusOK)
		h.bo(http.MethodDelete, "/oauth-applications/"+appID.String(), nil).expect(t, http.StatusNoContent)
		h.sf(tok, http.MethodGet, "/me", nil).expectProblem(t, http.StatusUnauthorized, "unauthenticated")

		// Disabling the owner kills the tokens of its applications too.
		created = h.sf(c.buyerTok, http.MethodPost, "/me/oauth-applications", map[string]any{"name": "Mine"}).expect(t, http.StatusCreated)
		tok = h.clientToken(created.obj(t)["clientId"].(string), created.obj(t)["clientSecret"].(string))
		h.sf(tok, http.MethodGet, "/me", nil).expect(t, http.StatusOK)
		h.bo(http.MethodPost, "/customer-users/"+c.buyer.ID.String()+"/disable", nil).expect(t, http.StatusOK)
		h.sf(tok, http.MethodGet, "/me", nil).expectProblem(t, http.StatusUnauthorized, "unauthenticated")
	})
}

func TestTokenEndpointErrors(t *testing.T) {
	eachStorage(t, func(t *testing.T, h *harness) {
		c := newCompany(h)
		app, err := h.apps.Create(h.ctx, h.admin, c.buyer.ID, oauthapp.Input{Name: "App"})
		require.NoError(t, err)
		id, secret := app.App.ClientID, app.ClientSecret
		cc := url.Values{"grant_type": {"client_credentials"}}
		form := func(kv ...string) url.Values {
			v := url.Values{}
			for i := 0; i < len(kv); i += 2 {
				v.Add(kv[i], kv[i+1])
			}
			return v
		}
		type tc struct {
			name   string
			form   url.Values
			opts   []reqOpt
			status int
			code   string
		}
		for _, tc := range []tc{
			{"no grant type", url.Values{}, []reqOpt{withBasic(id, secret)}, 400, "invalid_request"},
			{"unknown grant type", form("grant_type", "authorization_code"), []reqOpt{withBasic(id, secret)}, 400, "unsupported_grant_type"},
			{"wrong secret", cc, []reqOpt{withBasic(id, "nope")}, 401, "invalid_client"},
			{"unknown client", cc, []reqOpt{withBasic("nobody", secret)}, 401, "invalid_client"},
			{"no client", cc, nil, 401, "invalid_client"},
			{"malformed Basic", cc, []reqOpt{withHeader("Authorization", "Basic !!!")}, 401, "invalid_client"},
			{"two client authentications", form("grant_type", "client_credentials", "client_secret", secret), []reqOpt{withBasic(id, secret)}, 400, "invalid_request"},
			{"repeated parameter", form("grant_type", "client_credentials", "grant_type", "password"), []reqOpt{withBasic(id, secret)}, 400, "invalid_request"},
			{"scope not granted", form("grant_type", "client_credentials", "scope", "customer_user:delete"), []reqOpt{withBasic(id, secret)}, 400, "invalid_scope"},
			{"application asks password grant", form("grant_type", "password", "username", c.buyer.Email, "password", testPassword), []reqOpt{withBasic(id, secret)}, 400, "unauthorized_client"},
			{"storefront asks client_credentials", form("grant_type", "client_credentials", "client_id", storefrontClient), nil, 400, "unauthorized_client"},
			{"password grant without password", form("grant_type", "password", "client_id", storefrontClient, "username", c.buyer.Email), nil, 400, "invalid_request"},
			{"other organization's client", cc, []reqOpt{withBasic(id, secret), withHost(hostOrg2)}, 401, "invalid_client"},
			{"password in the query", cc, nil, 400, "invalid_request"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				path := "/oauth2/token"
				if tc.name == "password in the query" {
					path += "?password=x"
				}
				body := h.oauth(path, tc.form, tc.opts...).expectOAuthError(t, tc.status, tc.code)
				assert.NotContains(t, body, "access_token")
			})
		}

		// Not a form.
		h.pub(http.MethodPost, "/oauth2/token", `{"grant_type":"client_credentials"}`, withBasic(id, secret)).
			expectOAuthError(t, http.StatusBadRequest, "invalid_request")
		// Too large.
		h.oauth("/oauth2/token", url.Values{"grant_type": {"client_credentials"}, "pad": {strings.Repeat("x", httpadapter.DefaultMaxBodyBytes)}},
			withBasic(id, secret)).expectOAuthError(t, http.StatusRequestEntityTooLarge, "invalid_request")
		// Unknown organization.
		h.oauth("/oauth2/token", cc, withBasic(id, secret), withHost("unknown.example")).expectOAuthError(t, http.StatusNotFound, "invalid_request")
		// Only POST.
		h.pub(http.MethodGet, "/oauth2/token", nil).expectProblem(t, http.StatusMethodNotAllowed, "method_not_allowed")

		// Unknown parameters are ignored (RFC 6749 §3.1), and so are empty ones.
		h.oauth("/oauth2/token", url.Values{"grant_type": {"client_credentials"}, "audience": {"x"}, "scope": {""}}, withBasic(id, secret)).
			expect(t, http.StatusOK)
		// A client id in the form as well as in Basic is fine when it is the same.
		h.oauth("/oauth2/token", url.Values{"grant_type": {"client_credentials"}, "client_id": {id}}, withBasic(id, secret)).
			expect(t, http.StatusOK)
	})
}

func TestPasswordGrantThrottled(t *testing.T) {
	eachStorage(t, func(t *testing.T, h *harness) {
		c := newCompany(h)
		bad := url.Values{"grant_type": {"password"}, "client_id": {storefrontClient}, "username": {c.buyer.Email}, "password": {"Wrong1234"}}
		for range customeruser.DefaultConfig().Lockout.Threshold {
			h.oauth("/oauth2/token", bad).expectOAuthError(t, http.StatusBadRequest, "invalid_grant")
		}
		good := url.Values{"grant_type": {"password"}, "client_id": {storefrontClient}, "username": {c.buyer.Email}, "password": {testPassword}}
		r := h.oauth("/oauth2/token", good, withHeader("User-Agent", "shop-frontend/1.0"))
		r.expectOAuthError(t, http.StatusTooManyRequests, "invalid_grant")
		assert.Equal(t, "1", r.header.Get("Retry-After"))

		// The attempts are recorded with where they came from.
		page, err := h.st.Attempts.List(h.ctx, h.org, c.buyer.ID, cu.Page{Limit: cu.MaxPageLimit})
		require.NoError(t, err)
		require.NotEmpty(t, page.Items)
		assert.Equal(t, "192.0.2.1", page.Items[0].IP) // httptest's RemoteAddr
		assert.Equal(t, "shop-frontend/1.0", page.Items[0].UserAgent)
		assert.Equal(t, "oauth", page.Items[0].Source)
		h.clock.Advance(time.Hour)
		h.login(c.buyer.Email, testPassword)
	})
}

func TestIntrospectAndRevokeEndpoints(t *testing.T) {
	eachStorage(t, func(t *testing.T, h *harness) {
		c := newCompany(h)
		app, err := h.apps.Create(h.ctx, h.admin, c.buyer.ID, oauthapp.Input{Name: "App"})
		require.NoError(t, err)
		appTok := h.clientToken(app.App.ClientID, app.ClientSecret)
		pwTok := h.login(c.admin.Email, testPassword)
		rs := withBasic(resourceServer, resourceSecret)

		// The resource server learns about any token of the organization.
		got := h.oauth("/oauth2/introspect", url.Values{"token": {pwTok}}, rs).expect(t, http.StatusOK).obj(t)
		assert.Equal(t, true, got["active"])
		assert.Equal(t, c.admin.ID.String(), got["sub"])
		assert.Equal(t, c.admin.Email, got["username"])
		assert.Equal(t, storefrontClient, got["client_id"])
		// The application about its own tokens only; form credentials work too.
		own := url.Values{"token": {appTok}, "client_id": {app.App.ClientID}, "client_secret": {app.ClientSecret}, "token_type_hint": {"access_token"}}
		got = h.oauth("/oauth2/introspect", own).expect(t, http.StatusOK).obj(t)
		assert.Equal(t, true, got["active"])
		other := url.Values{"token": {pwTok}, "client_id": {app.App.ClientID}, "client_secret": {app.ClientSecret}}
		assert.Equal(t, map[string]any{"active": false}, h.oauth("/oauth2/introspect", other).expect(t, http.StatusOK).obj(t))
		for _, tok := range []string{"unknown", strings.Repeat("x", 600)} {
			assert.Equal(t, map[string]any{"active": false},
				h.oauth("/oauth2/introspect", url.Values{"token": {tok}}, rs).expect(t, http.StatusOK).obj(t))
		}
		// Another organization's endpoint knows nothing of these tokens.
		assert.Equal(t, map[string]any{"active": false},
			h.oauth("/oauth2/introspect", url.Values{"token": {pwTok}}, rs, withHost(hostOrg2)).expect(t, http.StatusOK).obj(t))

		// Introspection needs an authenticated client.
		h.oauth("/oauth2/introspect", url.Values{"token": {pwTok}}).expectOAuthError(t, http.StatusUnauthorized, "invalid_client")
		h.oauth("/oauth2/introspect", url.Values{"token": {pwTok}}, withBasic(resourceServer, "nope")).expectOAuthError(t, http.StatusUnauthorized, "invalid_client")
		h.oauth("/oauth2/introspect", url.Values{"token": {pwTok}, "client_id": {storefrontClient}}).
			expectOAuthError(t, http.StatusBadRequest, "unauthorized_client")
		h.oauth("/oauth2/introspect", url.Values{}, rs).expectOAuthError(t, http.StatusBadRequest, "invalid_request")

		// Revocation: another client's token stays, with the same answer.
		r := h.oauth("/oauth2/revoke", url.Values{"token": {pwTok}, "client_id": {app.App.ClientID}, "client_secret": {app.ClientSecret}}).
			expect(t, http.StatusOK)
		assert.Empty(t, r.body)
		h.sf(pwTok, http.MethodGet, "/me", nil).expect(t, http.StatusOK)
		// The storefront (a public client) logs its user out.
		h.oauth("/oauth2/revoke", url.Values{"token": {pwTok}, "client_id": {storefrontClient}}).expect(t, http.StatusOK)
		h.sf(pwTok, http.MethodGet, "/me", nil).expectProblem(t, http.StatusUnauthorized, "unauthenticated")
		h.oauth("/oauth2/revoke", url.Values{"token": {pwTok}, "client_id": {storefrontClient}}).expect(t, http.StatusOK)
		h.oauth("/oauth2/revoke", url.Values{"token": {"never-issued"}}, withBasic(app.App.ClientID, app.ClientSecret)).expect(t, http.StatusOK)
		// The application revokes its own token.
		h.oauth("/oauth2/revoke", url.Values{"token": {appTok}}, withBasic(app.App.ClientID, app.ClientSecret)).expect(t, http.StatusOK)
		assert.Equal(t, map[string]any{"active": false},
			h.oauth("/oauth2/introspect", url.Values{"token": {appTok}}, rs).expect(t, http.StatusOK).obj(t))
		// Bad input.
		h.oauth("/oauth2/revoke", url.Values{"token": {appTok}}, withBasic(app.App.ClientID, "nope")).expectOAuthError(t, http.StatusUnauthorized, "invalid_client")
		h.oauth("/oauth2/revoke", url.Values{}, withBasic(app.App.ClientID, app.ClientSecret)).expectOAuthError(t, http.StatusBadRequest, "invalid_request")
		h.oauth("/oauth2/revoke", url.Values{"token": {"x"}}).expectOAuthError(t, http.StatusUnauthorized, "invalid_client")
	})
}

// TestStorefrontAuthenticationOrder: with Config.OAuth, a library token
// is tried first, then the host's authentication; without a host
// function, only library tokens work.
func TestStorefrontAuthenticationOrder(t *testing.T) {
	eachStorage(t, func(t *testing.T, h *harness) {
		c := newCompany(h)
		libTok := h.login(c.buyer.Email, testPassword)
		h.sf(libTok, http.MethodGet, "/me", nil).expect(t, http.StatusOK)
		h.sf(c.adminTok, http.MethodGet, "/me", nil).expect(t, http.StatusOK) // the host's session
		h.sf("unknown", http.MethodGet, "/me", nil).expectProblem(t, http.StatusUnauthorized, "unauthenticated")
		r := h.do(http.MethodGet, sfPrefix+"/me", "", nil, withHeader("Authorization", "bearer "+libTok))
		assert.Equal(t, c.buyer.ID, r.expect(t, http.StatusOK).id(t), "the scheme is case-insensitive")

		// Library tokens only.
		cfg := h.cfg
		cfg.Authenticate = nil
		h.handler = http.StripPrefix(sfPrefix, httpadapter.NewStorefront(cfg))
		h.sf(libTok, http.MethodGet, "/me", nil).expect(t, http.StatusOK)
		h.sf(c.adminTok, http.MethodGet, "/me", nil).expectProblem(t, http.StatusUnauthorized, "unauthenticated")
		h.sf("", http.MethodGet, "/me", nil).expectProblem(t, http.StatusUnauthorized, "unauthenticated")

		// The back office never takes library tokens.
		h.handler = http.StripPrefix(boPrefix, httpadapter.NewBackOffice(h.cfg))
		h.do(http.MethodGet, boPrefix+"/customers", libTok, nil).expectProblem(t, http.StatusUnauthorized, "unauthenticated")
	})
}

// TestOptionalServices: without Config.Consents and Config.OAuth their
// routes are neither registered nor documented.
func TestOptionalServices(t *testing.T) {
	eachStorage(t, func(t *testing.T, h *harness) {
		cfg := h.cfg
		cfg.Consents, cfg.OAuth = nil, nil
		for _, handler := range []http.Handler{httpadapter.NewBackOffice(cfg), httpadapter.NewStorefront(cfg), httpadapter.NewPublic(cfg)} {
			for _, p := range httpadapter.Patterns(handler) {
				assert.NotContains(t, p, "consents")
				assert.NotContains(t, p, "oauth")
			}
		}
		h.handler = http.StripPrefix(pubPrefix, httpadapter.NewPublic(cfg))
		h.skipSchemaValidation = true
		h.oauth("/oauth2/token", url.Values{"grant_type": {"password"}}).expectProblem(t, http.StatusNotFound, "not_found")
		assert.Panics(t, func() {
			httpadapter.NewStorefront(httpadapter.Config{Users: h.users, Roles: h.roles})
		}, "the storefront needs a way to authenticate")
		assert.NotPanics(t, func() {
			httpadapter.NewStorefront(httpadapter.Config{Users: h.users, Roles: h.roles, OAuth: h.apps})
		})
	})
}
