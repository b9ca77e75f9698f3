package consent_test

import (
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	cu "github.com/b2bkit/customerusers"
	"github.com/b2bkit/customerusers/consent"
	"github.com/b2bkit/customerusers/customeruser"
)

func TestCreateDefinitionDefaults(t *testing.T) {
	h := newHarness(t)
	loc := h.website.Localizations[1]
	d, err := h.svc.CreateDefinition(h.ctx, h.admin, consent.DefinitionInput{
		DefaultName: "  Terms of sale ", Names: map[uuid.UUID]string{loc: " Conditions ", h.website.Localizations[0]: "  "},
		ContentRef: " /pages/terms ", WebsiteIDs: []uuid.UUID{h.website.ID, h.website.ID, h.website2.ID}, Position: 4,
	})
	require.NoError(t, err)
	assert.Equal(t, "Terms of sale", d.DefaultName)
	assert.Equal(t, map[uuid.UUID]string{loc: "Conditions"}, d.Names, "trimmed; empty names dropped")
	assert.True(t, d.Mandatory, "mandatory by default")
	assert.True(t, d.DeclinedNotification, "declined notification by default")
	assert.Equal(t, "/pages/terms", d.ContentRef)
	assert.Equal(t, 1, d.ContentVersion, "content version 1 by default")
	assert.Equal(t, []uuid.UUID{h.website.ID, h.website2.ID}, d.WebsiteIDs, "duplicates dropped")
	assert.Equal(t, int64(1), d.Version)
	assert.Equal(t, h.clock.Now(), d.CreatedAt)
	assert.Equal(t, "Conditions", d.Name(loc))
	assert.Equal(t, "Terms of sale", d.Name(uuid.New()))

	got, err := h.svc.GetDefinition(h.ctx, h.admin, d.ID)
	require.NoError(t, err)
	assert.Equal(t, d, got)
	evs := h.eventsOf(d.ID, consent.EventCreated)
	require.Len(t, evs, 1)
	assert.Equal(t, consent.SubjectConsent, evs[0].SubjectType)
	p := payload(t, evs[0])
	assert.Equal(t, "Terms of sale", p["defaultName"])
	assert.Equal(t, true, p["mandatory"])

	off, err := h.svc.CreateDefinition(h.ctx, h.admin, consent.DefinitionInput{
		DefaultName: "Newsletter", Mandatory: ptr(false), DeclinedNotification: ptr(false), ContentVersion: 3,
	})
	require.NoError(t, err)
	assert.False(t, off.Mandatory)
	assert.False(t, off.DeclinedNotification)
	assert.Equal(t, 3, off.ContentVersion)
	assert.Empty(t, off.WebsiteIDs, "enabled nowhere yet")
}

func TestCreateDefinitionInvalid(t *testing.T) {
	nilLoc := map[uuid.UUID]string{uuid.Nil: "x"}
	longLoc := uuid.MustParse("0190f5a0-0000-7000-8000-000000000001")
	cases := []struct {
		name        string
		in          func(h *harness) consent.DefinitionInput
		field, rule string
	}{
		{"no name", func(*harness) consent.DefinitionInput { return consent.DefinitionInput{DefaultName: "  "} }, "defaultName", "required"},
		{"long name", func(*harness) consent.DefinitionInput {
			return consent.DefinitionInput{DefaultName: strings.Repeat("n", 256)}
		}, "defaultName", "max_length"},
		{"nil localization", func(*harness) consent.DefinitionInput {
			return consent.DefinitionInput{DefaultName: "T", Names: nilLoc}
		}, "names", "localization"},
		{"long localized name", func(*harness) consent.DefinitionInput {
			return consent.DefinitionInput{DefaultName: "T", Names: map[uuid.UUID]string{longLoc: strings.Repeat("n", 256)}}
		}, "names[" + longLoc.String() + "]", "max_length"},
		{"long content ref", func(*harness) consent.DefinitionInput {
			return consent.DefinitionInput{DefaultName: "T", ContentRef: "/" + strings.Repeat("p", 2048)}
		}, "contentRef", "max_length"},
		{"negative version", func(*harness) consent.DefinitionInput {
			return consent.DefinitionInput{DefaultName: "T", ContentVersion: -1}
		}, "contentVersion", "min"},
		{"negative position", func(*harness) consent.DefinitionInput { return consent.DefinitionInput{DefaultName: "T", Position: -1} }, "position", "min"},
		{"nil website", func(h *harness) consent.DefinitionInput {
			return consent.DefinitionInput{DefaultName: "T", WebsiteIDs: []uuid.UUID{h.website.ID, uuid.Nil}}
		}, "websiteIds[1]", "required"},
		{"unknown website", func(*harness) consent.DefinitionInput {
			return consent.DefinitionInput{DefaultName: "T", WebsiteIDs: []uuid.UUID{uuid.New()}}
		}, "websiteIds[0]", "not_found"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t)
			events := h.eventCount()
			_, err := h.svc.CreateDefinition(h.ctx, h.admin, c.in(h))
			requireViolation(t, err, c.field, c.rule)
			assert.Empty(t, h.definitions(), "nothing created")
			assert.Equal(t, events, h.eventCount(), "no event")
		})
	}
}

