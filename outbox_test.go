package customerusers_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	cu "github.com/b2bkit/customerusers"
	"github.com/b2bkit/customerusers/storage/memory"
)

var outboxStart = time.Date(2026, 2, 1, 8, 0, 0, 0, time.UTC)

// obSubscriber records what it handles; fail decides failures.
type obSubscriber struct {
	name  string
	types []string
	fail  func(e cu.Event, call int) error

	mu       sync.Mutex
	calls    map[uuid.UUID]int
	handled  []uuid.UUID
	inFlight map[uuid.UUID]bool
	overlaps int
	during   func() // called while handling, outside the lock
}

func newOBSubscriber(name string, types ...string) *obSubscriber {
	return &obSubscriber{name: name, types: types, calls: map[uuid.UUID]int{}, inFlight: map[uuid.UUID]bool{}}
}

func (s *obSubscriber) Name() string { return s.name }

func (s *obSubscriber) Handles(t string) bool {
	return len(s.types) == 0 || slices.Contains(s.types, t)
}

func (s *obSubscriber) Handle(_ context.Context, e cu.Event) error {
	s.mu.Lock()
	if s.inFlight[e.ID] {
		s.overlaps++
	}
	s.inFlight[e.ID] = true
	s.calls[e.ID]++
	call := s.calls[e.ID]
	s.mu.Unlock()
	runtime.Gosched()
	if s.during != nil {
		s.during()
	}
	var err error
	if s.fail != nil {
		err = s.fail(e, call)
	}
	s.mu.Lock()
	delete(s.inFlight, e.ID)
	if err == nil {
		s.handled = append(s.handled, e.ID)
	}
	s.mu.Unlock()
	return err
}

func (s *obSubscriber) callsOf(id uuid.UUID) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[id]
}

func (s *obSubscriber) handledIDs() []uuid.UUID {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.handled)
}

// obAppend appends one event per type and returns them.
func obAppend(t *testing.T, store *memory.Store, types ...string) []cu.Event {
	t.Helper()
	out := make([]cu.Event, len(types))
	for i, typ := range types {
		org := uuid.New()
		out[i] = cu.NewEvent(cu.NewID(), outboxStart, cu.SystemActor(org), typ, "thing", uuid.New(), map[string]string{"secret": "payload-s3cr3t"})
	}
	require.NoError(t, store.Events().Append(context.Background(), out...))
	return out
}

func obIDs(es []cu.Event) []uuid.UUID {
	out := make([]uuid.UUID, len(es))
	for i, e := range es {
		out[i] = e.ID
	}
	return out
}

func TestDispatcherHandsEventsToSubscribersOfTheirType(t *testing.T) {
	ctx := context.Background()
	store := memory.New()
	clock := cu.NewManualClock(outboxStart)
	evs := obAppend(t, store, "a.done", "b.done", "c.done")
	s1 := newOBSubscriber("one", "a.done", "b.done")
	s2 := newOBSubscriber("two", "b.done")
	d := cu.NewDispatcher(store.Outbox(), []cu.Subscriber{s1, s2}, cu.WithDispatchClock(clock))

	n, err := d.RunOnce(ctx)
	require.NoError(t, err)
	assert.Equal(t, 3, n)
	assert.Equal(t, []uuid.UUID{evs[0].ID, evs[1].ID}, s1.handledIDs())
	assert.Equal(t, []uuid.UUID{evs[1].ID}, s2.handledIDs())

	// Everything is delivered, also the event nobody handles.
	clock.Advance(24 * time.Hour)
	n, err = d.RunOnce(ctx)
	require.NoError(t, err)
	assert.Zero(t, n)
}

func TestDispatcherBatchSize(t *testing.T) {
	ctx := context.Background()
	store := memory.New()
	evs := obAppend(t, store, "a", "a", "a", "a", "a")
	s := newOBSubscriber("s")
	d := cu.NewDispatcher(store.Outbox(), []cu.Subscriber{s}, cu.WithBatchSize(2), cu.WithDispatchClock(cu.NewManualClock(outboxStart)))
	for _, want := range []int{2, 2, 1, 0} {
		n, err := d.RunOnce(ctx)
		require.NoError(t, err)
		assert.Equal(t, want, n)
	}
	assert.Equal(t, obIDs(evs), s.handledIDs(), "in append order")
}

