package consent

import (
	"bytes"
	"context"
	"slices"

	"github.com/google/uuid"

	cu "github.com/b2bkit/customerusers"
	"github.com/b2bkit/customerusers/customeruser"
	"github.com/b2bkit/customerusers/role"
)

// sourceMaxLen is the longest source of a ledger entry.
const sourceMaxLen = 64

// reservedSources are written by the library only.
var reservedSources = []string{SourceRegistration, SourceDeletion, SourceErasure}

// sourceOf returns the source of an entry written for actor: the given one,
// checked, or the actor kind's default.
func sourceOf(actor cu.Actor, source string) (string, error) {
	if source == "" {
		switch actor.Kind {
		case cu.ActorBackOffice:
			return SourceBackOffice, nil
		case cu.ActorCustomerUser:
			return SourceProfile, nil
		default:
			return SourceAPI, nil
		}
	}
	if len(source) > sourceMaxLen || !validSource(source) {
		return "", cu.FieldError("source", "format",
			"The source must be a lower-case word of letters, digits and underscores, at most 64 characters long.")
	}
	if slices.Contains(reservedSources, source) {
		return "", cu.FieldError("source", "reserved", "This source is written by the library only.")
	}
	return source, nil
}

func validSource(s string) bool {
	for i, r := range s {
		switch {
		case r >= 'a' && r <= 'z':
		case i > 0 && (r >= '0' && r <= '9' || r == '_'):
		default:
			return false
		}
	}
	return s != ""
}

// entryPayload is the event payload of an entry.
func entryPayload(e Entry, d Definition) EntryPayload {
	return EntryPayload{EntryID: e.ID, ConsentID: e.ConsentID, ConsentName: d.DefaultName, ContentVersion: e.ContentVersion, Source: e.Source}
}

// appendEntry stores e and its consent.accepted or consent.revoked event in
// the transaction of ctx.
func (s *Service) appendEntry(ctx context.Context, actor cu.Actor, e Entry, d Definition) error {
	if err := s.d.Ledger.Append(ctx, e); err != nil {
		return cu.Internal(err)
	}
	typ := EventAccepted
	if e.Kind == KindRevoke {
		typ = EventRevoked
	}
	return cu.Internal(s.record(ctx, actor, typ, customeruser.SubjectCustomerUser, e.UserID, entryPayload(e, d)))
}

// newEntry builds an entry of the current time.
func (s *Service) newEntry(actor cu.Actor, kind Kind, userID uuid.UUID, d Definition, version int, ref, source string) Entry {
	return Entry{
		ID: s.newID(), OrganizationID: d.OrganizationID, ConsentID: d.ID, UserID: userID, ContentVersion: version,
		ContentRef: ref, Kind: kind, At: s.now(), Source: source, Actor: actor.Ref(),
	}
}

// Accept records that customer user userID accepts the current content
// version of a consent, and appends consent.accepted (subject: the user).
// The consent must be enabled for the user's website (its own, else the
// organization's default): otherwise "consentId" / "not_enabled". Accepting
// a version the user already accepted (and did not revoke) changes nothing
// and returns the existing entry; accepting after a new content version was
// published records the re-acceptance. source says where it happened
// (default "profile" for storefront users, "back_office" for back-office
// users, "api" for the system); "registration", "deletion" and "erasure"
// are reserved. See authorizeFor for who may accept for whom: storefront
// users for themselves only, the back office on anyone's behalf.
func (s *Service) Accept(ctx context.Context, actor cu.Actor, userID, consentID uuid.UUID, source string) (Entry, error) {
	if err := signedIn(actor); err != nil {
		return Entry{}, err
	}
	source, err := sourceOf(actor, source)
	if err != nil {
		return Entry{}, err
	}
	var out Entry
	err = s.d.Tx.InTx(ctx, func(ctx context.Context) error {
		u, err := s.loadUser(ctx, actor.OrganizationID, userID)
		if err != nil {
			return err
		}
		if err := s.authorizeFor(ctx, actor, role.Create, u); err != nil {
			return err
		}
		d, err := s.lockDefinition(ctx, u.OrganizationID, consentID, false)
		if err != nil {
			return err
		}
		w, err := s.websiteOf(ctx, u.OrganizationID, u.WebsiteID)
		if err != nil {
			return err
		}
		if !d.EnabledFor(w) {
			return cu.FieldError("consentId", "not_enabled", "This consent is not offered on the customer user's website.")
		}
		latest, err := s.d.Ledger.Latest(ctx, u.OrganizationID, u.ID, []uuid.UUID{d.ID})
		if err != nil {
			return cu.Internal(err)
		}
		if l, ok := latest[d.ID]; ok && l.Kind == KindAccept && l.ContentVersion == d.ContentVersion {
			out = l
			return nil
		}
		e := s.newEntry(actor, KindAccept, u.ID, d, d.ContentVersion, d.ContentRef, source)
		if err := s.appendEntry(ctx, actor, e, d); err != nil {
			return err
		}
		out = e
		return nil
	})
	if err != nil {
		return Entry{}, err
	}
	return out, nil
}

