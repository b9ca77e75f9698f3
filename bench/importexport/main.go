// Command importexport measures the CSV import and export of customer users
// (customeruser.Service.ImportUsers and ExportUsers) on PostgreSQL, against
// pgx COPY of the same rows, and prints a table (BENCHMARKS.md keeps the
// figures). It is a benchmark program, not a test: nothing runs it but a
// person.
//
//	go run ./bench/importexport            # everything, 4-8 min on 2 cores
//	go run ./bench/importexport -keep      # the same, keeping the database; then:
//	go run ./bench/importexport -reuse -keep -no-export -rounds 1 -trace -cpuprofile import.pprof
//
// It creates a database of its own (-db, dropped at the end unless -keep)
// on the server of -dsn and migrates it (postgres.Migrate). An
// organization gets -export-users users with set-based SQL
// (generate_series; 1 or 2 roles each), so that the imports write into
// tables of production size; the tables are analysed, then autovacuum is
// turned off for them, so that it does not run in the middle of a measure.
// Another organization gets the predefined roles (role.Service.Seed) and
// 100 customers (customeruser.Service.CreateCustomer). Then, per round
// (-rounds):
//
//   - COPY reference: the CSV file of -users new users (1 or 2 roles each,
//     generated in memory in the format of ExportUsers) parsed with
//     encoding/csv and written with pgx CopyFrom into customer_users and
//     customer_user_roles, in one transaction;
//   - ImportUsers in ModeValidate, ModeAllOrNothing and ModeSkipInvalid on
//     the same file;
//   - the COPY reference again (it opens the next round): each import is
//     compared with the mean of the two COPY runs around it, by rate and by
//     CPU time (this process's and the database backends', read from
//     /proc: the server must run on this machine for the latter).
//
// Each run writes into a fresh organization with the predefined roles and
// the same customers (same ids, copied with SQL), so that the one file
// fits every run; the tables keep the users of earlier runs. A fresh
// organization is what the statistics do not know, as in production: see
// BENCHMARKS.md for what that did to the e-mail look-ups before the store
// fenced the organization off from the planner.
//
// With -updates, the imports of changes follow, per round (updates.go):
// an organization of -update-users users (the first rows of the file,
// imported), exported with ExportUsers, every row changed (last name and
// role set) and imported back, all-or-nothing and skip-invalid, each on an
// organization of its own; then an address file (2 new addresses per
// user) imported into that organization. No COPY reference: the table
// gives rows/s and the CPU time per row of both sides.
//
// Last, the export of the first organization runs in fresh child processes
// of this program (-phase export), one per variant (-export-variants), so
// that the peak RSS each reports (VmHWM) is the export's alone: ExportUsers
// with the default options ("default"), ExportUsers with RoleColumns fixed
// ("fixed"), and PostgreSQL's own COPY ... TO STDOUT (FORMAT csv) of the
// same columns as the floor ("copy").
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"runtime"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/uptrace/bun"

	cu "github.com/b2bkit/customerusers"
	"github.com/b2bkit/customerusers/customeruser"
	"github.com/b2bkit/customerusers/role"
	"github.com/b2bkit/customerusers/storage/postgres"
)

// config holds the flags.
type config struct {
	dsn         string
	db          string
	phase       string
	users       int
	exportUsers int
	customers   int
	rounds      int
	batch       int
	cpuprofile  string
	trace       bool
	keep        bool
	reuse       bool
	noExport    bool
	updates     bool
	updateUsers int
	// export phase (child process)
	org     string
	variant string
	// exportVariants lists the export variants of -phase all.
	exportVariants string
}

func main() {
	var c config
	flag.StringVar(&c.dsn, "dsn", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable", "server to use (any database; -db is created on it)")
	flag.StringVar(&c.db, "db", "cu_bench_importexport", "name of the database created, used and dropped")
	flag.StringVar(&c.phase, "phase", "all", "all, or export (one export in this process: needs -org and -variant on a kept database)")
	flag.IntVar(&c.users, "users", 100_000, "users in the imported file")
	flag.IntVar(&c.exportUsers, "export-users", 1_000_000, "users seeded for the export")
	flag.IntVar(&c.customers, "customers", 100, "customers of each organization")
	flag.IntVar(&c.rounds, "rounds", 2, "import rounds (each: validate, all-or-nothing, skip-invalid, between two COPY reference runs; rounds share them)")
	flag.IntVar(&c.batch, "batch", 0, "ImportOptions.BatchSize (0: the default)")
	flag.StringVar(&c.cpuprofile, "cpuprofile", "", "write a CPU profile of the first all-or-nothing import to this file")
	flag.BoolVar(&c.trace, "trace", false, "time the repository calls of the imports (adds a little overhead)")
	flag.BoolVar(&c.keep, "keep", false, "keep the database at the end")
	flag.BoolVar(&c.reuse, "reuse", false, "reuse the database a -keep run left (its export organization), instead of creating it")
	flag.BoolVar(&c.noExport, "no-export", false, "skip the exports")
	flag.BoolVar(&c.updates, "updates", false, "after the new-users imports, measure imports that change existing users and add addresses (see updates.go)")
	flag.IntVar(&c.updateUsers, "update-users", 20_000, "-updates: users of each updated organization")
	flag.StringVar(&c.org, "org", "", "export phase: the organization to export")
	flag.StringVar(&c.exportVariants, "export-variants", "default,copy", "the exports to run, each in a process of its own: default, fixed, copy")
	flag.StringVar(&c.variant, "variant", "default", "export phase: default, fixed (RoleColumns 2) or copy (COPY TO, the floor)")
	flag.Parse()

	ctx := context.Background()
	var err error
	switch c.phase {
	case "all":
		err = runAll(ctx, c)
	case "export":
		err = runExportPhase(ctx, c)
	default:
		err = fmt.Errorf("unknown phase %q", c.phase)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "importexport:", err)
		os.Exit(1)
	}
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s  "+format+"\n", append([]any{time.Now().Format("15:04:05")}, args...)...)
}

// dbDSN is the DSN of the benchmark database on the server of c.dsn.
func (c config) dbDSN() (string, error) {
	u, err := url.Parse(c.dsn)
	if err != nil {
		return "", err
	}
	u.Path = "/" + c.db
	return u.String(), nil
}

