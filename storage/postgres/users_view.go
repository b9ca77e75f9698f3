package postgres

import (
	"context"

	"github.com/google/uuid"

	cu "github.com/b2bkit/customerusers"
	"github.com/b2bkit/customerusers/customeruser"
)

var _ customeruser.UserViewReader = userRepo{}

// userByIDFrom finds the user of organization $1 with id $2 through a
// subquery fenced with OFFSET 0, so that the planner never plans with the
// organization's value. Planned with a value its statistics do not know (a
// new organization, or any but a dominant one), it estimates one row for
// "organization_id = value" and may then scan every row of the
// organization through an index on organization_id alone, filtering on id:
// 119 ms instead of 0.3 ms for an organization of 100,000 users. Behind the
// fence the only plan left is one probe of the primary key, whatever the
// statistics. See BENCHMARKS.md (CSV import) for the same problem with the
// e-mail look-ups.
const userByIDFrom = `
	FROM (SELECT $1::uuid AS org, $2::uuid AS id OFFSET 0) k
	JOIN customer_users u ON u.organization_id = k.org AND u.id = k.id`

// getUserViewSQL is the user of getUserSQL plus its customer's sales
// representatives (a correlated subquery on the customer's primary key),
// so that showing a user costs one round trip.
const getUserViewSQL = "SELECT " + userColumns + `,
	(SELECT c.sales_rep_ids FROM customers c
		WHERE c.organization_id = u.organization_id AND c.id = u.customer_id) AS customer_sales_rep_ids` + userByIDFrom

// userViewRow is a userRow with the sales representatives of its customer.
type userViewRow struct {
	userRow
	CustomerSalesRepIDs uuidArray `bun:"customer_sales_rep_ids"`
}

// GetWithCustomerSalesReps reads a user and its customer's sales
// representatives in one statement. It implements
// customeruser.UserViewReader.
func (r userRepo) GetWithCustomerSalesReps(ctx context.Context, org, id uuid.UUID) (customeruser.User, []uuid.UUID, error) {
	var row userViewRow
	found, err := r.s.fixedRow(ctx, []any{&row}, getUserViewSQL, org, id)
	if err != nil {
		return customeruser.User{}, nil, mapErr(err)
	}
	if !found {
		return customeruser.User{}, nil, cu.NotFound("customer user " + id.String())
	}
	return row.user(), []uuid.UUID(row.CustomerSalesRepIDs), nil
}
