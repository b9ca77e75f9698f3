package customeruser_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	cu "github.com/b2bkit/customerusers"
	"github.com/b2bkit/customerusers/customeruser"
	"github.com/b2bkit/customerusers/role"
)

// viewsProvider is a RelatedRecords provider returning fixed records.
type viewsProvider struct {
	kind    string
	records []customeruser.RelatedRecord
	err     error
	asked   []uuid.UUID // user ids asked for
	org     uuid.UUID
}

func (p *viewsProvider) Kind() string { return p.kind }

func (p *viewsProvider) List(_ context.Context, org, userID uuid.UUID) ([]customeruser.RelatedRecord, error) {
	p.org = org
	p.asked = append(p.asked, userID)
	return p.records, p.err
}

func (p *viewsProvider) Reassign(context.Context, uuid.UUID, uuid.UUID, uuid.UUID, uuid.UUID) error {
	return nil
}

// viewsSetup is a customer tree (acme with child east, and other) with a
// target user at east, and storefront actors at acme.
type viewsSetup struct {
	h                    *harness
	acme, east, other    customeruser.Customer
	target, outsider     customeruser.User
	deptViewer, corpView cu.Actor // corporate viewer without the audit capability
	corpAuditor          cu.Actor
}

func newViewsSetup(t *testing.T, opts ...customeruser.Option) *viewsSetup {
	h := newHarness(t, opts...)
	s := &viewsSetup{h: h}
	s.acme = h.customer("Acme", uuid.Nil)
	s.east = h.customer("Acme East", s.acme.ID)
	s.other = h.customer("Other", uuid.Nil)
	s.target = h.user(s.east.ID, "target@example.com")
	s.outsider = h.user(s.other.ID, "outsider@example.com")
	dept := custRole(h, "Dept Auditor", role.LevelDepartment, nil, role.CapViewAuditHistory)
	corp := custRole(h, "Corp Viewer", role.LevelCorporate, nil)
	audit := custRole(h, "Corp Auditor", role.LevelCorporate, nil, role.CapViewAuditHistory)
	s.deptViewer = h.storefront(h.user(s.acme.ID, "dept@example.com", dept.ID))
	s.corpView = h.storefront(h.user(s.acme.ID, "corp@example.com", corp.ID))
	s.corpAuditor = h.storefront(h.user(s.acme.ID, "audit@example.com", audit.ID))
	return s
}

func TestHistory(t *testing.T) {
	s := newViewsSetup(t)
	h := s.h
	// A customer-user event of the target, and an event of another subject
	// type that happens to share the id: History keeps only the former.
	require.NoError(t, h.store.InTx(h.ctx, func(ctx context.Context) error {
		return h.store.Events().Append(ctx,
			cu.NewEvent(uuid.New(), h.clock.Now(), h.admin, "customer_user.updated", "customer_user", s.target.ID, []cu.Change{{Field: "firstName", Before: "A", After: "B"}}),
			cu.NewEvent(uuid.New(), h.clock.Now(), h.admin, "customer.updated", "customer", s.target.ID, nil),
		)
	}))
	var want []cu.Event
	for _, e := range h.events(s.target.ID) {
		if e.SubjectType == "customer_user" {
			want = append(want, e)
		}
	}
	require.NotEmpty(t, want)

	page, err := h.svc.History(h.ctx, h.admin, s.target.ID, cu.Page{})
	require.NoError(t, err)
	assert.Equal(t, want, page.Items)
	assert.Empty(t, page.NextCursor)

	page, err = h.svc.History(h.ctx, s.corpAuditor, s.target.ID, cu.Page{Limit: 1})
	require.NoError(t, err)
	require.Len(t, page.Items, 1)
	assert.Equal(t, want[0], page.Items[0])
	if len(want) > 1 {
		assert.NotEmpty(t, page.NextCursor)
	}

	page, err = h.svc.History(h.ctx, cu.SystemActor(h.org), s.target.ID, cu.Page{})
	require.NoError(t, err)
	assert.Equal(t, want, page.Items)

	tests := []struct {
		name  string
		actor cu.Actor
		user  uuid.UUID
		want  error
	}{
		{"without the audit capability", s.corpView, s.target.ID, cu.ErrForbidden},
		{"department does not reach a child customer", s.deptViewer, s.target.ID, cu.ErrNotFound},
		{"corporate does not reach another customer", s.corpAuditor, s.outsider.ID, cu.ErrNotFound},
		{"unknown user", h.admin, uuid.New(), cu.ErrNotFound},
		{"another organization", cu.BackOfficeActor(uuid.New(), uuid.New()), s.target.ID, cu.ErrNotFound},
		{"anonymous", cu.AnonymousActor(h.org), s.target.ID, cu.ErrUnauthenticated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := h.svc.History(h.ctx, tt.actor, tt.user, cu.Page{})
			assert.ErrorIs(t, err, tt.want)
		})
	}

	_, err = h.svc.History(h.ctx, h.admin, s.target.ID, cu.Page{Limit: cu.MaxPageLimit + 1})
	custAssertInvalid(t, err, "limit", "max")
}

