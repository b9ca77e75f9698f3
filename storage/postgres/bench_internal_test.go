package postgres

// Benchmarks of the PostgreSQL storage against raw pgx on the same tables
// and, where it matters, the very same SQL statement; BENCHMARKS.md holds
// the figures. They need a server and a large data set, so they run only
// with PG_BENCH=1 (besides -bench):
//
//	PG_BENCH=1 go test -run '^$' -bench . -count 5 ./storage/postgres/
//
// The data (1,000,000 customer users, a 10,000-customer tree) is seeded
// once per process into the schema cu_bench, dropped at the end unless
// PG_BENCH_KEEP=1 (a kept, complete schema is reused by the next run).

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/uptrace/bun"

	cu "github.com/b2bkit/customerusers"
	"github.com/b2bkit/customerusers/customeruser"
)

const (
	benchSchema = "cu_bench"
	benchUsers  = 1_000_000
	benchTree   = 10_000
)

// benchWorld is the seeded data and the connections to it.
type benchWorld struct {
	bunPGX, bunPGDriver *bun.DB
	pool                *pgxpool.Pool
	org, treeOrg        uuid.UUID
	treeRoot, treeMid   uuid.UUID
	sample              []uuid.UUID // random user ids of org
	// createOrg is where BenchmarkCreateUser adds users, so that the
	// other benchmarks always see the same data.
	createOrg                    uuid.UUID
	createRoles, createCustomers []uuid.UUID
}

var (
	worldOnce sync.Once
	world     *benchWorld
	worldErr  error
)

func benchDSN() string {
	if dsn := os.Getenv("TEST_DATABASE_URL"); dsn != "" {
		return dsn
	}
	return "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
}

// TestMain drops the benchmark schema after the run (unless kept).
func TestMain(m *testing.M) {
	code := m.Run()
	if world != nil && os.Getenv("PG_BENCH_KEEP") != "1" {
		_, _ = world.bunPGX.ExecContext(context.Background(), "DROP SCHEMA IF EXISTS "+benchSchema+" CASCADE")
	}
	os.Exit(code)
}

func benchSetup(b *testing.B) *benchWorld {
	b.Helper()
	if os.Getenv("PG_BENCH") != "1" {
		b.Skip("PostgreSQL benchmarks seed 1,000,000 rows: set PG_BENCH=1 to run them")
	}
	worldOnce.Do(func() { world, worldErr = seedWorld() })
	if worldErr != nil {
		b.Fatal(worldErr)
	}
	return world
}

