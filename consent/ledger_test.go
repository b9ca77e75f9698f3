package consent_test

import (
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	cu "github.com/b2bkit/customerusers"
	"github.com/b2bkit/customerusers/consent"
	"github.com/b2bkit/customerusers/customeruser"
	"github.com/b2bkit/customerusers/role"
)

func TestAcceptByTheUser(t *testing.T) {
	h := newHarness(t)
	d := h.def("Terms")
	u := h.user("ada@example.org")
	e, err := h.svc.Accept(h.ctx, h.storefront(u), u.ID, d.ID, "")
	require.NoError(t, err)
	assert.Equal(t, consent.KindAccept, e.Kind)
	assert.Equal(t, h.org, e.OrganizationID)
	assert.Equal(t, d.ID, e.ConsentID)
	assert.Equal(t, u.ID, e.UserID)
	assert.Equal(t, 1, e.ContentVersion)
	assert.Equal(t, "/pages/Terms", e.ContentRef, "the page the user saw")
	assert.Equal(t, consent.SourceProfile, e.Source, "storefront default source")
	assert.Equal(t, cu.ActorRef{Kind: cu.ActorCustomerUser, ID: u.ID}, e.Actor)
	assert.Equal(t, h.clock.Now(), e.At)
	assert.Equal(t, []consent.Entry{e}, h.ledger(consent.LedgerFilter{UserID: u.ID}))

	evs := h.eventsOf(u.ID, consent.EventAccepted)
	require.Len(t, evs, 1, "in the user's history")
	assert.Equal(t, customeruser.SubjectCustomerUser, evs[0].SubjectType)
	p := payload(t, evs[0])
	assert.Equal(t, e.ID.String(), p["entryId"])
	assert.Equal(t, "Terms", p["consentName"])
	assert.Equal(t, float64(1), p["contentVersion"])

	// Accepting again changes nothing.
	events := h.eventCount()
	h.clock.Advance(time.Hour)
	again, err := h.svc.Accept(h.ctx, h.storefront(u), u.ID, d.ID, "checkout")
	require.NoError(t, err)
	assert.Equal(t, e, again, "the existing acceptance")
	assert.Len(t, h.ledger(consent.LedgerFilter{}), 1)
	assert.Equal(t, events, h.eventCount())
}

func TestAcceptOnBehalfByTheBackOffice(t *testing.T) {
	h := newHarness(t)
	d := h.def("Terms")
	u := h.user("ada@example.org")
	e, err := h.svc.Accept(h.ctx, h.admin, u.ID, d.ID, "")
	require.NoError(t, err)
	assert.Equal(t, consent.SourceBackOffice, e.Source)
	assert.Equal(t, h.admin.Ref(), e.Actor)
	_, err = h.svc.Revoke(h.ctx, cu.SystemActor(h.org), u.ID, d.ID, "")
	require.NoError(t, err)
	entries := h.ledger(consent.LedgerFilter{})
	require.Len(t, entries, 2)
	assert.Equal(t, consent.SourceAPI, entries[1].Source, "system default source")
}

