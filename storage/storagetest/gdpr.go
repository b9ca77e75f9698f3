package storagetest

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	cu "github.com/b2bkit/customerusers"
	"github.com/b2bkit/customerusers/consent"
	"github.com/b2bkit/customerusers/customeruser"
)

// RunErasure runs the contract of the GDPR erasure capabilities that
// consent.GDPR uses when a storage offers them: consent.EventRedactor on
// Repos.Events and consent.AttemptEraser on Repos.Attempts (both must be
// implemented). Each subtest calls open(t) for a fresh storage, in
// parallel. Choices it enforces: a redacted payload is exactly
// {"redacted":true} and events without a payload keep none; erased
// attempts keep their id, time, outcome, reason and source, with the
// e-mail, IP address and user agent blank.
func RunErasure(t *testing.T, open func(t *testing.T) Repos) {
	t.Helper()
	cases := []testCase{
		{"RedactSubject", erasureRedact},
		{"EraseAttempts", erasureAttempts},
		{"RolledBack", erasureRolledBack},
	}
	runCases(t, cases, open, func(t *testing.T, r Repos, fn func(*env)) {
		_, ok := r.Events.(consent.EventRedactor)
		require.True(t, ok, "Repos.Events (%T) implements consent.EventRedactor", r.Events)
		_, ok = r.Attempts.(consent.AttemptEraser)
		require.True(t, ok, "Repos.Attempts (%T) implements consent.AttemptEraser", r.Attempts)
		fn(newEnv(t, r))
	})
}

func (e *env) redactor() consent.EventRedactor { return e.Events.(consent.EventRedactor) }
func (e *env) eraser() consent.AttemptEraser   { return e.Attempts.(consent.AttemptEraser) }

// listEvents returns every event of org matching f.
func (e *env) listEvents(org uuid.UUID, f cu.EventFilter) []cu.Event {
	e.t.Helper()
	return allPages(e.t, 0, lister(e.ctx, e.Events.List, org, f), cu.Page{})
}

// listAttempts returns every attempt of org and user (uuid.Nil: the
// attempts that matched no user).
func (e *env) listAttempts(org, userID uuid.UUID) []customeruser.LoginAttempt {
	e.t.Helper()
	return allPages(e.t, 0, lister(e.ctx, e.Attempts.List, org, userID), cu.Page{})
}

// redacted is what a redacted event looks like: the same event with the
// payload {"redacted":true}.
func redacted(ev cu.Event) cu.Event {
	ev.Payload = json.RawMessage(`{"redacted":true}`)
	return normEvent(ev)
}

// RedactSubject replaces the payloads of one subject's events, of one
// subject type and one organization, and nothing else; it keeps the log's
// order and every other field, and may run twice.
func erasureRedact(e *env) {
	t := e.t
	other := cu.NewID()
	user, someone := cu.NewID(), cu.NewID()
	personal := map[string]any{"email": "ada@example.com", "firstName": "Ada", "ip": "203.0.113.7"}
	evs := []cu.Event{
		event(e.org, customeruser.SubjectCustomerUser, user, "customer_user.created", base, personal),
		event(e.org, customeruser.SubjectCustomerUser, user, "customer_user.confirmation_sent", base.Add(time.Second), nil),
		event(e.org, customeruser.SubjectNotification, user, "notification.requested", base.Add(2*time.Second), personal),
		event(e.org, customeruser.SubjectCustomerUser, someone, "customer_user.created", base.Add(3*time.Second), personal),
		event(e.org, customeruser.SubjectCustomerUser, user, "customer_user.updated", base.Add(4*time.Second), []cu.Change{{Field: "email", Before: "a@x", After: "b@x"}}),
		event(other, customeruser.SubjectCustomerUser, user, "customer_user.created", base, personal),
	}
	require.NoError(t, e.Events.Append(e.ctx, evs[:3]...))
	for _, ev := range evs[3:] {
		require.NoError(t, e.Events.Append(e.ctx, ev))
	}

	require.NoError(t, e.redactor().RedactSubject(e.ctx, e.org, customeruser.SubjectCustomerUser, user))
	want := []cu.Event{redacted(evs[0]), normEvent(evs[1]), normEvent(evs[2]), normEvent(evs[3]), redacted(evs[4])}
	assert.Equal(t, want, mapSlice(e.listEvents(e.org, cu.EventFilter{}), normEvent), "only the subject's payloads changed")
	assert.Equal(t, []cu.Event{normEvent(evs[5])}, mapSlice(e.listEvents(other, cu.EventFilter{}), normEvent), "another organization's stay")

	require.NoError(t, e.redactor().RedactSubject(e.ctx, e.org, customeruser.SubjectNotification, user))
	want[2] = redacted(evs[2])
	require.NoError(t, e.redactor().RedactSubject(e.ctx, e.org, customeruser.SubjectCustomerUser, user), "twice is fine")
	assert.Equal(t, want, mapSlice(e.listEvents(e.org, cu.EventFilter{}), normEvent))
	require.NoError(t, e.redactor().RedactSubject(e.ctx, e.org, customeruser.SubjectCustomerUser, cu.NewID()), "nothing to redact")
}

