package customeruser

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"

	cu "github.com/b2bkit/customerusers"
	"github.com/b2bkit/customerusers/role"
)

// The event types and subject type of customers.
const (
	EventCustomerCreated = "customer.created"
	EventCustomerUpdated = "customer.updated"
	EventCustomerDeleted = "customer.deleted"
	SubjectCustomer      = "customer"
)

// customerMaxLen is the longest name, group or external id of a customer.
const customerMaxLen = 255

// customerSnapshot is the event payload describing a whole customer.
type customerSnapshot struct {
	Name        string      `json:"name"`
	ParentID    any         `json:"parentId"`
	Group       string      `json:"group,omitempty"`
	SalesRepIDs []uuid.UUID `json:"salesRepIds,omitempty"`
	OwnerID     any         `json:"ownerId"`
	ExternalID  string      `json:"externalId,omitempty"`
}

func snapshotOf(c Customer) customerSnapshot {
	return customerSnapshot{
		Name: c.Name, ParentID: customerIDValue(c.ParentID), Group: c.Group,
		SalesRepIDs: c.SalesRepIDs, OwnerID: customerIDValue(c.OwnerID), ExternalID: c.ExternalID,
	}
}

// customerIDValue renders an optional id for event payloads: null when
// unset.
func customerIDValue(id uuid.UUID) any {
	if id == uuid.Nil {
		return nil
	}
	return id
}

// customerGrants loads the grants of an actor that may work on customers:
// anonymous actors (and actors without an organization) are refused as
// unauthenticated.
func (s *Service) customerGrants(ctx context.Context, actor cu.Actor) (*role.Grants, error) {
	switch actor.Kind {
	case cu.ActorSystem, cu.ActorBackOffice, cu.ActorCustomerUser:
	default:
		return nil, cu.NewError(cu.CodeUnauthenticated, "sign in to manage customers")
	}
	if actor.OrganizationID == uuid.Nil {
		return nil, cu.NewError(cu.CodeUnauthenticated, "the actor has no organization")
	}
	return s.d.Authorizer.Grants(ctx, actor)
}

// loadCustomer reads a customer of the actor's organization and checks that
// the actor may perform p on it. A customer the actor may not even view is
// reported as not found, so that nothing leaks; one it may view but not
// change gives forbidden.
func (s *Service) loadCustomer(ctx context.Context, g *role.Grants, p role.Permission, id uuid.UUID) (Customer, error) {
	actor := g.Actor()
	c, err := s.d.Customers.Get(ctx, actor.OrganizationID, id)
	if err != nil {
		return Customer{}, cu.Internal(err)
	}
	if c.OrganizationID != actor.OrganizationID {
		return Customer{}, cu.NotFound("customer")
	}
	t := role.Target{CustomerID: c.ID}
	if g.Can(p, role.ResourceCustomer, t) {
		return c, nil
	}
	if p != role.View && g.Can(role.View, role.ResourceCustomer, t) {
		return Customer{}, cu.Forbidden("you may not %s this customer", p)
	}
	return Customer{}, cu.NotFound("customer")
}

// validateCustomerFields normalises (trims) and checks the plain fields of
// c, appending violations to v.
func validateCustomerFields(c *Customer, v *cu.Violations) {
	c.Name = strings.TrimSpace(c.Name)
	c.Group = strings.TrimSpace(c.Group)
	c.ExternalID = strings.TrimSpace(c.ExternalID)
	switch {
	case c.Name == "":
		v.Add("name", "required", "The name is required.")
	case utf8.RuneCountInString(c.Name) > customerMaxLen:
		v.Addf("name", "max_length", "The name must be at most %d characters long.", customerMaxLen)
	}
	if utf8.RuneCountInString(c.Group) > customerMaxLen {
		v.Addf("group", "max_length", "The group must be at most %d characters long.", customerMaxLen)
	}
	if utf8.RuneCountInString(c.ExternalID) > customerMaxLen {
		v.Addf("externalId", "max_length", "The external id must be at most %d characters long.", customerMaxLen)
	}
	c.SalesRepIDs = customerCleanIDs(c.SalesRepIDs, "salesRepIds", v)
}

