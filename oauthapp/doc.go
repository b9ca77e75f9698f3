// Package oauthapp manages the OAuth applications of customer users and
// runs their token service: issuing access tokens (RFC 6749
// client_credentials, and the password grant for the host's own
// storefront client), validating them on API calls, introspection (RFC
// 7662) and revocation (RFC 7009).
//
// # Applications
//
// An App belongs to one customer user, its owner, and acts as that owner
// through the API. It has a name (required, at most 255 characters, unique
// among the owner's applications regardless of case), a generated client id
// and a client secret of 256 random bits that Service.Create returns once:
// only its SHA-256 digest is stored, and no event, read or log holds it.
// Its scopes ★ ("resource:permission" pairs such as "customer_user:view",
// and capability names) must be permissions the owner holds; empty scopes
// mean all of the owner's permissions. Creating an application records
// oauthapp.created and notifies the owner (template
// customer_user_oauth_application_created) in the same transaction;
// updating, activating, deactivating and deleting record their events too.
//
// Back-office actors manage the applications of any customer user of their
// organization. A customer user in the storefront manages only its own,
// with the capability manage_oauth_apps and the matching permission on
// oauth_application at user level or wider.
//
// # Tokens
//
// Access tokens are opaque 256-bit values, stored only as SHA-256 digests
// (so that nothing in the database can be replayed), living one hour by
// default. Each token row records its user, its application (none for the
// password grant), its scopes and the user's roles those scopes relied on.
// Service.Authenticate validates a bearer token with one indexed read of
// the token joined with its application and user, and refuses it as soon
// as the application is deactivated or deleted, the user is disabled,
// deleted, unconfirmed, forced to reset its password or loses one of those
// roles, or the token expires or is revoked. The actor it returns is the
// user, narrowed to the token's scopes through cu.Actor.Scopes, so that
// role.Authorizer grants the token nothing beyond them.
//
// A password-grant token also ends when the user's password changes. Causes
// that pass (a user disabled and enabled again, force-reset and then given
// a new password) must not revive a token: RevokeHook, run by customeruser
// inside the transaction of the change, deletes every token of a user who
// is disabled (or made unconfirmed or a guest), force-reset, anonymized or
// deleted or whose e-mail changes, so the old tokens stay dead and the
// user's applications ask for new ones. A password change ends only the
// password-grant tokens (by the rule above, which is permanent); the
// application tokens live on. Deactivating, re-scoping or deleting an
// application deletes its tokens.
//
// The password grant is accepted only from Config.FirstPartyClients and
// goes through customeruser's Authenticate, so every login check, the login
// attempt log and the lockout apply to it. Refusals of the token endpoint
// are *OAuthError values carrying the RFC 6749 error code; they unwrap to
// the library's error codes (a throttled login to a rate_limited *cu.Error
// with RetryAfter).
//
// # Wiring
//
// The token service checks logins through the customeruser Service, and
// customeruser calls back into this package through its hooks (deleting a
// user's applications, revoking its tokens). Build the customeruser Service
// first, then this one, then add the hooks, while wiring and before
// serving:
//
//	users := customeruser.NewService(userDeps)
//	apps := oauthapp.NewService(oauthapp.Deps{
//		Tx: store, Apps: store.OAuthApps(), Tokens: store.AccessTokens(), Users: store.Users(),
//		Authorizer: authz, Events: store.Events(), Notifier: notifier, Logins: users,
//	}, oauthapp.Config{})
//	users.AddDeleteHook(oauthapp.DeleteHook(apps))
//	users.AddAccessRevokedHook(oauthapp.RevokeHook(apps))
package oauthapp
