package httpadapter_test

import (
	"net/http"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func newAddress(street string) map[string]any {
	return map[string]any{"label": "HQ", "firstName": "Amanda", "lastName": "Cole", "street": street, "city": "Springfield",
		"postalCode": "12345", "country": "US", "types": []map[string]any{{"type": "billing", "default": true}}}
}

func TestBackOfficeAddresses(t *testing.T) {
	eachStorage(t, func(t *testing.T, h *harness) {
		u := h.user(h.customer(h.org, "ACME", uuid.Nil), "amanda@acme.example")
		base := "/customer-users/" + u.ID.String() + "/addresses"

		l := h.bo(http.MethodGet, base, nil).expect(t, http.StatusOK)
		assert.Equal(t, `"1"`, l.header.Get("ETag"))
		assert.Empty(t, l.items(t))

		r := h.bo(http.MethodPost, base, newAddress("1 Main St"), ifMatch(1)).expect(t, http.StatusCreated)
		aid := r.id(t)
		assert.Equal(t, boPrefix+base+"/"+aid.String(), r.header.Get("Location"))
		assert.Equal(t, `"2"`, r.header.Get("ETag"))
		a := r.obj(t)
		assert.Equal(t, "1 Main St", a["street"])
		assert.Equal(t, []any{map[string]any{"type": "billing", "default": true}}, a["types"])

		side := newAddress("2 Side St")
		side["types"] = []map[string]any{{"type": "billing"}}
		second := h.bo(http.MethodPost, base, side).expect(t, http.StatusCreated)
		assert.Equal(t, "2 Side St", second.obj(t)["street"], "the answer is the address just added")
		items := h.bo(http.MethodGet, base, nil).expect(t, http.StatusOK).items(t)
		assert.Len(t, items, 2)

		// PATCH merges: absent fields stay; 422 relative to the address.
		item := base + "/" + aid.String()
		p := h.bo(http.MethodPatch, item, map[string]any{"street": "10 Main St", "types": []map[string]any{{"type": "shipping"}}},
			ifMatch(3)).expect(t, http.StatusOK)
		assert.Equal(t, `"4"`, p.header.Get("ETag"))
		po := p.obj(t)
		assert.Equal(t, "10 Main St", po["street"])
		assert.Equal(t, "Springfield", po["city"])
		assert.Equal(t, "HQ", po["label"])
		assert.Equal(t, []any{map[string]any{"type": "shipping", "default": false}}, po["types"])

		before := h.eventCount(h.org)
		pr := h.bo(http.MethodPatch, item, map[string]any{"country": "XX", "city": nil}).expectProblem(t, http.StatusUnprocessableEntity, "invalid")
		violation(t, pr, "country", "country")
		violation(t, pr, "city", "required")
		h.bo(http.MethodPatch, item, map[string]any{"street": "x"}, ifMatch(3)).expectProblem(t, http.StatusPreconditionFailed, "stale")
		h.bo(http.MethodPatch, item, map[string]any{"street": "x", "version": 3}).expectProblem(t, http.StatusPreconditionFailed, "stale")
		h.bo(http.MethodPatch, item, map[string]any{"primary": nil}).expectProblem(t, http.StatusBadRequest, "bad_request")
		h.bo(http.MethodPatch, item, map[string]any{"types": []map[string]any{{"type": "billing", "x": 1}}}).
			expectProblem(t, http.StatusBadRequest, "bad_request")
		h.bo(http.MethodPatch, base+"/"+uuid.NewString(), map[string]any{"street": "x"}).expectProblem(t, http.StatusNotFound, "not_found")
		h.bo(http.MethodPatch, base+"/bad", map[string]any{"street": "x"}).expectProblem(t, http.StatusBadRequest, "bad_request")
		pr = h.bo(http.MethodPost, base, map[string]any{"street": "1"}).expectProblem(t, http.StatusUnprocessableEntity, "invalid")
		violation(t, pr, "country", "required")
		h.bo(http.MethodDelete, item, nil, ifMatch(1)).expectProblem(t, http.StatusPreconditionFailed, "stale")
		assert.Equal(t, before, h.eventCount(h.org))

		d := h.bo(http.MethodDelete, item, nil, ifMatch(4)).expect(t, http.StatusNoContent)
		assert.Equal(t, `"5"`, d.header.Get("ETag"))
		h.bo(http.MethodDelete, item, nil).expectProblem(t, http.StatusNotFound, "not_found")
		require.Len(t, h.getUser(u.ID).Addresses, 1)
	})
}
