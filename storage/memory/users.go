package memory

import (
	"context"
	"slices"
	"strconv"
	"time"

	"github.com/google/uuid"

	cu "github.com/b2bkit/customerusers"
	"github.com/b2bkit/customerusers/customeruser"
	"github.com/b2bkit/customerusers/role"
)

type userRepo struct{ s *Store }

func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

// cloneJSON deep-copies a decoded JSON value.
func cloneJSON(v any) any {
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = cloneJSON(e)
		}
		return m
	case []any:
		s := make([]any, len(x))
		for i, e := range x {
			s[i] = cloneJSON(e)
		}
		return s
	default:
		return v
	}
}

func cloneUser(u customeruser.User) customeruser.User {
	u.RoleIDs = slices.Clone(u.RoleIDs)
	u.SalesRepIDs = slices.Clone(u.SalesRepIDs)
	u.Addresses = slices.Clone(u.Addresses)
	for i := range u.Addresses {
		u.Addresses[i].Types = slices.Clone(u.Addresses[i].Types)
	}
	if u.Attributes != nil {
		u.Attributes = cloneJSON(u.Attributes).(map[string]any)
	}
	u.Birthday = clonePtr(u.Birthday)
	u.PasswordChangedAt = clonePtr(u.PasswordChangedAt)
	u.LastLoginAt = clonePtr(u.LastLoginAt)
	return u
}

func (r userRepo) Get(ctx context.Context, org, id uuid.UUID) (out customeruser.User, err error) {
	err = r.s.read(ctx, func() error {
		u, ok := r.s.users[id]
		if !ok || u.OrganizationID != org {
			return notFound("customer user", id)
		}
		out = cloneUser(u)
		return nil
	})
	return out, err
}

func (r userRepo) GetByEmailKey(ctx context.Context, org uuid.UUID, key string) (out customeruser.User, err error) {
	err = r.s.read(ctx, func() error {
		id, ok := r.s.emails[orgKey{org, key}]
		if !ok {
			return cu.NotFound("customer user")
		}
		out = cloneUser(r.s.users[id])
		return nil
	})
	return out, err
}

func (r userRepo) List(ctx context.Context, org uuid.UUID, f customeruser.UserFilter, p cu.Page) (out cu.PageOf[customeruser.User], err error) {
	err = r.s.read(ctx, func() error {
		var subtree map[uuid.UUID]bool
		if f.SubtreeOf != uuid.Nil {
			subtree = map[uuid.UUID]bool{}
			for _, id := range customerRepo(r).subtree(org, f.SubtreeOf) {
				subtree[id] = true
			}
		}
		var items []customeruser.User
		for _, u := range r.s.users {
			if u.OrganizationID == org && matchUser(u, f, subtree) {
				items = append(items, cloneUser(u))
			}
		}
		var key func(customeruser.User) string
		switch p.Sort.Field {
		case "", customeruser.SortCreatedAt:
			key = func(u customeruser.User) string { return timeKey(u.CreatedAt) }
		case customeruser.SortEmail:
			key = func(u customeruser.User) string { return textKey(u.Email) }
		case customeruser.SortLastName:
			key = func(u customeruser.User) string { return textKey(u.LastName) }
		default:
			return cu.FieldError("sort", "unknown", "users sort by createdAt, email or lastName")
		}
		out, err = paginate(items, key, func(u customeruser.User) uuid.UUID { return u.ID }, p, p.Sort.Desc)
		return err
	})
	return out, err
}

