package oauthapp_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	cu "github.com/b2bkit/customerusers"
	"github.com/b2bkit/customerusers/customeruser"
	"github.com/b2bkit/customerusers/oauthapp"
	"github.com/b2bkit/customerusers/role"
)

func TestClientCredentials(t *testing.T) {
	h := newHarness(t)
	owner := h.user("owner@acme.example")
	c := h.app(owner, "ERP")

	h.clock.Advance(time.Minute)
	r, err := h.clientCredentials(c, "")
	require.NoError(t, err)
	assert.Equal(t, "Bearer", r.TokenType)
	assert.Equal(t, 3600, r.ExpiresIn)
	assert.Empty(t, r.Scope, "unscoped: all of the owner's permissions")
	assert.Len(t, mustDecode(t, r.AccessToken), 32, "256 random bits")
	require.NotNil(t, h.stored(c.App.ID).LastUsedAt)
	assert.Equal(t, h.clock.Now(), *h.stored(c.App.ID).LastUsedAt)
	assert.Equal(t, int64(1), h.stored(c.App.ID).Version, "LastUsedAt is bookkeeping, not an edit")
	h.noSecretIn(r.AccessToken)

	actor, err := h.apps.Authenticate(h.ctx, r.AccessToken)
	require.NoError(t, err)
	assert.Equal(t, cu.ActorCustomerUser, actor.Kind)
	assert.Equal(t, h.org, actor.OrganizationID)
	assert.Equal(t, owner.ID, actor.ID)
	assert.Equal(t, owner.CustomerID, actor.CustomerID)
	assert.Equal(t, owner.RoleIDs, actor.RoleIDs)
	assert.Nil(t, actor.Scopes, "unscoped token: the owner's full grants")

	r2, err := h.clientCredentials(c, "")
	require.NoError(t, err)
	assert.NotEqual(t, r.AccessToken, r2.AccessToken)

	t.Run("token lifetime", func(t *testing.T) {
		h2 := newHarness(t)
		svc := oauthapp.NewService(oauthapp.Deps{
			Tx: h2.store, Apps: h2.store.OAuthApps(), Tokens: h2.store.AccessTokens(), Users: h2.store.Users(),
			Authorizer: h2.authz, Events: h2.store.Events(), Logins: h2.users,
		}, oauthapp.Config{AccessTokenTTL: 5 * time.Minute}, oauthapp.WithClock(h2.clock))
		c := h2.app(h2.user("o@acme.example"), "A")
		r, err := svc.Token(h2.ctx, h2.org, oauthapp.TokenRequest{GrantType: "client_credentials", ClientID: c.App.ClientID, ClientSecret: c.ClientSecret})
		require.NoError(t, err)
		assert.Equal(t, 300, r.ExpiresIn)
		assert.Equal(t, 5*time.Minute, svc.Config().AccessTokenTTL)
		h2.clock.Advance(5*time.Minute - time.Nanosecond)
		_, err = svc.Authenticate(h2.ctx, r.AccessToken)
		require.NoError(t, err)
		h2.clock.Advance(time.Nanosecond)
		_, err = svc.Authenticate(h2.ctx, r.AccessToken)
		assert.ErrorIs(t, err, cu.ErrUnauthenticated)
	})
}

