// Package pgtest gives tests a PostgreSQL storage: a fresh, migrated
// schema per test (Open, OpenDB), or one schema shared by a whole test
// binary whose tests each use their own organization (Main, Shared).
//
// TEST_DATABASE_URL selects the server (default DefaultDSN); the role needs
// CREATE on the database. With no server the tests skip with a clear
// message, except under CI=true where they fail.
//
// A package whose test harness is storage-agnostic runs all its tests on
// the in-memory storage and then again on PostgreSQL with Main:
//
//	var pgStore *postgres.Store // nil: the memory pass
//
//	func TestMain(m *testing.M) { pgtest.Main(m, func(s *postgres.Store) { pgStore = s }) }
//
// This is a test-support package: import it from _test files only.
package pgtest

import (
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/b2bkit/customerusers/storage/postgres"
)

// DefaultDSN is the server the tests use unless TEST_DATABASE_URL names
// another.
const DefaultDSN = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// DSN returns TEST_DATABASE_URL, or DefaultDSN.
func DSN() string {
	if dsn := os.Getenv("TEST_DATABASE_URL"); dsn != "" {
		return dsn
	}
	return DefaultDSN
}

// Redacted returns the DSN with its password hidden, for messages.
func Redacted(dsn string) string {
	if u, err := url.Parse(dsn); err == nil && u.User != nil {
		return u.Redacted()
	}
	return dsn
}

// CI reports whether the tests run under CI=true, where a missing server
// is a failure rather than a skip.
func CI() bool { return os.Getenv("CI") == "true" }

var (
	adminOnce sync.Once
	adminDB   *bun.DB
	adminErr  error
)

// admin returns the connection that creates and drops test schemas, and
// makes sure pg_trgm lives in public, outside the schemas (dropped with
// CASCADE), where every test's search path finds it.
func admin() (*bun.DB, error) {
	adminOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		adminDB, adminErr = postgres.Open(ctx, DSN(), postgres.WithMaxConns(2))
		if adminErr != nil {
			return
		}
		// Test binaries start together: the lock keeps two of them from
		// creating the extension at once (the loser would fail).
		adminErr = adminDB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(hashtext('customerusers pgtest extension'))"); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, "CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public")
			return err
		})
		if adminErr != nil {
			_ = adminDB.Close()
		}
	})
	return adminDB, adminErr
}

// unusable is the message of a missing server.
func unusable(err error) string {
	return fmt.Sprintf("PostgreSQL is not usable at %s (set TEST_DATABASE_URL to a server where the tests may create schemas): %v",
		Redacted(DSN()), err)
}

// Require skips t when no server answers, or fails it under CI=true.
func Require(t testing.TB) {
	t.Helper()
	if _, err := admin(); err != nil {
		if CI() {
			t.Fatal(unusable(err))
		}
		t.Skip(unusable(err))
	}
}

// newSchemaName returns a random schema name.
func newSchemaName(prefix string) string {
	var b [6]byte
	_, _ = crand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}

// Schema creates an empty schema, dropped (with everything in it) when t
// ends, and returns its name. It skips or fails t like Require.
func Schema(t testing.TB) string {
	t.Helper()
	Require(t)
	db, _ := admin()
	name := newSchemaName("t_")
	if _, err := db.ExecContext(context.Background(), "CREATE SCHEMA "+name); err != nil {
		t.Fatalf("create schema %s: %v", name, err)
	}
	t.Cleanup(func() {
		if _, err := db.ExecContext(context.Background(), "DROP SCHEMA "+name+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", name, err)
		}
	})
	return name
}

// OpenDB opens a small pool (4 connections unless opts say otherwise) on
// a fresh schema migrated to the latest version, closed and dropped when t
// ends.
func OpenDB(t testing.TB, opts ...postgres.Option) *bun.DB {
	t.Helper()
	schema := Schema(t)
	opts = append([]postgres.Option{postgres.WithSearchPath(schema + ", public"), postgres.WithMaxConns(4)}, opts...)
	db, err := postgres.Open(context.Background(), DSN(), opts...)
	if err != nil {
		t.Fatalf("open %s: %v", schema, err)
	}
	t.Cleanup(func() { _ = db.Close() })
	if err := postgres.Migrate(context.Background(), db); err != nil {
		t.Fatalf("migrate %s: %v", schema, err)
	}
	return db
}

// Open returns a Store on a fresh, migrated schema (see OpenDB).
func Open(t testing.TB, opts ...postgres.Option) *postgres.Store {
	t.Helper()
	return postgres.New(OpenDB(t, opts...))
}

