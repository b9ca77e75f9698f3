package httpadapter_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/b2bkit/customerusers/consent"
	"github.com/b2bkit/customerusers/customeruser"
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

// otherOrg are organization 2's records that the isolation tests try to
// reach from organization 1.
type otherOrg struct {
	customer customeruser.Customer
	user     customeruser.User
	role     role.Role
	consent  consent.Definition
}

func newOtherOrg(h *harness) otherOrg {
	h.t.Helper()
	var o otherOrg
	o.customer = h.customer(h.org2, "ACME", uuid.Nil) // the same name as organization 1's
	o.user = h.user(o.customer, "someone@other.example")
	var err error
	o.role, err = h.roles.Create(h.ctx, h.admin2, role.Input{Label: "Other Role", CustomerID: o.customer.ID, SelfManaged: true, Public: true})
	require.NoError(h.t, err)
	o.consent, err = h.consents.CreateDefinition(h.ctx, h.admin2, consent.DefinitionInput{DefaultName: "Other terms",
		WebsiteIDs: []uuid.UUID{h.websiteOrg2.ID}})
	require.NoError(h.t, err)
	return o
}

// ids are the ids of o's records, and of organization 2's seeded roles.
func (o otherOrg) ids(h *harness) map[string]bool {
	return map[string]bool{o.customer.ID.String(): true, o.user.ID.String(): true, o.role.ID.String(): true,
		o.consent.ID.String(): true, h.adminRole2.ID.String(): true, h.buyerRole2.ID.String(): true}
}