func TestTokenRefusals(t *testing.T) {
	h := newHarness(t)
	owner := h.user("owner@acme.example")
	scoped := h.app(owner, "Scoped", "customer_user:view")
	plain := h.app(owner, "Plain")
	inactive, err := h.apps.Create(h.ctx, h.admin, owner.ID, oauthapp.Input{Name: "Off", Active: ptr(false)})
	require.NoError(t, err)

	req := func(c oauthapp.Created, f func(*oauthapp.TokenRequest)) oauthapp.TokenRequest {
		r := oauthapp.TokenRequest{GrantType: oauthapp.GrantClientCredentials, ClientID: c.App.ClientID, ClientSecret: c.ClientSecret}
		if f != nil {
			f(&r)
		}
		return r
	}
	tests := []struct {
		name     string
		org      uuid.UUID
		req      oauthapp.TokenRequest
		code     string
		sentinel error
	}{
		{"no grant type", h.org, req(plain, func(r *oauthapp.TokenRequest) { r.GrantType = "" }), oauthapp.ErrCodeInvalidRequest, cu.ErrInvalid},
		{"unknown grant type", h.org, req(plain, func(r *oauthapp.TokenRequest) { r.GrantType = "authorization_code" }), oauthapp.ErrCodeUnsupportedGrantType, cu.ErrInvalid},
		{"unknown client", h.org, req(plain, func(r *oauthapp.TokenRequest) { r.ClientID = "nope" }), oauthapp.ErrCodeInvalidClient, cu.ErrUnauthenticated},
		{"no client id", h.org, req(plain, func(r *oauthapp.TokenRequest) { r.ClientID = "" }), oauthapp.ErrCodeInvalidClient, cu.ErrUnauthenticated},
		{"wrong secret", h.org, req(plain, func(r *oauthapp.TokenRequest) { r.ClientSecret = scoped.ClientSecret }), oauthapp.ErrCodeInvalidClient, cu.ErrUnauthenticated},
		{"no secret", h.org, req(plain, func(r *oauthapp.TokenRequest) { r.ClientSecret = "" }), oauthapp.ErrCodeInvalidClient, cu.ErrUnauthenticated},
		{"another organization", uuid.New(), req(plain, nil), oauthapp.ErrCodeInvalidClient, cu.ErrUnauthenticated},
		{"inactive application", h.org, req(inactive, nil), oauthapp.ErrCodeInvalidClient, cu.ErrUnauthenticated},
		{"malformed scope", h.org, req(plain, func(r *oauthapp.TokenRequest) { r.Scope = `customer_user:"view"` }), oauthapp.ErrCodeInvalidScope, cu.ErrInvalid},
		{"scope beyond the application's", h.org, req(scoped, func(r *oauthapp.TokenRequest) { r.Scope = "customer_user:view manage_oauth_apps" }), oauthapp.ErrCodeInvalidScope, cu.ErrInvalid},
		{"scope beyond the owner's", h.org, req(plain, func(r *oauthapp.TokenRequest) { r.Scope = "customer_user:edit" }), oauthapp.ErrCodeInvalidScope, cu.ErrInvalid},
		{"first-party client", h.org, oauthapp.TokenRequest{GrantType: oauthapp.GrantClientCredentials, ClientID: publicClient}, oauthapp.ErrCodeUnauthorizedClient, cu.ErrForbidden},
		{"first-party client, wrong secret", h.org, oauthapp.TokenRequest{GrantType: oauthapp.GrantClientCredentials, ClientID: confidentialClient, ClientSecret: "x"}, oauthapp.ErrCodeInvalidClient, cu.ErrUnauthenticated},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := map[uuid.UUID]oauthapp.App{}
			for _, c := range []oauthapp.Created{scoped, plain, inactive} {
				before[c.App.ID] = h.stored(c.App.ID)
			}
			events := len(h.allEvents())
			_, err := h.apps.Token(h.ctx, tc.org, tc.req)
			requireOAuth(t, err, tc.code, tc.sentinel)
			for id, a := range before {
				assert.Equal(t, a, h.stored(id), "nothing changed (LastUsedAt)")
			}
			assert.Equal(t, events, len(h.allEvents()))
		})
	}

	// The owner must pass every login check.
	owners := []struct {
		name    string
		breakIt func(u customeruser.User)
	}{
		{"disabled", func(u customeruser.User) {
			_, err := h.users.DisableUser(h.ctx, h.admin, u.ID, 0)
			require.NoError(t, err)
		}},
		{"unconfirmed", func(u customeruser.User) {
			_, err := h.users.UpdateUser(h.ctx, h.admin, u.ID, customeruser.UserPatch{Confirmed: ptr(false)}, 0)
			require.NoError(t, err)
		}},
		{"password reset", func(u customeruser.User) {
			_, err := h.users.ForceReset(h.ctx, h.admin, u.ID, 0)
			require.NoError(t, err)
		}},
	}
	for i, tc := range owners {
		t.Run("owner "+tc.name, func(t *testing.T) {
			u := h.user(strings.ReplaceAll(tc.name, " ", "") + "@acme.example")
			c := h.app(u, "App "+string(rune('A'+i)))
			tc.breakIt(u)
			_, err := h.clientCredentials(c, "")
			requireOAuth(t, err, oauthapp.ErrCodeInvalidGrant, cu.ErrUnauthenticated)
			assert.Nil(t, h.stored(c.App.ID).LastUsedAt)
		})
	}
}

