package oauthapp_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/google/uuid"

	cu "github.com/b2bkit/customerusers"
	"github.com/b2bkit/customerusers/customeruser"
	"github.com/b2bkit/customerusers/oauthapp"
	"github.com/b2bkit/customerusers/role"
	"github.com/b2bkit/customerusers/storage/memory"
)

// exampleSetup wires customeruser and oauthapp over the in-memory storage
// and creates a buyer, as a host would.
func exampleSetup(ctx context.Context) (*oauthapp.Service, *customeruser.Service, cu.Actor, customeruser.User) {
	store := memory.New()
	org := uuid.New()
	admin := cu.BackOfficeActor(org, uuid.New())
	authz := role.NewAuthorizer(store.Roles(), store.Customers())
	roles := role.NewService(role.Deps{Tx: store, Roles: store.Roles(), Holders: store.Users(), Events: store.Events(), Authorizer: authz})
	if _, err := roles.Seed(ctx, org); err != nil {
		log.Fatal(err)
	}
	buyerRole, err := store.Roles().GetByCode(ctx, org, role.DefaultRoleCode)
	if err != nil {
		log.Fatal(err)
	}

	// customeruser first, then oauthapp (which checks logins through it),
	// then the hooks that let customeruser reach oauthapp.
	users := customeruser.NewService(customeruser.Deps{
		Tx: store, Customers: store.Customers(), Users: store.Users(), Tokens: store.Tokens(),
		Attempts: store.LoginAttempts(), Events: store.Events(), Roles: store.Roles(), Authorizer: authz,
	})
	apps := oauthapp.NewService(oauthapp.Deps{
		Tx: store, Apps: store.OAuthApps(), Tokens: store.AccessTokens(), Users: store.Users(),
		Authorizer: authz, Events: store.Events(), Logins: users,
	}, oauthapp.Config{})
	users.AddDeleteHook(oauthapp.DeleteHook(apps))
	users.AddAccessRevokedHook(oauthapp.RevokeHook(apps))

	acme, err := users.CreateCustomer(ctx, admin, customeruser.CustomerInput{Name: "Acme"})
	if err != nil {
		log.Fatal(err)
	}
	buyer, err := users.CreateUser(ctx, admin, customeruser.CreateUserInput{
		CustomerID: acme.ID, Email: "buyer@acme.example", FirstName: "Bea", LastName: "Buyer",
		RoleIDs: []uuid.UUID{buyerRole.ID}, GeneratePassword: true,
	})
	if err != nil {
		log.Fatal(err)
	}
	return apps, users, admin, buyer
}

// ExampleService_Create adds an application to a buyer's account from the
// back office. The client secret is in the result this once; the stored
// application keeps only its digest.
func ExampleService_Create() {
	ctx := context.Background()
	apps, _, admin, buyer := exampleSetup(ctx)

	created, err := apps.Create(ctx, admin, buyer.ID, oauthapp.Input{
		Name:   "ERP sync",
		Scopes: []string{role.Scope(role.ResourceCustomerUser, role.View)},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(created.App.Name, created.App.Active, created.App.Scopes, created.App.Grants)
	fmt.Println("client id:", len(created.App.ClientID), "characters; secret:", len(created.ClientSecret), "characters")

	again, _ := apps.Get(ctx, admin, created.App.ID)
	fmt.Println("digest shown by Get:", len(again.SecretHash) > 0)

	// A scope the owner does not hold is refused.
	_, err = apps.Create(ctx, admin, buyer.ID, oauthapp.Input{Name: "Admin tool", Scopes: []string{"customer_user:delete"}})
	var ce *cu.Error
	if errors.As(err, &ce) {
		fmt.Println(ce.Violations[0].Field, ce.Violations[0].Rule)
	}
	// Output:
	// ERP sync true [customer_user:view] [client_credentials]
	// client id: 32 characters; secret: 43 characters
	// digest shown by Get: false
	// scopes[0] not_granted
}

// ExampleService_Token obtains an access token with the client_credentials
// grant, calls the API as the application's owner, and shows that
// deactivating the application ends the token at once.
func ExampleService_Token() {
	ctx := context.Background()
	apps, _, admin, buyer := exampleSetup(ctx)
	created, err := apps.Create(ctx, admin, buyer.ID, oauthapp.Input{Name: "ERP sync"})
	if err != nil {
		log.Fatal(err)
	}
	org := admin.OrganizationID

	tok, err := apps.Token(ctx, org, oauthapp.TokenRequest{
		GrantType:    oauthapp.GrantClientCredentials,
		ClientID:     created.App.ClientID,
		ClientSecret: created.ClientSecret,
		Scope:        "customer_user:view",
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(tok.TokenType, tok.ExpiresIn, tok.Scope)

	actor, err := apps.Authenticate(ctx, tok.AccessToken)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("acts as the owner:", actor.ID == buyer.ID, "scopes:", actor.Scopes)

	_, err = apps.Token(ctx, org, oauthapp.TokenRequest{GrantType: "client_credentials", ClientID: created.App.ClientID, ClientSecret: "wrong"})
	var oe *oauthapp.OAuthError
	if errors.As(err, &oe) {
		fmt.Println(oe.Code, cu.CodeOf(err))
	}

	if _, err := apps.Deactivate(ctx, admin, created.App.ID, 0); err != nil {
		log.Fatal(err)
	}
	_, err = apps.Authenticate(ctx, tok.AccessToken)
	fmt.Println("after deactivation:", cu.CodeOf(err))
	// Output:
	// Bearer 3600 customer_user:view
	// acts as the owner: true scopes: [customer_user:view]
	// invalid_client unauthenticated
	// after deactivation: unauthenticated
}
