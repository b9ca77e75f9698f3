package teststore

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	cu "github.com/b2bkit/customerusers"
	"github.com/b2bkit/customerusers/consent"
	"github.com/b2bkit/customerusers/customeruser"
	"github.com/b2bkit/customerusers/oauthapp"
	"github.com/b2bkit/customerusers/role"
)

// Password is the password of the users the harnesses create.
const Password = "Secret123"

// CheapArgon2 keeps password hashing fast in tests; the production
// parameters have tests of their own (customeruser's password_test.go).
var CheapArgon2 = customeruser.Argon2Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}

// Authorizer returns an authorizer over the store's roles and customer
// hierarchy, the one every service of a harness shares.
func (s *Store) Authorizer() *role.Authorizer { return role.NewAuthorizer(s.roles, s.customers) }

// RoleDeps returns the dependencies of a role.Service on the store, with
// authz and a fresh registry.
func (s *Store) RoleDeps(authz *role.Authorizer) role.Deps {
	return role.Deps{Tx: s, Roles: s.roles, Holders: s.users, Hierarchy: s.customers, Events: s.events,
		Authorizer: authz, Registry: role.NewRegistry()}
}

// UserDeps returns the dependencies of a customeruser.Service on the store
// with authz; the caller adds its Sites and Notifier, which vary.
func (s *Store) UserDeps(authz *role.Authorizer) customeruser.Deps {
	return customeruser.Deps{Tx: s, Customers: s.customers, Users: s.users, Tokens: s.tokens, Attempts: s.attempts,
		Events: s.events, Roles: s.roles, Authorizer: authz}
}

// ConsentDeps returns the dependencies of a consent.Service on the store.
func (s *Store) ConsentDeps(authz *role.Authorizer, sites customeruser.Sites) consent.Deps {
	return consent.Deps{Tx: s, Definitions: s.consents, Ledger: s.ledger, Users: s.users, Events: s.events,
		Sites: sites, Authorizer: authz}
}

// OAuthDeps returns the dependencies of an oauthapp.Service on the store.
func (s *Store) OAuthDeps(authz *role.Authorizer, n customeruser.Notifier, logins oauthapp.Logins) oauthapp.Deps {
	return oauthapp.Deps{Tx: s, Apps: s.apps, Tokens: s.accessTokens, Users: s.users, Authorizer: authz,
		Events: s.events, Notifier: n, Logins: logins}
}

// SeededRoles are the roles role.Service.Seed gives an organization.
type SeededRoles struct {
	Admin, Buyer, Anonymous role.Role
}

// Seed seeds org's roles with svc and returns them by code, requiring the
// administrator and the buyer.
func Seed(t testing.TB, ctx context.Context, svc *role.Service, org uuid.UUID) SeededRoles {
	t.Helper()
	seeded, err := svc.Seed(ctx, org)
	require.NoError(t, err)
	var out SeededRoles
	for _, r := range seeded {
		switch r.Code {
		case role.AdministratorRoleCode:
			out.Admin = r
		case role.DefaultRoleCode:
			out.Buyer = r
		case role.AnonymousRoleCode:
			out.Anonymous = r
		}
	}
	require.NotEqual(t, uuid.Nil, out.Admin.ID)
	require.NotEqual(t, uuid.Nil, out.Buyer.ID)
	return out
}

// Website returns a website of name with n fresh localizations, the first
// being its default.
func Website(name string, n int) customeruser.Website {
	w := customeruser.Website{ID: uuid.New(), Name: name, Localizations: make([]uuid.UUID, n)}
	for i := range w.Localizations {
		w.Localizations[i] = uuid.New()
	}
	w.DefaultLocalizationID = w.Localizations[0]
	return w
}

// AddWebsites gives org in sites the two websites of the harnesses: "Main"
// with two localizations, added first (the default website), and
// "Outlet" with one.
func AddWebsites(sites *customeruser.StaticSites, org uuid.UUID) (main, outlet customeruser.Website) {
	main, outlet = Website("Main", 2), Website("Outlet", 1)
	sites.Add(org, main)
	sites.Add(org, outlet)
	return main, outlet
}

// Events returns every event of org in log that f selects, in order,
// reading all pages.
func Events(t testing.TB, ctx context.Context, log cu.EventLog, org uuid.UUID, f cu.EventFilter) []cu.Event {
	t.Helper()
	var out []cu.Event
	p := cu.Page{Limit: cu.MaxPageLimit}
	for {
		page, err := log.List(ctx, org, f, p)
		require.NoError(t, err)
		out = append(out, page.Items...)
		if page.NextCursor == "" {
			return out
		}
		p.Cursor = page.NextCursor
	}
}

// Clock returns a manual clock at the harnesses' start, 2026-01-15
// 10:00 UTC, which their dates (birthdays, expiries) are written against.
func Clock() *cu.ManualClock {
	return cu.NewManualClock(time.Date(2026, 1, 15, 10, 0, 0, 0, time.UTC))
}
