package postgres_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	cu "github.com/b2bkit/customerusers"
	"github.com/b2bkit/customerusers/customeruser"
	"github.com/b2bkit/customerusers/storage/postgres"
	"github.com/b2bkit/customerusers/storage/postgres/pgtest"
	"github.com/b2bkit/customerusers/storage/storagetest"
)

// openDB opens a small pool on a fresh, migrated schema (see pgtest).
func openDB(t testing.TB, opts ...postgres.Option) *bun.DB {
	t.Helper()
	return pgtest.OpenDB(t, opts...)
}

func repos(s *postgres.Store) storagetest.Repos {
	return storagetest.Repos{
		Tx:        s,
		Roles:     s.Roles(),
		Customers: s.Customers(),
		Users:     s.Users(),
		Tokens:    s.Tokens(),
		Attempts:  s.LoginAttempts(),
		Events:    s.Events(),
	}
}

// TestContract runs the storage contract suite, each subtest on its own
// fresh schema.
func TestContract(t *testing.T) {
	pgtest.Require(t)
	storagetest.Run(t, func(t *testing.T) storagetest.Repos {
		return repos(postgres.New(openDB(t)))
	})
}

// TestContractTextPath runs the suite again on Bun's pgdriver, where the
// fixed statements go as text with client-side arguments instead of
// pgx's cached prepared statements.
func TestContractTextPath(t *testing.T) {
	pgtest.Require(t)
	storagetest.Run(t, func(t *testing.T) storagetest.Repos {
		return repos(postgres.New(openDB(t, postgres.WithDriver(postgres.DriverPGDriver))))
	})
}

// TestMigrateIdempotent: a second Migrate, or several at once, apply
// nothing more and fail nowhere.
func TestMigrateIdempotent(t *testing.T) {
	db := openDB(t)
	ctx := t.Context()
	count := func() int {
		n, err := db.NewSelect().TableExpr("customerusers_migrations").Count(ctx)
		require.NoError(t, err)
		return int(n)
	}
	applied := count()
	require.Positive(t, applied)
	require.NoError(t, postgres.Migrate(ctx, db))
	var wg sync.WaitGroup
	errs := make([]error, 3)
	for i := range errs {
		wg.Go(func() { errs[i] = postgres.Migrate(ctx, db) })
	}
	wg.Wait()
	for _, err := range errs {
		assert.NoError(t, err)
	}
	assert.Equal(t, applied, count(), "nothing applied twice")

	// Concurrent first runs on an empty schema wait for each other.
	schema := pgtest.Schema(t)
	var dbs []*bun.DB
	for range 3 {
		d, err := postgres.Open(ctx, pgtest.DSN(), postgres.WithSearchPath(schema+", public"), postgres.WithMaxConns(2))
		require.NoError(t, err)
		t.Cleanup(func() { _ = d.Close() })
		dbs = append(dbs, d)
	}
	for i, d := range dbs {
		wg.Go(func() { errs[i] = postgres.Migrate(ctx, d) })
	}
	wg.Wait()
	for _, err := range errs {
		assert.NoError(t, err)
	}
	n, err := dbs[0].NewSelect().TableExpr("customerusers_migrations").Count(ctx)
	require.NoError(t, err)
	assert.EqualValues(t, applied, n)
}

// TestSchemaRefusesDuplicateEmails: the unique index holds even for writes
// that skip the repository (and its service's pre-check).
func TestSchemaRefusesDuplicateEmails(t *testing.T) {
	db := openDB(t)
	ctx := t.Context()
	org := cu.NewID()
	insert := func(key string, guest bool) error {
		_, err := db.ExecContext(ctx, `INSERT INTO customer_users (organization_id, id, email, email_key, enabled,
			confirmed, guest, auth_status, created_at, updated_at, version)
			VALUES (?, ?, ?, ?, true, true, ?, 'active', now(), now(), 1)`, org, cu.NewID(), key, key, guest)
		return err
	}
	require.NoError(t, insert("dup@example.com", false))
	err := insert("dup@example.com", false)
	require.Error(t, err, "a second registered user with the key")
	assert.Contains(t, err.Error(), "customer_users_email_key_uq")
	require.NoError(t, insert("dup@example.com", true), "guests may share it")
	require.NoError(t, insert("dup@example.com", true))
	_, err = db.ExecContext(ctx, `UPDATE customer_users SET guest = false WHERE organization_id = ? AND guest`, org)
	require.Error(t, err, "guests becoming registered users")

	// Through the repository, the same violation is the contract's error.
	s := postgres.New(db)
	other := cu.NewID()
	_, err = db.ExecContext(ctx, `INSERT INTO customer_users (organization_id, id, email, email_key, enabled,
		confirmed, guest, auth_status, created_at, updated_at, version)
		VALUES (?, ?, 'x@example.com', 'x@example.com', true, true, false, 'active', now(), now(), 1)`, other, cu.NewID())
	require.NoError(t, err)
	u := customeruser.User{ID: cu.NewID(), OrganizationID: other, Email: "X@example.com", EmailKey: "x@example.com",
		Enabled: true, AuthStatus: customeruser.AuthActive, CreatedAt: time.Now(), UpdatedAt: time.Now(), Version: 1}
	err = s.Users().Create(ctx, u)
	var ce *cu.Error
	require.ErrorAs(t, err, &ce)
	v, ok := ce.Violation("email")
	require.True(t, ok, "%v", err)
	assert.Equal(t, cu.Violation{Field: "email", Rule: "unique", Message: "This email is already used."}, v)
}

