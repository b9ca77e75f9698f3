package postgres

import (
	"context"
	"database/sql"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	cu "github.com/b2bkit/customerusers"
	"github.com/b2bkit/customerusers/customeruser"
)

type tokenRepo struct{ s *Store }

// tokenRow is a row of one_time_tokens.
type tokenRow struct {
	Digest         []byte    `bun:"digest"`
	OrganizationID uuid.UUID `bun:"organization_id"`
	UserID         uuid.UUID `bun:"user_id"`
	Purpose        string    `bun:"purpose"`
	CreatedAt      time.Time `bun:"created_at"`
	ExpiresAt      time.Time `bun:"expires_at"`
}

func (r tokenRepo) Create(ctx context.Context, t customeruser.Token) error {
	_, err := r.s.fixedExec(ctx, `INSERT INTO one_time_tokens (digest, organization_id, user_id, purpose, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6)`, t.Hash, t.OrganizationID, t.UserID, string(t.Purpose), t.CreatedAt, t.ExpiresAt)
	return mapErr(err)
}

// Consume deletes and returns the token in one statement: of two
// concurrent calls, the second waits for the first and then finds no row.
// The digest is looked up by equality in the primary key; it is the
// SHA-256 of a 256-bit random secret, so the comparison leaks nothing
// usable about other secrets.
func (r tokenRepo) Consume(ctx context.Context, org uuid.UUID, purpose customeruser.TokenPurpose, hash []byte) (customeruser.Token, error) {
	var row tokenRow
	found, err := r.s.fixedRow(ctx, []any{&row}, `DELETE FROM one_time_tokens
		WHERE digest = $1 AND organization_id = $2 AND purpose = $3
		RETURNING digest, organization_id, user_id, purpose, created_at, expires_at`, hash, org, string(purpose))
	if err != nil {
		return customeruser.Token{}, mapErr(err)
	}
	if !found {
		return customeruser.Token{}, cu.NotFound("token")
	}
	return customeruser.Token{
		Hash: row.Digest, OrganizationID: row.OrganizationID, UserID: row.UserID, Purpose: customeruser.TokenPurpose(row.Purpose),
		CreatedAt: row.CreatedAt.UTC(), ExpiresAt: row.ExpiresAt.UTC(),
	}, nil
}

func (r tokenRepo) DeleteForUser(ctx context.Context, org, userID uuid.UUID, purposes ...customeruser.TokenPurpose) error {
	var q query
	q.where("organization_id = ?", org)
	q.where("user_id = ?", userID)
	if len(purposes) > 0 {
		ps := make([]string, len(purposes))
		for i, p := range purposes {
			ps[i] = string(p)
		}
		q.where("purpose IN (?)", bun.In(ps))
	}
	_, err := r.s.idb(ctx).NewRaw("DELETE FROM one_time_tokens"+q.whereSQL(), q.args...).Exec(ctx)
	return mapErr(err)
}

type attemptRepo struct{ s *Store }

// attemptRow is a row of login_attempts.
type attemptRow struct {
	ID             uuid.UUID `bun:"id"`
	OrganizationID uuid.UUID `bun:"organization_id"`
	UserID         uuid.UUID `bun:"user_id"`
	Email          string    `bun:"email"`
	At             time.Time `bun:"at"`
	Success        bool      `bun:"success"`
	Reason         string    `bun:"reason"`
	Source         string    `bun:"source"`
	IP             string    `bun:"ip"`
	UserAgent      string    `bun:"user_agent"`
}

func (r attemptRepo) Record(ctx context.Context, a customeruser.LoginAttempt) error {
	_, err := r.s.fixedExec(ctx, `INSERT INTO login_attempts (id, organization_id, user_id, email, at, success, reason,
		source, ip, user_agent) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		a.ID, a.OrganizationID, a.UserID, a.Email, a.At, a.Success, a.Reason, a.Source, a.IP, a.UserAgent)
	return mapErr(err)
}

// Failures counts failures after since and after the latest success, with
// two look-ups in the (organization, user, time) index.
func (r attemptRepo) Failures(ctx context.Context, org, userID uuid.UUID, since time.Time) (int, time.Time, error) {
	var n int
	var last sql.NullTime
	_, err := r.s.fixedRow(ctx, []any{&n, &last}, `SELECT count(*), max(a.at) FROM login_attempts a
		WHERE a.organization_id = $1 AND a.user_id = $2 AND a.at > $3 AND NOT a.success AND a.reason <> $4
			AND a.at > coalesce((SELECT max(s.at) FROM login_attempts s
				WHERE s.organization_id = $1 AND s.user_id = $2 AND s.at > $3 AND s.success), '-infinity')`,
		org, userID, since, customeruser.ReasonThrottled)
	if err != nil {
		return 0, time.Time{}, mapErr(err)
	}
	if !last.Valid {
		return n, time.Time{}, nil
	}
	return n, last.Time.UTC(), nil
}

// List pages a user's attempts newest first (ties by id, descending).
func (r attemptRepo) List(ctx context.Context, org, userID uuid.UUID, p cu.Page) (cu.PageOf[customeruser.LoginAttempt], error) {
	var none cu.PageOf[customeruser.LoginAttempt]
	pg, err := readPage(p)
	if err != nil {
		return none, err
	}
	k := sortKey{expr: "at", idExpr: "id", kind: timeKeyKind, desc: true}
	var q query
	q.where("organization_id = ?", org)
	q.where("user_id = ?", userID)
	if err := q.seek(k, pg.cursor); err != nil {
		return none, err
	}
	var rows []attemptRow
	err = r.s.fixedRows(ctx, &rows, dollar(`SELECT id, organization_id, user_id, email, at, success, reason, source, ip,
		user_agent FROM login_attempts`+q.whereSQL()+k.orderSQL(pg.limit)), q.args...)
	if err != nil {
		return none, mapErr(err)
	}
	return cut(rows, pg, func(x attemptRow) string { return timeKey(x.At) }, func(x attemptRow) uuid.UUID { return x.ID },
		func(x attemptRow) (customeruser.LoginAttempt, error) {
			return customeruser.LoginAttempt{
				ID: x.ID, OrganizationID: x.OrganizationID, UserID: x.UserID, Email: x.Email, At: x.At.UTC(),
				Success: x.Success, Reason: x.Reason, Source: x.Source, IP: x.IP, UserAgent: x.UserAgent,
			}, nil
		})
}

// EraseForUser blanks the e-mail, IP address and user agent of the user's
// login attempts, and of the attempts that matched no user but were made
// with the user's current e-mail (compared case-insensitively): the facts
// (time, outcome, reason, source) stay for the security log, nothing in
// them names the person any more. Call it before the user's e-mail is
// erased. It implements consent.AttemptEraser.
func (r attemptRepo) EraseForUser(ctx context.Context, org, userID uuid.UUID) error {
	_, err := r.s.fixedExec(ctx, `UPDATE login_attempts a SET email = '', ip = '', user_agent = ''
		WHERE a.organization_id = $1
			AND (a.user_id = $2 OR (a.user_id = $3 AND a.email <> '' AND lower(a.email) =
				(SELECT lower(u.email) FROM customer_users u WHERE u.organization_id = $1 AND u.id = $2)))
			AND (a.email <> '' OR a.ip <> '' OR a.user_agent <> '')`, org, userID, uuid.Nil)
	return mapErr(err)
}
