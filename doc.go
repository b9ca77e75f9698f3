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
//   - storage/memory: in-memory repositories with real transactions, for
//     tests and demos; storage/storagetest: the contract suite every storage
//     must pass.
//
// # Wiring
//
// A host builds one storage, the role service and authorizer, and the
// customer-user service, then calls the services from its own handlers:
//
//	store := memory.New()
//	authz := role.NewAuthorizer(store.Roles(), store.Customers())
//	roles := role.NewService(role.Deps{Tx: store, Roles: store.Roles(), Holders: store.Users(), Hierarchy: store.Customers(),
//		Events: store.Events(), Authorizer: authz, Registry: role.NewRegistry()})
//	users := customeruser.NewService(customeruser.Deps{Tx: store, Customers: store.Customers(),
//		Users: store.Users(), Tokens: store.Tokens(), Attempts: store.LoginAttempts(),
//		Events: store.Events(), Roles: store.Roles(), Authorizer: authz, Sites: sites, Notifier: mailer})
//
// Every service method takes the acting [Actor]; back-office and system
// actors are trusted within their organization (the host guards its back
// office), customer-user actors are limited by their roles. Every rule is
// enforced in the services, so direct Go callers, HTTP handlers and
// importers behave the same. Errors are *[Error] values: use errors.Is with
// the sentinels ([ErrNotFound], [ErrStale], ...) or [CodeOf].
package customerusers
