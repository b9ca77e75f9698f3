package httpadapter

import (
	"log/slog"
	"net/http"

	"github.com/google/uuid"

	cu "github.com/b2bkit/customerusers"
	"github.com/b2bkit/customerusers/consent"
	"github.com/b2bkit/customerusers/customeruser"
	"github.com/b2bkit/customerusers/oauthapp"
	"github.com/b2bkit/customerusers/role"
)

// DefaultMaxBodyBytes is the request body limit when Config.MaxBodyBytes
// is zero: 1 MiB.
const DefaultMaxBodyBytes = 1 << 20

// DefaultMaxImportBytes is the CSV import body limit when
// Config.MaxImportBytes is zero: 100 MiB.
const DefaultMaxImportBytes = 100 << 20

// DefaultImportMemoryBytes is how much of a CSV import body is held in
// memory when Config.ImportMemoryBytes is zero: 8 MiB.
const DefaultImportMemoryBytes = 8 << 20

// Config wires the handlers to the host's services and policies. One
// Config may build all three handler sets; each constructor checks the
// fields it needs and panics when one is missing, as a programming error
// found at start-up.
type Config struct {
	// Users serves customers and customer users. Required by all three
	// handler sets.
	Users *customeruser.Service
	// Roles serves roles and permission explanations. Required by the back
	// office and the storefront.
	Roles *role.Service
	// Consents serves consent definitions, the consent state of customer
	// users and their acceptances. Optional: when nil, the consent routes
	// are not registered (they answer 404) and the OpenAPI documents leave
	// them out.
	Consents *consent.Service
	// OAuth serves OAuth applications, the token, introspection and
	// revocation endpoints, and lets the storefront accept the library's
	// own access tokens. Optional: when nil, those routes are not
	// registered (404) nor documented, and the storefront authenticates
	// with Authenticate alone.
	OAuth *oauthapp.Service

	// Authenticate turns a request into the acting Actor (back office and
	// storefront). Authentication is the host's: a session cookie, a
	// bearer token, mutual TLS... An error answers 401, unless it is a
	// *customerusers.Error of another code (CodeInternal for an outage,
	// say), which is answered by its code. An anonymous actor, or one
	// without an organization, is a 401 too. The back office accepts only
	// back-office and system actors and the storefront only customer-user
	// actors (403 otherwise). Required by the back office; required by the
	// storefront unless OAuth is set, in which case the storefront tries a
	// library access token first (see NewStorefront).
	Authenticate func(*http.Request) (cu.Actor, error)

	// Organization tells the public endpoints which organization a request
	// is for, from its host name for example. Errors are answered by their
	// code (return customerusers.NotFound("organization") for an unknown
	// host); plain errors are internal errors. When nil, OrganizationID is
	// used.
	Organization func(*http.Request) (uuid.UUID, error)
	// OrganizationID is the organization of the public endpoints when
	// Organization is nil. One of the two is required by NewPublic.
	OrganizationID uuid.UUID

	// ClientIP tells the client's address of a request for the login
	// attempts of the password grant (behind a proxy, from the header the
	// proxy sets). When nil, the host part of Request.RemoteAddr is used.
	ClientIP func(*http.Request) string

	// MaxBodyBytes limits request bodies (413 beyond it); 0 means
	// DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// MaxImportBytes limits the CSV bodies of the back office's import
	// routes (413 beyond it), apart from MaxBodyBytes since files are far
	// larger than JSON bodies; 0 means DefaultMaxImportBytes.
	MaxImportBytes int64
	// ImportMemoryBytes is how much of an import body is held in memory:
	// bodies are read to the end before the import starts, and the part
	// beyond this goes to a temporary file of os.TempDir, removed
	// afterwards; 0 means DefaultImportMemoryBytes.
	ImportMemoryBytes int64
	// Logger receives internal errors (never request bodies, passwords or
	// tokens); nil discards.
	Logger *slog.Logger
	// Challenge is the WWW-Authenticate header of 401 answers; default
	// "Bearer".
	Challenge string
}

func (cfg Config) require(what string, ok bool) {
	if !ok {
		panic("httpadapter: Config." + what + " is required")
	}
}
