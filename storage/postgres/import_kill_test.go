package postgres_test

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	cu "github.com/b2bkit/customerusers"
	"github.com/b2bkit/customerusers/customeruser"
	"github.com/b2bkit/customerusers/role"
	"github.com/b2bkit/customerusers/storage/postgres"
	"github.com/b2bkit/customerusers/storage/postgres/pgtest"
)

// TestImportKilledConnection: when the server ends the connection of an
// all-or-nothing import in the middle (pg_terminate_backend after its
// first batch was written), the import fails and the organization is
// exactly as it was: none of the import's users, role changes, addresses
// or events remain. The pool replaces the dead connection: the same import
// run again succeeds.
func TestImportKilledConnection(t *testing.T) {
	k := newKillWorld(t)
	ctx := t.Context()
	// Users to update and to give addresses to, from an import that is not
	// interrupted.
	existing := k.usersFile(0, 60)
	rep, err := k.svc.ImportUsers(ctx, k.admin, strings.NewReader(existing), customeruser.ImportOptions{Mode: customeruser.ModeAllOrNothing})
	require.NoError(t, err)
	require.Empty(t, rep.RowErrors)
	require.Equal(t, 60, rep.Added)
	users := map[string]uuid.UUID{}
	for i := range 60 {
		u, err := k.store.Users().GetByEmailKey(ctx, k.org, k.email(i))
		require.NoError(t, err)
		users[k.email(i)] = u.ID
	}
	// One address each, which the address import updates.
	addrs, err := k.svc.ImportAddresses(ctx, k.admin, strings.NewReader(k.addressFile(users, 0, 1, nil)),
		customeruser.ImportOptions{Mode: customeruser.ModeAllOrNothing})
	require.NoError(t, err)
	require.Empty(t, addrs.RowErrors)
	require.Equal(t, 60, addrs.Added)
	stored := map[uuid.UUID]uuid.UUID{} // user -> its address
	for _, id := range users {
		u, err := k.svc.GetUser(ctx, k.admin, id)
		require.NoError(t, err)
		require.Len(t, u.Addresses, 1)
		stored[id] = u.Addresses[0].ID
	}

	cases := []struct {
		name string
		file string
		// run imports the file.
		run func(ctx context.Context, r io.Reader, opts customeruser.ImportOptions) (customeruser.ImportReport, error)
		// added and updated are what the import does when not interrupted.
		added, updated int
	}{
		{
			// 40 updates (names and roles) of existing users, then 260
			// new users.
			name: "users", file: k.usersFile(20, 320),
			run: func(ctx context.Context, r io.Reader, opts customeruser.ImportOptions) (customeruser.ImportReport, error) {
				return k.svc.ImportUsers(ctx, k.admin, r, opts)
			},
			added: 260, updated: 40,
		},
		{
			// Each existing user's address updated, and two new ones.
			name: "addresses", file: k.addressFile(users, 1, 3, stored),
			run: func(ctx context.Context, r io.Reader, opts customeruser.ImportOptions) (customeruser.ImportReport, error) {
				return k.svc.ImportAddresses(ctx, k.admin, r, opts)
			},
			added: 120, updated: 60,
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := k.snapshot(t)
			batches := 0
			opts := customeruser.ImportOptions{
				Mode: customeruser.ModeAllOrNothing, BatchSize: 25,
				Progress: func(done, total int) {
					batches++
					if batches == 1 {
						k.killImport(t)
					}
				},
			}
			_, err := c.run(ctx, strings.NewReader(c.file), opts)
			require.Error(t, err, "the import's connection is gone")
			assert.Equal(t, 1, batches, "nothing was reported done after the kill")
			assert.Equal(t, before, k.snapshot(t), "the organization is as it was")

			// The store works on: the same import, run again, goes through.
			opts.Progress = nil
			rep, err := c.run(ctx, strings.NewReader(c.file), opts)
			require.NoError(t, err)
			assert.Empty(t, rep.RowErrors)
			assert.Equal(t, c.added, rep.Added)
			assert.Equal(t, c.updated, rep.Updated)
			assert.True(t, rep.Committed)
			assert.NotEqual(t, before, k.snapshot(t))
		})
	}
}

