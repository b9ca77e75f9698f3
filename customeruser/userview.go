package customeruser

import (
	"context"
	"slices"

	"github.com/google/uuid"

	cu "github.com/b2bkit/customerusers"
	"github.com/b2bkit/customerusers/role"
)

// UserView is a customer user as an API shows one: the record and the
// sales representatives that serve it.
type UserView struct {
	User User
	// EffectiveSalesRepIDs are the user's own SalesRepIDs when it has any,
	// else its customer's (empty, never nil, when neither has any). They
	// are nil when the actor may not view the user through its grants: a
	// storefront user reading itself without a view grant on customer
	// users sees its record, not who serves it.
	EffectiveSalesRepIDs []uuid.UUID
}

// UserViewReader is an optional UserRepository extension that reads a user
// together with the sales representatives of its customer in one round
// trip, so that showing a user who inherits them costs one read instead of
// two. GetUserView uses it when Deps.Users implements it, and reads the
// customer apart otherwise.
type UserViewReader interface {
	// GetWithCustomerSalesReps is Get plus the SalesRepIDs of the user's
	// customer (of the same organization), read in the same statement or
	// snapshot; they are empty when the user has no customer or the
	// customer has none.
	GetWithCustomerSalesReps(ctx context.Context, org, id uuid.UUID) (User, []uuid.UUID, error)
}

// GetUserView is GetUser with the user's effective sales representatives
// (see EffectiveSalesReps): the same authorization (a user of another
// organization, or one a storefront actor may not view, is not found;
// storefront users always see themselves) and the same representatives
// as EffectiveSalesRepsOf gives for that user, in one storage read when
// the user repository implements UserViewReader.
func (s *Service) GetUserView(ctx context.Context, actor cu.Actor, id uuid.UUID) (UserView, error) {
	vr, ok := s.d.Users.(UserViewReader)
	if !ok {
		u, err := s.GetUser(ctx, actor, id)
		if err != nil {
			return UserView{}, err
		}
		reps, err := s.EffectiveSalesRepsOf(ctx, actor, []User{u})
		if err != nil {
			return UserView{}, err
		}
		return UserView{User: u, EffectiveSalesRepIDs: reps[u.ID]}, nil
	}
	if err := userActorCheck(actor); err != nil {
		return UserView{}, err
	}
	u, customerReps, err := vr.GetWithCustomerSalesReps(ctx, actor.OrganizationID, id)
	if err != nil {
		return UserView{}, cu.Internal(err)
	}
	var g *role.Grants
	if actor.Kind == cu.ActorCustomerUser && actor.ID == u.ID && u.OrganizationID == actor.OrganizationID {
		g, err = s.d.Authorizer.Grants(ctx, actor)
	} else {
		g, err = s.authorizeUser(ctx, actor, role.View, u)
	}
	if err != nil {
		return UserView{}, err
	}
	v := UserView{User: u}
	if g.Can(role.View, role.ResourceCustomerUser, role.Target{OwnerUserID: u.ID, CustomerID: u.CustomerID}) {
		v.EffectiveSalesRepIDs = effectiveSalesReps(u, customerReps)
	}
	return v, nil
}

// effectiveSalesReps is the rule of EffectiveSalesReps: the user's own
// representatives when it has any, else its customer's; a fresh slice,
// empty rather than nil.
func effectiveSalesReps(u User, customerReps []uuid.UUID) []uuid.UUID {
	reps := u.SalesRepIDs
	if len(reps) == 0 && u.CustomerID != uuid.Nil {
		reps = customerReps
	}
	if len(reps) == 0 {
		return []uuid.UUID{}
	}
	return slices.Clone(reps)
}
