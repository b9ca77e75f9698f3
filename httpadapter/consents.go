package httpadapter

import (
	"context"
	"maps"
	"net/http"
	"time"

	"github.com/google/uuid"

	cu "github.com/b2bkit/customerusers"
	"github.com/b2bkit/customerusers/consent"
)

// consentDefinitionRoutes are the back office's consent definitions.
func (a *api) consentDefinitionRoutes() []*route {
	const tag = "Consents"
	return []*route{
		{method: http.MethodGet, path: "/consents", op: "listConsents", tag: tag,
			summary: "List consent definitions by position.",
			query:   append(paging(), param{name: "websiteId", kind: pUUID, doc: "Consents enabled on this website."}),
			status:  http.StatusOK, resp: listOf[consentOut]{},
			handle: listEntities(consentFilter, a.cfg.Consents.ListDefinitions, toConsent)},
		{method: http.MethodPost, path: "/consents", op: "createConsent", tag: tag,
			summary: "Create a consent definition.", body: consentIn{},
			status: http.StatusCreated, resp: consentOut{}, etag: true, location: true,
			handle: createEntity[consentIn]("/consents", a.cfg.Consents.CreateDefinition, toConsent)},
		{method: http.MethodGet, path: "/consents/{id}", op: "getConsent", tag: tag,
			summary: "Get a consent definition.", status: http.StatusOK, resp: consentOut{}, etag: true,
			handle: getEntity(a.cfg.Consents.GetDefinition, toConsent)},
		{method: http.MethodPatch, path: "/consents/{id}", op: "updateConsent", tag: tag,
			summary: "Change a consent definition. Once accepted, its names, flags and accepted content are frozen (409): publish a new contentVersion instead.",
			body:    consentPatch{}, conditional: true, status: http.StatusOK, resp: consentOut{}, etag: true,
			errs:   []int{http.StatusConflict},
			handle: updateEntity[consentPatch](a.cfg.Consents.UpdateDefinition, toConsent)},
		{method: http.MethodDelete, path: "/consents/{id}", op: "deleteConsent", tag: tag,
			summary: "Delete a consent definition nobody ever accepted (409 otherwise).", conditional: true,
			status: http.StatusNoContent, errs: []int{http.StatusConflict},
			handle: deleteEntity(a.cfg.Consents.DeleteDefinition)},
	}
}

// consentStateRoute is where a customer user stands with each consent of
// its website: under /customer-users/{id} in the back office, /me in the
// storefront.
func (a *api) consentStateRoute(path, op, tag string, t target) *route {
	return &route{method: http.MethodGet, path: path, op: op, tag: tag,
		summary: "Each consent enabled for the user's website: accepted or not, which content version, when.",
		status:  http.StatusOK, resp: listOf[consentStateOut]{}, errs: []int{http.StatusNotFound}, handle: a.consentState(t)}
}

// myConsentRoutes are the storefront user's own consents.
func (a *api) myConsentRoutes() []*route {
	const tag = "Me"
	return []*route{
		a.consentStateRoute("/me/consents", "getMyConsents", tag, self),
		{method: http.MethodPost, path: "/me/consents/{id}/accept", op: "acceptConsent", tag: tag,
			summary: "Accept the current content version of a consent (again after a new version); accepting twice changes nothing.",
			status:  http.StatusOK, resp: ledgerEntryOut{}, errs: []int{http.StatusUnprocessableEntity}, handle: ownConsent(a.cfg.Consents.Accept)},
		{method: http.MethodPost, path: "/me/consents/{id}/revoke", op: "revokeConsent", tag: tag,
			summary: "Withdraw an accepted consent (409 when it is not accepted).",
			status:  http.StatusOK, resp: ledgerEntryOut{}, errs: []int{http.StatusConflict}, handle: ownConsent(a.cfg.Consents.Revoke)},
	}
}

// publicConsentRoutes tell a registration form which consents to show.
func (a *api) publicConsentRoutes() []*route {
	return []*route{
		{method: http.MethodGet, path: "/consents", op: "listWebsiteConsents", tag: "Self-service",
			summary: "The consents a website shows (the default website when websiteId is absent), in order; register with the ids of those accepted (every mandatory one).",
			query: []param{
				{name: "websiteId", kind: pUUID, doc: "The website; default: the organization's default website."},
				{name: "localizationId", kind: pUUID, doc: "Names in this localization (default names otherwise)."},
			},
			status: http.StatusOK, resp: listOf[publicConsentOut]{}, handle: a.websiteConsents},
	}
}

