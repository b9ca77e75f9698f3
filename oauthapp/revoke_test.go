package oauthapp_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	cu "github.com/b2bkit/customerusers"
	"github.com/b2bkit/customerusers/customeruser"
	"github.com/b2bkit/customerusers/oauthapp"
	"github.com/b2bkit/customerusers/role"
)

// rvTokens are the tokens of a user: one of its application and one of the
// password grant.
type rvTokens struct {
	app      oauthapp.Created
	appTok   string
	passTok  string
	password string
}

func rvIssue(h *harness, u customeruser.User) rvTokens {
	h.t.Helper()
	c := h.app(u, "App", role.CapManageOAuthApps)
	tk := rvTokens{app: c, appTok: h.token(c, ""), passTok: h.passwordToken(u, ""), password: testPassword}
	require.True(h.t, h.works(tk.appTok))
	require.True(h.t, h.works(tk.passTok))
	return tk
}

// rvStored reports whether a token row still exists, whatever the
// validity rules say.
func rvStored(h *harness, token string) bool {
	h.t.Helper()
	_, err := h.store.AccessTokens().Lookup(h.ctx, oauthapp.DigestSecret(token))
	if errors.Is(err, cu.ErrNotFound) {
		return false
	}
	require.NoError(h.t, err)
	return true
}

// rvPasswordToken asks a password-grant token with password.
func rvPasswordToken(h *harness, email, password string) (oauthapp.TokenResponse, error) {
	return h.apps.Token(h.ctx, h.org, oauthapp.TokenRequest{
		GrantType: oauthapp.GrantPassword, ClientID: publicClient, Username: email, Password: password,
	})
}

// A user disabled and enabled again within the tokens' lifetime does not
// get its old tokens back: the hook deleted them with the disabling. New
// ones can be had at once.
func TestRevokeHookDisableThenEnable(t *testing.T) {
	h := newHarness(t)
	u := h.user("amanda@acme.example")
	other := h.user("bystander@acme.example")
	tk := rvIssue(h, u)
	bystander := rvIssue(h, other)

	_, err := h.users.DisableUser(h.ctx, h.admin, u.ID, 0)
	require.NoError(t, err)
	assert.False(t, rvStored(h, tk.appTok), "deleted, not merely refused")
	assert.False(t, rvStored(h, tk.passTok))
	h.clock.Advance(10 * time.Minute)
	_, err = h.users.EnableUser(h.ctx, h.admin, u.ID, 0)
	require.NoError(t, err)

	assert.False(t, h.works(tk.appTok), "the old application token stays dead")
	assert.False(t, h.works(tk.passTok), "the old password-grant token stays dead")
	intro, err := h.apps.Introspect(h.ctx, h.org, tk.appTok)
	require.NoError(t, err)
	assert.False(t, intro.Active)
	assert.True(t, h.works(bystander.appTok), "another user's tokens live")
	assert.True(t, h.works(bystander.passTok))

	assert.True(t, h.works(h.token(tk.app, "")), "the application asks for a new token")
	assert.True(t, h.works(h.passwordToken(u, "")))
}

// A forced reset followed by the new password through the link: the old
// tokens stay dead, and so does the old password.
func TestRevokeHookForcedResetThenNewPassword(t *testing.T) {
	h := newHarness(t)
	u := h.user("amanda@acme.example")
	tk := rvIssue(h, u)

	_, err := h.users.ForceReset(h.ctx, h.admin, u.ID, 0)
	require.NoError(t, err)
	assert.False(t, rvStored(h, tk.appTok))
	var link string
	for _, n := range h.mail.Sent() {
		if n.Template == customeruser.TemplateForcedReset && n.UserID == u.ID {
			link = n.Token
		}
	}
	require.NotEmpty(t, link)
	h.clock.Advance(10 * time.Minute)
	_, err = h.users.ResetPassword(h.ctx, h.org, link, "Renewed123")
	require.NoError(t, err)

	assert.False(t, h.works(tk.appTok), "the old application token stays dead")
	assert.False(t, h.works(tk.passTok), "the old password-grant token stays dead")
	_, err = rvPasswordToken(h, u.Email, testPassword)
	requireOAuth(t, err, oauthapp.ErrCodeInvalidGrant, cu.ErrUnauthenticated)
	r, err := rvPasswordToken(h, u.Email, "Renewed123")
	require.NoError(t, err)
	assert.True(t, h.works(r.AccessToken))
	assert.True(t, h.works(h.token(tk.app, "")))
}

