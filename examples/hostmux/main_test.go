package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/b2bkit/customerusers/customeruser"
	"github.com/b2bkit/customerusers/examples/internal/demo"
)

func init() {
	argon2 = customeruser.Argon2Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}
}

func TestHostMux(t *testing.T) {
	h, err := newHost(context.Background(), slog.New(slog.DiscardHandler), "http://shop.example")
	require.NoError(t, err)
	srv := httptest.NewServer(h.mux)
	defer srv.Close()
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	client := &http.Client{Jar: jar}

	send := func(method, path string, header http.Header, body io.Reader) (int, map[string]any) {
		t.Helper()
		req, err := http.NewRequest(method, srv.URL+path, body)
		require.NoError(t, err)
		for k, v := range header {
			req.Header[k] = v
		}
		res, err := client.Do(req)
		require.NoError(t, err)
		defer res.Body.Close()
		raw, err := io.ReadAll(res.Body)
		require.NoError(t, err)
		var m map[string]any
		if strings.Contains(res.Header.Get("Content-Type"), "json") {
			require.NoError(t, json.Unmarshal(raw, &m), "%s", raw)
		}
		return res.StatusCode, m
	}
	staff := http.Header{"X-Staff-Key": {StaffKey}}

	// The host's own routes live next to the library's.
	status, _ := send(http.MethodGet, "/healthz", nil, nil)
	assert.Equal(t, http.StatusOK, status)

	// Staff: the back office with the host's header.
	status, body := send(http.MethodGet, "/staff/api/customers", staff, nil)
	require.Equal(t, http.StatusOK, status)
	assert.Len(t, body["items"], 3)
	status, _ = send(http.MethodGet, "/staff/api/customers", http.Header{"X-Staff-Key": {"wrong"}}, nil)
	assert.Equal(t, http.StatusUnauthorized, status)
	status, _ = send(http.MethodGet, "/staff/api/customers", nil, nil)
	assert.Equal(t, http.StatusUnauthorized, status)

	// A customer user: the host's sign-in sets the session cookie, which
	// the storefront takes.
	status, _ = send(http.MethodGet, "/shop/api/account/me", nil, nil)
	assert.Equal(t, http.StatusUnauthorized, status)
	form := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
	status, _ = send(http.MethodPost, "/login", form, strings.NewReader(url.Values{"email": {demo.BuyerEmail}, "password": {"wrong"}}.Encode()))
	assert.Equal(t, http.StatusUnauthorized, status)
	status, _ = send(http.MethodPost, "/login", form, strings.NewReader(url.Values{"email": {demo.BuyerEmail}, "password": {demo.DemoPassword}}.Encode()))
	require.Equal(t, http.StatusOK, status)
	status, body = send(http.MethodGet, "/shop/api/account/me", nil, nil)
	require.Equal(t, http.StatusOK, status)
	assert.Equal(t, demo.BuyerEmail, body["email"])
	buyer := body["id"].(string)
	// A staff key is no storefront identity.
	status, _ = send(http.MethodGet, "/shop/api/account/me", staff, nil)
	assert.Equal(t, http.StatusForbidden, status)

	// The library's own tokens work in the storefront too.
	status, body = send(http.MethodPost, "/shop/api/oauth2/token", form, strings.NewReader(url.Values{"grant_type": {"password"},
		"client_id": {demo.StorefrontClientID}, "username": {demo.AdminEmail}, "password": {demo.DemoPassword}}.Encode()))
	require.Equal(t, http.StatusOK, status)
	status, body = send(http.MethodGet, "/shop/api/account/me", http.Header{"Authorization": {"Bearer " + body["access_token"].(string)}}, nil)
	require.Equal(t, http.StatusOK, status)
	assert.Equal(t, demo.AdminEmail, body["email"], "the token comes first, before the cookie")

	// Disabled by the staff: the session stops working at once.
	status, _ = send(http.MethodPost, "/staff/api/customer-users/"+buyer+"/disable", staff, nil)
	require.Equal(t, http.StatusOK, status)
	status, _ = send(http.MethodGet, "/shop/api/account/me", nil, nil)
	assert.Equal(t, http.StatusUnauthorized, status)
	status, _ = send(http.MethodPost, "/logout", nil, nil)
	assert.Equal(t, http.StatusNoContent, status)

	// The public endpoints and the documents.
	status, body = send(http.MethodGet, "/shop/api/openapi.json", nil, nil)
	require.Equal(t, http.StatusOK, status)
	assert.Equal(t, []any{map[string]any{"url": "/shop/api"}}, body["servers"])
	status, _ = send(http.MethodPost, "/shop/api/password/forgot", http.Header{"Content-Type": {"application/json"}},
		strings.NewReader(`{"email":"nobody@example.com"}`))
	assert.Equal(t, http.StatusAccepted, status)
}

func TestHostMuxRuns(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	out := &listenWatcher{listening: make(chan struct{})}
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"-addr", "127.0.0.1:0"}, out) }()
	select {
	case <-out.listening:
	case err := <-done:
		t.Fatalf("run returned early: %v", err)
	}
	cancel()
	require.NoError(t, <-done)
	assert.Error(t, run(context.Background(), []string{"-nope"}, io.Discard))
}

// listenWatcher closes listening once the output says so.
type listenWatcher struct {
	mu        sync.Mutex
	buf       strings.Builder
	listening chan struct{}
	closed    bool
}

func (w *listenWatcher) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if !w.closed && strings.Contains(w.buf.String(), "msg=listening") {
		w.closed = true
		close(w.listening)
	}
	return len(p), nil
}
