package httpadapter_test

import (
	"net/http"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	cu "github.com/b2bkit/customerusers"
	"github.com/b2bkit/customerusers/customeruser"
	"github.com/b2bkit/customerusers/role"
)

// company is a customer hierarchy of the storefront tests: a parent with
// two subsidiaries, a customer administrator and a buyer in East, a buyer
// in West.
type company struct {
	parent, east, west  customeruser.Customer
	admin, buyer, west1 customeruser.User
	adminTok, buyerTok  string
}

func newCompany(h *harness) company {
	var c company
	c.parent = h.customer(h.org, "ACME", uuid.Nil)
	c.east = h.customer(h.org, "ACME East", c.parent.ID)
	c.west = h.customer(h.org, "ACME West", c.parent.ID)
	c.admin = h.user(c.east, "admin@east.example", h.adminRole.ID)
	c.buyer = h.user(c.east, "buyer@east.example")
	c.west1 = h.user(c.west, "buyer@west.example")
	c.adminTok = h.userToken(c.admin)
	c.buyerTok = h.userToken(c.buyer)
	return c
}

func TestStorefrontMe(t *testing.T) {
	eachStorage(t, func(t *testing.T, h *harness) {
		c := newCompany(h)
		r := h.sf(c.buyerTok, http.MethodGet, "/me", nil).expect(t, http.StatusOK)
		assert.Equal(t, c.buyer.ID, r.id(t))
		assert.Equal(t, `"1"`, r.header.Get("ETag"))
		assert.Equal(t, []any{}, r.obj(t)["effectiveSalesRepresentativeIds"])

		p := h.sf(c.buyerTok, http.MethodPatch, "/me", map[string]any{"firstName": "Bea", "birthday": "1985-12-31"}, ifMatch(1)).
			expect(t, http.StatusOK).obj(t)
		assert.Equal(t, "Bea", p["firstName"])
		assert.Equal(t, "1985-12-31", p["birthday"])

		// update_own_profile covers profile fields only.
		before := h.eventCount(h.org)
		pr := h.sf(c.buyerTok, http.MethodPatch, "/me", map[string]any{"roleIds": []uuid.UUID{h.adminRole.ID}}).
			expectProblem(t, http.StatusUnprocessableEntity, "invalid")
		violation(t, pr, "roleIds", "forbidden_field")
		pr = h.sf(c.buyerTok, http.MethodPatch, "/me", map[string]any{"password": "NewSecret9"}).expectProblem(t, http.StatusBadRequest, "bad_request")
		violation(t, pr, "password", "unknown_field")
		h.sf(c.buyerTok, http.MethodPatch, "/me", map[string]any{"firstName": "X"}, ifMatch(1)).expectProblem(t, http.StatusPreconditionFailed, "stale")
		h.sf(c.buyerTok, http.MethodPatch, "/me", map[string]any{"firstName": "X", "version": 1}).expectProblem(t, http.StatusPreconditionFailed, "stale")

		// Password change asks for the current password.
		pr = h.sf(c.buyerTok, http.MethodPost, "/me/password", map[string]any{"currentPassword": "wrong", "password": "NewSecret9"}).
			expectProblem(t, http.StatusUnprocessableEntity, "invalid")
		violation(t, pr, "currentPassword", "invalid")
		pr = h.sf(c.buyerTok, http.MethodPost, "/me/password", map[string]any{"currentPassword": testPassword, "password": "weak"}).
			expectProblem(t, http.StatusUnprocessableEntity, "invalid")
		violation(t, pr, "password", "min_length")
		assert.Equal(t, before, h.eventCount(h.org))
		h.sf(c.buyerTok, http.MethodPost, "/me/password", map[string]any{"currentPassword": testPassword, "password": "NewSecret9"}).
			expect(t, http.StatusNoContent)
		_, err := h.users.Authenticate(h.ctx, h.org, customeruser.Credentials{Email: c.buyer.Email, Password: "NewSecret9"})
		assert.NoError(t, err)

		// A user whose roles do not let it view customer users still sees
		// itself, without the sales representatives it may not read.
		selfOnly, err := h.roles.Create(h.ctx, h.admin, role.Input{Label: "Self Service", SelfManaged: true, Public: true,
			Capabilities: []string{role.CapUpdateOwnProfile}})
		require.NoError(t, err)
		loner := h.user(c.east, "loner@east.example", selfOnly.ID)
		me := h.sf(h.userToken(loner), http.MethodGet, "/me", nil).expect(t, http.StatusOK).obj(t)
		assert.Equal(t, loner.ID.String(), me["id"])
		assert.Nil(t, me["effectiveSalesRepresentativeIds"])
	})
}