func TestDispatcherBackoff(t *testing.T) {
	d := cu.NewDispatcher(nil, nil, cu.WithBackoff(time.Second, 10*time.Second))
	for n, want := range map[int]time.Duration{1: time.Second, 2: 2 * time.Second, 3: 4 * time.Second, 4: 8 * time.Second, 5: 10 * time.Second, 100: 10 * time.Second} {
		assert.Equal(t, want, d.Backoff(n), "failure %d", n)
	}
	def := cu.NewDispatcher(nil, nil)
	assert.Equal(t, time.Second, def.Backoff(1))
	assert.Equal(t, time.Hour, def.Backoff(13), "default cap")
	assert.Equal(t, time.Hour, def.Backoff(1000))
}

// A failing event is retried when its back-off has passed, not before,
// and other events go on meanwhile.
func TestDispatcherRetriesWithBackoff(t *testing.T) {
	ctx := context.Background()
	store := memory.New()
	clock := cu.NewManualClock(outboxStart)
	evs := obAppend(t, store, "flaky", "fine")
	s := newOBSubscriber("s")
	s.fail = func(e cu.Event, call int) error {
		if e.Type == "flaky" && call <= 4 {
			return fmt.Errorf("smtp down (%d)", call)
		}
		return nil
	}
	d := cu.NewDispatcher(store.Outbox(), []cu.Subscriber{s}, cu.WithDispatchClock(clock), cu.WithBackoff(time.Second, 4*time.Second))

	n, err := d.RunOnce(ctx)
	require.NoError(t, err, "a subscriber failure is not a dispatcher error")
	assert.Equal(t, 2, n)
	assert.Equal(t, []uuid.UUID{evs[1].ID}, s.handledIDs())

	// Waits after failures 1..4: 1s, 2s, 4s, 4s (capped).
	for i, wait := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 4 * time.Second} {
		clock.Advance(wait - time.Millisecond)
		n, err = d.RunOnce(ctx)
		require.NoError(t, err)
		assert.Zero(t, n, "not due before %v (failure %d)", wait, i+1)
		clock.Advance(time.Millisecond)
		n, err = d.RunOnce(ctx)
		require.NoError(t, err)
		assert.Equal(t, 1, n, "due after %v (failure %d)", wait, i+1)
		assert.Equal(t, i+2, s.callsOf(evs[0].ID))
	}
	assert.Equal(t, []uuid.UUID{evs[1].ID, evs[0].ID}, s.handledIDs())
	clock.Advance(time.Hour)
	n, err = d.RunOnce(ctx)
	require.NoError(t, err)
	assert.Zero(t, n)
}

// An event failing MaxAttempts times is dead: reported, logged without its
// payload, kept but never handed over again. A subscriber failure blocks
// delivery for all: the one that succeeded gets the event again.
func TestDispatcherDeadLetters(t *testing.T) {
	ctx := context.Background()
	store := memory.New()
	clock := cu.NewManualClock(outboxStart)
	evs := obAppend(t, store, "poison")
	bad := newOBSubscriber("bad")
	bad.fail = func(cu.Event, int) error { return errors.New("template missing") }
	good := newOBSubscriber("good")
	var logs bytes.Buffer
	var dead []cu.Delivery
	var reasons []string
	d := cu.NewDispatcher(store.Outbox(), []cu.Subscriber{good, bad},
		cu.WithDispatchClock(clock), cu.WithMaxAttempts(3),
		cu.WithDispatchLogger(slog.New(slog.NewJSONHandler(&logs, nil))),
		cu.WithDeadLetter(func(_ context.Context, d cu.Delivery, reason string) {
			dead = append(dead, d)
			reasons = append(reasons, reason)
		}))
	for range 10 {
		_, err := d.RunOnce(ctx)
		require.NoError(t, err)
		clock.Advance(time.Hour)
	}
	assert.Equal(t, 3, bad.callsOf(evs[0].ID))
	assert.Equal(t, 3, good.callsOf(evs[0].ID), "at least once: retried for everyone")
	require.Len(t, dead, 1)
	assert.Equal(t, evs[0].ID, dead[0].Event.ID)
	assert.Equal(t, 3, dead[0].Attempt)
	assert.Contains(t, reasons[0], "bad: template missing")
	assert.Contains(t, logs.String(), "dead")
	assert.Contains(t, logs.String(), evs[0].ID.String())
	assert.NotContains(t, logs.String(), "payload-s3cr3t", "payloads are never logged")
	got, err := store.Outbox().Claim(ctx, clock.Now().Add(1000*time.Hour), time.Minute, 10)
	require.NoError(t, err)
	assert.Empty(t, got, "dead events are never claimed again")
}

