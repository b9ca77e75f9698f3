package memory

import (
	"context"
	"fmt"
	"slices"

	"github.com/google/uuid"

	cu "github.com/b2bkit/customerusers"
	"github.com/b2bkit/customerusers/customeruser"
)

// The optional extensions of the user repository that imports and exports
// detect.
var (
	_ customeruser.BatchUserWriter  = userRepo{}
	_ customeruser.BatchUserReader  = userRepo{}
	_ customeruser.BatchUserUpdater = userRepo{}
	_ customeruser.UserRoleCounter  = userRepo{}
)

// CreateMany creates the users with Create's checks, all or nothing. It
// implements customeruser.BatchUserWriter.
func (r userRepo) CreateMany(ctx context.Context, users []customeruser.User) error {
	return r.s.write(ctx, func(t *txn) error {
		return t.atomic(func() error {
			for _, u := range users {
				if err := r.create(t, u); err != nil {
					return err
				}
			}
			return nil
		})
	})
}

// UpdateMany updates the users with Update's checks, all or nothing; the
// error of a user is a *customeruser.BatchItemError naming it. It
// implements customeruser.BatchUserUpdater.
func (r userRepo) UpdateMany(ctx context.Context, users []customeruser.User, expectedVersions []int64) error {
	if len(expectedVersions) != len(users) {
		return cu.Internal(fmt.Errorf("UpdateMany: %d users but %d versions", len(users), len(expectedVersions)))
	}
	return r.s.write(ctx, func(t *txn) error {
		return t.atomic(func() error {
			for i, u := range users {
				if err := r.update(t, u, expectedVersions[i]); err != nil {
					return &customeruser.BatchItemError{Index: i, Err: err}
				}
			}
			return nil
		})
	})
}

// GetManyByEmailKeys returns the non-guest users of org with any of the
// keys. It implements customeruser.BatchUserReader.
func (r userRepo) GetManyByEmailKeys(ctx context.Context, org uuid.UUID, keys []string) (out []customeruser.User, err error) {
	err = r.s.read(ctx, func() error {
		out = []customeruser.User{}
		seen := map[uuid.UUID]bool{}
		for _, k := range keys {
			id, ok := r.s.emails[orgKey{org, k}]
			if !ok || seen[id] {
				continue
			}
			seen[id] = true
			out = append(out, cloneUser(r.s.users[id]))
		}
		slices.SortFunc(out, func(a, b customeruser.User) int {
			switch {
			case a.EmailKey < b.EmailKey:
				return -1
			case a.EmailKey > b.EmailKey:
				return 1
			}
			return 0
		})
		return nil
	})
	return out, err
}

// MaxRoleCount returns the largest number of roles one user matching f
// holds (0 when none matches). It implements customeruser.UserRoleCounter.
func (r userRepo) MaxRoleCount(ctx context.Context, org uuid.UUID, f customeruser.UserFilter) (n int, err error) {
	err = r.s.read(ctx, func() error {
		var subtree map[uuid.UUID]bool
		if f.SubtreeOf != uuid.Nil {
			subtree = map[uuid.UUID]bool{}
			for _, id := range customerRepo(r).subtree(org, f.SubtreeOf) {
				subtree[id] = true
			}
		}
		for _, u := range r.s.users {
			if u.OrganizationID == org && matchUser(u, f, subtree) {
				n = max(n, len(uniqueRoleIDs(u.RoleIDs)))
			}
		}
		return nil
	})
	return n, err
}

// uniqueRoleIDs returns ids without repeats.
func uniqueRoleIDs(ids []uuid.UUID) []uuid.UUID {
	out := make([]uuid.UUID, 0, len(ids))
	for _, id := range ids {
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}