func TestStorefrontMyAddresses(t *testing.T) {
	eachStorage(t, func(t *testing.T, h *harness) {
		c := newCompany(h)
		assert.Empty(t, h.sf(c.buyerTok, http.MethodGet, "/me/addresses", nil).expect(t, http.StatusOK).items(t))
		r := h.sf(c.buyerTok, http.MethodPost, "/me/addresses", newAddress("1 Main St")).expect(t, http.StatusCreated)
		aid := r.id(t)
		assert.Equal(t, sfPrefix+"/me/addresses/"+aid.String(), r.header.Get("Location"))
		assert.Equal(t, `"2"`, r.header.Get("ETag"))
		p := h.sf(c.buyerTok, http.MethodPatch, "/me/addresses/"+aid.String(), map[string]any{"city": "Shelbyville"}, ifMatch(2)).
			expect(t, http.StatusOK).obj(t)
		assert.Equal(t, "Shelbyville", p["city"])
		assert.Equal(t, "1 Main St", p["street"])
		items := h.sf(c.buyerTok, http.MethodGet, "/me/addresses", nil).expect(t, http.StatusOK).items(t)
		require.Len(t, items, 1)
		h.sf(c.buyerTok, http.MethodDelete, "/me/addresses/"+aid.String(), nil, ifMatch(2)).expectProblem(t, http.StatusPreconditionFailed, "stale")
		h.sf(c.buyerTok, http.MethodDelete, "/me/addresses/"+aid.String(), nil).expect(t, http.StatusNoContent)

		// Someone else's address id is not found among mine.
		other := h.addAddress(c.west1, "9 West St")
		h.sf(c.buyerTok, http.MethodPatch, "/me/addresses/"+other.Addresses[0].ID.String(), map[string]any{"city": "X"}).
			expectProblem(t, http.StatusNotFound, "not_found")
		h.sf(c.buyerTok, http.MethodDelete, "/me/addresses/"+other.Addresses[0].ID.String(), nil).expectProblem(t, http.StatusNotFound, "not_found")
	})
}

