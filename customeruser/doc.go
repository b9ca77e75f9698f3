// Package customeruser manages customers (the companies a B2B shop sells to)
// and customer users (the people who buy on their behalf): their hierarchy,
// accounts, addresses, passwords, one-time links, login and delegated
// administration. Every rule lives in Service, so the back-office API, the
// storefront API, the importer and a host calling Go directly behave alike.
//
// # Customers
//
// A Customer has a name, an optional parent, a group label, sales
// representatives, an owner and an optional external id unique per
// organization. The tree may be any depth; self-parenting and cycles are
// refused with a field error naming both customers. The subtree of a
// customer is the customer and all its descendants, never its ancestors:
// it is what a corporate-level storefront grant reaches. A customer that
// still has users or children cannot be deleted.
//
// # Customer users
//
// A User belongs to one customer. E-mails are unique per organization among
// non-guest users (case-insensitively unless Config.CaseSensitiveEmails);
// an enabled user holds at least one role, chosen among the predefined roles
// and its own customer's; addresses need a country (ISO 3166-1 alpha-2,
// see ValidCountry), street, city, postal code and a name or an
// organization, and each address type is default on at most one address.
// EffectiveSalesReps falls back to the customer's representatives when the
// user has none (EffectiveSalesRepsOf does it for a page of users with one
// read; GetUserView reads a user with them in one statement when the
// storage implements UserViewReader). Related shows the host's records
// (orders, quotes...) through registered RelatedRecords providers; History
// lists the user's events.
//
// # Passwords, tokens and login
//
// Passwords follow Config.Password and are hashed with argon2id (PHC
// strings, re-hashed at login when the parameters change). Only back-office
// and system actors set a password through UpdateUser; a storefront user
// uses ChangePassword, which asks for its current password (or the
// manage_passwords capability for another user). Confirmation and
// set-password links carry 256-bit secrets stored only as SHA-256 digests,
// single-use and expiring; a password is never e-mailed. Authenticate gives
// one generic error for every refusal, records every attempt, and throttles
// repeated failures with a growing delay instead of a hard lock (a
// rate_limited error whose RetryAfter says how long to wait).
//
// # Actors and delegation
//
// Every method takes a cu.Actor. System and back-office actors are trusted
// within their organization (the host guards its back office). Storefront
// actors (customer users) act within the reach of their roles: department
// (their own customer) or corporate (their customer and its descendants).
// Records out of reach, and anything of another organization, are reported
// as not found. Storefront actors never act on themselves destructively,
// never grant more than they hold, and cannot change sales representatives
// or owners.
//
// # Wiring a Service
//
// A host builds the storage, the role authorizer and the Service:
//
//	store := memory.New() // or the PostgreSQL storage of storage/postgres
//	authz := role.NewAuthorizer(store.Roles(), store.Customers())
//	svc := customeruser.NewService(customeruser.Deps{
//		Tx: store, Customers: store.Customers(), Users: store.Users(),
//		Tokens: store.Tokens(), Attempts: store.LoginAttempts(),
//		Events: store.Events(), Roles: store.Roles(), Authorizer: authz,
//		Sites: sites, Notifier: notifier,
//	}, customeruser.WithRelatedRecords(orders))
//
// Packages built on this one (consent, oauthapp) need the Service, and the
// Service calls back into them through lifecycle hooks that run inside the
// transaction of the change: DeleteHook (a user is deleted),
// RegistrationHook (self-registration) and AccessRevokedHook (credentials
// must die: the user is disabled, force-reset, anonymized or deleted, its
// password or e-mail changes). Build this Service first, then theirs, then
// add their hooks, while wiring and before serving; the Add*Hook methods
// are safe for concurrent use, and hooks added later take part only in the
// changes that start after:
//
//	consents := consent.NewService(consent.Deps{Tx: store, Users: store.Users(), ...})
//	apps := oauthapp.NewService(oauthapp.Deps{Tx: store, Logins: svc, ...}, oauthapp.Config{})
//	svc.AddRegistrationHook(consent.RegistrationHook(consents))
//	svc.AddDeleteHook(consent.DeleteHook(consents), oauthapp.DeleteHook(apps))
//	svc.AddAccessRevokedHook(oauthapp.RevokeHook(apps))
//
// The With*Hook options do the same at construction, for hooks that do not
// need the Service.
//
// Sites is the host's directory of websites and their localizations
// (NewStaticSites is an in-memory one). Notifier delivers e-mails (welcome,
// confirmation, reset links); it is called inside the transaction of the
// change that caused it. OutboxNotifier records each e-mail as an event in
// that transaction; a cu.Dispatcher with an EmailSubscriber then renders
// and sends it through the host's Mailer, at least once, after commit.
// Every change appends an event in the same transaction (the outbox).
//
// Methods that take an expectedVersion use optimistic concurrency: pass the
// Version you read to get cu.ErrStale when someone else wrote first, or 0 to
// skip the check. Addresses and the account actions (Confirm,
// ResendConfirmation, ForceReset) take the user's version.
package customeruser
