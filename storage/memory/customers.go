package memory

import (
	"context"
	"slices"

	"github.com/google/uuid"

	cu "github.com/b2bkit/customerusers"
	"github.com/b2bkit/customerusers/customeruser"
)

type customerRepo struct{ s *Store }

func cloneCustomer(c customeruser.Customer) customeruser.Customer {
	c.SalesRepIDs = slices.Clone(c.SalesRepIDs)
	return c
}

func (r customerRepo) Get(ctx context.Context, org, id uuid.UUID) (out customeruser.Customer, err error) {
	err = r.s.read(ctx, func() error {
		c, ok := r.s.customers[id]
		if !ok || c.OrganizationID != org {
			return notFound("customer", id)
		}
		out = cloneCustomer(c)
		return nil
	})
	return out, err
}

func (r customerRepo) GetMany(ctx context.Context, org uuid.UUID, ids []uuid.UUID) (out []customeruser.Customer, err error) {
	err = r.s.read(ctx, func() error {
		out = make([]customeruser.Customer, 0, len(ids))
		seen := map[uuid.UUID]bool{}
		for _, id := range ids {
			if c, ok := r.s.customers[id]; ok && c.OrganizationID == org && !seen[id] {
				seen[id] = true
				out = append(out, cloneCustomer(c))
			}
		}
		return nil
	})
	return out, err
}

func (r customerRepo) List(ctx context.Context, org uuid.UUID, f customeruser.CustomerFilter, p cu.Page) (out cu.PageOf[customeruser.Customer], err error) {
	err = r.s.read(ctx, func() error {
		var subtree map[uuid.UUID]bool
		if f.SubtreeOf != uuid.Nil {
			subtree = map[uuid.UUID]bool{}
			for _, id := range r.subtree(org, f.SubtreeOf) {
				subtree[id] = true
			}
		}
		var items []customeruser.Customer
		for _, c := range r.s.customers {
			switch {
			case c.OrganizationID != org, !inIDs(f.IDs, c.ID), !containsFold(c.Name, f.Name),
				f.ParentID != uuid.Nil && c.ParentID != f.ParentID,
				f.TopLevel && c.ParentID != uuid.Nil,
				subtree != nil && !subtree[c.ID]:
				continue
			}
			items = append(items, cloneCustomer(c))
		}
		key := func(c customeruser.Customer) string { return textKey(c.Name) }
		switch p.Sort.Field {
		case "", "name":
		case "createdAt":
			key = func(c customeruser.Customer) string { return timeKey(c.CreatedAt) }
		default:
			return cu.FieldError("sort", "unknown", "customers sort by name or createdAt")
		}
		out, err = paginate(items, key, func(c customeruser.Customer) uuid.UUID { return c.ID }, p, p.Sort.Desc)
		return err
	})
	return out, err
}

func (r customerRepo) uniqueExternalID(c customeruser.Customer) error {
	if c.ExternalID == "" {
		return nil
	}
	for _, o := range r.s.customers {
		if o.ID != c.ID && o.OrganizationID == c.OrganizationID && o.ExternalID == c.ExternalID {
			return cu.FieldError("externalId", "unique", "This external id is already used.")
		}
	}
	return nil
}

// checkParent mirrors the foreign key: a parent must exist in the same
// organization.
func (r customerRepo) checkParent(c customeruser.Customer) error {
	if c.ParentID == uuid.Nil {
		return nil
	}
	if p, ok := r.s.customers[c.ParentID]; !ok || p.OrganizationID != c.OrganizationID {
		return cu.FieldError("parentId", "not_found", "The parent customer does not exist.")
	}
	return nil
}

func (r customerRepo) Create(ctx context.Context, c customeruser.Customer) error {
	return r.s.write(ctx, func(t *txn) error {
		if _, ok := r.s.customers[c.ID]; ok {
			return cu.Conflict("customer %s already exists", c.ID)
		}
		if err := r.checkParent(c); err != nil {
			return err
		}
		if err := r.uniqueExternalID(c); err != nil {
			return err
		}
		put(t, r.s.customers, c.ID, cloneCustomer(c))
		return nil
	})
}

func (r customerRepo) Update(ctx context.Context, c customeruser.Customer, expected int64) error {
	return r.s.write(ctx, func(t *txn) error {
		old, ok := r.s.customers[c.ID]
		if !ok || old.OrganizationID != c.OrganizationID {
			return notFound("customer", c.ID)
		}
		if old.Version != expected {
			return cu.Stale("customer")
		}
		if err := r.checkParent(c); err != nil {
			return err
		}
		if err := r.uniqueExternalID(c); err != nil {
			return err
		}
		c = cloneCustomer(c)
		c.Version = expected + 1
		put(t, r.s.customers, c.ID, c)
		return nil
	})
}

func (r customerRepo) Delete(ctx context.Context, org, id uuid.UUID) error {
	return r.s.write(ctx, func(t *txn) error {
		old, ok := r.s.customers[id]
		if !ok || old.OrganizationID != org {
			return notFound("customer", id)
		}
		// Mirrors the foreign keys, which restrict deleting a customer
		// that still has users or children.
		for _, c := range r.s.customers {
			if c.ParentID == id {
				return cu.Conflict("customer %s still has child customers", id)
			}
		}
		for _, u := range r.s.users {
			if u.CustomerID == id {
				return cu.Conflict("customer %s still has customer users", id)
			}
		}
		del(t, r.s.customers, id)
		return nil
	})
}

func (r customerRepo) subtree(org, id uuid.UUID) []uuid.UUID {
	root, ok := r.s.customers[id]
	if !ok || root.OrganizationID != org {
		return nil
	}
	children := map[uuid.UUID][]uuid.UUID{}
	for _, c := range r.s.customers {
		if c.OrganizationID == org && c.ParentID != uuid.Nil {
			children[c.ParentID] = append(children[c.ParentID], c.ID)
		}
	}
	out := []uuid.UUID{id}
	for i := 0; i < len(out); i++ {
		out = append(out, children[out[i]]...)
	}
	return out
}

func (r customerRepo) Subtree(ctx context.Context, org, id uuid.UUID) (out []uuid.UUID, err error) {
	err = r.s.read(ctx, func() error {
		out = r.subtree(org, id)
		if out == nil {
			return notFound("customer", id)
		}
		return nil
	})
	return out, err
}

func (r customerRepo) Ancestors(ctx context.Context, org, id uuid.UUID) (out []uuid.UUID, err error) {
	err = r.s.read(ctx, func() error {
		c, ok := r.s.customers[id]
		if !ok || c.OrganizationID != org {
			return notFound("customer", id)
		}
		seen := map[uuid.UUID]bool{id: true}
		for c.ParentID != uuid.Nil && !seen[c.ParentID] {
			seen[c.ParentID] = true
			out = append(out, c.ParentID)
			if c, ok = r.s.customers[c.ParentID]; !ok {
				break
			}
		}
		return nil
	})
	return out, err
}

func (r customerRepo) CountChildren(ctx context.Context, org, id uuid.UUID) (n int, err error) {
	err = r.s.read(ctx, func() error {
		for _, c := range r.s.customers {
			if c.OrganizationID == org && c.ParentID == id {
				n++
			}
		}
		return nil
	})
	return n, err
}