// world is the seeded database and the services on it.
type world struct {
	c        config
	db       *bun.DB
	conn     *pgx.Conn // for COPY and the bookkeeping queries
	store    *postgres.Store
	sites    *customeruser.StaticSites
	website  customeruser.Website
	org      uuid.UUID
	admin    cu.Actor
	roles    map[string]uuid.UUID // by code, of org
	custs    []customeruser.Customer
	svc      *customeruser.Service
	traceSvc *customeruser.Service
	roleSvc  *role.Service
	base     uuid.UUID // the organization seeded first, whose customers each run copies
	timing   *timing
}

// services builds the role and customer-user services of a store.
func newServices(store *postgres.Store, sites customeruser.Sites, t *timing) (*role.Service, *customeruser.Service) {
	customers := store.Customers()
	authz := role.NewAuthorizer(store.Roles(), customers)
	roles := role.NewService(role.Deps{
		Tx: store, Roles: store.Roles(), Holders: store.Users(), Hierarchy: customers, Events: store.Events(),
		Authorizer: authz, Registry: role.NewRegistry(),
	})
	d := customeruser.Deps{
		Tx: store, Customers: customers, Users: store.Users(), Tokens: store.Tokens(),
		Attempts: store.LoginAttempts(), Events: store.Events(), Roles: store.Roles(),
		Authorizer: authz, Sites: sites,
	}
	if t != nil {
		d.Users = t.users(d.Users)
		d.Customers = tCustomers{d.Customers, t}
		d.Roles = tRoles{d.Roles, t}
		d.Events = tEvents{d.Events, t}
	}
	return roles, customeruser.NewService(d)
}

func runAll(ctx context.Context, c config) (err error) {
	begin := time.Now()
	dsn, err := c.dbDSN()
	if err != nil {
		return err
	}
	admin, err := pgx.Connect(ctx, c.dsn)
	if err != nil {
		return err
	}
	defer admin.Close(ctx)
	ident := pgx.Identifier{c.db}.Sanitize()
	if !c.reuse {
		if _, err := admin.Exec(ctx, "DROP DATABASE IF EXISTS "+ident+" WITH (FORCE)"); err != nil {
			return err
		}
		if _, err := admin.Exec(ctx, "CREATE DATABASE "+ident); err != nil {
			return err
		}
		logf("created database %s", c.db)
	}
	w := &world{c: c}
	defer func() {
		if w.conn != nil {
			_ = w.conn.Close(ctx)
		}
		if w.db != nil {
			_ = w.db.Close()
		}
		if c.keep {
			logf("kept database %s", c.db)
			return
		}
		if _, derr := admin.Exec(ctx, "DROP DATABASE IF EXISTS "+ident+" WITH (FORCE)"); derr != nil && err == nil {
			err = derr
		}
		logf("dropped database %s", c.db)
	}()
	if w.db, err = postgres.Open(ctx, dsn); err != nil {
		return err
	}
	if err := postgres.Migrate(ctx, w.db); err != nil {
		return err
	}
	if w.conn, err = pgx.Connect(ctx, dsn); err != nil {
		return err
	}
	w.store = postgres.New(w.db)
	if err := w.seed(ctx); err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	file := w.csvFile()
	logf("generated the file: %d users, %.1f MiB", c.users, float64(len(file))/(1<<20))

	// The export's organization is seeded first, so that the imports
	// write into tables that hold a million rows with up-to-date
	// statistics, as in production (on empty, freshly analysed tables the
	// planner picks sequential scans that the cached plans keep while the
	// tables grow).
	var exportOrg uuid.UUID
	if c.reuse {
		err = w.conn.QueryRow(ctx, `SELECT organization_id FROM customer_users GROUP BY 1 HAVING count(*) = $1`, c.exportUsers).Scan(&exportOrg)
		if err != nil {
			return fmt.Errorf("-reuse: no organization with %d users: %w", c.exportUsers, err)
		}
		logf("reusing export organization %s", exportOrg)
	} else if exportOrg, err = w.seedExport(ctx); err != nil {
		return fmt.Errorf("seed export: %w", err)
	}
	// Autovacuum would run at random moments of the runs (the tables grow
	// by each run's users and nothing is deleted): off for this database's
	// tables, whose statistics are those of the million seeded rows.
	if _, err := w.conn.Exec(ctx, `ALTER TABLE customer_users SET (autovacuum_enabled = off);
		ALTER TABLE customer_user_roles SET (autovacuum_enabled = off);
		ALTER TABLE customers SET (autovacuum_enabled = off);
		ALTER TABLE events SET (autovacuum_enabled = off)`); err != nil {
		return err
	}
	var res []result
	var last *result
	for round := 1; round <= c.rounds; round++ {
		rr, l, err := w.importRound(ctx, round, file, last)
		if err != nil {
			return err
		}
		res, last = append(res, rr...), l
	}
	if c.updates {
		if _, err := w.conn.Exec(ctx, `ALTER TABLE customer_user_addresses SET (autovacuum_enabled = off)`); err != nil {
			return err
		}
		for round := 1; round <= c.rounds; round++ {
			rr, err := w.updateRound(ctx, round)
			if err != nil {
				return err
			}
			res = append(res, rr...)
		}
	}
	var exports []result
	for v := range strings.SplitSeq(c.exportVariants, ",") {
		if c.noExport {
			break
		}
		r, err := runExportChild(ctx, c, exportOrg, strings.TrimSpace(v))
		if err != nil {
			return fmt.Errorf("export %s: %w", v, err)
		}
		exports = append(exports, r)
	}
	// The exports are compared with the COPY TO floor.
	for _, x := range exports {
		if x.Name == copyToName {
			for i := range exports {
				if exports[i].Name != copyToName {
					exports[i].Ref = x.rate()
				}
			}
		}
	}
	res = append(res, exports...)
	printResults(os.Stdout, c, res, time.Since(begin))
	return nil
}