// killWorld is a store on a fresh schema whose connections carry an
// application name of their own, so that another connection can find the
// import's backend and end it.
type killWorld struct {
	t       *testing.T
	schema  string
	app     string
	store   *postgres.Store
	killer  *pgx.Conn
	svc     *customeruser.Service
	org     uuid.UUID
	admin   cu.Actor
	custs   []uuid.UUID
	buyer   string
	manager string
}

func newKillWorld(t *testing.T) *killWorld {
	t.Helper()
	pgtest.Require(t)
	ctx := t.Context()
	schema := pgtest.Schema(t)
	k := &killWorld{t: t, schema: schema, app: "cu_import_kill_" + strings.ReplaceAll(cu.NewID().String(), "-", "")[:16]}
	path := postgres.WithSearchPath(schema + ", public")
	mig, err := postgres.Open(ctx, pgtest.DSN(), path, postgres.WithMaxConns(2)) // Migrate needs two
	require.NoError(t, err)
	require.NoError(t, postgres.Migrate(ctx, mig))
	require.NoError(t, mig.Close())
	// One connection: the pool must replace the killed one for the store
	// to work on.
	db, err := postgres.Open(ctx, withApplicationName(pgtest.DSN(), k.app), path, postgres.WithMaxConns(1))
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	k.store = postgres.New(db)
	k.killer, err = pgx.Connect(ctx, pgtest.DSN())
	require.NoError(t, err)
	t.Cleanup(func() { _ = k.killer.Close(context.Background()) })

	k.org = cu.NewID()
	k.admin = cu.BackOfficeActor(k.org, cu.NewID())
	site := customeruser.Website{ID: cu.NewID(), Name: "Main", Localizations: []uuid.UUID{cu.NewID()}}
	site.DefaultLocalizationID = site.Localizations[0]
	sites := customeruser.NewStaticSites()
	sites.Add(k.org, site)
	s := k.store
	authz := role.NewAuthorizer(s.Roles(), s.Customers())
	roles := role.NewService(role.Deps{
		Tx: s, Roles: s.Roles(), Holders: s.Users(), Hierarchy: s.Customers(), Events: s.Events(),
		Authorizer: authz, Registry: role.NewRegistry(),
	})
	k.svc = customeruser.NewService(customeruser.Deps{
		Tx: s, Customers: s.Customers(), Users: s.Users(), Tokens: s.Tokens(), Attempts: s.LoginAttempts(),
		Events: s.Events(), Roles: s.Roles(), Authorizer: authz, Sites: sites,
	})
	seeded, err := roles.Seed(ctx, k.org)
	require.NoError(t, err)
	for _, r := range seeded {
		switch r.Code {
		case "BUYER":
			k.buyer = r.Code
		case "ADMINISTRATOR":
			k.manager = r.Code
		}
	}
	require.NotEmpty(t, k.buyer)
	require.NotEmpty(t, k.manager)
	for i := range 3 {
		c, err := k.svc.CreateCustomer(ctx, k.admin, customeruser.CustomerInput{Name: fmt.Sprintf("Customer %d", i)})
		require.NoError(t, err)
		k.custs = append(k.custs, c.ID)
	}
	return k
}

// withApplicationName adds application_name to a postgres:// URL or a
// key=value DSN.
func withApplicationName(dsn, name string) string {
	if u, err := url.Parse(dsn); err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql") {
		q := u.Query()
		q.Set("application_name", name)
		u.RawQuery = q.Encode()
		return u.String()
	}
	return dsn + " application_name=" + name
}