func TestDefinitionsAreBackOfficeOnly(t *testing.T) {
	h := newHarness(t)
	d := h.def("Terms")
	u := h.user("ada@example.org", func(in *customeruser.CreateUserInput) { in.RoleIDs = []uuid.UUID{h.adminR.ID} })
	actors := map[cu.Code]cu.Actor{cu.CodeForbidden: h.storefront(u), cu.CodeUnauthenticated: cu.AnonymousActor(h.org)}
	for code, a := range actors {
		_, err := h.svc.CreateDefinition(h.ctx, a, consent.DefinitionInput{DefaultName: "X"})
		requireCode(t, err, code)
		_, err = h.svc.GetDefinition(h.ctx, a, d.ID)
		requireCode(t, err, code)
		_, err = h.svc.ListDefinitions(h.ctx, a, consent.DefinitionFilter{}, cu.Page{})
		requireCode(t, err, code)
		_, err = h.svc.UpdateDefinition(h.ctx, a, d.ID, consent.DefinitionPatch{Position: ptr(3)}, 0)
		requireCode(t, err, code)
		requireCode(t, h.svc.DeleteDefinition(h.ctx, a, d.ID, 0), code)
	}
	assert.Len(t, h.definitions(), 1)
	got, err := h.svc.GetDefinition(h.ctx, h.admin, d.ID)
	require.NoError(t, err)
	assert.Equal(t, d, got, "unchanged")

	sys := cu.SystemActor(h.org)
	_, err = h.svc.CreateDefinition(h.ctx, sys, consent.DefinitionInput{DefaultName: "By the system"})
	require.NoError(t, err)

	// Another organization's back office sees nothing.
	stranger := cu.BackOfficeActor(uuid.New(), uuid.New())
	_, err = h.svc.GetDefinition(h.ctx, stranger, d.ID)
	requireCode(t, err, cu.CodeNotFound)
	requireCode(t, h.svc.DeleteDefinition(h.ctx, stranger, d.ID, 0), cu.CodeNotFound)
	_, err = h.svc.UpdateDefinition(h.ctx, stranger, d.ID, consent.DefinitionPatch{Position: ptr(3)}, 0)
	requireCode(t, err, cu.CodeNotFound)
}

func TestUpdateDefinitionBeforeAcceptance(t *testing.T) {
	h := newHarness(t)
	d := h.def("Terms")
	loc := h.website.Localizations[1]
	h.clock.Advance(1000) // one microsecond: PostgreSQL keeps microseconds
	got, err := h.svc.UpdateDefinition(h.ctx, h.admin, d.ID, consent.DefinitionPatch{
		DefaultName: ptr("Terms of sale"), Names: &map[uuid.UUID]string{loc: "Conditions"}, Mandatory: ptr(false),
		DeclinedNotification: ptr(false), ContentRef: ptr("/pages/terms-v1b"), WebsiteIDs: &[]uuid.UUID{h.website2.ID}, Position: ptr(7),
	}, d.Version)
	require.NoError(t, err, "nothing is frozen before the first acceptance")
	assert.Equal(t, "Terms of sale", got.DefaultName)
	assert.False(t, got.Mandatory)
	assert.False(t, got.DeclinedNotification)
	assert.Equal(t, "/pages/terms-v1b", got.ContentRef)
	assert.Equal(t, []uuid.UUID{h.website2.ID}, got.WebsiteIDs)
	assert.Equal(t, 7, got.Position)
	assert.Equal(t, int64(2), got.Version)
	assert.Equal(t, h.clock.Now(), got.UpdatedAt)

	evs := h.eventsOf(d.ID, consent.EventUpdated)
	require.Len(t, evs, 1)
	var fields []string
	for _, c := range payloadChanges(t, evs[0]) {
		fields = append(fields, c.Field)
	}
	assert.Equal(t, []string{"defaultName", "names", "mandatory", "declinedNotification", "contentRef", "websiteIds", "position"}, fields)

	// Stale version, no-op patch, invalid patch.
	events := h.eventCount()
	_, err = h.svc.UpdateDefinition(h.ctx, h.admin, d.ID, consent.DefinitionPatch{Position: ptr(1)}, 1)
	requireCode(t, err, cu.CodeStale)
	same, err := h.svc.UpdateDefinition(h.ctx, h.admin, d.ID, consent.DefinitionPatch{Position: ptr(7), DefaultName: ptr(" Terms of sale ")}, 0)
	require.NoError(t, err)
	assert.Equal(t, got, same, "a patch that changes nothing writes nothing")
	_, err = h.svc.UpdateDefinition(h.ctx, h.admin, d.ID, consent.DefinitionPatch{DefaultName: ptr(""), Position: ptr(1)}, 0)
	requireViolation(t, err, "defaultName", "required")
	_, err = h.svc.UpdateDefinition(h.ctx, h.admin, d.ID, consent.DefinitionPatch{ContentVersion: ptr(0)}, 0)
	requireViolation(t, err, "contentVersion", "min")
	_, err = h.svc.UpdateDefinition(h.ctx, h.admin, uuid.New(), consent.DefinitionPatch{Position: ptr(1)}, 0)
	requireCode(t, err, cu.CodeNotFound)
	assert.Equal(t, events, h.eventCount(), "no event")
	now, err := h.svc.GetDefinition(h.ctx, h.admin, d.ID)
	require.NoError(t, err)
	assert.Equal(t, got, now, "nothing changed")
}

