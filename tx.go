package customerusers

import "context"

// Transactor runs a function in one transaction. Repositories find the
// transaction in the context they are given, so a use case that writes
// several repositories commits or rolls back as one. When fn returns an
// error (or panics) nothing it wrote remains. A nested InTx joins the
// outer transaction.
type Transactor interface {
	InTx(ctx context.Context, fn func(ctx context.Context) error) error
}