// seed creates the organization of the imports.
func (w *world) seed(ctx context.Context) error {
	w.org = cu.NewID()
	w.admin = cu.BackOfficeActor(w.org, cu.NewID())
	w.website = customeruser.Website{ID: cu.NewID(), Name: "Main"}
	loc := cu.NewID()
	w.website.Localizations, w.website.DefaultLocalizationID = []uuid.UUID{loc}, loc
	w.sites = customeruser.NewStaticSites()
	w.sites.Add(w.org, w.website)
	var roles *role.Service
	roles, w.svc = newServices(w.store, w.sites, nil)
	if w.c.trace {
		w.timing = newTiming(func() float64 {
			// The backends of the database but the bookkeeping one.
			srv, err := w.backendCPU(ctx)
			if err != nil {
				return 0
			}
			var sum float64
			for pid, s := range srv {
				if pid != int(w.conn.PgConn().PID()) {
					sum += s
				}
			}
			return sum
		})
		_, w.traceSvc = newServices(w.store, w.sites, w.timing)
	}
	seeded, err := roles.Seed(ctx, w.org)
	if err != nil {
		return err
	}
	w.roles = map[string]uuid.UUID{}
	for _, r := range seeded {
		w.roles[r.Code] = r.ID
	}
	for _, code := range []string{"BUYER", "ADMINISTRATOR"} {
		if w.roles[code] == uuid.Nil {
			return fmt.Errorf("role.Service.Seed made no %s role", code)
		}
	}
	for i := range w.c.customers {
		cust, err := w.svc.CreateCustomer(ctx, w.admin, customeruser.CustomerInput{Name: fmt.Sprintf("Customer %03d", i+1)})
		if err != nil {
			return err
		}
		w.custs = append(w.custs, cust)
	}
	w.base = w.org
	w.roleSvc = roles
	batch := "the default"
	if w.c.batch > 0 {
		batch = strconv.Itoa(w.c.batch)
	}
	logf("seeded organization %s: %d roles, %d customers; batch size %s; storage batch interfaces: %s",
		w.org, len(seeded), len(w.custs), batch, batchInterfaces(w.store.Users()))
	return nil
}

// nextOrg makes a fresh organization the target of the next run: the
// predefined roles (role.Service.Seed, new ids, same codes) and the seeded
// organization's customers with the same ids (copied with SQL), so that
// the one file fits every run. The event log is emptied. Earlier runs'
// users stay: the tables grow by the users of each run.
func (w *world) nextOrg(ctx context.Context) error {
	org := cu.NewID()
	if _, err := w.conn.Exec(ctx, `INSERT INTO customers (organization_id, id, name, parent_id, path, group_name,
			sales_rep_ids, owner_id, external_id, created_at, updated_at, version)
		SELECT $2, id, name, parent_id, path, group_name, sales_rep_ids, owner_id, external_id, created_at, updated_at, version
		FROM customers WHERE organization_id = $1`, w.base, org); err != nil {
		return err
	}
	seeded, err := w.roleSvc.Seed(ctx, org)
	if err != nil {
		return err
	}
	if _, err := w.conn.Exec(ctx, "TRUNCATE events"); err != nil {
		return err
	}
	w.org, w.admin = org, cu.BackOfficeActor(org, cu.NewID())
	w.sites.Add(org, w.website)
	w.roles = map[string]uuid.UUID{}
	for _, r := range seeded {
		w.roles[r.Code] = r.ID
	}
	return nil
}

// batchInterfaces says which optional batch interfaces the user repository
// implements.
func batchInterfaces(users customeruser.UserRepository) string {
	var have []string
	if _, ok := users.(customeruser.BatchUserWriter); ok {
		have = append(have, "BatchUserWriter")
	}
	if _, ok := users.(customeruser.BatchUserReader); ok {
		have = append(have, "BatchUserReader")
	}
	if _, ok := users.(customeruser.BatchUserUpdater); ok {
		have = append(have, "BatchUserUpdater")
	}
	if _, ok := users.(customeruser.UserRoleCounter); ok {
		have = append(have, "UserRoleCounter")
	}
	if len(have) == 0 {
		return "none"
	}
	return strings.Join(have, ", ")
}

var (
	firstNames = []string{"Amanda", "Brandon", "Chloé", "Dmitri", "Elena", "Farid", "Grace", "Hiro", "Inès", "Jonas", "Kateryna", "Luis"}
	lastNames  = []string{"Cole", "Dupont", "Eriksson", "Fischer", "García", "Hoang", "Ivanova", "Jensen", "Kowalski", "Lambert", "Müller", "Nakamura"}
)

// mix scrambles i so that e-mails do not come in index order.
func mix(i uint64) uint64 {
	i += 0x9e3779b97f4a7c15
	i = (i ^ (i >> 30)) * 0xbf58476d1ce4e5b9
	i = (i ^ (i >> 27)) * 0x94d049bb133111eb
	return i ^ (i >> 31)
}

// csvFile is the import file: the columns of ExportUsers with two role
// columns; new users (no ID), half of them with one role (BUYER), half with
// two (BUYER, ADMINISTRATOR), a third with a birthday, all enabled, 90%
// confirmed, the website left to the default.
func (w *world) csvFile() []byte { return w.usersFile(w.c.users) }

// usersFile is csvFile with n users (its first n rows).
func (w *world) usersFile(n int) []byte {
	var b bytes.Buffer
	cw := csv.NewWriter(&b)
	_ = cw.Write([]string{"ID", "Name Prefix", "First Name", "Middle Name", "Last Name", "Name Suffix", "Birthday",
		"Email Address", "Customer Id", "Customer Name", "Roles 1 Role", "Roles 2 Role", "Guest", "Enabled",
		"Confirmed", "Owner Id", "Website Id"})
	rec := make([]string, 17)
	for i := range n {
		first, last := firstNames[i%len(firstNames)], lastNames[(i/len(firstNames))%len(lastNames)]
		cust := w.custs[i%len(w.custs)]
		birthday := ""
		if i%3 == 0 {
			birthday = time.Date(1960, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, i%15000).Format(time.DateOnly)
		}
		role2 := ""
		if i%2 == 1 {
			role2 = "ADMINISTRATOR"
		}
		confirmed := "1"
		if i%10 == 0 {
			confirmed = "0"
		}
		copy(rec, []string{"", "", first, "", last, "", birthday,
			fmt.Sprintf("%s.%s.%08x.%d@example.com", strings.ToLower(first[:1]), last, uint32(mix(uint64(i))), i),
			cust.ID.String(), cust.Name, "BUYER", role2, "0", "1", confirmed, "", ""})
		_ = cw.Write(rec)
	}
	cw.Flush()
	return b.Bytes()
}