// An accepted consent is frozen except for new content versions, websites
// and position.
func TestUpdateDefinitionAfterAcceptance(t *testing.T) {
	h := newHarness(t)
	d := h.def("Terms")
	u := h.user("ada@example.org")
	h.accept(u, d)

	frozen := []struct {
		name  string
		patch consent.DefinitionPatch
		field string
	}{
		{"default name", consent.DefinitionPatch{DefaultName: ptr("Other")}, "defaultName"},
		{"names", consent.DefinitionPatch{Names: &map[uuid.UUID]string{h.website.Localizations[1]: "Autre"}}, "names"},
		{"mandatory", consent.DefinitionPatch{Mandatory: ptr(false)}, "mandatory"},
		{"declined notification", consent.DefinitionPatch{DeclinedNotification: ptr(false)}, "declinedNotification"},
		{"content of the accepted version", consent.DefinitionPatch{ContentRef: ptr("/pages/edited")}, "contentRef"},
		{"name with a new version", consent.DefinitionPatch{DefaultName: ptr("Other"), ContentVersion: ptr(2)}, "defaultName"},
		{"with allowed fields", consent.DefinitionPatch{Mandatory: ptr(false), Position: ptr(9)}, "mandatory"},
	}
	for _, c := range frozen {
		t.Run(c.name, func(t *testing.T) {
			events := h.eventCount()
			_, err := h.svc.UpdateDefinition(h.ctx, h.admin, d.ID, c.patch, 0)
			requireCode(t, err, cu.CodeConflict)
			var e *cu.Error
			require.ErrorAs(t, err, &e)
			v, ok := e.Violation(c.field)
			require.True(t, ok, "violation on %s: %v", c.field, err)
			assert.Equal(t, "immutable", v.Rule)
			got, err := h.svc.GetDefinition(h.ctx, h.admin, d.ID)
			require.NoError(t, err)
			assert.Equal(t, d, got, "nothing changed")
			assert.Equal(t, events, h.eventCount())
		})
	}
	_, err := h.svc.UpdateDefinition(h.ctx, h.admin, d.ID, consent.DefinitionPatch{DefaultName: ptr("Other")}, 0)
	requireCode(t, err, cu.CodeConflict)
	requireCode(t, h.svc.DeleteDefinition(h.ctx, h.admin, d.ID, 0), cu.CodeConflict)

	// Websites and order stay editable.
	moved, err := h.svc.UpdateDefinition(h.ctx, h.admin, d.ID, consent.DefinitionPatch{
		WebsiteIDs: &[]uuid.UUID{h.website.ID, h.website2.ID}, Position: ptr(3),
	}, 0)
	require.NoError(t, err)
	assert.Equal(t, 3, moved.Position)

	// Publishing a new content version is allowed...
	v2, err := h.svc.UpdateDefinition(h.ctx, h.admin, d.ID, consent.DefinitionPatch{
		ContentVersion: ptr(2), ContentRef: ptr("/pages/terms-2026"),
	}, moved.Version)
	require.NoError(t, err)
	assert.Equal(t, 2, v2.ContentVersion)
	assert.Equal(t, "/pages/terms-2026", v2.ContentRef)
	// ...and the unaccepted new version's content may still be fixed...
	v2, err = h.svc.UpdateDefinition(h.ctx, h.admin, d.ID, consent.DefinitionPatch{ContentRef: ptr("/pages/terms-2026b")}, 0)
	require.NoError(t, err)
	assert.Equal(t, "/pages/terms-2026b", v2.ContentRef)
	// ...until someone accepts it.
	h.accept(u, v2)
	_, err = h.svc.UpdateDefinition(h.ctx, h.admin, d.ID, consent.DefinitionPatch{ContentRef: ptr("/pages/terms-2026c")}, 0)
	requireCode(t, err, cu.CodeConflict)
	// The version never goes back.
	_, err = h.svc.UpdateDefinition(h.ctx, h.admin, d.ID, consent.DefinitionPatch{ContentVersion: ptr(1), ContentRef: ptr("/pages/terms")}, 0)
	requireViolation(t, err, "contentVersion", "decrease")
	got, err := h.svc.GetDefinition(h.ctx, h.admin, d.ID)
	require.NoError(t, err)
	assert.Equal(t, v2, got)
}

