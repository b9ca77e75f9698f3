package customeruser

import (
	"context"
	"fmt"
	"slices"

	"github.com/google/uuid"

	cu "github.com/b2bkit/customerusers"
	"github.com/b2bkit/customerusers/role"
)

// Delegated administration (SPEC §4): what a storefront actor (a customer
// user) may do to customer users. Trusted actors (system, back office) pass
// every check here. For a storefront actor:
//
//   - reach: it sees and changes users of the customers its grants on
//     customer_user reach (department = its own customer, corporate = its
//     customer and descendants); a user out of reach is not found;
//   - creating needs role.Create on customer_user reaching the new user's
//     customer, moving a user needs role.Assign reaching the new customer
//     ("customerId", rule "out_of_reach" otherwise);
//   - the roles it gives must pass Grants.CanAssign: self-managed and public,
//     granting nothing beyond what it holds ("roleIds[i]", "not_assignable");
//   - sales representatives, owner, external id, the guest flag and other
//     users' addresses are not editable there ("forbidden_field");
//   - never itself: it cannot disable or delete its own account nor remove
//     its own last role granting manage_users (forbidden);
//   - it may edit its own profile with capability update_own_profile even
//     without Edit on customer_user, but then only the name parts, birthday,
//     phone, e-mail and preferred localization;
//   - it never sets a password through UpdateUser ("password",
//     "forbidden_field"): ChangePassword asks for the current password of
//     oneself, and manage_passwords with edit reach for another user.

// delegatedForbiddenFields are the user fields a storefront actor never
// changes.
var delegatedForbiddenFields = map[string]string{
	"salesRepIds": "Sales representatives cannot be changed here.",
	"ownerId":     "The owner cannot be changed here.",
	"externalId":  "The external id cannot be changed here.",
	"guest":       "The guest flag cannot be changed here.",
}

// ownProfileFields are what update_own_profile lets a user change about
// itself. The auth status follows a new password (which only ChangePassword
// sets for a storefront actor).
var ownProfileFields = map[string]bool{
	"namePrefix": true, "firstName": true, "middleName": true, "lastName": true, "nameSuffix": true,
	"birthday": true, "phone": true, "email": true, "authStatus": true,
	"preferredLocalizationId": true,
}

// delegatedCreateGrants loads the actor's grants for creating a user; a
// storefront actor without any create grant on customer users is refused.
func (s *Service) delegatedCreateGrants(ctx context.Context, actor cu.Actor) (*role.Grants, error) {
	g, err := s.d.Authorizer.Grants(ctx, actor)
	if err != nil {
		return nil, err
	}
	if !actor.Trusted() && g.Level(role.ResourceCustomerUser, role.Create) == role.LevelNone {
		return nil, cu.Forbidden("you may not create customer users")
	}
	return g, nil
}

// delegatedCustomerInReach reports whether p on customer users reaches
// customerID, adding "customerId"/"out_of_reach" when not. An unset
// customer is left to the "required" rule. A customer out of reach is not
// looked up, so that its existence does not leak.
func delegatedCustomerInReach(g *role.Grants, p role.Permission, customerID uuid.UUID, v *cu.Violations) bool {
	if customerID == uuid.Nil || g.Actor().Trusted() {
		return true
	}
	if g.Can(p, role.ResourceCustomerUser, role.Target{CustomerID: customerID}) {
		return true
	}
	v.Add("customerId", "out_of_reach", "This customer is outside your reach.")
	return false
}

// delegatedCreate checks the storefront limits of a new user u made from
// in; rawRoles are the role ids as given (violation indices refer to them)
// and roles the roles found.
func delegatedCreate(g *role.Grants, in CreateUserInput, u User, rawRoles []uuid.UUID, roles map[uuid.UUID]role.Role, v *cu.Violations) {
	if g.Actor().Trusted() {
		return
	}
	if len(in.SalesRepIDs) > 0 {
		v.Add("salesRepIds", "forbidden_field", delegatedForbiddenFields["salesRepIds"])
	}
	if in.OwnerID != uuid.Nil {
		v.Add("ownerId", "forbidden_field", delegatedForbiddenFields["ownerId"])
	}
	if in.ExternalID != "" {
		v.Add("externalId", "forbidden_field", delegatedForbiddenFields["externalId"])
	}
	if in.Guest {
		v.Add("guest", "forbidden_field", delegatedForbiddenFields["guest"])
	}
	if len(in.Addresses) > 0 {
		v.Add("addresses", "forbidden_field", "The addresses of other users cannot be edited here.")
	}
	delegatedRoles(g, u, rawRoles, nil, roles, v)
}

// delegatedRoles reports the roles among rawRoles, not held before, that
// the actor may not assign. Roles already reported (unknown, of another
// customer) are skipped.
func delegatedRoles(g *role.Grants, u User, rawRoles, held []uuid.UUID, roles map[uuid.UUID]role.Role, v *cu.Violations) {
	for i, id := range rawRoles {
		r, ok := roles[id]
		if !ok || slices.Contains(held, id) || (!r.Predefined() && r.CustomerID != u.CustomerID) {
			continue
		}
		if !g.CanAssign(r) {
			v.Addf(fmt.Sprintf("roleIds[%d]", i), "not_assignable", "You may not assign the role %q.", r.Label)
		}
	}
}