func TestOAuthErrorMapping(t *testing.T) {
	tests := map[string]cu.Code{
		oauthapp.ErrCodeInvalidRequest:       cu.CodeInvalid,
		oauthapp.ErrCodeInvalidClient:        cu.CodeUnauthenticated,
		oauthapp.ErrCodeInvalidGrant:         cu.CodeUnauthenticated,
		oauthapp.ErrCodeUnauthorizedClient:   cu.CodeForbidden,
		oauthapp.ErrCodeUnsupportedGrantType: cu.CodeInvalid,
		oauthapp.ErrCodeInvalidScope:         cu.CodeInvalid,
	}
	for code, want := range tests {
		err := error(&oauthapp.OAuthError{Code: code, Description: "d"})
		assert.Equal(t, want, cu.CodeOf(err), code)
		assert.Equal(t, "oauth: "+code+": d", err.Error())
	}
}

// Each way a token dies, for a client_credentials token (and the
// password-grant token where the cause applies to it).
func TestTokenDies(t *testing.T) {
	h := newHarness(t)
	viewer := h.customRole("Viewer", nil, role.Grant{Resource: role.ResourceCustomerUser, Permission: role.View, Level: role.LevelDepartment})
	tests := []struct {
		name string
		// kill ends the tokens of u and its application c.
		kill     func(u customeruser.User, c oauthapp.Created, tok string)
		password bool // also kills a password-grant token
	}{
		{"application deactivated", func(_ customeruser.User, c oauthapp.Created, _ string) {
			_, err := h.apps.Deactivate(h.ctx, h.admin, c.App.ID, 0)
			require.NoError(t, err)
		}, false},
		{"application deactivated by update", func(_ customeruser.User, c oauthapp.Created, _ string) {
			_, err := h.apps.Update(h.ctx, h.admin, c.App.ID, oauthapp.Patch{Active: ptr(false)}, 0)
			require.NoError(t, err)
		}, false},
		{"application scopes changed", func(_ customeruser.User, c oauthapp.Created, _ string) {
			_, err := h.apps.Update(h.ctx, h.admin, c.App.ID, oauthapp.Patch{Scopes: &[]string{"customer_user:view"}}, 0)
			require.NoError(t, err)
		}, false},
		{"application deleted", func(_ customeruser.User, c oauthapp.Created, _ string) {
			require.NoError(t, h.apps.Delete(h.ctx, h.admin, c.App.ID, 0))
		}, false},
		{"owner disabled", func(u customeruser.User, _ oauthapp.Created, _ string) {
			_, err := h.users.DisableUser(h.ctx, h.admin, u.ID, 0)
			require.NoError(t, err)
		}, true},
		{"owner unconfirmed", func(u customeruser.User, _ oauthapp.Created, _ string) {
			_, err := h.users.UpdateUser(h.ctx, h.admin, u.ID, customeruser.UserPatch{Confirmed: ptr(false)}, 0)
			require.NoError(t, err)
		}, true},
		{"owner force-reset", func(u customeruser.User, _ oauthapp.Created, _ string) {
			_, err := h.users.ForceReset(h.ctx, h.admin, u.ID, 0)
			require.NoError(t, err)
		}, true},
		{"owner deleted", func(u customeruser.User, _ oauthapp.Created, _ string) {
			require.NoError(t, h.users.DeleteUser(h.ctx, h.admin, u.ID, 0))
		}, true},
		{"owner loses the role its scopes relied on", func(u customeruser.User, _ oauthapp.Created, _ string) {
			_, err := h.users.UpdateUser(h.ctx, h.admin, u.ID, customeruser.UserPatch{RoleIDs: &[]uuid.UUID{viewer.ID}}, 0)
			require.NoError(t, err)
		}, true},
		{"expired", func(customeruser.User, oauthapp.Created, string) { h.clock.Advance(time.Hour) }, true},
		{"revoked", func(_ customeruser.User, _ oauthapp.Created, tok string) {
			require.NoError(t, h.apps.Revoke(h.ctx, h.org, tok))
		}, false},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			u := h.user("u" + string(rune('a'+i)) + "@acme.example")
			bystander := h.user("b" + string(rune('a'+i)) + "@acme.example")
			c := h.app(u, "App", role.CapManageOAuthApps, "customer_user:view")
			bc := h.app(bystander, "App")
			tok := h.token(c, "")
			ptok := h.passwordToken(u, role.CapManageOAuthApps)
			btok := h.token(bc, "")
			require.True(t, h.works(tok))
			require.True(t, h.works(ptok))

			tc.kill(u, c, tok)
			assert.False(t, h.works(tok), "the token dies")
			intro, err := h.apps.Introspect(h.ctx, h.org, tok)
			require.NoError(t, err)
			assert.Equal(t, oauthapp.Introspection{}, intro, "introspection says inactive")
			if tc.password {
				assert.False(t, h.works(ptok), "the password-grant token dies too")
			}
			if tc.name != "expired" {
				assert.True(t, h.works(btok), "another user's token lives")
			}
		})
	}
}

