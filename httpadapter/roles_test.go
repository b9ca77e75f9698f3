package httpadapter_test

import (
	"net/http"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/b2bkit/customerusers/role"
)

func TestBackOfficeRoles(t *testing.T) {
	eachStorage(t, func(t *testing.T, h *harness) {
		acme := h.customer(h.org, "ACME", uuid.Nil)
		list := h.bo(http.MethodGet, "/roles", nil).expect(t, http.StatusOK).items(t)
		assert.Len(t, list, 3, "the seeded roles")

		r := h.bo(http.MethodPost, "/roles", map[string]any{
			"label": "Purchasing Manager", "customerId": acme.ID, "selfManaged": true, "public": true,
			"grants":       []map[string]any{{"resource": "customer_user", "permission": "view", "level": "corporate"}},
			"capabilities": []string{role.CapManageUsers},
		}).expect(t, http.StatusCreated)
		id := r.id(t)
		assert.Equal(t, boPrefix+"/roles/"+id.String(), r.header.Get("Location"))
		o := r.obj(t)
		assert.Equal(t, "PURCHASING_MANAGER", o["code"])
		assert.Equal(t, acme.ID.String(), o["customerId"])
		assert.Equal(t, []any{map[string]any{"resource": "customer_user", "permission": "view", "level": "corporate"}}, o["grants"])

		g := h.bo(http.MethodGet, "/roles/"+id.String(), nil).expect(t, http.StatusOK)
		assert.Equal(t, `"1"`, g.header.Get("ETag"))
		assert.Equal(t, o, g.obj(t))

		mine := h.bo(http.MethodGet, "/roles?customerId="+acme.ID.String(), nil).expect(t, http.StatusOK).items(t)
		require.Len(t, mine, 1)
		assert.Len(t, h.bo(http.MethodGet, "/roles?customerId="+acme.ID.String()+"&includePredefined=true", nil).items(t), 4)
		assert.Len(t, h.bo(http.MethodGet, "/roles?predefinedOnly=true", nil).items(t), 3)
		assert.Len(t, h.bo(http.MethodGet, "/roles?label=purch", nil).items(t), 1)
		pg := h.bo(http.MethodGet, "/roles?limit=2", nil).expect(t, http.StatusOK).obj(t)
		assert.Len(t, pg["items"], 2)
		assert.NotNil(t, pg["nextCursor"])

		// PATCH with If-Match, with a version field, and unconditional.
		p := h.bo(http.MethodPatch, "/roles/"+id.String(), map[string]any{"label": "Buyer Lead"}, ifMatch(1)).expect(t, http.StatusOK)
		assert.Equal(t, `"2"`, p.header.Get("ETag"))
		assert.Equal(t, "PURCHASING_MANAGER", p.obj(t)["code"], "the code never changes")
		h.bo(http.MethodPatch, "/roles/"+id.String(), map[string]any{"capabilities": []string{}, "version": 2}).expect(t, http.StatusOK)
		o = h.bo(http.MethodPatch, "/roles/"+id.String(), map[string]any{"customerId": nil}).expect(t, http.StatusOK).obj(t)
		assert.Nil(t, o["customerId"], "null makes it predefined")

		// Bad input; nothing changed.
		before := h.eventCount(h.org)
		pr := h.bo(http.MethodPost, "/roles", map[string]any{"label": "ab",
			"grants": []map[string]any{{"resource": "spaceship", "permission": "view", "level": "user"}}}).
			expectProblem(t, http.StatusUnprocessableEntity, "invalid")
		violation(t, pr, "label", "min_length")
		violation(t, pr, "grants[0].resource", "unknown_resource")
		h.bo(http.MethodPost, "/roles", map[string]any{"label": "Abc", "grants": []map[string]any{{"resource": "customer", "permission": "view", "level": "galactic"}}}).
			expectProblem(t, http.StatusBadRequest, "bad_request")
		h.bo(http.MethodPatch, "/roles/"+id.String(), map[string]any{"label": "X Y Z"}, ifMatch(1)).expectProblem(t, http.StatusPreconditionFailed, "stale")
		h.bo(http.MethodPatch, "/roles/"+id.String(), map[string]any{"label": "X Y Z", "version": 1}).expectProblem(t, http.StatusPreconditionFailed, "stale")
		h.bo(http.MethodPatch, "/roles/"+id.String(), map[string]any{"public": nil}).expectProblem(t, http.StatusBadRequest, "bad_request")
		h.bo(http.MethodDelete, "/roles/"+id.String(), nil, ifMatch(1)).expectProblem(t, http.StatusPreconditionFailed, "stale")
		h.bo(http.MethodDelete, "/roles/"+h.buyerRole.ID.String(), nil).expectProblem(t, http.StatusConflict, "conflict")
		h.bo(http.MethodGet, "/roles/"+uuid.NewString(), nil).expectProblem(t, http.StatusNotFound, "not_found")
		h.bo(http.MethodGet, "/roles?includePredefined=maybe", nil).expectProblem(t, http.StatusBadRequest, "bad_request")
		assert.Equal(t, before, h.eventCount(h.org))

		h.bo(http.MethodDelete, "/roles/"+id.String(), nil).expect(t, http.StatusNoContent)
		h.bo(http.MethodGet, "/roles/"+id.String(), nil).expectProblem(t, http.StatusNotFound, "not_found")
	})
}