func TestAcceptInvalid(t *testing.T) {
	h := newHarness(t)
	d := h.def("Terms")
	outlet := h.def("Outlet", func(in *consent.DefinitionInput) { in.WebsiteIDs = []uuid.UUID{h.website2.ID} })
	u := h.user("ada@example.org")
	other := h.customer("Globex", uuid.Nil)
	colleague := h.user("grace@example.org")
	outsider := h.user("linus@example.org", func(in *customeruser.CreateUserInput) { in.CustomerID = other.ID })
	admin := h.user("boss@example.org", func(in *customeruser.CreateUserInput) { in.RoleIDs = []uuid.UUID{h.adminR.ID} })
	me := h.storefront(u)

	cases := []struct {
		name     string
		actor    cu.Actor
		user     uuid.UUID
		consent  uuid.UUID
		source   string
		code     cu.Code
		field    string
		rule     string
		revoking bool
	}{
		{"not on the user's website", me, u.ID, outlet.ID, "", cu.CodeInvalid, "consentId", "not_enabled", false},
		{"unknown consent", me, u.ID, uuid.New(), "", cu.CodeNotFound, "", "", false},
		{"unknown user", h.admin, uuid.New(), d.ID, "", cu.CodeNotFound, "", "", false},
		{"another organization", cu.BackOfficeActor(uuid.New(), uuid.New()), u.ID, d.ID, "", cu.CodeNotFound, "", "", false},
		{"bad source", me, u.ID, d.ID, "Web Shop", cu.CodeInvalid, "source", "format", false},
		{"long source", me, u.ID, d.ID, "a" + string(make([]byte, 64)), cu.CodeInvalid, "source", "format", false},
		{"reserved source", h.admin, u.ID, d.ID, consent.SourceRegistration, cu.CodeInvalid, "source", "reserved", false},
		{"deletion source", h.admin, u.ID, d.ID, consent.SourceDeletion, cu.CodeInvalid, "source", "reserved", false},
		{"anonymous", cu.AnonymousActor(h.org), u.ID, d.ID, "", cu.CodeUnauthenticated, "", "", false},
		{"for a colleague", me, colleague.ID, d.ID, "", cu.CodeForbidden, "", "", false},
		{"customer admin for a colleague", h.storefront(admin), u.ID, d.ID, "", cu.CodeForbidden, "", "", false},
		{"for someone out of reach", me, outsider.ID, d.ID, "", cu.CodeNotFound, "", "", false},
		{"revoke for a colleague", me, colleague.ID, d.ID, "", cu.CodeForbidden, "", "", true},
		{"revoke unknown consent", me, u.ID, uuid.New(), "", cu.CodeNotFound, "", "", true},
		{"revoke with a bad source", me, u.ID, d.ID, "x-y", cu.CodeInvalid, "source", "format", true},
		{"revoke with the erasure source", h.admin, u.ID, d.ID, consent.SourceErasure, cu.CodeInvalid, "source", "reserved", true},
	}
	// The colleague and u accepted, so that a revocation could happen.
	h.accept(colleague, d)
	h.accept(u, d)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			events, entries := h.eventCount(), len(h.ledger(consent.LedgerFilter{}))
			var err error
			if c.revoking {
				_, err = h.svc.Revoke(h.ctx, c.actor, c.user, c.consent, c.source)
			} else {
				_, err = h.svc.Accept(h.ctx, c.actor, c.user, c.consent, c.source)
			}
			if c.field != "" {
				requireViolation(t, err, c.field, c.rule)
			} else {
				requireCode(t, err, c.code)
			}
			assert.Equal(t, events, h.eventCount(), "no event")
			assert.Len(t, h.ledger(consent.LedgerFilter{}), entries, "no entry")
		})
	}
}

func TestAcceptThroughAnAccessToken(t *testing.T) {
	h := newHarness(t)
	d := h.def("Terms")
	u := h.user("ada@example.org")
	token := h.storefront(u)
	token.Scopes = []string{role.Scope(role.ResourceCustomerUser, role.View)}
	_, err := h.svc.Accept(h.ctx, token, u.ID, d.ID, consent.SourceAPI)
	requireCode(t, err, cu.CodeForbidden)
	_, err = h.svc.State(h.ctx, token, u.ID)
	requireCode(t, err, cu.CodeForbidden)
	assert.Empty(t, h.ledger(consent.LedgerFilter{}))

	token.Scopes = []string{role.Scope(role.ResourceConsentAcceptance, role.Create), role.Scope(role.ResourceConsentAcceptance, role.View)}
	_, err = h.svc.Accept(h.ctx, token, u.ID, d.ID, consent.SourceAPI)
	require.NoError(t, err)
	st, err := h.svc.State(h.ctx, token, u.ID)
	require.NoError(t, err)
	require.Len(t, st, 1)
	assert.True(t, st[0].Accepted)
	_, err = h.svc.Revoke(h.ctx, token, u.ID, d.ID, consent.SourceAPI)
	requireCode(t, err, cu.CodeForbidden, "the buyer role grants no consent_acceptance delete")
}

