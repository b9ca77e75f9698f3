package postgres

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"regexp"
	"runtime"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
	"github.com/uptrace/bun/driver/pgdriver"
)

// Driver names the database/sql driver under Bun.
type Driver string

// The drivers Open supports. DriverPGX is the default: see BENCHMARKS.md for
// the measurement behind the choice.
const (
	// DriverPGX is github.com/jackc/pgx/v5 through its database/sql
	// adapter (stdlib), in simple-protocol mode because Bun formats the
	// arguments into the query text itself.
	DriverPGX Driver = "pgx"
	// DriverPGDriver is Bun's own github.com/uptrace/bun/driver/pgdriver.
	DriverPGDriver Driver = "pgdriver"
)

// Option configures Open.
type Option func(*openConfig)

type openConfig struct {
	driver     Driver
	maxConns   int
	searchPath string
}

// WithDriver selects the driver (default DriverPGX).
func WithDriver(d Driver) Option { return func(c *openConfig) { c.driver = d } }

// WithMaxConns bounds the pool (default 4 × GOMAXPROCS, at least 4). Idle
// connections are kept up to the same number, so that a busy pool does not
// reconnect.
func WithMaxConns(n int) Option { return func(c *openConfig) { c.maxConns = n } }

// WithSearchPath sets the search_path of every connection: a
// comma-separated list of plain schema names, for instance
// "customerusers, public" to keep the library's tables in a schema of
// their own (which must exist; Migrate creates the tables in the first
// one). pg_trgm's operator classes must be reachable too, hence the
// schema the extension lives in (public by default).
func WithSearchPath(path string) Option { return func(c *openConfig) { c.searchPath = path } }

// Open connects to PostgreSQL and returns a Bun database with the
// PostgreSQL dialect, after checking that the server answers. dsn is a
// postgres:// URL (key=value strings work with DriverPGX only). Close the
// returned DB when done.
func Open(ctx context.Context, dsn string, opts ...Option) (*bun.DB, error) {
	cfg := openConfig{driver: DriverPGX, maxConns: max(4, 4*runtime.GOMAXPROCS(0))}
	for _, o := range opts {
		o(&cfg)
	}
	var sqldb *sql.DB
	switch cfg.driver {
	case DriverPGX:
		pc, err := pgx.ParseConfig(dsn)
		if err != nil {
			return nil, fmt.Errorf("postgres: parse dsn: %w", err)
		}
		// Bun interpolates arguments into the SQL text, so its queries
		// reach the driver without parameters: pgx's default mode would
		// prepare (and cache) each distinct text. The Store asks for the
		// statement cache explicitly for its fixed statements.
		pc.DefaultQueryExecMode = pgx.QueryExecModeSimpleProtocol
		if cfg.searchPath != "" {
			if _, err := setSearchPath(cfg.searchPath); err != nil {
				return nil, err
			}
			pc.RuntimeParams["search_path"] = cfg.searchPath
		}
		sqldb = stdlib.OpenDB(*pc)
	case DriverPGDriver:
		// No driver-level read or write timeout (pgdriver's default would
		// cut a statement waiting 10 s for a lock): contexts bound calls.
		var conn driver.Connector = pgdriver.NewConnector(
			pgdriver.WithReadTimeout(0), pgdriver.WithWriteTimeout(0), pgdriver.WithDSN(dsn))
		if cfg.searchPath != "" {
			// pgdriver sets connection parameters with a quoted value,
			// which makes a list one schema name: set it as SQL.
			set, err := setSearchPath(cfg.searchPath)
			if err != nil {
				return nil, err
			}
			conn = sessionConnector{Connector: conn, init: set}
		}
		sqldb = sql.OpenDB(conn)
	default:
		return nil, fmt.Errorf("postgres: unknown driver %q", cfg.driver)
	}
	sqldb.SetMaxOpenConns(cfg.maxConns)
	sqldb.SetMaxIdleConns(cfg.maxConns)
	db := bun.NewDB(sqldb, pgdialect.New())
	if err := db.PingContext(ctx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("postgres: %w", err)
	}
	return db, nil
}

// identRE matches a plain SQL identifier.
var identRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_$]*$`)

// setSearchPath renders SET search_path for a comma-separated list of
// schema names.
func setSearchPath(path string) (string, error) {
	var names []string
	for name := range strings.SplitSeq(path, ",") {
		name = strings.TrimSpace(name)
		if !identRE.MatchString(name) {
			return "", fmt.Errorf("postgres: search path %q: %q is not a plain schema name", path, name)
		}
		names = append(names, `"`+name+`"`)
	}
	return "SET search_path TO " + strings.Join(names, ", "), nil
}

// sessionConnector runs a statement on every new connection.
type sessionConnector struct {
	driver.Connector
	init string
}

func (c sessionConnector) Connect(ctx context.Context) (driver.Conn, error) {
	cn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	ex, ok := cn.(driver.ExecerContext)
	if !ok {
		_ = cn.Close()
		return nil, fmt.Errorf("postgres: the driver cannot execute %q", c.init)
	}
	if _, err := ex.ExecContext(ctx, c.init, nil); err != nil {
		_ = cn.Close()
		return nil, err
	}
	return cn, nil
}