func TestStorefrontDelegatedUsers(t *testing.T) {
	eachStorage(t, func(t *testing.T, h *harness) {
		c := newCompany(h)

		// Reach: East's admin sees East (and its descendants), never West.
		var emails []string
		for _, it := range h.sf(c.adminTok, http.MethodGet, "/users?sort=email", nil).expect(t, http.StatusOK).items(t) {
			emails = append(emails, it["email"].(string))
		}
		assert.Equal(t, []string{"admin@east.example", "buyer@east.example"}, emails)
		assert.Empty(t, h.sf(c.adminTok, http.MethodGet, "/users?customerId="+c.west.ID.String(), nil).expect(t, http.StatusOK).items(t))
		west := "/users/" + c.west1.ID.String()
		h.sf(c.adminTok, http.MethodGet, west, nil).expectProblem(t, http.StatusNotFound, "not_found")
		h.sf(c.adminTok, http.MethodPatch, west, map[string]any{"firstName": "X"}).expectProblem(t, http.StatusNotFound, "not_found")
		for _, a := range []string{"enable", "disable", "confirm", "resend-confirmation", "reset-password"} {
			h.sf(c.adminTok, http.MethodPost, west+"/"+a, nil).expectProblem(t, http.StatusNotFound, "not_found")
		}
		h.sf(c.adminTok, http.MethodDelete, west, nil).expectProblem(t, http.StatusNotFound, "not_found")

		// Creating within reach; not outside it.
		r := h.sf(c.adminTok, http.MethodPost, "/users", map[string]any{"customerId": c.east.ID, "email": "new@east.example",
			"firstName": "New", "lastName": "Buyer", "roleIds": []uuid.UUID{h.buyerRole.ID}, "password": testPassword}).
			expect(t, http.StatusCreated)
		newID := r.id(t)
		assert.Equal(t, sfPrefix+"/users/"+newID.String(), r.header.Get("Location"))
		before := h.eventCount(h.org)
		pr := h.sf(c.adminTok, http.MethodPost, "/users", map[string]any{"customerId": c.west.ID, "email": "x@west.example",
			"firstName": "X", "lastName": "Y", "roleIds": []uuid.UUID{h.buyerRole.ID}, "password": testPassword,
			"salesRepresentativeIds": []uuid.UUID{uuid.New()}}).expectProblem(t, http.StatusUnprocessableEntity, "invalid")
		violation(t, pr, "customerId", "out_of_reach")
		violation(t, pr, "salesRepresentativeIds", "forbidden_field")

		// Never itself.
		me := "/users/" + c.admin.ID.String()
		h.sf(c.adminTok, http.MethodPost, me+"/disable", nil).expectProblem(t, http.StatusForbidden, "forbidden")
		h.sf(c.adminTok, http.MethodDelete, me, nil).expectProblem(t, http.StatusForbidden, "forbidden")
		h.sf(c.adminTok, http.MethodPost, me+"/reset-password", nil).expectProblem(t, http.StatusForbidden, "forbidden")
		h.sf(c.adminTok, http.MethodPatch, me, map[string]any{"enabled": false}).expectProblem(t, http.StatusForbidden, "forbidden")
		h.sf(c.adminTok, http.MethodPatch, me, map[string]any{"roleIds": []uuid.UUID{h.buyerRole.ID}}).expectProblem(t, http.StatusForbidden, "forbidden")
		assert.Equal(t, before, h.eventCount(h.org), "nothing changed")

		// Within reach, the actions work.
		buyer := "/users/" + c.buyer.ID.String()
		assert.Equal(t, c.buyer.Email, h.sf(c.adminTok, http.MethodGet, buyer, nil).expect(t, http.StatusOK).obj(t)["email"])
		assert.Equal(t, false, h.sf(c.adminTok, http.MethodPost, buyer+"/disable", nil, ifMatch(1)).expect(t, http.StatusOK).obj(t)["enabled"])
		assert.Equal(t, true, h.sf(c.adminTok, http.MethodPost, buyer+"/enable", nil).expect(t, http.StatusOK).obj(t)["enabled"])
		assert.Equal(t, "reset", h.sf(c.adminTok, http.MethodPost, buyer+"/reset-password", nil).expect(t, http.StatusOK).obj(t)["authStatus"])
		h.sf(c.adminTok, http.MethodPost, buyer+"/confirm", nil).expectProblem(t, http.StatusConflict, "conflict")
		h.sf(c.adminTok, http.MethodPost, buyer+"/resend-confirmation", nil).expectProblem(t, http.StatusConflict, "conflict")
		p := h.sf(c.adminTok, http.MethodPatch, buyer, map[string]any{"lastName": "Renamed"}).expect(t, http.StatusOK).obj(t)
		assert.Equal(t, "Renamed", p["lastName"])
		pr = h.sf(c.adminTok, http.MethodPatch, buyer, map[string]any{"ownerId": uuid.New()}).expectProblem(t, http.StatusUnprocessableEntity, "invalid")
		violation(t, pr, "ownerId", "forbidden_field")
		h.sf(c.adminTok, http.MethodPatch, buyer, map[string]any{"password": "NewSecret9"}).expectProblem(t, http.StatusBadRequest, "bad_request")
		h.sf(c.adminTok, http.MethodDelete, "/users/"+newID.String(), nil).expect(t, http.StatusNoContent)

		// 403 versus 404: a buyer sees its colleagues but may not change them,
		// and does not see other customers' users at all.
		admin := "/users/" + c.admin.ID.String()
		h.sf(c.buyerTok, http.MethodGet, admin, nil).expect(t, http.StatusOK)
		h.sf(c.buyerTok, http.MethodPatch, admin, map[string]any{"firstName": "X"}).expectProblem(t, http.StatusForbidden, "forbidden")
		h.sf(c.buyerTok, http.MethodPost, admin+"/disable", nil).expectProblem(t, http.StatusForbidden, "forbidden")
		h.sf(c.buyerTok, http.MethodDelete, admin, nil).expectProblem(t, http.StatusForbidden, "forbidden")
		h.sf(c.buyerTok, http.MethodGet, west, nil).expectProblem(t, http.StatusNotFound, "not_found")
		h.sf(c.buyerTok, http.MethodPost, "/users", map[string]any{"customerId": c.east.ID, "email": "y@east.example",
			"firstName": "Y", "lastName": "Z", "roleIds": []uuid.UUID{h.buyerRole.ID}, "password": testPassword}).
			expectProblem(t, http.StatusForbidden, "forbidden")
	})
}

