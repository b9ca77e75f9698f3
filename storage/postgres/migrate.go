package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/migrate"
)

// migrationFiles are the schema migrations, run in name order by
// bun/migrate. A file NNNNNNNNNNNNNN_name.tx.up.sql runs in a transaction;
// each must be idempotent (IF NOT EXISTS), since it is marked applied only
// after it succeeded. Later packages add their tables as new files; an
// applied file is never edited.
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

// The bookkeeping tables of bun/migrate, named after the library so that
// they never mix with a host's own bun migrations in the same schema.
const (
	migrationsTable     = "customerusers_migrations"
	migrationLocksTable = "customerusers_migration_locks"
)

// MigrationFiles returns the SQL migration files (NNN_name.tx.up.sql and
// .tx.down.sql), for hosts that run migrations with their own tool instead
// of Migrate.
func MigrationFiles() fs.FS {
	sub, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		panic(err) // cannot happen: the directory is embedded
	}
	return sub
}

// Migrate brings the schema of db up to date: it creates the library's
// tables and indexes in the first schema of the connection's search_path
// (and the pg_trgm extension if missing), running only the migrations not
// applied yet, so a second run does nothing. Concurrent Migrate calls on
// the same schema (several instances starting at once) wait for each other
// through an advisory lock. The role needs the CREATE privilege on the
// schema (and on the database for the extension, which PostgreSQL 13+
// lets a database owner install).
func Migrate(ctx context.Context, db *bun.DB) (err error) {
	migrations := migrate.NewMigrations()
	if err := migrations.Discover(MigrationFiles()); err != nil {
		return fmt.Errorf("postgres: migrations: %w", err)
	}
	// The lock lives on one connection for the whole run; the migrator
	// itself uses the pool.
	conn, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("postgres: migrate: %w", err)
	}
	defer func() { err = errors.Join(err, conn.Close()) }()
	const lockKey = "hashtextextended('github.com/b2bkit/customerusers migrate ' || current_schema(), 0)"
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock("+lockKey+")"); err != nil {
		return fmt.Errorf("postgres: migrate lock: %w", err)
	}
	defer func() {
		_, uerr := conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock("+lockKey+")")
		err = errors.Join(err, uerr)
	}()
	m := migrate.NewMigrator(db, migrations,
		migrate.WithTableName(migrationsTable),
		migrate.WithLocksTableName(migrationLocksTable),
		migrate.WithMarkAppliedOnSuccess(true))
	if err := m.Init(ctx); err != nil {
		return fmt.Errorf("postgres: migrate init: %w", err)
	}
	if _, err := m.Migrate(ctx); err != nil {
		return fmt.Errorf("postgres: migrate: %w", err)
	}
	return nil
}
