package oauthapp_test

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"testing"

	"github.com/b2bkit/customerusers/oauthapp"
)

// benchApp returns a service over the memory storage and an application
// of a buyer (buyer role: 9 grants, 2 capabilities), with its request.
func benchApp(b *testing.B) (*oauthapp.Service, oauthapp.TokenRequest, func() (string, error)) {
	b.Helper()
	ctx := context.Background()
	apps, _, admin, buyer := exampleSetup(ctx)
	created, err := apps.Create(ctx, admin, buyer.ID, oauthapp.Input{Name: "Bench", Scopes: []string{"customer_user:view", "manage_oauth_apps"}})
	if err != nil {
		b.Fatal(err)
	}
	req := oauthapp.TokenRequest{GrantType: oauthapp.GrantClientCredentials, ClientID: created.App.ClientID, ClientSecret: created.ClientSecret}
	issue := func() (string, error) {
		r, err := apps.Token(ctx, admin.OrganizationID, req)
		return r.AccessToken, err
	}
	return apps, req, issue
}

// BenchmarkIssueToken measures the client_credentials grant end to end:
// client look-up and secret check, owner login checks, the owner's grants
// (for the scopes and the role snapshot), a new 256-bit token and one
// write transaction (token row + LastUsedAt).
func BenchmarkIssueToken(b *testing.B) {
	_, _, issue := benchApp(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := issue(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAuthenticateToken measures validating a bearer token on an API
// call: SHA-256 of the token, one look-up joining token, application and
// user, the login checks and the role snapshot check, and the actor.
func BenchmarkAuthenticateToken(b *testing.B) {
	apps, _, issue := benchApp(b)
	tok, err := issue()
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := apps.Authenticate(ctx, tok); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReferenceSHA256 is the floor both figures are compared with in
// BENCHMARKS.md: the SHA-256 digest of a token (32 random bytes in
// URL-safe base64, as issued) and one look-up of that digest in a map of
// 1,000 digests.
func BenchmarkReferenceSHA256(b *testing.B) {
	m := map[string]int{}
	var tok string
	for i := range 1000 {
		raw := make([]byte, 32)
		if _, err := rand.Read(raw); err != nil {
			b.Fatal(err)
		}
		tok = base64.RawURLEncoding.EncodeToString(raw)
		d := sha256.Sum256([]byte(tok))
		m[string(d[:])] = i
	}
	b.ReportAllocs()
	hits := 0
	for b.Loop() {
		d := sha256.Sum256([]byte(tok))
		if _, ok := m[string(d[:])]; ok {
			hits++
		}
	}
	if hits == 0 {
		b.Fatal("no hit")
	}
}
