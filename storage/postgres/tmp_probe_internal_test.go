package postgres

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"
)

func BenchmarkProbeGet(b *testing.B) {
	w := benchSetup(b)
	ctx := context.Background()
	sql := "SELECT " + userColumns + " FROM customer_users u WHERE u.organization_id = $1 AND u.id = $2"
	for _, m := range []pgx.QueryExecMode{pgx.QueryExecModeSimpleProtocol, pgx.QueryExecModeExec, pgx.QueryExecModeCacheStatement} {
		b.Run(m.String(), func(b *testing.B) {
			parallel4(b, func(i int64) error {
				_, _, err := rawUser(w.pool.QueryRow(ctx, sql, m, w.org, w.sample[int(i)%len(w.sample)]), false)
				return err
			})
		})
	}
	b.Run("bun-scan-only-simple", func(b *testing.B) {
		// bun formatting + pgx stdlib simple protocol, scanning with database/sql directly
		parallel4(b, func(i int64) error {
			q := w.bunPGX.QueryGen().FormatQuery("SELECT "+userColumns+" FROM customer_users u WHERE u.organization_id = ? AND u.id = ?", w.org, w.sample[int(i)%len(w.sample)])
			var row userRow
			return w.bunPGX.NewRaw(q).Scan(ctx, &row)
		})
	})
}
