package consent

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"

	cu "github.com/b2bkit/customerusers"
)

// Length limits of definition fields.
const (
	nameMaxLen       = 255
	contentRefMaxLen = 2048
)

// DefinitionInput creates a consent definition.
type DefinitionInput struct {
	DefaultName string
	Names       map[uuid.UUID]string
	// Mandatory defaults to true.
	Mandatory *bool
	// DeclinedNotification defaults to true.
	DeclinedNotification *bool
	ContentRef           string
	// ContentVersion defaults to 1.
	ContentVersion int
	WebsiteIDs     []uuid.UUID
	Position       int
}

// DefinitionPatch changes a definition; nil fields stay as they are.
type DefinitionPatch struct {
	DefaultName          *string
	Names                *map[uuid.UUID]string
	Mandatory            *bool
	DeclinedNotification *bool
	ContentRef           *string
	ContentVersion       *int
	WebsiteIDs           *[]uuid.UUID
	Position             *int
}

// snapshot is the event payload describing a whole definition.
type snapshot struct {
	DefaultName          string               `json:"defaultName"`
	Names                map[uuid.UUID]string `json:"names,omitempty"`
	Mandatory            bool                 `json:"mandatory"`
	DeclinedNotification bool                 `json:"declinedNotification"`
	ContentRef           string               `json:"contentRef,omitempty"`
	ContentVersion       int                  `json:"contentVersion"`
	WebsiteIDs           []uuid.UUID          `json:"websiteIds"`
	Position             int                  `json:"position"`
}

func snapshotOf(d Definition) snapshot {
	ws := d.WebsiteIDs
	if ws == nil {
		ws = []uuid.UUID{}
	}
	return snapshot{
		DefaultName: d.DefaultName, Names: d.Names, Mandatory: d.Mandatory, DeclinedNotification: d.DeclinedNotification,
		ContentRef: d.ContentRef, ContentVersion: d.ContentVersion, WebsiteIDs: ws, Position: d.Position,
	}
}

// copyDefinition returns d sharing no memory with it.
func copyDefinition(d Definition) Definition {
	d.Names = maps.Clone(d.Names)
	d.WebsiteIDs = slices.Clone(d.WebsiteIDs)
	return d
}

// changes lists the field-level differences between two versions.
func changes(a, b Definition) []cu.Change {
	var ch []cu.Change
	add := func(changed bool, field string, before, after any) {
		if changed {
			ch = append(ch, cu.Change{Field: field, Before: before, After: after})
		}
	}
	add(a.DefaultName != b.DefaultName, "defaultName", a.DefaultName, b.DefaultName)
	add(!maps.Equal(a.Names, b.Names), "names", a.Names, b.Names)
	add(a.Mandatory != b.Mandatory, "mandatory", a.Mandatory, b.Mandatory)
	add(a.DeclinedNotification != b.DeclinedNotification, "declinedNotification", a.DeclinedNotification, b.DeclinedNotification)
	add(a.ContentRef != b.ContentRef, "contentRef", a.ContentRef, b.ContentRef)
	add(a.ContentVersion != b.ContentVersion, "contentVersion", a.ContentVersion, b.ContentVersion)
	add(!sameSet(a.WebsiteIDs, b.WebsiteIDs), "websiteIds", snapshotOf(a).WebsiteIDs, snapshotOf(b).WebsiteIDs)
	add(a.Position != b.Position, "position", a.Position, b.Position)
	return ch
}

func sameSet(a, b []uuid.UUID) bool {
	if len(a) != len(b) {
		return false
	}
	for _, id := range a {
		if !slices.Contains(b, id) {
			return false
		}
	}
	return true
}

