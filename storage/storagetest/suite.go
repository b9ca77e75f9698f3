// Package storagetest is the contract suite that every storage
// implementation of the library (storage/memory, storage/postgres, a
// host's own) must pass. An implementation's test calls Run with a function
// that opens a fresh, empty storage:
//
//	func TestContract(t *testing.T) {
//		storagetest.Run(t, func(t *testing.T) storagetest.Repos {
//			s := memory.New()
//			return storagetest.Repos{Tx: s, Roles: s.Roles(), ...}
//		})
//	}
//
// The suite checks the contracts written in the doc comments of the
// repository interfaces (role.Repository, role.Holders, role.Hierarchy and
// the customeruser repositories) and of cu.Transactor, cu.EventLog and
// cu.Page: round trips that keep every field, not-found errors, uniqueness
// rules (also under concurrent writers), optimistic concurrency without
// lost updates, transactional rollback on error and panic, organization
// isolation, keyset paging and every list filter, and the customer tree.
//
// Where a contract leaves a choice open, the suite states the choice it
// enforces in the test that enforces it. The main ones:
//
//   - role labels are unique per (organization, customer)
//     case-insensitively ("Buyer" and "BUYER" clash); a predefined role and
//     a customer's role may share a label;
//   - Touch writes only LastLoginAt, LoginCount and PasswordHash, so that a
//     login that read a user before a concurrent Update cannot undo it;
//   - the text filters (role label, customer name, user e-mail, name and Q)
//     are case-insensitive substrings;
//   - an unknown sort field, a malformed cursor, a cursor of another sort
//     order, a negative limit and one above cu.MaxPageLimit are invalid
//     errors (0 means cu.DefaultPageLimit); a page followed by another is
//     full, and the last page has no NextCursor;
//   - lists order ties by id ascending in ascending sorts; descending sorts
//     may order ties either way but consistently;
//   - user uniqueness and GetByEmailKey use EmailKey exactly as given (the
//     service lower-cases it in the default mode, keeps it as is in the
//     case-sensitive mode), so keys differing in case are different users;
//   - CountByCustomer counts guests too; Replace leaves a user that held
//     both roles with the new one once;
//   - Subtree and Ancestors of an unknown (or another organization's)
//     customer fail with cu.ErrNotFound or return nothing;
//   - a panicking InTx may re-panic or return an error, but keeps nothing
//     and leaves the storage usable;
//   - slices that are sets (role, sales-rep ids, grants, capabilities,
//     addresses, address types) may come back in any order, an empty slice
//     or map may come back nil, and times may come back in another
//     location (the suite uses whole microseconds in UTC);
//   - values are copied in and out: changing a value given to Create or
//     returned by a read changes nothing stored.
//
// This is a test-support package: it is imported only by _test files and
// uses testify like the tests do.
package storagetest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	cu "github.com/b2bkit/customerusers"
	"github.com/b2bkit/customerusers/customeruser"
	"github.com/b2bkit/customerusers/role"
)

// Repos are the repositories of one storage, opened fresh for one test.
type Repos struct {
	Tx cu.Transactor
	// Roles stores roles.
	Roles role.Repository
	// Customers stores customers; it must also implement role.Hierarchy
	// (its Subtree method has the same signature).
	Customers customeruser.CustomerRepository
	// Users stores customer users; it also answers role.Holders.
	Users    customeruser.UserRepository
	Tokens   customeruser.TokenRepository
	Attempts customeruser.LoginAttemptRepository
	Events   cu.EventLog
}

// concurrency is the number of goroutines of the race tests.
const concurrency = 16

// testCase is one contract check; it gets a fresh storage.
type testCase = caseOf[func(e *env)]

