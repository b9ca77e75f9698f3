package memory

import (
	"context"
	"slices"

	"github.com/google/uuid"

	"github.com/b2bkit/customerusers/customeruser"
)

var _ customeruser.UserViewReader = userRepo{}

// GetWithCustomerSalesReps reads a user and its customer's sales
// representatives under one read lock, so both come from the same
// state. It implements customeruser.UserViewReader.
func (r userRepo) GetWithCustomerSalesReps(ctx context.Context, org, id uuid.UUID) (out customeruser.User, reps []uuid.UUID, err error) {
	err = r.s.read(ctx, func() error {
		u, ok := r.s.users[id]
		if !ok || u.OrganizationID != org {
			return notFound("customer user", id)
		}
		out = cloneUser(u)
		if c, ok := r.s.customers[u.CustomerID]; ok && u.CustomerID != uuid.Nil && c.OrganizationID == org {
			reps = slices.Clone(c.SalesRepIDs)
		}
		return nil
	})
	return out, reps, err
}