func TestRelated(t *testing.T) {
	base := time.Date(2026, 1, 10, 0, 0, 0, 0, time.UTC)
	orders := &viewsProvider{kind: "order", records: []customeruser.RelatedRecord{
		{ID: "o1", Label: "Order 1", At: base},
		{ID: "o2", Label: "Order 2", At: base.Add(48 * time.Hour), Link: "/orders/o2"},
	}}
	quotes := &viewsProvider{kind: "quote", records: []customeruser.RelatedRecord{
		{Kind: "rfq", ID: "r1", Label: "RFQ 1", At: base.Add(24 * time.Hour)},
		{ID: "q1", Label: "Quote 1", At: base.Add(72 * time.Hour)},
	}}
	empty := &viewsProvider{kind: "shopping_list"}
	s := newViewsSetup(t, customeruser.WithRelatedRecords(orders, quotes), customeruser.WithRelatedRecords(empty))
	h := s.h

	recs, err := h.svc.Related(h.ctx, h.admin, s.target.ID)
	require.NoError(t, err)
	assert.Equal(t, []customeruser.RelatedRecord{
		{Kind: "quote", ID: "q1", Label: "Quote 1", At: base.Add(72 * time.Hour)},
		{Kind: "order", ID: "o2", Label: "Order 2", At: base.Add(48 * time.Hour), Link: "/orders/o2"},
		{Kind: "rfq", ID: "r1", Label: "RFQ 1", At: base.Add(24 * time.Hour)},
		{Kind: "order", ID: "o1", Label: "Order 1", At: base},
	}, recs)
	assert.Equal(t, []uuid.UUID{s.target.ID}, orders.asked)
	assert.Equal(t, h.org, orders.org)
	assert.Equal(t, []uuid.UUID{s.target.ID}, empty.asked)

	// Storefront within reach sees the same; out of reach is not found and
	// asks no provider.
	recs, err = h.svc.Related(h.ctx, s.corpView, s.target.ID)
	require.NoError(t, err)
	assert.Len(t, recs, 4)
	_, err = h.svc.Related(h.ctx, s.deptViewer, s.target.ID)
	assert.ErrorIs(t, err, cu.ErrNotFound)
	_, err = h.svc.Related(h.ctx, cu.BackOfficeActor(uuid.New(), uuid.New()), s.target.ID)
	assert.ErrorIs(t, err, cu.ErrNotFound)
	assert.Len(t, orders.asked, 2)

	t.Run("a failing provider is an internal error", func(t *testing.T) {
		quotes.err = cu.NotFound("quote service")
		defer func() { quotes.err = nil }()
		_, err := h.svc.Related(h.ctx, h.admin, s.target.ID)
		assert.Equal(t, cu.CodeInternal, cu.CodeOf(err))
		assert.NotErrorIs(t, err, cu.ErrNotFound, "the provider's code does not leak")
		var e *cu.Error
		require.ErrorAs(t, err, &e)
		require.Error(t, e.Err)
		assert.Contains(t, e.Err.Error(), "quote service", "the cause is kept for logs")
	})

	t.Run("no providers", func(t *testing.T) {
		h := newHarness(t)
		c := h.customer("C", uuid.Nil)
		u := h.user(c.ID, "u@example.com")
		recs, err := h.svc.Related(h.ctx, h.admin, u.ID)
		require.NoError(t, err)
		assert.NotNil(t, recs)
		assert.Empty(t, recs)
	})
}