// result is one measured line of the table.
type result struct {
	Name    string  `json:"name"`
	Round   int     `json:"round"`
	Rows    int     `json:"rows"`
	Seconds float64 `json:"seconds"`
	// Ref is the reference rate the line is compared with (0: none).
	Ref float64 `json:"ref"`
	// RefCPU is the reference's CPU time per row, both sides (0: none).
	RefCPU float64 `json:"refCpu"`
	// ClientCPU and ServerCPU are the CPU seconds of this process and of
	// the PostgreSQL backends of the benchmark database during the run.
	ClientCPU float64 `json:"clientCpu"`
	ServerCPU float64 `json:"serverCpu"`
	// MaxRSSKiB is the peak RSS of the process that ran it (exports).
	MaxRSSKiB int64  `json:"maxRssKiB"`
	Bytes     int64  `json:"bytes"`
	AllocMiB  uint64 `json:"allocMiB"`
	HeapSys   uint64 `json:"heapSysMiB"`
	Note      string `json:"note"`
}

func (r result) rate() float64 { return float64(r.Rows) / r.Seconds }

// cpuPerRow is the CPU time, both sides, per row.
func (r result) cpuPerRow() float64 { return (r.ClientCPU + r.ServerCPU) / float64(r.Rows) }

// meter measures the wall time and the CPU of both sides of one run.
type meter struct {
	w      *world
	start  time.Time
	cpu    float64
	server map[int]float64
}

func (w *world) startMeter(ctx context.Context) (*meter, error) {
	runtime.GC()
	srv, err := w.backendCPU(ctx)
	if err != nil {
		return nil, err
	}
	return &meter{w: w, start: time.Now(), cpu: selfCPU(), server: srv}, nil
}

func (m *meter) stop(ctx context.Context, name string, round, rows int) (result, error) {
	d := time.Since(m.start)
	cpu := selfCPU() - m.cpu
	srv, err := m.w.backendCPU(ctx)
	if err != nil {
		return result{}, err
	}
	var sd float64
	for pid, s := range srv {
		sd += s - m.server[pid]
	}
	return result{Name: name, Round: round, Rows: rows, Seconds: d.Seconds(), ClientCPU: cpu, ServerCPU: sd}, nil
}