// A token relies only on the roles that give its scopes: taking away
// another role, or giving a new one, does not end it.
func TestTokenSurvivesUnrelatedRoleChanges(t *testing.T) {
	h := newHarness(t)
	viewer := h.customRole("Viewer", nil, role.Grant{Resource: role.ResourceCustomerUser, Permission: role.View, Level: role.LevelDepartment})
	extra := h.customRole("Extra", []string{role.CapShareDataView})
	u := h.user("u@acme.example", viewer.ID, h.buyerRole.ID)
	c := h.app(u, "App", role.CapManageOAuthApps)
	tok := h.token(c, "")
	unscoped := h.token(h.app(u, "All"), "")

	_, err := h.users.UpdateUser(h.ctx, h.admin, u.ID, customeruser.UserPatch{RoleIDs: &[]uuid.UUID{h.buyerRole.ID, extra.ID}}, 0)
	require.NoError(t, err)
	assert.True(t, h.works(tok), "the viewer role gave none of its scopes")
	assert.False(t, h.works(unscoped), "an unscoped token relies on every role it had")
	actor, err := h.apps.Authenticate(h.ctx, tok)
	require.NoError(t, err)
	assert.ElementsMatch(t, []uuid.UUID{h.buyerRole.ID, extra.ID}, actor.RoleIDs, "the user's current roles")
	assert.Equal(t, []string{role.CapManageOAuthApps}, actor.Scopes)
}