// Each cause, the tokens it ends and those it leaves.
func TestRevokeHookCauses(t *testing.T) {
	h := newHarness(t)
	tests := []struct {
		name             string
		change           func(u customeruser.User)
		appDies, rowGone bool // the application token dies; its row is deleted
	}{
		{"unconfirmed, then confirmed again", func(u customeruser.User) {
			_, err := h.users.UpdateUser(h.ctx, h.admin, u.ID, customeruser.UserPatch{Confirmed: ptr(false)}, 0)
			require.NoError(t, err)
			_, err = h.users.Confirm(h.ctx, h.admin, u.ID, 0)
			require.NoError(t, err)
		}, true, true},
		{"e-mail changed", func(u customeruser.User) {
			_, err := h.users.UpdateUser(h.ctx, h.admin, u.ID, customeruser.UserPatch{Email: ptr("moved-" + u.Email)}, 0)
			require.NoError(t, err)
		}, true, true},
		{"anonymized", func(u customeruser.User) {
			_, err := h.users.Anonymize(h.ctx, h.admin, u.ID)
			require.NoError(t, err)
		}, true, true},
		{"deleted", func(u customeruser.User) {
			require.NoError(t, h.users.DeleteUser(h.ctx, h.admin, u.ID, 0))
		}, true, true},
		{"password changed by the user", func(u customeruser.User) {
			require.NoError(t, h.users.ChangePassword(h.ctx, h.storefront(u), u.ID, testPassword, "Changed123"))
		}, false, false},
		{"password set by the back office", func(u customeruser.User) {
			_, err := h.users.UpdateUser(h.ctx, h.admin, u.ID, customeruser.UserPatch{Password: ptr("Changed123")}, 0)
			require.NoError(t, err)
		}, false, false},
		{"name changed", func(u customeruser.User) {
			_, err := h.users.UpdateUser(h.ctx, h.admin, u.ID, customeruser.UserPatch{FirstName: ptr("Renamed")}, 0)
			require.NoError(t, err)
		}, false, false},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			u := h.user("c" + string(rune('a'+i)) + "@acme.example")
			tk := rvIssue(h, u)
			h.clock.Advance(time.Minute)
			tc.change(u)
			assert.Equal(t, tc.appDies, !h.works(tk.appTok), "application token dies")
			assert.Equal(t, tc.rowGone, !rvStored(h, tk.appTok), "application token row deleted")
			if tc.name != "name changed" {
				assert.False(t, h.works(tk.passTok), "the password-grant token dies")
			} else {
				assert.True(t, h.works(tk.passTok))
			}
		})
	}
}

// The hook runs in the transaction of the change: when the change fails
// after it, the tokens are kept.
func TestRevokeHookRollsBackWithTheChange(t *testing.T) {
	h := newHarness(t)
	u := h.user("amanda@acme.example")
	tk := rvIssue(h, u)
	boom := errors.New("later hook failed")
	h.users.AddAccessRevokedHook(func(context.Context, cu.Actor, customeruser.User, string) error { return boom })

	_, err := h.users.DisableUser(h.ctx, h.admin, u.ID, 0)
	require.ErrorIs(t, err, boom)
	assert.True(t, rvStored(h, tk.appTok), "the deletion rolled back")
	assert.True(t, h.works(tk.appTok))
	assert.True(t, h.works(tk.passTok))
}
