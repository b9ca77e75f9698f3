package consent_test

import (
	"context"
	"fmt"
	"log"

	"github.com/google/uuid"

	cu "github.com/b2bkit/customerusers"
	"github.com/b2bkit/customerusers/consent"
	"github.com/b2bkit/customerusers/customeruser"
	"github.com/b2bkit/customerusers/role"
	"github.com/b2bkit/customerusers/storage/memory"
)

// exampleShop wires customer users and consents over the in-memory
// storage: one organization with one website, seeded roles and one buyer.
type exampleShop struct {
	consents *consent.Service
	users    *customeruser.Service
	admin    cu.Actor
	website  uuid.UUID
	buyer    customeruser.User
}

func newExampleShop(ctx context.Context) exampleShop {
	store := memory.New()
	org := uuid.New()
	sites := customeruser.NewStaticSites()
	website := customeruser.Website{ID: uuid.New(), Name: "Shop"}
	sites.Add(org, website)
	authz := role.NewAuthorizer(store.Roles(), store.Customers())
	roles := role.NewService(role.Deps{Tx: store, Roles: store.Roles(), Holders: store.Users(), Events: store.Events(), Authorizer: authz})
	if _, err := roles.Seed(ctx, org); err != nil {
		log.Fatal(err)
	}
	consents := consent.NewService(consent.Deps{
		Tx: store, Definitions: store.Consents(), Ledger: store.ConsentLedger(), Users: store.Users(),
		Events: store.Events(), Sites: sites, Authorizer: authz,
	})
	users := customeruser.NewService(customeruser.Deps{
		Tx: store, Customers: store.Customers(), Users: store.Users(), Tokens: store.Tokens(),
		Attempts: store.LoginAttempts(), Events: store.Events(), Roles: store.Roles(), Authorizer: authz, Sites: sites,
	}, customeruser.WithRegistrationHook(consent.RegistrationHook(consents)),
		customeruser.WithDeleteHook(consent.DeleteHook(consents)))
	admin := cu.BackOfficeActor(org, uuid.New())
	buyerRole, err := store.Roles().GetByCode(ctx, org, role.DefaultRoleCode)
	if err != nil {
		log.Fatal(err)
	}
	acme, err := users.CreateCustomer(ctx, admin, customeruser.CustomerInput{Name: "Acme"})
	if err != nil {
		log.Fatal(err)
	}
	buyer, err := users.CreateUser(ctx, admin, customeruser.CreateUserInput{
		CustomerID: acme.ID, Email: "ada@example.org", FirstName: "Ada", LastName: "Lovelace",
		RoleIDs: []uuid.UUID{buyerRole.ID}, GeneratePassword: true,
	})
	if err != nil {
		log.Fatal(err)
	}
	return exampleShop{consents: consents, users: users, admin: admin, website: website.ID, buyer: buyer}
}

// ExampleService_Accept: a buyer accepts the terms of sale in its
// storefront profile, which appends an entry to the ledger.
func ExampleService_Accept() {
	ctx := context.Background()
	shop := newExampleShop(ctx)
	terms, err := shop.consents.CreateDefinition(ctx, shop.admin, consent.DefinitionInput{
		DefaultName: "Terms of sale", ContentRef: "/pages/terms", WebsiteIDs: []uuid.UUID{shop.website},
	})
	if err != nil {
		log.Fatal(err)
	}
	me := cu.CustomerUserActor(shop.buyer.OrganizationID, shop.buyer.ID, shop.buyer.CustomerID, shop.buyer.RoleIDs...)
	e, err := shop.consents.Accept(ctx, me, shop.buyer.ID, terms.ID, "")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(e.Kind, "version", e.ContentVersion, "of", e.ContentRef, "via", e.Source)

	// Nobody may edit the accepted text any more: publish a new version.
	_, err = shop.consents.UpdateDefinition(ctx, shop.admin, terms.ID, consent.DefinitionPatch{DefaultName: ptr("Terms")}, 0)
	fmt.Println(cu.CodeOf(err))
	// Output:
	// accept version 1 of /pages/terms via profile
	// conflict
}

// ExampleService_State: the back-office view of a user's consents, before
// and after a new content version is published.
func ExampleService_State() {
	ctx := context.Background()
	shop := newExampleShop(ctx)
	for i, name := range []string{"Terms of sale", "Newsletter"} {
		_, err := shop.consents.CreateDefinition(ctx, shop.admin, consent.DefinitionInput{
			DefaultName: name, Mandatory: ptr(i == 0), WebsiteIDs: []uuid.UUID{shop.website}, Position: i,
		})
		if err != nil {
			log.Fatal(err)
		}
	}
	show := func() {
		states, err := shop.consents.State(ctx, shop.admin, shop.buyer.ID)
		if err != nil {
			log.Fatal(err)
		}
		for _, s := range states {
			fmt.Printf("%s: accepted=%v version=%d/%d reaccept=%v\n", s.Name, s.Accepted, s.AcceptedVersion, s.CurrentVersion, s.NeedsReacceptance)
		}
	}
	states, _ := shop.consents.State(ctx, shop.admin, shop.buyer.ID)
	terms := states[0].ConsentID
	if _, err := shop.consents.Accept(ctx, shop.admin, shop.buyer.ID, terms, ""); err != nil {
		log.Fatal(err)
	}
	show()
	if _, err := shop.consents.UpdateDefinition(ctx, shop.admin, terms, consent.DefinitionPatch{
		ContentVersion: ptr(2), ContentRef: ptr("/pages/terms-2026"),
	}, 0); err != nil {
		log.Fatal(err)
	}
	show()
	// Output:
	// Terms of sale: accepted=true version=1/1 reaccept=false
	// Newsletter: accepted=false version=0/1 reaccept=false
	// Terms of sale: accepted=true version=1/2 reaccept=true
	// Newsletter: accepted=false version=0/1 reaccept=false
}