// customerCleanIDs drops duplicate ids (keeping the first occurrence) and
// reports nil ids.
func customerCleanIDs(ids []uuid.UUID, field string, v *cu.Violations) []uuid.UUID {
	if len(ids) == 0 {
		return nil
	}
	out := make([]uuid.UUID, 0, len(ids))
	for i, id := range ids {
		if id == uuid.Nil {
			v.Addf(fmt.Sprintf("%s[%d]", field, i), "required", "The id must not be empty.")
			continue
		}
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

// checkParent validates the parent of customer c (which may not exist yet,
// for a create) in the transaction of ctx: the parent must exist in the
// same organization and lie within the actor's reach for p, must not be c
// itself, and must not be one of c's descendants.
func (s *Service) checkParent(ctx context.Context, g *role.Grants, p role.Permission, c Customer, v *cu.Violations) error {
	if c.ParentID == uuid.Nil {
		if !g.Actor().Trusted() {
			// A top-level customer lies outside every storefront reach.
			v.Add("parentId", "required", "A parent customer within your reach is required.")
		}
		return nil
	}
	if c.ParentID == c.ID {
		v.Addf("parentId", "self_parent", "%q cannot be its own parent.", c.Name)
		return nil
	}
	parent, err := s.d.Customers.Get(ctx, c.OrganizationID, c.ParentID)
	if err != nil {
		if cu.CodeOf(err) == cu.CodeNotFound {
			v.Add("parentId", "not_found", "The parent customer does not exist.")
			return nil
		}
		return cu.Internal(err)
	}
	if parent.OrganizationID != c.OrganizationID || !g.Can(p, role.ResourceCustomer, role.Target{CustomerID: parent.ID}) {
		v.Add("parentId", "not_found", "The parent customer does not exist.")
		return nil
	}
	if c.ID == uuid.Nil {
		return nil
	}
	ancestors, err := s.d.Customers.Ancestors(ctx, c.OrganizationID, parent.ID)
	if err != nil {
		return cu.Internal(err)
	}
	if slices.Contains(ancestors, c.ID) {
		v.Addf("parentId", "cycle", "%q cannot be the parent of %q because it is its descendant.", parent.Name, c.Name)
	}
	return nil
}

// CreateCustomer creates a customer. Storefront actors need the customer
// create permission at a level that reaches the new customer, which means
// corporate level and a parent within their reach (a department-level
// grant never reaches a new customer); they may not set sales
// representatives or the owner.
func (s *Service) CreateCustomer(ctx context.Context, actor cu.Actor, in CustomerInput) (Customer, error) {
	var out Customer
	err := s.d.Tx.InTx(ctx, func(ctx context.Context) error {
		g, err := s.customerGrants(ctx, actor)
		if err != nil {
			return err
		}
		if !actor.Trusted() && g.Level(role.ResourceCustomer, role.Create) < role.LevelCorporate {
			return cu.Forbidden("you may not create customers")
		}
		now := s.now()
		c := Customer{
			ID: uuid.Nil, OrganizationID: actor.OrganizationID, Name: in.Name, ParentID: in.ParentID,
			Group: in.Group, SalesRepIDs: slices.Clone(in.SalesRepIDs), OwnerID: in.OwnerID,
			ExternalID: in.ExternalID, CreatedAt: now, UpdatedAt: now, Version: 1,
		}
		var v cu.Violations
		validateCustomerFields(&c, &v)
		if !actor.Trusted() {
			if len(c.SalesRepIDs) > 0 {
				v.Add("salesRepIds", "forbidden_field", "Sales representatives cannot be set here.")
			}
			if c.OwnerID != uuid.Nil {
				v.Add("ownerId", "forbidden_field", "The owner cannot be set here.")
			}
		}
		if err := s.checkParent(ctx, g, role.Create, c, &v); err != nil {
			return err
		}
		if err := v.Err(); err != nil {
			return err
		}
		c.ID = s.newID()
		if err := s.d.Customers.Create(ctx, c); err != nil {
			return cu.Internal(err)
		}
		if err := s.record(ctx, actor, EventCustomerCreated, SubjectCustomer, c.ID, snapshotOf(c)); err != nil {
			return cu.Internal(err)
		}
		out = c
		return nil
	})
	if err != nil {
		return Customer{}, err
	}
	return out, nil
}

// UpdateCustomer changes a customer. expectedVersion is the version the
// caller read; 0 means "no optimistic check". A stale version fails with
// cu.ErrStale. A patch that changes nothing writes nothing and returns the
// stored customer. Storefront actors need the customer edit permission
// reaching the customer (and the new parent), and may not change sales
// representatives or the owner.
func (s *Service) UpdateCustomer(ctx context.Context, actor cu.Actor, id uuid.UUID, p CustomerPatch, expectedVersion int64) (Customer, error) {
	var out Customer
	err := s.d.Tx.InTx(ctx, func(ctx context.Context) error {
		g, err := s.customerGrants(ctx, actor)
		if err != nil {
			return err
		}
		cur, err := s.loadCustomer(ctx, g, role.Edit, id)
		if err != nil {
			return err
		}
		if expectedVersion != 0 && expectedVersion != cur.Version {
			return cu.Stale("customer")
		}
		next := cur
		next.SalesRepIDs = slices.Clone(cur.SalesRepIDs)
		if p.Name != nil {
			next.Name = *p.Name
		}
		if p.ParentID != nil {
			next.ParentID = *p.ParentID
		}
		if p.Group != nil {
			next.Group = *p.Group
		}
		if p.SalesRepIDs != nil {
			next.SalesRepIDs = slices.Clone(*p.SalesRepIDs)
		}
		if p.OwnerID != nil {
			next.OwnerID = *p.OwnerID
		}
		if p.ExternalID != nil {
			next.ExternalID = *p.ExternalID
		}
		var v cu.Violations
		validateCustomerFields(&next, &v)
		if !actor.Trusted() {
			if !slices.Equal(next.SalesRepIDs, cur.SalesRepIDs) {
				v.Add("salesRepIds", "forbidden_field", "Sales representatives cannot be changed here.")
			}
			if next.OwnerID != cur.OwnerID {
				v.Add("ownerId", "forbidden_field", "The owner cannot be changed here.")
			}
		}
		if next.ParentID != cur.ParentID {
			if err := s.checkParent(ctx, g, role.Edit, next, &v); err != nil {
				return err
			}
		}
		if err := v.Err(); err != nil {
			return err
		}
		changes := customerChanges(cur, next)
		if len(changes) == 0 {
			out = cur
			return nil
		}
		next.UpdatedAt = s.now()
		next.Version = cur.Version + 1
		if err := s.d.Customers.Update(ctx, next, cur.Version); err != nil {
			return cu.Internal(err)
		}
		if err := s.record(ctx, actor, EventCustomerUpdated, SubjectCustomer, next.ID, changes); err != nil {
			return cu.Internal(err)
		}
		out = next
		return nil
	})
	if err != nil {
		return Customer{}, err
	}
	return out, nil
}

// customerChanges lists the field-level differences between two versions of
// a customer, in a fixed field order.
func customerChanges(before, after Customer) []cu.Change {
	var ch []cu.Change
	add := func(field string, b, a any) { ch = append(ch, cu.Change{Field: field, Before: b, After: a}) }
	if before.Name != after.Name {
		add("name", before.Name, after.Name)
	}
	if before.ParentID != after.ParentID {
		add("parentId", customerIDValue(before.ParentID), customerIDValue(after.ParentID))
	}
	if before.Group != after.Group {
		add("group", before.Group, after.Group)
	}
	if !slices.Equal(before.SalesRepIDs, after.SalesRepIDs) {
		add("salesRepIds", customerIDList(before.SalesRepIDs), customerIDList(after.SalesRepIDs))
	}
	if before.OwnerID != after.OwnerID {
		add("ownerId", customerIDValue(before.OwnerID), customerIDValue(after.OwnerID))
	}
	if before.ExternalID != after.ExternalID {
		add("externalId", before.ExternalID, after.ExternalID)
	}
	return ch
}

// customerIDList renders an id list for event payloads: [] rather than
// null when empty.
func customerIDList(ids []uuid.UUID) []uuid.UUID {
	if ids == nil {
		return []uuid.UUID{}
	}
	return ids
}

// DeleteCustomer deletes a customer. It is refused (conflict) while the
// customer still has customer users or child customers, so that no user is
// left without a company and no subtree is orphaned. expectedVersion 0
// means "no optimistic check".
func (s *Service) DeleteCustomer(ctx context.Context, actor cu.Actor, id uuid.UUID, expectedVersion int64) error {
	return s.d.Tx.InTx(ctx, func(ctx context.Context) error {
		g, err := s.customerGrants(ctx, actor)
		if err != nil {
			return err
		}
		c, err := s.loadCustomer(ctx, g, role.Delete, id)
		if err != nil {
			return err
		}
		if expectedVersion != 0 && expectedVersion != c.Version {
			return cu.Stale("customer")
		}
		users, err := s.d.Users.CountByCustomer(ctx, c.OrganizationID, c.ID)
		if err != nil {
			return cu.Internal(err)
		}
		if users > 0 {
			return cu.Conflict("customer %q still has %d customer user(s); move or delete them first", c.Name, users)
		}
		children, err := s.d.Customers.CountChildren(ctx, c.OrganizationID, c.ID)
		if err != nil {
			return cu.Internal(err)
		}
		if children > 0 {
			return cu.Conflict("customer %q still has %d child customer(s); move or delete them first", c.Name, children)
		}
		if err := s.d.Customers.Delete(ctx, c.OrganizationID, c.ID); err != nil {
			return cu.Internal(err)
		}
		if err := s.record(ctx, actor, EventCustomerDeleted, SubjectCustomer, c.ID, snapshotOf(c)); err != nil {
			return cu.Internal(err)
		}
		return nil
	})
}

// GetCustomer returns a customer. A customer of another organization, or
// one outside a storefront actor's view reach, is not found.
func (s *Service) GetCustomer(ctx context.Context, actor cu.Actor, id uuid.UUID) (Customer, error) {
	g, err := s.customerGrants(ctx, actor)
	if err != nil {
		return Customer{}, err
	}
	return s.loadCustomer(ctx, g, role.View, id)
}

// ListCustomers pages the customers of the actor's organization matching f.
// Storefront actors see only the customers their view grant reaches.
func (s *Service) ListCustomers(ctx context.Context, actor cu.Actor, f CustomerFilter, p cu.Page) (cu.PageOf[Customer], error) {
	g, err := s.customerGrants(ctx, actor)
	if err != nil {
		return cu.PageOf[Customer]{}, err
	}
	p, err = p.Normalize()
	if err != nil {
		return cu.PageOf[Customer]{}, err
	}
	f.IDs = slices.Clone(f.IDs)
	if ids, all := g.ReachCustomers(role.ResourceCustomer, role.View); !all {
		if len(f.IDs) > 0 {
			f.IDs = slices.DeleteFunc(f.IDs, func(id uuid.UUID) bool { return !slices.Contains(ids, id) })
		} else {
			f.IDs = ids
		}
		if len(f.IDs) == 0 {
			return cu.PageOf[Customer]{Items: []Customer{}}, nil
		}
	}
	page, err := s.d.Customers.List(ctx, actor.OrganizationID, f, p)
	if err != nil {
		return cu.PageOf[Customer]{}, cu.Internal(err)
	}
	return page, nil
}

// CustomerSubtree returns a customer and all its descendants (never its
// ancestors). Storefront actors get only the part within their view reach.
func (s *Service) CustomerSubtree(ctx context.Context, actor cu.Actor, id uuid.UUID) ([]uuid.UUID, error) {
	g, err := s.customerGrants(ctx, actor)
	if err != nil {
		return nil, err
	}
	c, err := s.loadCustomer(ctx, g, role.View, id)
	if err != nil {
		return nil, err
	}
	ids, err := s.d.Customers.Subtree(ctx, c.OrganizationID, c.ID)
	if err != nil {
		return nil, cu.Internal(err)
	}
	if !actor.Trusted() {
		ids = slices.DeleteFunc(ids, func(x uuid.UUID) bool {
			return !g.Can(role.View, role.ResourceCustomer, role.Target{CustomerID: x})
		})
	}
	return ids, nil
}
