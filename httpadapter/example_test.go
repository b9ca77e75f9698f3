package httpadapter_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/google/uuid"

	cu "github.com/b2bkit/customerusers"
	"github.com/b2bkit/customerusers/customeruser"
	"github.com/b2bkit/customerusers/httpadapter"
	"github.com/b2bkit/customerusers/role"
	"github.com/b2bkit/customerusers/storage/memory"
)

// ExampleNewBackOffice mounts the back-office API under /admin/api of a
// host's ServeMux, with the host's own authentication.
func ExampleNewBackOffice() {
	ctx := context.Background()
	org := uuid.MustParse("0190a0b0-0000-7000-8000-000000000001")
	store := memory.New()
	authz := role.NewAuthorizer(store.Roles(), store.Customers())
	roles := role.NewService(role.Deps{Tx: store, Roles: store.Roles(), Holders: store.Users(), Hierarchy: store.Customers(),
		Events: store.Events(), Authorizer: authz})
	users := customeruser.NewService(customeruser.Deps{Tx: store, Customers: store.Customers(), Users: store.Users(),
		Tokens: store.Tokens(), Attempts: store.LoginAttempts(), Events: store.Events(), Roles: store.Roles(), Authorizer: authz})
	if _, err := roles.Seed(ctx, org); err != nil {
		panic(err)
	}

	cfg := httpadapter.Config{
		Users: users,
		Roles: roles,
		// The host's authentication: here one static token for one
		// back-office user.
		Authenticate: func(r *http.Request) (cu.Actor, error) {
			if r.Header.Get("Authorization") != "Bearer s3cret" {
				return cu.Actor{}, errors.New("unknown token")
			}
			return cu.BackOfficeActor(org, uuid.MustParse("0190a0b0-0000-7000-8000-0000000000ad")), nil
		},
	}
	mux := http.NewServeMux()
	mux.Handle("/admin/api/", http.StripPrefix("/admin/api", httpadapter.NewBackOffice(cfg)))

	send := func(method, path, token, body string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, req)
		return rec
	}

	rec := send(http.MethodPost, "/admin/api/customers", "s3cret", `{"name": "ACME"}`)
	fmt.Println(rec.Code, rec.Header().Get("ETag"), strings.HasPrefix(rec.Header().Get("Location"), "/admin/api/customers/"))

	rec = send(http.MethodPost, "/admin/api/customers", "s3cret", `{"name": ""}`)
	fmt.Println(rec.Code, rec.Header().Get("Content-Type"))
	fmt.Println(rec.Body.String())

	rec = send(http.MethodGet, "/admin/api/customers", "", "")
	fmt.Println(rec.Code, rec.Header().Get("WWW-Authenticate"))
	// Output:
	// 201 "1" true
	// 422 application/problem+json
	// {"type":"urn:b2bkit:customerusers:problem:invalid","title":"Validation failed","status":422,"detail":"validation failed","errors":[{"field":"name","rule":"required","message":"The name is required."}]}
	// 401 Bearer
}
