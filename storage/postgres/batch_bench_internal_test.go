package postgres

// Benchmarks of CreateMany against raw pgx COPY of the same rows into the
// same three tables, the choice recorded in BENCHMARKS.md:
//
//	PG_BENCH=1 go test -run '^$' -bench CreateMany -count 5 ./storage/postgres/

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	cu "github.com/b2bkit/customerusers"
	"github.com/b2bkit/customerusers/customeruser"
)

const batchBenchSchema = "cu_bench_batch"

// batchBench is a migrated schema with a customer and two roles.
type batchBench struct {
	store    *Store
	pool     *pgxpool.Pool
	org      uuid.UUID
	customer uuid.UUID
	roles    []uuid.UUID
}

func setupBatchBench(b *testing.B) *batchBench {
	b.Helper()
	if os.Getenv("PG_BENCH") != "1" {
		b.Skip("PostgreSQL benchmarks need a server: set PG_BENCH=1 to run them")
	}
	ctx := context.Background()
	admin, err := Open(ctx, benchDSN(), WithMaxConns(1))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = admin.Close() })
	if _, err := admin.ExecContext(ctx, "DROP SCHEMA IF EXISTS "+batchBenchSchema+" CASCADE; CREATE SCHEMA "+batchBenchSchema+
		"; CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public"); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _, _ = admin.ExecContext(ctx, "DROP SCHEMA IF EXISTS "+batchBenchSchema+" CASCADE") })
	path := batchBenchSchema + ", public"
	db, err := Open(ctx, benchDSN(), WithSearchPath(path), WithMaxConns(2))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = db.Close() })
	if err := Migrate(ctx, db); err != nil {
		b.Fatal(err)
	}
	pc, err := pgxpool.ParseConfig(benchDSN())
	if err != nil {
		b.Fatal(err)
	}
	pc.MaxConns = 2
	pc.ConnConfig.RuntimeParams["search_path"] = path
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(pool.Close)
	w := &batchBench{store: New(db), pool: pool, org: cu.NewID()}
	at := time.Now().UTC()
	c := customeruser.Customer{ID: cu.NewID(), OrganizationID: w.org, Name: "Acme", CreatedAt: at, UpdatedAt: at, Version: 1}
	if err := w.store.Customers().Create(ctx, c); err != nil {
		b.Fatal(err)
	}
	w.customer = c.ID
	for i := range 2 {
		id := cu.NewID()
		if _, err := db.ExecContext(ctx, `INSERT INTO roles (organization_id, id, code, label, created_at, updated_at, version)
			VALUES (?, ?, ?, ?, now(), now(), 1)`, w.org, id, fmt.Sprintf("ROLE_%d", i), fmt.Sprintf("Role %d", i)); err != nil {
			b.Fatal(err)
		}
		w.roles = append(w.roles, id)
	}
	return w
}

// users returns n new users (2 roles, one address each), as an import
// creates them.
func (w *batchBench) users(n int, seq *int) []customeruser.User {
	at := time.Now().UTC().Truncate(time.Microsecond)
	out := make([]customeruser.User, n)
	for i := range out {
		*seq++
		email := fmt.Sprintf("user%07d@example.com", *seq)
		out[i] = customeruser.User{
			ID: cu.NewID(), OrganizationID: w.org, CustomerID: w.customer, Email: email, EmailKey: email,
			FirstName: "First", LastName: fmt.Sprintf("Last %d", *seq), Enabled: true, Confirmed: true,
			AuthStatus: customeruser.AuthActive, RoleIDs: w.roles, CreatedAt: at, UpdatedAt: at, Version: 1,
			Addresses: []customeruser.Address{{ID: cu.NewID(), Street: "1 Main St", City: "Springfield", PostalCode: "12345",
				Country: "US", Primary: true, Types: []customeruser.AddressTypeFlag{{Type: customeruser.Billing, Default: true}},
				CreatedAt: at, UpdatedAt: at}},
		}
	}
	return out
}

const batchBenchSize = 500

// BenchmarkCreateMany500: the store's CreateMany (one statement, the rows
// as JSON) of 500 users in a transaction.
func BenchmarkCreateMany500(b *testing.B) {
	w := setupBatchBench(b)
	ctx := context.Background()
	seq := 0
	b.ResetTimer()
	for b.Loop() {
		b.StopTimer()
		us := w.users(batchBenchSize, &seq)
		b.StartTimer()
		if err := w.store.InTx(ctx, func(ctx context.Context) error { return w.store.Users().(userRepo).CreateMany(ctx, us) }); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*batchBenchSize), "µs/user")
}

// BenchmarkCreateMany500RawCopy: raw pgx, three COPYs (users, role links,
// addresses) of the same rows in a transaction.
func BenchmarkCreateMany500RawCopy(b *testing.B) {
	w := setupBatchBench(b)
	ctx := context.Background()
	seq := 0
	b.ResetTimer()
	for b.Loop() {
		b.StopTimer()
		us := w.users(batchBenchSize, &seq)
		b.StartTimer()
		err := pgx.BeginFunc(ctx, w.pool, func(tx pgx.Tx) error {
			rows := make([][]any, len(us))
			var links, addrs [][]any
			for i, u := range us {
				rows[i] = []any{u.OrganizationID, u.ID, u.CustomerID, u.Email, u.EmailKey, u.FirstName, u.LastName,
					u.Enabled, u.Confirmed, u.Guest, string(u.AuthStatus), u.CreatedAt, u.UpdatedAt, u.Version}
				for j, r := range u.RoleIDs {
					links = append(links, []any{u.OrganizationID, u.ID, r, j + 1})
				}
				for j, a := range u.Addresses {
					addrs = append(addrs, []any{u.OrganizationID, u.ID, a.ID, j + 1, a.Street, a.City, a.PostalCode, a.Country,
						a.Primary, `[{"type":"billing","default":true}]`, a.CreatedAt, a.UpdatedAt})
				}
			}
			if _, err := tx.CopyFrom(ctx, pgx.Identifier{"customer_users"}, []string{"organization_id", "id", "customer_id",
				"email", "email_key", "first_name", "last_name", "enabled", "confirmed", "guest", "auth_status", "created_at",
				"updated_at", "version"}, pgx.CopyFromRows(rows)); err != nil {
				return err
			}
			if _, err := tx.CopyFrom(ctx, pgx.Identifier{"customer_user_roles"}, []string{"organization_id", "user_id",
				"role_id", "position"}, pgx.CopyFromRows(links)); err != nil {
				return err
			}
			_, err := tx.CopyFrom(ctx, pgx.Identifier{"customer_user_addresses"}, []string{"organization_id", "user_id", "id",
				"position", "street", "city", "postal_code", "country", "is_primary", "types", "created_at", "updated_at"},
				pgx.CopyFromRows(addrs))
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*batchBenchSize), "µs/user")
}

// BenchmarkCreate500: the store's Create, one statement per user, for
// the importers of storages without CreateMany.
func BenchmarkCreate500(b *testing.B) {
	w := setupBatchBench(b)
	ctx := context.Background()
	seq := 0
	b.ResetTimer()
	for b.Loop() {
		b.StopTimer()
		us := w.users(batchBenchSize, &seq)
		b.StartTimer()
		err := w.store.InTx(ctx, func(ctx context.Context) error {
			for _, u := range us {
				if err := w.store.Users().Create(ctx, u); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*batchBenchSize), "µs/user")
}
