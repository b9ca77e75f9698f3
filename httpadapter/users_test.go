package httpadapter_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/b2bkit/customerusers/customeruser"
)

func TestCustomerUserCreateAndGet(t *testing.T) {
	eachStorage(t, func(t *testing.T, h *harness) {
		rep := uuid.New()
		acme, err := h.users.CreateCustomer(h.ctx, h.admin, customeruser.CustomerInput{Name: "ACME", SalesRepIDs: []uuid.UUID{rep}})
		require.NoError(t, err)
		owner := uuid.New()
		r := h.bo(http.MethodPost, "/customer-users", map[string]any{
			"customerId": acme.ID, "email": "Amanda@ACME.example", "namePrefix": "Dr", "firstName": "Amanda",
			"middleName": "J", "lastName": "Cole", "nameSuffix": "PhD", "birthday": "1990-04-01", "phone": "+1 555 0100",
			"roleIds": []uuid.UUID{h.buyerRole.ID}, "ownerId": owner, "websiteId": h.website.ID,
			"preferredLocalizationId": h.website.Localizations[1], "attributes": map[string]any{"vip": true},
			"externalId": "E-1", "password": testPassword, "sendWelcomeEmail": true,
			"addresses": []map[string]any{{"firstName": "Amanda", "lastName": "Cole", "street": "1 Main St", "city": "Springfield",
				"postalCode": "12345", "country": "US", "types": []map[string]any{{"type": "billing", "default": true}}}},
		}).expect(t, http.StatusCreated)
		id := r.id(t)
		assert.Equal(t, boPrefix+"/customer-users/"+id.String(), r.header.Get("Location"))
		assert.Equal(t, `"1"`, r.header.Get("ETag"))
		u := r.obj(t)
		var keys []string
		for k := range u {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		assert.Equal(t, userFields, keys, "exactly the resource's fields")
		assert.NotContains(t, string(r.body), "argon2")
		assert.Equal(t, "1990-04-01", u["birthday"])
		assert.Equal(t, []any{}, u["salesRepresentativeIds"])
		assert.Equal(t, []any{rep.String()}, u["effectiveSalesRepresentativeIds"], "falls back to the customer's")
		assert.Equal(t, "active", u["authStatus"])
		assert.Equal(t, true, u["enabled"])
		assert.Equal(t, map[string]any{"vip": true}, u["attributes"])
		assert.Equal(t, h.website.Localizations[1].String(), u["preferredLocalizationId"])
		assert.Nil(t, u["lastLoginAt"])
		_, sent := h.mail.last(customeruser.TemplateWelcomeByAdmin, "amanda@acme.example")
		assert.True(t, sent)
		stored := h.getUser(id)
		require.Len(t, stored.Addresses, 1)

		g := h.bo(http.MethodGet, "/customer-users/"+id.String(), nil).expect(t, http.StatusOK)
		assert.Equal(t, `"1"`, g.header.Get("ETag"))
		assert.Equal(t, u, g.obj(t))

		// Own sales representatives win over the customer's.
		own := uuid.New()
		p := h.bo(http.MethodPatch, "/customer-users/"+id.String(), map[string]any{"salesRepresentativeIds": []uuid.UUID{own}}).
			expect(t, http.StatusOK).obj(t)
		assert.Equal(t, []any{own.String()}, p["effectiveSalesRepresentativeIds"])

		// Generated password, guest.
		guest := h.bo(http.MethodPost, "/customer-users", map[string]any{"customerId": acme.ID, "email": "guest@acme.example",
			"firstName": "G", "lastName": "Uest", "guest": true}).expect(t, http.StatusCreated).obj(t)
		assert.Equal(t, true, guest["guest"])
		assert.Equal(t, false, guest["enabled"])
		gen := h.bo(http.MethodPost, "/customer-users", map[string]any{"customerId": acme.ID, "email": "gen@acme.example",
			"firstName": "Gen", "lastName": "Erated", "roleIds": []uuid.UUID{h.buyerRole.ID}, "generatePassword": true}).
			expect(t, http.StatusCreated).obj(t)
		assert.Equal(t, true, gen["confirmed"])
	})
}

func TestCustomerUserList(t *testing.T) {
	eachStorage(t, func(t *testing.T, h *harness) {
		parent := h.customer(h.org, "Parent", uuid.Nil)
		child := h.customer(h.org, "Child", parent.ID)
		other := h.customer(h.org, "Other", uuid.Nil)
		a := h.user(parent, "alice@example.com", h.adminRole.ID)
		b := h.user(child, "bob@example.com")
		h.clock.Advance(time.Hour)
		c := h.user(other, "carol@example.com")
		_, err := h.users.DisableUser(h.ctx, h.admin, c.ID, 0)
		require.NoError(t, err)
		_, err = h.users.ForceReset(h.ctx, h.admin, b.ID, 0)
		require.NoError(t, err)
		h.user(h.customer(h.org2, "Elsewhere", uuid.Nil), "dave@example.com")

		emails := func(path string) []string {
			t.Helper()
			var out []string
			for _, it := range h.bo(http.MethodGet, path, nil).expect(t, http.StatusOK).items(t) {
				out = append(out, it["email"].(string))
			}
			return out
		}
		assert.Equal(t, []string{"alice@example.com", "bob@example.com", "carol@example.com"}, emails("/customer-users"))
		assert.Equal(t, []string{"carol@example.com", "bob@example.com", "alice@example.com"}, emails("/customer-users?sort=-createdAt"))
		assert.Equal(t, []string{"alice@example.com"}, emails("/customer-users?customerId="+parent.ID.String()))
		assert.Equal(t, []string{"alice@example.com", "bob@example.com"}, emails("/customer-users?subtreeOf="+parent.ID.String()+"&sort=email"))
		assert.Equal(t, []string{"bob@example.com"}, emails("/customer-users?email=BOB"))
		assert.Equal(t, []string{"alice@example.com", "bob@example.com", "carol@example.com"}, emails("/customer-users?name=test&sort=lastName"))
		assert.Equal(t, []string{"carol@example.com"}, emails("/customer-users?q=carol"))
		assert.Equal(t, []string{"carol@example.com"}, emails("/customer-users?enabled=false"))
		assert.Equal(t, []string{"alice@example.com", "bob@example.com", "carol@example.com"}, emails("/customer-users?confirmed=true&guest=false"))
		assert.Equal(t, []string{"bob@example.com"}, emails("/customer-users?authStatus=reset"))
		assert.Equal(t, []string{"alice@example.com"}, emails("/customer-users?roleId="+h.adminRole.ID.String()))
		assert.Equal(t, []string{"alice@example.com", "bob@example.com", "carol@example.com"}, emails("/customer-users?websiteId="+h.website.ID.String()))
		assert.Equal(t, []string{"carol@example.com"}, emails("/customer-users?createdFrom="+timeParam(h.clock.Now().Add(-time.Minute))))
		assert.Equal(t, []string{"alice@example.com", "bob@example.com"}, emails("/customer-users?createdTo="+timeParam(h.clock.Now().Add(-time.Minute))))
		assert.Equal(t, []string{"alice@example.com", "bob@example.com", "carol@example.com"}, emails("/customer-users?createdFrom=2026-01-15"))

		first := h.bo(http.MethodGet, "/customer-users?limit=2", nil).expect(t, http.StatusOK).obj(t)
		assert.Len(t, first["items"], 2)
		next := first["nextCursor"].(string)
		assert.Equal(t, []string{"carol@example.com"}, emails("/customer-users?limit=2&cursor="+next))
		h.bo(http.MethodGet, "/customer-users?limit=2&sort=email&cursor="+next, nil).expectProblem(t, http.StatusUnprocessableEntity, "invalid")

		for _, bad := range []string{"authStatus=locked", "enabled=1", "createdFrom=yesterday", "roleId=abc", "sort=firstName", "q=a&q=b"} {
			h.bo(http.MethodGet, "/customer-users?"+bad, nil).expectProblem(t, http.StatusBadRequest, "bad_request")
		}
		_ = a
	})
}

func timeParam(t time.Time) string { return strings.ReplaceAll(t.Format(time.RFC3339), "+", "%2B") }

func TestCustomerUserUpdate(t *testing.T) {
	eachStorage(t, func(t *testing.T, h *harness) {
		acme := h.customer(h.org, "ACME", uuid.Nil)
		u, err := h.users.CreateUser(h.ctx, h.admin, customeruser.CreateUserInput{CustomerID: acme.ID, Email: "amanda@acme.example",
			FirstName: "Amanda", LastName: "Cole", Birthday: ptr(time.Date(1990, 4, 1, 0, 0, 0, 0, time.UTC)), Phone: "+1 555 0100",
			RoleIDs: []uuid.UUID{h.buyerRole.ID}, Password: testPassword, WebsiteID: h.website.ID,
			PreferredLocalizationID: h.website.Localizations[1], Attributes: map[string]any{"a": 1.0}})
		require.NoError(t, err)
		path := "/customer-users/" + u.ID.String()

		r := h.bo(http.MethodPatch, path, map[string]any{"firstName": "Mandy", "birthday": nil, "phone": nil, "attributes": nil},
			ifMatch(1)).expect(t, http.StatusOK)
		assert.Equal(t, `"2"`, r.header.Get("ETag"))
		o := r.obj(t)
		assert.Equal(t, "Mandy", o["firstName"])
		assert.Equal(t, "Cole", o["lastName"], "absent fields stay")
		assert.Nil(t, o["birthday"])
		assert.Equal(t, "", o["phone"])
		assert.Equal(t, map[string]any{}, o["attributes"])
		assert.Nil(t, o["notices"])

		// A website change that clears the localization says so.
		o = h.bo(http.MethodPatch, path, map[string]any{"websiteId": h.website2.ID, "version": 2}).expect(t, http.StatusOK).obj(t)
		require.Len(t, o["notices"], 1)
		assert.Nil(t, o["preferredLocalizationId"])

		// A new password works for login; no secret in the answer.
		r = h.bo(http.MethodPatch, path, map[string]any{"password": "NewSecret9"}).expect(t, http.StatusOK)
		assert.NotContains(t, string(r.body), "NewSecret9")
		_, err = h.users.Authenticate(h.ctx, h.org, customeruser.Credentials{Email: "amanda@acme.example", Password: "NewSecret9"})
		assert.NoError(t, err)

		// Bad input: 422, 412, 400; nothing changed.
		before := h.eventCount(h.org)
		version := h.getUser(u.ID).Version
		p := h.bo(http.MethodPatch, path, map[string]any{"email": "not-an-email", "lastName": "", "roleIds": []uuid.UUID{uuid.New()},
			"birthday": "2999-01-01"}).expectProblem(t, http.StatusUnprocessableEntity, "invalid")
		violation(t, p, "email", "format")
		violation(t, p, "lastName", "required")
		violation(t, p, "roleIds[0]", "not_found")
		violation(t, p, "birthday", "future")
		p = h.bo(http.MethodPatch, path, map[string]any{"salesRepresentativeIds": []uuid.UUID{uuid.Nil}}).
			expectProblem(t, http.StatusUnprocessableEntity, "invalid")
		violation(t, p, "salesRepresentativeIds[0]", "required")
		p = h.bo(http.MethodPatch, path, map[string]any{"password": "short"}).expectProblem(t, http.StatusUnprocessableEntity, "invalid")
		violation(t, p, "password", "min_length")
		h.bo(http.MethodPatch, path, map[string]any{"firstName": "X"}, ifMatch(1)).expectProblem(t, http.StatusPreconditionFailed, "stale")
		h.bo(http.MethodPatch, path, map[string]any{"firstName": "X", "version": 1}).expectProblem(t, http.StatusPreconditionFailed, "stale")
		p = h.bo(http.MethodPatch, path, map[string]any{"version": 0}).expectProblem(t, http.StatusUnprocessableEntity, "invalid")
		violation(t, p, "version", "min")
		p = h.bo(http.MethodPatch, path, map[string]any{"enabled": nil}).expectProblem(t, http.StatusBadRequest, "bad_request")
		violation(t, p, "enabled", "not_null")
		h.bo(http.MethodPatch, path, map[string]any{"password": nil}).expectProblem(t, http.StatusBadRequest, "bad_request")
		h.bo(http.MethodPatch, path, map[string]any{"birthday": "01/04/1990"}).expectProblem(t, http.StatusBadRequest, "bad_request")
		h.bo(http.MethodPatch, path, map[string]any{"customerId": "nope"}).expectProblem(t, http.StatusBadRequest, "bad_request")
		h.bo(http.MethodPatch, path, map[string]any{"passwordHash": "x"}).expectProblem(t, http.StatusBadRequest, "bad_request")
		h.bo(http.MethodPatch, path, `{"firstName": "X"}garbage`).expectProblem(t, http.StatusBadRequest, "bad_request")
		p = h.bo(http.MethodPatch, path, `{"roleIds": "x"}`).expectProblem(t, http.StatusBadRequest, "bad_request")
		violation(t, p, "roleIds", "type")
		big := `{"firstName": "` + strings.Repeat("x", 1<<20) + `"}`
		h.bo(http.MethodPatch, path, big).expectProblem(t, http.StatusRequestEntityTooLarge, "payload_too_large")
		assert.Equal(t, before, h.eventCount(h.org), "nothing changed")
		assert.Equal(t, version, h.getUser(u.ID).Version)
		assert.Equal(t, "Mandy", h.getUser(u.ID).FirstName)
	})
}

func TestCustomerUserCreateInvalid(t *testing.T) {
	eachStorage(t, func(t *testing.T, h *harness) {
		acme := h.customer(h.org, "ACME", uuid.Nil)
		h.user(acme, "taken@acme.example")
		before := h.eventCount(h.org)
		p := h.bo(http.MethodPost, "/customer-users", map[string]any{
			"customerId": acme.ID, "email": "TAKEN@acme.example", "firstName": "", "lastName": "X", "password": "weak",
			"salesRepresentativeIds": []uuid.UUID{uuid.Nil},
			"addresses":              []map[string]any{{"street": "1 Main", "city": "X", "postalCode": "1", "country": "XX", "firstName": "A", "lastName": "B"}},
		}).expectProblem(t, http.StatusUnprocessableEntity, "invalid")
		violation(t, p, "email", "unique")
		violation(t, p, "firstName", "required")
		violation(t, p, "password", "min_length")
		violation(t, p, "roleIds", "required_when_enabled")
		violation(t, p, "salesRepresentativeIds[0]", "required")
		violation(t, p, "addresses[0].country", "country")
		p = h.bo(http.MethodPost, "/customer-users", map[string]any{"customerId": acme.ID, "email": "x@acme.example",
			"addresses": []map[string]any{{"street": "1", "bogus": 1}}}).expectProblem(t, http.StatusBadRequest, "bad_request")
		violation(t, p, "bogus", "unknown_field")
		p = h.bo(http.MethodPost, "/customer-users", map[string]any{"customerId": acme.ID, "email": "x@acme.example",
			"addresses": []map[string]any{{"types": []map[string]any{{"type": "billing", "extra": true}}}}}).
			expectProblem(t, http.StatusBadRequest, "bad_request")
		violation(t, p, "extra", "unknown_field")
		assert.Equal(t, before, h.eventCount(h.org))
	})
}

func TestCustomerUserActions(t *testing.T) {
	eachStorage(t, func(t *testing.T, h *harness) {
		acme := h.customer(h.org, "ACME", uuid.Nil)
		u := h.user(acme, "amanda@acme.example")
		path := "/customer-users/" + u.ID.String()

		r := h.bo(http.MethodPost, path+"/disable", nil, ifMatch(1)).expect(t, http.StatusOK)
		assert.Equal(t, false, r.obj(t)["enabled"])
		assert.Equal(t, `"2"`, r.header.Get("ETag"))
		h.bo(http.MethodPost, path+"/enable", nil, ifMatch(1)).expectProblem(t, http.StatusPreconditionFailed, "stale")
		assert.Equal(t, true, h.bo(http.MethodPost, path+"/enable", nil).expect(t, http.StatusOK).obj(t)["enabled"])

		r = h.bo(http.MethodPost, path+"/reset-password", nil).expect(t, http.StatusOK)
		assert.Equal(t, "reset", r.obj(t)["authStatus"])
		_, ok := h.mail.last(customeruser.TemplateForcedReset, u.Email)
		assert.True(t, ok)
		// The actions honour If-Match: a stale version changes nothing.
		version := h.getUser(u.ID).Version
		before := h.eventCount(h.org)
		h.bo(http.MethodPost, path+"/reset-password", nil, ifMatch(1)).expectProblem(t, http.StatusPreconditionFailed, "stale")
		assert.Equal(t, before, h.eventCount(h.org))
		r = h.bo(http.MethodPost, path+"/reset-password", nil, ifMatch(version)).expect(t, http.StatusOK)
		assert.Equal(t, `"`+jsonInt(version+1)+`"`, r.header.Get("ETag"))

		// Confirm and resend-confirmation need an unconfirmed user.
		h.bo(http.MethodPost, path+"/confirm", nil).expectProblem(t, http.StatusConflict, "conflict")
		h.bo(http.MethodPost, path+"/resend-confirmation", nil).expectProblem(t, http.StatusConflict, "conflict")
		unconfirmed, err := h.users.CreateUser(h.ctx, h.admin, customeruser.CreateUserInput{CustomerID: acme.ID, Email: "new@acme.example",
			FirstName: "New", LastName: "User", RoleIDs: []uuid.UUID{h.buyerRole.ID}, Password: testPassword, Confirmed: ptr(false)})
		require.NoError(t, err)
		up := "/customer-users/" + unconfirmed.ID.String()
		before = h.eventCount(h.org)
		h.bo(http.MethodPost, up+"/resend-confirmation", nil, ifMatch(unconfirmed.Version+1)).expectProblem(t, http.StatusPreconditionFailed, "stale")
		h.bo(http.MethodPost, up+"/confirm", nil, ifMatch(unconfirmed.Version+1)).expectProblem(t, http.StatusPreconditionFailed, "stale")
		assert.Equal(t, before, h.eventCount(h.org))
		h.bo(http.MethodPost, up+"/resend-confirmation", nil, ifMatch(unconfirmed.Version)).expect(t, http.StatusNoContent)
		_, ok = h.mail.last(customeruser.TemplateConfirmation, "new@acme.example")
		assert.True(t, ok)
		assert.Equal(t, true, h.bo(http.MethodPost, up+"/confirm", nil, ifMatch(unconfirmed.Version)).expect(t, http.StatusOK).obj(t)["confirmed"])

		// Enable needs a role.
		_, err = h.users.UpdateUser(h.ctx, h.admin, u.ID, customeruser.UserPatch{Enabled: ptr(false), RoleIDs: &[]uuid.UUID{}}, 0)
		require.NoError(t, err)
		before = h.eventCount(h.org)
		p := h.bo(http.MethodPost, path+"/enable", nil).expectProblem(t, http.StatusUnprocessableEntity, "invalid")
		violation(t, p, "roleIds", "required_when_enabled")
		assert.Equal(t, before, h.eventCount(h.org))

		// Delete.
		h.bo(http.MethodDelete, path, nil, ifMatch(1)).expectProblem(t, http.StatusPreconditionFailed, "stale")
		h.bo(http.MethodDelete, path, nil).expect(t, http.StatusNoContent)
		h.bo(http.MethodGet, path, nil).expectProblem(t, http.StatusNotFound, "not_found")
	})
}

// relatedOrders is a RelatedRecords provider of the tests.
type relatedOrders struct{}

func (relatedOrders) Kind() string { return "order" }
func (relatedOrders) List(_ context.Context, _, userID uuid.UUID) ([]customeruser.RelatedRecord, error) {
	return []customeruser.RelatedRecord{{ID: "SO-1", Label: "Order SO-1 of " + userID.String()[:8], Link: "/orders/SO-1",
		At: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}}, nil
}
func (relatedOrders) Reassign(context.Context, uuid.UUID, uuid.UUID, uuid.UUID, uuid.UUID) error {
	return nil
}

func TestCustomerUserViews(t *testing.T) {
	eachStorage(t, func(t *testing.T, h *harness) {
		acme := h.customer(h.org, "ACME", uuid.Nil)
		u := h.user(acme, "amanda@acme.example")
		path := "/customer-users/" + u.ID.String()
		h.bo(http.MethodPatch, path, map[string]any{"firstName": "Mandy"}).expect(t, http.StatusOK)

		hist := h.bo(http.MethodGet, path+"/history", nil).expect(t, http.StatusOK).items(t)
		require.Len(t, hist, 2)
		assert.Equal(t, customeruser.EventUserCreated, hist[0]["type"])
		assert.Equal(t, customeruser.EventUserUpdated, hist[1]["type"])
		assert.Equal(t, "back_office", hist[1]["actor"].(map[string]any)["kind"])
		assert.Equal(t, []any{map[string]any{"field": "firstName", "before": "Test", "after": "Mandy"}}, hist[1]["payload"])
		assert.NotContains(t, string(h.bo(http.MethodGet, path+"/history", nil).body), "argon2")
		page := h.bo(http.MethodGet, path+"/history?limit=1", nil).expect(t, http.StatusOK).obj(t)
		assert.Len(t, page["items"], 1)
		assert.NotNil(t, page["nextCursor"])

		// Without providers the related list is empty.
		rel := h.bo(http.MethodGet, path+"/related", nil).expect(t, http.StatusOK).obj(t)
		assert.Equal(t, []any{}, rel["items"])

		perm := h.bo(http.MethodGet, path+"/permissions", nil).expect(t, http.StatusOK).obj(t)
		assert.Equal(t, false, perm["trusted"])
		roles := perm["roles"].([]any)
		require.Len(t, roles, 1)
		assert.Equal(t, h.buyerRole.ID.String(), roles[0].(map[string]any)["id"])
		found := false
		for _, p := range perm["permissions"].([]any) {
			p := p.(map[string]any)
			if p["resource"] == "customer_user" && p["permission"] == "view" {
				found = true
				assert.Equal(t, "department", p["level"])
			}
		}
		assert.True(t, found)

		h.bo(http.MethodGet, "/customer-users/"+uuid.NewString()+"/history", nil).expectProblem(t, http.StatusNotFound, "not_found")
	})
}

func TestCustomerUserRelatedRecords(t *testing.T) {
	eachStorage(t, func(t *testing.T, h *harness) {
		// A service with a provider, behind a back office of its own.
		svc := customeruser.NewService(customeruser.Deps{Tx: h.st.Tx, Customers: h.st.Customers, Users: h.st.Users,
			Tokens: h.st.Tokens, Attempts: h.st.Attempts, Events: h.st.Events, Roles: h.st.Roles,
			Authorizer: h.roles.Authorizer(), Sites: h.sites}, customeruser.WithRelatedRecords(relatedOrders{}))
		cfg := h.cfg
		cfg.Users = svc
		h.handler = http.StripPrefix(boPrefix, backOffice(cfg))
		u := h.user(h.customer(h.org, "ACME", uuid.Nil), "amanda@acme.example")
		items := h.bo(http.MethodGet, "/customer-users/"+u.ID.String()+"/related", nil).expect(t, http.StatusOK).items(t)
		require.Len(t, items, 1)
		assert.Equal(t, map[string]any{"kind": "order", "id": "SO-1", "label": "Order SO-1 of " + u.ID.String()[:8],
			"link": "/orders/SO-1", "at": "2026-01-02T03:04:05Z"}, items[0])
	})
}

func ptr[T any](v T) *T { return &v }

// countingCustomers counts the customer reads of a service.
type countingCustomers struct {
	customeruser.CustomerRepository
	gets, getManys int
}

func (c *countingCustomers) Get(ctx context.Context, org, id uuid.UUID) (customeruser.Customer, error) {
	c.gets++
	return c.CustomerRepository.Get(ctx, org, id)
}

func (c *countingCustomers) GetMany(ctx context.Context, org uuid.UUID, ids []uuid.UUID) ([]customeruser.Customer, error) {
	c.getManys++
	return c.CustomerRepository.GetMany(ctx, org, ids)
}

// A list page reads the customers of its users' effective sales
// representatives once, however many users it holds (no N+1).
func TestCustomerUserListReadsCustomersOnce(t *testing.T) {
	eachStorage(t, func(t *testing.T, h *harness) {
		reps := []uuid.UUID{uuid.New(), uuid.New()}
		var customers []customeruser.Customer
		for i, rep := range reps {
			c, err := h.users.CreateCustomer(h.ctx, h.admin, customeruser.CustomerInput{Name: "C" + string(rune('A'+i)), SalesRepIDs: []uuid.UUID{rep}})
			require.NoError(t, err)
			customers = append(customers, c)
		}
		for i := range 6 {
			h.user(customers[i%2], "u"+string(rune('a'+i))+"@acme.example")
		}
		counting := &countingCustomers{CustomerRepository: h.st.Customers}
		svc := customeruser.NewService(customeruser.Deps{Tx: h.st.Tx, Customers: counting, Users: h.st.Users,
			Tokens: h.st.Tokens, Attempts: h.st.Attempts, Events: h.st.Events, Roles: h.st.Roles,
			Authorizer: h.roles.Authorizer(), Sites: h.sites})
		cfg := h.cfg
		cfg.Users = svc
		h.handler = http.StripPrefix(boPrefix, backOffice(cfg))

		items := h.bo(http.MethodGet, "/customer-users?sort=email", nil).expect(t, http.StatusOK).items(t)
		require.Len(t, items, 6)
		for i, it := range items {
			assert.Equal(t, []any{reps[i%2].String()}, it["effectiveSalesRepresentativeIds"])
		}
		assert.Equal(t, 1, counting.getManys, "one read for the page")
		assert.Equal(t, 0, counting.gets)
	})
}
