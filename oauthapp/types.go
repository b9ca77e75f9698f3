package oauthapp

import (
	"context"
	"time"

	"github.com/google/uuid"

	cu "github.com/b2bkit/customerusers"
	"github.com/b2bkit/customerusers/customeruser"
)

// The grant types of RFC 6749 the token service knows.
const (
	// GrantClientCredentials (RFC 6749 §4.4) is the grant of applications:
	// the client authenticates with its id and secret and acts as its owner.
	GrantClientCredentials = "client_credentials"
	// GrantPassword (RFC 6749 §4.3) is accepted only from a configured
	// first-party client (the host's own storefront), never from an App.
	GrantPassword = "password"
)

// The subject type and event types of applications. Every change of an
// application appends one of them in the transaction of the change; no
// payload ever holds the client secret or its hash.
const (
	SubjectOAuthApp = "oauth_application"
	// EventCreated carries a snapshot of the new application.
	EventCreated = "oauthapp.created"
	// EventUpdated carries the field-level changes ([]cu.Change).
	EventUpdated = "oauthapp.updated"
	// EventActivated and EventDeactivated carry the "active" change.
	EventActivated   = "oauthapp.activated"
	EventDeactivated = "oauthapp.deactivated"
	// EventDeleted carries a snapshot of the deleted application and, when
	// it went with its owner, the reason "owner_deleted".
	EventDeleted = "oauthapp.deleted"
)

// App is an OAuth application of a customer user: a client that obtains
// access tokens with the client_credentials grant and then calls the API as
// its owner, limited to its scopes.
type App struct {
	ID             uuid.UUID
	OrganizationID uuid.UUID
	// OwnerUserID is the customer user the application acts as.
	OwnerUserID uuid.UUID
	// Name is unique per owner, case-insensitively.
	Name string
	// ClientID is generated at creation (32 URL-safe characters), unique
	// across organizations, and never changes.
	ClientID string
	// SecretHash is the SHA-256 digest of the client secret; the secret
	// itself is returned once by Service.Create and exists nowhere else.
	// Service reads (Get, List) leave it empty.
	SecretHash []byte
	// Grants are the grant types the application may use; always
	// [client_credentials] today.
	Grants []string
	// Active applications obtain tokens; deactivating one kills its tokens.
	Active bool
	// Scopes are the "resource:permission" pairs and capability names the
	// application's tokens may use, a subset of the owner's own permissions.
	// Empty means all of the owner's permissions.
	Scopes []string
	// LastUsedAt is when a token was last issued to the application.
	LastUsedAt *time.Time
	CreatedAt  time.Time
	UpdatedAt  time.Time
	Version    int64
}

// AppFilter selects applications in AppRepository.List. Zero fields do
// not filter.
type AppFilter struct {
	OwnerUserID uuid.UUID
	Active      *bool
	// Name is a case-insensitive substring of the name.
	Name string
}

// The sort fields of AppRepository.List.
const (
	SortName      = "name"
	SortCreatedAt = "createdAt"
)

// AppRepository stores applications. Every method is scoped by
// organization. Create and Update report a name taken by another
// application of the same owner (compared case-insensitively) as an invalid
// error on field "name", rule "unique", and a taken client id as one on
// field "clientId", rule "unique". Update stores a with Version =
// expectedVersion+1, or fails with cu.ErrStale. Reads of an unknown id fail
// with cu.ErrNotFound. Create fails when the owner does not exist.
type AppRepository interface {
	Create(ctx context.Context, a App) error
	Get(ctx context.Context, org, id uuid.UUID) (App, error)
	GetByClientID(ctx context.Context, org uuid.UUID, clientID string) (App, error)
	// List pages applications sorted by Page.Sort: "name" (default,
	// case-insensitive) or "createdAt", then id.
	List(ctx context.Context, org uuid.UUID, f AppFilter, p cu.Page) (cu.PageOf[App], error)
	Update(ctx context.Context, a App, expectedVersion int64) error
	// Touch stores LastUsedAt without changing Version or UpdatedAt.
	Touch(ctx context.Context, org, id uuid.UUID, lastUsedAt time.Time) error
	// Delete deletes the application and its access tokens.
	Delete(ctx context.Context, org, id uuid.UUID) error
	// DeleteByOwner deletes every application of a customer user with
	// their access tokens, and returns what it deleted.
	DeleteByOwner(ctx context.Context, org, ownerUserID uuid.UUID) ([]App, error)
}