func TestScopeNarrowing(t *testing.T) {
	h := newHarness(t)
	admin := h.user("admin@acme.example", h.adminRole.ID)
	colleague := h.user("colleague@acme.example")
	c := h.app(admin, "Reader", "customer_user:view", "customer_user:edit")

	r, err := h.clientCredentials(c, "customer_user:view")
	require.NoError(t, err)
	assert.Equal(t, "customer_user:view", r.Scope)
	actor, err := h.apps.Authenticate(h.ctx, r.AccessToken)
	require.NoError(t, err)
	assert.Equal(t, []string{"customer_user:view"}, actor.Scopes)

	_, err = h.users.GetUser(h.ctx, actor, colleague.ID)
	require.NoError(t, err, "view is in scope")
	_, err = h.users.UpdateUser(h.ctx, actor, colleague.ID, customeruser.UserPatch{FirstName: ptr("Changed")}, 0)
	assert.ErrorIs(t, err, cu.ErrForbidden, "edit is not")
	ok, err := h.authz.Can(h.ctx, actor, role.Edit, role.ResourceCustomerUser, role.Target{CustomerID: h.acme.ID})
	require.NoError(t, err)
	assert.False(t, ok)

	// Without a scope parameter the token gets the application's scopes.
	r, err = h.clientCredentials(c, "")
	require.NoError(t, err)
	assert.Equal(t, "customer_user:view customer_user:edit", r.Scope)
	actor, err = h.apps.Authenticate(h.ctx, r.AccessToken)
	require.NoError(t, err)
	_, err = h.users.UpdateUser(h.ctx, actor, colleague.ID, customeruser.UserPatch{FirstName: ptr("Changed")}, 0)
	require.NoError(t, err)

	// An unscoped application's token has the owner's full grants.
	actor, err = h.apps.Authenticate(h.ctx, h.token(h.app(admin, "Full"), ""))
	require.NoError(t, err)
	assert.Nil(t, actor.Scopes)
	ok, err = h.authz.Can(h.ctx, actor, role.Delete, role.ResourceCustomerUser, role.Target{CustomerID: h.acme.ID})
	require.NoError(t, err)
	assert.True(t, ok)

	// The application's scopes the owner no longer holds are dropped; none
	// left is invalid_scope.
	_, err = h.users.UpdateUser(h.ctx, h.admin, admin.ID, customeruser.UserPatch{RoleIDs: &[]uuid.UUID{h.buyerRole.ID}}, 0)
	require.NoError(t, err)
	r, err = h.clientCredentials(c, "")
	require.NoError(t, err)
	assert.Equal(t, "customer_user:view", r.Scope)
	edit := h.app(admin, "Editor", role.CapManageOAuthApps)
	_, err = h.users.UpdateUser(h.ctx, h.admin, admin.ID, customeruser.UserPatch{RoleIDs: &[]uuid.UUID{h.customRole("Bare", nil).ID}}, 0)
	require.NoError(t, err)
	_, err = h.clientCredentials(edit, "")
	requireOAuth(t, err, oauthapp.ErrCodeInvalidScope, cu.ErrInvalid)
}

