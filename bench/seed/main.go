// Command seed adds customer users to an organization of a PostgreSQL
// database through the library's own service, for the HTTP load benchmark
// (bench/run-http.sh). It is not part of the library and has no tests.
//
//	go run ./bench/seed -dsn postgres://... -org <uuid> -users 10000 -out ids.txt
//
// The organization must already have customers and the seeded roles (the
// demo server seeds them into an empty database at its first start). Each
// user belongs to one of the organization's customers (round robin), has
// the default role and one address, like a typical buyer; passwords are
// hashed with cheap argon2 parameters so that seeding takes seconds (the
// benchmark reads users, it never logs in). The ids of the new users are
// written to -out, one a line.
//
// With -own-sales-reps each user gets a sales representative of its own,
// so that the benchmark can compare reading such a user with reading one
// that inherits its customer's representatives (both one statement since
// customeruser.UserViewReader; two for the inheriting user before).
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	cu "github.com/b2bkit/customerusers"
	"github.com/b2bkit/customerusers/customeruser"
	"github.com/b2bkit/customerusers/role"
	"github.com/b2bkit/customerusers/storage/postgres"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "seed:", err)
		os.Exit(1)
	}
}

func run() error {
	dsn := flag.String("dsn", os.Getenv("DATABASE_URL"), "PostgreSQL DSN (default $DATABASE_URL)")
	orgFlag := flag.String("org", "", "organization id (required)")
	n := flag.Int("users", 10000, "number of customer users to create")
	workers := flag.Int("workers", 4, "concurrent creations")
	out := flag.String("out", "", "file to write the new users' ids to (required)")
	ownReps := flag.Bool("own-sales-reps", false, "give each user a sales representative of its own")
	prefix := flag.String("email-prefix", "bench.user", "local part prefix of the e-mails (unique per seeding)")
	flag.Parse()
	org, err := uuid.Parse(*orgFlag)
	if err != nil {
		return fmt.Errorf("-org: %w", err)
	}
	if *dsn == "" || *out == "" {
		return errors.New("-dsn and -out are required")
	}
	ctx := context.Background()
	db, err := postgres.Open(ctx, *dsn, postgres.WithMaxConns(*workers))
	if err != nil {
		return err
	}
	defer db.Close()
	st := postgres.New(db)
	authz := role.NewAuthorizer(st.Roles(), st.Customers())
	cfg := customeruser.DefaultConfig()
	cfg.Argon2 = customeruser.Argon2Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}
	svc := customeruser.NewService(customeruser.Deps{Tx: st, Customers: st.Customers(), Users: st.Users(),
		Tokens: st.Tokens(), Attempts: st.LoginAttempts(), Events: st.Events(), Roles: st.Roles(), Authorizer: authz},
		customeruser.WithConfig(cfg))
	actor := cu.BackOfficeActor(org, uuid.Nil)

	customers, err := svc.ListCustomers(ctx, actor, customeruser.CustomerFilter{}, cu.Page{Limit: cu.MaxPageLimit})
	if err != nil {
		return fmt.Errorf("list customers: %w", err)
	}
	if len(customers.Items) == 0 {
		return fmt.Errorf("organization %s has no customers: start the demo server on the database first", org)
	}
	buyer, err := st.Roles().GetByCode(ctx, org, role.DefaultRoleCode)
	if err != nil {
		return fmt.Errorf("role %s: %w", role.DefaultRoleCode, err)
	}

	salesRep := uuid.MustParse("0190a0b0-0000-7000-8000-0000000000b1") // a host-side back-office user
	start := time.Now()
	ids := make([]uuid.UUID, *n)
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make([]error, *workers)
	for w := range *workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= *n {
					return
				}
				c := customers.Items[i%len(customers.Items)]
				var reps []uuid.UUID
				if *ownReps {
					reps = []uuid.UUID{salesRep}
				}
				u, err := svc.CreateUser(ctx, actor, customeruser.CreateUserInput{
					CustomerID: c.ID, Email: fmt.Sprintf("%s%07d@load.example", *prefix, i), SalesRepIDs: reps,
					FirstName: "Bench", LastName: fmt.Sprintf("User %d", i), Phone: "+49 30 1234567",
					RoleIDs: []uuid.UUID{buyer.ID}, GeneratePassword: true,
					Addresses: []customeruser.Address{{
						Label: "Office", Organization: c.Name, FirstName: "Bench", LastName: fmt.Sprintf("User %d", i),
						Street: fmt.Sprintf("Hauptstraße %d", 1+i%200), City: "Berlin", PostalCode: "10115",
						Country: "DE", Primary: true,
						Types: []customeruser.AddressTypeFlag{{Type: customeruser.Billing, Default: true},
							{Type: customeruser.Shipping, Default: true}},
					}},
				})
				if err != nil {
					errs[w] = fmt.Errorf("user %d: %w", i, err)
					return
				}
				ids[i] = u.ID
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}

	f, err := os.Create(*out)
	if err != nil {
		return err
	}
	bw := bufio.NewWriter(f)
	for _, id := range ids {
		fmt.Fprintln(bw, id)
	}
	if err := bw.Flush(); err != nil {
		_ = f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	fmt.Printf("seeded %d customer users in %s\n", *n, time.Since(start).Round(time.Millisecond))
	return nil
}