// Run runs the whole contract suite. Each subtest calls open(t) for a
// fresh, empty storage, and subtests run in parallel, so open must be safe
// for concurrent use.
func Run(t *testing.T, open func(t *testing.T) Repos) {
	t.Helper()
	groups := []struct {
		name  string
		cases []testCase
	}{
		{"Roles", roleCases()},
		{"Customers", customerCases()},
		{"Hierarchy", hierarchyCases()},
		{"Users", userCases()},
		{"UserList", userListCases()},
		{"Holders", holderCases()},
		{"Tokens", tokenCases()},
		{"LoginAttempts", attemptCases()},
		{"Events", eventCases()},
		{"Transactions", txCases()},
		{"Isolation", isolationCases()},
		{"UserView", userViewCases()},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			runCases(t, g.cases, open, func(t *testing.T, r Repos, fn func(*env)) {
				requireRepos(t, r)
				fn(newEnv(t, r))
			})
		})
	}
}

// base is the start of the suite's clock. Times are whole microseconds in
// UTC, which every storage (PostgreSQL timestamptz included) keeps exactly.
var base = time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)

// env is the fixture of one test: a fresh storage, a default organization
// and a clock.
type env struct {
	t   *testing.T
	ctx context.Context
	Repos
	org  uuid.UUID
	tick atomic.Int64
}

// now returns a new, strictly increasing time (one millisecond apart).
func (e *env) now() time.Time {
	return base.Add(time.Duration(e.tick.Add(1)) * time.Millisecond)
}

// customer creates a customer with defaults, changed by opts.
func (e *env) customer(org, parent uuid.UUID, name string, opts ...func(*customeruser.Customer)) customeruser.Customer {
	e.t.Helper()
	at := e.now()
	c := customeruser.Customer{ID: cu.NewID(), OrganizationID: org, Name: name, ParentID: parent, CreatedAt: at, UpdatedAt: at, Version: 1}
	return stored(e, c, opts, e.Customers.Create, "create customer %q", name)
}

// role creates a role with a code derived from its label and id.
func (e *env) role(org, customer uuid.UUID, label string, opts ...func(*role.Role)) role.Role {
	e.t.Helper()
	return stored(e, newRole(org, customer, label, e.now()), opts, e.Roles.Create, "create role %q", label)
}

// newRole returns an unsaved role.
func newRole(org, customer uuid.UUID, label string, at time.Time) role.Role {
	id := cu.NewID()
	code := "ROLE_FRONTEND_" + strings.ToUpper(strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			return r
		}
		return '_'
	}, label)) + "_" + strings.ReplaceAll(id.String(), "-", "")[20:]
	return role.Role{ID: id, OrganizationID: org, Code: code, Label: label, CustomerID: customer, CreatedAt: at, UpdatedAt: at, Version: 1}
}

// user creates an enabled, confirmed, active customer user.
func (e *env) user(org, customer uuid.UUID, email string, opts ...func(*customeruser.User)) customeruser.User {
	e.t.Helper()
	return stored(e, newUser(org, customer, email, e.now()), opts, e.Users.Create, "create user %q", email)
}

// newUser returns an unsaved user whose EmailKey is the lower-cased e-mail,
// as the service sets it in the default mode.
func newUser(org, customer uuid.UUID, email string, at time.Time) customeruser.User {
	local, _, _ := strings.Cut(email, "@")
	return customeruser.User{
		ID: cu.NewID(), OrganizationID: org, CustomerID: customer,
		Email: email, EmailKey: strings.ToLower(email),
		FirstName: "First " + local, LastName: "Last " + local,
		Enabled: true, Confirmed: true, AuthStatus: customeruser.AuthActive,
		CreatedAt: at, UpdatedAt: at, Version: 1,
	}
}

// token creates a one-time token with a random digest.
func (e *env) token(org, userID uuid.UUID, purpose customeruser.TokenPurpose) customeruser.Token {
	e.t.Helper()
	at := e.now()
	h := sha256.Sum256([]byte(cu.NewID().String()))
	tok := customeruser.Token{Hash: h[:], OrganizationID: org, UserID: userID, Purpose: purpose, CreatedAt: at, ExpiresAt: at.Add(24 * time.Hour)}
	require.NoError(e.t, e.Tokens.Create(e.ctx, tok))
	return tok
}