// check normalises d (trimmed text, no empty localized names, no duplicate
// websites) and appends the violations of every rule to v. Websites are
// looked up only when checkWebsites is set (on create, and when a patch
// sets them), so that a website the host retired does not block unrelated
// edits.
func (s *Service) check(ctx context.Context, d *Definition, checkWebsites bool, v *cu.Violations) error {
	d.DefaultName = strings.TrimSpace(d.DefaultName)
	switch {
	case d.DefaultName == "":
		v.Add("defaultName", "required", "The default name is required.")
	case utf8.RuneCountInString(d.DefaultName) > nameMaxLen:
		v.Addf("defaultName", "max_length", "The name must be at most %d characters long.", nameMaxLen)
	}
	names := make(map[uuid.UUID]string, len(d.Names))
	for _, loc := range slices.SortedFunc(maps.Keys(d.Names), func(a, b uuid.UUID) int { return strings.Compare(a.String(), b.String()) }) {
		n := strings.TrimSpace(d.Names[loc])
		switch {
		case loc == uuid.Nil:
			v.Add("names", "localization", "A localized name needs a localization id.")
		case n == "":
			// An empty localized name means "use the default name".
		case utf8.RuneCountInString(n) > nameMaxLen:
			v.Addf(fmt.Sprintf("names[%s]", loc), "max_length", "The name must be at most %d characters long.", nameMaxLen)
		default:
			names[loc] = n
		}
	}
	d.Names = nil
	if len(names) > 0 {
		d.Names = names
	}
	d.ContentRef = strings.TrimSpace(d.ContentRef)
	if utf8.RuneCountInString(d.ContentRef) > contentRefMaxLen {
		v.Addf("contentRef", "max_length", "The content reference must be at most %d characters long.", contentRefMaxLen)
	}
	if d.ContentVersion < 1 {
		v.Add("contentVersion", "min", "The content version must be at least 1.")
	}
	if d.Position < 0 {
		v.Add("position", "min", "The position must not be negative.")
	}
	if !checkWebsites {
		return nil
	}
	var websites []uuid.UUID
	for i, id := range d.WebsiteIDs {
		field := fmt.Sprintf("websiteIds[%d]", i)
		if id == uuid.Nil {
			v.Add(field, "required", "The website id must not be empty.")
			continue
		}
		if slices.Contains(websites, id) {
			continue
		}
		_, err := s.d.Sites.Website(ctx, d.OrganizationID, id)
		switch {
		case cu.CodeOf(err) == cu.CodeNotFound:
			v.Add(field, "not_found", "This website does not exist.")
		case err != nil:
			return cu.Internal(err)
		default:
			websites = append(websites, id)
		}
	}
	d.WebsiteIDs = websites
	return nil
}

// CreateDefinition creates a consent definition (back office only). Rules:
// the default name is required, names are at most 255 characters, the
// content reference at most 2048, the content version at least 1 (default
// 1), the position not negative, and every website must exist. Mandatory
// and DeclinedNotification default to true.
func (s *Service) CreateDefinition(ctx context.Context, actor cu.Actor, in DefinitionInput) (Definition, error) {
	if err := trustedOnly(actor, "managing consents"); err != nil {
		return Definition{}, err
	}
	now := s.now()
	d := Definition{
		ID: s.newID(), OrganizationID: actor.OrganizationID, DefaultName: in.DefaultName, Names: maps.Clone(in.Names),
		Mandatory: true, DeclinedNotification: true, ContentRef: in.ContentRef, ContentVersion: in.ContentVersion,
		WebsiteIDs: slices.Clone(in.WebsiteIDs), Position: in.Position, CreatedAt: now, UpdatedAt: now, Version: 1,
	}
	if in.Mandatory != nil {
		d.Mandatory = *in.Mandatory
	}
	if in.DeclinedNotification != nil {
		d.DeclinedNotification = *in.DeclinedNotification
	}
	if d.ContentVersion == 0 {
		d.ContentVersion = 1
	}
	var v cu.Violations
	if err := s.check(ctx, &d, true, &v); err != nil {
		return Definition{}, err
	}
	if err := v.Err(); err != nil {
		return Definition{}, err
	}
	err := s.d.Tx.InTx(ctx, func(ctx context.Context) error {
		if err := s.d.Definitions.Create(ctx, d); err != nil {
			return cu.Internal(err)
		}
		return cu.Internal(s.record(ctx, actor, EventCreated, SubjectConsent, d.ID, snapshotOf(d)))
	})
	if err != nil {
		return Definition{}, err
	}
	return d, nil
}

// GetDefinition returns a consent definition (back office only).
func (s *Service) GetDefinition(ctx context.Context, actor cu.Actor, id uuid.UUID) (Definition, error) {
	if err := trustedOnly(actor, "managing consents"); err != nil {
		return Definition{}, err
	}
	d, err := s.d.Definitions.Get(ctx, actor.OrganizationID, id)
	if err != nil {
		if cu.CodeOf(err) == cu.CodeNotFound {
			return Definition{}, cu.NotFound("consent")
		}
		return Definition{}, cu.Internal(err)
	}
	return d, nil
}

