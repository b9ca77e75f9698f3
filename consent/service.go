package consent

import (
	"context"
	"log/slog"
	"time"

	"github.com/google/uuid"

	cu "github.com/b2bkit/customerusers"
	"github.com/b2bkit/customerusers/customeruser"
	"github.com/b2bkit/customerusers/role"
)

// The subject type and event types of consent definitions (subject: the
// consent).
const (
	SubjectConsent = "consent"
	// EventCreated carries a snapshot of the new definition.
	EventCreated = "consent.created"
	// EventUpdated carries the field-level changes ([]cu.Change).
	EventUpdated = "consent.updated"
	// EventDeleted carries a snapshot of the deleted definition.
	EventDeleted = "consent.deleted"
)

// The event types of the ledger. Their subject is the customer user
// (customeruser.SubjectCustomerUser), so that they show in its history.
const (
	// EventAccepted and EventRevoked carry an EntryPayload.
	EventAccepted = "consent.accepted"
	EventRevoked  = "consent.revoked"
	// EventDeclined is appended with EventRevoked when the consent's
	// DeclinedNotification is on; it carries a DeclinedPayload for the
	// host (a contact request, a task for a sales representative).
	EventDeclined = "consent.declined"
	// EventUserErased is appended by GDPR.Erase; it carries the number of
	// revocations and the names of the personal data sources erased.
	EventUserErased = "consent.user_erased"
)

// EntryPayload is the payload of consent.accepted and consent.revoked.
type EntryPayload struct {
	EntryID        uuid.UUID `json:"entryId"`
	ConsentID      uuid.UUID `json:"consentId"`
	ConsentName    string    `json:"consentName"`
	ContentVersion int       `json:"contentVersion"`
	Source         string    `json:"source"`
}

// DeclinedPayload is the payload of consent.declined: what a host needs to
// open a contact request about the declined consent.
type DeclinedPayload struct {
	ConsentID      uuid.UUID `json:"consentId"`
	ConsentName    string    `json:"consentName"`
	ContentVersion int       `json:"contentVersion"`
	Email          string    `json:"email"`
	FirstName      string    `json:"firstName"`
	LastName       string    `json:"lastName"`
	CustomerID     uuid.UUID `json:"customerId"`
	WebsiteID      uuid.UUID `json:"websiteId"`
	Source         string    `json:"source"`
}

// Deps are the collaborators of a Service. All are required except Sites,
// which defaults to a directory without websites (then no consent can be
// enabled anywhere). Tx must be the transactor of the storage of every
// repository, and the one the customeruser.Service uses, so that the hooks
// run in its transactions.
type Deps struct {
	Tx          cu.Transactor
	Definitions DefinitionRepository
	Ledger      LedgerRepository
	Users       customeruser.UserRepository
	Events      cu.EventLog
	Sites       customeruser.Sites
	Authorizer  *role.Authorizer
}

// Option configures a Service.
type Option func(*Service)

// WithClock sets the clock (tests use cu.ManualClock).
func WithClock(c cu.Clock) Option { return func(s *Service) { s.clock = c } }

// WithIDs sets the id generator.
func WithIDs(f cu.IDFunc) Option { return func(s *Service) { s.newID = f } }

// WithLogger sets the logger.
func WithLogger(l *slog.Logger) Option { return func(s *Service) { s.log = l } }

// Service holds every rule of consents: definitions, the acceptance ledger
// and the per-user state. It is safe for concurrent use.
type Service struct {
	d     Deps
	clock cu.Clock
	newID cu.IDFunc
	log   *slog.Logger
}

// NewService returns a Service.
func NewService(d Deps, opts ...Option) *Service {
	s := &Service{d: d, clock: cu.SystemClock{}, newID: cu.NewID, log: slog.New(slog.DiscardHandler)}
	for _, o := range opts {
		o(s)
	}
	if s.d.Sites == nil {
		s.d.Sites = customeruser.NewStaticSites()
	}
	return s
}

func (s *Service) now() time.Time { return s.clock.Now().UTC() }

// record appends an event in the transaction of ctx.
func (s *Service) record(ctx context.Context, actor cu.Actor, typ, subjectType string, id uuid.UUID, payload any) error {
	return s.d.Events.Append(ctx, cu.NewEvent(s.newID(), s.now(), actor, typ, subjectType, id, payload))
}

// signedIn refuses anonymous actors and actors without an organization.
func signedIn(actor cu.Actor) error {
	switch actor.Kind {
	case cu.ActorSystem, cu.ActorBackOffice, cu.ActorCustomerUser:
	default:
		return cu.NewError(cu.CodeUnauthenticated, "sign in to manage consents")
	}
	if actor.OrganizationID == uuid.Nil {
		return cu.NewError(cu.CodeUnauthenticated, "the actor has no organization")
	}
	return nil
}