func TestStorefrontNoEscalation(t *testing.T) {
	eachStorage(t, func(t *testing.T, h *harness) {
		c := newCompany(h)
		// A manager of East: manages users and roles at department level,
		// without manage_passwords.
		manager, err := h.roles.Create(h.ctx, h.admin, role.Input{Label: "Manager", CustomerID: c.east.ID, SelfManaged: true, Public: true,
			Grants: []role.Grant{
				{Resource: role.ResourceCustomerUser, Permission: role.View, Level: role.LevelDepartment},
				{Resource: role.ResourceCustomerUser, Permission: role.Create, Level: role.LevelDepartment},
				{Resource: role.ResourceCustomerUser, Permission: role.Edit, Level: role.LevelDepartment},
				{Resource: role.ResourceCustomerUserRole, Permission: role.View, Level: role.LevelDepartment},
				{Resource: role.ResourceCustomerUserRole, Permission: role.Create, Level: role.LevelDepartment},
				{Resource: role.ResourceCustomerUserRole, Permission: role.Edit, Level: role.LevelDepartment},
			},
			Capabilities: []string{role.CapManageUsers, role.CapManageRoles}})
		require.NoError(t, err)
		m := h.user(c.east, "manager@east.example", manager.ID)
		tok := h.userToken(m)
		before := h.eventCount(h.org)

		pr := h.sf(tok, http.MethodPost, "/roles", map[string]any{"label": "Super",
			"grants":       []map[string]any{{"resource": "customer_user", "permission": "view", "level": "corporate"}},
			"capabilities": []string{role.CapManagePasswords}}).expectProblem(t, http.StatusUnprocessableEntity, "invalid")
		violation(t, pr, "grants[0]", "escalation")
		violation(t, pr, "capabilities[0]", "escalation")
		pr = h.sf(tok, http.MethodPost, "/users", map[string]any{"customerId": c.east.ID, "email": "z@east.example",
			"firstName": "Z", "lastName": "Z", "roleIds": []uuid.UUID{h.adminRole.ID}, "password": testPassword}).
			expectProblem(t, http.StatusUnprocessableEntity, "invalid")
		violation(t, pr, "roleIds[0]", "not_assignable")
		pr = h.sf(tok, http.MethodPatch, "/users/"+c.buyer.ID.String(), map[string]any{"roleIds": []uuid.UUID{h.adminRole.ID}}).
			expectProblem(t, http.StatusUnprocessableEntity, "invalid")
		violation(t, pr, "roleIds[0]", "not_assignable")
		h.sf(tok, http.MethodPost, "/users/"+c.buyer.ID.String()+"/reset-password", nil).expectProblem(t, http.StatusForbidden, "forbidden")
		assert.Equal(t, before, h.eventCount(h.org), "nothing changed")

		// Within its own rights it may create roles: always of its customer,
		// self-managed and public.
		r := h.sf(tok, http.MethodPost, "/roles", map[string]any{"label": "Viewer",
			"grants": []map[string]any{{"resource": "customer_user", "permission": "view", "level": "department"}}}).
			expect(t, http.StatusCreated)
		assert.Equal(t, sfPrefix+"/roles/"+r.id(t).String(), r.header.Get("Location"))
		o := r.obj(t)
		assert.Equal(t, c.east.ID.String(), o["customerId"])
		assert.Equal(t, true, o["selfManaged"])
		assert.Equal(t, true, o["public"])

		// Roles it sees: predefined public ones and East's, not the
		// non-public Anonymous role nor another customer's.
		westRole, err := h.roles.Create(h.ctx, h.admin, role.Input{Label: "West Only", CustomerID: c.west.ID, SelfManaged: true, Public: true})
		require.NoError(t, err)
		var labels []string
		for _, it := range h.sf(tok, http.MethodGet, "/roles", nil).expect(t, http.StatusOK).items(t) {
			labels = append(labels, it["label"].(string))
		}
		assert.ElementsMatch(t, []string{"Administrator", "Buyer", "Manager", "Viewer"}, labels)
		h.sf(tok, http.MethodGet, "/roles/"+westRole.ID.String(), nil).expectProblem(t, http.StatusNotFound, "not_found")
		h.sf(tok, http.MethodGet, "/roles/"+manager.ID.String(), nil).expect(t, http.StatusOK)

		// Editing a predefined role makes a copy bound to the editor's
		// customer (the manager could not: Buyer grants more than it holds).
		h.sf(tok, http.MethodPatch, "/roles/"+h.buyerRole.ID.String(), map[string]any{"label": "East Buyer"}).
			expectProblem(t, http.StatusUnprocessableEntity, "invalid")
		cp := h.sf(c.adminTok, http.MethodPatch, "/roles/"+h.buyerRole.ID.String(), map[string]any{"label": "East Buyer"}, ifMatch(h.buyerRole.Version)).
			expect(t, http.StatusOK).obj(t)
		assert.NotEqual(t, h.buyerRole.ID.String(), cp["id"])
		assert.Equal(t, c.east.ID.String(), cp["customerId"])
		h.sf(tok, http.MethodDelete, "/roles/"+h.adminRole.ID.String(), nil).expectProblem(t, http.StatusForbidden, "forbidden")

		// A buyer has no role management at all.
		h.sf(c.buyerTok, http.MethodGet, "/roles", nil).expectProblem(t, http.StatusForbidden, "forbidden")
	})
}

