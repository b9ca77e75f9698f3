package httpadapter_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/b2bkit/customerusers/consent"
	"github.com/b2bkit/customerusers/oauthapp"
	"github.com/b2bkit/customerusers/role"
)

// TestTenantIsolation sends every route that takes an id, in the back
// office and the storefront, another organization's ids: each answers 404
// and nothing of the other organization changes.
func TestTenantIsolation(t *testing.T) {
	eachStorage(t, func(t *testing.T, h *harness) {
		// Organization 2's records.
		c2 := h.customer(h.org2, "Other Co", uuid.Nil)
		u2 := h.addAddress(h.user(c2, "someone@other.example"), "1 Other St")
		r2, err := h.roles.Create(h.ctx, h.admin2, role.Input{Label: "Other Role", CustomerID: c2.ID, SelfManaged: true, Public: true})
		require.NoError(t, err)
		d2, err := h.consents.CreateDefinition(h.ctx, h.admin2, consent.DefinitionInput{DefaultName: "Other terms",
			WebsiteIDs: []uuid.UUID{h.websiteOrg2.ID}})
		require.NoError(t, err)
		app2, err := h.apps.Create(h.ctx, h.admin2, u2.ID, oauthapp.Input{Name: "Other app"})
		require.NoError(t, err)
		// The id of another organization's record, by the path segment
		// that precedes it.
		ids := map[string]uuid.UUID{
			"customers": c2.ID, "customer-users": u2.ID, "users": u2.ID, "roles": r2.ID, "addresses": u2.Addresses[0].ID,
			"consents": d2.ID, "oauth-applications": app2.App.ID,
		}
		// A storefront administrator of organization 1.
		c := newCompany(h)
		before := h.eventCount(h.org2)
		version := h.getUser2(u2.ID).Version

		for _, tc := range []struct {
			prefix, token string
		}{{boPrefix, h.adminToken}, {sfPrefix, c.adminTok}} {
			doc := h.docs[tc.prefix]
			checked := 0
			for tmpl, item := range doc["paths"].(map[string]any) {
				if !strings.Contains(tmpl, "{") {
					continue
				}
				segs := strings.Split(tmpl, "/")
				for i, seg := range segs {
					if strings.HasPrefix(seg, "{") {
						id, ok := ids[segs[i-1]]
						require.True(t, ok, "no id for %s", tmpl)
						segs[i] = id.String()
					}
				}
				path := strings.Join(segs, "/")
				for method := range item.(map[string]any) {
					var body any
					switch {
					case method == "patch":
						body = map[string]any{}
					case method == "post" && strings.HasSuffix(tmpl, "/addresses"):
						body = newAddress("2 Other St")
					case method == "post" && strings.HasSuffix(tmpl, "/oauth-applications"):
						body = map[string]any{"name": "Mine now"}
					}
					m := strings.ToUpper(method)
					h.do(m, tc.prefix+path, tc.token, body).expectProblem(t, http.StatusNotFound, "not_found")
					checked++
				}
			}
			assert.Greater(t, checked, 10, tc.prefix)
		}
		assert.Equal(t, before, h.eventCount(h.org2), "nothing of organization 2 changed")
		assert.Equal(t, version, h.getUser2(u2.ID).Version)
		got, err := h.st.Apps.Get(h.ctx, h.org2, app2.App.ID)
		require.NoError(t, err)
		assert.Equal(t, app2.App.Version, got.Version)
		assert.True(t, got.Active)

		// Lists never show another organization's records.
		for _, it := range h.bo(http.MethodGet, "/customer-users", nil).expect(t, http.StatusOK).items(t) {
			assert.NotEqual(t, u2.ID.String(), it["id"])
		}
		for _, it := range h.bo(http.MethodGet, "/customers?subtreeOf="+c2.ID.String(), nil).expect(t, http.StatusOK).items(t) {
			assert.NotEqual(t, c2.ID.String(), it["id"])
		}
		assert.Empty(t, h.bo(http.MethodGet, "/roles?customerId="+c2.ID.String(), nil).expect(t, http.StatusOK).items(t))
		assert.Empty(t, h.bo(http.MethodGet, "/customer-users?customerId="+c2.ID.String(), nil).expect(t, http.StatusOK).items(t))
		// Creating under another organization's records is a field error.
		p := h.bo(http.MethodPost, "/customer-users", map[string]any{"customerId": c2.ID, "email": "x@acme.example",
			"firstName": "X", "lastName": "Y", "roleIds": []uuid.UUID{h.buyerRole2.ID}, "password": testPassword}).
			expectProblem(t, http.StatusUnprocessableEntity, "invalid")
		violation(t, p, "customerId", "not_found")
		violation(t, p, "roleIds[0]", "not_found")
	})
}