// event returns an unsaved event about a subject.
func event(org uuid.UUID, subjectType string, subject uuid.UUID, typ string, at time.Time, payload any) cu.Event {
	return cu.NewEvent(cu.NewID(), at, cu.BackOfficeActor(org, uuid.MustParse("00000000-0000-7000-8000-000000000042")), typ, subjectType, subject, payload)
}

// maybeInTx runs fn on its own for even i and inside a transaction for odd
// i, so that races are checked both ways.
func (e *env) maybeInTx(i int, fn func(ctx context.Context) error) error {
	if i%2 == 0 {
		return fn(e.ctx)
	}
	return e.Tx.InTx(e.ctx, fn)
}

// ptr returns a pointer to v.
func ptr[T any](v T) *T { return &v }

// ---- errors ----

// requireCode requires err to match the sentinel (cu.ErrNotFound, ...).
func requireCode(t testing.TB, err, sentinel error, msgAndArgs ...any) {
	t.Helper()
	require.Error(t, err, msgAndArgs...)
	require.ErrorIs(t, err, sentinel, msgAndArgs...)
}

// requireUnique requires err to be an invalid error with a "unique"
// violation of field.
func requireUnique(t testing.TB, err error, field string) {
	t.Helper()
	require.Error(t, err, "want a %s/unique error", field)
	require.ErrorIs(t, err, cu.ErrInvalid, "want an invalid error, got %v", err)
	var ce *cu.Error
	require.ErrorAs(t, err, &ce)
	v, ok := ce.Violation(field)
	require.True(t, ok, "want a violation on %q, got %v", field, err)
	assert.Equal(t, "unique", v.Rule, "rule of %q", field)
	assert.NotEmpty(t, v.Message, "message of %q", field)
}

// isUnique reports whether err is an invalid error with a "unique"
// violation of field (for goroutines, where require may not be used).
func isUnique(err error, field string) bool {
	var ce *cu.Error
	if !errors.As(err, &ce) || ce.Code != cu.CodeInvalid {
		return false
	}
	v, ok := ce.Violation(field)
	return ok && v.Rule == "unique"
}

// notFoundOrEmpty requires that a lookup of another organization's (or an
// unknown) id either fails with cu.ErrNotFound or finds nothing.
func notFoundOrEmpty[T any](t testing.TB, got []T, err error, msgAndArgs ...any) {
	t.Helper()
	if err != nil {
		require.ErrorIs(t, err, cu.ErrNotFound, msgAndArgs...)
		return
	}
	assert.Empty(t, got, msgAndArgs...)
}

// ---- normalization: what a storage may legitimately change ----

// utc returns t in UTC without a monotonic reading.
func utc(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC().Round(0)
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	return ptr(utc(*t))
}

func compareIDs(a, b uuid.UUID) int { return bytes.Compare(a[:], b[:]) }

// sortedIDs returns a sorted copy, nil when empty.
func sortedIDs(ids []uuid.UUID) []uuid.UUID {
	if len(ids) == 0 {
		return nil
	}
	out := slices.Clone(ids)
	slices.SortFunc(out, compareIDs)
	return out
}

// normJSON canonicalizes a JSON value (object keys sorted, numbers as
// float64), as a JSON column would return it.
func normJSON[T any](v T) T {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	var out T
	if err := json.Unmarshal(b, &out); err != nil {
		panic(err)
	}
	return out
}