// EraseForUser blanks the personal fields of the user's attempts and of
// the attempts that matched no user but used its e-mail, in its
// organization only, and keeps the facts.
func erasureAttempts(e *env) {
	t := e.t
	c := e.customer(e.org, uuid.Nil, "Acme")
	u := e.user(e.org, c.ID, "Ada@Example.com")
	v := e.user(e.org, c.ID, "bob@example.com")
	other := cu.NewID()
	record := func(org, userID uuid.UUID, email string, minute int, success bool) customeruser.LoginAttempt {
		t.Helper()
		a := customeruser.LoginAttempt{
			ID: cu.NewID(), OrganizationID: org, UserID: userID, Email: email,
			At: base.Add(time.Duration(minute) * time.Minute), Success: success, Source: "storefront",
			IP: "203.0.113.7", UserAgent: "Mozilla/5.0",
		}
		if !success {
			a.Reason = "wrong_password"
		}
		require.NoError(t, e.Attempts.Record(e.ctx, a))
		return a
	}
	mine := []customeruser.LoginAttempt{record(e.org, u.ID, "Ada@Example.com", 1, false), record(e.org, u.ID, "ada@example.com", 2, true)}
	typed := record(e.org, uuid.Nil, "ADA@example.COM", 3, false)
	stranger := record(e.org, uuid.Nil, "eve@example.com", 4, false)
	bobs := record(e.org, v.ID, "bob@example.com", 5, true)
	elsewhere := record(other, u.ID, "ada@example.com", 6, false)

	require.NoError(t, e.eraser().EraseForUser(e.ctx, e.org, u.ID))
	blank := func(a customeruser.LoginAttempt) customeruser.LoginAttempt {
		a.Email, a.IP, a.UserAgent = "", "", ""
		return normAttempt(a)
	}
	assert.Equal(t, []customeruser.LoginAttempt{blank(mine[1]), blank(mine[0])},
		mapSlice(e.listAttempts(e.org, u.ID), normAttempt), "the user's attempts keep their facts only")
	assert.Equal(t, []customeruser.LoginAttempt{normAttempt(stranger), blank(typed)},
		mapSlice(e.listAttempts(e.org, uuid.Nil), normAttempt), "an attempt with the user's e-mail in another case is erased too")
	assert.Equal(t, []customeruser.LoginAttempt{normAttempt(bobs)}, mapSlice(e.listAttempts(e.org, v.ID), normAttempt))
	assert.Equal(t, []customeruser.LoginAttempt{normAttempt(elsewhere)}, mapSlice(e.listAttempts(other, u.ID), normAttempt),
		"another organization's stay")
	n, _ := e.failures(u.ID, base)
	assert.Equal(t, 0, n, "the facts still count: the success after the failure resets the count")

	require.NoError(t, e.eraser().EraseForUser(e.ctx, e.org, u.ID), "twice is fine")
	require.NoError(t, e.eraser().EraseForUser(e.ctx, e.org, cu.NewID()), "an unknown user")
	assert.Equal(t, normAttempt(stranger), normAttempt(e.listAttempts(e.org, uuid.Nil)[0]))
}

// Redactions and erasures inside a failed transaction are undone, even when
// the transaction appended events after them.
func erasureRolledBack(e *env) {
	t := e.t
	c := e.customer(e.org, uuid.Nil, "Acme")
	u := e.user(e.org, c.ID, "ada@example.com")
	ev := event(e.org, customeruser.SubjectCustomerUser, u.ID, "customer_user.created", base, map[string]any{"email": u.Email})
	require.NoError(t, e.Events.Append(e.ctx, ev))
	a := e.attempt(e.org, u.ID, 1, false)
	err := e.Tx.InTx(e.ctx, func(ctx context.Context) error {
		if err := e.eraser().EraseForUser(ctx, e.org, u.ID); err != nil {
			return err
		}
		if err := e.redactor().RedactSubject(ctx, e.org, customeruser.SubjectCustomerUser, u.ID); err != nil {
			return err
		}
		for i := range 40 { // enough appends to move a slice-backed log
			x := event(e.org, customeruser.SubjectCustomerUser, u.ID, "customer_user.updated", base.Add(time.Duration(i)*time.Second), nil)
			if err := e.Events.Append(ctx, x); err != nil {
				return err
			}
		}
		return errBoom
	})
	require.ErrorIs(t, err, errBoom)
	assert.Equal(t, []cu.Event{normEvent(ev)}, mapSlice(e.listEvents(e.org, cu.EventFilter{}), normEvent))
	assert.Equal(t, []customeruser.LoginAttempt{normAttempt(a)}, mapSlice(e.listAttempts(e.org, u.ID), normAttempt))
}
