package postgres

import (
	"cmp"
	"context"
	"encoding/json"
	"slices"
	"time"

	"github.com/google/uuid"

	cu "github.com/b2bkit/customerusers"
)

// Outbox returns the delivery state of the event log, for a
// cu.Dispatcher. It covers the events of every organization, in the order
// they were appended; several dispatchers (in one process or many) may
// claim from it at once.
func (s *Store) Outbox() cu.Outbox { return outboxRepo{s: s} }

// OutboxOf returns the outbox of one organization's events only: for a
// dispatcher per tenant, or for tests that share a schema between
// organizations. Its Mark methods refuse (not found) the events of other
// organizations.
func (s *Store) OutboxOf(org uuid.UUID) cu.Outbox { return outboxRepo{s: s, org: org} }

// outboxRepo keeps the delivery state in the columns of the events table
// (delivery, attempts, due_at, claim_id, claimed_until, last_error): an
// event and its pending delivery are one row, written by the Append of its
// transaction, so a rolled-back change never reaches the outbox.
type outboxRepo struct {
	s *Store
	// org restricts the outbox to one organization, uuid.Nil for all.
	org uuid.UUID
}

// The claim statements. One UPDATE takes the oldest claimable events: the
// inner SELECT locks them with FOR UPDATE SKIP LOCKED, so that concurrent
// claims pass over rows another claim is taking instead of waiting for it
// (or taking them too), and ARRAY(...) makes it run exactly once. Each
// claimed row gets a fresh claim id, its lease and one more attempt.
const (
	claimColumns = `seq, id, organization_id, type, subject_type, subject_id, actor_kind, actor_id, occurred_at, payload,
		claim_id, claimed_until, attempts, last_error`
	claimableSQL = `delivery = 'pending' AND (due_at IS NULL OR due_at <= $1)
		AND (claimed_until IS NULL OR claimed_until <= $1)`
	claimSQL = `UPDATE events SET claim_id = gen_random_uuid(), claimed_until = $2, attempts = attempts + 1
		WHERE seq = ANY (ARRAY(SELECT seq FROM events WHERE ` + claimableSQL + `
			ORDER BY seq LIMIT $3 FOR UPDATE SKIP LOCKED))
		RETURNING ` + claimColumns
	claimOrgSQL = `UPDATE events SET claim_id = gen_random_uuid(), claimed_until = $2, attempts = attempts + 1
		WHERE seq = ANY (ARRAY(SELECT seq FROM events WHERE organization_id = $4 AND ` + claimableSQL + `
			ORDER BY seq LIMIT $3 FOR UPDATE SKIP LOCKED))
		RETURNING ` + claimColumns
)

// claimRow is an event row as a claim returns it.
type claimRow struct {
	eventRow
	ClaimID      uuid.UUID `bun:"claim_id"`
	ClaimedUntil time.Time `bun:"claimed_until"`
	Attempts     int       `bun:"attempts"`
	LastError    string    `bun:"last_error"`
}

func (r outboxRepo) Claim(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]cu.Delivery, error) {
	var v cu.Violations
	if lease <= 0 {
		v.Add("lease", "min", "The lease must be positive.")
	}
	if limit <= 0 {
		v.Add("limit", "min", "The limit must be positive.")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	var rows []claimRow
	var err error
	if r.org == uuid.Nil {
		err = r.s.fixedRows(ctx, &rows, claimSQL, now, now.Add(lease), limit)
	} else {
		err = r.s.fixedRows(ctx, &rows, claimOrgSQL, now, now.Add(lease), limit, r.org)
	}
	if err != nil {
		return nil, mapErr(err)
	}
	// RETURNING follows no order: the oldest event comes first.
	slices.SortFunc(rows, func(a, b claimRow) int { return cmp.Compare(a.Seq, b.Seq) })
	out := make([]cu.Delivery, len(rows))
	for i, x := range rows {
		out[i] = cu.Delivery{Event: x.event(), ClaimID: x.ClaimID, ClaimedUntil: x.ClaimedUntil.UTC(),
			Attempt: x.Attempts, LastError: x.LastError}
	}
	return out, nil
}

// The fixed statements of the marks: each applies to the event only while
// d's claim is its latest one and it is pending, and releases the claim.
// The second column tells a stale claim (the event exists) from an
// unknown event.
const (
	markDeliveredSQL = `WITH u AS (UPDATE events SET delivery = 'delivered', claim_id = NULL, claimed_until = NULL
		WHERE id = $1 AND delivery = 'pending' AND claim_id = $2 AND ($3::uuid IS NULL OR organization_id = $3) RETURNING 1)
		SELECT EXISTS (SELECT 1 FROM u), EXISTS (SELECT 1 FROM events WHERE id = $1 AND ($3::uuid IS NULL OR organization_id = $3))`
	markFailedSQL = `WITH u AS (UPDATE events SET due_at = $4, last_error = $5, claim_id = NULL, claimed_until = NULL
		WHERE id = $1 AND delivery = 'pending' AND claim_id = $2 AND ($3::uuid IS NULL OR organization_id = $3) RETURNING 1)
		SELECT EXISTS (SELECT 1 FROM u), EXISTS (SELECT 1 FROM events WHERE id = $1 AND ($3::uuid IS NULL OR organization_id = $3))`
	markDeadSQL = `WITH u AS (UPDATE events SET delivery = 'dead', last_error = $4, claim_id = NULL, claimed_until = NULL
		WHERE id = $1 AND delivery = 'pending' AND claim_id = $2 AND ($3::uuid IS NULL OR organization_id = $3) RETURNING 1)
		SELECT EXISTS (SELECT 1 FROM u), EXISTS (SELECT 1 FROM events WHERE id = $1 AND ($3::uuid IS NULL OR organization_id = $3))`
)

func (r outboxRepo) MarkDelivered(ctx context.Context, d cu.Delivery) error {
	return r.mark(ctx, markDeliveredSQL, d)
}

func (r outboxRepo) MarkFailed(ctx context.Context, d cu.Delivery, retryAt time.Time, reason string) error {
	return r.mark(ctx, markFailedSQL, d, retryAt, reason)
}

func (r outboxRepo) MarkDead(ctx context.Context, d cu.Delivery, reason string) error {
	return r.mark(ctx, markDeadSQL, d, reason)
}

func (r outboxRepo) mark(ctx context.Context, query string, d cu.Delivery, extra ...any) error {
	var updated, found bool
	args := append([]any{d.Event.ID, nullID(d.ClaimID), nullID(r.org)}, extra...)
	if _, err := r.s.fixedRow(ctx, []any{&updated, &found}, query, args...); err != nil {
		return mapErr(err)
	}
	switch {
	case updated:
		return nil
	case found:
		return cu.Stale("outbox event")
	default:
		return cu.NotFound("outbox event")
	}
}

// redactedPayload replaces the payloads of redacted events.
var redactedPayload = json.RawMessage(`{"redacted":true}`)

// RedactSubject replaces the payload of every event of the subject that
// has one with {"redacted":true} (GDPR erasure: the events stay, their
// personal data goes), in one statement on the subject index. It
// implements consent.EventRedactor.
func (r eventRepo) RedactSubject(ctx context.Context, org uuid.UUID, subjectType string, subjectID uuid.UUID) error {
	_, err := r.s.fixedExec(ctx, `UPDATE events SET payload = $1::jsonb
		WHERE organization_id = $2 AND subject_type = $3 AND subject_id = $4 AND payload IS NOT NULL AND payload <> $1::jsonb`,
		string(redactedPayload), org, subjectType, subjectID)
	return mapErr(err)
}