func TestRevoke(t *testing.T) {
	h := newHarness(t)
	d := h.def("Marketing", optional)
	quiet := h.def("Statistics", func(in *consent.DefinitionInput) { in.Mandatory = ptr(false); in.DeclinedNotification = ptr(false) })
	u := h.user("ada@example.org")
	me := h.storefront(u)

	events := h.eventCount()
	_, err := h.svc.Revoke(h.ctx, me, u.ID, d.ID, "")
	requireCode(t, err, cu.CodeConflict)
	assert.Equal(t, events, h.eventCount(), "nothing to revoke: nothing changed")
	assert.Empty(t, h.ledger(consent.LedgerFilter{}))

	accepted := h.accept(u, d)
	h.accept(u, quiet)
	h.clock.Advance(time.Hour)
	r, err := h.svc.Revoke(h.ctx, me, u.ID, d.ID, "")
	require.NoError(t, err)
	assert.Equal(t, consent.KindRevoke, r.Kind)
	assert.Equal(t, accepted.ContentVersion, r.ContentVersion, "revokes the accepted version")
	assert.Equal(t, accepted.ContentRef, r.ContentRef)
	assert.Equal(t, consent.SourceProfile, r.Source)
	assert.Equal(t, h.clock.Now(), r.At)
	assert.Equal(t, []consent.Entry{accepted, r}, h.ledger(consent.LedgerFilter{ConsentID: d.ID}), "nothing deleted")

	require.Len(t, h.eventsOf(u.ID, consent.EventRevoked), 1)
	declined := h.eventsOf(u.ID, consent.EventDeclined)
	require.Len(t, declined, 1, "declined notification on")
	assert.Equal(t, customeruser.SubjectCustomerUser, declined[0].SubjectType)
	p := payload(t, declined[0])
	assert.Equal(t, d.ID.String(), p["consentId"])
	assert.Equal(t, "Marketing", p["consentName"])
	assert.Equal(t, "ada@example.org", p["email"])
	assert.Equal(t, "Ada", p["firstName"])
	assert.Equal(t, "Lovelace", p["lastName"])
	assert.Equal(t, h.website.ID.String(), p["websiteId"])
	assert.Equal(t, h.acme.ID.String(), p["customerId"])

	_, err = h.svc.Revoke(h.ctx, me, u.ID, d.ID, "")
	requireCode(t, err, cu.CodeConflict, "already revoked")

	_, err = h.svc.Revoke(h.ctx, h.admin, u.ID, quiet.ID, "")
	require.NoError(t, err)
	assert.Len(t, h.eventsOf(u.ID, consent.EventRevoked), 2)
	assert.Len(t, h.eventsOf(u.ID, consent.EventDeclined), 1, "declined notification off: no consent.declined")

	// Accept, revoke, accept: the latest entry is the state.
	h.accept(u, d)
	st := h.state(u)
	require.Len(t, st, 2)
	assert.True(t, st[0].Accepted)
	assert.False(t, st[1].Accepted)
	assert.Len(t, h.ledger(consent.LedgerFilter{UserID: u.ID}), 5)
}

// Withdrawing stays possible after the consent left the user's website.
func TestRevokeAfterTheWebsiteDropsTheConsent(t *testing.T) {
	h := newHarness(t)
	d := h.def("Marketing", optional)
	u := h.user("ada@example.org")
	h.accept(u, d)
	_, err := h.svc.UpdateDefinition(h.ctx, h.admin, d.ID, consent.DefinitionPatch{WebsiteIDs: &[]uuid.UUID{h.website2.ID}}, 0)
	require.NoError(t, err)
	assert.Empty(t, h.state(u), "no longer shown")
	_, err = h.svc.Accept(h.ctx, h.storefront(u), u.ID, d.ID, "")
	requireViolation(t, err, "consentId", "not_enabled")
	_, err = h.svc.Revoke(h.ctx, h.storefront(u), u.ID, d.ID, "")
	require.NoError(t, err)
}

