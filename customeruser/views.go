package customeruser

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/google/uuid"

	cu "github.com/b2bkit/customerusers"
	"github.com/b2bkit/customerusers/role"
)

// viewsUser reads a customer user of the actor's organization and checks
// that the actor may view it. Anonymous actors are unauthenticated; a user
// of another organization or out of reach is not found.
func (s *Service) viewsUser(ctx context.Context, actor cu.Actor, userID uuid.UUID) (User, *role.Grants, error) {
	switch actor.Kind {
	case cu.ActorSystem, cu.ActorBackOffice, cu.ActorCustomerUser:
	default:
		return User{}, nil, cu.NewError(cu.CodeUnauthenticated, "sign in to view customer users")
	}
	u, err := s.d.Users.Get(ctx, actor.OrganizationID, userID)
	if err != nil {
		return User{}, nil, cu.Internal(err)
	}
	g, err := s.authorizeUser(ctx, actor, role.View, u)
	if err != nil {
		return User{}, nil, err
	}
	return u, g, nil
}

// History pages the events of a customer user in the order they happened:
// who changed what and when (field-level before/after). Storefront actors
// also need the view_audit_history capability.
func (s *Service) History(ctx context.Context, actor cu.Actor, userID uuid.UUID, p cu.Page) (cu.PageOf[cu.Event], error) {
	u, g, err := s.viewsUser(ctx, actor, userID)
	if err != nil {
		return cu.PageOf[cu.Event]{}, err
	}
	if !g.Has(role.CapViewAuditHistory) {
		return cu.PageOf[cu.Event]{}, cu.Forbidden("you may not view the history of customer users")
	}
	p, err = p.Normalize()
	if err != nil {
		return cu.PageOf[cu.Event]{}, err
	}
	page, err := s.d.Events.List(ctx, u.OrganizationID, cu.EventFilter{SubjectType: SubjectCustomerUser, SubjectID: u.ID}, p)
	if err != nil {
		return cu.PageOf[cu.Event]{}, cu.Internal(err)
	}
	return page, nil
}

// Related returns the host records (orders, quotes, shopping lists...) tied
// to a customer user, gathered from every registered RelatedRecords
// provider, newest first. Records without a Kind get their provider's.
// Any failing provider fails the whole call as an internal error, so that a
// partial list is never mistaken for a complete one.
func (s *Service) Related(ctx context.Context, actor cu.Actor, userID uuid.UUID) ([]RelatedRecord, error) {
	u, _, err := s.viewsUser(ctx, actor, userID)
	if err != nil {
		return nil, err
	}
	out := []RelatedRecord{}
	for _, p := range s.related {
		recs, err := p.List(ctx, u.OrganizationID, u.ID)
		if err != nil {
			// The cause is flattened (not wrapped) so that a provider's own
			// not-found or forbidden error is never mistaken for ours.
			return nil, &cu.Error{Code: cu.CodeInternal, Message: "related records are unavailable",
				Err: fmt.Errorf("related records provider %q: %s", p.Kind(), err)}
		}
		for _, r := range recs {
			if r.Kind == "" {
				r.Kind = p.Kind()
			}
			out = append(out, r)
		}
	}
	slices.SortStableFunc(out, func(a, b RelatedRecord) int {
		if c := b.At.Compare(a.At); c != 0 {
			return c
		}
		if c := cmp.Compare(a.Kind, b.Kind); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	return out, nil
}

// LoginAttempts pages a customer user's login attempts, newest first. It is
// for the back office (and system actors) only: storefront actors are
// forbidden, since attempts carry IP addresses and failure reasons.
func (s *Service) LoginAttempts(ctx context.Context, actor cu.Actor, userID uuid.UUID, p cu.Page) (cu.PageOf[LoginAttempt], error) {
	if actor.Kind == cu.ActorCustomerUser {
		return cu.PageOf[LoginAttempt]{}, cu.Forbidden("login attempts are visible in the back office only")
	}
	u, _, err := s.viewsUser(ctx, actor, userID)
	if err != nil {
		return cu.PageOf[LoginAttempt]{}, err
	}
	p, err = p.Normalize()
	if err != nil {
		return cu.PageOf[LoginAttempt]{}, err
	}
	page, err := s.d.Attempts.List(ctx, u.OrganizationID, u.ID, p)
	if err != nil {
		return cu.PageOf[LoginAttempt]{}, cu.Internal(err)
	}
	return page, nil
}

// EffectiveSalesReps returns the sales representatives that serve a
// customer user: its own list when non-empty, else its customer's. The
// fallback is computed at read time, never copied, so a change of the
// customer's representatives applies at once to users without their own.
// A user the actor may not view is not found; see EffectiveSalesRepsOf for
// many users at once, and GetUserView for a user with its representatives
// in one read.
func (s *Service) EffectiveSalesReps(ctx context.Context, actor cu.Actor, userID uuid.UUID) ([]uuid.UUID, error) {
	u, _, err := s.viewsUser(ctx, actor, userID)
	if err != nil {
		return nil, err
	}
	reps, err := s.EffectiveSalesRepsOf(ctx, actor, []User{u})
	if err != nil {
		return nil, err
	}
	if r, ok := reps[u.ID]; ok {
		return r, nil
	}
	return nil, cu.NotFound("customer user")
}

// EffectiveSalesRepsOf is EffectiveSalesReps for users already read (a
// page of ListUsers, say), with one read of the customers of all the users
// that have no representatives of their own, so that a list costs no read
// per user. The map has an entry, never nil, for every user of the actor's
// organization that the actor may view; the others are left out (the
// caller shows nothing for them). Anonymous actors are unauthenticated.
func (s *Service) EffectiveSalesRepsOf(ctx context.Context, actor cu.Actor, users []User) (map[uuid.UUID][]uuid.UUID, error) {
	switch actor.Kind {
	case cu.ActorSystem, cu.ActorBackOffice, cu.ActorCustomerUser:
	default:
		return nil, cu.NewError(cu.CodeUnauthenticated, "sign in to view customer users")
	}
	out := make(map[uuid.UUID][]uuid.UUID, len(users))
	if len(users) == 0 {
		return out, nil
	}
	g, err := s.d.Authorizer.Grants(ctx, actor)
	if err != nil {
		return nil, err
	}
	var visible []User
	var customerIDs []uuid.UUID
	for _, u := range users {
		if u.OrganizationID != actor.OrganizationID ||
			!g.Can(role.View, role.ResourceCustomerUser, role.Target{OwnerUserID: u.ID, CustomerID: u.CustomerID}) {
			continue
		}
		visible = append(visible, u)
		if len(u.SalesRepIDs) == 0 && u.CustomerID != uuid.Nil && !slices.Contains(customerIDs, u.CustomerID) {
			customerIDs = append(customerIDs, u.CustomerID)
		}
	}
	customers := map[uuid.UUID][]uuid.UUID{}
	if len(customerIDs) > 0 {
		cs, err := s.d.Customers.GetMany(ctx, actor.OrganizationID, customerIDs)
		if err != nil {
			return nil, cu.Internal(err)
		}
		for _, c := range cs {
			if c.OrganizationID == actor.OrganizationID {
				customers[c.ID] = c.SalesRepIDs
			}
		}
	}
	for _, u := range visible {
		out[u.ID] = effectiveSalesReps(u, customers[u.CustomerID])
	}
	return out, nil
}
