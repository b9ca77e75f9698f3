package httpadapter_test

import (
	"net/http"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/b2bkit/customerusers/consent"
)

func TestConsentDefinitions(t *testing.T) {
	eachStorage(t, func(t *testing.T, h *harness) {
		loc := h.website.Localizations[1]
		r := h.bo(http.MethodPost, "/consents", map[string]any{"defaultName": "Terms", "names": map[string]string{loc.String(): "AGB"},
			"contentRef": "/terms/v1", "websiteIds": []uuid.UUID{h.website.ID}, "mandatory": true}).expect(t, http.StatusCreated)
		id := r.id(t)
		assert.Equal(t, boPrefix+"/consents/"+id.String(), r.header.Get("Location"))
		assert.Equal(t, `"1"`, r.header.Get("ETag"))
		d := r.obj(t)
		assert.Equal(t, float64(1), d["contentVersion"])
		assert.Equal(t, true, d["declinedNotification"])
		assert.Equal(t, map[string]any{loc.String(): "AGB"}, d["names"])

		h.bo(http.MethodGet, "/consents/"+id.String(), nil).expect(t, http.StatusOK)
		other := h.bo(http.MethodPost, "/consents", map[string]any{"defaultName": "Outlet only", "websiteIds": []uuid.UUID{h.website2.ID},
			"position": 2}).expect(t, http.StatusCreated).id(t)
		all := h.bo(http.MethodGet, "/consents", nil).expect(t, http.StatusOK).items(t)
		require.Len(t, all, 2)
		assert.Equal(t, id.String(), all[0]["id"])
		main := h.bo(http.MethodGet, "/consents?websiteId="+h.website.ID.String(), nil).expect(t, http.StatusOK).items(t)
		require.Len(t, main, 1)
		page := h.bo(http.MethodGet, "/consents?limit=1", nil).expect(t, http.StatusOK).obj(t)
		assert.NotNil(t, page["nextCursor"])

		// Edit (If-Match, or the body's version), then delete.
		r = h.bo(http.MethodPatch, "/consents/"+id.String(), map[string]any{"defaultName": "Terms of sale", "names": nil}, ifMatch(1)).
			expect(t, http.StatusOK)
		assert.Equal(t, `"2"`, r.header.Get("ETag"))
		assert.Equal(t, map[string]any{}, r.obj(t)["names"])
		h.bo(http.MethodPatch, "/consents/"+id.String(), map[string]any{"position": 5, "version": 2}).expect(t, http.StatusOK)
		h.bo(http.MethodDelete, "/consents/"+other.String(), nil, ifMatch(1)).expect(t, http.StatusNoContent)
		h.bo(http.MethodGet, "/consents/"+other.String(), nil).expectProblem(t, http.StatusNotFound, "not_found")

		// Bad input changes nothing.
		before := h.eventCount(h.org)
		p := h.bo(http.MethodPost, "/consents", map[string]any{"defaultName": " ", "websiteIds": []uuid.UUID{uuid.New()}, "contentVersion": -1}).
			expectProblem(t, http.StatusUnprocessableEntity, "invalid")
		violation(t, p, "defaultName", "required")
		h.bo(http.MethodPost, "/consents", map[string]any{"defaultName": "X", "text": "y"}).expectProblem(t, http.StatusBadRequest, "bad_request")
		h.bo(http.MethodPost, "/consents", map[string]any{"defaultName": "X", "names": map[string]string{"not-a-uuid": "y"}}).
			expectProblem(t, http.StatusBadRequest, "bad_request")
		h.bo(http.MethodPatch, "/consents/"+id.String(), map[string]any{"mandatory": nil}).expectProblem(t, http.StatusBadRequest, "bad_request")
		h.bo(http.MethodPatch, "/consents/"+id.String(), map[string]any{"position": 1}, ifMatch(1)).expectProblem(t, http.StatusPreconditionFailed, "stale")
		h.bo(http.MethodDelete, "/consents/"+id.String(), nil, ifMatch(1)).expectProblem(t, http.StatusPreconditionFailed, "stale")
		h.bo(http.MethodGet, "/consents/nope", nil).expectProblem(t, http.StatusBadRequest, "bad_request")
		h.bo(http.MethodGet, "/consents/"+uuid.NewString(), nil).expectProblem(t, http.StatusNotFound, "not_found")
		h.bo(http.MethodGet, "/consents?sort=name", nil).expectProblem(t, http.StatusBadRequest, "bad_request")
		assert.Equal(t, before, h.eventCount(h.org))

		// Once accepted, the text is frozen and the consent stays.
		c := newCompany(h)
		_, err := h.consents.Accept(h.ctx, h.admin, c.buyer.ID, id, "")
		require.NoError(t, err)
		p = h.bo(http.MethodPatch, "/consents/"+id.String(), map[string]any{"defaultName": "Other"}).expectProblem(t, http.StatusConflict, "conflict")
		violation(t, p, "defaultName", "immutable")
		h.bo(http.MethodDelete, "/consents/"+id.String(), nil).expectProblem(t, http.StatusConflict, "conflict")
		// Publishing new content stays possible.
		d = h.bo(http.MethodPatch, "/consents/"+id.String(), map[string]any{"contentVersion": 2, "contentRef": "/terms/v2"}).
			expect(t, http.StatusOK).obj(t)
		assert.Equal(t, float64(2), d["contentVersion"])

		// The storefront has no definitions routes, and a storefront user
		// cannot reach the back office's.
		h.sf(c.adminTok, http.MethodGet, "/consents", nil).expectProblem(t, http.StatusNotFound, "not_found")
		h.do(http.MethodGet, boPrefix+"/consents", c.adminTok, nil).expectProblem(t, http.StatusForbidden, "forbidden")
	})
}