func matchUser(u customeruser.User, f customeruser.UserFilter, subtree map[uuid.UUID]bool) bool {
	switch {
	case f.CustomerID != uuid.Nil && u.CustomerID != f.CustomerID,
		subtree != nil && !subtree[u.CustomerID],
		len(f.CustomerIDs) > 0 && !slices.Contains(f.CustomerIDs, u.CustomerID),
		!inIDs(f.IDs, u.ID),
		!containsFold(u.Email, f.Email),
		f.Name != "" && !containsFold(u.FirstName, f.Name) && !containsFold(u.MiddleName, f.Name) && !containsFold(u.LastName, f.Name),
		f.Q != "" && !containsFold(u.Email, f.Q) && !containsFold(u.FirstName, f.Q) && !containsFold(u.MiddleName, f.Q) && !containsFold(u.LastName, f.Q),
		f.Enabled != nil && u.Enabled != *f.Enabled,
		f.Confirmed != nil && u.Confirmed != *f.Confirmed,
		f.Guest != nil && u.Guest != *f.Guest,
		f.AuthStatus != "" && u.AuthStatus != f.AuthStatus,
		f.RoleID != uuid.Nil && !slices.Contains(u.RoleIDs, f.RoleID),
		f.WebsiteID != uuid.Nil && u.WebsiteID != f.WebsiteID,
		!f.CreatedFrom.IsZero() && u.CreatedAt.Before(f.CreatedFrom),
		!f.CreatedTo.IsZero() && !u.CreatedAt.Before(f.CreatedTo):
		return false
	}
	return true
}

// index keeps the e-mail index in step with a write of u (old is the
// previous version, if any).
func (r userRepo) index(t *txn, old *customeruser.User, u *customeruser.User) error {
	if old != nil && !old.Guest {
		del(t, r.s.emails, orgKey{old.OrganizationID, old.EmailKey})
	}
	if u != nil && !u.Guest {
		k := orgKey{u.OrganizationID, u.EmailKey}
		if _, taken := r.s.emails[k]; taken {
			return cu.FieldError("email", "unique", "This email is already used.")
		}
		put(t, r.s.emails, k, u.ID)
	}
	return nil
}

// checkRefs mirrors the foreign keys of a user row.
func (r userRepo) checkRefs(u customeruser.User) error {
	if c, ok := r.s.customers[u.CustomerID]; u.CustomerID != uuid.Nil && (!ok || c.OrganizationID != u.OrganizationID) {
		return cu.FieldError("customerId", "not_found", "The customer does not exist.")
	}
	for i, id := range u.RoleIDs {
		if x, ok := r.s.roles[id]; !ok || x.OrganizationID != u.OrganizationID {
			return cu.FieldError(roleField(i), "not_found", "The role does not exist.")
		}
	}
	return nil
}

func roleField(i int) string { return "roleIds[" + strconv.Itoa(i) + "]" }

func (r userRepo) Create(ctx context.Context, u customeruser.User) error {
	return r.s.write(ctx, func(t *txn) error { return r.create(t, u) })
}

// create stores a new user in t with Create's checks.
func (r userRepo) create(t *txn, u customeruser.User) error {
	if _, ok := r.s.users[u.ID]; ok {
		return cu.Conflict("customer user %s already exists", u.ID)
	}
	if err := r.checkRefs(u); err != nil {
		return err
	}
	if err := r.index(t, nil, &u); err != nil {
		return err
	}
	put(t, r.s.users, u.ID, cloneUser(u))
	return nil
}

func (r userRepo) Update(ctx context.Context, u customeruser.User, expected int64) error {
	return r.s.write(ctx, func(t *txn) error { return r.update(t, u, expected) })
}

// update is Update within a write.
func (r userRepo) update(t *txn, u customeruser.User, expected int64) error {
	old, ok := r.s.users[u.ID]
	if !ok || old.OrganizationID != u.OrganizationID {
		return notFound("customer user", u.ID)
	}
	if old.Version != expected {
		return cu.Stale("customer user")
	}
	if err := r.checkRefs(u); err != nil {
		return err
	}
	if err := r.index(t, &old, &u); err != nil {
		return err
	}
	u = cloneUser(u)
	u.Version = expected + 1
	put(t, r.s.users, u.ID, u)
	return nil
}

func (r userRepo) Touch(ctx context.Context, u customeruser.User) error {
	return r.s.write(ctx, func(t *txn) error {
		old, ok := r.s.users[u.ID]
		if !ok || old.OrganizationID != u.OrganizationID {
			return notFound("customer user", u.ID)
		}
		old = cloneUser(old)
		old.LastLoginAt = clonePtr(u.LastLoginAt)
		old.LoginCount = u.LoginCount
		old.PasswordHash = u.PasswordHash
		put(t, r.s.users, u.ID, old)
		return nil
	})
}