// TestErrorMappingBothDrivers: constraint violations become the same cu
// errors whichever driver reports them.
func TestErrorMappingBothDrivers(t *testing.T) {
	for _, d := range []postgres.Driver{postgres.DriverPGX, postgres.DriverPGDriver} {
		t.Run(string(d), func(t *testing.T) {
			s := postgres.New(openDB(t, postgres.WithDriver(d)))
			ctx := t.Context()
			org := cu.NewID()
			at := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
			c := customeruser.Customer{ID: cu.NewID(), OrganizationID: org, Name: "Acme", ExternalID: "E", CreatedAt: at, UpdatedAt: at, Version: 1}
			require.NoError(t, s.Customers().Create(ctx, c))
			dup := c
			dup.ID = cu.NewID()
			assertViolation(t, s.Customers().Create(ctx, dup), "externalId", "unique")
			assert.ErrorIs(t, s.Customers().Create(ctx, c), cu.ErrConflict, "a taken id")

			u := customeruser.User{ID: cu.NewID(), OrganizationID: org, CustomerID: c.ID, Email: "a@example.com", EmailKey: "a@example.com",
				Enabled: true, AuthStatus: customeruser.AuthActive, RoleIDs: []uuid.UUID{cu.NewID()}, CreatedAt: at, UpdatedAt: at, Version: 1}
			assertViolation(t, s.Users().Create(ctx, u), "roleIds[0]", "not_found")
			u.RoleIDs = nil
			u.CustomerID = cu.NewID()
			assertViolation(t, s.Users().Create(ctx, u), "customerId", "not_found")
			u.CustomerID = c.ID
			require.NoError(t, s.Users().Create(ctx, u))
			err := s.Customers().Delete(ctx, org, c.ID)
			assert.ErrorIs(t, err, cu.ErrConflict, "a customer with users: %v", err)
			u2 := u
			u2.ID = cu.NewID()
			assertViolation(t, s.Users().Create(ctx, u2), "email", "unique")

			// A statement error aborts the transaction; InTx hands the
			// mapped error back and rolls back.
			err = s.InTx(ctx, func(ctx context.Context) error {
				c2 := c
				c2.ID, c2.ExternalID = cu.NewID(), "E2"
				if err := s.Customers().Create(ctx, c2); err != nil {
					return err
				}
				return s.Users().Create(ctx, u2)
			})
			assertViolation(t, err, "email", "unique")
			n, err := s.Customers().List(ctx, org, customeruser.CustomerFilter{}, cu.Page{})
			require.NoError(t, err)
			assert.Len(t, n.Items, 1)
		})
	}
}

func assertViolation(t *testing.T, err error, field, rule string) {
	t.Helper()
	var ce *cu.Error
	if !assert.ErrorAs(t, err, &ce, "want %s/%s", field, rule) {
		return
	}
	v, ok := ce.Violation(field)
	if assert.True(t, ok, "want a violation of %s, got %v", field, err) {
		assert.Equal(t, rule, v.Rule)
		assert.NotEmpty(t, v.Message)
	}
}

