// Package consent manages consents (terms, marketing, data sharing) that
// customer users accept, with an append-only acceptance ledger, and the
// GDPR export and erasure of a customer user's personal data (SPEC §5).
//
// # Definitions
//
// A Definition has a required default name and localized names, a
// mandatory flag and a declined notification (both default true), a
// content reference (landing page id or URL) with a content version, the
// websites it is enabled on, and a position. Definitions are managed by
// back-office and system actors only. Once anyone accepted a consent, its
// names, flags and the content reference of an accepted version are frozen
// and it can no longer be deleted (conflict); publishing new content (a
// higher ContentVersion, usually with a new ContentRef) and changing
// websites or position stay possible.
//
// # The ledger
//
// Every acceptance and revocation is an Entry appended to the ledger:
// consent, user, content version (and the content reference shown), kind,
// time, source and actor. Nothing is ever changed or deleted: the current
// state of a user's consent is its latest entry. State lists, for each
// consent enabled for the user's website, whether it is accepted, which
// version and when, and whether a newer version needs re-acceptance.
// Revoking a consent whose DeclinedNotification is on appends
// consent.declined for the host to act on.
//
// Who may act: back-office and system actors for anyone of their
// organization (the back office records consent given outside the shop,
// source "back_office"); a storefront user for itself only, since consent
// is the person's own to give and withdraw (through an OAuth token only
// with the consent_acceptance scopes); other storefront users may view a
// user's consents with a consent_acceptance view grant reaching it.
//
// # Hooks into customeruser
//
// RegistrationHook makes customeruser.Service.Register refuse a
// registration that lacks a mandatory consent of its website and record the
// accepted ones in the registering transaction. DeleteHook appends a
// revocation (source "deletion") for every accepted consent of a deleted
// user, so the ledger keeps its facts; the user id then resolves to no one.
//
// The consent Service needs no customeruser.Service, but GDPR does, and
// the hooks need the consent Service: build the customeruser.Service first,
// then this one, then add the hooks, while wiring and before serving:
//
//	users := customeruser.NewService(customeruser.Deps{...})
//	consents := consent.NewService(consent.Deps{...})
//	users.AddRegistrationHook(consent.RegistrationHook(consents))
//	users.AddDeleteHook(consent.DeleteHook(consents))
//	gdpr := consent.NewGDPR(consents, users, sources...).With(
//		consent.WithAttemptEraser(store.LoginAttempts().(consent.AttemptEraser)))
//
// The services and the sources must share one storage transactor, so that
// the hooks join the customer-user transactions and Erase is one
// transaction.
//
// # GDPR
//
// GDPR.Export returns one JSON document with everything held about a user:
// its record (never the password hash or tokens), customer, addresses,
// roles, login attempts and history, its consent ledger and state, and a
// section per registered PersonalDataSource. GDPR.Erase anonymises the user
// (customeruser.Service.Anonymize), revokes its consents (source
// "erasure"), erases every source, in one transaction, keeping the ledger.
// When the storage offers them, it also redacts the payloads of the user's
// history events and notification requests (EventRedactor, found on the
// event log) and blanks the e-mail, IP address and user agent of its login
// attempts (AttemptEraser, given with WithAttemptEraser), so that no
// personal data of the user is left in the library's tables. The
// storage/memory and storage/postgres stores offer both.
package consent
