package httpadapter

import "net/http"

// Each constructor appends the route tables of the services it serves and
// builds the ServeMux and the OpenAPI document from them. A further
// service (consents, OAuth applications) adds its table the same way, so
// its routes are registered, documented and checked by the same tests.

// NewBackOffice returns the back-office API: customers, customer users
// (with their addresses, actions, history, related records and permission
// explanations) and roles, for back-office users of the organization that
// Config.Authenticate names. It serves its OpenAPI document at
// GET /openapi.json. It panics when Config.Users, Config.Roles or
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
	a.routes = append(a.routes, a.roleRoutes()...)
	return a.build()
}

// NewStorefront returns the storefront API for customer users: their own
// profile, password and addresses under /me, and delegated administration
// of the users and roles within their reach under /users and /roles (the
// services enforce reach, the never-itself rules and no escalation). It
// serves its OpenAPI document at GET /openapi.json. It panics when
// Config.Users, Config.Roles or Config.Authenticate is missing.
func NewStorefront(cfg Config) http.Handler {
	cfg.require("Users", cfg.Users != nil)
	cfg.require("Roles", cfg.Roles != nil)
	cfg.require("Authenticate", cfg.Authenticate != nil)
	a := newAPI(cfg, storefront, "Customer users: storefront API")
	a.routes = append(a.routes, a.meRoutes()...)
	a.routes = append(a.routes, a.userRoutes("/users", "Users", func() userPatcher { return &storefrontUserPatch{} })...)
	a.routes = append(a.routes, a.roleRoutes()...)
	return a.build()
}

// NewPublic returns the unauthenticated self-service endpoints:
// registration, e-mail confirmation, forgotten and reset passwords, for the
// organization of Config.Organization (or Config.OrganizationID). It
// serves its OpenAPI document at GET /openapi.json. It panics when
// Config.Users is missing or no organization is configured.
func NewPublic(cfg Config) http.Handler {
	cfg.require("Users", cfg.Users != nil)
	cfg.require("Organization or OrganizationID", cfg.Organization != nil || cfg.OrganizationID != [16]byte{})
	a := newAPI(cfg, public, "Customer users: public self-service API")
	a.routes = append(a.routes, a.publicRoutes()...)
	return a.build()
}
