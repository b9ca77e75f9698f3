package memory

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	cu "github.com/b2bkit/customerusers"
)

type eventRepo struct{ s *Store }

// Append stores events and a pending delivery state for each, both undone
// when the transaction rolls back. An id already in the log is a conflict
// (as with a primary key).
func (r eventRepo) Append(ctx context.Context, events ...cu.Event) error {
	return r.s.write(ctx, func(t *txn) error {
		o := &r.s.outbox
		if o.index == nil {
			o.index = map[uuid.UUID]int{}
		}
		seen := make(map[uuid.UUID]bool, len(events))
		for _, e := range events {
			if _, dup := o.index[e.ID]; dup || seen[e.ID] {
				return cu.Conflict("event %s already exists", e.ID)
			}
			seen[e.ID] = true
		}
		for i := range events {
			events[i].Payload = bytes.Clone(events[i].Payload)
			put(t, o.index, events[i].ID, len(r.s.events)+i)
		}
		appendTo(t, &r.s.events, events...)
		appendTo(t, &o.states, make([]deliveryState, len(events))...)
		return nil
	})
}

func (r eventRepo) List(ctx context.Context, org uuid.UUID, f cu.EventFilter, p cu.Page) (out cu.PageOf[cu.Event], err error) {
	err = r.s.read(ctx, func() error {
		// Events page in append order: the key is the position in the log.
		type seqEvent struct {
			seq string
			e   cu.Event
		}
		var items []seqEvent
		for i, e := range r.s.events {
			if e.OrganizationID == org && (f.SubjectType == "" || e.SubjectType == f.SubjectType) &&
				(f.SubjectID == uuid.Nil || e.SubjectID == f.SubjectID) {
				e.Payload = bytes.Clone(e.Payload)
				items = append(items, seqEvent{fmt.Sprintf("%020d", i), e})
			}
		}
		page, err := paginate(items, func(x seqEvent) string { return x.seq }, func(x seqEvent) uuid.UUID { return x.e.ID }, p, false)
		if err != nil {
			return err
		}
		out.NextCursor = page.NextCursor
		out.Items = make([]cu.Event, len(page.Items))
		for i, x := range page.Items {
			out.Items[i] = x.e
		}
		return nil
	})
	return out, err
}

// Outbox returns the delivery state of the event log, for a
// cu.Dispatcher. It covers the events of every organization.
func (s *Store) Outbox() cu.Outbox { return outboxRepo{s} }

// outboxTables keep the delivery state of each event beside s.events.
type outboxTables struct {
	// states[i] is the delivery state of s.events[i].
	states []deliveryState
	// index finds an event's position by id.
	index map[uuid.UUID]int
	// head is a position before which every event is delivered or dead, so
	// that claims skip the delivered past.
	head int
}

type deliveryStatus uint8

const (
	deliveryPending deliveryStatus = iota
	deliveryDone
	deliveryDead
)

// deliveryState is the outbox row of one event.
type deliveryState struct {
	status   deliveryStatus
	attempts int
	// due is the earliest time of the next attempt (zero: at once).
	due time.Time
	// claimID is the latest claim, uuid.Nil once it was released.
	claimID      uuid.UUID
	claimedUntil time.Time
	lastError    string
}

// setState sets the state at position i, remembering how to undo it.
func setState(t *txn, o *outboxTables, i int, st deliveryState) {
	old := o.states[i]
	o.states[i] = st
	t.undo = append(t.undo, func() { o.states[i] = old })
}

// setHead moves the head, remembering how to undo it.
func setHead(t *txn, o *outboxTables, head int) {
	old := o.head
	o.head = head
	t.undo = append(t.undo, func() { o.head = old })
}

type outboxRepo struct{ s *Store }

func (r outboxRepo) Claim(ctx context.Context, now time.Time, lease time.Duration, limit int) (out []cu.Delivery, err error) {
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
	err = r.s.write(ctx, func(t *txn) error {
		o := &r.s.outbox
		head := o.head
		for head < len(o.states) && o.states[head].status != deliveryPending {
			head++
		}
		if head != o.head {
			setHead(t, o, head)
		}
		for i := head; i < len(o.states) && len(out) < limit; i++ {
			st := o.states[i]
			if st.status != deliveryPending || st.due.After(now) || st.claimedUntil.After(now) {
				continue
			}
			st.attempts++
			st.claimID = cu.NewID()
			st.claimedUntil = now.Add(lease)
			setState(t, o, i, st)
			e := r.s.events[i]
			e.Payload = bytes.Clone(e.Payload)
			out = append(out, cu.Delivery{Event: e, ClaimID: st.claimID, ClaimedUntil: st.claimedUntil, Attempt: st.attempts, LastError: st.lastError})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (r outboxRepo) MarkDelivered(ctx context.Context, d cu.Delivery) error {
	return r.mark(ctx, d, func(st *deliveryState) { st.status = deliveryDone })
}

func (r outboxRepo) MarkFailed(ctx context.Context, d cu.Delivery, retryAt time.Time, reason string) error {
	return r.mark(ctx, d, func(st *deliveryState) { st.due, st.lastError = retryAt, reason })
}

func (r outboxRepo) MarkDead(ctx context.Context, d cu.Delivery, reason string) error {
	return r.mark(ctx, d, func(st *deliveryState) { st.status, st.lastError = deliveryDead, reason })
}

// mark checks that d holds the latest claim of its event, applies f and
// releases the claim.
func (r outboxRepo) mark(ctx context.Context, d cu.Delivery, f func(*deliveryState)) error {
	return r.s.write(ctx, func(t *txn) error {
		o := &r.s.outbox
		i, ok := o.index[d.Event.ID]
		if !ok {
			return cu.NotFound("outbox event")
		}
		st := o.states[i]
		if st.status != deliveryPending || d.ClaimID == uuid.Nil || st.claimID != d.ClaimID {
			return cu.Stale("outbox event")
		}
		f(&st)
		st.claimID, st.claimedUntil = uuid.Nil, time.Time{}
		setState(t, o, i, st)
		return nil
	})
}