// consentFilter reads the filter of the consent definition list.
func consentFilter(c *call) (consent.DefinitionFilter, error) {
	return consent.DefinitionFilter{WebsiteID: c.qUUID("websiteId")}, nil
}

func (a *api) consentState(t target) func(*call) error {
	return func(c *call) error {
		id, err := t(c)
		if err != nil {
			return err
		}
		states, err := a.cfg.Consents.State(c.ctx(), c.actor, id)
		if err != nil {
			return err
		}
		return c.ok(newList(mapAll(states, toConsentState), ""))
	}
}

// ownConsent answers the caller's acceptance or revocation (act) of the
// consent {id}, recorded with the default source of the caller's kind.
func ownConsent(act func(ctx context.Context, actor cu.Actor, userID, consentID uuid.UUID, source string) (consent.Entry, error)) func(*call) error {
	return func(c *call) error {
		id, err := c.id("id")
		if err != nil {
			return err
		}
		e, err := act(c.ctx(), c.actor, c.actor.ID, id, "")
		if err != nil {
			return err
		}
		return c.ok(toLedgerEntry(e))
	}
}

func (a *api) websiteConsents(c *call) error {
	defs, err := a.cfg.Consents.ForWebsite(c.ctx(), cu.AnonymousActor(c.org), c.qUUID("websiteId"))
	if err != nil {
		return err
	}
	loc := c.qUUID("localizationId")
	items := make([]publicConsentOut, 0, len(defs))
	for _, d := range defs {
		items = append(items, publicConsentOut{ID: d.ID, Name: d.Name(loc), Mandatory: d.Mandatory,
			ContentRef: d.ContentRef, ContentVersion: d.ContentVersion, Position: d.Position})
	}
	return c.ok(newList(items, ""))
}

// consentOut is a consent definition.
type consentOut struct {
	ID                   uuid.UUID            `json:"id"`
	DefaultName          string               `json:"defaultName"`
	Names                map[uuid.UUID]string `json:"names" doc:"Localized names by localization id."`
	Mandatory            bool                 `json:"mandatory" doc:"Must be accepted to register."`
	DeclinedNotification bool                 `json:"declinedNotification" doc:"A revocation emits consent.declined for the host to act on."`
	ContentRef           string               `json:"contentRef" doc:"The landing page (id or URL) of the text users accept."`
	ContentVersion       int                  `json:"contentVersion" doc:"The version of the text; a higher one needs re-acceptance."`
	WebsiteIDs           []uuid.UUID          `json:"websiteIds" doc:"The websites the consent is shown on."`
	Position             int                  `json:"position"`
	CreatedAt            time.Time            `json:"createdAt"`
	UpdatedAt            time.Time            `json:"updatedAt"`
	Version              int64                `json:"version" doc:"Also the ETag; send it back as If-Match."`
}

func (o consentOut) key() (uuid.UUID, int64) { return o.ID, o.Version }

func toConsent(d consent.Definition) consentOut {
	names := maps.Clone(d.Names)
	if names == nil {
		names = map[uuid.UUID]string{}
	}
	return consentOut{
		ID: d.ID, DefaultName: d.DefaultName, Names: names, Mandatory: d.Mandatory, DeclinedNotification: d.DeclinedNotification,
		ContentRef: d.ContentRef, ContentVersion: d.ContentVersion, WebsiteIDs: ids(d.WebsiteIDs), Position: d.Position,
		CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt, Version: d.Version,
	}
}

// consentIn creates a consent definition.
type consentIn struct {
	DefaultName          string               `json:"defaultName" oa:"required"`
	Names                map[uuid.UUID]string `json:"names" doc:"Localized names by localization id."`
	Mandatory            *bool                `json:"mandatory" doc:"Default true."`
	DeclinedNotification *bool                `json:"declinedNotification" doc:"Default true."`
	ContentRef           string               `json:"contentRef"`
	ContentVersion       int                  `json:"contentVersion" doc:"Default 1."`
	WebsiteIDs           []uuid.UUID          `json:"websiteIds"`
	Position             int                  `json:"position"`
}

func (in consentIn) input() consent.DefinitionInput {
	return consent.DefinitionInput{
		DefaultName: in.DefaultName, Names: in.Names, Mandatory: in.Mandatory, DeclinedNotification: in.DeclinedNotification,
		ContentRef: in.ContentRef, ContentVersion: in.ContentVersion, WebsiteIDs: in.WebsiteIDs, Position: in.Position,
	}
}

