package customerusers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"
)

// Delivery is an event claimed from the Outbox for delivery. The claim is
// exclusive until ClaimedUntil (the lease): no other Claim returns the event
// before then. ClaimID names this claim; Mark* calls state it so that a
// dispatcher whose lease expired and whose event was claimed again cannot
// overwrite the newer claim's outcome.
type Delivery struct {
	Event Event
	// ClaimID is fresh for every claim.
	ClaimID uuid.UUID
	// ClaimedUntil is the end of the lease.
	ClaimedUntil time.Time
	// Attempt counts the claims of the event, this one included (1 for the
	// first). A claim whose dispatcher crashed counts too, so that an event
	// that crashes every dispatcher still ends up dead.
	Attempt int
	// LastError is the reason given by the latest MarkFailed, if any.
	LastError string
}

// Outbox is the delivery state of the event log (transactional outbox):
// every appended event is delivered to subscribers at least once, after its
// transaction committed, by a Dispatcher. Events of every organization share
// one outbox; each keeps its OrganizationID. Implementations live in
// storage, next to the EventLog whose events they deliver: an event appended
// in a transaction that rolled back is never claimable.
//
// The Mark methods fail with ErrStale when d's claim is no longer the
// event's latest one (its lease expired and another claim took the event)
// or the event is already delivered or dead, and with ErrNotFound for an
// unknown event; nothing changes then. A mark with the latest claim is
// accepted even after its lease ended, as long as nobody claimed the event
// since.
type Outbox interface {
	// Claim takes up to limit events, oldest appended first, that are
	// neither delivered nor dead, whose next attempt is due (at or before
	// now) and that no live claim holds (no lease ending after now). It
	// leases each until now+lease under a fresh claim id and counts the
	// attempt. Concurrent Claims never return the same event; an event whose
	// lease expired is claimable again, so a crashed dispatcher loses
	// nothing.
	Claim(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]Delivery, error)
	// MarkDelivered records that d's event reached every subscriber; it is
	// never claimed again.
	MarkDelivered(ctx context.Context, d Delivery) error
	// MarkFailed releases d's claim and makes the event claimable again
	// from retryAt, remembering reason.
	MarkFailed(ctx context.Context, d Delivery, retryAt time.Time, reason string) error
	// MarkDead gives up on d's event: it is kept but never claimed again.
	MarkDead(ctx context.Context, d Delivery, reason string) error
}

// Subscriber receives events from a Dispatcher. Delivery is at least once:
// an event may be handed over again (after a crash, a lost MarkDelivered,
// or another subscriber's failure), so Handle must be idempotent; the event
// id identifies the event across deliveries.
type Subscriber interface {
	// Name identifies the subscriber in logs.
	Name() string
	// Handles reports whether the subscriber wants events of this type.
	Handles(eventType string) bool
	// Handle processes one event; an error makes the dispatcher retry the
	// event later. Its ctx ends when the claim's lease does.
	Handle(ctx context.Context, e Event) error
}

// DeadLetterFunc is told about every event the dispatcher gives up on.
type DeadLetterFunc func(ctx context.Context, d Delivery, reason string)

// DispatcherOption configures a Dispatcher.
type DispatcherOption func(*Dispatcher)

// WithDispatchClock sets the clock that decides leases and retry times.
func WithDispatchClock(c Clock) DispatcherOption { return func(d *Dispatcher) { d.clock = c } }

// WithDispatchLogger sets the logger. Event payloads are never logged.
func WithDispatchLogger(l *slog.Logger) DispatcherOption { return func(d *Dispatcher) { d.log = l } }

// WithBackoff sets the retry delays: the n-th failure of an event (n from
// 1) waits base·2^(n-1), at most max. Defaults 1s and 1h.
func WithBackoff(base, max time.Duration) DispatcherOption {
	return func(d *Dispatcher) { d.baseDelay, d.maxDelay = base, max }
}