func TestPasswordGrant(t *testing.T) {
	h := newHarness(t)
	u := h.user("buyer@acme.example")

	r, err := h.apps.Token(h.ctx, h.org, oauthapp.TokenRequest{
		GrantType: oauthapp.GrantPassword, ClientID: publicClient, Username: "BUYER@acme.example", Password: testPassword,
		IP: "203.0.113.7", UserAgent: "test",
	})
	require.NoError(t, err)
	assert.Equal(t, "Bearer", r.TokenType)
	actor, err := h.apps.Authenticate(h.ctx, r.AccessToken)
	require.NoError(t, err)
	assert.Equal(t, u.ID, actor.ID)
	assert.Nil(t, actor.Scopes)
	intro, err := h.apps.Introspect(h.ctx, h.org, r.AccessToken)
	require.NoError(t, err)
	assert.Equal(t, publicClient, intro.ClientID)

	attempts, err := h.users.LoginAttempts(h.ctx, h.admin, u.ID, cu.Page{})
	require.NoError(t, err)
	require.NotEmpty(t, attempts.Items)
	assert.Equal(t, oauthapp.LoginSource, attempts.Items[0].Source)
	assert.Equal(t, "203.0.113.7", attempts.Items[0].IP)
	assert.True(t, attempts.Items[0].Success)

	t.Run("confidential first-party client", func(t *testing.T) {
		_, err := h.apps.Token(h.ctx, h.org, oauthapp.TokenRequest{GrantType: oauthapp.GrantPassword, ClientID: confidentialClient,
			ClientSecret: confidentialSecret, Username: u.Email, Password: testPassword, Scope: "customer_user:view"})
		require.NoError(t, err)
	})

	app := h.app(u, "App")
	pw := func(f func(r *oauthapp.TokenRequest)) oauthapp.TokenRequest {
		r := oauthapp.TokenRequest{GrantType: oauthapp.GrantPassword, ClientID: publicClient, Username: u.Email, Password: testPassword}
		f(&r)
		return r
	}
	tests := []struct {
		name     string
		req      oauthapp.TokenRequest
		code     string
		sentinel error
	}{
		{"unknown client", pw(func(r *oauthapp.TokenRequest) { r.ClientID = "other" }), oauthapp.ErrCodeInvalidClient, cu.ErrUnauthenticated},
		{"public client sending a secret", pw(func(r *oauthapp.TokenRequest) { r.ClientSecret = "x" }), oauthapp.ErrCodeInvalidClient, cu.ErrUnauthenticated},
		{"confidential client without its secret", pw(func(r *oauthapp.TokenRequest) { r.ClientID = confidentialClient }), oauthapp.ErrCodeInvalidClient, cu.ErrUnauthenticated},
		{"an application", pw(func(r *oauthapp.TokenRequest) { r.ClientID, r.ClientSecret = app.App.ClientID, app.ClientSecret }), oauthapp.ErrCodeUnauthorizedClient, cu.ErrForbidden},
		{"an application, wrong secret", pw(func(r *oauthapp.TokenRequest) { r.ClientID = app.App.ClientID }), oauthapp.ErrCodeInvalidClient, cu.ErrUnauthenticated},
		{"no username", pw(func(r *oauthapp.TokenRequest) { r.Username = "" }), oauthapp.ErrCodeInvalidRequest, cu.ErrInvalid},
		{"no password", pw(func(r *oauthapp.TokenRequest) { r.Password = "" }), oauthapp.ErrCodeInvalidRequest, cu.ErrInvalid},
		{"unknown user", pw(func(r *oauthapp.TokenRequest) { r.Username = "nobody@acme.example" }), oauthapp.ErrCodeInvalidGrant, cu.ErrUnauthenticated},
		{"scope not held", pw(func(r *oauthapp.TokenRequest) { r.Scope = "customer_user:delete" }), oauthapp.ErrCodeInvalidScope, cu.ErrInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := h.apps.Token(h.ctx, h.org, tc.req)
			requireOAuth(t, err, tc.code, tc.sentinel)
		})
	}

	t.Run("disabled user", func(t *testing.T) {
		d := h.user("disabled@acme.example")
		_, err := h.users.DisableUser(h.ctx, h.admin, d.ID, 0)
		require.NoError(t, err)
		_, err = h.apps.Token(h.ctx, h.org, oauthapp.TokenRequest{GrantType: oauthapp.GrantPassword, ClientID: publicClient, Username: d.Email, Password: testPassword})
		requireOAuth(t, err, oauthapp.ErrCodeInvalidGrant, cu.ErrUnauthenticated)
	})

	t.Run("lockout", func(t *testing.T) {
		v := h.user("victim@acme.example")
		bad := oauthapp.TokenRequest{GrantType: oauthapp.GrantPassword, ClientID: publicClient, Username: v.Email, Password: "Wrong123"}
		for range 3 {
			_, err := h.apps.Token(h.ctx, h.org, bad)
			requireOAuth(t, err, oauthapp.ErrCodeInvalidGrant, cu.ErrUnauthenticated)
		}
		good := bad
		good.Password = testPassword
		_, err := h.apps.Token(h.ctx, h.org, good)
		requireOAuth(t, err, oauthapp.ErrCodeInvalidGrant, cu.ErrRateLimited)
		assert.Equal(t, cu.CodeRateLimited, cu.CodeOf(err))
		var ce *cu.Error
		require.ErrorAs(t, err, &ce, "customeruser's error stays reachable")
		assert.Equal(t, time.Second, ce.RetryAfter, "Retry-After for the transport")
		h.clock.Advance(time.Minute)
		_, err = h.apps.Token(h.ctx, h.org, good)
		require.NoError(t, err, "after the delay the login works again")
	})

	t.Run("password change ends password-grant tokens", func(t *testing.T) {
		p := h.user("pw@acme.example")
		tok := h.passwordToken(p, "")
		ctok := h.token(h.app(p, "App"), "")
		h.clock.Advance(time.Second)
		require.NoError(t, h.users.ChangePassword(h.ctx, h.admin, p.ID, "", "Another123"))
		assert.False(t, h.works(tok))
		assert.True(t, h.works(ctok), "application tokens do not depend on the password")
	})
}