// TestTenantIsolationReferences makes creates and updates of organization
// 1 reference organization 2's customers, roles and websites: each is a
// 422 naming the field (the service reports an unknown and a foreign id
// alike, "not_found"), and nothing of either organization changes.
func TestTenantIsolationReferences(t *testing.T) {
	eachStorage(t, func(t *testing.T, h *harness) {
		o := newOtherOrg(h)
		c := newCompany(h)
		own, err := h.roles.Create(h.ctx, h.admin, role.Input{Label: "East Role", CustomerID: c.east.ID, SelfManaged: true, Public: true})
		require.NoError(t, err)
		d, err := h.consents.CreateDefinition(h.ctx, h.admin, consent.DefinitionInput{DefaultName: "Terms",
			WebsiteIDs: []uuid.UUID{h.website.ID}})
		require.NoError(t, err)
		before, before2 := h.eventCount(h.org), h.eventCount(h.org2)
		buyer := "/customer-users/" + c.buyer.ID.String()

		for _, tc := range []struct {
			name        string
			token       string // the back office when empty
			method      string
			path        string
			body        map[string]any
			fieldsRules [][2]string
		}{
			{name: "customer parent", method: http.MethodPost, path: "/customers",
				body: map[string]any{"name": "Sub", "parentId": o.customer.ID}, fieldsRules: [][2]string{{"parentId", "not_found"}}},
			{name: "customer move", method: http.MethodPatch, path: "/customers/" + c.west.ID.String(),
				body: map[string]any{"parentId": o.customer.ID}, fieldsRules: [][2]string{{"parentId", "not_found"}}},
			{name: "role customer", method: http.MethodPost, path: "/roles",
				body: map[string]any{"label": "Foreign", "customerId": o.customer.ID}, fieldsRules: [][2]string{{"customerId", "not_found"}}},
			{name: "role move", method: http.MethodPatch, path: "/roles/" + own.ID.String(),
				body: map[string]any{"customerId": o.customer.ID, "confirmUnassign": true}, fieldsRules: [][2]string{{"customerId", "not_found"}}},
			{name: "consent websites", method: http.MethodPost, path: "/consents",
				body:        map[string]any{"defaultName": "Foreign", "websiteIds": []uuid.UUID{h.website.ID, h.websiteOrg2.ID}},
				fieldsRules: [][2]string{{"websiteIds[1]", "not_found"}}},
			{name: "consent websites change", method: http.MethodPatch, path: "/consents/" + d.ID.String(),
				body: map[string]any{"websiteIds": []uuid.UUID{h.websiteOrg2.ID}}, fieldsRules: [][2]string{{"websiteIds[0]", "not_found"}}},
			{name: "user refs", method: http.MethodPost, path: "/customer-users",
				body: map[string]any{"customerId": c.east.ID, "email": "x@acme.example", "firstName": "X", "lastName": "Y",
					"roleIds": []uuid.UUID{h.buyerRole.ID, h.buyerRole2.ID, o.role.ID}, "websiteId": h.websiteOrg2.ID, "password": testPassword},
				fieldsRules: [][2]string{{"roleIds[1]", "not_found"}, {"roleIds[2]", "not_found"}, {"websiteId", "not_found"}}},
			{name: "user customer and roles", method: http.MethodPost, path: "/customer-users",
				body: map[string]any{"customerId": o.customer.ID, "email": "x@acme.example", "firstName": "X", "lastName": "Y",
					"roleIds": []uuid.UUID{o.role.ID}, "password": testPassword},
				fieldsRules: [][2]string{{"customerId", "not_found"}, {"roleIds[0]", "not_found"}}},
			{name: "user roles change", method: http.MethodPatch, path: buyer,
				body: map[string]any{"roleIds": []uuid.UUID{h.buyerRole2.ID}}, fieldsRules: [][2]string{{"roleIds[0]", "not_found"}}},
			{name: "user customer change", method: http.MethodPatch, path: buyer,
				body: map[string]any{"customerId": o.customer.ID}, fieldsRules: [][2]string{{"customerId", "not_found"}}},
			{name: "user customer and roles change", method: http.MethodPatch, path: buyer,
				body:        map[string]any{"customerId": o.customer.ID, "roleIds": []uuid.UUID{o.role.ID}},
				fieldsRules: [][2]string{{"customerId", "not_found"}, {"roleIds[0]", "not_found"}}},
			{name: "user website change", method: http.MethodPatch, path: buyer,
				body: map[string]any{"websiteId": h.websiteOrg2.ID}, fieldsRules: [][2]string{{"websiteId", "not_found"}}},
			// A storefront administrator of organization 1.
			{name: "storefront user roles change", token: c.adminTok, method: http.MethodPatch, path: "/users/" + c.buyer.ID.String(),
				body: map[string]any{"roleIds": []uuid.UUID{h.buyerRole2.ID}}, fieldsRules: [][2]string{{"roleIds[0]", "not_found"}}},
			{name: "storefront user customer", token: c.adminTok, method: http.MethodPost, path: "/users",
				body: map[string]any{"customerId": o.customer.ID, "email": "x@acme.example", "firstName": "X", "lastName": "Y",
					"roleIds": []uuid.UUID{h.buyerRole.ID}, "password": testPassword},
				fieldsRules: [][2]string{{"customerId", "out_of_reach"}}},
			{name: "storefront role customer", token: c.adminTok, method: http.MethodPost, path: "/roles",
				body: map[string]any{"label": "Foreign", "customerId": o.customer.ID}, fieldsRules: [][2]string{{"customerId", "not_found"}}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				var r *response
				if tc.token == "" {
					r = h.bo(tc.method, tc.path, tc.body)
				} else {
					r = h.sf(tc.token, tc.method, tc.path, tc.body)
				}
				p := r.expectProblem(t, http.StatusUnprocessableEntity, "invalid")
				for _, fr := range tc.fieldsRules {
					violation(t, p, fr[0], fr[1])
				}
			})
		}
		assert.Equal(t, before, h.eventCount(h.org), "nothing of organization 1 changed")
		assert.Equal(t, before2, h.eventCount(h.org2), "nothing of organization 2 changed")
		assert.Equal(t, c.buyer.Version, h.getUser(c.buyer.ID).Version)
		assert.Equal(t, c.buyer.CustomerID, h.getUser(c.buyer.ID).CustomerID)
		assert.Equal(t, c.west.Version, h.getCustomer(c.west.ID).Version)
		got, err := h.roles.Get(h.ctx, h.admin, own.ID)
		require.NoError(t, err)
		assert.Equal(t, own.Version, got.Version)
		gotD, err := h.consents.GetDefinition(h.ctx, h.admin, d.ID)
		require.NoError(t, err)
		assert.Equal(t, d.Version, gotD.Version)
		assert.Equal(t, o.user.Version, h.getUser2(o.user.ID).Version)
	})
}

