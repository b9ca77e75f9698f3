package customeruser_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/google/uuid"

	cu "github.com/b2bkit/customerusers"
	"github.com/b2bkit/customerusers/customeruser"
	"github.com/b2bkit/customerusers/role"
	"github.com/b2bkit/customerusers/storage/memory"
)

// ExampleService_CreateUser wires the library over the in-memory storage,
// seeds the organization's roles, and creates a customer with one buyer
// whose password is generated (and never shown to anyone).
func ExampleService_CreateUser() {
	ctx := context.Background()
	store := memory.New()
	org := uuid.New()

	authz := role.NewAuthorizer(store.Roles(), store.Customers())
	roles := role.NewService(role.Deps{
		Tx: store, Roles: store.Roles(), Holders: store.Users(), Events: store.Events(), Authorizer: authz,
	})
	seeded, err := roles.Seed(ctx, org)
	if err != nil {
		log.Fatal(err)
	}
	var buyer role.Role
	for _, r := range seeded {
		if r.Code == role.DefaultRoleCode {
			buyer = r
		}
	}

	sites := customeruser.NewStaticSites()
	sites.Add(org, customeruser.Website{ID: uuid.New(), Name: "Shop"})

	svc := customeruser.NewService(customeruser.Deps{
		Tx: store, Customers: store.Customers(), Users: store.Users(), Tokens: store.Tokens(),
		Attempts: store.LoginAttempts(), Events: store.Events(), Roles: store.Roles(), Authorizer: authz,
		Sites: sites,
	})

	admin := cu.BackOfficeActor(org, uuid.New())
	acme, err := svc.CreateCustomer(ctx, admin, customeruser.CustomerInput{Name: "Acme Corp"})
	if err != nil {
		log.Fatal(err)
	}
	u, err := svc.CreateUser(ctx, admin, customeruser.CreateUserInput{
		CustomerID: acme.ID, Email: "Ada.Lovelace@Example.org", FirstName: "Ada", LastName: "Lovelace",
		RoleIDs: []uuid.UUID{buyer.ID}, GeneratePassword: true,
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(u.FullName(), "<"+u.Email+">", "key:", u.EmailKey)
	fmt.Println("customer:", u.CustomerID == acme.ID, "enabled:", u.Enabled, "confirmed:", u.Confirmed)
	fmt.Println("status:", u.AuthStatus, "version:", u.Version)

	// Another user may not take the same address in another case.
	_, err = svc.CreateUser(ctx, admin, customeruser.CreateUserInput{
		CustomerID: acme.ID, Email: "ada.lovelace@example.org", FirstName: "Ada", LastName: "L.",
		RoleIDs: []uuid.UUID{buyer.ID}, GeneratePassword: true,
	})
	var e *cu.Error
	if errors.As(err, &e) {
		v, _ := e.Violation("email")
		fmt.Println(e.Code, v.Field, v.Rule, v.Message)
	}
	// Output:
	// Ada Lovelace <Ada.Lovelace@Example.org> key: ada.lovelace@example.org
	// customer: true enabled: true confirmed: true
	// status: active version: 1
	// invalid email unique This email is already used.
}
