package postgres

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/uptrace/bun"

	cu "github.com/b2bkit/customerusers"
	"github.com/b2bkit/customerusers/customeruser"
	"github.com/b2bkit/customerusers/role"
)

// Store holds the repositories of the library on one Bun database. It is
// safe for concurrent use and keeps no state besides the database handle.
//
// Dynamic queries (lists with their filters) are built with Bun and sent
// as text. The fixed statements of the hot paths (reads by id or e-mail,
// the subtree, creating and updating users, consuming tokens, login
// attempts) are sent with their arguments apart; on the pgx driver they
// are prepared and cached per connection (pgx's statement cache), so
// PostgreSQL parses and plans them once per connection instead of on every
// call, which costs more than running them (see BENCHMARKS.md).
// WithoutPreparedStatements turns the cache off, for a connection pooler
// in transaction mode that does not support prepared statements.
type Store struct {
	db *bun.DB
	// cacheStmts: the fixed statements use pgx's statement cache.
	cacheStmts bool
}

// StoreOption configures New.
type StoreOption func(*storeConfig)

type storeConfig struct{ noPrepare bool }

// WithoutPreparedStatements sends every statement without preparing it
// (for PgBouncer in transaction mode before version 1.21, say).
func WithoutPreparedStatements() StoreOption {
	return func(c *storeConfig) { c.noPrepare = true }
}

// New returns a Store on db, a Bun database with the PostgreSQL dialect
// (see Open) whose schema is up to date (see Migrate).
func New(db *bun.DB, opts ...StoreOption) *Store {
	var cfg storeConfig
	for _, o := range opts {
		o(&cfg)
	}
	_, isPGX := db.DB.Driver().(*stdlib.Driver)
	return &Store{db: db, cacheStmts: isPGX && !cfg.noPrepare}
}

// DB returns the database the store works on.
func (s *Store) DB() *bun.DB { return s.db }

// Roles returns the role repository.
func (s *Store) Roles() role.Repository { return roleRepo{s} }

// Customers returns the customer repository; it also answers role.Hierarchy.
func (s *Store) Customers() CustomerRepository { return customerRepo{s} }

// Users returns the customer-user repository; it also answers role.Holders.
func (s *Store) Users() customeruser.UserRepository { return userRepo{s} }

// Tokens returns the one-time token repository.
func (s *Store) Tokens() customeruser.TokenRepository { return tokenRepo{s} }

// LoginAttempts returns the login attempt repository.
func (s *Store) LoginAttempts() customeruser.LoginAttemptRepository { return attemptRepo{s} }

// Events returns the event log.
func (s *Store) Events() cu.EventLog { return eventRepo{s} }

// CustomerRepository is the customer repository of the store, which is
// also the customer hierarchy used by role.Authorizer.
type CustomerRepository interface {
	customeruser.CustomerRepository
	role.Hierarchy
}

// txKey is the context key of the open transaction.
type txKey struct{}

// txState is the transaction a context carries, with the database it
// belongs to (a Store on another database must not use it).
type txState struct {
	db *bun.DB
	tx bun.Tx
}

func (s *Store) txFrom(ctx context.Context) *txState {
	t, _ := ctx.Value(txKey{}).(*txState)
	if t != nil && t.db == s.db {
		return t
	}
	return nil
}

// InTx runs fn in a transaction (READ COMMITTED) whose bun.Tx travels in
// the context given to fn: every repository of every Store on the same
// database uses it when called with that context. A nested InTx joins the
// outer transaction. When fn returns an error or panics, everything rolls
// back; the error (or panic) is passed on unchanged. A failed commit is
// returned as a cu error (conflict for a serialization failure).
//
// As in every PostgreSQL transaction, a statement that fails (a unique
// violation, say) aborts the transaction: the caller must return the
// error, as the domain services do, rather than go on in the same
// transaction.
func (s *Store) InTx(ctx context.Context, fn func(ctx context.Context) error) error {
	if s.txFrom(ctx) != nil {
		return fn(ctx)
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return mapErr(err)
	}
	done := false
	defer func() {
		if !done {
			_ = tx.Rollback()
		}
	}()
	if err := fn(context.WithValue(ctx, txKey{}, &txState{db: s.db, tx: tx})); err != nil {
		return err
	}
	done = true
	if err := tx.Commit(); err != nil {
		return mapErr(err)
	}
	return nil
}

// idb returns the transaction of ctx, or the database.
func (s *Store) idb(ctx context.Context) bun.IDB {
	if t := s.txFrom(ctx); t != nil {
		return t.tx
	}
	return s.db
}

