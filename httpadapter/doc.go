// Package httpadapter exposes the customer-user services over HTTP as three
// http.Handlers that a host mounts wherever it likes:
//
//   - [NewBackOffice]: the back-office API for back-office users of the
//     organization: customers, customer users (addresses, enable / disable /
//     confirm / resend-confirmation / reset-password, history, related
//     records, permission explanations, consent state, OAuth applications),
//     roles, consent definitions and OAuth applications by id.
//   - [NewStorefront]: the storefront API for customer users: their own
//     profile, password, addresses, consents (accept / revoke) and OAuth
//     applications under /me, and delegated administration of the users
//     and roles within their reach under /users and /roles.
//   - [NewPublic]: unauthenticated self-service: POST /register,
//     /confirm-email, /password/forgot and /password/reset, GET /consents
//     (what a registration form shows), and the OAuth 2.0 endpoints POST
//     /oauth2/token, /oauth2/introspect and /oauth2/revoke.
//
// The consent routes exist only when Config.Consents is set, the OAuth
// routes (applications, /oauth2/*) only when Config.OAuth is set; the
// OpenAPI documents list exactly the routes registered.
//
// Handlers decode the request, call one service method and encode its
// answer; every rule lives in the services (packages customeruser, role,
// consent and oauthapp), so the HTTP API behaves exactly like direct Go
// calls. A few answers need a second read of a service: a customer user's
// effective sales representatives (one read for a whole list page), the
// stored address an address PATCH is merged onto, the explained roles of a
// user, and the user whose OAuth applications the back office lists (so
// that an unknown user is a 404, not an empty list). The package never
// touches storage.
//
// In the storefront, PATCH bodies take no password: a customer user
// changes its own through POST /me/password, giving the current one.
//
// # Mounting
//
// Each handler routes on the path it receives, so mount it behind
// http.StripPrefix (in a ServeMux or any other router):
//
//	cfg := httpadapter.Config{
//		Users:        users,    // *customeruser.Service
//		Roles:        roles,    // *role.Service
//		Consents:     consents, // *consent.Service, optional
//		OAuth:        apps,     // *oauthapp.Service, optional
//		Authenticate: hostAuth,
//		Organization: orgFromHost,
//	}
//	mux := http.NewServeMux()
//	mux.Handle("/admin/api/", http.StripPrefix("/admin/api", httpadapter.NewBackOffice(cfg)))
//	mux.Handle("/api/account/", http.StripPrefix("/api/account", httpadapter.NewStorefront(cfg)))
//	mux.Handle("/api/", http.StripPrefix("/api", httpadapter.NewPublic(cfg)))
//
// Authentication is the host's: Config.Authenticate turns a request into a
// customerusers.Actor. The back office accepts back-office (and system)
// actors, the storefront customer-user actors. Public endpoints take the
// organization from Config.Organization (the host name, say) or
// Config.OrganizationID.
//
// The storefront also accepts the library's own access tokens when
// Config.OAuth is set: "Authorization: Bearer <token>" is first looked up
// as a library token (from POST /oauth2/token: the password grant of the
// host's first-party client, or client_credentials of an OAuth
// application); a live one acts as its user, limited to the token's
// scopes. Anything else, including a bearer token the library does not
// know, goes to Config.Authenticate, which may then be nil for a storefront
// that uses library tokens only.
//
// # OAuth 2.0 endpoints
//
// POST /oauth2/token (RFC 6749) takes form-encoded grant_type
// client_credentials (an application's client id and secret, with HTTP
// Basic or as client_id / client_secret form fields, never both) or
// password (username, password and the client_id of a first-party client).
// It answers {access_token, token_type, expires_in, scope} with
// Cache-Control: no-store. POST /oauth2/introspect (RFC 7662) needs a
// confidential client: an application learns about its own tokens, a
// first-party client with a secret about any token of the organization.
// POST /oauth2/revoke (RFC 7009) revokes a token of the calling client and
// answers 200 also for unknown tokens. Their errors are not problems but
// RFC 6749 §5.2 JSON, {"error", "error_description"}: 400; 401 with a
// Basic challenge for invalid_client; 429 with Retry-After for a throttled
// password grant; 404 for an unknown organization; 500 server_error.
//
// # Conventions
//
// JSON in and out with camelCase fields; ids are UUID strings, dates
// YYYY-MM-DD, times RFC 3339. Creates answer 201 with Location (including
// the mount prefix). Entities carry their version as a quoted ETag; writes
// honour If-Match (412 when stale), and a PATCH body may carry "version"
// instead. Without either, a write is unconditional. Addresses belong to
// their user: their ETag is the user's version. In PATCH bodies an absent
// field stays unchanged and null clears it.
//
// Except on the OAuth endpoints, every error is an RFC 9457
// application/problem+json [Problem] whose type
// is [ProblemTypeBase] followed by a code. Library error codes map to
// statuses: invalid 422 (with field errors), not_found 404, conflict 409,
// stale 412, forbidden 403, unauthenticated 401, rate_limited 429 (with
// Retry-After when the error's RetryAfter is set), internal 500 (details
// are logged, never answered). Malformed JSON, unknown fields, trailing
// data, unknown query parameters and malformed ids are 400; JSON bodies over
// Config.MaxBodyBytes (1 MiB by default) are 413. Another organization's ids
// are not found.
//
// The back office also streams CSV exports of customer users and their
// addresses (GET /customer-users/export, /customer-users/export/addresses)
// and takes CSV imports (POST /customer-users/import and
// /customer-users/import/addresses, ?mode=validate|skip-invalid|all-or-nothing)
// whose bodies have their own limit, Config.MaxImportBytes (100 MiB by
// default); an import body is read whole (spilling to a temporary file past
// Config.ImportMemoryBytes) before the import starts.
//
// Lists take limit (default 50, max 500), cursor and, where offered, sort
// ("field" or "-field"), plus their filters, and answer
// {"items": [...], "nextCursor": "..." or null}.
//
// # OpenAPI
//
// Each handler serves the OpenAPI 3.1 document of its own routes at
// GET /openapi.json (no authentication: it describes the library, not the
// host's data), with the mount prefix as its server URL. The document and
// the ServeMux are built from the same route table, and the tests check
// that both list the same routes and that the answers match the schemas.
package httpadapter