// TestTenantIsolationLists reads every list of organization 1, unfiltered
// and with filters that organization 2's records would match: none of them
// ever shows up.
func TestTenantIsolationLists(t *testing.T) {
	eachStorage(t, func(t *testing.T, h *harness) {
		o := newOtherOrg(h)
		foreign := o.ids(h)
		c := newCompany(h)
		_, err := h.roles.Create(h.ctx, h.admin, role.Input{Label: "East Role", CustomerID: c.east.ID, SelfManaged: true, Public: true})
		require.NoError(t, err)
		_, err = h.consents.CreateDefinition(h.ctx, h.admin, consent.DefinitionInput{DefaultName: "Terms", WebsiteIDs: []uuid.UUID{h.website.ID}})
		require.NoError(t, err)

		for _, tc := range []struct {
			token, path string
			some        bool // organization 1 has records there
		}{
			{"", "/customers", true},
			{"", "/customers?name=ACME", true},
			{"", "/customers?topLevel=true", true},
			{"", "/customers?sort=-createdAt&limit=500", true},
			{"", "/roles", true},
			{"", "/roles?label=role", true},
			{"", "/roles?predefinedOnly=true", true},
			{"", "/consents", true},
			{"", "/customer-users", true},
			{"", "/customer-users?q=someone", false},
			{"", "/customer-users?email=someone@other.example", false},
			{"", "/customer-users?roleId=" + h.buyerRole2.ID.String(), false},
			{"", "/customer-users?websiteId=" + h.websiteOrg2.ID.String(), false},
			{"", "/customer-users?subtreeOf=" + o.customer.ID.String(), false},
			{"", "/consents?websiteId=" + h.websiteOrg2.ID.String(), false},
			{c.adminTok, "/users", true},
			{c.adminTok, "/users?q=someone", false},
			{c.adminTok, "/roles", true},
		} {
			name, prefix := "back office "+tc.path, boPrefix
			if tc.token == "" {
				tc.token = h.adminToken
			} else {
				name, prefix = "storefront "+tc.path, sfPrefix
			}
			t.Run(name, func(t *testing.T) {
				r := h.do(http.MethodGet, prefix+tc.path, tc.token, nil)
				r.expect(t, http.StatusOK)
				items := r.items(t)
				assert.Nil(t, r.obj(t)["nextCursor"], "one page holds them all")
				assert.Equal(t, tc.some, len(items) > 0, "items: %v", items)
				for _, it := range items {
					assert.False(t, foreign[it["id"].(string)], "organization 2's %v listed", it)
				}
			})
		}
	})
}