func TestConsentStateAndLedger(t *testing.T) {
	eachStorage(t, func(t *testing.T, h *harness) {
		c := newCompany(h)
		terms, err := h.consents.CreateDefinition(h.ctx, h.admin, consent.DefinitionInput{DefaultName: "Terms",
			WebsiteIDs: []uuid.UUID{h.website.ID}, ContentRef: "/terms/v1"})
		require.NoError(t, err)
		news, err := h.consents.CreateDefinition(h.ctx, h.admin, consent.DefinitionInput{DefaultName: "Newsletter",
			Mandatory: ptr(false), WebsiteIDs: []uuid.UUID{h.website.ID}, Position: 1})
		require.NoError(t, err)
		outlet, err := h.consents.CreateDefinition(h.ctx, h.admin, consent.DefinitionInput{DefaultName: "Outlet",
			WebsiteIDs: []uuid.UUID{h.website2.ID}})
		require.NoError(t, err)

		mine := h.sf(c.buyerTok, http.MethodGet, "/me/consents", nil).expect(t, http.StatusOK).items(t)
		require.Len(t, mine, 2)
		assert.Equal(t, terms.ID.String(), mine[0]["consentId"])
		assert.Equal(t, false, mine[0]["accepted"])
		assert.Nil(t, mine[0]["acceptedVersion"])

		// Accept: twice is the same entry.
		e := h.sf(c.buyerTok, http.MethodPost, "/me/consents/"+terms.ID.String()+"/accept", nil).expect(t, http.StatusOK).obj(t)
		assert.Equal(t, "accept", e["kind"])
		assert.Equal(t, "profile", e["source"])
		assert.Equal(t, "/terms/v1", e["contentRef"])
		again := h.sf(c.buyerTok, http.MethodPost, "/me/consents/"+terms.ID.String()+"/accept", nil).expect(t, http.StatusOK).obj(t)
		assert.Equal(t, e["id"], again["id"])

		// The back office sees the user's state.
		state := h.bo(http.MethodGet, "/customer-users/"+c.buyer.ID.String()+"/consents", nil).expect(t, http.StatusOK).items(t)
		require.Len(t, state, 2)
		assert.Equal(t, true, state[0]["accepted"])
		assert.Equal(t, float64(1), state[0]["acceptedVersion"])
		assert.NotNil(t, state[0]["acceptedAt"])
		assert.Equal(t, false, state[1]["accepted"])

		// A new content version needs re-acceptance.
		_, err = h.consents.UpdateDefinition(h.ctx, h.admin, terms.ID, consent.DefinitionPatch{ContentVersion: ptr(2)}, 0)
		require.NoError(t, err)
		mine = h.sf(c.buyerTok, http.MethodGet, "/me/consents", nil).expect(t, http.StatusOK).items(t)
		assert.Equal(t, true, mine[0]["needsReacceptance"])
		h.sf(c.buyerTok, http.MethodPost, "/me/consents/"+terms.ID.String()+"/accept", nil).expect(t, http.StatusOK)

		// Revoke.
		e = h.sf(c.buyerTok, http.MethodPost, "/me/consents/"+terms.ID.String()+"/revoke", nil).expect(t, http.StatusOK).obj(t)
		assert.Equal(t, "revoke", e["kind"])
		assert.Equal(t, float64(2), e["contentVersion"])

		// Bad input changes nothing.
		before := h.eventCount(h.org)
		h.sf(c.buyerTok, http.MethodPost, "/me/consents/"+news.ID.String()+"/revoke", nil).expectProblem(t, http.StatusConflict, "conflict")
		p := h.sf(c.buyerTok, http.MethodPost, "/me/consents/"+outlet.ID.String()+"/accept", nil).
			expectProblem(t, http.StatusUnprocessableEntity, "invalid")
		violation(t, p, "consentId", "not_enabled")
		h.sf(c.buyerTok, http.MethodPost, "/me/consents/"+uuid.NewString()+"/accept", nil).expectProblem(t, http.StatusNotFound, "not_found")
		h.sf(c.buyerTok, http.MethodPost, "/me/consents/nope/accept", nil).expectProblem(t, http.StatusBadRequest, "bad_request")
		h.sf(c.buyerTok, http.MethodPost, "/me/consents/"+terms.ID.String()+"/accept", nil, ifMatch(1)).
			expectProblem(t, http.StatusBadRequest, "bad_request")
		h.bo(http.MethodGet, "/customer-users/"+uuid.NewString()+"/consents", nil).expectProblem(t, http.StatusNotFound, "not_found")
		assert.Equal(t, before, h.eventCount(h.org))

		// A customer administrator may view others' consents but never give
		// or withdraw them: the storefront has no route for that at all.
		h.sf(c.adminTok, http.MethodGet, "/me/consents", nil).expect(t, http.StatusOK)

		// Without a session, nothing.
		h.sf("", http.MethodGet, "/me/consents", nil).expectProblem(t, http.StatusUnauthorized, "unauthenticated")
	})
}