// AccessToken is an issued bearer token. Only the SHA-256 digest of the
// token is stored; the token itself is returned once by Service.Token.
type AccessToken struct {
	Digest         []byte
	OrganizationID uuid.UUID
	// AppID is the application of a client_credentials token; uuid.Nil for
	// a password-grant token.
	AppID uuid.UUID
	// ClientID is the client the token was issued to (an App's client id or
	// a first-party client's).
	ClientID  string
	GrantType string
	// UserID is the customer user the token acts as.
	UserID uuid.UUID
	// Scopes limit the token when Unscoped is false.
	Scopes []string
	// Unscoped tokens carry all of the user's permissions (no scope was
	// asked for and the client has none); Scopes is then empty. The flag is
	// stored explicitly so that no storage confuses "no scope" with "every
	// scope".
	Unscoped bool
	// RoleIDs are the user's roles that the token's scopes relied on at
	// issuance; the token dies when the user loses any of them.
	RoleIDs   []uuid.UUID
	ExpiresAt time.Time
	CreatedAt time.Time
}

// TokenApp is what validating a token needs of its application.
type TokenApp struct {
	ID     uuid.UUID
	Active bool
}

// TokenOwner is what validating a token needs of its user: the fields of
// the login checks (customeruser.Service.CheckLogin) and the current roles.
type TokenOwner struct {
	ID                uuid.UUID
	CustomerID        uuid.UUID
	Email             string
	Enabled           bool
	Confirmed         bool
	Guest             bool
	AuthStatus        customeruser.AuthStatus
	PasswordChangedAt *time.Time
	RoleIDs           []uuid.UUID
}

// user returns the owner as a customeruser.User for the login checks.
func (o TokenOwner) user(org uuid.UUID) customeruser.User {
	return customeruser.User{
		ID: o.ID, OrganizationID: org, CustomerID: o.CustomerID, Email: o.Email, Enabled: o.Enabled,
		Confirmed: o.Confirmed, Guest: o.Guest, AuthStatus: o.AuthStatus, RoleIDs: o.RoleIDs,
		PasswordChangedAt: o.PasswordChangedAt,
	}
}

// TokenLookup is an access token joined with its application and its user,
// as one indexed read returns it (in SQL: the token row by digest, LEFT
// JOIN the application, LEFT JOIN the user with an array of its role ids).
type TokenLookup struct {
	Token AccessToken
	// App is nil for a password-grant token and when the application no
	// longer exists.
	App *TokenApp
	// Owner is nil when the user no longer exists.
	Owner *TokenOwner
}

// TokenRepository stores access tokens.
type TokenRepository interface {
	// Create stores a token; it fails when the digest is taken or the user
	// (or the application, when set) does not exist.
	Create(ctx context.Context, t AccessToken) error
	// Lookup finds a token by digest with its application and user, in one
	// indexed read, or fails with cu.ErrNotFound. It is the one repository
	// method not scoped by organization: a bearer token is all a request
	// presents, and the digest of a 256-bit secret is a global key. The
	// token's OrganizationID tells the caller where it belongs. Expired
	// tokens are returned too: the caller decides with its own clock.
	Lookup(ctx context.Context, digest []byte) (TokenLookup, error)
	// Delete deletes the token with that digest, or fails with
	// cu.ErrNotFound.
	Delete(ctx context.Context, org uuid.UUID, digest []byte) error
	// DeleteForApp deletes the tokens of an application.
	DeleteForApp(ctx context.Context, org, appID uuid.UUID) error
	// DeleteForUser deletes every token acting as a user.
	DeleteForUser(ctx context.Context, org, userID uuid.UUID) error
	// DeleteExpired deletes the tokens that expire at or before now and
	// returns how many went.
	DeleteExpired(ctx context.Context, org uuid.UUID, now time.Time) (int, error)
}