func seedWorld() (*benchWorld, error) {
	ctx := context.Background()
	w := &benchWorld{}
	admin, err := Open(ctx, benchDSN(), WithMaxConns(1))
	if err != nil {
		return nil, err
	}
	defer admin.Close()
	var complete bool
	_ = admin.NewRaw("SELECT EXISTS (SELECT 1 FROM information_schema.tables WHERE table_schema = ? AND table_name = 'bench_done_v2')",
		benchSchema).Scan(ctx, &complete)
	if !complete {
		if _, err := admin.ExecContext(ctx, "DROP SCHEMA IF EXISTS "+benchSchema+" CASCADE; CREATE SCHEMA "+benchSchema+
			"; CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public"); err != nil {
			return nil, err
		}
	}
	path := benchSchema + ", public"
	if w.bunPGX, err = Open(ctx, benchDSN(), WithSearchPath(path), WithMaxConns(4)); err != nil {
		return nil, err
	}
	if w.bunPGDriver, err = Open(ctx, benchDSN(), WithSearchPath(path), WithMaxConns(4), WithDriver(DriverPGDriver)); err != nil {
		return nil, err
	}
	pc, err := pgxpool.ParseConfig(benchDSN())
	if err != nil {
		return nil, err
	}
	pc.MaxConns = 4
	pc.ConnConfig.RuntimeParams["search_path"] = path
	if w.pool, err = pgxpool.NewWithConfig(ctx, pc); err != nil {
		return nil, err
	}
	db := w.bunPGX
	if !complete {
		start := time.Now()
		if err := Migrate(ctx, db); err != nil {
			return nil, err
		}
		if err := seedUsers(ctx, db); err != nil {
			return nil, fmt.Errorf("seed users: %w", err)
		}
		if err := seedTree(ctx, w.pool); err != nil {
			return nil, fmt.Errorf("seed tree: %w", err)
		}
		if _, err := db.ExecContext(ctx, "VACUUM ANALYZE"); err != nil {
			return nil, err
		}
		if _, err := db.ExecContext(ctx, "CREATE TABLE bench_done_v2 ()"); err != nil {
			return nil, err
		}
		fmt.Fprintf(os.Stderr, "bench: seeded %s in %s\n", benchSchema, time.Since(start).Round(time.Second))
	}
	err = db.NewRaw("SELECT organization_id FROM customer_users LIMIT 1").Scan(ctx, &w.org)
	if err == nil {
		err = db.NewRaw("SELECT organization_id FROM roles WHERE code = 'CREATE_1'").Scan(ctx, &w.createOrg)
	}
	if err == nil {
		err = db.NewRaw("SELECT id FROM roles WHERE organization_id = ? ORDER BY code", w.createOrg).Scan(ctx, &w.createRoles)
	}
	if err == nil {
		err = db.NewRaw("SELECT id FROM customers WHERE organization_id = ? ORDER BY id", w.createOrg).Scan(ctx, &w.createCustomers)
	}
	if err == nil {
		err = db.NewRaw("SELECT id FROM customer_users TABLESAMPLE SYSTEM (1) WHERE organization_id = ? LIMIT 1000", w.org).Scan(ctx, &w.sample)
	}
	if err == nil {
		err = db.NewRaw("SELECT organization_id, id FROM customers WHERE name = 'Node 00000' AND parent_id IS NULL").Scan(ctx, &w.treeOrg, &w.treeRoot)
	}
	if err == nil {
		// A node whose subtree holds about a tenth of the tree.
		err = db.NewRaw(`SELECT c.id FROM customers c WHERE c.organization_id = ? AND c.parent_id IS NOT NULL
			ORDER BY abs((SELECT count(*) FROM customers d WHERE d.organization_id = c.organization_id AND d.path @> ARRAY[c.id]) - ?)
			LIMIT 1`, w.treeOrg, benchTree/10).Scan(ctx, &w.treeMid)
	}
	return w, err
}

