package role_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	cu "github.com/b2bkit/customerusers"
	"github.com/b2bkit/customerusers/role"
)

// failingLog refuses every append, to prove that a failure after the
// role was written rolls the role back.
type failingLog struct{ cu.EventLog }

func (failingLog) Append(context.Context, ...cu.Event) error { return errors.New("outbox down") }

func TestFailedEventRollsBackTheChange(t *testing.T) {
	f := newFixture(t)
	bo := f.backOffice()
	r, err := f.svc.Create(f.ctx, bo, role.Input{Label: "Held", CustomerID: f.a})
	require.NoError(t, err)
	u := f.user(f.a, true, r.ID, f.buyer.ID)
	b := f.user(f.a, true, f.buyer.ID)
	admin := f.actor(f.a, f.admin.ID)
	svc := role.NewService(role.Deps{Tx: f.store, Roles: f.store.Roles(), Holders: f.store.Users(),
		Hierarchy: f.store.Customers(), Events: failingLog{f.store.Events()}, Registry: f.reg})

	before := f.snapshot()
	_, err = svc.Create(f.ctx, bo, role.Input{Label: "Never stored", CustomerID: f.a})
	assertCode(t, err, cu.CodeInternal)
	_, err = svc.Update(f.ctx, bo, r.ID, role.Patch{CustomerID: ptr(f.sib), ConfirmUnassign: true}, 1)
	assertCode(t, err, cu.CodeInternal)
	_, err = svc.Update(f.ctx, admin, f.buyer.ID, role.Patch{Label: ptr("Copy")}, 1)
	assertCode(t, err, cu.CodeInternal)
	_, err = svc.Seed(f.ctx, cu.NewID())
	assertCode(t, err, cu.CodeInternal)
	f.unchanged(state{roles: before.roles, events: before.events})
	assert.Equal(t, []uuid.UUID{r.ID, f.buyer.ID}, f.getUser(u.ID).RoleIDs, "the unassignment was rolled back")
	assert.Equal(t, []uuid.UUID{f.buyer.ID}, f.getUser(b.ID).RoleIDs, "the move to the copy was rolled back")
}

func TestCodeSuffixWithInjectedIDs(t *testing.T) {
	f := newFixture(t)
	// Ids sharing their random tail force the longer suffixes.
	n := byte(0)
	ids := func() uuid.UUID {
		n++
		id := uuid.MustParse("01900000-0000-7000-8000-00000000abcd")
		id[0] = n
		return id
	}
	svc := f.service(role.WithIDs(ids))
	bo := f.backOffice()
	var codes []string
	for _, c := range []uuid.UUID{f.a, f.aa, f.aaa, f.sib} {
		r, err := svc.Create(f.ctx, bo, role.Input{Label: "Clerk", CustomerID: c})
		require.NoError(t, err)
		codes = append(codes, r.Code)
	}
	assert.Equal(t, []string{"CLERK", "CLERK_000000", "CLERK_00000000ABCD", "CLERK_00000000ABCD_2"}, codes)
}

func TestConcurrentCreatesKeepLabelsUnique(t *testing.T) {
	f := newFixture(t)
	bo := f.backOffice()
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Go(func() {
			_, errs[i] = f.svc.Create(f.ctx, bo, role.Input{Label: "Race", CustomerID: f.a})
		})
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		if err == nil {
			ok++
		} else {
			assertViolation(t, err, "label", "unique")
		}
	}
	assert.Equal(t, 1, ok)
}