// authorizeUserEdit checks that actor may edit u. selfOnly is true when a
// storefront user edits itself through update_own_profile alone (no Edit
// grant reaching itself), which limits the fields it may change.
func (s *Service) authorizeUserEdit(ctx context.Context, actor cu.Actor, u User) (g *role.Grants, selfOnly bool, err error) {
	if actor.Kind != cu.ActorCustomerUser || actor.ID != u.ID || actor.OrganizationID != u.OrganizationID {
		g, err := s.authorizeUser(ctx, actor, role.Edit, u)
		return g, false, err
	}
	g, err = s.d.Authorizer.Grants(ctx, actor)
	if err != nil {
		return nil, false, err
	}
	if g.Can(role.Edit, role.ResourceCustomerUser, role.Target{OwnerUserID: u.ID, CustomerID: u.CustomerID}) {
		return g, false, nil
	}
	if g.Has(role.CapUpdateOwnProfile) {
		return g, true, nil
	}
	return nil, false, cu.Forbidden("you may not edit your profile")
}

// delegatedUpdate checks the storefront limits of changing before into
// after. rawRoles are after's role ids as given, roles the roles found
// (with before's), changes the field-level changes.
func delegatedUpdate(g *role.Grants, selfOnly bool, before, after User, rawRoles []uuid.UUID, roles map[uuid.UUID]role.Role, changes []cu.Change, v *cu.Violations) error {
	actor := g.Actor()
	if actor.Trusted() {
		return nil
	}
	self := actor.ID == before.ID
	for _, c := range changes {
		if c.Field == "password" {
			continue // refused to every storefront actor by userPrepareUpdate
		}
		if selfOnly && !ownProfileFields[c.Field] {
			v.Add(c.Field, "forbidden_field", "You may change only your own profile details.")
			continue
		}
		if msg, ok := delegatedForbiddenFields[c.Field]; ok {
			v.Add(c.Field, "forbidden_field", msg)
		}
	}
	if self && before.Enabled && !after.Enabled {
		return cu.Forbidden("you cannot disable your own account")
	}
	if selfOnly || userSameIDSet(before.RoleIDs, after.RoleIDs) {
		return nil
	}
	delegatedRoles(g, after, rawRoles, before.RoleIDs, roles, v)
	if self && delegatedManagesUsers(before.RoleIDs, roles) && !delegatedManagesUsers(after.RoleIDs, roles) {
		return cu.Forbidden("you cannot remove your own last role that lets you manage users")
	}
	return nil
}

// delegatedManagesUsers reports whether any of ids grants manage_users.
func delegatedManagesUsers(ids []uuid.UUID, roles map[uuid.UUID]role.Role) bool {
	for _, id := range ids {
		if r, ok := roles[id]; ok && slices.Contains(r.Capabilities, role.CapManageUsers) {
			return true
		}
	}
	return false
}

// authorizeUserStatus checks that actor may perform p (edit to enable or
// disable, delete) on u; a storefront user may never disable or delete
// itself (verb names the action for the error).
func (s *Service) authorizeUserStatus(ctx context.Context, actor cu.Actor, p role.Permission, u User, verb string) error {
	if actor.Kind == cu.ActorCustomerUser && actor.ID == u.ID && verb != "enable" {
		return cu.Forbidden("you cannot %s your own account", verb)
	}
	_, err := s.authorizeUser(ctx, actor, p, u)
	return err
}

// authorizeAddressEdit checks that actor may perform p on the addresses of
// u. From the storefront a user edits only its own addresses, with a grant
// on customer_user_address reaching itself; another user's addresses are
// never editable there (forbidden when the actor may view that user, not
// found otherwise).
func (s *Service) authorizeAddressEdit(ctx context.Context, actor cu.Actor, u User, p role.Permission) error {
	if actor.OrganizationID != u.OrganizationID {
		return cu.NotFound("customer user")
	}
	if actor.Trusted() {
		return nil
	}
	g, err := s.d.Authorizer.Grants(ctx, actor)
	if err != nil {
		return err
	}
	if actor.Kind != cu.ActorCustomerUser || actor.ID != u.ID {
		if g.Can(role.View, role.ResourceCustomerUser, role.Target{OwnerUserID: u.ID, CustomerID: u.CustomerID}) {
			return cu.Forbidden("the addresses of other users cannot be edited here")
		}
		return cu.NotFound("customer user")
	}
	if !g.Can(p, role.ResourceCustomerUserAddress, role.Target{OwnerUserID: u.ID, CustomerID: u.CustomerID}) {
		return cu.Forbidden("you may not %s your addresses", p)
	}
	return nil
}
