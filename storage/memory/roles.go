package memory

import (
	"context"
	"slices"
	"strings"

	"github.com/google/uuid"

	cu "github.com/b2bkit/customerusers"
	"github.com/b2bkit/customerusers/role"
)

type roleRepo struct{ s *Store }

func cloneRole(r role.Role) role.Role {
	r.Grants = slices.Clone(r.Grants)
	r.Capabilities = slices.Clone(r.Capabilities)
	return r
}

func (r roleRepo) Get(ctx context.Context, org, id uuid.UUID) (out role.Role, err error) {
	err = r.s.read(ctx, func() error {
		x, ok := r.s.roles[id]
		if !ok || x.OrganizationID != org {
			return notFound("role", id)
		}
		out = cloneRole(x)
		return nil
	})
	return out, err
}

func (r roleRepo) GetByCode(ctx context.Context, org uuid.UUID, code string) (out role.Role, err error) {
	err = r.s.read(ctx, func() error {
		for _, x := range r.s.roles {
			if x.OrganizationID == org && x.Code == code {
				out = cloneRole(x)
				return nil
			}
		}
		return cu.NotFound("role " + code)
	})
	return out, err
}

func (r roleRepo) GetMany(ctx context.Context, org uuid.UUID, ids []uuid.UUID) (out []role.Role, err error) {
	err = r.s.read(ctx, func() error {
		out = make([]role.Role, 0, len(ids))
		for _, id := range ids {
			if x, ok := r.s.roles[id]; ok && x.OrganizationID == org && !slices.ContainsFunc(out, func(y role.Role) bool { return y.ID == id }) {
				out = append(out, cloneRole(x))
			}
		}
		return nil
	})
	return out, err
}

func (r roleRepo) List(ctx context.Context, org uuid.UUID, f role.Filter, p cu.Page) (out cu.PageOf[role.Role], err error) {
	err = r.s.read(ctx, func() error {
		var items []role.Role
		for _, x := range r.s.roles {
			if x.OrganizationID != org || !inIDs(f.IDs, x.ID) || !containsFold(x.Label, f.Label) {
				continue
			}
			if f.PredefinedOnly && !x.Predefined() {
				continue
			}
			if f.CustomerID != uuid.Nil && x.CustomerID != f.CustomerID && !(f.IncludePredefined && x.Predefined()) {
				continue
			}
			if len(f.CustomerIDs) > 0 && !slices.Contains(f.CustomerIDs, x.CustomerID) && !(f.IncludePredefined && x.Predefined()) {
				continue
			}
			if f.Storefront && !(x.SelfManaged && x.Public) {
				continue
			}
			items = append(items, cloneRole(x))
		}
		out, err = paginate(items, func(x role.Role) string { return textKey(x.Label) }, func(x role.Role) uuid.UUID { return x.ID }, p, p.Sort.Desc)
		return err
	})
	return out, err
}

// uniqueRole reports a taken code or (customer, label) among other roles.
func (r roleRepo) uniqueRole(x role.Role) error {
	for _, y := range r.s.roles {
		if y.ID == x.ID || y.OrganizationID != x.OrganizationID {
			continue
		}
		if y.Code == x.Code {
			return cu.FieldError("code", "unique", "This role code is already used.")
		}
		if y.CustomerID == x.CustomerID && strings.EqualFold(y.Label, x.Label) {
			return cu.FieldError("label", "unique", "A role with this label already exists.")
		}
	}
	return nil
}

func (r roleRepo) Create(ctx context.Context, x role.Role) error {
	return r.s.write(ctx, func(t *txn) error {
		if _, ok := r.s.roles[x.ID]; ok {
			return cu.Conflict("role %s already exists", x.ID)
		}
		if err := r.uniqueRole(x); err != nil {
			return err
		}
		put(t, r.s.roles, x.ID, cloneRole(x))
		return nil
	})
}

func (r roleRepo) Update(ctx context.Context, x role.Role, expected int64) error {
	return r.s.write(ctx, func(t *txn) error {
		old, ok := r.s.roles[x.ID]
		if !ok || old.OrganizationID != x.OrganizationID {
			return notFound("role", x.ID)
		}
		if old.Version != expected {
			return cu.Stale("role")
		}
		if err := r.uniqueRole(x); err != nil {
			return err
		}
		x = cloneRole(x)
		x.Version = expected + 1
		put(t, r.s.roles, x.ID, x)
		return nil
	})
}

func (r roleRepo) Delete(ctx context.Context, org, id uuid.UUID) error {
	return r.s.write(ctx, func(t *txn) error {
		old, ok := r.s.roles[id]
		if !ok || old.OrganizationID != org {
			return notFound("role", id)
		}
		del(t, r.s.roles, id)
		// Role links go with the role, as ON DELETE CASCADE does.
		for _, u := range r.s.users {
			if u.OrganizationID == org && slices.Contains(u.RoleIDs, id) {
				u = cloneUser(u)
				u.RoleIDs = slices.DeleteFunc(u.RoleIDs, func(x uuid.UUID) bool { return x == id })
				put(t, r.s.users, u.ID, u)
			}
		}
		return nil
	})
}