// TestStorefrontDelegatedConfirmation confirms, and resends the
// confirmation of, an unconfirmed user within the administrator's reach.
func TestStorefrontDelegatedConfirmation(t *testing.T) {
	eachStorage(t, func(t *testing.T, h *harness) {
		c := newCompany(h)
		const email = "pending@east.example"
		u, err := h.users.CreateUser(h.ctx, h.admin, customeruser.CreateUserInput{CustomerID: c.east.ID, Email: email,
			FirstName: "Pending", LastName: "User", RoleIDs: []uuid.UUID{h.buyerRole.ID}, Password: testPassword, Confirmed: ptr(false)})
		require.NoError(t, err)
		path := "/users/" + u.ID.String()
		before, sent := h.eventCount(h.org), h.mail.count()

		// A buyer sees the user but may not act on it; a stale version is
		// refused.
		h.sf(c.buyerTok, http.MethodPost, path+"/resend-confirmation", nil).expectProblem(t, http.StatusForbidden, "forbidden")
		h.sf(c.buyerTok, http.MethodPost, path+"/confirm", nil).expectProblem(t, http.StatusForbidden, "forbidden")
		h.sf(c.adminTok, http.MethodPost, path+"/resend-confirmation", nil, ifMatch(u.Version+1)).
			expectProblem(t, http.StatusPreconditionFailed, "stale")
		h.sf(c.adminTok, http.MethodPost, path+"/confirm", nil, ifMatch(u.Version+1)).expectProblem(t, http.StatusPreconditionFailed, "stale")
		assert.Equal(t, before, h.eventCount(h.org), "nothing changed")
		assert.Equal(t, sent, h.mail.count(), "nothing sent")

		// Resend: a new confirmation link, the user unchanged otherwise.
		h.sf(c.adminTok, http.MethodPost, path+"/resend-confirmation", nil, ifMatch(u.Version)).expect(t, http.StatusNoContent)
		first, ok := h.mail.last(customeruser.TemplateConfirmation, email)
		require.True(t, ok)
		assert.NotEmpty(t, first.Token)
		h.sf(c.adminTok, http.MethodPost, path+"/resend-confirmation", nil).expect(t, http.StatusNoContent)
		second, ok := h.mail.last(customeruser.TemplateConfirmation, email)
		require.True(t, ok)
		assert.NotEqual(t, first.Token, second.Token)
		assert.False(t, h.getUser(u.ID).Confirmed)
		assert.Equal(t, u.Version, h.getUser(u.ID).Version)

		// Confirm: the user is confirmed and welcomed with a set-password link.
		r := h.sf(c.adminTok, http.MethodPost, path+"/confirm", nil, ifMatch(u.Version)).expect(t, http.StatusOK)
		assert.Equal(t, `"`+jsonInt(u.Version+1)+`"`, r.header.Get("ETag"))
		o := r.obj(t)
		assert.Equal(t, u.ID.String(), o["id"])
		assert.Equal(t, true, o["confirmed"])
		welcome, ok := h.mail.last(customeruser.TemplateWelcomeByAdmin, email)
		require.True(t, ok)
		assert.NotEmpty(t, welcome.Token)
		assert.True(t, h.getUser(u.ID).Confirmed)
		// The pending confirmation link died with it; both actions are now
		// conflicts.
		h.pub(http.MethodPost, "/confirm-email", map[string]any{"token": second.Token}).expectProblem(t, http.StatusUnprocessableEntity, "invalid")
		h.sf(c.adminTok, http.MethodPost, path+"/confirm", nil).expectProblem(t, http.StatusConflict, "conflict")
		h.sf(c.adminTok, http.MethodPost, path+"/resend-confirmation", nil).expectProblem(t, http.StatusConflict, "conflict")
		_, err = h.users.Authenticate(h.ctx, h.org, customeruser.Credentials{Email: email, Password: testPassword})
		assert.NoError(t, err, "a confirmed user logs in")
	})
}