// TestPublicTenantIsolation sends the public endpoints of organization 2
// (chosen by the request's host) what belongs to organization 1: an
// e-mail, a set-password token, a website. Organization 1 never hears of
// it, and an e-mail used in organization 1 registers in organization 2 as
// a separate account (e-mails are unique per organization).
func TestPublicTenantIsolation(t *testing.T) {
	eachStorage(t, func(t *testing.T, h *harness) {
		const email = "amanda@cole.example"
		ua := h.user(h.customer(h.org, "Cole Trading", uuid.Nil), email)
		other := withHost(hostOrg2)
		before2, sent := h.eventCount(h.org2), h.mail.count()

		// Forgot through organization 1 sends a link; through organization 2
		// it answers the same and sends nothing.
		known := h.pub(http.MethodPost, "/password/forgot", map[string]any{"email": email}).expect(t, http.StatusAccepted)
		require.Equal(t, sent+1, h.mail.count())
		reset, ok := h.mail.last(customeruser.TemplateResetPassword, email)
		require.True(t, ok)
		assert.Equal(t, h.org, reset.OrganizationID)
		before, sent := h.eventCount(h.org), h.mail.count()
		r := h.pub(http.MethodPost, "/password/forgot", map[string]any{"email": email}, other).expect(t, http.StatusAccepted)
		assert.Equal(t, string(known.body), string(r.body))
		assert.Equal(t, sent, h.mail.count(), "nothing sent")

		// Organization 1's set-password token is no good in organization 2.
		p := h.pub(http.MethodPost, "/password/reset", map[string]any{"token": reset.Token, "password": "NewSecret9"}, other).
			expectProblem(t, http.StatusUnprocessableEntity, "invalid")
		violation(t, p, "token", "invalid")
		assert.Equal(t, ua.Version, h.getUser(ua.ID).Version)
		assert.Equal(t, before, h.eventCount(h.org))
		assert.Equal(t, before2, h.eventCount(h.org2))
		// It still works where it belongs.
		h.pub(http.MethodPost, "/password/reset", map[string]any{"token": reset.Token, "password": "NewSecret9"}).expect(t, http.StatusNoContent)
		ua = h.getUser(ua.ID)
		before = h.eventCount(h.org)

		// Nor are its websites.
		p = h.pub(http.MethodGet, "/consents?websiteId="+h.website.ID.String(), nil, other).
			expectProblem(t, http.StatusUnprocessableEntity, "invalid")
		violation(t, p, "websiteId", "not_found")
		p = h.pub(http.MethodPost, "/register", map[string]any{"firstName": "Amanda", "lastName": "Cole", "email": "new@cole.example",
			"password": testPassword, "websiteId": h.website.ID}, other).expectProblem(t, http.StatusUnprocessableEntity, "invalid")
		violation(t, p, "websiteId", "not_found")

		// Registering organization 1's e-mail in organization 2 makes a new
		// account there, with its own password; organization 1's owner is
		// not told.
		const otherPassword = "OtherSecret9"
		reg := registration("AMANDA@cole.example")
		reg["password"] = otherPassword
		h.pub(http.MethodPost, "/register", reg, other).expect(t, http.StatusAccepted)
		_, ok = h.mail.last(customeruser.TemplateNotUniqueEmail, email)
		assert.False(t, ok, "no duplicate warning")
		n, ok := h.mail.last(customeruser.TemplateConfirmation, email)
		require.True(t, ok)
		assert.Equal(t, h.org2, n.OrganizationID)
		ub, err := h.st.Users.GetByEmailKey(h.ctx, h.org2, email)
		require.NoError(t, err)
		assert.NotEqual(t, ua.ID, ub.ID)
		assert.NotEqual(t, ua.CustomerID, ub.CustomerID)
		assert.Equal(t, ua.Version, h.getUser(ua.ID).Version, "organization 1's user is untouched")
		assert.Equal(t, before, h.eventCount(h.org), "nothing of organization 1 changed")

		// Each organization logs its own account in with its own password.
		h.pub(http.MethodPost, "/confirm-email", map[string]any{"token": n.Token}, other).expect(t, http.StatusNoContent)
		grant := func(password string, opts ...reqOpt) *response {
			return h.oauth("/oauth2/token", url.Values{"grant_type": {"password"}, "client_id": {storefrontClient},
				"username": {email}, "password": {password}}, opts...)
		}
		grant(otherPassword, other).expect(t, http.StatusOK)
		grant(testPassword, other).expectOAuthError(t, http.StatusBadRequest, "invalid_grant")
		grant(otherPassword).expectOAuthError(t, http.StatusBadRequest, "invalid_grant")
		grant(testPassword).expectOAuthError(t, http.StatusBadRequest, "invalid_grant")
		tok := h.login(email, "NewSecret9")
		assert.Equal(t, ua.ID.String(), h.sf(tok, http.MethodGet, "/me", nil).expect(t, http.StatusOK).obj(t)["id"])
	})
}