func (r userRepo) Delete(ctx context.Context, org, id uuid.UUID) error {
	return r.s.write(ctx, func(t *txn) error {
		old, ok := r.s.users[id]
		if !ok || old.OrganizationID != org {
			return notFound("customer user", id)
		}
		if err := r.index(t, &old, nil); err != nil {
			return err
		}
		del(t, r.s.users, id)
		return nil
	})
}

func (r userRepo) CountByCustomer(ctx context.Context, org, customerID uuid.UUID) (n int, err error) {
	err = r.s.read(ctx, func() error {
		for _, u := range r.s.users {
			if u.OrganizationID == org && u.CustomerID == customerID {
				n++
			}
		}
		return nil
	})
	return n, err
}

func (r userRepo) CountHolders(ctx context.Context, org, roleID uuid.UUID) (n int, err error) {
	err = r.s.read(ctx, func() error {
		for _, u := range r.s.users {
			if u.OrganizationID == org && slices.Contains(u.RoleIDs, roleID) {
				n++
			}
		}
		return nil
	})
	return n, err
}

func (r userRepo) HoldersOutside(ctx context.Context, org, roleID, customerID uuid.UUID) (out []role.Holder, err error) {
	err = r.s.read(ctx, func() error {
		for _, u := range r.s.users {
			if u.OrganizationID == org && u.CustomerID != customerID && slices.Contains(u.RoleIDs, roleID) {
				out = append(out, role.Holder{UserID: u.ID, CustomerID: u.CustomerID, Enabled: u.Enabled, RoleCount: len(u.RoleIDs)})
			}
		}
		slices.SortFunc(out, func(a, b role.Holder) int { return slices.Compare(a.UserID[:], b.UserID[:]) })
		return nil
	})
	return out, err
}

// relink rewrites the role links of users of org matching pick.
func (r userRepo) relink(t *txn, org uuid.UUID, pick func(customeruser.User) bool, edit func([]uuid.UUID) []uuid.UUID) int {
	n := 0
	now := time.Now().UTC()
	for _, u := range r.s.users {
		if u.OrganizationID != org || !pick(u) {
			continue
		}
		u = cloneUser(u)
		u.RoleIDs = edit(u.RoleIDs)
		u.Version++
		u.UpdatedAt = now
		put(t, r.s.users, u.ID, u)
		n++
	}
	return n
}

func (r userRepo) Unassign(ctx context.Context, org, roleID uuid.UUID, userIDs []uuid.UUID) error {
	return r.s.write(ctx, func(t *txn) error {
		r.relink(t, org,
			func(u customeruser.User) bool {
				return slices.Contains(userIDs, u.ID) && slices.Contains(u.RoleIDs, roleID)
			},
			func(ids []uuid.UUID) []uuid.UUID {
				return slices.DeleteFunc(ids, func(x uuid.UUID) bool { return x == roleID })
			})
		return nil
	})
}

func (r userRepo) Replace(ctx context.Context, org, oldRoleID, newRoleID uuid.UUID, customerIDs []uuid.UUID) (n int, err error) {
	err = r.s.write(ctx, func(t *txn) error {
		if x, ok := r.s.roles[newRoleID]; !ok || x.OrganizationID != org {
			return notFound("role", newRoleID)
		}
		n = r.relink(t, org,
			func(u customeruser.User) bool {
				return slices.Contains(customerIDs, u.CustomerID) && slices.Contains(u.RoleIDs, oldRoleID)
			},
			func(ids []uuid.UUID) []uuid.UUID {
				out := make([]uuid.UUID, 0, len(ids))
				for _, x := range ids {
					if x == oldRoleID {
						x = newRoleID
					}
					if !slices.Contains(out, x) {
						out = append(out, x)
					}
				}
				return out
			})
		return nil
	})
	return n, err
}
