package httpadapter_test

import (
	"net/http"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/b2bkit/customerusers/customeruser"
)

// Every read of one user (back office, storefront /me and /users/{id})
// shows the representatives it inherits from its customer as they are at
// the time of the read, and its own when it has some.
func TestUserReadsShowEffectiveSalesReps(t *testing.T) {
	eachStorage(t, func(t *testing.T, h *harness) {
		c := newCompany(h)
		buyer := "/users/" + c.buyer.ID.String()
		reads := map[string]func() *response{
			"back office": func() *response { return h.bo(http.MethodGet, "/customer-users/"+c.buyer.ID.String(), nil) },
			"/me":         func() *response { return h.sf(c.buyerTok, http.MethodGet, "/me", nil) },
			"/users/{id}": func() *response { return h.sf(c.adminTok, http.MethodGet, buyer, nil) },
		}
		check := func(want []uuid.UUID, version int64) {
			t.Helper()
			wantJSON := make([]any, len(want))
			for i, id := range want {
				wantJSON[i] = id.String()
			}
			for name, read := range reads {
				r := read().expect(t, http.StatusOK)
				assert.Equal(t, `"`+jsonInt(version)+`"`, r.header.Get("ETag"), name)
				assert.Equal(t, wantJSON, r.obj(t)["effectiveSalesRepresentativeIds"], name)
			}
		}
		check(nil, 1)

		rep1, rep2 := uuid.New(), uuid.New()
		setReps := func(reps ...uuid.UUID) {
			t.Helper()
			_, err := h.users.UpdateCustomer(h.ctx, h.admin, c.east.ID, customeruser.CustomerPatch{SalesRepIDs: &reps}, 0)
			require.NoError(t, err)
		}
		setReps(rep1)
		check([]uuid.UUID{rep1}, 1)
		setReps(rep2)
		check([]uuid.UUID{rep2}, 1)

		own := uuid.New()
		h.bo(http.MethodPatch, "/customer-users/"+c.buyer.ID.String(), map[string]any{"salesRepresentativeIds": []uuid.UUID{own}}).
			expect(t, http.StatusOK)
		check([]uuid.UUID{own}, 2)

		h.do(http.MethodGet, boPrefix+"/customer-users/"+c.buyer.ID.String(), h.admin2Token, nil).
			expectProblem(t, http.StatusNotFound, "not_found")
	})
}