func TestStateAndReacceptance(t *testing.T) {
	h := newHarness(t)
	loc := h.website.Localizations[1]
	terms := h.def("Terms", func(in *consent.DefinitionInput) {
		in.Position = 2
		in.Names = map[uuid.UUID]string{loc: "Conditions"}
	})
	marketing := h.def("Marketing", func(in *consent.DefinitionInput) { in.Position = 1; in.Mandatory = ptr(false) })
	h.def("Outlet", func(in *consent.DefinitionInput) { in.WebsiteIDs = []uuid.UUID{h.website2.ID} })
	u := h.user("ada@example.org", func(in *customeruser.CreateUserInput) { in.PreferredLocalizationID = loc })

	st := h.state(u)
	require.Len(t, st, 2, "only the consents of the user's website")
	assert.Equal(t, marketing.ID, st[0].ConsentID, "in order")
	assert.Equal(t, consent.State{
		ConsentID: terms.ID, Name: "Conditions", Mandatory: true, CurrentVersion: 1, ContentRef: "/pages/Terms",
	}, st[1], "not accepted; the name in the user's localization")

	at := h.clock.Now()
	h.accept(u, terms)
	st = h.state(u)
	assert.Equal(t, consent.State{
		ConsentID: terms.ID, Name: "Conditions", Mandatory: true, CurrentVersion: 1, ContentRef: "/pages/Terms",
		Accepted: true, AcceptedVersion: 1, AcceptedContentRef: "/pages/Terms", AcceptedAt: &at,
	}, st[1])

	// A new content version needs re-acceptance.
	h.clock.Advance(24 * time.Hour)
	_, err := h.svc.UpdateDefinition(h.ctx, h.admin, terms.ID, consent.DefinitionPatch{ContentVersion: ptr(2), ContentRef: ptr("/pages/terms-v2")}, 0)
	require.NoError(t, err)
	st = h.state(u)
	assert.True(t, st[1].Accepted)
	assert.Equal(t, 1, st[1].AcceptedVersion)
	assert.Equal(t, 2, st[1].CurrentVersion)
	assert.Equal(t, "/pages/terms-v2", st[1].ContentRef)
	assert.Equal(t, "/pages/Terms", st[1].AcceptedContentRef)
	assert.True(t, st[1].NeedsReacceptance)

	e := h.accept(u, terms)
	assert.Equal(t, 2, e.ContentVersion)
	assert.Equal(t, "/pages/terms-v2", e.ContentRef)
	st = h.state(u)
	assert.False(t, st[1].NeedsReacceptance)
	assert.Equal(t, 2, st[1].AcceptedVersion)
	versions := []int{}
	for _, x := range h.ledger(consent.LedgerFilter{ConsentID: terms.ID}) {
		versions = append(versions, x.ContentVersion)
	}
	assert.Equal(t, []int{1, 2}, versions, "the ledger shows which version was accepted when")

	// A user of the other website sees that website's consents only.
	outlet := h.user("grace@example.org", func(in *customeruser.CreateUserInput) { in.WebsiteID = h.website2.ID })
	st = h.state(outlet)
	require.Len(t, st, 1)
	assert.Equal(t, "Outlet", st[0].Name)
}

func TestStateVisibility(t *testing.T) {
	h := newHarness(t)
	h.def("Terms")
	u := h.user("ada@example.org")
	colleague := h.user("grace@example.org")
	admin := h.user("boss@example.org", func(in *customeruser.CreateUserInput) { in.RoleIDs = []uuid.UUID{h.adminR.ID} })
	outsider := h.user("linus@example.org", func(in *customeruser.CreateUserInput) { in.CustomerID = h.customer("Globex", uuid.Nil).ID })

	_, err := h.svc.State(h.ctx, h.storefront(u), u.ID)
	require.NoError(t, err, "oneself")
	_, err = h.svc.State(h.ctx, h.storefront(admin), u.ID)
	require.NoError(t, err, "an administrator's consent_acceptance view reaches the customer")
	_, err = h.svc.State(h.ctx, h.storefront(colleague), u.ID)
	requireCode(t, err, cu.CodeForbidden)
	_, err = h.svc.State(h.ctx, h.storefront(admin), outsider.ID)
	requireCode(t, err, cu.CodeNotFound)
	_, err = h.svc.State(h.ctx, cu.AnonymousActor(h.org), u.ID)
	requireCode(t, err, cu.CodeUnauthenticated)

	_, err = h.svc.Ledger(h.ctx, h.storefront(u), consent.LedgerFilter{}, cu.Page{})
	requireCode(t, err, cu.CodeForbidden)
	_, err = h.svc.Ledger(h.ctx, h.storefront(u), consent.LedgerFilter{UserID: u.ID}, cu.Page{})
	require.NoError(t, err)
	_, err = h.svc.Ledger(h.ctx, h.storefront(colleague), consent.LedgerFilter{UserID: u.ID}, cu.Page{})
	requireCode(t, err, cu.CodeForbidden)
	_, err = h.svc.Ledger(h.ctx, h.admin, consent.LedgerFilter{}, cu.Page{Limit: cu.MaxPageLimit + 1})
	requireViolation(t, err, "limit", "max")
}