func normRole(r role.Role) role.Role {
	r.CreatedAt, r.UpdatedAt = utc(r.CreatedAt), utc(r.UpdatedAt)
	if len(r.Grants) == 0 {
		r.Grants = nil
	} else {
		r.Grants = slices.Clone(r.Grants)
		slices.SortFunc(r.Grants, func(a, b role.Grant) int {
			return strings.Compare(fmt.Sprint(a.Resource, "|", a.Permission, "|", a.Level), fmt.Sprint(b.Resource, "|", b.Permission, "|", b.Level))
		})
	}
	if len(r.Capabilities) == 0 {
		r.Capabilities = nil
	} else {
		r.Capabilities = slices.Sorted(slices.Values(r.Capabilities))
	}
	return r
}

func normCustomer(c customeruser.Customer) customeruser.Customer {
	c.CreatedAt, c.UpdatedAt = utc(c.CreatedAt), utc(c.UpdatedAt)
	c.SalesRepIDs = sortedIDs(c.SalesRepIDs)
	return c
}

func normUser(u customeruser.User) customeruser.User {
	u.Birthday, u.PasswordChangedAt, u.LastLoginAt = utcPtr(u.Birthday), utcPtr(u.PasswordChangedAt), utcPtr(u.LastLoginAt)
	u.CreatedAt, u.UpdatedAt = utc(u.CreatedAt), utc(u.UpdatedAt)
	u.RoleIDs, u.SalesRepIDs = sortedIDs(u.RoleIDs), sortedIDs(u.SalesRepIDs)
	if len(u.Attributes) == 0 {
		u.Attributes = nil
	} else {
		u.Attributes = normJSON(u.Attributes)
	}
	if len(u.Addresses) == 0 {
		u.Addresses = nil
	} else {
		addrs := make([]customeruser.Address, len(u.Addresses))
		for i, a := range u.Addresses {
			a.CreatedAt, a.UpdatedAt = utc(a.CreatedAt), utc(a.UpdatedAt)
			if len(a.Types) == 0 {
				a.Types = nil
			} else {
				a.Types = slices.Clone(a.Types)
				slices.SortFunc(a.Types, func(x, y customeruser.AddressTypeFlag) int { return strings.Compare(string(x.Type), string(y.Type)) })
			}
			addrs[i] = a
		}
		slices.SortFunc(addrs, func(x, y customeruser.Address) int { return compareIDs(x.ID, y.ID) })
		u.Addresses = addrs
	}
	return u
}

func normToken(t customeruser.Token) customeruser.Token {
	t.CreatedAt, t.ExpiresAt = utc(t.CreatedAt), utc(t.ExpiresAt)
	t.Hash = slices.Clone(t.Hash)
	return t
}

func normAttempt(a customeruser.LoginAttempt) customeruser.LoginAttempt {
	a.At = utc(a.At)
	return a
}

func normEvent(ev cu.Event) cu.Event {
	ev.OccurredAt = utc(ev.OccurredAt)
	if len(ev.Payload) == 0 {
		ev.Payload = nil
	} else {
		var v any
		if err := json.Unmarshal(ev.Payload, &v); err == nil {
			ev.Payload, _ = json.Marshal(v)
		}
	}
	return ev
}

func mapSlice[T, U any](in []T, f func(T) U) []U {
	out := make([]U, len(in))
	for i, x := range in {
		out[i] = f(x)
	}
	return out
}

// ---- reading helpers ----

func (e *env) getRole(org, id uuid.UUID) role.Role {
	e.t.Helper()
	return e.roleRepo().get(e, org, id)
}

func (e *env) getCustomer(org, id uuid.UUID) customeruser.Customer {
	e.t.Helper()
	return e.customerRepo().get(e, org, id)
}

func (e *env) getUser(org, id uuid.UUID) customeruser.User {
	e.t.Helper()
	return e.userRepo().get(e, org, id)
}

