package customeruser_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	cu "github.com/b2bkit/customerusers"
	"github.com/b2bkit/customerusers/customeruser"
)

// impUpdateCounter counts the per-user writes of an import. It hides the
// store's batch extensions: alone it makes the import fall back to one
// Update per user.
type impUpdateCounter struct {
	customeruser.UserRepository
	updates, updateMany, gets int
}

func (c *impUpdateCounter) Get(ctx context.Context, org, id uuid.UUID) (customeruser.User, error) {
	c.gets++
	return c.UserRepository.Get(ctx, org, id)
}

func (c *impUpdateCounter) Update(ctx context.Context, u customeruser.User, expected int64) error {
	c.updates++
	return c.UserRepository.Update(ctx, u, expected)
}

// impBatchUpdater adds the store's UpdateMany to an impUpdateCounter,
// counting its calls.
type impBatchUpdater struct{ *impUpdateCounter }

func (b impBatchUpdater) UpdateMany(ctx context.Context, users []customeruser.User, expected []int64) error {
	b.updateMany++
	return b.UserRepository.(customeruser.BatchUserUpdater).UpdateMany(ctx, users, expected)
}

// impUpdateOutcome is what an update-heavy import did, in terms that do
// not depend on generated ids: the report, each user's state by e-mail, the
// events of each user (type and changed fields) and the access-revoked
// hooks run.
type impUpdateOutcome struct {
	added, updated, unchanged, errors int
	users                             map[string]string
	events                            map[string][]string
	hooks                             []string
}

// impUpdateScenario imports, in batches of 4, a file that updates seven
// users in every way UpdateUser handles (a name, disabling, another
// customer, other roles, a new e-mail, nothing) and adds one, through a
// Service whose user repository is users (wrapping h's store).
func impUpdateScenario(t *testing.T, batch bool) (impUpdateOutcome, *impUpdateCounter) {
	h := newHarness(t)
	acme, globex := h.customer("Acme", uuid.Nil), h.customer("Globex", uuid.Nil)
	names := map[uuid.UUID]string{acme.ID: "Acme", globex.ID: "Globex"}
	codes := map[uuid.UUID]string{h.buyerRole.ID: h.buyerRole.Code, h.adminRole.ID: h.adminRole.Code}
	var users []customeruser.User
	for i := range 7 {
		users = append(users, h.user(acme.ID, fmt.Sprintf("u%d@acme.test", i)))
	}
	counter := &impUpdateCounter{UserRepository: h.store.Users()}
	var repo customeruser.UserRepository = counter
	if batch {
		repo = impBatchUpdater{counter}
	}
	svc := h.impServiceWith(repo)
	var hooks []string
	svc.AddAccessRevokedHook(func(_ context.Context, _ cu.Actor, u customeruser.User, reason string) error {
		hooks = append(hooks, u.Email+" "+reason)
		return nil
	})
	a := acme.ID.String()
	file := impFile("ID,Email Address,First Name,Last Name,Customer Id,Enabled,Roles 1 Role",
		",u0@acme.test,,Renamed,"+a+",,",
		",u1@acme.test,,,"+a+",0,",
		",u2@acme.test,,,"+globex.ID.String()+",,",
		",u3@acme.test,,,,,"+h.adminRole.Code,
		",u4@acme.test,,Renamed,,,",
		users[5].ID.String()+",new5@acme.test,,,,,",
		",u6@acme.test,Test,User,"+a+",1,"+h.buyerRole.Code,
		",new@acme.test,New,New,"+a+",,",
	)
	rep, err := svc.ImportUsers(h.ctx, h.admin, strings.NewReader(file),
		customeruser.ImportOptions{Mode: customeruser.ModeSkipInvalid, BatchSize: 4})
	require.NoError(t, err)
	require.Empty(t, rep.RowErrors)

	out := impUpdateOutcome{added: rep.Added, updated: rep.Updated, unchanged: rep.Unchanged, errors: rep.Errors,
		users: map[string]string{}, events: map[string][]string{}, hooks: hooks}
	for _, email := range []string{"u0", "u1", "u2", "u3", "u4", "new5", "u6", "new"} {
		u := h.userByEmail(email + "@acme.test")
		var roles []string
		for _, id := range u.RoleIDs {
			roles = append(roles, codes[id])
		}
		out.users[email] = fmt.Sprintf("v%d %s %s enabled=%t %v updated=%s", u.Version, u.LastName, names[u.CustomerID],
			u.Enabled, roles, u.UpdatedAt.UTC())
		for _, ev := range h.events(u.ID) {
			var fields []string
			var changes []cu.Change
			if json.Unmarshal(ev.Payload, &changes) == nil {
				for _, c := range changes {
					fields = append(fields, c.Field)
				}
			}
			slices.Sort(fields)
			out.events[email] = append(out.events[email], ev.Type+" "+strings.Join(fields, ","))
		}
	}
	return out, counter
}