// selfCPU is the user and system CPU time of this process, in seconds.
func selfCPU() float64 {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

// backendCPU reads the CPU seconds of every backend connected to the
// benchmark database from /proc (the server runs on this machine; off it,
// the figures are zero).
func (w *world) backendCPU(ctx context.Context) (map[int]float64, error) {
	rows, err := w.conn.Query(ctx, "SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
	if err != nil {
		return nil, err
	}
	pids, err := pgx.CollectRows(rows, pgx.RowTo[int32])
	if err != nil {
		return nil, err
	}
	out := map[int]float64{}
	for _, pid := range pids {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue
		}
		// Fields after the command (which is in parentheses): state is
		// field 3; utime and stime are fields 14 and 15, in clock ticks.
		s := string(b)
		f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
		ut, _ := strconv.ParseFloat(f[11], 64)
		st, _ := strconv.ParseFloat(f[12], 64)
		out[int(pid)] = (ut + st) / 100 // USER_HZ is 100 on Linux
	}
	return out, nil
}

// importRound runs the three imports between two runs of the COPY
// reference: before, the one given (the last of the previous round) or a
// new one when there is none; after, a new one. It returns the results,
// the COPY runs included, and the last COPY run.
func (w *world) importRound(ctx context.Context, round int, file []byte, before *result) ([]result, *result, error) {
	var out []result
	copyRun := func() (result, error) {
		if err := w.nextOrg(ctx); err != nil {
			return result{}, err
		}
		m, err := w.startMeter(ctx)
		if err != nil {
			return result{}, err
		}
		users, links, err := w.copyReference(ctx, file)
		if err != nil {
			return result{}, fmt.Errorf("copy reference: %w", err)
		}
		r, err := m.stop(ctx, "pgx CopyFrom (reference)", round, users)
		r.Note = fmt.Sprintf("%d users + %d role links", users, links)
		logf("round %d: %-34s %8.0f rows/s  (%.1f s)", round, r.Name, r.rate(), r.Seconds)
		return r, err
	}
	var c1 result
	if before != nil {
		c1 = *before
	} else {
		r, err := copyRun()
		if err != nil {
			return nil, nil, err
		}
		c1 = r
		out = append(out, c1)
	}
	modes := []customeruser.ImportMode{customeruser.ModeValidate, customeruser.ModeAllOrNothing, customeruser.ModeSkipInvalid}
	var imports []result
	for _, mode := range modes {
		if err := w.nextOrg(ctx); err != nil {
			return nil, nil, err
		}
		svc := w.svc
		if w.traceSvc != nil {
			svc = w.traceSvc
			w.timing.reset()
		}
		profile := w.c.cpuprofile != "" && round == 1 && mode == customeruser.ModeAllOrNothing
		if profile {
			f, err := os.Create(w.c.cpuprofile)
			if err != nil {
				return nil, nil, err
			}
			defer f.Close()
			if err := pprof.StartCPUProfile(f); err != nil {
				return nil, nil, err
			}
		}
		m, err := w.startMeter(ctx)
		if err != nil {
			return nil, nil, err
		}
		rep, err := svc.ImportUsers(ctx, w.admin, bytes.NewReader(file), customeruser.ImportOptions{
			Mode: mode, BatchSize: w.c.batch, MaxErrors: 10,
		})
		if profile {
			pprof.StopCPUProfile()
		}
		if err != nil {
			return nil, nil, fmt.Errorf("import %s: %w", mode, err)
		}
		r, err := m.stop(ctx, "ImportUsers "+string(mode), round, rep.Read)
		if err != nil {
			return nil, nil, err
		}
		if rep.Added != w.c.users || rep.Errors != 0 {
			return nil, nil, fmt.Errorf("import %s: read %d, added %d, errors %d: %v", mode, rep.Read, rep.Added, rep.Errors, rep.RowErrors)
		}
		var stored, links int
		if err := w.conn.QueryRow(ctx, "SELECT (SELECT count(*) FROM customer_users WHERE organization_id = $1), (SELECT count(*) FROM customer_user_roles WHERE organization_id = $1)", w.org).Scan(&stored, &links); err != nil {
			return nil, nil, err
		}
		want := w.c.users
		if mode == customeruser.ModeValidate {
			want = 0
		}
		if stored != want {
			return nil, nil, fmt.Errorf("import %s: %d users stored, want %d", mode, stored, want)
		}
		r.Note = fmt.Sprintf("report: added %d, errors %d; stored %d users + %d role links", rep.Added, rep.Errors, stored, links)
		logf("round %d: %-34s %8.0f rows/s  (%.1f s; client CPU %.1f s, server CPU %.1f s)", round, r.Name, r.rate(), r.Seconds, r.ClientCPU, r.ServerCPU)
		if w.timing != nil {
			w.timing.print(os.Stderr, r)
		}
		imports = append(imports, r)
	}
	c2, err := copyRun()
	if err != nil {
		return nil, nil, err
	}
	ref := (c1.rate() + c2.rate()) / 2
	refCPU := (c1.cpuPerRow() + c2.cpuPerRow()) / 2
	for i := range imports {
		imports[i].Ref, imports[i].RefCPU = ref, refCPU
	}
	out = append(out, imports...)
	out = append(out, c2)
	return out, &c2, nil
}

// copyReference parses the file as a minimal importer would (encoding/csv,
// role codes and customer ids resolved from maps, no checks) and writes
// the same rows as the import into customer_users and customer_user_roles
// with pgx CopyFrom, in one transaction.
func (w *world) copyReference(ctx context.Context, file []byte) (users, links int, err error) {
	roleIDs := w.roles
	tx, err := w.conn.Begin(ctx)
	if err != nil {
		return 0, 0, err
	}
	defer func() { _ = tx.Rollback(ctx) }()
	r := csv.NewReader(bufio.NewReader(bytes.NewReader(file)))
	r.ReuseRecord = true
	header, err := r.Read()
	if err != nil {
		return 0, 0, err
	}
	col := map[string]int{}
	for i, h := range header {
		col[h] = i
	}
	var linkRows [][]any
	now := time.Now().UTC().Truncate(time.Microsecond)
	src := &copySource{next: func() ([]any, error) {
		rec, err := r.Read()
		if err != nil {
			return nil, err
		}
		id := cu.NewID()
		customer, err := uuid.Parse(rec[col["Customer Id"]])
		if err != nil {
			return nil, err
		}
		var birthday any
		if s := rec[col["Birthday"]]; s != "" {
			d, err := time.Parse(time.DateOnly, s)
			if err != nil {
				return nil, err
			}
			birthday = d
		}
		for k, c := range []string{"Roles 1 Role", "Roles 2 Role"} {
			if code := rec[col[c]]; code != "" {
				rid, ok := roleIDs[code]
				if !ok {
					return nil, fmt.Errorf("unknown role %q", code)
				}
				linkRows = append(linkRows, []any{w.org, id, rid, int32(k + 1)})
			}
		}
		email := rec[col["Email Address"]]
		return []any{w.org, id, customer, email, strings.ToLower(email), rec[col["First Name"]], rec[col["Last Name"]],
			birthday, rec[col["Enabled"]] == "1", rec[col["Confirmed"]] == "1", rec[col["Guest"]] == "1", "active",
			w.website.ID, now, now, int64(1)}, nil
	}}
	n, err := tx.CopyFrom(ctx, pgx.Identifier{"customer_users"},
		[]string{"organization_id", "id", "customer_id", "email", "email_key", "first_name", "last_name", "birthday",
			"enabled", "confirmed", "guest", "auth_status", "website_id", "created_at", "updated_at", "version"}, src)
	if err != nil {
		return 0, 0, err
	}
	m, err := tx.CopyFrom(ctx, pgx.Identifier{"customer_user_roles"},
		[]string{"organization_id", "user_id", "role_id", "position"}, pgx.CopyFromRows(linkRows))
	if err != nil {
		return 0, 0, err
	}
	return int(n), int(m), tx.Commit(ctx)
}

// copySource is a pgx.CopyFromSource over a function that returns io.EOF
// after the last row.
type copySource struct {
	next func() ([]any, error)
	row  []any
	err  error
}

func (s *copySource) Next() bool {
	s.row, s.err = s.next()
	if errors.Is(s.err, io.EOF) {
		s.err = nil
		return false
	}
	return s.err == nil
}
func (s *copySource) Values() ([]any, error) { return s.row, nil }
func (s *copySource) Err() error             { return s.err }

// seedExport creates the organization of the export: the predefined roles,
// c.customers customers and c.exportUsers users (1 or 2 roles each,
// time-ordered ids) with set-based SQL, the secondary indexes of the user
// tables dropped during the load and built again after it.
func (w *world) seedExport(ctx context.Context) (uuid.UUID, error) {
	start := time.Now()
	org := cu.NewID()
	roles, _ := newServices(w.store, w.sites, nil)
	if _, err := roles.Seed(ctx, org); err != nil {
		return uuid.Nil, err
	}
	rows, err := w.conn.Query(ctx, `SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema()
		AND tablename IN ('customer_users', 'customer_user_roles') AND indexname NOT LIKE '%pkey'`)
	if err != nil {
		return uuid.Nil, err
	}
	defs, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return uuid.Nil, err
	}
	stmts := []string{"SET maintenance_work_mem = '512MB'", "SET synchronous_commit = off"}
	for _, d := range defs {
		f := strings.Fields(d)
		if f[1] == "INDEX" {
			stmts = append(stmts, "DROP INDEX "+f[2])
		} else {
			stmts = append(stmts, "DROP INDEX "+f[3])
		}
	}
	n := strconv.Itoa(w.c.exportUsers)
	stmts = append(stmts,
		`INSERT INTO customers (organization_id, id, name, path, created_at, updated_at, version)
			SELECT $1, id, 'Buyer ' || lpad(i::text, 3, '0'), ARRAY[id], now(), now(), 1
			FROM (SELECT gen_random_uuid() AS id, i FROM generate_series(1, `+strconv.Itoa(w.c.customers)+`) i) s`,
		`INSERT INTO customer_users (organization_id, id, customer_id, email, email_key, first_name, last_name, birthday,
				enabled, confirmed, guest, auth_status, website_id, created_at, updated_at, version)
			SELECT $1, (lpad(to_hex(i), 12, '0') || '7' || substr(h, 1, 3) || '8' || substr(h, 4, 15))::uuid,
				c.ids[1 + i % cardinality(c.ids)], e, lower(e), 'First' || (i % 997), 'Last' || (i % 5000),
				CASE WHEN i % 3 = 0 THEN date '1960-01-01' + i % 15000 END,
				i % 10 <> 0, i % 7 <> 0, false, 'active', $2,
				timestamptz '2024-01-01' + i * interval '1 second', timestamptz '2024-01-01' + i * interval '1 second', 1
			FROM generate_series(1, `+n+`) i,
				LATERAL (SELECT md5(i::text) AS h) m,
				LATERAL (SELECT 'u' || substr(h, 20, 8) || '.' || i || '@example.com' AS e) x,
				(SELECT array_agg(id ORDER BY id) AS ids FROM customers WHERE organization_id = $1) c`,
		`INSERT INTO customer_user_roles (organization_id, user_id, role_id, position)
			SELECT u.organization_id, u.id, CASE k WHEN 0 THEN r.buyer ELSE r.admin END, k + 1
			FROM customer_users u,
				(SELECT (SELECT id FROM roles WHERE organization_id = $1 AND code = 'BUYER') AS buyer,
					(SELECT id FROM roles WHERE organization_id = $1 AND code = 'ADMINISTRATOR') AS admin) r,
				generate_series(0, 1) k
			WHERE u.organization_id = $1 AND (k = 0 OR get_byte(uuid_send(u.id), 15) % 2 = 1)`)
	stmts = append(stmts, defs...)
	for _, q := range stmts {
		var args []any
		if strings.Contains(q, "$1") {
			args = append(args, org)
		}
		if strings.Contains(q, "$2") {
			args = append(args, w.website.ID)
		}
		if _, err := w.conn.Exec(ctx, q, args...); err != nil {
			return uuid.Nil, fmt.Errorf("%.60s...: %w", q, err)
		}
	}
	if _, err := w.conn.Exec(ctx, "VACUUM ANALYZE"); err != nil {
		return uuid.Nil, err
	}
	var users, links int
	if err := w.conn.QueryRow(ctx, "SELECT (SELECT count(*) FROM customer_users WHERE organization_id = $1), (SELECT count(*) FROM customer_user_roles WHERE organization_id = $1)", org).Scan(&users, &links); err != nil {
		return uuid.Nil, err
	}
	logf("seeded export organization %s: %d users, %d role links in %s", org, users, links, time.Since(start).Round(time.Second))
	return org, nil
}