func TestDeleteDefinition(t *testing.T) {
	h := newHarness(t)
	d := h.def("Terms")
	kept := h.def("Marketing")
	h.accept(h.user("ada@example.org"), kept)

	requireCode(t, h.svc.DeleteDefinition(h.ctx, h.admin, d.ID, 9), cu.CodeStale)
	require.NoError(t, h.svc.DeleteDefinition(h.ctx, h.admin, d.ID, d.Version))
	_, err := h.svc.GetDefinition(h.ctx, h.admin, d.ID)
	requireCode(t, err, cu.CodeNotFound)
	evs := h.eventsOf(d.ID, consent.EventDeleted)
	require.Len(t, evs, 1)
	assert.Equal(t, "Terms", payload(t, evs[0])["defaultName"])
	requireCode(t, h.svc.DeleteDefinition(h.ctx, h.admin, d.ID, 0), cu.CodeNotFound)

	events := h.eventCount()
	err = h.svc.DeleteDefinition(h.ctx, h.admin, kept.ID, 0)
	requireCode(t, err, cu.CodeConflict)
	assert.Contains(t, err.Error(), "Marketing")
	assert.Len(t, h.definitions(), 1, "an accepted consent stays")
	assert.Equal(t, events, h.eventCount())
}

func TestListDefinitionsAndForWebsite(t *testing.T) {
	h := newHarness(t)
	c := h.def("C", func(in *consent.DefinitionInput) { in.Position = 3 })
	a := h.def("A", func(in *consent.DefinitionInput) { in.Position = 1 })
	outlet := h.def("Outlet only", func(in *consent.DefinitionInput) { in.Position = 0; in.WebsiteIDs = []uuid.UUID{h.website2.ID} })
	b := h.def("B", func(in *consent.DefinitionInput) {
		in.Position = 2
		in.WebsiteIDs = []uuid.UUID{h.website.ID, h.website2.ID}
	})
	nowhere := h.def("Nowhere", func(in *consent.DefinitionInput) { in.Position = 9; in.WebsiteIDs = nil })

	var names []string
	p := cu.Page{Limit: 2}
	for {
		page, err := h.svc.ListDefinitions(h.ctx, h.admin, consent.DefinitionFilter{}, p)
		require.NoError(t, err)
		for _, d := range page.Items {
			names = append(names, d.DefaultName)
		}
		if page.NextCursor == "" {
			break
		}
		p.Cursor = page.NextCursor
	}
	assert.Equal(t, []string{outlet.DefaultName, a.DefaultName, b.DefaultName, c.DefaultName, nowhere.DefaultName}, names)
	_, err := h.svc.ListDefinitions(h.ctx, h.admin, consent.DefinitionFilter{}, cu.Page{Limit: -1})
	requireViolation(t, err, "limit", "min")

	ids := func(ds []consent.Definition) []uuid.UUID {
		var out []uuid.UUID
		for _, d := range ds {
			out = append(out, d.ID)
		}
		return out
	}
	for _, actor := range []cu.Actor{cu.AnonymousActor(h.org), h.admin} {
		main, err := h.svc.ForWebsite(h.ctx, actor, uuid.Nil)
		require.NoError(t, err)
		assert.Equal(t, []uuid.UUID{a.ID, b.ID, c.ID}, ids(main), "the default website, in order")
		out, err := h.svc.ForWebsite(h.ctx, actor, h.website2.ID)
		require.NoError(t, err)
		assert.Equal(t, []uuid.UUID{outlet.ID, b.ID}, ids(out))
	}
	_, err = h.svc.ForWebsite(h.ctx, cu.AnonymousActor(h.org), uuid.New())
	requireViolation(t, err, "websiteId", "not_found")
	_, err = h.svc.ForWebsite(h.ctx, cu.Actor{Kind: cu.ActorAnonymous}, uuid.Nil)
	requireCode(t, err, cu.CodeUnauthenticated)
	other, err := h.svc.ForWebsite(h.ctx, cu.AnonymousActor(uuid.New()), uuid.Nil)
	require.NoError(t, err)
	assert.Empty(t, other, "another organization has no consents (and no websites)")
}