func TestLoginAttempts(t *testing.T) {
	s := newViewsSetup(t)
	h := s.h
	for i, ok := range []bool{false, true, false} {
		require.NoError(t, h.store.InTx(h.ctx, func(ctx context.Context) error {
			return h.store.LoginAttempts().Record(ctx, customeruser.LoginAttempt{
				ID: uuid.New(), OrganizationID: h.org, UserID: s.target.ID, Email: s.target.Email,
				At: h.clock.Now().Add(time.Duration(i) * time.Minute), Success: ok, Source: "test", IP: "192.0.2.1",
			})
		}))
	}
	page, err := h.svc.LoginAttempts(h.ctx, h.admin, s.target.ID, cu.Page{})
	require.NoError(t, err)
	require.Len(t, page.Items, 3)
	assert.True(t, page.Items[0].At.After(page.Items[1].At), "newest first")
	assert.True(t, page.Items[1].Success)

	page, err = h.svc.LoginAttempts(h.ctx, cu.SystemActor(h.org), s.target.ID, cu.Page{Limit: 2})
	require.NoError(t, err)
	assert.Len(t, page.Items, 2)
	assert.NotEmpty(t, page.NextCursor)

	page, err = h.svc.LoginAttempts(h.ctx, h.admin, s.outsider.ID, cu.Page{})
	require.NoError(t, err)
	assert.Empty(t, page.Items)

	tests := []struct {
		name  string
		actor cu.Actor
		user  uuid.UUID
		want  error
	}{
		{"storefront within reach", s.corpAuditor, s.target.ID, cu.ErrForbidden},
		{"storefront about itself", h.storefront(s.target), s.target.ID, cu.ErrForbidden},
		{"another organization", cu.BackOfficeActor(uuid.New(), uuid.New()), s.target.ID, cu.ErrNotFound},
		{"unknown user", h.admin, uuid.New(), cu.ErrNotFound},
		{"anonymous", cu.AnonymousActor(h.org), s.target.ID, cu.ErrUnauthenticated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := h.svc.LoginAttempts(h.ctx, tt.actor, tt.user, cu.Page{})
			assert.ErrorIs(t, err, tt.want)
		})
	}
}

func TestEffectiveSalesReps(t *testing.T) {
	h := newHarness(t)
	custRep, ownRep1, ownRep2 := uuid.New(), uuid.New(), uuid.New()
	withReps, err := h.svc.CreateCustomer(h.ctx, h.admin, customeruser.CustomerInput{Name: "Served", SalesRepIDs: []uuid.UUID{custRep}})
	require.NoError(t, err)
	without := h.customer("Unserved", uuid.Nil)

	own, err := h.svc.CreateUser(h.ctx, h.admin, customeruser.CreateUserInput{
		CustomerID: withReps.ID, Email: "own@example.com", FirstName: "Own", LastName: "Reps",
		RoleIDs: []uuid.UUID{h.buyerRole.ID}, Password: testPassword, SalesRepIDs: []uuid.UUID{ownRep1, ownRep2},
	})
	require.NoError(t, err)
	inherits := h.user(withReps.ID, "inherits@example.com")
	nobody := h.user(without.ID, "nobody@example.com")

	tests := []struct {
		name string
		user uuid.UUID
		want []uuid.UUID
	}{
		{"own list wins", own.ID, []uuid.UUID{ownRep1, ownRep2}},
		{"falls back to the customer's", inherits.ID, []uuid.UUID{custRep}},
		{"nobody serves", nobody.ID, []uuid.UUID{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := h.svc.EffectiveSalesReps(h.ctx, h.admin, tt.user)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}

	t.Run("the fallback follows the customer", func(t *testing.T) {
		newRep := uuid.New()
		_, err := h.svc.UpdateCustomer(h.ctx, h.admin, withReps.ID, customeruser.CustomerPatch{SalesRepIDs: custPtr([]uuid.UUID{newRep})}, 0)
		require.NoError(t, err)
		got, err := h.svc.EffectiveSalesReps(h.ctx, h.admin, inherits.ID)
		require.NoError(t, err)
		assert.Equal(t, []uuid.UUID{newRep}, got)
		got, err = h.svc.EffectiveSalesReps(h.ctx, h.admin, own.ID)
		require.NoError(t, err)
		assert.Equal(t, []uuid.UUID{ownRep1, ownRep2}, got)
	})

	t.Run("reach", func(t *testing.T) {
		viewer := custRole(h, "Dept Viewer", role.LevelDepartment, nil)
		actor := h.storefront(h.user(withReps.ID, "viewer@example.com", viewer.ID))
		_, err := h.svc.EffectiveSalesReps(h.ctx, actor, inherits.ID)
		require.NoError(t, err)
		_, err = h.svc.EffectiveSalesReps(h.ctx, actor, nobody.ID)
		assert.ErrorIs(t, err, cu.ErrNotFound)
		_, err = h.svc.EffectiveSalesReps(h.ctx, cu.BackOfficeActor(uuid.New(), uuid.New()), own.ID)
		assert.ErrorIs(t, err, cu.ErrNotFound)
		_, err = h.svc.EffectiveSalesReps(h.ctx, cu.AnonymousActor(h.org), own.ID)
		assert.ErrorIs(t, err, cu.ErrUnauthenticated)
	})
}