// runExportChild runs one export variant in a fresh process of this
// program and returns what it reports, with the child's peak RSS as the
// kernel counted it.
func runExportChild(ctx context.Context, c config, org uuid.UUID, variant string) (result, error) {
	exe, err := os.Executable()
	if err != nil {
		return result{}, err
	}
	cmd := exec.CommandContext(ctx, exe, "-phase", "export", "-dsn", c.dsn, "-db", c.db, "-org", org.String(), "-variant", variant)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return result{}, err
	}
	var r result
	for line := range strings.SplitSeq(string(out), "\n") {
		if s, ok := strings.CutPrefix(line, "RESULT "); ok {
			if err := json.Unmarshal([]byte(s), &r); err != nil {
				return result{}, err
			}
		}
	}
	logf("%-34s %8.0f rows/s  (%.1f s; peak RSS %.1f MiB)", r.Name, r.rate(), r.Seconds, float64(r.MaxRSSKiB)/1024)
	return r, nil
}

// runExportPhase is the child process: one export of org, then its peak
// RSS, printed as a RESULT line.
func runExportPhase(ctx context.Context, c config) error {
	org, err := uuid.Parse(c.org)
	if err != nil {
		return fmt.Errorf("-org: %w", err)
	}
	dsn, err := c.dbDSN()
	if err != nil {
		return err
	}
	// A connection of its own reads the CPU time of the export's backends
	// before and after (it is open in every variant, so it weighs the same
	// in each peak RSS).
	stats, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer stats.Close(ctx)
	sw := &world{conn: stats}
	before, err := sw.backendCPU(ctx)
	if err != nil {
		return err
	}
	cw := &countingWriter{}
	var r result
	var rows int
	start := time.Now()
	cpu := selfCPU()
	switch c.variant {
	case "default", "fixed":
		db, err := postgres.Open(ctx, dsn)
		if err != nil {
			return err
		}
		defer db.Close()
		store := postgres.New(db)
		_, svc := newServices(store, nil, nil)
		opts := customeruser.ExportOptions{}
		r.Name = "ExportUsers (default options)"
		if c.variant == "fixed" {
			opts.RoleColumns = 2
			r.Name = "ExportUsers (RoleColumns: 2)"
		}
		start, cpu = time.Now(), selfCPU()
		rep, err := svc.ExportUsers(ctx, cu.BackOfficeActor(org, cu.NewID()), customeruser.UserFilter{}, cw, opts)
		if err != nil {
			return err
		}
		rows = rep.Rows
		r.Note = fmt.Sprintf("%d role columns; storage: %s", rep.RoleColumns, batchInterfaces(store.Users()))
	case "copy":
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			return err
		}
		defer conn.Close(ctx)
		r.Name = copyToName
		start, cpu = time.Now(), selfCPU()
		// COPY takes no parameters: the organization is a parsed UUID.
		tag, err := conn.PgConn().CopyTo(ctx, cw, `COPY (
			SELECT u.id, u.name_prefix, u.first_name, u.middle_name, u.last_name, u.name_suffix, u.birthday, u.email,
				u.customer_id, c.name, r.codes[1], r.codes[2], u.guest::int, u.enabled::int, u.confirmed::int,
				u.owner_id, u.website_id
			FROM customer_users u
			LEFT JOIN customers c ON c.organization_id = u.organization_id AND c.id = u.customer_id
			LEFT JOIN (SELECT l.user_id, array_agg(x.code ORDER BY l.position) AS codes
				FROM customer_user_roles l JOIN roles x ON x.organization_id = l.organization_id AND x.id = l.role_id
				WHERE l.organization_id = '`+org.String()+`' GROUP BY l.user_id) r ON r.user_id = u.id
			WHERE u.organization_id = '`+org.String()+`'
			ORDER BY u.created_at, u.id) TO STDOUT (FORMAT csv, HEADER)`)
		if err != nil {
			return err
		}
		rows = int(tag.RowsAffected())
		r.Note = "one statement, rows formatted by the server"
	default:
		return fmt.Errorf("unknown export variant %q", c.variant)
	}
	r.Seconds = time.Since(start).Seconds()
	r.ClientCPU = selfCPU() - cpu
	after, err := sw.backendCPU(ctx)
	if err != nil {
		return err
	}
	for pid, s := range after {
		if _, ok := before[pid]; ok || pid != int(stats.PgConn().PID()) {
			r.ServerCPU += s - before[pid]
		}
	}
	r.Rows = rows
	r.Bytes = cw.n
	r.MaxRSSKiB = vmHWM()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	r.AllocMiB, r.HeapSys = ms.TotalAlloc>>20, ms.HeapSys>>20
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	fmt.Printf("RESULT %s\n", b)
	return nil
}

