package role

import (
	"context"
	"fmt"
	"slices"

	"github.com/google/uuid"

	cu "github.com/b2bkit/customerusers"
)

// Target is the record an action is about, as far as reach is concerned.
type Target struct {
	// OwnerUserID is the customer user owning the record (for
	// customer-user-owned resources), or the customer user itself when the
	// record is a customer user.
	OwnerUserID uuid.UUID
	// CustomerID is the customer the record belongs to.
	CustomerID uuid.UUID
}

type grantKey struct {
	resource   string
	permission Permission
}

// Grants are the effective rights of one actor, loaded once (one query for
// the roles, one for the customer subtree when a corporate grant needs it)
// and then answered from memory without allocating.
type Grants struct {
	actor   cu.Actor
	trusted bool
	levels  map[grantKey]Level
	caps    map[string]struct{}
	// subtree holds the actor's customer and its descendants.
	subtree map[uuid.UUID]struct{}
	roles   []Role
}

// Actor returns whose grants these are.
func (g *Grants) Actor() cu.Actor { return g.actor }

// Roles returns the roles the grants were built from.
func (g *Grants) Roles() []Role { return g.roles }

// Level returns the effective level of a permission on a resource: the
// widest among the actor's roles. Trusted actors get LevelFull.
func (g *Grants) Level(resource string, p Permission) Level {
	if g.trusted {
		return LevelFull
	}
	return g.levels[grantKey{resource, p}]
}

// Has reports whether the actor holds a capability (union over roles).
func (g *Grants) Has(capability string) bool {
	if g.trusted {
		return true
	}
	_, ok := g.caps[capability]
	return ok
}

// Can reports whether the actor may perform p on a record of resource
// described by t.
func (g *Grants) Can(p Permission, resource string, t Target) bool {
	if g.trusted {
		return true
	}
	return g.reaches(g.levels[grantKey{resource, p}], t)
}

func (g *Grants) reaches(l Level, t Target) bool {
	switch l {
	case LevelFull:
		return true
	case LevelCorporate:
		_, ok := g.subtree[t.CustomerID]
		return ok
	case LevelDepartment:
		return t.CustomerID == g.actor.CustomerID && t.CustomerID != uuid.Nil
	case LevelUser:
		return t.OwnerUserID == g.actor.ID && t.OwnerUserID != uuid.Nil
	default:
		return false
	}
}

// InReach reports whether a customer lies within level l of the actor:
// department is the actor's own customer, corporate adds its descendants.
func (g *Grants) InReach(l Level, customerID uuid.UUID) bool {
	if g.trusted {
		return true
	}
	return g.reaches(l, Target{CustomerID: customerID})
}

// ReachCustomers lists the customers whose records p on resource reaches,
// for filtering lists. all is true when the reach is not limited by
// customer (trusted actors, full level); ids is empty when nothing is
// reached or only the actor's own records are (user level).
func (g *Grants) ReachCustomers(resource string, p Permission) (ids []uuid.UUID, all bool) {
	if g.trusted {
		return nil, true
	}
	switch g.levels[grantKey{resource, p}] {
	case LevelFull:
		return nil, true
	case LevelCorporate:
		ids = make([]uuid.UUID, 0, len(g.subtree))
		for id := range g.subtree {
			ids = append(ids, id)
		}
		slices.SortFunc(ids, func(a, b uuid.UUID) int { return slices.Compare(a[:], b[:]) })
		return ids, false
	case LevelDepartment:
		return []uuid.UUID{g.actor.CustomerID}, false
	}
	return nil, false
}

// Scope names a permission on a resource in an OAuth scope list
// ("customer_user:view"); capabilities are scopes under their own name.
func Scope(resource string, p Permission) string { return resource + ":" + string(p) }

// Authorizer answers "may this actor do that to this record".
type Authorizer struct {
	roles     Repository
	hierarchy Hierarchy
}

// NewAuthorizer returns an Authorizer reading roles from roles and the
// customer tree from hierarchy.
func NewAuthorizer(roles Repository, hierarchy Hierarchy) *Authorizer {
	return &Authorizer{roles: roles, hierarchy: hierarchy}
}

