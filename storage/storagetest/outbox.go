package storagetest

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	cu "github.com/b2bkit/customerusers"
)

// OutboxRepos are the event log and its outbox of one storage, opened
// fresh (with no events at all: the outbox is global) for one test.
type OutboxRepos struct {
	Tx     cu.Transactor
	Events cu.EventLog
	Outbox cu.Outbox
}

// RunOutbox runs the contract of cu.Outbox: claims in append order, leases
// that expire, claims refused to stale marks, retry times, delivered and
// dead events never claimed again, rolled-back appends and claims, and
// concurrent claimers that never share an event. Choices it enforces: a
// lease ending exactly at now is expired; a non-positive lease or limit is
// an invalid error; a mark with the latest claim is accepted after its
// lease ended if nobody claimed the event since.
func RunOutbox(t *testing.T, open func(t *testing.T) OutboxRepos) {
	t.Helper()
	cases := []caseOf[func(t *testing.T, o *outboxEnv)]{
		{"ClaimOrderAndFields", outboxClaimOrder},
		{"LeaseExpiry", outboxLeaseExpiry},
		{"StaleMarksRefused", outboxStaleMarks},
		{"RetryAt", outboxRetryAt},
		{"DeliveredAndDeadNeverAgain", outboxDone},
		{"RolledBack", outboxRolledBack},
		{"ConcurrentClaimers", outboxConcurrent},
		{"InvalidArguments", outboxInvalid},
	}
	runCases(t, cases, open, func(t *testing.T, r OutboxRepos, fn func(*testing.T, *outboxEnv)) {
		requireRepos(t, r)
		fn(t, &outboxEnv{OutboxRepos: r, ctx: context.Background()})
	})
}

type outboxEnv struct {
	OutboxRepos
	ctx context.Context
}

const outboxLease = time.Minute

// append appends n events of org (one Append each) and returns them.
func (o *outboxEnv) append(t *testing.T, org uuid.UUID, n int) []cu.Event {
	t.Helper()
	out := make([]cu.Event, n)
	for i := range out {
		out[i] = event(org, "customer_user", cu.NewID(), "customer_user.updated", base.Add(time.Duration(i)*time.Second), map[string]any{"n": i})
		require.NoError(t, o.Events.Append(o.ctx, out[i]))
	}
	return out
}

func (o *outboxEnv) claim(t *testing.T, now time.Time, limit int) []cu.Delivery {
	t.Helper()
	got, err := o.Outbox.Claim(o.ctx, now, outboxLease, limit)
	require.NoError(t, err)
	return got
}

func outboxIDs(ds []cu.Delivery) []uuid.UUID {
	out := make([]uuid.UUID, len(ds))
	for i, d := range ds {
		out[i] = d.Event.ID
	}
	return out
}

// Claims return events oldest appended first, across organizations, with
// every field of the event (OrganizationID included), a fresh claim id, the
// lease end and attempt 1; claimed events are not returned again while
// leased.
func outboxClaimOrder(t *testing.T, o *outboxEnv) {
	org1, org2 := cu.NewID(), cu.NewID()
	var want []cu.Event
	want = append(want, o.append(t, org1, 2)...)
	want = append(want, o.append(t, org2, 1)...)
	// Several events in one Append keep their order.
	batch := []cu.Event{
		event(org1, "customer", cu.NewID(), "customer.created", base.Add(time.Hour), nil),
		event(org2, "notification", cu.NewID(), "notification.requested", base.Add(time.Hour), map[string]any{"template": "x"}),
	}
	require.NoError(t, o.Events.Append(o.ctx, batch...))
	want = append(want, batch...)

	now := base.Add(2 * time.Hour)
	var got []cu.Delivery
	for _, limit := range []int{2, 2, 2} {
		page := o.claim(t, now, limit)
		assert.LessOrEqual(t, len(page), limit)
		got = append(got, page...)
	}
	assert.Empty(t, o.claim(t, now, 10), "everything is leased")
	require.Len(t, got, len(want))
	claims := map[uuid.UUID]bool{}
	for i, d := range got {
		assert.Equal(t, normEvent(want[i]), normEvent(d.Event), "event %d", i)
		assert.Equal(t, 1, d.Attempt)
		assert.Empty(t, d.LastError)
		assert.Equal(t, utc(now.Add(outboxLease)), utc(d.ClaimedUntil))
		assert.NotEqual(t, uuid.Nil, d.ClaimID)
		assert.False(t, claims[d.ClaimID], "claim ids are fresh")
		claims[d.ClaimID] = true
	}
	assert.Equal(t, org2, got[2].Event.OrganizationID)
	assert.Equal(t, org1, got[3].Event.OrganizationID)
}