// copyToName names the floor of the exports.
const copyToName = "COPY TO STDOUT csv (reference)"

// countingWriter discards what it is given and counts the bytes.
type countingWriter struct{ n int64 }

func (w *countingWriter) Write(p []byte) (int, error) {
	w.n += int64(len(p))
	return len(p), nil
}

// vmHWM is the peak resident set size of this process in KiB, from
// /proc/self/status (0 when it cannot be read).
func vmHWM() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return n
		}
	}
	return 0
}

// printResults writes the table.
func printResults(w io.Writer, c config, res []result, total time.Duration) {
	fmt.Fprintf(w, "\nMachine: %d CPUs, %s/%s, %s; %s\n", runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, runtime.Version(), time.Now().Format("2006-01-02"))
	fmt.Fprintf(w, "Import file: %d new users (1-2 roles each), %d rounds; export: %d users. Total run time %s.\n\n",
		c.users, c.rounds, c.exportUsers, total.Round(time.Second))
	if c.updates {
		fmt.Fprintf(w, "Updates: per round and mode, an organization of %d imported users, exported, changed and imported back; then 2 addresses per user.\n\n", c.updateUsers)
	}
	fmt.Fprintln(w, "| round | measure | rows | s | rows/s | rate vs COPY | client CPU s | server CPU s | CPU vs COPY | peak RSS MiB | note |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|---|---|---|")
	for _, r := range res {
		vs, cpuVs, rss, round := "", "", "", ""
		if r.Ref > 0 {
			vs = fmt.Sprintf("**%.0f%%**", 100*r.rate()/r.Ref)
		}
		if r.RefCPU > 0 {
			cpuVs = fmt.Sprintf("%.0f%%", 100*r.RefCPU/r.cpuPerRow())
		}
		if r.MaxRSSKiB > 0 {
			rss = fmt.Sprintf("**%.1f**", float64(r.MaxRSSKiB)/1024)
		}
		if r.Round > 0 {
			round = strconv.Itoa(r.Round)
		}
		note := r.Note
		if r.Bytes > 0 {
			note = fmt.Sprintf("%s; %.1f MiB of CSV; Go heap %d MiB (allocated %d MiB in all)",
				note, float64(r.Bytes)/(1<<20), r.HeapSys, r.AllocMiB)
		}
		fmt.Fprintf(w, "| %s | %s | %d | %.1f | %s | %s | %.1f | %.1f | %s | %s | %s |\n",
			round, r.Name, r.Rows, r.Seconds, thousands(r.rate()), vs, r.ClientCPU, r.ServerCPU, cpuVs, rss, note)
	}
	// The medians over the rounds.
	var names []string
	by := map[string][]result{}
	for _, r := range res {
		if r.Round == 0 {
			continue
		}
		if by[r.Name] == nil {
			names = append(names, r.Name)
		}
		by[r.Name] = append(by[r.Name], r)
	}
	if c.rounds < 2 {
		return
	}
	fmt.Fprintf(w, "\nMedians of the %d rounds (range in brackets):\n\n", c.rounds)
	fmt.Fprintln(w, "| measure | rows/s | rate vs COPY (per-round ratio) | CPU vs COPY (per-round ratio) | µs CPU per row, client + server |")
	fmt.Fprintln(w, "|---|---|---|---|---|")
	for _, n := range names {
		rs := by[n]
		var rates, ratios, cpuRatios, cpus []float64
		for _, r := range rs {
			rates = append(rates, r.rate())
			cpus = append(cpus, 1e6*r.cpuPerRow())
			if r.Ref > 0 {
				ratios = append(ratios, 100*r.rate()/r.Ref)
				cpuRatios = append(cpuRatios, 100*r.RefCPU/r.cpuPerRow())
			}
		}
		pct := func(v []float64) string {
			if len(v) == 0 {
				return ""
			}
			m, lo, hi := median(v)
			return fmt.Sprintf("**%.0f%%** (%.0f–%.0f%%)", m, lo, hi)
		}
		m, lo, hi := median(rates)
		cm, clo, chi := median(cpus)
		fmt.Fprintf(w, "| %s | %s (%s–%s) | %s | %s | %.0f (%.0f–%.0f) |\n", n, thousands(m), thousands(lo), thousands(hi),
			pct(ratios), pct(cpuRatios), cm, clo, chi)
	}
}

// median returns the median, the least and the greatest of v.
func median(v []float64) (m, lo, hi float64) {
	x := append([]float64(nil), v...)
	sort.Float64s(x)
	n := len(x)
	m = x[n/2]
	if n%2 == 0 {
		m = (x[n/2-1] + x[n/2]) / 2
	}
	return m, x[0], x[n-1]
}

// thousands formats a rate with thousands separators.
func thousands(f float64) string {
	s := strconv.FormatInt(int64(f+0.5), 10)
	var b strings.Builder
	for i, ch := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(ch)
	}
	return b.String()
}

// timing counts and times repository calls (-trace): wall time, and the
// CPU time of this process and of the database's backends during the
// calls (the backends' from /proc, in 10 ms ticks: meaningful summed over
// many calls).
type timing struct {
	calls  map[string]*callStat
	server func() float64
}

type callStat struct {
	n, items       int
	d              time.Duration
	client, server float64
}

type callStart struct {
	at             time.Time
	client, server float64
}

func newTiming(server func() float64) *timing {
	return &timing{calls: map[string]*callStat{}, server: server}
}

func (t *timing) reset() { clear(t.calls) }

func (t *timing) begin() callStart {
	return callStart{at: time.Now(), client: selfCPU(), server: t.server()}
}

