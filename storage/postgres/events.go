package postgres

import (
	"bytes"
	"context"
	"encoding/json"
	"strconv"
	"time"

	"github.com/google/uuid"

	cu "github.com/b2bkit/customerusers"
)

type eventRepo struct{ s *Store }

// eventRow is a row of events.
type eventRow struct {
	Seq            int64     `bun:"seq"`
	ID             uuid.UUID `bun:"id"`
	OrganizationID uuid.UUID `bun:"organization_id"`
	Type           string    `bun:"type"`
	SubjectType    string    `bun:"subject_type"`
	SubjectID      uuid.UUID `bun:"subject_id"`
	ActorKind      string    `bun:"actor_kind"`
	ActorID        uuid.UUID `bun:"actor_id"`
	OccurredAt     time.Time `bun:"occurred_at"`
	Payload        []byte    `bun:"payload"`
}

// Append inserts the events in one statement, in the order given (their
// seq follows it). The statement of n events is prepared once per
// connection, like the other fixed statements.
func (r eventRepo) Append(ctx context.Context, events ...cu.Event) error {
	if len(events) == 0 {
		return nil
	}
	var s stmt
	s.add(`INSERT INTO events (id, organization_id, type, subject_type, subject_id, actor_kind, actor_id, occurred_at, payload)
		VALUES `)
	for i, e := range events {
		if i > 0 {
			s.add(", ")
		}
		var payload any
		if len(e.Payload) > 0 {
			if !json.Valid(e.Payload) {
				return cu.FieldError("payload", "format", "The event payload is not valid JSON.")
			}
			payload = string(e.Payload)
		}
		s.add("(?, ?, ?, ?, ?, ?, ?, ?, ?::jsonb)", e.ID, e.OrganizationID, e.Type, e.SubjectType, e.SubjectID,
			string(e.Actor.Kind), nullID(e.Actor.ID), e.OccurredAt, payload)
	}
	_, err := r.s.fixedExec(ctx, dollar(s.b.String()), s.args...)
	return mapErr(err)
}

// List pages events in append order.
func (r eventRepo) List(ctx context.Context, org uuid.UUID, f cu.EventFilter, p cu.Page) (cu.PageOf[cu.Event], error) {
	var none cu.PageOf[cu.Event]
	pg, err := readPage(p)
	if err != nil {
		return none, err
	}
	k := sortKey{expr: "seq", idExpr: "id", kind: seqKey}
	var q query
	q.where("organization_id = ?", org)
	if f.SubjectType != "" {
		q.where("subject_type = ?", f.SubjectType)
	}
	if f.SubjectID != uuid.Nil {
		q.where("subject_id = ?", f.SubjectID)
	}
	if pg.cursor != nil {
		// seq alone orders the log; the id in the cursor is informative.
		n, ok := parseSeqKey(pg.cursor.Key)
		if !ok {
			return none, errBadCursor
		}
		q.where("seq > ?", n)
	}
	var rows []eventRow
	err = r.s.fixedRows(ctx, &rows, dollar(`SELECT seq, id, organization_id, type, subject_type, subject_id, actor_kind,
		actor_id, occurred_at, payload FROM events`+q.whereSQL()+k.orderSQL(pg.limit)), q.args...)
	if err != nil {
		return none, mapErr(err)
	}
	return cut(rows, pg, func(x eventRow) string { return strconv.FormatInt(x.Seq, 10) }, func(x eventRow) uuid.UUID { return x.ID },
		func(x eventRow) (cu.Event, error) { return x.event(), nil })
}

func (x eventRow) event() cu.Event {
	e := cu.Event{
		ID: x.ID, OrganizationID: x.OrganizationID, Type: x.Type, SubjectType: x.SubjectType, SubjectID: x.SubjectID,
		Actor: cu.ActorRef{Kind: cu.ActorKind(x.ActorKind), ID: x.ActorID}, OccurredAt: x.OccurredAt.UTC(),
	}
	if len(x.Payload) > 0 {
		// jsonb prints "key": value with spaces; hand back compact JSON,
		// as it was appended (keys in jsonb's order).
		var b bytes.Buffer
		if json.Compact(&b, x.Payload) == nil {
			e.Payload = json.RawMessage(b.Bytes())
		} else {
			e.Payload = json.RawMessage(x.Payload)
		}
	}
	return e
}
