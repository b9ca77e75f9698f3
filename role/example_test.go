package role_test

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	cu "github.com/b2bkit/customerusers"
	"github.com/b2bkit/customerusers/customeruser"
	"github.com/b2bkit/customerusers/role"
	"github.com/b2bkit/customerusers/storage/memory"
)

// Seed the standard roles, load a buyer's grants once and ask questions
// about records of its own customer, of a subsidiary and about its own
// addresses.
func Example() {
	ctx := context.Background()
	store := memory.New()
	org := cu.NewID()
	svc := role.NewService(role.Deps{Tx: store, Roles: store.Roles(), Holders: store.Users(),
		Hierarchy: store.Customers(), Events: store.Events()})

	// A customer with a subsidiary.
	acme := customeruser.Customer{ID: cu.NewID(), OrganizationID: org, Name: "ACME", Version: 1}
	acmeEU := customeruser.Customer{ID: cu.NewID(), OrganizationID: org, Name: "ACME Europe", ParentID: acme.ID, Version: 1}
	for _, c := range []customeruser.Customer{acme, acmeEU} {
		if err := store.Customers().Create(ctx, c); err != nil {
			panic(err)
		}
	}

	seeded, err := svc.Seed(ctx, org)
	if err != nil {
		panic(err)
	}
	buyer, admin := seeded[1], seeded[0]

	alice := cu.CustomerUserActor(org, uuid.New(), acme.ID, buyer.ID)
	grants, err := svc.Authorizer().Grants(ctx, alice)
	if err != nil {
		panic(err)
	}
	colleague := role.Target{OwnerUserID: uuid.New(), CustomerID: acme.ID}
	subsidiary := role.Target{OwnerUserID: uuid.New(), CustomerID: acmeEU.ID}
	ownAddress := role.Target{OwnerUserID: alice.ID, CustomerID: acme.ID}

	fmt.Println("buyer views a colleague:", grants.Can(role.View, role.ResourceCustomerUser, colleague))
	fmt.Println("buyer views a subsidiary's user:", grants.Can(role.View, role.ResourceCustomerUser, subsidiary))
	fmt.Println("buyer edits a colleague:", grants.Can(role.Edit, role.ResourceCustomerUser, colleague))
	fmt.Println("buyer edits its own address:", grants.Can(role.Edit, role.ResourceCustomerUserAddress, ownAddress))
	fmt.Println("buyer manages roles:", grants.Has(role.CapManageRoles))

	bob := cu.CustomerUserActor(org, uuid.New(), acme.ID, admin.ID)
	grants, err = svc.Authorizer().Grants(ctx, bob)
	if err != nil {
		panic(err)
	}
	fmt.Println("administrator edits a subsidiary's user:", grants.Can(role.Edit, role.ResourceCustomerUser, subsidiary))
	fmt.Println("administrator may assign Buyer:", grants.CanAssign(buyer))
	// Output:
	// buyer views a colleague: true
	// buyer views a subsidiary's user: false
	// buyer edits a colleague: false
	// buyer edits its own address: true
	// buyer manages roles: false
	// administrator edits a subsidiary's user: true
	// administrator may assign Buyer: true
}
