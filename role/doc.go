// Package role decides what customer users may do: roles, permissions,
// access levels, capabilities, and the rules of delegated administration.
//
// # Roles
//
// A Role is a named set of grants and capabilities given to customer users.
// A predefined role (no customer) is offered to every customer of the
// organization; a customizable role belongs to one customer and only its
// users may hold it. Service.Seed creates the standard roles of an
// organization: Administrator (everything at its widest level, every
// capability), Buyer (the default role of new users) and the non-public
// Anonymous role. A role's code is derived from its label once and never
// changes; labels are unique per (organization, customer).
//
// # Grants and levels
//
// A Grant gives a Permission (view, create, edit, delete, assign, or one a
// resource adds) on a resource at a Level:
//
//   - none: nothing;
//   - user: the records the customer user owns itself;
//   - department: the records of the user's own customer;
//   - corporate: the records of the user's customer and of all its
//     descendants, at any depth, never its ancestors or siblings;
//   - full: everything of the organization, only for unowned resources.
//
// Which levels a resource offers depends on its Ownership (AllowedLevels):
// customer-user-owned resources offer user, department and corporate;
// customer-owned ones department and corporate; unowned ones only full. A
// user's roles accumulate: the effective level of a (resource, permission)
// is the widest among its roles, and capabilities (on/off rights such as
// manage_roles) are the union. A customizable role of another customer than
// the user's grants nothing, so a stale link never widens reach.
//
// # Deciding
//
// Authorizer.Grants loads an actor's effective grants once (one query for
// the roles, one for the customer subtree when a corporate grant needs it);
// Grants.Can then answers "may this actor do p to this record" from memory
// without allocating. The reach of a level is the set of customers it
// covers (Grants.InReach, Grants.ReachCustomers). Grants.Explain, and
// Service.Explain, tell which role granted what, for the UI and support.
// System and back-office actors are trusted: the host guards its back
// office, so they may do everything within their organization.
//
// # Delegation and escalation
//
// In the storefront a customer user with the manage_roles capability and
// permissions on customer_user_role manages roles within its reach:
// department is its own customer, corporate adds the descendants. It only
// sees self-managed, public roles, and a role outside its reach is reported
// as not found. Editing a predefined role makes a copy bound to its
// customer and moves its customer's holders to the copy. It can never
// escalate: it cannot create, edit or assign (Grants.CanAssign) a role
// granting a level above its own for any (resource, permission), or a
// capability it lacks (Grants.Escalations).
//
// # Host resources
//
// A host adds its own resources and capabilities to the Registry at
// start-up, before serving, then passes the registry to NewService:
//
//	reg := role.NewRegistry()
//	err := reg.Register(role.Resource{Name: "order", Label: "Order",
//		Ownership: role.OwnedByCustomerUser,
//		Permissions: []role.Permission{role.View, role.Create, role.Edit, "approve"}})
//	err = reg.RegisterCapability("approve_large_orders")
//
// Grants are validated against the registry (Registry.Validate): an unknown
// resource, permission or capability and a level the resource's ownership
// does not offer are field errors.
package role