func TestIntrospectAndRevoke(t *testing.T) {
	h := newHarness(t)
	u := h.user("u@acme.example")
	c := h.app(u, "App", "customer_user:view", role.CapManageOAuthApps)
	h.clock.Advance(time.Minute)
	tok := h.token(c, "")

	got, err := h.apps.Introspect(h.ctx, h.org, tok)
	require.NoError(t, err)
	now := h.clock.Now()
	assert.Equal(t, oauthapp.Introspection{
		Active: true, Scope: "customer_user:view manage_oauth_apps", ClientID: c.App.ClientID, Username: u.Email,
		TokenType: "Bearer", Exp: now.Add(time.Hour).Unix(), Iat: now.Unix(), Sub: u.ID.String(),
	}, got)

	for name, token := range map[string]string{"garbage": "nope", "empty": "", "huge": strings.Repeat("x", 10_000)} {
		got, err := h.apps.Introspect(h.ctx, h.org, token)
		require.NoError(t, err, name)
		assert.False(t, got.Active, name)
		_, err = h.apps.Authenticate(h.ctx, token)
		assert.ErrorIs(t, err, cu.ErrUnauthenticated, name)
		assert.NoError(t, h.apps.Revoke(h.ctx, h.org, token), "RFC 7009: unknown tokens are not an error")
	}
	other := uuid.New()
	got, err = h.apps.Introspect(h.ctx, other, tok)
	require.NoError(t, err)
	b, err := json.Marshal(got)
	require.NoError(t, err)
	assert.JSONEq(t, `{"active":false}`, string(b), "inactive is active:false and nothing else")

	require.NoError(t, h.apps.Revoke(h.ctx, other, tok))
	assert.True(t, h.works(tok), "another organization cannot revoke it")
	require.NoError(t, h.apps.Revoke(h.ctx, h.org, tok))
	assert.False(t, h.works(tok))
	require.NoError(t, h.apps.Revoke(h.ctx, h.org, tok), "twice is fine")
}

func TestPurgeExpired(t *testing.T) {
	h := newHarness(t)
	c := h.app(h.user("u@acme.example"), "App")
	old1, old2 := h.token(c, ""), h.token(c, "")
	h.clock.Advance(30 * time.Minute)
	fresh := h.token(c, "")
	h.clock.Advance(30 * time.Minute)
	n, err := h.apps.PurgeExpired(h.ctx, h.org)
	require.NoError(t, err)
	assert.Equal(t, 2, n)
	assert.True(t, h.works(fresh))
	for _, tok := range []string{old1, old2} {
		_, err := h.store.AccessTokens().Lookup(h.ctx, oauthapp.DigestSecret(tok))
		assert.ErrorIs(t, err, cu.ErrNotFound)
	}
}

func TestTokenErrorsAreOAuthErrors(t *testing.T) {
	h := newHarness(t)
	_, err := h.apps.Token(h.ctx, h.org, oauthapp.TokenRequest{GrantType: "client_credentials", ClientID: "x", ClientSecret: "y"})
	var oe *oauthapp.OAuthError
	require.True(t, errors.As(err, &oe))
	assert.Equal(t, "invalid_client", oe.Code)
	assert.Equal(t, "Client authentication failed.", oe.Description)
	assert.Equal(t, cu.CodeUnauthenticated, cu.CodeOf(err))
}
