// Package demo seeds the demo organization shared by the example programs.
package demo

import (
	"context"
	"fmt"
	"io"

	"github.com/google/uuid"

	cu "github.com/b2bkit/customerusers"
	"github.com/b2bkit/customerusers/customeruser"
	"github.com/b2bkit/customerusers/role"
	"github.com/b2bkit/customerusers/storage/memory"
)

// Demo credentials printed by the examples. They exist only in the
// in-memory demo organization.
const (
	AdminEmail   = "admin@acme.example"
	BuyerEmail   = "buyer@acme-east.example"
	DemoPassword = "Demo-Passw0rd"
)

// Demo is a seeded organization with its services.
type Demo struct {
	Store      *memory.Store
	Sites      *customeruser.StaticSites
	Authz      *role.Authorizer
	Roles      *role.Service
	Users      *customeruser.Service
	Org        uuid.UUID
	BackOffice cu.Actor

	Parent, East, West   customeruser.Customer
	AdminRole, BuyerRole role.Role
	CustomerAdmin, Buyer customeruser.User
	Websites             []customeruser.Website
}

// Seed builds the demo organization in a new in-memory store: a customer
// hierarchy (ACME with two subsidiaries), the seeded roles, a customer
// administrator and a buyer, and two websites (one with two
// localizations).
func Seed(ctx context.Context) (*Demo, error) {
	d := &Demo{Store: memory.New(), Sites: customeruser.NewStaticSites(), Org: uuid.MustParse("0190a0b0-0000-7000-8000-000000000001")}
	d.BackOffice = cu.BackOfficeActor(d.Org, uuid.MustParse("0190a0b0-0000-7000-8000-0000000000ad"))
	d.Websites = []customeruser.Website{
		{ID: uuid.MustParse("0190a0b0-0000-7000-8000-0000000000a1"), Name: "ACME Store",
			Localizations: []uuid.UUID{uuid.MustParse("0190a0b0-0000-7000-8000-0000000000e1"), uuid.MustParse("0190a0b0-0000-7000-8000-0000000000e2")}},
		{ID: uuid.MustParse("0190a0b0-0000-7000-8000-0000000000a2"), Name: "ACME Outlet",
			Localizations: []uuid.UUID{uuid.MustParse("0190a0b0-0000-7000-8000-0000000000e1")}},
	}
	for _, w := range d.Websites {
		w.DefaultLocalizationID = w.Localizations[0]
		d.Sites.Add(d.Org, w)
	}
	d.Authz = role.NewAuthorizer(d.Store.Roles(), d.Store.Customers())
	d.Roles = role.NewService(role.Deps{Tx: d.Store, Roles: d.Store.Roles(), Holders: d.Store.Users(), Hierarchy: d.Store.Customers(),
		Events: d.Store.Events(), Authorizer: d.Authz, Registry: role.NewRegistry()})
	d.Users = customeruser.NewService(customeruser.Deps{Tx: d.Store, Customers: d.Store.Customers(),
		Users: d.Store.Users(), Tokens: d.Store.Tokens(), Attempts: d.Store.LoginAttempts(),
		Events: d.Store.Events(), Roles: d.Store.Roles(), Authorizer: d.Authz, Sites: d.Sites})

	seeded, err := d.Roles.Seed(ctx, d.Org)
	if err != nil {
		return nil, fmt.Errorf("seed roles: %w", err)
	}
	for _, r := range seeded {
		switch r.Code {
		case "ADMINISTRATOR":
			d.AdminRole = r
		case "BUYER":
			d.BuyerRole = r
		}
	}
	if d.Parent, err = d.Users.CreateCustomer(ctx, d.BackOffice, customeruser.CustomerInput{Name: "ACME Holding"}); err != nil {
		return nil, err
	}
	if d.East, err = d.Users.CreateCustomer(ctx, d.BackOffice, customeruser.CustomerInput{Name: "ACME East", ParentID: d.Parent.ID}); err != nil {
		return nil, err
	}
	if d.West, err = d.Users.CreateCustomer(ctx, d.BackOffice, customeruser.CustomerInput{Name: "ACME West", ParentID: d.Parent.ID}); err != nil {
		return nil, err
	}
	if d.CustomerAdmin, err = d.Users.CreateUser(ctx, d.BackOffice, customeruser.CreateUserInput{
		CustomerID: d.Parent.ID, Email: AdminEmail, FirstName: "Alice", LastName: "Admin",
		RoleIDs: []uuid.UUID{d.AdminRole.ID}, Password: DemoPassword,
	}); err != nil {
		return nil, err
	}
	if d.Buyer, err = d.Users.CreateUser(ctx, d.BackOffice, customeruser.CreateUserInput{
		CustomerID: d.East.ID, Email: BuyerEmail, FirstName: "Bob", LastName: "Buyer",
		RoleIDs: []uuid.UUID{d.BuyerRole.ID}, Password: DemoPassword,
	}); err != nil {
		return nil, err
	}
	return d, nil
}