// allPages follows NextCursor until the last page and returns every item.
// It fails the test when a page is larger than the limit or when paging
// does not end.
func allPages[T any](t testing.TB, limit int, list func(p cu.Page) (cu.PageOf[T], error), p cu.Page) []T {
	t.Helper()
	p.Limit = limit
	want := limit
	if want == 0 {
		want = cu.DefaultPageLimit
	}
	var out []T
	for range 10_000 {
		pg, err := list(p)
		require.NoError(t, err)
		require.LessOrEqual(t, len(pg.Items), want, "page larger than its limit")
		out = append(out, pg.Items...)
		if pg.NextCursor == "" {
			return out
		}
		require.NotEmpty(t, pg.Items, "an empty page must be the last one")
		p.Cursor = pg.NextCursor
	}
	require.FailNow(t, "paging does not end")
	return nil
}

func userIDs(us []customeruser.User) []uuid.UUID {
	return mapSlice(us, func(u customeruser.User) uuid.UUID { return u.ID })
}

func customerIDs(cs []customeruser.Customer) []uuid.UUID {
	return mapSlice(cs, func(c customeruser.Customer) uuid.UUID { return c.ID })
}

func roleIDs(rs []role.Role) []uuid.UUID {
	return mapSlice(rs, func(r role.Role) uuid.UUID { return r.ID })
}

// listUsers returns every user matching f (all pages).
func (e *env) listUsers(org uuid.UUID, f customeruser.UserFilter) []customeruser.User {
	e.t.Helper()
	return allPages(e.t, cu.MaxPageLimit, lister(e.ctx, e.Users.List, org, f), cu.Page{})
}

// listCustomers returns every customer matching f (all pages).
func (e *env) listCustomers(org uuid.UUID, f customeruser.CustomerFilter) []customeruser.Customer {
	e.t.Helper()
	return allPages(e.t, cu.MaxPageLimit, lister(e.ctx, e.Customers.List, org, f), cu.Page{})
}

// listRoles returns every role matching f (all pages).
func (e *env) listRoles(org uuid.UUID, f role.Filter) []role.Role {
	e.t.Helper()
	return allPages(e.t, cu.MaxPageLimit, lister(e.ctx, e.Roles.List, org, f), cu.Page{})
}

// checkOrder asserts that keys are sorted in the direction of desc with ids
// as tie-breaker: ascending in ascending sorts, and in one consistent
// direction in descending ones. cmpKey compares two keys.
func checkOrder[K any](t testing.TB, keys []K, ids []uuid.UUID, desc bool, cmpKey func(a, b K) int, what string) {
	t.Helper()
	tieDir := 0 // 1 ascending, -1 descending, 0 not seen yet
	if !desc {
		tieDir = 1
	}
	for i := 1; i < len(keys); i++ {
		c := cmpKey(keys[i-1], keys[i])
		if desc {
			c = -c
		}
		if !assert.LessOrEqual(t, c, 0, "%s: item %d (%v) is out of order after %v", what, i, keys[i], keys[i-1]) {
			return
		}
		if c == 0 {
			d := compareIDs(ids[i-1], ids[i])
			if !assert.NotZero(t, d, "%s: id %s listed twice", what, ids[i]) {
				return
			}
			if d > 0 {
				d = -1
			} else {
				d = 1
			}
			if tieDir == 0 {
				tieDir = d
			}
			if !assert.Equal(t, tieDir, d, "%s: ties at item %d are not ordered by id", what, i) {
				return
			}
		}
	}
}

// strs returns the ids as strings, which failure messages show readably.
func strs(ids []uuid.UUID) []string {
	if len(ids) == 0 {
		return nil
	}
	return mapSlice(ids, uuid.UUID.String)
}

// sameIDs asserts that got holds the ids of want, in any order.
func sameIDs(t testing.TB, want, got []uuid.UUID, msgAndArgs ...any) bool {
	t.Helper()
	return assert.ElementsMatch(t, strs(want), strs(got), msgAndArgs...)
}

// requireSameIDs is sameIDs that stops the test.
func requireSameIDs(t testing.TB, want, got []uuid.UUID, msgAndArgs ...any) {
	t.Helper()
	if !sameIDs(t, want, got, msgAndArgs...) {
		t.FailNow()
	}
}