// done records a call begun at b that handled items rows.
func (t *timing) done(name string, b callStart, items int) {
	d := time.Since(b.at)
	client, server := selfCPU()-b.client, t.server()-b.server
	s := t.calls[name]
	if s == nil {
		s = &callStat{}
		t.calls[name] = s
	}
	s.n++
	s.items += items
	s.d += d
	s.client += client
	s.server += server
}

func (t *timing) print(w io.Writer, r result) {
	names := make([]string, 0, len(t.calls))
	for n := range t.calls {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool { return t.calls[names[i]].d > t.calls[names[j]].d })
	var sum callStat
	fmt.Fprintf(w, "      %-28s %6s %8s %8s %6s %9s %9s %9s\n", "repository call", "calls", "rows", "wall s", "wall%", "µs/call", "client s", "server s")
	for _, n := range names {
		s := t.calls[n]
		sum.d += s.d
		sum.client += s.client
		sum.server += s.server
		fmt.Fprintf(w, "      %-28s %6d %8d %8.2f %5.1f%% %9.0f %9.2f %9.2f\n",
			n, s.n, s.items, s.d.Seconds(), 100*s.d.Seconds()/r.Seconds, float64(s.d.Microseconds())/float64(s.n), s.client, s.server)
	}
	fmt.Fprintf(w, "      %-28s %6s %8s %8.2f %5.1f%% %9s %9.2f %9.2f\n", "all repository calls", "", "", sum.d.Seconds(),
		100*sum.d.Seconds()/r.Seconds, "", sum.client, sum.server)
	fmt.Fprintf(w, "      %-28s %6s %8s %8.2f %5.1f%% %9s %9.2f %9.2f\n", "outside them (CSV, rules, tx)", "", "",
		r.Seconds-sum.d.Seconds(), 100*(1-sum.d.Seconds()/r.Seconds), "", r.ClientCPU-sum.client, r.ServerCPU-sum.server)
}

// The timing decorators. The user repository's optional batch interfaces
// are passed on only when the store has them, so that the import takes the
// same path as without -trace.

type tUsers struct {
	customeruser.UserRepository
	t *timing
}

func (t *timing) users(u customeruser.UserRepository) customeruser.UserRepository {
	base := tUsers{u, t}
	_, bw := u.(customeruser.BatchUserWriter)
	_, br := u.(customeruser.BatchUserReader)
	_, bu := u.(customeruser.BatchUserUpdater)
	switch {
	case bw && br && bu:
		return tUsersWRU{tUsersWR{tUsersW{base}}}
	case bw && br:
		return tUsersWR{tUsersW{base}}
	case bw:
		return tUsersW{base}
	case br:
		return tUsersR{base}
	}
	return base
}

func (u tUsers) Get(ctx context.Context, org, id uuid.UUID) (customeruser.User, error) {
	defer u.t.done("Users.Get", u.t.begin(), 1)
	return u.UserRepository.Get(ctx, org, id)
}

func (u tUsers) GetByEmailKey(ctx context.Context, org uuid.UUID, key string) (customeruser.User, error) {
	defer u.t.done("Users.GetByEmailKey", u.t.begin(), 1)
	return u.UserRepository.GetByEmailKey(ctx, org, key)
}

func (u tUsers) List(ctx context.Context, org uuid.UUID, f customeruser.UserFilter, p cu.Page) (cu.PageOf[customeruser.User], error) {
	defer u.t.done("Users.List", u.t.begin(), len(f.IDs))
	return u.UserRepository.List(ctx, org, f, p)
}

func (u tUsers) Create(ctx context.Context, x customeruser.User) error {
	defer u.t.done("Users.Create", u.t.begin(), 1)
	return u.UserRepository.Create(ctx, x)
}

type tUsersW struct{ tUsers }

func (u tUsersW) CreateMany(ctx context.Context, users []customeruser.User) error {
	defer u.t.done("Users.CreateMany", u.t.begin(), len(users))
	return u.UserRepository.(customeruser.BatchUserWriter).CreateMany(ctx, users)
}

type tUsersR struct{ tUsers }

func (u tUsersR) GetManyByEmailKeys(ctx context.Context, org uuid.UUID, keys []string) ([]customeruser.User, error) {
	defer u.t.done("Users.GetManyByEmailKeys", u.t.begin(), len(keys))
	return u.UserRepository.(customeruser.BatchUserReader).GetManyByEmailKeys(ctx, org, keys)
}

type tUsersWR struct{ tUsersW }

func (u tUsersWR) GetManyByEmailKeys(ctx context.Context, org uuid.UUID, keys []string) ([]customeruser.User, error) {
	return tUsersR(u.tUsersW).GetManyByEmailKeys(ctx, org, keys)
}

type tUsersWRU struct{ tUsersWR }

func (u tUsersWRU) UpdateMany(ctx context.Context, users []customeruser.User, expectedVersions []int64) error {
	defer u.t.done("Users.UpdateMany", u.t.begin(), len(users))
	return u.UserRepository.(customeruser.BatchUserUpdater).UpdateMany(ctx, users, expectedVersions)
}

type tCustomers struct {
	customeruser.CustomerRepository
	t *timing
}

func (c tCustomers) GetMany(ctx context.Context, org uuid.UUID, ids []uuid.UUID) ([]customeruser.Customer, error) {
	defer c.t.done("Customers.GetMany", c.t.begin(), len(ids))
	return c.CustomerRepository.GetMany(ctx, org, ids)
}

type tRoles struct {
	role.Repository
	t *timing
}

func (r tRoles) GetByCode(ctx context.Context, org uuid.UUID, code string) (role.Role, error) {
	defer r.t.done("Roles.GetByCode", r.t.begin(), 1)
	return r.Repository.GetByCode(ctx, org, code)
}

func (r tRoles) GetMany(ctx context.Context, org uuid.UUID, ids []uuid.UUID) ([]role.Role, error) {
	defer r.t.done("Roles.GetMany", r.t.begin(), len(ids))
	return r.Repository.GetMany(ctx, org, ids)
}

type tEvents struct {
	cu.EventLog
	t *timing
}

func (e tEvents) Append(ctx context.Context, events ...cu.Event) error {
	defer e.t.done("Events.Append", e.t.begin(), len(events))
	return e.EventLog.Append(ctx, events...)
}