// TestSubtreeAfterMoves moves random subtrees around a 300-customer forest
// and checks, after each move, Subtree and Ancestors against a model and
// every stored path against its parent's.
func TestSubtreeAfterMoves(t *testing.T) {
	db := openDB(t)
	s := postgres.New(db)
	ctx := t.Context()
	org := cu.NewID()
	rng := rand.New(rand.NewPCG(7, 8))
	parent := map[uuid.UUID]uuid.UUID{}
	var ids []uuid.UUID
	at := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	require.NoError(t, s.InTx(ctx, func(ctx context.Context) error {
		for i := range 300 {
			p := uuid.Nil
			if i > 0 && rng.IntN(10) > 0 {
				p = ids[rng.IntN(len(ids))]
			}
			c := customeruser.Customer{ID: cu.NewID(), OrganizationID: org, Name: fmt.Sprintf("C%03d", i), ParentID: p, CreatedAt: at, UpdatedAt: at, Version: 1}
			if err := s.Customers().Create(ctx, c); err != nil {
				return err
			}
			ids = append(ids, c.ID)
			parent[c.ID] = p
		}
		return nil
	}))
	isUnder := func(x, anc uuid.UUID) bool {
		for ; x != uuid.Nil; x = parent[x] {
			if x == anc {
				return true
			}
		}
		return false
	}
	check := func(step int) {
		for _, id := range []uuid.UUID{ids[0], ids[rng.IntN(len(ids))], ids[rng.IntN(len(ids))]} {
			var want []uuid.UUID
			for _, x := range ids {
				if isUnder(x, id) {
					want = append(want, x)
				}
			}
			got, err := s.Customers().Subtree(ctx, org, id)
			require.NoError(t, err)
			require.ElementsMatch(t, want, got, "step %d: subtree of %s", step, id)
			var anc []uuid.UUID
			for x := parent[id]; x != uuid.Nil; x = parent[x] {
				anc = append(anc, x)
			}
			gotAnc, err := s.Customers().Ancestors(ctx, org, id)
			require.NoError(t, err)
			require.Equal(t, fmt.Sprint(anc), fmt.Sprint(gotAnc), "step %d: ancestors of %s", step, id)
		}
		var bad int
		require.NoError(t, db.NewRaw(`SELECT count(*) FROM customers c LEFT JOIN customers p
			ON p.organization_id = c.organization_id AND p.id = c.parent_id
			WHERE c.path IS DISTINCT FROM coalesce(p.path, '{}') || c.id`).Scan(ctx, &bad))
		require.Zero(t, bad, "step %d: paths that are not their parent's path plus the id", step)
	}
	check(0)
	for step := 1; step <= 40; step++ {
		id := ids[rng.IntN(len(ids))]
		np := uuid.Nil
		if rng.IntN(5) > 0 {
			np = ids[rng.IntN(len(ids))]
		}
		c, err := s.Customers().Get(ctx, org, id)
		require.NoError(t, err)
		c.ParentID = np
		err = s.Customers().Update(ctx, c, c.Version)
		if np != uuid.Nil && isUnder(np, id) {
			assertViolation(t, err, "parentId", "cycle")
			continue
		}
		require.NoError(t, err, "step %d", step)
		parent[id] = np
		check(step)
	}
}

// TestConcurrentHierarchyWrites creates children and moves subtrees from
// several goroutines at once: the hierarchy lock keeps every path equal to
// its parent's plus its id.
func TestConcurrentHierarchyWrites(t *testing.T) {
	db := openDB(t)
	s := postgres.New(db)
	ctx := t.Context()
	org := cu.NewID()
	at := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	var ids []uuid.UUID
	mk := func(p uuid.UUID, name string) error {
		c := customeruser.Customer{ID: cu.NewID(), OrganizationID: org, Name: name, ParentID: p, CreatedAt: at, UpdatedAt: at, Version: 1}
		if err := s.Customers().Create(ctx, c); err != nil {
			return err
		}
		mu.Lock()
		ids = append(ids, c.ID)
		mu.Unlock()
		return nil
	}
	require.NoError(t, mk(uuid.Nil, "root"))
	for i := range 20 {
		require.NoError(t, mk(ids[i/3], fmt.Sprintf("seed %d", i)))
	}
	var wg sync.WaitGroup
	errs := make([]error, 6)
	for w := range errs {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), 9))
			for i := range 25 {
				mu.Lock()
				pick := ids[rng.IntN(len(ids))]
				other := ids[rng.IntN(len(ids))]
				mu.Unlock()
				if w%2 == 0 {
					if err := mk(pick, fmt.Sprintf("w%d-%d", w, i)); err != nil {
						errs[w] = err
						return
					}
					continue
				}
				c, err := s.Customers().Get(ctx, org, pick)
				if err != nil {
					errs[w] = err
					return
				}
				c.ParentID = other
				err = s.Customers().Update(ctx, c, c.Version)
				var ce *cu.Error
				if err != nil && !(assert.ErrorAs(t, err, &ce) && (ce.Code == cu.CodeStale || ce.Code == cu.CodeInvalid)) {
					errs[w] = err
					return
				}
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}
	var bad int
	require.NoError(t, db.NewRaw(`SELECT count(*) FROM customers c LEFT JOIN customers p
		ON p.organization_id = c.organization_id AND p.id = c.parent_id
		WHERE c.path IS DISTINCT FROM coalesce(p.path, '{}') || c.id`).Scan(ctx, &bad))
	assert.Zero(t, bad, "paths that are not their parent's path plus the id")
	// And the tree has no cycle: every path starts at a top-level customer.
	var cyclic int
	require.NoError(t, db.NewRaw(`SELECT count(*) FROM customers c JOIN customers r
		ON r.organization_id = c.organization_id AND r.id = c.path[1] WHERE r.parent_id IS NOT NULL`).Scan(ctx, &cyclic))
	assert.Zero(t, cyclic)
	all, err := s.Customers().Subtree(ctx, org, ids[0])
	require.NoError(t, err)
	var tops []uuid.UUID
	require.NoError(t, db.NewRaw("SELECT id FROM customers WHERE organization_id = ? AND parent_id IS NULL", org).Scan(ctx, &tops))
	n := 0
	for _, top := range tops {
		sub, err := s.Customers().Subtree(ctx, org, top)
		require.NoError(t, err)
		n += len(sub)
	}
	assert.Equal(t, len(ids), n, "the trees partition the customers")
	assert.True(t, slices.Contains(all, ids[0]))
}