// WithMaxAttempts sets how many attempts an event gets before it is marked
// dead (default 20).
func WithMaxAttempts(n int) DispatcherOption { return func(d *Dispatcher) { d.maxAttempts = n } }

// WithLease sets how long a claim holds a batch (default 1 minute). It must
// exceed the time a batch takes: an event whose lease ran out is skipped,
// since another dispatcher may have claimed it.
func WithLease(l time.Duration) DispatcherOption { return func(d *Dispatcher) { d.lease = l } }

// WithBatchSize sets how many events one RunOnce claims (default 100).
func WithBatchSize(n int) DispatcherOption { return func(d *Dispatcher) { d.batch = n } }

// WithPollInterval sets how long Run waits when the outbox has nothing due
// (default 1s).
func WithPollInterval(p time.Duration) DispatcherOption { return func(d *Dispatcher) { d.poll = p } }

// WithDeadLetter sets a function told about every event given up on.
func WithDeadLetter(f DeadLetterFunc) DispatcherOption { return func(d *Dispatcher) { d.onDead = f } }

// Dispatcher delivers the events of an Outbox to subscribers, at least
// once, retrying failures with exponential back-off. Any number of
// dispatchers (goroutines or processes) may share one outbox: claims keep
// them from handling one event at the same time. It is safe for concurrent
// use.
type Dispatcher struct {
	outbox      Outbox
	subs        []Subscriber
	clock       Clock
	log         *slog.Logger
	baseDelay   time.Duration
	maxDelay    time.Duration
	maxAttempts int
	lease       time.Duration
	batch       int
	poll        time.Duration
	onDead      DeadLetterFunc
}

// NewDispatcher returns a dispatcher of outbox's events to subscribers.
// Zero or negative option values fall back to the defaults.
func NewDispatcher(outbox Outbox, subscribers []Subscriber, opts ...DispatcherOption) *Dispatcher {
	d := &Dispatcher{
		outbox: outbox, subs: append([]Subscriber(nil), subscribers...),
		clock: SystemClock{}, log: slog.New(slog.DiscardHandler),
		baseDelay: time.Second, maxDelay: time.Hour, maxAttempts: 20,
		lease: time.Minute, batch: 100, poll: time.Second,
	}
	for _, o := range opts {
		o(d)
	}
	if d.clock == nil {
		d.clock = SystemClock{}
	}
	if d.log == nil {
		d.log = slog.New(slog.DiscardHandler)
	}
	if d.baseDelay <= 0 {
		d.baseDelay = time.Second
	}
	if d.maxDelay <= 0 {
		d.maxDelay = time.Hour
	}
	if d.maxDelay < d.baseDelay {
		d.maxDelay = d.baseDelay
	}
	if d.maxAttempts <= 0 {
		d.maxAttempts = 20
	}
	if d.lease <= 0 {
		d.lease = time.Minute
	}
	if d.batch <= 0 {
		d.batch = 100
	}
	if d.poll <= 0 {
		d.poll = time.Second
	}
	return d
}

// Backoff returns the wait after the n-th failed attempt (n from 1).
func (d *Dispatcher) Backoff(n int) time.Duration {
	delay := d.baseDelay
	for i := 1; i < n && delay < d.maxDelay; i++ {
		delay *= 2
	}
	return min(delay, d.maxDelay)
}

// RunOnce claims one batch of due events and delivers each to every
// subscriber that handles its type: an event all of them took is marked
// delivered (also one nobody handles), one that failed is retried after
// Backoff, and one that failed its last attempt is marked dead. It returns
// how many events it claimed; the error reports a failed claim or failed
// marks (a stale mark, which means another dispatcher owns the event now,
// is only logged).
func (d *Dispatcher) RunOnce(ctx context.Context) (n int, err error) {
	batch, err := d.outbox.Claim(ctx, d.clock.Now(), d.lease, d.batch)
	if err != nil {
		return 0, fmt.Errorf("claim outbox events: %w", err)
	}
	var errs []error
	for _, del := range batch {
		if err := ctx.Err(); err != nil {
			// Unhandled claims return to the outbox when their lease ends.
			errs = append(errs, err)
			break
		}
		if err := d.deliver(ctx, del); err != nil {
			errs = append(errs, err)
		}
	}
	return len(batch), errors.Join(errs...)
}