// Updates of a batch are written in one UpdateMany when the storage has it,
// and give exactly what the per-user path gives: the same users, versions,
// events and access-revoked hooks.
func TestImportUsersBatchUpdates(t *testing.T) {
	batched, bc := impUpdateScenario(t, true)
	assert.Equal(t, 2, bc.updateMany, "one UpdateMany per batch")
	assert.Zero(t, bc.updates, "no per-user Update")

	perRow, pc := impUpdateScenario(t, false)
	assert.Equal(t, 6, pc.updates, "without the extension: one Update per changed user")

	assert.Equal(t, 1, batched.added)
	assert.Equal(t, 6, batched.updated)
	assert.Equal(t, 1, batched.unchanged)
	assert.Zero(t, batched.errors)
	assert.Equal(t, perRow, batched)
	assert.ElementsMatch(t, []string{"u1@acme.test " + customeruser.RevokeDisabled, "new5@acme.test " + customeruser.RevokeEmailChanged},
		batched.hooks)
	assert.Len(t, batched.events["u0"], 2, "created, then updated once")
	assert.Len(t, batched.events["u6"], 1, "an unchanged row appends nothing")
}

// A failing access-revoked hook fails the row it concerns, in both paths:
// in skip-invalid mode the others are committed.
func TestImportUsersBatchUpdateHookFailure(t *testing.T) {
	for _, batch := range []bool{true, false} {
		t.Run(fmt.Sprintf("batch=%t", batch), func(t *testing.T) {
			h := newHarness(t)
			acme := h.customer("Acme", uuid.Nil)
			for i := range 3 {
				h.user(acme.ID, fmt.Sprintf("u%d@acme.test", i))
			}
			counter := &impUpdateCounter{UserRepository: h.store.Users()}
			var repo customeruser.UserRepository = counter
			if batch {
				repo = impBatchUpdater{counter}
			}
			svc := h.impServiceWith(repo)
			svc.AddAccessRevokedHook(func(_ context.Context, _ cu.Actor, u customeruser.User, _ string) error {
				if u.Email == "u1@acme.test" {
					return cu.Conflict("the session store refuses")
				}
				return nil
			})
			rep, err := svc.ImportUsers(h.ctx, h.admin, strings.NewReader(impFile("Email Address,Enabled",
				"u0@acme.test,0", "u1@acme.test,0", "u2@acme.test,0")),
				customeruser.ImportOptions{Mode: customeruser.ModeSkipInvalid})
			require.NoError(t, err)
			assert.Equal(t, 2, rep.Updated)
			require.Len(t, rep.RowErrors, 1)
			assert.Equal(t, 3, rep.RowErrors[0].Row)
			assert.Equal(t, string(cu.CodeConflict), rep.RowErrors[0].Rule)
			assert.False(t, h.userByEmail("u0@acme.test").Enabled)
			assert.True(t, h.userByEmail("u1@acme.test").Enabled, "the failed row is not written")
			assert.False(t, h.userByEmail("u2@acme.test").Enabled)
		})
	}
}