// Revoke records that customer user userID withdraws its consent: it
// appends a revocation of the accepted content version (nothing is
// deleted) and consent.revoked, plus consent.declined (subject: the user,
// with its e-mail, names, customer and website) when the consent's
// DeclinedNotification is on. Only an accepted consent can be revoked
// (else a conflict). A consent can be revoked even after it was disabled
// for the user's website: withdrawing must always be possible. Sources and
// actors are as for Accept.
func (s *Service) Revoke(ctx context.Context, actor cu.Actor, userID, consentID uuid.UUID, source string) (Entry, error) {
	if err := signedIn(actor); err != nil {
		return Entry{}, err
	}
	source, err := sourceOf(actor, source)
	if err != nil {
		return Entry{}, err
	}
	var out Entry
	err = s.d.Tx.InTx(ctx, func(ctx context.Context) error {
		u, err := s.loadUser(ctx, actor.OrganizationID, userID)
		if err != nil {
			return err
		}
		if err := s.authorizeFor(ctx, actor, role.Delete, u); err != nil {
			return err
		}
		d, err := s.lockDefinition(ctx, u.OrganizationID, consentID, false)
		if err != nil {
			return err
		}
		latest, err := s.d.Ledger.Latest(ctx, u.OrganizationID, u.ID, []uuid.UUID{d.ID})
		if err != nil {
			return cu.Internal(err)
		}
		l, ok := latest[d.ID]
		if !ok || l.Kind != KindAccept {
			return cu.Conflict("the consent %q is not accepted", d.DefaultName)
		}
		e := s.newEntry(actor, KindRevoke, u.ID, d, l.ContentVersion, l.ContentRef, source)
		if err := s.appendEntry(ctx, actor, e, d); err != nil {
			return err
		}
		if d.DeclinedNotification {
			w, err := s.websiteOf(ctx, u.OrganizationID, u.WebsiteID)
			if err != nil {
				return err
			}
			p := DeclinedPayload{
				ConsentID: d.ID, ConsentName: d.DefaultName, ContentVersion: e.ContentVersion, Email: u.Email,
				FirstName: u.FirstName, LastName: u.LastName, CustomerID: u.CustomerID, WebsiteID: w, Source: source,
			}
			if err := s.record(ctx, actor, EventDeclined, customeruser.SubjectCustomerUser, u.ID, p); err != nil {
				return cu.Internal(err)
			}
		}
		out = e
		return nil
	})
	if err != nil {
		return Entry{}, err
	}
	return out, nil
}

