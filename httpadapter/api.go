package httpadapter

import "net/http"

// Each constructor appends the route tables of the services it serves and
// builds the ServeMux and the OpenAPI document from them. The optional
// services (Config.Consents, Config.OAuth) add their tables only when set,
// so that what is registered and what is documented are always the same
// routes, checked by the same tests.

// NewBackOffice returns the back-office API: customers, customer users
// (with their addresses, actions, history, related records, permission
// explanations, and CSV export, import and templates) and roles, for
// back-office users of the organization that Config.Authenticate names;
// with Config.Consents, consent definitions and the consent state of each
// customer user; with Config.OAuth, the OAuth applications of customer
// users. It serves its OpenAPI document at GET /openapi.json. It panics when Config.Users, Config.Roles or
// Config.Authenticate is missing.
func NewBackOffice(cfg Config) http.Handler {
	cfg.require("Users", cfg.Users != nil)
	cfg.require("Roles", cfg.Roles != nil)
	cfg.require("Authenticate", cfg.Authenticate != nil)
	a := newAPI(cfg, backOffice, "Customer users: back-office API")
	a.routes = append(a.routes, a.customerRoutes()...)
	a.routes = append(a.routes, a.userRoutes("/customer-users", "Customer users", func() userPatcher { return &userPatchIn{} })...)
	a.routes = append(a.routes, a.addressRoutes("/customer-users/{id}", "addressId", "Customer users", pathID)...)
	a.routes = append(a.routes, a.viewRoutes("Customer users")...)
	a.routes = append(a.routes, a.importExportRoutes()...)
	a.routes = append(a.routes, a.roleRoutes()...)
	if cfg.Consents != nil {
		a.routes = append(a.routes, a.consentDefinitionRoutes()...)
		a.routes = append(a.routes, a.consentStateRoute("/customer-users/{id}/consents", "getCustomerUserConsents", "Customer users", pathID))
	}
	if cfg.OAuth != nil {
		a.routes = append(a.routes, a.appRoutes("/customer-users/{id}/oauth-applications", "/oauth-applications", "OAuth applications", pathID)...)
	}
	return a.build()
}

// NewStorefront returns the storefront API for customer users: their own
// profile, password and addresses under /me, and delegated administration
// of the users and roles within their reach under /users and /roles (the
// services enforce reach, the never-itself rules and no escalation); with
// Config.Consents, their consents under /me/consents; with Config.OAuth,
// their OAuth applications under /me/oauth-applications. It serves its
// OpenAPI document at GET /openapi.json.
//
// With Config.OAuth set, a request with "Authorization: Bearer <token>"
// is first tried as an access token of the library (from POST
// /oauth2/token of NewPublic): a live token acts as its user, limited to
// the token's scopes. Any other request, and a bearer token the library
// does not know or no longer accepts, goes to Config.Authenticate (401
// without it). So a host may use its own sessions, the library's tokens,
// or both.
//
// It panics when Config.Users or Config.Roles is missing, or when neither
// Config.Authenticate nor Config.OAuth is set.
func NewStorefront(cfg Config) http.Handler {
	cfg.require("Users", cfg.Users != nil)
	cfg.require("Roles", cfg.Roles != nil)
	cfg.require("Authenticate or OAuth", cfg.Authenticate != nil || cfg.OAuth != nil)
	a := newAPI(cfg, storefront, "Customer users: storefront API")
	a.routes = append(a.routes, a.meRoutes()...)
	if cfg.Consents != nil {
		a.routes = append(a.routes, a.myConsentRoutes()...)
	}
	if cfg.OAuth != nil {
		a.routes = append(a.routes, a.appRoutes("/me/oauth-applications", "/me/oauth-applications", "Me", self)...)
	}
	a.routes = append(a.routes, a.userRoutes("/users", "Users", func() userPatcher { return &storefrontUserPatch{} })...)
	a.routes = append(a.routes, a.roleRoutes()...)
	return a.build()
}

// NewPublic returns the unauthenticated self-service endpoints:
// registration, e-mail confirmation, forgotten and reset passwords, for the
// organization of Config.Organization (or Config.OrganizationID); with
// Config.Consents, the consents a registration form shows (GET /consents);
// with Config.OAuth, the OAuth 2.0 token (RFC 6749), introspection (RFC
// 7662) and revocation (RFC 7009) endpoints under /oauth2, which take
// form-encoded bodies and answer errors in the format of RFC 6749 §5.2.
// It serves its OpenAPI document at GET /openapi.json. It panics when
// Config.Users is missing or no organization is configured.
func NewPublic(cfg Config) http.Handler {
	cfg.require("Users", cfg.Users != nil)
	cfg.require("Organization or OrganizationID", cfg.Organization != nil || cfg.OrganizationID != [16]byte{})
	a := newAPI(cfg, public, "Customer users: public self-service API")
	a.routes = append(a.routes, a.publicRoutes()...)
	if cfg.Consents != nil {
		a.routes = append(a.routes, a.publicConsentRoutes()...)
	}
	if cfg.OAuth != nil {
		a.routes = append(a.routes, a.oauth2Routes()...)
	}
	return a.build()
}