// TestStorefrontDeleteRole deletes a role of the administrator's customer
// that nobody holds; a held one is a conflict.
func TestStorefrontDeleteRole(t *testing.T) {
	eachStorage(t, func(t *testing.T, h *harness) {
		c := newCompany(h)
		free, err := h.roles.Create(h.ctx, h.admin, role.Input{Label: "East Temp", CustomerID: c.east.ID, SelfManaged: true, Public: true})
		require.NoError(t, err)
		held, err := h.roles.Create(h.ctx, h.admin, role.Input{Label: "East Held", CustomerID: c.east.ID, SelfManaged: true, Public: true})
		require.NoError(t, err)
		h.user(c.east, "holder@east.example", held.ID)
		before := h.eventCount(h.org)

		h.sf(c.adminTok, http.MethodDelete, "/roles/"+held.ID.String(), nil).expectProblem(t, http.StatusConflict, "conflict")
		h.sf(c.buyerTok, http.MethodDelete, "/roles/"+free.ID.String(), nil).expectProblem(t, http.StatusForbidden, "forbidden")
		h.sf(c.adminTok, http.MethodDelete, "/roles/"+free.ID.String(), nil, ifMatch(free.Version+1)).
			expectProblem(t, http.StatusPreconditionFailed, "stale")
		assert.Equal(t, before, h.eventCount(h.org), "nothing changed")

		h.sf(c.adminTok, http.MethodDelete, "/roles/"+free.ID.String(), nil, ifMatch(free.Version)).expect(t, http.StatusNoContent)
		h.sf(c.adminTok, http.MethodGet, "/roles/"+free.ID.String(), nil).expectProblem(t, http.StatusNotFound, "not_found")
		h.sf(c.adminTok, http.MethodDelete, "/roles/"+free.ID.String(), nil).expectProblem(t, http.StatusNotFound, "not_found")
		_, err = h.roles.Get(h.ctx, h.admin, free.ID)
		assert.Equal(t, cu.CodeNotFound, cu.CodeOf(err))
		for _, it := range h.sf(c.adminTok, http.MethodGet, "/roles", nil).expect(t, http.StatusOK).items(t) {
			assert.NotEqual(t, free.ID.String(), it["id"])
		}
		h.sf(c.adminTok, http.MethodGet, "/roles/"+held.ID.String(), nil).expect(t, http.StatusOK)
	})
}

// TestStorefrontMyAddressesBadInput posts invalid addresses of one's own:
// 422 with the field errors, nothing stored.
func TestStorefrontMyAddressesBadInput(t *testing.T) {
	eachStorage(t, func(t *testing.T, h *harness) {
		c := newCompany(h)
		before := h.eventCount(h.org)
		p := h.sf(c.buyerTok, http.MethodPost, "/me/addresses", map[string]any{"street": "1 Main St"}).
			expectProblem(t, http.StatusUnprocessableEntity, "invalid")
		violation(t, p, "country", "required")
		violation(t, p, "city", "required")
		violation(t, p, "postalCode", "required")

		bad := newAddress("1 Main St")
		bad["country"] = "XX"
		bad["types"] = []map[string]any{{"type": "billing", "default": true}, {"type": "billing"}}
		p = h.sf(c.buyerTok, http.MethodPost, "/me/addresses", bad).expectProblem(t, http.StatusUnprocessableEntity, "invalid")
		violation(t, p, "country", "country")
		violation(t, p, "types", "duplicate")

		p = h.sf(c.buyerTok, http.MethodPost, "/me/addresses", map[string]any{"street": "1 Main St", "types": []map[string]any{{"type": "home"}}}).
			expectProblem(t, http.StatusUnprocessableEntity, "invalid")
		violation(t, p, "firstName", "name_or_organization")
		violation(t, p, "types", "type")
		h.sf(c.buyerTok, http.MethodPost, "/me/addresses", `{"street":`).expectProblem(t, http.StatusBadRequest, "bad_request")
		assert.Equal(t, before, h.eventCount(h.org), "nothing changed")
		assert.Empty(t, h.getUser(c.buyer.ID).Addresses)
		assert.Empty(t, h.sf(c.buyerTok, http.MethodGet, "/me/addresses", nil).expect(t, http.StatusOK).items(t))
	})
}
