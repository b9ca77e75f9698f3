package httpadapter_test

import (
	"net/http"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCustomersCRUD(t *testing.T) {
	eachStorage(t, func(t *testing.T, h *harness) {
		owner := uuid.New()
		rep := uuid.New()
		r := h.bo(http.MethodPost, "/customers", map[string]any{
			"name": "ACME", "group": "Wholesale", "salesRepresentativeIds": []uuid.UUID{rep}, "ownerId": owner, "externalId": "X-1",
		}).expect(t, http.StatusCreated)
		acme := r.obj(t)
		id := r.id(t)
		assert.Equal(t, boPrefix+"/customers/"+id.String(), r.header.Get("Location"))
		assert.Equal(t, `"1"`, r.header.Get("ETag"))
		assert.Equal(t, "ACME", acme["name"])
		assert.Nil(t, acme["parentId"])
		assert.Equal(t, []any{rep.String()}, acme["salesRepresentativeIds"])
		assert.Equal(t, owner.String(), acme["ownerId"])

		child := h.bo(http.MethodPost, "/customers", map[string]any{"name": "ACME East", "parentId": id}).expect(t, http.StatusCreated)
		childID := child.id(t)
		assert.Equal(t, id.String(), child.obj(t)["parentId"])

		got := h.bo(http.MethodGet, "/customers/"+id.String(), nil).expect(t, http.StatusOK)
		assert.Equal(t, `"1"`, got.header.Get("ETag"))
		assert.Equal(t, "Wholesale", got.obj(t)["group"])

		// List with filters, sort and paging.
		h.customer(h.org, "Zeta", uuid.Nil)
		all := h.bo(http.MethodGet, "/customers", nil).expect(t, http.StatusOK).items(t)
		assert.Len(t, all, 3)
		assert.Equal(t, "ACME", all[0]["name"])
		sub := h.bo(http.MethodGet, "/customers?subtreeOf="+id.String(), nil).expect(t, http.StatusOK).items(t)
		assert.Len(t, sub, 2)
		top := h.bo(http.MethodGet, "/customers?topLevel=true&sort=-name", nil).expect(t, http.StatusOK).items(t)
		require.Len(t, top, 2)
		assert.Equal(t, "Zeta", top[0]["name"])
		children := h.bo(http.MethodGet, "/customers?parentId="+id.String(), nil).expect(t, http.StatusOK).items(t)
		require.Len(t, children, 1)
		assert.Equal(t, childID.String(), children[0]["id"])
		byName := h.bo(http.MethodGet, "/customers?name=east", nil).expect(t, http.StatusOK).items(t)
		assert.Len(t, byName, 1)
		page1 := h.bo(http.MethodGet, "/customers?limit=2", nil).expect(t, http.StatusOK).obj(t)
		assert.Len(t, page1["items"], 2)
		cursor, ok := page1["nextCursor"].(string)
		require.True(t, ok)
		page2 := h.bo(http.MethodGet, "/customers?limit=2&cursor="+cursor, nil).expect(t, http.StatusOK).obj(t)
		assert.Len(t, page2["items"], 1)
		assert.Nil(t, page2["nextCursor"])

		// PATCH: absent fields stay, null clears, If-Match is checked.
		p := h.bo(http.MethodPatch, "/customers/"+id.String(), map[string]any{"name": "ACME Inc", "ownerId": nil, "group": nil},
			ifMatch(1)).expect(t, http.StatusOK)
		assert.Equal(t, `"2"`, p.header.Get("ETag"))
		po := p.obj(t)
		assert.Equal(t, "ACME Inc", po["name"])
		assert.Nil(t, po["ownerId"])
		assert.Equal(t, "", po["group"])
		assert.Equal(t, "X-1", po["externalId"])
		assert.Equal(t, []any{rep.String()}, po["salesRepresentativeIds"])

		// Move the child to top level with a version field instead of If-Match.
		h.bo(http.MethodPatch, "/customers/"+childID.String(), map[string]any{"parentId": nil, "version": 1}).expect(t, http.StatusOK)

		// Delete: refused while it has users, then done.
		h.user(h.getCustomer(id), "amanda@acme.example")
		h.bo(http.MethodDelete, "/customers/"+id.String(), nil).expectProblem(t, http.StatusConflict, "conflict")
		h.bo(http.MethodDelete, "/customers/"+childID.String(), nil, ifMatch(2)).expect(t, http.StatusNoContent)
		h.bo(http.MethodGet, "/customers/"+childID.String(), nil).expectProblem(t, http.StatusNotFound, "not_found")
	})
}

func TestCustomersBadInput(t *testing.T) {
	eachStorage(t, func(t *testing.T, h *harness) {
		c := h.customer(h.org, "ACME", uuid.Nil)
		path := "/customers/" + c.ID.String()
		before := h.eventCount(h.org)

		// 422 with field errors; nothing changed.
		p := h.bo(http.MethodPost, "/customers", map[string]any{"name": " ", "parentId": uuid.New(),
			"salesRepresentativeIds": []string{uuid.Nil.String()}}).expectProblem(t, http.StatusUnprocessableEntity, "invalid")
		violation(t, p, "name", "required")
		violation(t, p, "parentId", "not_found")
		violation(t, p, "salesRepresentativeIds[0]", "required")
		p = h.bo(http.MethodPatch, path, map[string]any{"parentId": c.ID}).expectProblem(t, http.StatusUnprocessableEntity, "invalid")
		violation(t, p, "parentId", "self_parent")

		// Stale: If-Match and version field.
		h.bo(http.MethodPatch, path, map[string]any{"name": "New"}, ifMatch(7)).expectProblem(t, http.StatusPreconditionFailed, "stale")
		h.bo(http.MethodPatch, path, map[string]any{"name": "New", "version": 7}).expectProblem(t, http.StatusPreconditionFailed, "stale")
		h.bo(http.MethodDelete, path, nil, ifMatch(7)).expectProblem(t, http.StatusPreconditionFailed, "stale")
		h.bo(http.MethodPatch, path, map[string]any{"name": "New"}, withHeader("If-Match", `W/"1"`)).
			expectProblem(t, http.StatusPreconditionFailed, "stale")
		h.bo(http.MethodPatch, path, map[string]any{"name": "New"}, withHeader("If-Match", `1`)).
			expectProblem(t, http.StatusBadRequest, "bad_request")

		// Bad ids and query parameters.
		h.bo(http.MethodGet, "/customers/not-a-uuid", nil).expectProblem(t, http.StatusBadRequest, "bad_request")
		p = h.bo(http.MethodGet, "/customers?parentId=x", nil).expectProblem(t, http.StatusBadRequest, "bad_request")
		violation(t, p, "parentId", "format")
		p = h.bo(http.MethodGet, "/customers?colour=red", nil).expectProblem(t, http.StatusBadRequest, "bad_request")
		violation(t, p, "colour", "unknown_parameter")
		h.bo(http.MethodGet, "/customers?sort=colour", nil).expectProblem(t, http.StatusBadRequest, "bad_request")
		h.bo(http.MethodGet, "/customers?topLevel=yes", nil).expectProblem(t, http.StatusBadRequest, "bad_request")
		h.bo(http.MethodGet, "/customers?limit=ten", nil).expectProblem(t, http.StatusBadRequest, "bad_request")
		p = h.bo(http.MethodGet, "/customers?limit=501", nil).expectProblem(t, http.StatusUnprocessableEntity, "invalid")
		violation(t, p, "limit", "max")
		p = h.bo(http.MethodGet, "/customers?limit=0", nil).expectProblem(t, http.StatusUnprocessableEntity, "invalid")
		violation(t, p, "limit", "min")
		p = h.bo(http.MethodGet, "/customers?cursor=%21%21", nil).expectProblem(t, http.StatusUnprocessableEntity, "invalid")
		violation(t, p, "cursor", "format")
		h.bo(http.MethodPost, "/customers", map[string]any{"name": "X", "parentId": "nope"}).expectProblem(t, http.StatusBadRequest, "bad_request")

		// Body syntax.
		h.bo(http.MethodPost, "/customers", `{"name": "X"`).expectProblem(t, http.StatusBadRequest, "bad_request")
		h.bo(http.MethodPost, "/customers", `{"name": "X",}`).expectProblem(t, http.StatusBadRequest, "bad_request")
		h.bo(http.MethodPost, "/customers", `{"name": "X"} {"name": "Y"}`).expectProblem(t, http.StatusBadRequest, "bad_request")
		h.bo(http.MethodPost, "/customers", `[]`).expectProblem(t, http.StatusBadRequest, "bad_request")
		h.bo(http.MethodPatch, path, `null`).expectProblem(t, http.StatusBadRequest, "bad_request")
		h.bo(http.MethodPatch, path, `{} []`).expectProblem(t, http.StatusBadRequest, "bad_request")
		h.bo(http.MethodPost, "/customers", ``).expectProblem(t, http.StatusBadRequest, "bad_request")
		p = h.bo(http.MethodPost, "/customers", `{"name": 5}`).expectProblem(t, http.StatusBadRequest, "bad_request")
		violation(t, p, "name", "type")
		p = h.bo(http.MethodPost, "/customers", `{"name": "X", "colour": "red"}`).expectProblem(t, http.StatusBadRequest, "bad_request")
		violation(t, p, "colour", "unknown_field")
		p = h.bo(http.MethodPatch, path, `{"nme": "X"}`).expectProblem(t, http.StatusBadRequest, "bad_request")
		violation(t, p, "nme", "unknown_field")
		h.bo(http.MethodPost, "/customers", `{"name": "X"}`, withHeader("Content-Type", "text/plain")).
			expectProblem(t, http.StatusUnsupportedMediaType, "unsupported_media_type")

		// Routing.
		h.bo(http.MethodPut, path, map[string]any{"name": "X"}).expectProblem(t, http.StatusMethodNotAllowed, "method_not_allowed")
		r := h.do(http.MethodPut, boPrefix+path, h.adminToken, nil)
		assert.Contains(t, r.header.Get("Allow"), "PATCH")
		h.bo(http.MethodGet, "/nowhere", nil).expectProblem(t, http.StatusNotFound, "not_found")
		h.bo(http.MethodGet, "/customers/", nil).expectProblem(t, http.StatusNotFound, "not_found")
		h.bo(http.MethodPost, "/customers/"+c.ID.String(), nil, ifMatch(1)).expectProblem(t, http.StatusMethodNotAllowed, "method_not_allowed")
		h.bo(http.MethodPost, "/customers", map[string]any{"name": "X"}, ifMatch(1)).expectProblem(t, http.StatusBadRequest, "bad_request")

		assert.Equal(t, before, h.eventCount(h.org), "nothing changed")
		assert.Equal(t, "ACME", h.getCustomer(c.ID).Name)
	})
}
