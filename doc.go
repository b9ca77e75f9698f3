// Package customerusers is the root of a library that gives B2B commerce
// back-offices complete management of customer users: the people who buy
// on behalf of a customer company.
//
// # Packages
//
//   - customerusers (this package): the shared vocabulary. [Error] with codes
//     and field violations, [Actor] (who acts), keyset paging ([Page],
//     [PageOf], [Cursor]), [Transactor], [Event] and [EventLog] (the
//     transactional outbox and audit history), [Clock] and UUIDv7 ids.
//   - role: roles, the resource registry, access levels
//     (none/user/department/corporate/full), capabilities and the
//     [role.Authorizer] that answers "may this actor do that to that record".
//   - customeruser: customers and their hierarchy, customer users, addresses,
//     passwords (argon2id), one-time tokens, login with throttling, and
//     delegated administration.
//   - consent: consent definitions, the append-only acceptance ledger, GDPR
//     export and erasure.
//   - oauthapp: OAuth applications of customer users and their access
//     tokens (client_credentials, first-party password grant).
//   - httpadapter: the back-office, storefront and self-service HTTP APIs.
//   - storage/memory: in-memory repositories with real transactions, for
//     tests and demos; storage/storagetest: the contract suite every storage
//     must pass.
//
// # Wiring
//
// A host builds one storage, the role service and authorizer, and the
// customer-user service; then the services built on it (consent, oauthapp),
// which need it; then it adds their hooks to the customer-user service, so
// that nothing needs to exist before it is built. Hooks are added while
// wiring, before serving:
//
//	store := memory.New()
//	authz := role.NewAuthorizer(store.Roles(), store.Customers())
//	roles := role.NewService(role.Deps{Tx: store, Roles: store.Roles(), Holders: store.Users(), Hierarchy: store.Customers(),
//		Events: store.Events(), Authorizer: authz, Registry: role.NewRegistry()})
//	users := customeruser.NewService(customeruser.Deps{Tx: store, Customers: store.Customers(),
//		Users: store.Users(), Tokens: store.Tokens(), Attempts: store.LoginAttempts(),
//		Events: store.Events(), Roles: store.Roles(), Authorizer: authz, Sites: sites, Notifier: mailer})
//	consents := consent.NewService(consent.Deps{Tx: store, Definitions: store.Consents(),
//		Ledger: store.ConsentLedger(), Users: store.Users(), Events: store.Events(), Sites: sites, Authorizer: authz})
//	apps := oauthapp.NewService(oauthapp.Deps{Tx: store, Apps: store.OAuthApps(), Tokens: store.AccessTokens(),
//		Users: store.Users(), Authorizer: authz, Events: store.Events(), Notifier: mailer, Logins: users}, oauthapp.Config{})
//	users.AddRegistrationHook(consent.RegistrationHook(consents))
//	users.AddDeleteHook(consent.DeleteHook(consents), oauthapp.DeleteHook(apps))
//	users.AddAccessRevokedHook(oauthapp.RevokeHook(apps))
//	gdpr := consent.NewGDPR(consents, users)
//
// Every service method takes the acting [Actor]; back-office and system
// actors are trusted within their organization (the host guards its back
// office), customer-user actors are limited by their roles. Every rule is
// enforced in the services, so direct Go callers, HTTP handlers and
// importers behave the same. Errors are *[Error] values: use errors.Is with
// the sentinels ([ErrNotFound], [ErrStale], ...) or [CodeOf]; a
// rate_limited error says in RetryAfter how long to wait.
package customerusers