// deliver hands one claimed event to its subscribers and records the
// outcome.
func (d *Dispatcher) deliver(ctx context.Context, del Delivery) error {
	e := del.Event
	attrs := []any{"event", e.ID, "type", e.Type, "organization", e.OrganizationID, "attempt", del.Attempt}
	if del.Attempt > d.maxAttempts {
		// Earlier claims never reported back (crashed dispatchers): do not
		// try an event that may be what crashes them.
		return d.dead(ctx, del, fmt.Sprintf("abandoned after %d unfinished attempts", del.Attempt-1), attrs)
	}
	now := d.clock.Now()
	left := del.ClaimedUntil.Sub(now)
	if left <= 0 {
		d.log.WarnContext(ctx, "outbox lease expired before delivery; event left to the next claim", attrs...)
		return nil
	}
	hctx, cancel := context.WithTimeout(ctx, left)
	defer cancel()
	var failures []error
	for _, s := range d.subs {
		if !s.Handles(e.Type) {
			continue
		}
		if err := d.handle(hctx, s, e); err != nil {
			failures = append(failures, fmt.Errorf("%s: %w", s.Name(), err))
			d.log.WarnContext(ctx, "outbox subscriber failed", append(attrs, "subscriber", s.Name(), "err", err)...)
		}
	}
	// Record the outcome even when ctx ends now (shutdown): an unrecorded
	// delivery would be made again.
	mctx := context.WithoutCancel(ctx)
	if len(failures) == 0 {
		return d.mark(ctx, d.outbox.MarkDelivered(mctx, del), attrs)
	}
	reason := errors.Join(failures...).Error()
	if del.Attempt >= d.maxAttempts {
		return d.dead(mctx, del, reason, attrs)
	}
	retryAt := d.clock.Now().Add(d.Backoff(del.Attempt))
	return d.mark(ctx, d.outbox.MarkFailed(mctx, del, retryAt, reason), attrs)
}

// handle calls one subscriber, turning a panic into an error.
func (d *Dispatcher) handle(ctx context.Context, s Subscriber, e Event) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	return s.Handle(ctx, e)
}

// dead marks del dead, then logs and reports it.
func (d *Dispatcher) dead(ctx context.Context, del Delivery, reason string, attrs []any) error {
	if err := d.outbox.MarkDead(ctx, del, reason); err != nil {
		return d.mark(ctx, err, attrs)
	}
	d.log.ErrorContext(ctx, "outbox event dead: no more attempts", append(attrs, "reason", reason)...)
	if d.onDead != nil {
		d.onDead(ctx, del, reason)
	}
	return nil
}

// mark logs a stale mark (another claim owns the event now) and returns
// any other failure.
func (d *Dispatcher) mark(ctx context.Context, err error, attrs []any) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, ErrStale) {
		d.log.WarnContext(ctx, "outbox claim lost to another dispatcher", attrs...)
		return nil
	}
	return fmt.Errorf("mark outbox event %v: %w", attrs[1], err)
}

// Run calls RunOnce until ctx is done: again at once after a full batch,
// after the poll interval otherwise. Errors are logged and retried after
// the poll interval. It returns ctx's error.
func (d *Dispatcher) Run(ctx context.Context) error {
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-timer.C:
		}
		n, err := d.RunOnce(ctx)
		if err != nil && ctx.Err() == nil {
			d.log.ErrorContext(ctx, "outbox dispatch failed", "err", err)
		}
		wait := d.poll
		if err == nil && n >= d.batch {
			wait = 0
		}
		timer.Reset(wait)
	}
}
