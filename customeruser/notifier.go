package customeruser

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/google/uuid"

	cu "github.com/b2bkit/customerusers"
)

// The event an OutboxNotifier appends for every notification. Its subject
// is the user under its own subject type, so notification requests stay out
// of the user's History (subject type "customer_user").
const (
	EventNotificationRequested = "notification.requested"
	SubjectNotification        = "notification"
)

// NotificationPayload is the payload of a "notification.requested" event:
// the Notification with its one-time token sealed, so that no secret is
// stored in clear. Hosts may decode it (OpenNotification) to deliver by
// other means than e-mail.
type NotificationPayload struct {
	Template       string    `json:"template"`
	UserID         uuid.UUID `json:"userId"`
	Email          string    `json:"email"`
	Name           string    `json:"name"`
	WebsiteID      uuid.UUID `json:"websiteId"`
	LocalizationID uuid.UUID `json:"localizationId"`
	// SealedToken is the Sealer's output for Notification.Token; empty
	// when the notification has no token.
	SealedToken []byte `json:"sealedToken,omitempty"`
	// Data is Notification.Data.
	Data map[string]string `json:"data,omitempty"`
}

// Sealer encrypts and authenticates small secrets with a key of the host,
// so that the one-time tokens of pending e-mails can sit in the outbox
// without being readable there.
type Sealer interface {
	Seal(plaintext []byte) ([]byte, error)
	// Open returns the plaintext of a sealed value; a value sealed with
	// another key or changed in any way is an error.
	Open(sealed []byte) ([]byte, error)
}

// aesGCMSealer seals with AES-256-GCM: version byte, random 96-bit nonce,
// ciphertext and tag.
type aesGCMSealer struct{ aead cipher.AEAD }

const sealVersion = 1

// sealContext binds sealed values to this use, so that a value sealed for
// another purpose with the same key does not open here.
var sealContext = []byte("customerusers/notification-token/v1")

// NewAESGCMSealer returns a Sealer using AES-256-GCM with a 32-byte key
// (keep it with the host's other secrets; changing it makes tokens of
// pending e-mails unreadable, which fails those e-mails).
func NewAESGCMSealer(key []byte) (Sealer, error) {
	if len(key) != 32 {
		return nil, fmt.Errorf("customeruser: sealer key must be 32 bytes, got %d", len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return aesGCMSealer{aead}, nil
}

func (s aesGCMSealer) Seal(plaintext []byte) ([]byte, error) {
	n := s.aead.NonceSize()
	out := make([]byte, 1+n, 1+n+len(plaintext)+s.aead.Overhead())
	out[0] = sealVersion
	if _, err := rand.Read(out[1:]); err != nil {
		return nil, err
	}
	return s.aead.Seal(out, out[1:], plaintext, sealContext), nil
}

func (s aesGCMSealer) Open(sealed []byte) ([]byte, error) {
	n := s.aead.NonceSize()
	if len(sealed) < 1+n+s.aead.Overhead() || sealed[0] != sealVersion {
		return nil, errors.New("customeruser: malformed sealed value")
	}
	out, err := s.aead.Open(nil, sealed[1:1+n], sealed[1+n:], sealContext)
	if err != nil {
		return nil, errors.New("customeruser: sealed value does not open with this key")
	}
	return out, nil
}

// OutboxNotifier is the reliable Notifier: it appends each notification as
// a "notification.requested" event to the event log, in the transaction of
// the change that caused it (the Service calls Notify inside it), with the
// one-time token sealed. A cu.Dispatcher then hands the event to an
// EmailSubscriber, after commit, retrying until the Mailer takes it. So a
// rolled-back change sends nothing and a committed one is never lost.
type OutboxNotifier struct {
	events cu.EventLog
	sealer Sealer
	clock  cu.Clock
	newID  cu.IDFunc
}

// OutboxNotifierOption configures an OutboxNotifier.
type OutboxNotifierOption func(*OutboxNotifier)

// WithNotifierClock sets the clock that dates the events.
func WithNotifierClock(c cu.Clock) OutboxNotifierOption {
	return func(n *OutboxNotifier) { n.clock = c }
}

// WithNotifierIDs sets the id generator of the events.
func WithNotifierIDs(f cu.IDFunc) OutboxNotifierOption {
	return func(n *OutboxNotifier) { n.newID = f }
}

// NewOutboxNotifier returns a notifier appending to events (the event log
// of the Service's storage, so that it joins the Service's transactions).
// Both arguments are required: it panics without them, because a notifier
// that cannot seal would have to store tokens in clear.
func NewOutboxNotifier(events cu.EventLog, sealer Sealer, opts ...OutboxNotifierOption) *OutboxNotifier {
	if events == nil || sealer == nil {
		panic("customeruser: NewOutboxNotifier needs an event log and a sealer")
	}
	n := &OutboxNotifier{events: events, sealer: sealer, clock: cu.SystemClock{}, newID: cu.NewID}
	for _, o := range opts {
		o(n)
	}
	return n
}

// Notify appends the notification event in the transaction of ctx.
func (n *OutboxNotifier) Notify(ctx context.Context, x Notification) error {
	p := NotificationPayload{
		Template: x.Template, UserID: x.UserID, Email: x.Email, Name: x.Name,
		WebsiteID: x.WebsiteID, LocalizationID: x.LocalizationID, Data: x.Data,
	}
	if x.Token != "" {
		sealed, err := n.sealer.Seal([]byte(x.Token))
		if err != nil {
			return fmt.Errorf("seal notification token: %w", err)
		}
		p.SealedToken = sealed
	}
	e := cu.NewEvent(n.newID(), n.clock.Now().UTC(), cu.SystemActor(x.OrganizationID), EventNotificationRequested, SubjectNotification, x.UserID, p)
	return n.events.Append(ctx, e)
}

// OpenNotification decodes a "notification.requested" event back into its
// Notification, opening the token with sealer.
func OpenNotification(e cu.Event, sealer Sealer) (Notification, error) {
	if e.Type != EventNotificationRequested {
		return Notification{}, fmt.Errorf("event %s is a %q, not a notification", e.ID, e.Type)
	}
	var p NotificationPayload
	if err := json.Unmarshal(e.Payload, &p); err != nil {
		return Notification{}, fmt.Errorf("decode notification %s: %w", e.ID, err)
	}
	n := Notification{
		Template: p.Template, OrganizationID: e.OrganizationID, UserID: p.UserID, Email: p.Email, Name: p.Name,
		WebsiteID: p.WebsiteID, LocalizationID: p.LocalizationID, Data: p.Data,
	}
	if len(p.SealedToken) > 0 {
		if sealer == nil {
			return Notification{}, fmt.Errorf("notification %s has a sealed token and no sealer is set", e.ID)
		}
		tok, err := sealer.Open(p.SealedToken)
		if err != nil {
			return Notification{}, fmt.Errorf("open token of notification %s: %w", e.ID, err)
		}
		n.Token = string(tok)
	}
	return n, nil
}