func TestPublicWebsiteConsents(t *testing.T) {
	eachStorage(t, func(t *testing.T, h *harness) {
		loc := h.website.Localizations[1]
		_, err := h.consents.CreateDefinition(h.ctx, h.admin, consent.DefinitionInput{DefaultName: "Terms",
			Names: map[uuid.UUID]string{loc: "AGB"}, WebsiteIDs: []uuid.UUID{h.website.ID}})
		require.NoError(t, err)
		_, err = h.consents.CreateDefinition(h.ctx, h.admin2, consent.DefinitionInput{DefaultName: "Other org",
			WebsiteIDs: []uuid.UUID{h.websiteOrg2.ID}})
		require.NoError(t, err)

		items := h.pub(http.MethodGet, "/consents", nil).expect(t, http.StatusOK).items(t)
		require.Len(t, items, 1)
		assert.Equal(t, "Terms", items[0]["name"])
		items = h.pub(http.MethodGet, "/consents?localizationId="+loc.String(), nil).expect(t, http.StatusOK).items(t)
		assert.Equal(t, "AGB", items[0]["name"])
		assert.Empty(t, h.pub(http.MethodGet, "/consents?websiteId="+h.website2.ID.String(), nil).expect(t, http.StatusOK).items(t))
		items = h.pub(http.MethodGet, "/consents", nil, withHost(hostOrg2)).expect(t, http.StatusOK).items(t)
		require.Len(t, items, 1)
		assert.Equal(t, "Other org", items[0]["name"])

		p := h.pub(http.MethodGet, "/consents?websiteId="+h.websiteOrg2.ID.String(), nil).expectProblem(t, http.StatusUnprocessableEntity, "invalid")
		violation(t, p, "websiteId", "not_found")
		h.pub(http.MethodGet, "/consents?websiteId=x", nil).expectProblem(t, http.StatusBadRequest, "bad_request")
	})
}
