package customerusers

import (
	"context"
	"encoding/json"
	"time"

	"github.com/google/uuid"
)

// Event is a state change, appended in the same transaction as the change
// itself (transactional outbox). Events are the audit history of an entity
// and the feed of notifications. Payloads never contain secrets.
type Event struct {
	ID             uuid.UUID `json:"id"`
	OrganizationID uuid.UUID `json:"organizationId"`
	// Type is a dotted name such as "customer_user.created".
	Type string `json:"type"`
	// SubjectType and SubjectID name the entity that changed
	// ("customer_user", id).
	SubjectType string    `json:"subjectType"`
	SubjectID   uuid.UUID `json:"subjectId"`
	Actor       ActorRef  `json:"actor"`
	OccurredAt  time.Time `json:"occurredAt"`
	// Payload is a JSON document; for updates it holds field-level changes
	// (see Changes).
	Payload json.RawMessage `json:"payload,omitempty"`
}

// Change is one field's before and after values in an event payload.
type Change struct {
	Field  string `json:"field"`
	Before any    `json:"before"`
	After  any    `json:"after"`
}

// EventFilter selects events of one subject.
type EventFilter struct {
	SubjectType string
	SubjectID   uuid.UUID
}

// EventLog is the append-only outbox. Implementations live in storage.
type EventLog interface {
	// Append stores events in the transaction of ctx.
	Append(ctx context.Context, events ...Event) error
	// List returns the events of one subject in the order they happened.
	List(ctx context.Context, org uuid.UUID, f EventFilter, p Page) (PageOf[Event], error)
}

// NewEvent builds an event, marshalling payload (nil for none).
func NewEvent(id uuid.UUID, at time.Time, actor Actor, typ, subjectType string, subjectID uuid.UUID, payload any) Event {
	e := Event{ID: id, OrganizationID: actor.OrganizationID, Type: typ, SubjectType: subjectType, SubjectID: subjectID, Actor: actor.Ref(), OccurredAt: at}
	if payload != nil {
		b, err := json.Marshal(payload)
		if err != nil {
			b, _ = json.Marshal(map[string]string{"error": "payload not encodable"})
		}
		e.Payload = b
	}
	return e
}
