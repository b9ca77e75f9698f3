package consent

import (
	"context"
	"slices"
	"time"

	"github.com/google/uuid"

	cu "github.com/b2bkit/customerusers"
)

// Definition is a consent that customer users are asked to accept (terms of
// sale, marketing e-mails, data sharing). Once any user accepted it, its
// names, mandatory flag, declined notification and the content reference of
// an accepted content version are frozen: changing the text means
// publishing a new content version, which users then re-accept.
type Definition struct {
	ID             uuid.UUID
	OrganizationID uuid.UUID
	// DefaultName is shown where no localized name exists; required.
	DefaultName string
	// Names are localized names by localization id.
	Names map[uuid.UUID]string
	// Mandatory consents must be accepted to register (default true).
	Mandatory bool
	// DeclinedNotification makes a revocation emit a consent.declined
	// event, which the host turns into a contact request or a task
	// (default true).
	DeclinedNotification bool
	// ContentRef points at the text users accept: a landing page id or a
	// URL, as the host understands it. Optional.
	ContentRef string
	// ContentVersion is the version of the text, from 1; publishing new
	// content increases it and makes earlier acceptances need re-acceptance.
	ContentVersion int
	// WebsiteIDs are the websites the consent is enabled (shown) on.
	WebsiteIDs []uuid.UUID
	// Position orders consents on forms and views (ascending, then id).
	Position  int
	CreatedAt time.Time
	UpdatedAt time.Time
	Version   int64
}

// Name returns the name for a localization, or the default name.
func (d Definition) Name(localizationID uuid.UUID) string {
	if n, ok := d.Names[localizationID]; ok && n != "" {
		return n
	}
	return d.DefaultName
}

// EnabledFor reports whether the consent is shown on a website.
func (d Definition) EnabledFor(websiteID uuid.UUID) bool {
	return websiteID != uuid.Nil && slices.Contains(d.WebsiteIDs, websiteID)
}

// Kind says whether a ledger entry accepts or revokes.
type Kind string

// The kinds of ledger entries.
const (
	KindAccept Kind = "accept"
	KindRevoke Kind = "revoke"
)

// The sources of ledger entries the library writes itself. Callers of
// Accept and Revoke may pass any other lower-case word (or one of
// SourceProfile, SourceBackOffice, SourceAPI, SourceCheckout).
const (
	// SourceRegistration: accepted on the self-registration form.
	SourceRegistration = "registration"
	// SourceDeletion: revoked because the user was deleted.
	SourceDeletion = "deletion"
	// SourceErasure: revoked because the user was erased (GDPR).
	SourceErasure = "erasure"
	// SourceProfile: the user on its storefront profile (the default for
	// storefront actors).
	SourceProfile = "profile"
	// SourceBackOffice: recorded by a back-office user on the user's
	// behalf (the default for back-office actors).
	SourceBackOffice = "back_office"
	// SourceAPI: recorded by the host's own code (the default for system
	// actors).
	SourceAPI = "api"
	// SourceCheckout: given during checkout.
	SourceCheckout = "checkout"
)

// Entry is one fact of the append-only consent ledger: a user accepted or
// revoked a content version of a consent, at a time, through a source, by
// an actor. Entries are never changed or deleted; the current state of a
// (user, consent) pair is its latest entry. Entries outlive their user: the
// user id then resolves to no one.
type Entry struct {
	ID             uuid.UUID `json:"id"`
	OrganizationID uuid.UUID `json:"organizationId"`
	ConsentID      uuid.UUID `json:"consentId"`
	UserID         uuid.UUID `json:"userId"`
	// ContentVersion is the version accepted, or the one revoked.
	ContentVersion int `json:"contentVersion"`
	// ContentRef is the content reference of that version when the entry
	// was written: the page the user actually saw.
	ContentRef string      `json:"contentRef,omitempty"`
	Kind       Kind        `json:"kind"`
	At         time.Time   `json:"at"`
	Source     string      `json:"source"`
	Actor      cu.ActorRef `json:"actor"`
}