// A panicking subscriber is a failure like any other.
func TestDispatcherRecoversPanics(t *testing.T) {
	ctx := context.Background()
	store := memory.New()
	clock := cu.NewManualClock(outboxStart)
	evs := obAppend(t, store, "x")
	s := newOBSubscriber("s")
	s.fail = func(_ cu.Event, call int) error {
		if call == 1 {
			panic("boom")
		}
		return nil
	}
	d := cu.NewDispatcher(store.Outbox(), []cu.Subscriber{s}, cu.WithDispatchClock(clock))
	_, err := d.RunOnce(ctx)
	require.NoError(t, err)
	assert.Empty(t, s.handledIDs())
	clock.Advance(time.Second)
	_, err = d.RunOnce(ctx)
	require.NoError(t, err)
	assert.Equal(t, obIDs(evs), s.handledIDs())
}

// A dispatcher that claimed and crashed (never marked) loses nothing: once
// the lease ends another dispatcher delivers the event, and the crashed
// one's late mark is refused.
func TestDispatcherAtLeastOnceAfterCrash(t *testing.T) {
	ctx := context.Background()
	store := memory.New()
	clock := cu.NewManualClock(outboxStart)
	evs := obAppend(t, store, "a", "b")
	crashed, err := store.Outbox().Claim(ctx, clock.Now(), time.Minute, 10)
	require.NoError(t, err)
	require.Len(t, crashed, 2)

	s := newOBSubscriber("s")
	d := cu.NewDispatcher(store.Outbox(), []cu.Subscriber{s}, cu.WithDispatchClock(clock), cu.WithLease(time.Minute))
	n, err := d.RunOnce(ctx)
	require.NoError(t, err)
	assert.Zero(t, n, "still leased by the crashed dispatcher")

	clock.Advance(time.Minute)
	n, err = d.RunOnce(ctx)
	require.NoError(t, err)
	assert.Equal(t, 2, n)
	assert.Equal(t, obIDs(evs), s.handledIDs())
	assert.ErrorIs(t, store.Outbox().MarkFailed(ctx, crashed[0], clock.Now(), "late"), cu.ErrStale)
	clock.Advance(time.Hour)
	n, err = d.RunOnce(ctx)
	require.NoError(t, err)
	assert.Zero(t, n)
}

