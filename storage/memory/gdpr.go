package memory

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"

	"github.com/google/uuid"

	"github.com/b2bkit/customerusers/consent"
)

// The GDPR erasure capabilities that consent.GDPR detects.
var (
	_ consent.EventRedactor = eventRepo{}
	_ consent.AttemptEraser = attemptRepo{}
)

// redactedPayload replaces the payloads of redacted events.
var redactedPayload = json.RawMessage(`{"redacted":true}`)

// RedactSubject replaces the payload of every event of the subject that
// has one with {"redacted":true}; the change is undone with its
// transaction. It implements consent.EventRedactor.
func (r eventRepo) RedactSubject(ctx context.Context, org uuid.UUID, subjectType string, subjectID uuid.UUID) error {
	return r.s.write(ctx, func(t *txn) error {
		for i, e := range r.s.events {
			if e.OrganizationID != org || e.SubjectType != subjectType || e.SubjectID != subjectID ||
				len(e.Payload) == 0 || bytes.Equal(e.Payload, redactedPayload) {
				continue
			}
			e.Payload = bytes.Clone(redactedPayload)
			setAt(t, &r.s.events, i, e)
		}
		return nil
	})
}

// EraseForUser blanks the e-mail, IP address and user agent of the user's
// login attempts and of the attempts that matched no user but were made
// with the user's current e-mail (case-insensitively). It implements
// consent.AttemptEraser.
func (r attemptRepo) EraseForUser(ctx context.Context, org, userID uuid.UUID) error {
	return r.s.write(ctx, func(t *txn) error {
		email := ""
		if u, ok := r.s.users[userID]; ok && u.OrganizationID == org {
			email = u.Email
		}
		for i, a := range r.s.attempts {
			if a.OrganizationID != org || (a.Email == "" && a.IP == "" && a.UserAgent == "") {
				continue
			}
			mine := a.UserID == userID ||
				(a.UserID == uuid.Nil && email != "" && a.Email != "" && strings.EqualFold(a.Email, email))
			if !mine {
				continue
			}
			a.Email, a.IP, a.UserAgent = "", "", ""
			setAt(t, &r.s.attempts, i, a)
		}
		return nil
	})
}

// setAt sets (*s)[i] = v, remembering how to undo it. The undo goes
// through the pointer: an append later in the transaction may move the
// slice (its own undo, run first, shortens it back).
func setAt[V any](t *txn, s *[]V, i int, v V) {
	old := (*s)[i]
	(*s)[i] = v
	t.undo = append(t.undo, func() { (*s)[i] = old })
}