// seedUsers creates one organization with 1,000 customers under a root, 10
// roles and 1,000,000 users (90% enabled, time-ordered UUIDv7-like ids),
// each holding 2 roles, with set-based SQL.
func seedUsers(ctx context.Context, db *bun.DB) error {
	org := cu.NewID()
	root := cu.NewID()
	stmts := []string{
		`INSERT INTO customers (organization_id, id, name, path, created_at, updated_at, version)
			VALUES (?0, ?1, 'Root', ARRAY[?1::uuid], now(), now(), 1)`,
		`INSERT INTO customers (organization_id, id, name, parent_id, path, created_at, updated_at, version)
			SELECT ?0, id, 'Customer ' || i, ?1, ARRAY[?1::uuid, id], now(), now(), 1
			FROM (SELECT gen_random_uuid() AS id, i FROM generate_series(1, 999) i) s`,
		`INSERT INTO roles (organization_id, id, code, label, created_at, updated_at, version, grants)
			SELECT ?0, gen_random_uuid(), 'ROLE_' || i, 'Role ' || i, now(), now(), 1,
				'[{"resource":"customer_user","permission":"view","level":2}]'
			FROM generate_series(1, 10) i`,
		`INSERT INTO customer_users (organization_id, id, customer_id, email, email_key, first_name, last_name,
				enabled, confirmed, guest, auth_status, created_at, updated_at, version)
			SELECT ?0, (lpad(to_hex(i), 12, '0') || '7' || substr(h, 1, 3) || '8' || substr(h, 4, 15))::uuid,
				c.ids[1 + i % 999], e, e, 'First' || i, 'Last' || (i % 5000),
				i % 10 <> 0, i % 7 <> 0, false, CASE WHEN i % 50 = 0 THEN 'reset' ELSE 'active' END,
				timestamptz '2024-01-01' + i * interval '1 second', timestamptz '2024-01-01' + i * interval '1 second', 1
			FROM generate_series(1, ` + strconv.Itoa(benchUsers) + `) i,
				LATERAL (SELECT md5(i::text) AS h) m,
				LATERAL (SELECT 'u' || substr(h, 20, 8) || '.' || i || '@example.com' AS e) x,
				(SELECT array_agg(id ORDER BY id) AS ids FROM customers WHERE organization_id = ?0 AND parent_id IS NOT NULL) c`,
		`INSERT INTO customer_user_roles (organization_id, user_id, role_id, position)
			SELECT u.organization_id, u.id, r.ids[1 + k], k + 1
			FROM customer_users u, (SELECT array_agg(id ORDER BY code) AS ids FROM roles WHERE organization_id = ?0) r,
				generate_series(0, 1) k
			WHERE u.organization_id = ?0`,
		// The organization of BenchmarkCreateUser: 100 customers, 10 roles.
		`INSERT INTO customers (organization_id, id, name, path, created_at, updated_at, version)
			SELECT ?2, id, 'Buyer ' || i, ARRAY[id], now(), now(), 1
			FROM (SELECT gen_random_uuid() AS id, i FROM generate_series(1, 100) i) s`,
		`INSERT INTO roles (organization_id, id, code, label, created_at, updated_at, version)
			SELECT ?2, gen_random_uuid(), 'CREATE_' || i, 'Create ' || i, now(), now(), 1 FROM generate_series(1, 10) i`,
	}
	// Bulk loads build indexes faster afterwards: drop the secondary
	// indexes of the big tables, load, and create them again.
	c, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	var defs []string
	err = c.NewRaw(`SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema()
		AND tablename IN ('customer_users', 'customer_user_roles') AND indexname NOT LIKE '%pkey'`).Scan(ctx, &defs)
	if err != nil {
		return err
	}
	pre := []string{"SET maintenance_work_mem = '512MB'", "SET synchronous_commit = off"}
	for _, d := range defs {
		name := strings.Fields(d)[2]
		if strings.Fields(d)[1] == "INDEX" {
			pre = append(pre, "DROP INDEX "+name)
		} else {
			pre = append(pre, "DROP INDEX "+strings.Fields(d)[3])
		}
	}
	createOrg := cu.NewID()
	for _, q := range append(pre, stmts...) {
		if _, err := c.ExecContext(ctx, q, org, root, createOrg); err != nil {
			return fmt.Errorf("%s: %w", q, err)
		}
	}
	for _, d := range defs {
		if _, err := c.ExecContext(ctx, d); err != nil {
			return fmt.Errorf("%s: %w", d, err)
		}
	}
	return nil
}

// seedTree creates another organization with a random tree of 10,000
// customers (each attached to a random earlier one, so about 10 levels
// deep), copied in with COPY.
func seedTree(ctx context.Context, pool *pgxpool.Pool) error {
	org := cu.NewID()
	rng := rand.New(rand.NewPCG(1, 2))
	ids := make([]uuid.UUID, benchTree)
	paths := make([][]uuid.UUID, benchTree)
	rows := make([][]any, benchTree)
	at := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range ids {
		ids[i] = cu.NewID()
		var parent *uuid.UUID
		if i == 0 {
			paths[i] = []uuid.UUID{ids[i]}
		} else {
			p := rng.IntN(i)
			parent = &ids[p]
			paths[i] = append(append([]uuid.UUID{}, paths[p]...), ids[i])
		}
		rows[i] = []any{org, ids[i], fmt.Sprintf("Node %05d", i), parent, paths[i], at, at, int64(1)}
	}
	_, err := pool.CopyFrom(ctx, pgx.Identifier{"customers"},
		[]string{"organization_id", "id", "name", "parent_id", "path", "created_at", "updated_at", "version"},
		pgx.CopyFromRows(rows))
	return err
}