// ListDefinitions pages the organization's definitions by position, then
// id (back office only).
func (s *Service) ListDefinitions(ctx context.Context, actor cu.Actor, f DefinitionFilter, p cu.Page) (cu.PageOf[Definition], error) {
	if err := trustedOnly(actor, "managing consents"); err != nil {
		return cu.PageOf[Definition]{}, err
	}
	p, err := p.Normalize()
	if err != nil {
		return cu.PageOf[Definition]{}, err
	}
	page, err := s.d.Definitions.List(ctx, actor.OrganizationID, f, p)
	if err != nil {
		return cu.PageOf[Definition]{}, cu.Internal(err)
	}
	return page, nil
}

// ForWebsite returns the consents enabled for a website (the
// organization's default website when websiteID is uuid.Nil), in order,
// for the registration form and the storefront profile. Any actor of the
// organization may call it, anonymous visitors included: the definitions
// are what the storefront shows to everyone. An unknown website is a
// "websiteId" not_found error.
func (s *Service) ForWebsite(ctx context.Context, actor cu.Actor, websiteID uuid.UUID) ([]Definition, error) {
	if actor.OrganizationID == uuid.Nil {
		return nil, cu.NewError(cu.CodeUnauthenticated, "the actor has no organization")
	}
	if websiteID != uuid.Nil {
		_, err := s.d.Sites.Website(ctx, actor.OrganizationID, websiteID)
		switch {
		case cu.CodeOf(err) == cu.CodeNotFound:
			return nil, cu.FieldError("websiteId", "not_found", "This website does not exist.")
		case err != nil:
			return nil, cu.Internal(err)
		}
	}
	w, err := s.websiteOf(ctx, actor.OrganizationID, websiteID)
	if err != nil {
		return nil, err
	}
	return s.enabledFor(ctx, actor.OrganizationID, w)
}

// lockDefinition reads and locks a definition of the organization in the
// transaction of ctx.
func (s *Service) lockDefinition(ctx context.Context, org, id uuid.UUID, exclusive bool) (Definition, error) {
	d, err := s.d.Definitions.Lock(ctx, org, id, exclusive)
	if err != nil {
		if cu.CodeOf(err) == cu.CodeNotFound {
			return Definition{}, cu.NotFound("consent")
		}
		return Definition{}, cu.Internal(err)
	}
	return d, nil
}

// applyPatch copies the set fields of p onto d.
func applyPatch(d *Definition, p DefinitionPatch) {
	if p.DefaultName != nil {
		d.DefaultName = *p.DefaultName
	}
	if p.Names != nil {
		d.Names = maps.Clone(*p.Names)
	}
	if p.Mandatory != nil {
		d.Mandatory = *p.Mandatory
	}
	if p.DeclinedNotification != nil {
		d.DeclinedNotification = *p.DeclinedNotification
	}
	if p.ContentRef != nil {
		d.ContentRef = *p.ContentRef
	}
	if p.ContentVersion != nil {
		d.ContentVersion = *p.ContentVersion
	}
	if p.WebsiteIDs != nil {
		d.WebsiteIDs = slices.Clone(*p.WebsiteIDs)
	}
	if p.Position != nil {
		d.Position = *p.Position
	}
}

// frozenFields are the fields an acceptance freezes for good.
var frozenFields = map[string]string{
	"defaultName":          "The name",
	"names":                "The localized names",
	"mandatory":            "The mandatory flag",
	"declinedNotification": "The declined notification",
}