// impAddressScenario imports, in one batch, addresses for three users:
// two added for each of the first two, one of the third's updated and one
// removed, and reports every user's state (version, addresses), their
// events and the report.
func impAddressScenario(t *testing.T, batch bool) (string, *impUpdateCounter) {
	h := newHarness(t)
	acme := h.customer("Acme", uuid.Nil)
	var ids []string
	for i := range 3 {
		ids = append(ids, h.user(acme.ID, fmt.Sprintf("a%d@acme.test", i)).ID.String())
	}
	third := h.userByEmail("a2@acme.test")
	for _, label := range []string{"Keep", "Drop"} {
		_, _, err := h.svc.AddAddress(h.ctx, h.admin, third.ID, customeruser.Address{Label: label, Organization: "Acme", Street: "1 St",
			City: "Berlin", PostalCode: "10115", Country: "DE"}, 0)
		require.NoError(t, err)
	}
	counter := &impUpdateCounter{UserRepository: h.store.Users()}
	var repo customeruser.UserRepository = counter
	if batch {
		repo = impBatchUpdater{counter}
	}
	svc := h.impServiceWith(repo)
	row := func(user, label, street, del string) string {
		return impAddr("", label, "Acme", "", "", street, "10115", "Berlin", "", "DE", "", "", user, "", "", "", "", "", del)
	}
	rep, err := svc.ImportAddresses(h.ctx, h.admin, strings.NewReader(impFile(impAddrHeader,
		row(ids[0], "Home", "1 Home St", ""), row(ids[1], "Home", "2 Home St", ""),
		row(ids[0], "Work", "1 Work St", ""), row(ids[1], "Work", "2 Work St", ""),
		row(ids[2], "Keep", "9 New St", ""), row(ids[2], "Drop", "", "1"),
	)), customeruser.ImportOptions{Mode: customeruser.ModeSkipInvalid})
	require.NoError(t, err)
	require.Empty(t, rep.RowErrors)
	out := fmt.Sprintf("added=%d updated=%d deleted=%d\n", rep.Added, rep.Updated, rep.Deleted)
	for i := range 3 {
		u := h.userByEmail(fmt.Sprintf("a%d@acme.test", i))
		out += fmt.Sprintf("%s v%d %s:", u.Email, u.Version, u.UpdatedAt.UTC())
		for _, a := range u.Addresses {
			out += " " + a.Label + "/" + a.Street
		}
		for _, ev := range h.events(u.ID) {
			out += " " + ev.Type
		}
		out += "\n"
	}
	return out, counter
}

// The address operations of a batch read each user once and write it once
// (one UpdateMany for the batch when the storage has it), with the rules,
// addresses and events of AddAddress, UpdateAddress and RemoveAddress.
func TestImportAddressesBatchWrites(t *testing.T) {
	batched, bc := impAddressScenario(t, true)
	assert.Equal(t, 1, bc.updateMany, "one UpdateMany for the batch")
	assert.Zero(t, bc.updates, "no per-user Update")
	assert.Zero(t, bc.gets, "users are read per batch, not per row")

	perUser, pc := impAddressScenario(t, false)
	assert.Equal(t, 3, pc.updates, "without the extension: one Update per user, not per row")
	assert.Equal(t, perUser, batched)
	assert.Contains(t, batched, "added=4 updated=1 deleted=1")
	assert.Contains(t, batched, "a0@acme.test v2 ", "one version step for the batch")
	assert.Contains(t, batched, " Home/1 Home St Work/1 Work St ")
	assert.Contains(t, batched, " Keep/9 New St customer_user.created customer_user.address_added customer_user.address_added"+
		" customer_user.address_updated customer_user.address_removed")
}