func (k *killWorld) email(i int) string { return fmt.Sprintf("user%04d@kill.example.com", i) }

// usersFile has the users from to to-1: BUYER for each, ADMINISTRATOR too
// for every other one. A user that exists already gets another first name
// and both roles.
func (k *killWorld) usersFile(from, to int) string {
	var b strings.Builder
	b.WriteString("First Name,Last Name,Email Address,Customer Id,Roles 1 Role,Roles 2 Role,Enabled,Confirmed\n")
	for i := from; i < to; i++ {
		first, role2 := "First", ""
		if i%2 == 1 {
			role2 = k.manager
		}
		if from > 0 && i < 60 {
			first, role2 = "Changed", k.manager
		}
		fmt.Fprintf(&b, "%s,Last %d,%s,%s,%s,%s,1,1\n", first, i, k.email(i), k.custs[i%len(k.custs)], k.buyer, role2)
	}
	return b.String()
}

// addressFile gives each user its addresses from to to-1 (labels "A<n>");
// with stored, the user's first row updates that address instead.
func (k *killWorld) addressFile(users map[string]uuid.UUID, from, to int, stored map[uuid.UUID]uuid.UUID) string {
	var b strings.Builder
	b.WriteString("Address ID,Label,Organization,First Name,Last Name,Street,Zip/Postal Code,City,Country ISO2 code,Customer User ID\n")
	for i := range 60 {
		id := users[k.email(i)]
		if stored != nil {
			fmt.Fprintf(&b, "%s,,,,,%d New Street,,,,%s\n", stored[id], i, id)
		}
		for n := from; n < to; n++ {
			fmt.Fprintf(&b, ",A%d,Acme,Ann,Smith,%d Main St,10115,Berlin,DE,%s\n", n, i, id)
		}
	}
	return b.String()
}

// killImport ends the backend of the import's open transaction from
// another connection, after checking that it has written, and waits until
// it is gone.
func (k *killWorld) killImport(t *testing.T) {
	t.Helper()
	ctx := t.Context()
	rows, err := k.killer.Query(ctx, `SELECT pid, backend_xid IS NOT NULL FROM pg_stat_activity
		WHERE application_name = $1 AND state = 'idle in transaction'`, k.app)
	require.NoError(t, err)
	type backend struct {
		PID   int32
		Wrote bool
	}
	found, err := pgx.CollectRows(rows, pgx.RowToStructByPos[backend])
	require.NoError(t, err)
	require.Len(t, found, 1, "one backend holds the import's transaction")
	require.True(t, found[0].Wrote, "the first batch was written")
	var ok bool
	require.NoError(t, k.killer.QueryRow(ctx, "SELECT pg_terminate_backend($1)", found[0].PID).Scan(&ok))
	require.True(t, ok)
	require.Eventually(t, func() bool {
		var n int
		err := k.killer.QueryRow(ctx, "SELECT count(*) FROM pg_stat_activity WHERE pid = $1", found[0].PID).Scan(&n)
		return err == nil && n == 0
	}, 30*time.Second, 10*time.Millisecond, "the backend ends")
}

// snapshot is every row the organization has in the tables an import
// writes (users, role links, addresses, events), as one comparable value.
func (k *killWorld) snapshot(t *testing.T) string {
	t.Helper()
	var b strings.Builder
	for _, table := range []string{"customer_users", "customer_user_roles", "customer_user_addresses", "events"} {
		var n int
		var digest string
		err := k.killer.QueryRow(t.Context(), `SELECT count(*), coalesce(md5(string_agg(x::text, E'\n' ORDER BY x::text)), '')
			FROM `+pgx.Identifier{k.schema, table}.Sanitize()+` x WHERE organization_id = $1`, k.org).Scan(&n, &digest)
		require.NoError(t, err, table)
		fmt.Fprintf(&b, "%s: %d rows, md5 %s\n", table, n, digest)
	}
	return b.String()
}