// UpdateDefinition changes a consent definition (back office only); nil
// fields of p stay as they are, and expectedVersion is the version the
// caller read (0: no optimistic check). The rules of CreateDefinition
// apply. Once anyone accepted the consent, its names, mandatory flag and
// declined notification can no longer change, nor can the content
// reference of an accepted content version: such a patch is refused as a
// conflict whose violations (rule "immutable") name the fields. What stays
// possible is publishing new content, a higher ContentVersion (with its new
// ContentRef), after which users need to re-accept, and changing the
// websites and the position. The content version never goes down once
// anything was accepted ("contentVersion", rule "decrease"). A patch that
// changes nothing writes nothing.
func (s *Service) UpdateDefinition(ctx context.Context, actor cu.Actor, id uuid.UUID, p DefinitionPatch, expectedVersion int64) (Definition, error) {
	if err := trustedOnly(actor, "managing consents"); err != nil {
		return Definition{}, err
	}
	var out Definition
	err := s.d.Tx.InTx(ctx, func(ctx context.Context) error {
		before, err := s.lockDefinition(ctx, actor.OrganizationID, id, true)
		if err != nil {
			return err
		}
		if expectedVersion != 0 && expectedVersion != before.Version {
			return cu.Stale("consent")
		}
		after := copyDefinition(before)
		applyPatch(&after, p)
		var v cu.Violations
		if err := s.check(ctx, &after, p.WebsiteIDs != nil, &v); err != nil {
			return err
		}
		if err := v.Err(); err != nil {
			return err
		}
		ch := changes(before, after)
		out = before
		if len(ch) == 0 {
			return nil
		}
		if err := s.checkFrozen(ctx, before, after, ch); err != nil {
			return err
		}
		after.UpdatedAt = s.now()
		if err := s.d.Definitions.Update(ctx, after, before.Version); err != nil {
			return cu.Internal(err)
		}
		after.Version = before.Version + 1
		if err := s.record(ctx, actor, EventUpdated, SubjectConsent, after.ID, ch); err != nil {
			return cu.Internal(err)
		}
		out = after
		return nil
	})
	if err != nil {
		return Definition{}, err
	}
	return out, nil
}

// checkFrozen refuses the changes an acceptance forbids.
func (s *Service) checkFrozen(ctx context.Context, before, after Definition, ch []cu.Change) error {
	accepted, err := s.d.Ledger.HasAnyAcceptance(ctx, before.OrganizationID, before.ID)
	if err != nil {
		return cu.Internal(err)
	}
	if !accepted {
		return nil
	}
	if after.ContentVersion < before.ContentVersion {
		return cu.FieldError("contentVersion", "decrease",
			"The content version cannot go down once the consent has been accepted.")
	}
	var frozen cu.Violations
	for _, c := range ch {
		if label, ok := frozenFields[c.Field]; ok {
			frozen.Addf(c.Field, "immutable", "%s cannot change once the consent has been accepted.", label)
		}
	}
	if after.ContentVersion == before.ContentVersion && after.ContentRef != before.ContentRef {
		versionAccepted, err := s.d.Ledger.HasAcceptance(ctx, before.OrganizationID, before.ID, before.ContentVersion)
		if err != nil {
			return cu.Internal(err)
		}
		if versionAccepted {
			frozen.Addf("contentRef", "immutable",
				"Content version %d has been accepted; publish a new content version instead.", before.ContentVersion)
		}
	}
	if len(frozen) == 0 {
		return nil
	}
	return &cu.Error{Code: cu.CodeConflict, Message: "the consent has been accepted and can no longer be edited; publish a new content version", Violations: frozen}
}

// DeleteDefinition deletes a consent definition that nobody ever accepted
// (back office only); an accepted one is a conflict: its ledger must stay.
// expectedVersion 0 means "no optimistic check".
func (s *Service) DeleteDefinition(ctx context.Context, actor cu.Actor, id uuid.UUID, expectedVersion int64) error {
	if err := trustedOnly(actor, "managing consents"); err != nil {
		return err
	}
	return s.d.Tx.InTx(ctx, func(ctx context.Context) error {
		d, err := s.lockDefinition(ctx, actor.OrganizationID, id, true)
		if err != nil {
			return err
		}
		if expectedVersion != 0 && expectedVersion != d.Version {
			return cu.Stale("consent")
		}
		accepted, err := s.d.Ledger.HasAnyAcceptance(ctx, d.OrganizationID, d.ID)
		if err != nil {
			return cu.Internal(err)
		}
		if accepted {
			return cu.Conflict("the consent %q has been accepted and can no longer be deleted", d.DefaultName)
		}
		if err := s.d.Definitions.Delete(ctx, d.OrganizationID, d.ID); err != nil {
			return cu.Internal(err)
		}
		return cu.Internal(s.record(ctx, actor, EventDeleted, SubjectConsent, d.ID, snapshotOf(d)))
	})
}