// Shared is a migrated schema for a whole test binary. Its tests share it
// by working in organizations of their own (every repository method is
// scoped by organization), so that no test pays for a migration; what is
// global (the outbox, client ids, token digests) must be used with that in
// mind (postgres.Store.OutboxOf).
type Shared struct {
	Schema string
	DB     *bun.DB
	Store  *postgres.Store
}

// NewShared creates and migrates a schema with a pool of maxConns
// connections. Close drops it.
func NewShared(ctx context.Context, maxConns int) (*Shared, error) {
	db, err := admin()
	if err != nil {
		return nil, err
	}
	s := &Shared{Schema: newSchemaName("shared_")}
	if _, err := db.ExecContext(ctx, "CREATE SCHEMA "+s.Schema); err != nil {
		return nil, fmt.Errorf("create schema %s: %w", s.Schema, err)
	}
	s.DB, err = postgres.Open(ctx, DSN(), postgres.WithSearchPath(s.Schema+", public"), postgres.WithMaxConns(maxConns))
	if err == nil {
		err = postgres.Migrate(ctx, s.DB)
	}
	if err != nil {
		_ = s.Close()
		return nil, err
	}
	s.Store = postgres.New(s.DB)
	return s, nil
}

// Close closes the pool and drops the schema.
func (s *Shared) Close() error {
	if s.DB != nil {
		_ = s.DB.Close()
	}
	db, err := admin()
	if err != nil {
		return err
	}
	_, err = db.ExecContext(context.Background(), "DROP SCHEMA IF EXISTS "+s.Schema+" CASCADE")
	return err
}

var (
	sharedOnce sync.Once
	shared     *Shared
	sharedErr  error
)

// sharedPoolSize is the pool of the shared schema: tests run one at a
// time, but each may race a few goroutines.
const sharedPoolSize = 8

func openShared() (*Shared, error) {
	sharedOnce.Do(func() { shared, sharedErr = NewShared(context.Background(), sharedPoolSize) })
	return shared, sharedErr
}

// SharedStore returns the Store of a schema shared by the whole test
// binary, created and migrated on first use. Each test must work in
// organizations of its own. It skips t (fails it under CI=true) when no
// server answers. Drop the schema at the end of the run with CloseShared,
// from TestMain.
func SharedStore(t testing.TB) *postgres.Store {
	t.Helper()
	Require(t)
	s, err := openShared()
	if err != nil {
		t.Fatalf("shared schema: %v", err)
	}
	return s.Store
}

// CloseShared drops the shared schema, if SharedStore or Main created it.
func CloseShared() error {
	if shared == nil {
		return nil
	}
	return shared.Close()
}

// Main runs the tests of a package twice: on the in-memory storage (with
// use never called), then on PostgreSQL, after use(store) with a Store on
// a schema shared by the whole run and dropped at its end. The harness
// reads what use set to pick the storage of each test. It exits with the
// outcome of both passes.
//
// TEST_STORAGE=memory or TEST_STORAGE=postgres runs one pass only. The
// PostgreSQL pass is left out when no server answers (with a message;
// under CI=true that fails the run), and when -test.bench, -test.fuzz or
// -test.list is given: benchmarks and fuzzing measure the library on the
// memory storage.
func Main(m *testing.M, use func(*postgres.Store)) {
	os.Exit(run(m, use))
}

func run(m *testing.M, use func(*postgres.Store)) int {
	flag.Parse()
	only := os.Getenv("TEST_STORAGE")
	code := 0
	if only != "postgres" {
		code = m.Run()
	}
	if only == "memory" || flagSet("test.bench") || flagSet("test.fuzz") || flagSet("test.list") {
		return code
	}
	shared, err := openShared()
	if err != nil {
		if CI() || only == "postgres" {
			fmt.Fprintln(os.Stderr, "FAIL: the PostgreSQL pass cannot run:", unusable(err))
			return 1
		}
		fmt.Println("pgtest: skipping the PostgreSQL pass:", unusable(err))
		return code
	}
	fmt.Printf("pgtest: running the tests again on PostgreSQL (schema %s)\n", shared.Schema)
	use(shared.Store)
	if c := m.Run(); c != 0 {
		code = c
	}
	use(nil)
	if err := CloseShared(); err != nil {
		fmt.Fprintln(os.Stderr, "pgtest: drop the shared schema:", err)
	}
	return code
}

// flagSet reports whether a string flag of the test binary has a value.
func flagSet(name string) bool {
	f := flag.Lookup(name)
	return f != nil && strings.TrimSpace(f.Value.String()) != ""
}