// trustedOnly admits back-office and system actors.
func trustedOnly(actor cu.Actor, what string) error {
	if err := signedIn(actor); err != nil {
		return err
	}
	if !actor.Trusted() {
		return cu.Forbidden("%s is for the back office only", what)
	}
	return nil
}

// authorizeFor checks that actor may perform p (view, create = accept,
// delete = revoke) on the consents of customer user u.
//
// The rule: trusted actors may, within their organization. A storefront
// user may always act on its own consents, since consent is the person's
// own to give and to withdraw; through an OAuth access token (Scopes set)
// only when the token's scopes grant p on consent_acceptance. On other
// users a storefront actor may only view, with a consent_acceptance view
// grant reaching the user: nobody gives or withdraws consent for someone
// else in the storefront (a back-office user may record consent given
// outside the shop, with source "back_office"). A user the actor may not
// see at all is not found.
func (s *Service) authorizeFor(ctx context.Context, actor cu.Actor, p role.Permission, u customeruser.User) error {
	if actor.OrganizationID != u.OrganizationID {
		return cu.NotFound("customer user")
	}
	if actor.Trusted() {
		return nil
	}
	if actor.Kind != cu.ActorCustomerUser {
		return cu.NewError(cu.CodeUnauthenticated, "sign in to manage consents")
	}
	self := actor.ID == u.ID
	if self && actor.Scopes == nil {
		return nil
	}
	g, err := s.d.Authorizer.Grants(ctx, actor)
	if err != nil {
		return err
	}
	t := role.Target{OwnerUserID: u.ID, CustomerID: u.CustomerID}
	if self {
		if g.Can(p, role.ResourceConsentAcceptance, t) {
			return nil
		}
		return cu.Forbidden("this access token does not allow %s on consents", p)
	}
	canView := g.Can(role.View, role.ResourceConsentAcceptance, t)
	switch {
	case p == role.View && canView:
		return nil
	case canView || g.Can(role.View, role.ResourceCustomerUser, t):
		return cu.Forbidden("consents are given and withdrawn by the customer user only")
	}
	return cu.NotFound("customer user")
}

// loadUser reads a customer user of the actor's organization.
func (s *Service) loadUser(ctx context.Context, org, id uuid.UUID) (customeruser.User, error) {
	u, err := s.d.Users.Get(ctx, org, id)
	if err != nil {
		if cu.CodeOf(err) == cu.CodeNotFound {
			return customeruser.User{}, cu.NotFound("customer user")
		}
		return customeruser.User{}, cu.Internal(err)
	}
	return u, nil
}

// websiteOf returns the website whose consents apply to u: its own, else
// the organization's default, else uuid.Nil (no consent applies).
func (s *Service) websiteOf(ctx context.Context, org, websiteID uuid.UUID) (uuid.UUID, error) {
	if websiteID != uuid.Nil {
		return websiteID, nil
	}
	w, err := s.d.Sites.DefaultWebsite(ctx, org)
	switch {
	case cu.CodeOf(err) == cu.CodeNotFound:
		return uuid.Nil, nil
	case err != nil:
		return uuid.Nil, cu.Internal(err)
	}
	return w.ID, nil
}

// enabledFor returns every definition enabled for a website, in order.
func (s *Service) enabledFor(ctx context.Context, org, websiteID uuid.UUID) ([]Definition, error) {
	if websiteID == uuid.Nil {
		return []Definition{}, nil
	}
	return s.allDefinitions(ctx, org, DefinitionFilter{WebsiteID: websiteID})
}

// allDefinitions follows every page of a definition list.
func (s *Service) allDefinitions(ctx context.Context, org uuid.UUID, f DefinitionFilter) ([]Definition, error) {
	out := []Definition{}
	p := cu.Page{Limit: cu.MaxPageLimit}
	for {
		page, err := s.d.Definitions.List(ctx, org, f, p)
		if err != nil {
			return nil, cu.Internal(err)
		}
		out = append(out, page.Items...)
		if page.NextCursor == "" {
			return out, nil
		}
		p.Cursor = page.NextCursor
	}
}

// allEntries follows every page of a ledger list.
func (s *Service) allEntries(ctx context.Context, org uuid.UUID, f LedgerFilter) ([]Entry, error) {
	out := []Entry{}
	p := cu.Page{Limit: cu.MaxPageLimit}
	for {
		page, err := s.d.Ledger.List(ctx, org, f, p)
		if err != nil {
			return nil, cu.Internal(err)
		}
		out = append(out, page.Items...)
		if page.NextCursor == "" {
			return out, nil
		}
		p.Cursor = page.NextCursor
	}
}