// revokeAll appends, in the transaction of ctx, a revocation with source
// for every consent the user currently accepts (with consent.revoked, never
// consent.declined: nobody is left to contact) and returns how many. The
// user id stays in the ledger; once the user is gone or anonymised it
// resolves to no one.
func (s *Service) revokeAll(ctx context.Context, actor cu.Actor, org, userID uuid.UUID, source string) (int, error) {
	latest, err := s.d.Ledger.Latest(ctx, org, userID, nil)
	if err != nil {
		return 0, cu.Internal(err)
	}
	ids := make([]uuid.UUID, 0, len(latest))
	for id, e := range latest {
		if e.Kind == KindAccept {
			ids = append(ids, id)
		}
	}
	slices.SortFunc(ids, func(a, b uuid.UUID) int { return bytes.Compare(a[:], b[:]) })
	for _, id := range ids {
		d, err := s.lockDefinition(ctx, org, id, false)
		if err != nil {
			return 0, err
		}
		l := latest[id]
		e := s.newEntry(actor, KindRevoke, userID, d, l.ContentVersion, l.ContentRef, source)
		if err := s.appendEntry(ctx, actor, e, d); err != nil {
			return 0, err
		}
	}
	return len(ids), nil
}

// State returns, for each consent enabled for the user's website (its own,
// else the organization's default) in order, whether the user accepted it,
// which version and when, and whether a newer content version needs
// re-acceptance. Names are in the user's preferred localization. Storefront
// users see their own state, and others' with a consent_acceptance view
// grant reaching them.
func (s *Service) State(ctx context.Context, actor cu.Actor, userID uuid.UUID) ([]State, error) {
	if err := signedIn(actor); err != nil {
		return nil, err
	}
	u, err := s.loadUser(ctx, actor.OrganizationID, userID)
	if err != nil {
		return nil, err
	}
	if err := s.authorizeFor(ctx, actor, role.View, u); err != nil {
		return nil, err
	}
	return s.state(ctx, u)
}

// state computes the State of u.
func (s *Service) state(ctx context.Context, u customeruser.User) ([]State, error) {
	w, err := s.websiteOf(ctx, u.OrganizationID, u.WebsiteID)
	if err != nil {
		return nil, err
	}
	defs, err := s.enabledFor(ctx, u.OrganizationID, w)
	if err != nil {
		return nil, err
	}
	out := make([]State, 0, len(defs))
	if len(defs) == 0 {
		return out, nil
	}
	ids := make([]uuid.UUID, len(defs))
	for i, d := range defs {
		ids[i] = d.ID
	}
	latest, err := s.d.Ledger.Latest(ctx, u.OrganizationID, u.ID, ids)
	if err != nil {
		return nil, cu.Internal(err)
	}
	for _, d := range defs {
		st := State{
			ConsentID: d.ID, Name: d.Name(u.PreferredLocalizationID), Mandatory: d.Mandatory,
			CurrentVersion: d.ContentVersion, ContentRef: d.ContentRef,
		}
		if l, ok := latest[d.ID]; ok && l.Kind == KindAccept {
			at := l.At
			st.Accepted, st.AcceptedVersion, st.AcceptedContentRef, st.AcceptedAt = true, l.ContentVersion, l.ContentRef, &at
			st.NeedsReacceptance = l.ContentVersion < d.ContentVersion
		}
		out = append(out, st)
	}
	return out, nil
}

// Ledger pages ledger entries in the order they were written. Back-office
// and system actors may filter freely (the entries of deleted users stay
// listed); storefront users must name a user (f.UserID) whose consents they
// may view (see State).
func (s *Service) Ledger(ctx context.Context, actor cu.Actor, f LedgerFilter, p cu.Page) (cu.PageOf[Entry], error) {
	if err := signedIn(actor); err != nil {
		return cu.PageOf[Entry]{}, err
	}
	if !actor.Trusted() {
		if f.UserID == uuid.Nil {
			return cu.PageOf[Entry]{}, cu.Forbidden("storefront users see the ledger of one customer user at a time")
		}
		u, err := s.loadUser(ctx, actor.OrganizationID, f.UserID)
		if err != nil {
			return cu.PageOf[Entry]{}, err
		}
		if err := s.authorizeFor(ctx, actor, role.View, u); err != nil {
			return cu.PageOf[Entry]{}, err
		}
	}
	p, err := p.Normalize()
	if err != nil {
		return cu.PageOf[Entry]{}, err
	}
	page, err := s.d.Ledger.List(ctx, actor.OrganizationID, f, p)
	if err != nil {
		return cu.PageOf[Entry]{}, cu.Internal(err)
	}
	return page, nil
}
