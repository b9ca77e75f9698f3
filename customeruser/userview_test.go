package customeruser_test

import (
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	cu "github.com/b2bkit/customerusers"
	"github.com/b2bkit/customerusers/customeruser"
	"github.com/b2bkit/customerusers/role"
)

// uvPlainUsers hides the optional extensions of a user repository, so that
// the Service takes its fallback paths.
type uvPlainUsers struct{ customeruser.UserRepository }

// uvService is a Service over the harness's storage whose customer reads
// are counted; plain hides the user repository's UserViewReader.
func uvService(h *harness, plain bool) (*customeruser.Service, *lcCountingCustomers) {
	counting := &lcCountingCustomers{CustomerRepository: h.store.Customers()}
	users := h.store.Users()
	if plain {
		users = uvPlainUsers{users}
	}
	svc := customeruser.NewService(customeruser.Deps{
		Tx: h.store, Customers: counting, Users: users, Tokens: h.store.Tokens(),
		Attempts: h.store.LoginAttempts(), Events: h.store.Events(), Roles: h.store.Roles(),
		Authorizer: h.authz, Sites: h.sites,
	}, customeruser.WithConfig(h.svc.Config()), customeruser.WithClock(h.clock))
	return svc, counting
}

// GetUserView gives what GetUser and EffectiveSalesReps give, with the
// same authorization, on both paths: one read through UserViewReader
// (no customer read at all), or the user then its customer.
func TestGetUserView(t *testing.T) {
	h := newHarness(t)
	_, ok := h.store.Users().(customeruser.UserViewReader)
	require.True(t, ok, "the test storages implement UserViewReader")

	custRep, ownRep := uuid.New(), uuid.New()
	served, err := h.svc.CreateCustomer(h.ctx, h.admin, customeruser.CustomerInput{Name: "Served", SalesRepIDs: []uuid.UUID{custRep}})
	require.NoError(t, err)
	unserved := h.customer("Unserved", uuid.Nil)
	in := utInput(h, served.ID, "own@example.com")
	in.SalesRepIDs = []uuid.UUID{ownRep}
	own, err := h.svc.CreateUser(h.ctx, h.admin, in)
	require.NoError(t, err)
	inherits := h.user(served.ID, "inherits@example.com")
	nobody := h.user(unserved.ID, "nobody@example.com")
	viewer := custRole(h, "Dept Viewer", role.LevelDepartment, nil)
	deptViewer := h.user(served.ID, "viewer@example.com", viewer.ID)
	selfOnly := utRole(h, "Self Service", uuid.Nil, nil, role.CapUpdateOwnProfile)
	loner := h.user(served.ID, "loner@example.com", selfOnly.ID)

	for _, path := range []struct {
		name           string
		plain          bool
		customerReads  func(inherits bool) int
		customerReadOf string
	}{
		{"one read", false, func(bool) int { return 0 }, "never reads the customer"},
		{"fallback", true, func(inherits bool) int {
			if inherits {
				return 1
			}
			return 0
		}, "reads the customer only when the user inherits"},
	} {
		t.Run(path.name, func(t *testing.T) {
			svc, counting := uvService(h, path.plain)
			tests := []struct {
				name     string
				actor    cu.Actor
				user     customeruser.User
				want     []uuid.UUID
				inherits bool
			}{
				{"own list wins", h.admin, own, []uuid.UUID{ownRep}, false},
				{"falls back to the customer's", h.admin, inherits, []uuid.UUID{custRep}, true},
				{"nobody serves", h.admin, nobody, []uuid.UUID{}, true},
				{"storefront, in reach", h.storefront(deptViewer), inherits, []uuid.UUID{custRep}, true},
				{"storefront, itself", h.storefront(deptViewer), deptViewer, []uuid.UUID{custRep}, true},
				{"storefront, itself without a view grant", h.storefront(loner), loner, nil, false},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					counting.gets, counting.getManys = 0, 0
					v, err := svc.GetUserView(h.ctx, tt.actor, tt.user.ID)
					require.NoError(t, err)
					assert.Zero(t, counting.gets)
					assert.Equal(t, path.customerReads(tt.inherits), counting.getManys, path.customerReadOf)
					wantUser, err := svc.GetUser(h.ctx, tt.actor, tt.user.ID)
					require.NoError(t, err)
					assert.Equal(t, wantUser, v.User)
					assert.Equal(t, tt.want, v.EffectiveSalesRepIDs)
					if tt.want != nil {
						reps, err := svc.EffectiveSalesReps(h.ctx, tt.actor, tt.user.ID)
						require.NoError(t, err)
						assert.Equal(t, reps, v.EffectiveSalesRepIDs, "as EffectiveSalesReps")
					}
				})
			}

			t.Run("refused", func(t *testing.T) {
				for _, tt := range []struct {
					name  string
					actor cu.Actor
					user  uuid.UUID
					want  error
				}{
					{"out of the storefront actor's reach", h.storefront(deptViewer), nobody.ID, cu.ErrNotFound},
					{"no view grant on another user", h.storefront(loner), inherits.ID, cu.ErrNotFound},
					{"another organization", cu.BackOfficeActor(uuid.New(), uuid.New()), own.ID, cu.ErrNotFound},
					{"unknown id", h.admin, uuid.New(), cu.ErrNotFound},
					{"anonymous", cu.AnonymousActor(h.org), own.ID, cu.ErrUnauthenticated},
				} {
					_, err := svc.GetUserView(h.ctx, tt.actor, tt.user)
					assert.ErrorIs(t, err, tt.want, tt.name)
				}
			})
		})
	}

	t.Run("both paths follow the customer", func(t *testing.T) {
		newRep := uuid.New()
		_, err := h.svc.UpdateCustomer(h.ctx, h.admin, served.ID, customeruser.CustomerPatch{SalesRepIDs: custPtr([]uuid.UUID{newRep})}, 0)
		require.NoError(t, err)
		for _, plain := range []bool{false, true} {
			svc, _ := uvService(h, plain)
			v, err := svc.GetUserView(h.ctx, h.admin, inherits.ID)
			require.NoError(t, err)
			assert.Equal(t, []uuid.UUID{newRep}, v.EffectiveSalesRepIDs, "plain=%v", plain)
		}
	})
}