// Report prints the demo organization, a login and a few authorization
// decisions.
func (d *Demo) Report(ctx context.Context, out io.Writer) error {
	fmt.Fprintf(out, "Demo organization %s\n\nCustomers:\n", d.Org)
	for _, c := range []customeruser.Customer{d.Parent, d.East, d.West} {
		parent := "-"
		if c.ParentID != uuid.Nil {
			parent = c.ParentID.String()
		}
		fmt.Fprintf(out, "  %-14s id=%s parent=%s\n", c.Name, c.ID, parent)
	}
	fmt.Fprintln(out, "\nRoles:")
	roles, err := d.Roles.List(ctx, d.BackOffice, role.Filter{}, cu.Page{})
	if err != nil {
		return err
	}
	for _, r := range roles.Items {
		fmt.Fprintf(out, "  %-14s code=%s public=%t self-managed=%t\n", r.Label, r.Code, r.Public, r.SelfManaged)
	}
	fmt.Fprintln(out, "\nCustomer users (demo credentials):")
	users, err := d.Users.ListUsers(ctx, d.BackOffice, customeruser.UserFilter{}, cu.Page{Sort: cu.Sort{Field: customeruser.SortEmail}})
	if err != nil {
		return err
	}
	for _, u := range users.Items {
		fmt.Fprintf(out, "  %-26s password=%s customer=%s\n", u.Email, DemoPassword, u.CustomerID)
	}

	logged, err := d.Users.Authenticate(ctx, d.Org, customeruser.Credentials{Email: "BUYER@acme-east.example", Password: DemoPassword, Source: "demo"})
	if err != nil {
		return fmt.Errorf("demo login: %w", err)
	}
	fmt.Fprintf(out, "\nLogin as %s (any case): ok, login count %d\n", logged.Email, logged.LoginCount)
	_, err = d.Users.Authenticate(ctx, d.Org, customeruser.Credentials{Email: BuyerEmail, Password: "wrong", Source: "demo"})
	fmt.Fprintf(out, "Login with a wrong password: %v\n", err)

	fmt.Fprintln(out, "\nAuthorization (storefront):")
	admin := cu.CustomerUserActor(d.Org, d.CustomerAdmin.ID, d.CustomerAdmin.CustomerID, d.CustomerAdmin.RoleIDs...)
	buyer := cu.CustomerUserActor(d.Org, d.Buyer.ID, d.Buyer.CustomerID, d.Buyer.RoleIDs...)
	target := role.Target{OwnerUserID: d.Buyer.ID, CustomerID: d.Buyer.CustomerID}
	for _, c := range []struct {
		who   string
		actor cu.Actor
		p     role.Permission
	}{
		{"Alice (Administrator of ACME Holding)", admin, role.Edit},
		{"Bob (Buyer of ACME East)", buyer, role.View},
		{"Bob (Buyer of ACME East)", buyer, role.Edit},
	} {
		ok, err := d.Authz.Can(ctx, c.actor, c.p, role.ResourceCustomerUser, target)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "  %-38s %-5s Bob's account: %t\n", c.who, c.p, ok)
	}
	return nil
}