// An event whose lease ended is claimable again under a new claim, with its
// attempt counted; one still leased is not.
func outboxLeaseExpiry(t *testing.T, o *outboxEnv) {
	evs := o.append(t, cu.NewID(), 2)
	first := o.claim(t, base, 1)
	require.Len(t, first, 1)
	assert.Equal(t, evs[0].ID, first[0].Event.ID)

	// Before expiry only the other event is claimable.
	second := o.claim(t, base.Add(outboxLease-time.Second), 10)
	assert.Equal(t, []uuid.UUID{evs[1].ID}, outboxIDs(second))

	// The first lease ended (exactly now): the "crashed" claim loses it.
	again := o.claim(t, base.Add(outboxLease), 10)
	require.Len(t, again, 1)
	assert.Equal(t, evs[0].ID, again[0].Event.ID)
	assert.Equal(t, 2, again[0].Attempt)
	assert.NotEqual(t, first[0].ClaimID, again[0].ClaimID)
	assert.Equal(t, utc(base.Add(2*outboxLease)), utc(again[0].ClaimedUntil))
}

// A mark with a claim that is no longer the event's latest one is refused
// (cu.ErrStale) and changes nothing; the latest claim's marks work once.
func outboxStaleMarks(t *testing.T, o *outboxEnv) {
	evs := o.append(t, cu.NewID(), 1)
	old := o.claim(t, base, 1)
	require.Len(t, old, 1)
	fresh := o.claim(t, base.Add(outboxLease), 1)
	require.Len(t, fresh, 1)
	require.Equal(t, evs[0].ID, fresh[0].Event.ID)

	requireCode(t, o.Outbox.MarkDelivered(o.ctx, old[0]), cu.ErrStale)
	requireCode(t, o.Outbox.MarkFailed(o.ctx, old[0], base, "late"), cu.ErrStale)
	requireCode(t, o.Outbox.MarkDead(o.ctx, old[0], "late"), cu.ErrStale)
	forged := fresh[0]
	forged.ClaimID = uuid.Nil
	requireCode(t, o.Outbox.MarkDelivered(o.ctx, forged), cu.ErrStale, "no claim id")
	forged.ClaimID = cu.NewID()
	requireCode(t, o.Outbox.MarkDelivered(o.ctx, forged), cu.ErrStale, "unknown claim id")
	unknown := cu.Delivery{Event: event(cu.NewID(), "x", cu.NewID(), "x.y", base, nil), ClaimID: cu.NewID()}
	requireCode(t, o.Outbox.MarkDelivered(o.ctx, unknown), cu.ErrNotFound)

	// The stale marks changed nothing: the fresh claim still holds.
	assert.Empty(t, o.claim(t, base.Add(outboxLease+time.Second), 1))
	require.NoError(t, o.Outbox.MarkFailed(o.ctx, fresh[0], base.Add(time.Hour), "smtp down"))
	// A released claim is spent.
	requireCode(t, o.Outbox.MarkDelivered(o.ctx, fresh[0]), cu.ErrStale)
	requireCode(t, o.Outbox.MarkFailed(o.ctx, fresh[0], base, "again"), cu.ErrStale)

	// The latest claim may mark after its lease ended when nobody claimed
	// the event since.
	late := o.claim(t, base.Add(time.Hour), 1)
	require.Len(t, late, 1)
	require.Equal(t, evs[0].ID, late[0].Event.ID)
	require.NoError(t, o.Outbox.MarkDelivered(o.ctx, late[0]))
	requireCode(t, o.Outbox.MarkDelivered(o.ctx, late[0]), cu.ErrStale, "delivered twice")
	requireCode(t, o.Outbox.MarkDead(o.ctx, late[0], "x"), cu.ErrStale)
}

// A failed event waits for retryAt, keeps its reason and its attempts, and
// does not hold back later events.
func outboxRetryAt(t *testing.T, o *outboxEnv) {
	evs := o.append(t, cu.NewID(), 2)
	got := o.claim(t, base, 1)
	require.Len(t, got, 1)
	retryAt := base.Add(10 * time.Second)
	require.NoError(t, o.Outbox.MarkFailed(o.ctx, got[0], retryAt, "smtp down"))

	next := o.claim(t, base.Add(time.Second), 10)
	assert.Equal(t, []uuid.UUID{evs[1].ID}, outboxIDs(next), "the failed event is not due yet")
	require.NoError(t, o.Outbox.MarkDelivered(o.ctx, next[0]))
	assert.Empty(t, o.claim(t, retryAt.Add(-time.Second), 10))

	due := o.claim(t, retryAt, 10)
	require.Len(t, due, 1)
	assert.Equal(t, evs[0].ID, due[0].Event.ID)
	assert.Equal(t, 2, due[0].Attempt)
	assert.Equal(t, "smtp down", due[0].LastError)
	// A retry time in the past is due at once.
	require.NoError(t, o.Outbox.MarkFailed(o.ctx, due[0], base, "again"))
	again := o.claim(t, retryAt, 10)
	require.Len(t, again, 1)
	assert.Equal(t, 3, again[0].Attempt)
	assert.Equal(t, "again", again[0].LastError)
}