// consentPatch changes a consent definition.
type consentPatch struct {
	DefaultName          opt[string]               `json:"defaultName"`
	Names                opt[map[uuid.UUID]string] `json:"names" doc:"Replaces all localized names; null clears them."`
	Mandatory            opt[bool]                 `json:"mandatory" oa:"notnull"`
	DeclinedNotification opt[bool]                 `json:"declinedNotification" oa:"notnull"`
	ContentRef           opt[string]               `json:"contentRef"`
	ContentVersion       opt[int]                  `json:"contentVersion" oa:"notnull" doc:"Publish new content with a higher version."`
	WebsiteIDs           opt[[]uuid.UUID]          `json:"websiteIds" doc:"Replaces the websites; null clears them."`
	Position             opt[int]                  `json:"position" oa:"notnull"`
	Version              opt[int64]                `json:"version" doc:"The version read; checked when no If-Match is sent."`
}

func (p consentPatch) version() opt[int64] { return p.Version }

func (p consentPatch) patch() (consent.DefinitionPatch, error) {
	for _, f := range []struct {
		name string
		null bool
	}{{"mandatory", p.Mandatory.Null}, {"declinedNotification", p.DeclinedNotification.Null},
		{"contentVersion", p.ContentVersion.Null}, {"position", p.Position.Null}} {
		if f.null {
			return consent.DefinitionPatch{}, nullField(f.name)
		}
	}
	return consent.DefinitionPatch{
		DefaultName: p.DefaultName.ptr(), Names: p.Names.ptr(), Mandatory: p.Mandatory.ptr(),
		DeclinedNotification: p.DeclinedNotification.ptr(), ContentRef: p.ContentRef.ptr(),
		ContentVersion: p.ContentVersion.ptr(), WebsiteIDs: p.WebsiteIDs.ptr(), Position: p.Position.ptr(),
	}, nil
}

// consentStateOut is where a customer user stands with one consent.
type consentStateOut struct {
	ConsentID          uuid.UUID  `json:"consentId"`
	Name               string     `json:"name" doc:"In the user's preferred localization."`
	Mandatory          bool       `json:"mandatory"`
	CurrentVersion     int        `json:"currentVersion" doc:"The content version users accept now."`
	ContentRef         string     `json:"contentRef"`
	Accepted           bool       `json:"accepted" doc:"The user's latest word is an acceptance (of any version)."`
	AcceptedVersion    *int       `json:"acceptedVersion" doc:"The version accepted; null when not accepted."`
	AcceptedContentRef string     `json:"acceptedContentRef"`
	AcceptedAt         *time.Time `json:"acceptedAt"`
	NeedsReacceptance  bool       `json:"needsReacceptance" doc:"An older content version was accepted."`
}

func toConsentState(s consent.State) consentStateOut {
	out := consentStateOut{
		ConsentID: s.ConsentID, Name: s.Name, Mandatory: s.Mandatory, CurrentVersion: s.CurrentVersion,
		ContentRef: s.ContentRef, Accepted: s.Accepted, AcceptedContentRef: s.AcceptedContentRef, AcceptedAt: s.AcceptedAt,
		NeedsReacceptance: s.NeedsReacceptance,
	}
	if s.Accepted {
		v := s.AcceptedVersion
		out.AcceptedVersion = &v
	}
	return out
}

// ledgerEntryOut is one entry of the consent ledger.
type ledgerEntryOut struct {
	ID             uuid.UUID  `json:"id"`
	ConsentID      uuid.UUID  `json:"consentId"`
	UserID         uuid.UUID  `json:"userId"`
	Kind           string     `json:"kind" enum:"accept,revoke"`
	ContentVersion int        `json:"contentVersion"`
	ContentRef     string     `json:"contentRef" doc:"The page the user saw."`
	At             time.Time  `json:"at"`
	Source         string     `json:"source" doc:"registration, profile, back_office, api, checkout, deletion, erasure..."`
	Actor          eventActor `json:"actor"`
}

func toLedgerEntry(e consent.Entry) ledgerEntryOut {
	return ledgerEntryOut{
		ID: e.ID, ConsentID: e.ConsentID, UserID: e.UserID, Kind: string(e.Kind), ContentVersion: e.ContentVersion,
		ContentRef: e.ContentRef, At: e.At, Source: e.Source, Actor: eventActor{Kind: string(e.Actor.Kind), ID: idPtr(e.Actor.ID)},
	}
}

// publicConsentOut is a consent as a registration form shows it.
type publicConsentOut struct {
	ID             uuid.UUID `json:"id"`
	Name           string    `json:"name"`
	Mandatory      bool      `json:"mandatory"`
	ContentRef     string    `json:"contentRef"`
	ContentVersion int       `json:"contentVersion"`
	Position       int       `json:"position"`
}