// An event whose claims never reported back more than MaxAttempts times
// (it may be what crashes dispatchers) is marked dead without handling.
func TestDispatcherAbandonsEventsThatNeverReportBack(t *testing.T) {
	ctx := context.Background()
	store := memory.New()
	clock := cu.NewManualClock(outboxStart)
	obAppend(t, store, "crashy")
	for range 2 {
		got, err := store.Outbox().Claim(ctx, clock.Now(), time.Minute, 10)
		require.NoError(t, err)
		require.Len(t, got, 1)
		clock.Advance(time.Minute)
	}
	s := newOBSubscriber("s")
	var reasons []string
	d := cu.NewDispatcher(store.Outbox(), []cu.Subscriber{s}, cu.WithDispatchClock(clock), cu.WithMaxAttempts(2),
		cu.WithDeadLetter(func(_ context.Context, _ cu.Delivery, reason string) { reasons = append(reasons, reason) }))
	n, err := d.RunOnce(ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	assert.Empty(t, s.handledIDs())
	require.Len(t, reasons, 1)
	assert.Contains(t, reasons[0], "abandoned")
}

// When handling a batch outlives its lease, the rest of the batch is left
// for the next claim instead of racing whoever claimed it meanwhile.
func TestDispatcherSkipsEventsWhoseLeaseEnded(t *testing.T) {
	ctx := context.Background()
	store := memory.New()
	clock := cu.NewManualClock(outboxStart)
	evs := obAppend(t, store, "slow", "next")
	s := newOBSubscriber("s")
	s.during = func() { clock.Advance(2 * time.Minute) }
	d := cu.NewDispatcher(store.Outbox(), []cu.Subscriber{s}, cu.WithDispatchClock(clock), cu.WithLease(time.Minute))
	n, err := d.RunOnce(ctx)
	require.NoError(t, err, "the first mark is accepted: nobody claimed the event since")
	assert.Equal(t, 2, n)
	assert.Equal(t, []uuid.UUID{evs[0].ID}, s.handledIDs())
	s.during = nil
	n, err = d.RunOnce(ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	assert.Equal(t, obIDs(evs), s.handledIDs())
}

// Several dispatchers over one outbox never handle one event at the same
// time, and deliver every event (each once when nothing fails; here each
// event fails its first attempt, so exactly twice).
func TestDispatchersConcurrently(t *testing.T) {
	ctx := context.Background()
	store := memory.New()
	clock := cu.NewManualClock(outboxStart)
	types := make([]string, 150)
	for i := range types {
		types[i] = "t"
	}
	evs := obAppend(t, store, types...)
	s := newOBSubscriber("s")
	s.fail = func(_ cu.Event, call int) error {
		if call == 1 {
			return errors.New("first attempt fails")
		}
		return nil
	}
	ds := make([]*cu.Dispatcher, 6)
	for i := range ds {
		ds[i] = cu.NewDispatcher(store.Outbox(), []cu.Subscriber{s}, cu.WithDispatchClock(clock), cu.WithBatchSize(1+i), cu.WithLease(time.Hour))
	}
	drain := func() {
		var wg sync.WaitGroup
		for _, d := range ds {
			wg.Go(func() {
				for {
					n, err := d.RunOnce(ctx)
					assert.NoError(t, err)
					if n == 0 || err != nil {
						return
					}
				}
			})
		}
		wg.Wait()
	}
	drain()
	assert.Empty(t, s.handledIDs(), "every first attempt failed")
	clock.Advance(time.Second)
	drain()
	for _, e := range evs {
		assert.Equal(t, 2, s.callsOf(e.ID))
	}
	assert.Len(t, s.handledIDs(), len(evs))
	assert.Zero(t, s.overlaps, "no event handled twice at the same time")
}

// Run delivers until its context ends.
func TestDispatcherRun(t *testing.T) {
	store := memory.New()
	evs := obAppend(t, store, "a", "b", "c")
	done := make(chan struct{})
	s := newOBSubscriber("s")
	var once sync.Once
	s.fail = func(e cu.Event, _ int) error {
		if e.ID == evs[2].ID {
			once.Do(func() { close(done) })
		}
		return nil
	}
	d := cu.NewDispatcher(store.Outbox(), []cu.Subscriber{s}, cu.WithPollInterval(time.Millisecond), cu.WithBatchSize(1))
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- d.Run(ctx) }()
	<-done
	cancel()
	assert.ErrorIs(t, <-errc, context.Canceled)
	assert.Equal(t, obIDs(evs), s.handledIDs())
}

// A dispatcher stopped while handling records the outcome of the event in
// hand (so it is not sent again) and leaves the rest of its batch to the
// next claim.
func TestDispatcherStoppedMidBatch(t *testing.T) {
	store := memory.New()
	clock := cu.NewManualClock(outboxStart)
	evs := obAppend(t, store, "a", "b")
	ctx, cancel := context.WithCancel(context.Background())
	s := newOBSubscriber("s")
	s.during = cancel
	d := cu.NewDispatcher(store.Outbox(), []cu.Subscriber{s}, cu.WithDispatchClock(clock), cu.WithLease(time.Minute))
	n, err := d.RunOnce(ctx)
	assert.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, 2, n)
	assert.Equal(t, []uuid.UUID{evs[0].ID}, s.handledIDs())

	s.during = nil
	clock.Advance(time.Minute)
	n, err = d.RunOnce(context.Background())
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	assert.Equal(t, obIDs(evs), s.handledIDs(), "a was not handed over again")
}