// Delivered and dead events are never claimed again, whatever the time.
func outboxDone(t *testing.T, o *outboxEnv) {
	evs := o.append(t, cu.NewID(), 3)
	got := o.claim(t, base, 3)
	require.Len(t, got, 3)
	require.NoError(t, o.Outbox.MarkDelivered(o.ctx, got[0]))
	require.NoError(t, o.Outbox.MarkDead(o.ctx, got[1], "poison"))
	require.NoError(t, o.Outbox.MarkFailed(o.ctx, got[2], base, "later"))
	for _, at := range []time.Time{base, base.Add(outboxLease), base.Add(365 * 24 * time.Hour)} {
		next := o.claim(t, at, 10)
		require.Len(t, next, 1, "at %v", at)
		assert.Equal(t, evs[2].ID, next[0].Event.ID)
		require.NoError(t, o.Outbox.MarkFailed(o.ctx, next[0], at, "later"))
	}
	more := o.append(t, cu.NewID(), 1)
	next := o.claim(t, base.Add(2*365*24*time.Hour), 10)
	assert.Equal(t, []uuid.UUID{evs[2].ID, more[0].ID}, outboxIDs(next), "appended later, claimed in order")
}

// Events appended in a transaction that rolls back are never claimable;
// claims and marks made in one are undone; committed ones are claimable.
func outboxRolledBack(t *testing.T, o *outboxEnv) {
	org := cu.NewID()
	lost := event(org, "customer_user", cu.NewID(), "customer_user.created", base, nil)
	err := o.Tx.InTx(o.ctx, func(ctx context.Context) error {
		if err := o.Events.Append(ctx, lost); err != nil {
			return err
		}
		return errBoom
	})
	require.ErrorIs(t, err, errBoom)
	assert.Empty(t, o.claim(t, base, 10))

	kept := event(org, "customer_user", cu.NewID(), "customer_user.created", base, nil)
	require.NoError(t, o.Tx.InTx(o.ctx, func(ctx context.Context) error { return o.Events.Append(ctx, kept) }))

	// A claim and a mark inside a rolled-back transaction are undone.
	err = o.Tx.InTx(o.ctx, func(ctx context.Context) error {
		got, err := o.Outbox.Claim(ctx, base, outboxLease, 10)
		if err != nil {
			return err
		}
		if assert.Len(t, got, 1) {
			if err := o.Outbox.MarkDelivered(ctx, got[0]); err != nil {
				return err
			}
		}
		return errBoom
	})
	require.ErrorIs(t, err, errBoom)
	got := o.claim(t, base, 10)
	assert.Equal(t, []uuid.UUID{kept.ID}, outboxIDs(got))
	if len(got) == 1 {
		assert.Equal(t, 1, got[0].Attempt, "the undone claim did not count")
	}
}

// Eight claimers racing over 200 events (some claiming inside
// transactions) each get disjoint events, and together all of them.
func outboxConcurrent(t *testing.T, o *outboxEnv) {
	const n, workers = 200, 8
	org1, org2 := cu.NewID(), cu.NewID()
	var want []cu.Event
	for i := range n {
		org := org1
		if i%3 == 0 {
			org = org2
		}
		want = append(want, event(org, "customer_user", cu.NewID(), "customer_user.updated", base, map[string]any{"i": i}))
	}
	for chunk := range slices.Chunk(want, 25) {
		require.NoError(t, o.Events.Append(o.ctx, chunk...))
	}
	var (
		mu      sync.Mutex
		claimed = map[uuid.UUID]int{}
		orgs    = map[uuid.UUID]uuid.UUID{}
		errs    []error
		wg      sync.WaitGroup
	)
	for w := range workers {
		wg.Go(func() {
			for {
				var got []cu.Delivery
				claim := func(ctx context.Context) (err error) {
					got, err = o.Outbox.Claim(ctx, base, outboxLease, 1+w%4)
					return err
				}
				var err error
				if w%2 == 1 {
					err = o.Tx.InTx(o.ctx, claim)
				} else {
					err = claim(o.ctx)
				}
				if err == nil {
					for _, d := range got {
						if err = o.Outbox.MarkDelivered(o.ctx, d); err != nil {
							break
						}
					}
				}
				mu.Lock()
				if err != nil {
					errs = append(errs, err)
				}
				for _, d := range got {
					claimed[d.Event.ID]++
					orgs[d.Event.ID] = d.Event.OrganizationID
				}
				mu.Unlock()
				if err != nil || len(got) == 0 {
					return
				}
			}
		})
	}
	wg.Wait()
	require.Empty(t, errs)
	assert.Len(t, claimed, n)
	for _, e := range want {
		assert.Equal(t, 1, claimed[e.ID], "event %s", e.ID)
		assert.Equal(t, e.OrganizationID, orgs[e.ID])
	}
	assert.Empty(t, o.claim(t, base.Add(24*time.Hour), n))
}

// A non-positive lease or limit is an invalid error.
func outboxInvalid(t *testing.T, o *outboxEnv) {
	o.append(t, cu.NewID(), 1)
	_, err := o.Outbox.Claim(o.ctx, base, 0, 1)
	requireCode(t, err, cu.ErrInvalid)
	_, err = o.Outbox.Claim(o.ctx, base, outboxLease, 0)
	requireCode(t, err, cu.ErrInvalid)
	assert.Len(t, o.claim(t, base, 1), 1, "nothing was claimed by the invalid calls")
}