// parallel4 runs fn from 4 goroutines (whatever GOMAXPROCS is).
func parallel4(b *testing.B, fn func(i int64) error) {
	b.SetParallelism(max(1, (4+runtime.GOMAXPROCS(0)-1)/runtime.GOMAXPROCS(0)))
	var n atomic.Int64
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := fn(n.Add(1)); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// rawArgs turns a Bun statement into a pgx one: ? placeholders become $n
// (the statements given here have no other question marks) and uuidArray
// arguments plain slices.
func rawArgs(sql string, args []any) (string, []any) {
	var b strings.Builder
	n := 0
	for _, r := range sql {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	out := make([]any, len(args))
	for i, a := range args {
		if ua, ok := a.(uuidArray); ok {
			a = []uuid.UUID(ua)
			if ua == nil {
				a = []uuid.UUID{}
			}
		}
		out[i] = a
	}
	return b.String(), out
}

// rawUser scans a row of userColumns (plus sort_key when withKey) with
// pgx's own types, and maps it as the repository does.
func rawUser(row pgx.Row, withKey bool) (customeruser.User, string, error) {
	var x userRow
	var customer, owner, website, loc pgtype.UUID
	var pwAt, loginAt pgtype.Timestamptz
	var bday pgtype.Date
	var salesReps, roleIDs []uuid.UUID
	var sortKey string
	dest := []any{&x.OrganizationID, &x.ID, &customer, &x.Email, &x.EmailKey, &x.NamePrefix, &x.FirstName,
		&x.MiddleName, &x.LastName, &x.NameSuffix, &bday, &x.Phone, &x.Enabled, &x.Confirmed, &x.Guest, &x.AuthStatus,
		&salesReps, &owner, &website, &loc, &x.Attributes, &x.ExternalID,
		&x.PasswordHash, &pwAt, &loginAt, &x.LoginCount, &x.CreatedAt, &x.UpdatedAt, &x.Version,
		&roleIDs, &x.Addresses}
	if withKey {
		dest = append(dest, &sortKey)
	}
	if err := row.Scan(dest...); err != nil {
		return customeruser.User{}, "", err
	}
	x.CustomerID, x.OwnerID, x.WebsiteID, x.PreferredLocalizationID = customer.Bytes, owner.Bytes, website.Bytes, loc.Bytes
	if bday.Valid {
		x.Birthday = &bday.Time
	}
	if pwAt.Valid {
		x.PasswordChangedAt = &pwAt.Time
	}
	if loginAt.Valid {
		x.LastLoginAt = &loginAt.Time
	}
	x.SalesRepIDs, x.RoleIDs = salesReps, roleIDs
	return x.user(), sortKey, nil
}

// BenchmarkGetUser reads a customer user with its roles (and addresses)
// by id from 4 goroutines: the repository on each driver (and on pgx
// without its statement cache), and raw pgx running the same statement
// with a cached prepared statement.
func BenchmarkGetUser(b *testing.B) {
	w := benchSetup(b)
	ctx := context.Background()
	for _, d := range []struct {
		name  string
		store *Store
	}{
		{"bun-pgx", New(w.bunPGX)},
		{"bun-pgx-unprepared", New(w.bunPGX, WithoutPreparedStatements())},
		{"bun-pgdriver", New(w.bunPGDriver)},
	} {
		b.Run(d.name, func(b *testing.B) {
			users := d.store.Users()
			parallel4(b, func(i int64) error {
				u, err := users.Get(ctx, w.org, w.sample[int(i)%len(w.sample)])
				if err == nil && len(u.RoleIDs) != 2 {
					err = fmt.Errorf("roles %v", u.RoleIDs)
				}
				return err
			})
		})
	}
	b.Run("raw-pgx", func(b *testing.B) {
		parallel4(b, func(i int64) error {
			u, _, err := rawUser(w.pool.QueryRow(ctx, getUserSQL, w.org, w.sample[int(i)%len(w.sample)]), false)
			if err == nil && len(u.RoleIDs) != 2 {
				err = fmt.Errorf("roles %v", u.RoleIDs)
			}
			return err
		})
	})
}

// newBenchUser is a user with 2 roles and an address.
func (w *benchWorld) newBenchUser(i int64) customeruser.User {
	at := time.Now().UTC()
	id := cu.NewID()
	email := "new." + id.String() + "@example.com"
	return customeruser.User{
		ID: id, OrganizationID: w.createOrg, CustomerID: w.createCustomers[int(i)%len(w.createCustomers)], Email: email,
		EmailKey: email, FirstName: "New", LastName: "User " + strconv.FormatInt(i, 10), Enabled: true, Confirmed: true,
		AuthStatus: customeruser.AuthActive, RoleIDs: []uuid.UUID{w.createRoles[0], w.createRoles[1+int(i)%9]},
		PasswordHash: "$argon2id$v=19$m=65536,t=3,p=2$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g",
		Addresses: []customeruser.Address{{
			ID: cu.NewID(), FirstName: "New", LastName: "User", Street: "1 Main Street", City: "Springfield",
			PostalCode: "12345", Country: "US", Primary: true,
			Types:     []customeruser.AddressTypeFlag{{Type: customeruser.Billing, Default: true}, {Type: customeruser.Shipping, Default: true}},
			CreatedAt: at, UpdatedAt: at,
		}},
		CreatedAt: at, UpdatedAt: at, Version: 1,
	}
}

// BenchmarkCreateUser creates a customer user with 2 roles and an address
// in one transaction, from 4 goroutines: through the Transactor and the
// repository on each driver; raw pgx with the same statement; raw pgx with
// three plain INSERTs.
func BenchmarkCreateUser(b *testing.B) {
	w := benchSetup(b)
	ctx := context.Background()
	for _, d := range []struct {
		name string
		db   *bun.DB
	}{{"bun-pgx", w.bunPGX}, {"bun-pgdriver", w.bunPGDriver}} {
		b.Run(d.name, func(b *testing.B) {
			s := New(d.db)
			parallel4(b, func(i int64) error {
				u := w.newBenchUser(i)
				return s.InTx(ctx, func(ctx context.Context) error { return s.Users().Create(ctx, u) })
			})
		})
	}
	b.Run("raw-pgx", func(b *testing.B) {
		parallel4(b, func(i int64) error {
			sql, args, err := createUserSQL(w.newBenchUser(i))
			if err != nil {
				return err
			}
			sql, args = rawArgs(sql, args)
			return pgx.BeginFunc(ctx, w.pool, func(tx pgx.Tx) error {
				_, err := tx.Exec(ctx, sql, args...)
				return err
			})
		})
	})
	b.Run("raw-pgx-3-inserts", func(b *testing.B) {
		parallel4(b, func(i int64) error {
			u := w.newBenchUser(i)
			a := u.Addresses[0]
			types, _ := jsonArg([]addressType{{customeruser.Billing, true}, {customeruser.Shipping, true}})
			return pgx.BeginFunc(ctx, w.pool, func(tx pgx.Tx) error {
				if _, err := tx.Exec(ctx, `INSERT INTO customer_users (organization_id, id, customer_id, email, email_key,
					first_name, last_name, enabled, confirmed, guest, auth_status, password_hash, created_at, updated_at, version)
					VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
					u.OrganizationID, u.ID, u.CustomerID, u.Email, u.EmailKey, u.FirstName, u.LastName, u.Enabled, u.Confirmed,
					u.Guest, string(u.AuthStatus), u.PasswordHash, u.CreatedAt, u.UpdatedAt, u.Version); err != nil {
					return err
				}
				if _, err := tx.Exec(ctx, `INSERT INTO customer_user_roles (organization_id, user_id, role_id, position)
					VALUES ($1, $2, $3, 1), ($1, $2, $4, 2)`, u.OrganizationID, u.ID, u.RoleIDs[0], u.RoleIDs[1]); err != nil {
					return err
				}
				_, err := tx.Exec(ctx, `INSERT INTO customer_user_addresses (organization_id, user_id, id, position, first_name,
					last_name, street, city, postal_code, country, is_primary, types, created_at, updated_at)
					VALUES ($1, $2, $3, 1, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
					u.OrganizationID, u.ID, a.ID, a.FirstName, a.LastName, a.Street, a.City, a.PostalCode, a.Country, a.Primary,
					types, a.CreatedAt, a.UpdatedAt)
				return err
			})
		})
	})
}

// deepCursor is the cursor after the row at offset n of a filtered list.
func (w *benchWorld) deepCursor(b *testing.B, f customeruser.UserFilter, s cu.Sort, n int) string {
	k, err := userSortKey(s)
	if err != nil {
		b.Fatal(err)
	}
	q := userFilter(w.org, f)
	var key string
	var id uuid.UUID
	keyCol := k.expr
	if k.kind == timeKeyKind {
		keyCol = "to_char(u.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
	}
	err = w.bunPGX.NewRaw("SELECT "+keyCol+", u.id FROM customer_users u"+q.whereSQL()+" ORDER BY "+k.expr+", u.id OFFSET "+
		strconv.Itoa(n)+" LIMIT 1", q.args...).Scan(context.Background(), &key, &id)
	if err != nil {
		b.Fatal(err)
	}
	return cu.EncodeCursor(cu.Cursor{Sort: s.String(), Key: key, ID: id})
}

// BenchmarkListUsers lists pages of 50 over the 1,000,000 users with a
// filter: the first page and one 800,000 rows deep (keyset, so it costs
// about the same), through the repository and raw pgx (same statement).
func BenchmarkListUsers(b *testing.B) {
	w := benchSetup(b)
	ctx := context.Background()
	enabled := true
	f := customeruser.UserFilter{Enabled: &enabled}
	for _, s := range []cu.Sort{{Field: customeruser.SortCreatedAt}, {Field: customeruser.SortEmail}} {
		for _, depth := range []string{"first", "deep"} {
			p := cu.Page{Limit: 50, Sort: s}
			if depth == "deep" {
				p.Cursor = w.deepCursor(b, f, s, 800_000)
			}
			users := New(w.bunPGX).Users()
			b.Run(s.Field+"/"+depth+"/bun-pgx", func(b *testing.B) {
				parallel4(b, func(int64) error {
					pg, err := users.List(ctx, w.org, f, p)
					if err == nil && (len(pg.Items) != 50 || pg.NextCursor == "") {
						err = fmt.Errorf("page of %d", len(pg.Items))
					}
					return err
				})
			})
			b.Run(s.Field+"/"+depth+"/raw-pgx", func(b *testing.B) {
				pg, err := readPage(p)
				if err != nil {
					b.Fatal(err)
				}
				k, _ := userSortKey(s)
				sql, args, err := listUsersSQL(w.org, f, k, pg)
				if err != nil {
					b.Fatal(err)
				}
				sql, args = rawArgs(sql, args)
				parallel4(b, func(int64) error {
					rows, err := w.pool.Query(ctx, sql, args...)
					if err != nil {
						return err
					}
					defer rows.Close()
					n := 0
					for rows.Next() {
						if _, _, err := rawUser(rows, true); err != nil {
							return err
						}
						n++
					}
					if n != 51 {
						return fmt.Errorf("%d rows", n)
					}
					return rows.Err()
				})
			})
		}
	}
}

// BenchmarkSubtree reads the subtree of the root of a 10,000-customer tree
// (every id) and of a node holding about 1,000: through the repository,
// raw pgx with the same query, and raw pgx with a recursive query on
// parent_id (what the materialized path saves).
func BenchmarkSubtree(b *testing.B) {
	w := benchSetup(b)
	ctx := context.Background()
	customers := New(w.bunPGX).Customers()
	for _, node := range []struct {
		name string
		id   uuid.UUID
	}{{"root", w.treeRoot}, {"mid", w.treeMid}} {
		b.Run(node.name+"/bun-pgx", func(b *testing.B) {
			parallel4(b, func(int64) error {
				_, err := customers.Subtree(ctx, w.treeOrg, node.id)
				return err
			})
		})
		b.Run(node.name+"/raw-pgx", func(b *testing.B) {
			parallel4(b, func(int64) error {
				rows, err := w.pool.Query(ctx, "SELECT id FROM customers WHERE organization_id = $1 AND path @> $2",
					w.treeOrg, []uuid.UUID{node.id})
				if err != nil {
					return err
				}
				_, err = pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
				return err
			})
		})
		b.Run(node.name+"/raw-pgx-recursive", func(b *testing.B) {
			parallel4(b, func(int64) error {
				rows, err := w.pool.Query(ctx, `WITH RECURSIVE t AS (
						SELECT id FROM customers WHERE organization_id = $1 AND id = $2
						UNION ALL
						SELECT c.id FROM customers c JOIN t ON c.organization_id = $1 AND c.parent_id = t.id)
					SELECT id FROM t`, w.treeOrg, node.id)
				if err != nil {
					return err
				}
				_, err = pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
				return err
			})
		})
	}
}