// Grants loads the effective grants of an actor. System and back-office
// actors are trusted; anonymous actors get nothing.
func (a *Authorizer) Grants(ctx context.Context, actor cu.Actor) (*Grants, error) {
	g := &Grants{actor: actor, trusted: actor.Trusted()}
	if g.trusted || actor.Kind != cu.ActorCustomerUser {
		return g, nil
	}
	roles, err := a.roles.GetMany(ctx, actor.OrganizationID, actor.RoleIDs)
	if err != nil {
		return nil, cu.Internal(err)
	}
	slices.SortFunc(roles, func(x, y Role) int { return slices.Compare(x.ID[:], y.ID[:]) })
	g.roles = roles
	g.levels = make(map[grantKey]Level)
	g.caps = make(map[string]struct{})
	var scopes map[string]bool
	if actor.Scopes != nil {
		scopes = make(map[string]bool, len(actor.Scopes))
		for _, sc := range actor.Scopes {
			scopes[sc] = true
		}
	}
	corporate := false
	for _, r := range roles {
		if !g.effective(r) {
			continue
		}
		for _, gr := range r.Grants {
			if scopes != nil && !scopes[Scope(gr.Resource, gr.Permission)] {
				continue
			}
			k := grantKey{gr.Resource, gr.Permission}
			if gr.Level > g.levels[k] {
				g.levels[k] = gr.Level
			}
			if gr.Level == LevelCorporate {
				corporate = true
			}
		}
		for _, c := range r.Capabilities {
			if scopes != nil && !scopes[c] {
				continue
			}
			g.caps[c] = struct{}{}
		}
	}
	g.subtree = map[uuid.UUID]struct{}{}
	if actor.CustomerID != uuid.Nil {
		g.subtree[actor.CustomerID] = struct{}{}
		if corporate {
			ids, err := a.hierarchy.Subtree(ctx, actor.OrganizationID, actor.CustomerID)
			if err != nil {
				return nil, cu.Internal(err)
			}
			for _, id := range ids {
				g.subtree[id] = struct{}{}
			}
		}
	}
	return g, nil
}

// Can loads the actor's grants and answers one question. Callers making
// several checks should load Grants once and ask it.
func (a *Authorizer) Can(ctx context.Context, actor cu.Actor, p Permission, resource string, t Target) (bool, error) {
	g, err := a.Grants(ctx, actor)
	if err != nil {
		return false, err
	}
	return g.Can(p, resource, t), nil
}

// effective reports whether role r counts for the actor: a customizable
// role of another customer grants nothing, so that a stale link (left by a
// customer change) never widens reach.
func (g *Grants) effective(r Role) bool {
	return r.Predefined() || r.CustomerID == g.actor.CustomerID
}

// Escalations returns, for a storefront actor, the grants and capabilities
// it may not hand out because they exceed what it holds itself: a grant
// above its own effective level for that resource and permission
// ("grants[i]", rule "escalation") or a capability it lacks
// ("capabilities[i]", rule "escalation"). Trusted actors never escalate.
// Indices refer to the slices given.
func (g *Grants) Escalations(grants []Grant, caps []string) []cu.Violation {
	if g.trusted {
		return nil
	}
	var v cu.Violations
	for i, gr := range grants {
		if own := g.Level(gr.Resource, gr.Permission); gr.Level > own {
			v.Addf(fmt.Sprintf("grants[%d]", i), "escalation",
				"You cannot grant %s on %s at level %s: your own level is %s.", gr.Permission, gr.Resource, gr.Level, own)
		}
	}
	for i, c := range caps {
		if !g.Has(c) {
			v.Addf(fmt.Sprintf("capabilities[%d]", i), "escalation", "You cannot grant capability %s: you do not hold it.", c)
		}
	}
	if len(v) == 0 {
		return nil
	}
	return v
}

// escalates reports whether any grant or capability exceeds the actor's.
func (g *Grants) escalates(grants []Grant, caps []string) bool {
	if g.trusted {
		return false
	}
	for _, gr := range grants {
		if gr.Level > g.Level(gr.Resource, gr.Permission) {
			return true
		}
	}
	for _, c := range caps {
		if !g.Has(c) {
			return true
		}
	}
	return false
}

// CanAssign reports whether the actor may give role r to a customer user.
// Trusted actors always may. A storefront actor may assign a role that is
// self-managed and public, predefined or of a customer within its reach
// (the widest of its levels for creating or editing customer users and for
// viewing roles), and that grants nothing beyond what the actor holds (no
// escalation). Other actors may not. Package customeruser calls it when a
// delegated administrator sets the roles of a user; checking that the role
// fits the user's customer is the caller's job.
func (g *Grants) CanAssign(r Role) bool {
	if g.trusted {
		return true
	}
	if g.actor.Kind != cu.ActorCustomerUser || r.OrganizationID != g.actor.OrganizationID {
		return false
	}
	if !r.SelfManaged || !r.Public {
		return false
	}
	if !r.Predefined() {
		l := max(g.Level(ResourceCustomerUser, Create), g.Level(ResourceCustomerUser, Edit), g.Level(ResourceCustomerUserRole, View))
		if !g.InReach(l, r.CustomerID) {
			return false
		}
	}
	return !g.escalates(r.Grants, r.Capabilities)
}
