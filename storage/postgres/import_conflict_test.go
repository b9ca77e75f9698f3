package postgres_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	cu "github.com/b2bkit/customerusers"
	"github.com/b2bkit/customerusers/customeruser"
	"github.com/b2bkit/customerusers/role"
	"github.com/b2bkit/customerusers/storage/postgres"
	"github.com/b2bkit/customerusers/storage/postgres/pgtest"
)

// batchRepo is the Store's user repository with the batch extensions an
// import uses.
type batchRepo interface {
	customeruser.UserRepository
	customeruser.BatchUserWriter
	customeruser.BatchUserReader
	customeruser.BatchUserUpdater
}

// clashingUsers runs beforeWrite once, just before the import's first
// batched update: after the rows were checked, before they are written.
type clashingUsers struct {
	batchRepo
	beforeWrite func()
}

func (c *clashingUsers) UpdateMany(ctx context.Context, users []customeruser.User, expected []int64) error {
	if f := c.beforeWrite; f != nil {
		c.beforeWrite = nil
		f()
	}
	return c.batchRepo.UpdateMany(ctx, users, expected)
}

// TestImportWriteTimeConflict: another connection takes two e-mails the
// import checked as free (one a user's new e-mail, one a new user's)
// between the checks and the write of the batch. The unique index refuses
// the batched write; in skip-invalid mode exactly the other rows are
// committed and both clashes are reported on their rows, in all-or-nothing
// mode nothing is and the clash is reported on its row.
func TestImportWriteTimeConflict(t *testing.T) {
	for _, mode := range []customeruser.ImportMode{customeruser.ModeSkipInvalid, customeruser.ModeAllOrNothing} {
		t.Run(string(mode), func(t *testing.T) {
			ctx := t.Context()
			store := pgtest.Open(t)
			org := cu.NewID()
			admin := cu.BackOfficeActor(org, cu.NewID())
			site := customeruser.Website{ID: cu.NewID(), Name: "Main", Localizations: []uuid.UUID{cu.NewID()}}
			site.DefaultLocalizationID = site.Localizations[0]
			sites := customeruser.NewStaticSites()
			sites.Add(org, site)
			authz := role.NewAuthorizer(store.Roles(), store.Customers())
			roles := role.NewService(role.Deps{
				Tx: store, Roles: store.Roles(), Holders: store.Users(), Hierarchy: store.Customers(), Events: store.Events(),
				Authorizer: authz, Registry: role.NewRegistry(),
			})
			_, err := roles.Seed(ctx, org)
			require.NoError(t, err)
			deps := func(users customeruser.UserRepository) customeruser.Deps {
				return customeruser.Deps{
					Tx: store, Customers: store.Customers(), Users: users, Tokens: store.Tokens(), Attempts: store.LoginAttempts(),
					Events: store.Events(), Roles: store.Roles(), Authorizer: authz, Sites: sites,
				}
			}
			other := customeruser.NewService(deps(store.Users()))
			acme, err := other.CreateCustomer(ctx, admin, customeruser.CustomerInput{Name: "Acme"})
			require.NoError(t, err)
			for i := range 4 {
				_, err := other.CreateUser(ctx, admin, customeruser.CreateUserInput{
					CustomerID: acme.ID, Email: fmt.Sprintf("u%d@acme.test", i), FirstName: "Old", LastName: "Name",
					RoleIDs: []uuid.UUID{mustRole(t, store, org, "BUYER")}, GeneratePassword: true,
				})
				require.NoError(t, err)
			}
			users := &clashingUsers{batchRepo: store.Users().(batchRepo)}
			users.beforeWrite = func() {
				// Not the import's transaction: the pool's other connection,
				// committed at once.
				for _, email := range []string{"taken@acme.test", "new2@acme.test"} {
					_, err := other.CreateUser(context.Background(), admin, customeruser.CreateUserInput{
						CustomerID: acme.ID, Email: email, FirstName: "Other", LastName: "Connection",
						RoleIDs: []uuid.UUID{mustRole(t, store, org, "BUYER")}, GeneratePassword: true,
					})
					require.NoError(t, err)
				}
			}
			svc := customeruser.NewService(deps(users))
			a := acme.ID.String()
			rep, err := svc.ImportUsers(ctx, admin, strings.NewReader(strings.Join([]string{
				"ID,Email Address,First Name,Last Name,Customer Id",
				",u0@acme.test,,Renamed," + a,
				userID(t, store, org, "u1@acme.test") + ",taken@acme.test,,Renamed," + a, // row 3
				",u2@acme.test,,Renamed," + a,
				",u3@acme.test,,Renamed," + a,
				",new1@acme.test,New,One," + a,
				",new2@acme.test,New,Two," + a, // row 7
			}, "\n")+"\n"), customeruser.ImportOptions{Mode: mode})
			require.NoError(t, err)

			lastName := func(email string) string {
				u, err := store.Users().GetByEmailKey(ctx, org, email)
				require.NoError(t, err, email)
				return u.LastName
			}
			assert.Equal(t, "Name", lastName("u1@acme.test"), "the clashing update is not written")
			assert.Equal(t, "Connection", lastName("taken@acme.test"), "the other connection's user stays")
			assert.Equal(t, "Connection", lastName("new2@acme.test"), "the other connection's user stays")
			hasError := func(row int) {
				t.Helper()
				for _, e := range rep.RowErrors {
					if e.Row == row && e.Field == customeruser.ColEmail && e.Rule == "unique" {
						return
					}
				}
				t.Errorf("no unique error on row %d's Email Address in %+v", row, rep.RowErrors)
			}
			hasError(3)
			if mode == customeruser.ModeAllOrNothing {
				assert.False(t, rep.Committed)
				for _, email := range []string{"u0@acme.test", "u2@acme.test", "u3@acme.test"} {
					assert.Equal(t, "Name", lastName(email), "rolled back: %s", email)
				}
				_, err := store.Users().GetByEmailKey(ctx, org, "new1@acme.test")
				assert.ErrorIs(t, err, cu.ErrNotFound, "rolled back")
				return
			}
			hasError(7)
			assert.Equal(t, 2, rep.Errors)
			assert.Equal(t, 3, rep.Updated)
			assert.Equal(t, 1, rep.Added)
			assert.True(t, rep.Committed)
			for _, email := range []string{"u0@acme.test", "u2@acme.test", "u3@acme.test"} {
				assert.Equal(t, "Renamed", lastName(email), email)
			}
			assert.Equal(t, "One", lastName("new1@acme.test"))
			events, err := store.Events().List(ctx, org, cu.EventFilter{SubjectType: customeruser.SubjectCustomerUser}, cu.Page{Limit: 100})
			require.NoError(t, err)
			updated := 0
			for _, e := range events.Items {
				if e.Type == customeruser.EventUserUpdated {
					updated++
				}
			}
			assert.Equal(t, 3, updated, "one event per committed update")
		})
	}
}

// mustRole returns the id of the role with code.
func mustRole(t *testing.T, s *postgres.Store, org uuid.UUID, code string) uuid.UUID {
	t.Helper()
	r, err := s.Roles().GetByCode(t.Context(), org, code)
	require.NoError(t, err)
	return r.ID
}

// userID returns the id of the user with e-mail key email.
func userID(t *testing.T, s *postgres.Store, org uuid.UUID, email string) string {
	t.Helper()
	u, err := s.Users().GetByEmailKey(t.Context(), org, email)
	require.NoError(t, err)
	return u.ID.String()
}
