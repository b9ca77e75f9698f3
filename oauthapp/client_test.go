package oauthapp_test

import (
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	cu "github.com/b2bkit/customerusers"
	"github.com/b2bkit/customerusers/oauthapp"
)

func TestIntrospectFor(t *testing.T) {
	h := newHarness(t)
	u := h.user("u@acme.example")
	c := h.app(u, "App")
	other := h.app(h.user("o@acme.example"), "Other")
	appTok := h.token(c, "")
	pwTok := h.passwordToken(u, "")
	self := oauthapp.ClientCredentials{ClientID: c.App.ClientID, ClientSecret: c.ClientSecret}
	fp := oauthapp.ClientCredentials{ClientID: confidentialClient, ClientSecret: confidentialSecret}

	// A confidential first-party client sees every token of the organization.
	for _, tok := range []string{appTok, pwTok} {
		got, err := h.apps.IntrospectFor(h.ctx, h.org, fp, tok)
		require.NoError(t, err)
		assert.True(t, got.Active)
		assert.Equal(t, u.ID.String(), got.Sub)
	}
	// An application sees its own tokens only.
	got, err := h.apps.IntrospectFor(h.ctx, h.org, self, appTok)
	require.NoError(t, err)
	assert.True(t, got.Active)
	assert.Equal(t, c.App.ClientID, got.ClientID)
	got, err = h.apps.IntrospectFor(h.ctx, h.org, self, pwTok)
	require.NoError(t, err)
	assert.Equal(t, oauthapp.Introspection{}, got, "another client's token is inactive to it")
	got, err = h.apps.IntrospectFor(h.ctx, h.org, oauthapp.ClientCredentials{ClientID: other.App.ClientID, ClientSecret: other.ClientSecret}, appTok)
	require.NoError(t, err)
	assert.False(t, got.Active)
	// Another organization's introspection sees nothing.
	got, err = h.apps.IntrospectFor(h.ctx, uuid.New(), fp, appTok)
	require.NoError(t, err)
	assert.False(t, got.Active)

	// Refused callers.
	for _, cc := range []oauthapp.ClientCredentials{
		{}, // no client
		{ClientID: c.App.ClientID, ClientSecret: "nope"},
		{ClientID: "nobody", ClientSecret: "x"},
		{ClientID: confidentialClient, ClientSecret: "nope"},
	} {
		_, err := h.apps.IntrospectFor(h.ctx, h.org, cc, appTok)
		requireOAuth(t, err, oauthapp.ErrCodeInvalidClient, cu.ErrUnauthenticated)
	}
	_, err = h.apps.IntrospectFor(h.ctx, h.org, oauthapp.ClientCredentials{ClientID: publicClient}, pwTok)
	requireOAuth(t, err, oauthapp.ErrCodeUnauthorizedClient, cu.ErrForbidden)

	// A deactivated application can no longer introspect.
	_, err = h.apps.Deactivate(h.ctx, h.admin, c.App.ID, 0)
	require.NoError(t, err)
	_, err = h.apps.IntrospectFor(h.ctx, h.org, self, appTok)
	requireOAuth(t, err, oauthapp.ErrCodeInvalidClient, cu.ErrUnauthenticated)
}

func TestRevokeFor(t *testing.T) {
	h := newHarness(t)
	u := h.user("u@acme.example")
	c := h.app(u, "App")
	other := h.app(u, "Other")
	self := oauthapp.ClientCredentials{ClientID: c.App.ClientID, ClientSecret: c.ClientSecret}
	appTok := h.token(c, "")
	pwTok := h.passwordToken(u, "")

	// Another client's token is left alone, with the same answer.
	require.NoError(t, h.apps.RevokeFor(h.ctx, h.org, oauthapp.ClientCredentials{ClientID: other.App.ClientID, ClientSecret: other.ClientSecret}, appTok))
	require.NoError(t, h.apps.RevokeFor(h.ctx, h.org, self, pwTok))
	require.NoError(t, h.apps.RevokeFor(h.ctx, uuid.New(), oauthapp.ClientCredentials{ClientID: publicClient}, pwTok))
	err := h.apps.RevokeFor(h.ctx, uuid.New(), self, appTok)
	requireOAuth(t, err, oauthapp.ErrCodeInvalidClient, cu.ErrUnauthenticated) // its applications are another organization's
	assert.True(t, h.works(appTok))
	assert.True(t, h.works(pwTok))

	// Bad credentials are refused and revoke nothing.
	err = h.apps.RevokeFor(h.ctx, h.org, oauthapp.ClientCredentials{ClientID: c.App.ClientID, ClientSecret: "nope"}, appTok)
	requireOAuth(t, err, oauthapp.ErrCodeInvalidClient, cu.ErrUnauthenticated)
	err = h.apps.RevokeFor(h.ctx, h.org, oauthapp.ClientCredentials{ClientID: publicClient, ClientSecret: "x"}, pwTok)
	requireOAuth(t, err, oauthapp.ErrCodeInvalidClient, cu.ErrUnauthenticated)
	assert.True(t, h.works(appTok))

	// The client's own tokens go; again and unknown ones are fine.
	require.NoError(t, h.apps.RevokeFor(h.ctx, h.org, self, appTok))
	assert.False(t, h.works(appTok))
	require.NoError(t, h.apps.RevokeFor(h.ctx, h.org, self, appTok))
	require.NoError(t, h.apps.RevokeFor(h.ctx, h.org, self, "unknown"))
	// A public first-party client names itself (RFC 7009 §2.1).
	require.NoError(t, h.apps.RevokeFor(h.ctx, h.org, oauthapp.ClientCredentials{ClientID: publicClient}, pwTok))
	assert.False(t, h.works(pwTok))
}