// State is where a customer user stands with one consent enabled for its
// website, as the back-office view and the storefront profile show it.
type State struct {
	ConsentID uuid.UUID `json:"consentId"`
	// Name is the consent's name in the user's preferred localization.
	Name      string `json:"name"`
	Mandatory bool   `json:"mandatory"`
	// CurrentVersion and ContentRef describe the content users accept now.
	CurrentVersion int    `json:"currentVersion"`
	ContentRef     string `json:"contentRef,omitempty"`
	// Accepted is true when the latest entry of the user is an acceptance
	// (of any version).
	Accepted bool `json:"accepted"`
	// AcceptedVersion, AcceptedContentRef and AcceptedAt describe that
	// acceptance.
	AcceptedVersion    int        `json:"acceptedVersion,omitempty"`
	AcceptedContentRef string     `json:"acceptedContentRef,omitempty"`
	AcceptedAt         *time.Time `json:"acceptedAt,omitempty"`
	// NeedsReacceptance is true when an older content version was
	// accepted.
	NeedsReacceptance bool `json:"needsReacceptance"`
}

// DefinitionFilter selects definitions in List. Zero fields do not filter.
type DefinitionFilter struct {
	// WebsiteID keeps definitions enabled for that website.
	WebsiteID uuid.UUID
	IDs       []uuid.UUID
}

// DefinitionRepository stores consent definitions. Every method is scoped
// by organization. Update stores d with Version = expectedVersion+1, or
// fails with cu.ErrStale. Get, Lock, Update and Delete of an unknown id fail
// with cu.ErrNotFound.
type DefinitionRepository interface {
	Get(ctx context.Context, org, id uuid.UUID) (Definition, error)
	// Lock reads a definition in the transaction of ctx and locks it until
	// the transaction ends: shared for ledger appends (Accept, Revoke),
	// exclusive for Update and Delete, so that an acceptance and an edit of
	// one consent never interleave (PostgreSQL: SELECT ... FOR SHARE / FOR
	// UPDATE). Storages that serialize transactions may simply read.
	Lock(ctx context.Context, org, id uuid.UUID, exclusive bool) (Definition, error)
	// List pages definitions by Position, then id. The only sort is the
	// default one ("" or "position", ascending); others are invalid.
	List(ctx context.Context, org uuid.UUID, f DefinitionFilter, p cu.Page) (cu.PageOf[Definition], error)
	Create(ctx context.Context, d Definition) error
	Update(ctx context.Context, d Definition, expectedVersion int64) error
	// Delete fails with cu.ErrConflict while the ledger holds entries of
	// the consent (a foreign key with ON DELETE RESTRICT).
	Delete(ctx context.Context, org, id uuid.UUID) error
}

// LedgerFilter selects ledger entries. Zero fields do not filter.
type LedgerFilter struct {
	UserID    uuid.UUID
	ConsentID uuid.UUID
}

// LedgerRepository stores the append-only consent ledger. There is no way
// to change or delete an entry. Every method is scoped by organization.
// Entries keep the user id after the user is deleted: there is no foreign
// key to users.
type LedgerRepository interface {
	// Append stores entries in the given order. It fails with
	// cu.ErrNotFound when an entry's consent does not exist in the entry's
	// organization, and with cu.ErrConflict for an id already stored.
	Append(ctx context.Context, entries ...Entry) error
	// List pages entries in append order.
	List(ctx context.Context, org uuid.UUID, f LedgerFilter, p cu.Page) (cu.PageOf[Entry], error)
	// Latest returns the latest entry of the user per consent, for the
	// given consents (all consents when none are given). Consents without
	// entries are absent from the map.
	Latest(ctx context.Context, org, userID uuid.UUID, consentIDs []uuid.UUID) (map[uuid.UUID]Entry, error)
	// HasAcceptance reports whether anyone ever accepted that content
	// version of the consent (later revocations do not matter).
	HasAcceptance(ctx context.Context, org, consentID uuid.UUID, contentVersion int) (bool, error)
	// HasAnyAcceptance reports whether anyone ever accepted any version.
	HasAnyAcceptance(ctx context.Context, org, consentID uuid.UUID) (bool, error)
}

// PersonalDataSource is a package or host component that holds personal
// data about customer users (package oauthapp, the host's orders...). GDPR
// export and erasure call every registered source.
type PersonalDataSource interface {
	// Name is the section of the export document ("oauthApplications").
	Name() string
	// Export returns what the source holds about the user, encodable as
	// JSON. It never returns secrets (hashes, tokens).
	Export(ctx context.Context, org, userID uuid.UUID) (any, error)
	// Erase deletes or anonymises what the source holds about the user. It
	// runs inside the erasing transaction; an error undoes the erasure.
	Erase(ctx context.Context, actor cu.Actor, org, userID uuid.UUID) error
}
