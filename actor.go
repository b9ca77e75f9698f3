package customerusers

import (
	"slices"

	"github.com/google/uuid"
)

// ActorKind says who performs an action.
type ActorKind string

// The kinds of actors.
const (
	// ActorSystem is the library or the host acting on its own (imports,
	// scheduled jobs, seeding). It is trusted within its organization.
	ActorSystem ActorKind = "system"
	// ActorBackOffice is a back-office user of the organization. The host
	// authenticates and authorizes back-office users; the library trusts them
	// within their organization.
	ActorBackOffice ActorKind = "back_office"
	// ActorCustomerUser is a customer user acting in the storefront; what it
	// may do is decided by its roles (package role).
	ActorCustomerUser ActorKind = "customer_user"
	// ActorAnonymous is an unauthenticated visitor (registration, forgot
	// password, confirmation links).
	ActorAnonymous ActorKind = "anonymous"
)

// Actor is who performs an action, in which organization.
type Actor struct {
	Kind           ActorKind
	OrganizationID uuid.UUID
	// ID is the back-office user id or the customer user id; uuid.Nil for
	// system and anonymous actors.
	ID uuid.UUID
	// CustomerID is the customer of a customer-user actor.
	CustomerID uuid.UUID
	// RoleIDs are the roles of a customer-user actor.
	RoleIDs []uuid.UUID
	// Scopes, when non-nil, narrow a customer-user actor's grants to the
	// listed "resource:permission" pairs and capability names, as an OAuth
	// access token does. Nil means the roles' full grants.
	Scopes []string
}

// SystemActor returns the trusted actor of an organization.
func SystemActor(org uuid.UUID) Actor { return Actor{Kind: ActorSystem, OrganizationID: org} }

// BackOfficeActor returns a back-office user of an organization.
func BackOfficeActor(org, userID uuid.UUID) Actor {
	return Actor{Kind: ActorBackOffice, OrganizationID: org, ID: userID}
}

// AnonymousActor returns an unauthenticated visitor of an organization.
func AnonymousActor(org uuid.UUID) Actor { return Actor{Kind: ActorAnonymous, OrganizationID: org} }

// CustomerUserActor returns a storefront actor.
func CustomerUserActor(org, userID, customerID uuid.UUID, roleIDs ...uuid.UUID) Actor {
	return Actor{Kind: ActorCustomerUser, OrganizationID: org, ID: userID, CustomerID: customerID, RoleIDs: slices.Clone(roleIDs)}
}

// Trusted reports whether the actor bypasses role checks: system and
// back-office actors (the host guards the back office).
func (a Actor) Trusted() bool { return a.Kind == ActorSystem || a.Kind == ActorBackOffice }

// Ref returns the reference recorded in events.
func (a Actor) Ref() ActorRef { return ActorRef{Kind: a.Kind, ID: a.ID} }

// ActorRef identifies an actor in the event log.
type ActorRef struct {
	Kind ActorKind `json:"kind"`
	ID   uuid.UUID `json:"id"`
}