// inTx runs fn with the transaction of ctx, or in a transaction of its
// own, for repository methods of several statements.
func (s *Store) inTx(ctx context.Context, fn func(db bun.IDB) error) error {
	if t := s.txFrom(ctx); t != nil {
		return fn(t.tx)
	}
	return s.InTx(ctx, func(ctx context.Context) error { return fn(s.txFrom(ctx).tx) })
}

// scanOne runs a query returning one row and scans it into dest (a model
// or values); no row is reported as found == false.
func scanOne(ctx context.Context, db bun.IDB, dest []any, query string, args ...any) (found bool, err error) {
	err = db.NewRaw(query, args...).Scan(ctx, dest...)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

// now is the time the repositories stamp on rows they change on their own
// (Holders.Unassign and Replace bump UpdatedAt).
func now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// conn is the database/sql handle of ctx: its transaction, or the pool.
type conn interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

func (s *Store) conn(ctx context.Context) conn {
	if t := s.txFrom(ctx); t != nil {
		return t.tx.Tx
	}
	return s.db.DB
}

// fixedArgs puts pgx's cached-statement mode before the arguments when
// the store uses it.
func (s *Store) fixedArgs(args []any) []any {
	if !s.cacheStmts {
		return args
	}
	return append([]any{pgx.QueryExecModeCacheStatement}, args...)
}

// replannedArgs is fixedArgs for a statement that must be planned at each
// call, with its arguments' values and the tables' current sizes: the
// batch writes, whose tables may grow by thousands of rows between two
// calls on one connection (an import's own uncommitted rows never trigger
// autoanalyze), so a plan cached while a table was small would keep
// scanning it. pgx then sends it as an unnamed statement, in one round trip
// with its description cached.
func (s *Store) replannedArgs(args []any) []any {
	if !s.cacheStmts {
		return args
	}
	return append([]any{pgx.QueryExecModeCacheDescribe}, args...)
}

// fixedQuery runs a fixed statement (PostgreSQL $n placeholders, its
// arguments passed apart) in the transaction of ctx, if any.
func (s *Store) fixedQuery(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return s.conn(ctx).QueryContext(ctx, query, s.fixedArgs(args)...)
}

// fixedExec runs a fixed statement that returns no rows.
func (s *Store) fixedExec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return s.conn(ctx).ExecContext(ctx, query, s.fixedArgs(args)...)
}

// fixedRow runs a fixed statement and scans its first row into dest (a
// Bun model or values); no row is found == false.
func (s *Store) fixedRow(ctx context.Context, dest []any, query string, args ...any) (found bool, err error) {
	return s.scanFirst(ctx, dest, query, s.fixedArgs(args))
}

// replannedRow is fixedRow for a statement planned at each call (see
// replannedArgs).
func (s *Store) replannedRow(ctx context.Context, dest []any, query string, args ...any) (found bool, err error) {
	return s.scanFirst(ctx, dest, query, s.replannedArgs(args))
}

// scanFirst runs query with args (their execution mode first, if any) and
// scans its first row into dest.
func (s *Store) scanFirst(ctx context.Context, dest []any, query string, args []any) (found bool, err error) {
	rows, err := s.conn(ctx).QueryContext(ctx, query, args...)
	if err != nil {
		return false, err
	}
	defer func() { err = errors.Join(err, rows.Close()) }()
	if !rows.Next() {
		return false, rows.Err()
	}
	if err := s.db.ScanRow(ctx, rows, dest...); err != nil {
		return false, err
	}
	for rows.Next() {
	}
	return true, rows.Err()
}

// fixedRows runs a fixed statement and scans every row into dest (a
// pointer to a slice of models or values).
func (s *Store) fixedRows(ctx context.Context, dest any, query string, args ...any) error {
	rows, err := s.fixedQuery(ctx, query, args...)
	if err != nil {
		return err
	}
	return s.db.ScanRows(ctx, rows, dest)
}

// dollar rewrites Bun's ? placeholders into PostgreSQL's $1, $2...: the
// fixed statements are written once with ? and built with their
// arguments in order. They contain no other question mark.
func dollar(query string) string {
	var b strings.Builder
	b.Grow(len(query) + 16)
	n := 0
	for {
		i := strings.IndexByte(query, '?')
		if i < 0 {
			b.WriteString(query)
			return b.String()
		}
		n++
		b.WriteString(query[:i])
		b.WriteString("$" + strconv.Itoa(n))
		query = query[i+1:]
	}
}
