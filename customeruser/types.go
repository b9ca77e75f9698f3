package customeruser

import (
	"context"
	"time"

	"github.com/google/uuid"

	cu "github.com/b2bkit/customerusers"
	"github.com/b2bkit/customerusers/role"
)

// Customer is a company whose people (customer users) buy on its behalf.
type Customer struct {
	ID             uuid.UUID
	OrganizationID uuid.UUID
	Name           string
	// ParentID is uuid.Nil for a top-level customer.
	ParentID uuid.UUID
	// Group is a free label.
	Group string
	// SalesRepIDs are back-office user ids, owned by the host.
	SalesRepIDs []uuid.UUID
	// OwnerID is the back-office user owning the record.
	OwnerID    uuid.UUID
	ExternalID string
	CreatedAt  time.Time
	UpdatedAt  time.Time
	Version    int64
}

// AuthStatus is a customer user's password status.
type AuthStatus string

// The auth statuses.
const (
	AuthActive AuthStatus = "active"
	// AuthReset refuses login until the user sets a new password through
	// the e-mailed link.
	AuthReset AuthStatus = "reset"
)

// AddressType is a use of an address.
type AddressType string

// The address types.
const (
	Billing  AddressType = "billing"
	Shipping AddressType = "shipping"
)

// AddressTypeFlag is one type of an address and whether the address is the
// user's default for that type.
type AddressTypeFlag struct {
	Type    AddressType
	Default bool
}

// Address is a postal address of a customer user.
type Address struct {
	ID uuid.UUID
	// Label names the address for its owner ("Head office").
	Label string
	// Organization is the company name printed on the address.
	Organization string
	NamePrefix   string
	FirstName    string
	MiddleName   string
	LastName     string
	NameSuffix   string
	Street       string
	Street2      string
	City         string
	PostalCode   string
	// Country is an ISO 3166-1 alpha-2 code.
	Country string
	// Region is a region code or free text.
	Region    string
	Phone     string
	Primary   bool
	Types     []AddressTypeFlag
	CreatedAt time.Time
	UpdatedAt time.Time
}

// User is a customer user: a person acting on behalf of a customer.
type User struct {
	ID             uuid.UUID
	OrganizationID uuid.UUID
	CustomerID     uuid.UUID
	Email          string
	// EmailKey is the form of Email that uniqueness and look-ups use:
	// lower-cased in the default case-insensitive mode, Email as is in the
	// case-sensitive mode. Storage enforces (organization, EmailKey) unique
	// among non-guest users.
	EmailKey   string
	NamePrefix string
	FirstName  string
	MiddleName string
	LastName   string
	NameSuffix string
	// Birthday is a date at 00:00 UTC, or nil.
	Birthday   *time.Time
	Phone      string
	Enabled    bool
	Confirmed  bool
	Guest      bool
	AuthStatus AuthStatus
	RoleIDs    []uuid.UUID
	// SalesRepIDs are back-office user ids; see Service.EffectiveSalesReps.
	SalesRepIDs             []uuid.UUID
	OwnerID                 uuid.UUID
	WebsiteID               uuid.UUID
	PreferredLocalizationID uuid.UUID
	Addresses               []Address
	// Attributes are host-defined extra fields (a JSON object).
	Attributes map[string]any
	ExternalID string
	// PasswordHash is an argon2id PHC string; never shown by adapters.
	PasswordHash      string
	PasswordChangedAt *time.Time
	LastLoginAt       *time.Time
	LoginCount        int64
	CreatedAt         time.Time
	UpdatedAt         time.Time
	Version           int64
}

// FullName is "first last".
func (u User) FullName() string { return u.FirstName + " " + u.LastName }

// CustomerFilter selects customers in List.
type CustomerFilter struct {
	// ParentID keeps direct children of a customer.
	ParentID uuid.UUID
	// TopLevel keeps customers without a parent.
	TopLevel bool
	// SubtreeOf keeps a customer and all its descendants.
	SubtreeOf uuid.UUID
	// Name is a case-insensitive substring of the name.
	Name string
	IDs  []uuid.UUID
}

// CustomerRepository stores customers. Every method is scoped by
// organization. Create and Update report a taken external id as an invalid
// error on field "externalId", rule "unique". Update stores c with
// Version = expectedVersion+1, or fails with cu.ErrStale.
type CustomerRepository interface {
	Get(ctx context.Context, org, id uuid.UUID) (Customer, error)
	GetMany(ctx context.Context, org uuid.UUID, ids []uuid.UUID) ([]Customer, error)
	// List pages customers sorted by Page.Sort: "name" (default) or
	// "createdAt", then id.
	List(ctx context.Context, org uuid.UUID, f CustomerFilter, p cu.Page) (cu.PageOf[Customer], error)
	Create(ctx context.Context, c Customer) error
	Update(ctx context.Context, c Customer, expectedVersion int64) error
	Delete(ctx context.Context, org, id uuid.UUID) error
	// Subtree returns id and all its descendants, in one query.
	Subtree(ctx context.Context, org, id uuid.UUID) ([]uuid.UUID, error)
	// Ancestors returns the parent chain of id, nearest first.
	Ancestors(ctx context.Context, org, id uuid.UUID) ([]uuid.UUID, error)
	CountChildren(ctx context.Context, org, id uuid.UUID) (int, error)
}

// UserFilter selects customer users in List. Zero fields do not filter.
type UserFilter struct {
	CustomerID uuid.UUID
	// SubtreeOf keeps users of a customer and its descendants.
	SubtreeOf uuid.UUID
	// CustomerIDs keeps users of these customers (delegated reach).
	CustomerIDs []uuid.UUID
	// Email is a case-insensitive substring of the e-mail.
	Email string
	// Name is a case-insensitive substring of first, middle or last name.
	Name string
	// Q is free text matched against e-mail and name parts.
	Q           string
	Enabled     *bool
	Confirmed   *bool
	Guest       *bool
	AuthStatus  AuthStatus
	RoleID      uuid.UUID
	WebsiteID   uuid.UUID
	CreatedFrom time.Time
	CreatedTo   time.Time
	IDs         []uuid.UUID
}

// The sort fields of UserRepository.List.
const (
	SortCreatedAt = "createdAt"
	SortEmail     = "email"
	SortLastName  = "lastName"
)

// UserRepository stores customer users with their addresses and role
// links. Every method is scoped by organization. Create and Update report a
// taken (organization, EmailKey) among non-guest users as an invalid error
// on field "email", rule "unique", message "This email is already used.".
// Update stores u with Version = expectedVersion+1, or fails with
// cu.ErrStale.
type UserRepository interface {
	role.Holders
	Get(ctx context.Context, org, id uuid.UUID) (User, error)
	// GetByEmailKey finds the non-guest user with that EmailKey.
	GetByEmailKey(ctx context.Context, org uuid.UUID, key string) (User, error)
	// List pages users sorted by Page.Sort: "createdAt" (default), "email"
	// or "lastName", then id.
	List(ctx context.Context, org uuid.UUID, f UserFilter, p cu.Page) (cu.PageOf[User], error)
	Create(ctx context.Context, u User) error
	Update(ctx context.Context, u User, expectedVersion int64) error
	// Touch stores login bookkeeping (last login, login count, password
	// hash after a rehash) without changing Version or UpdatedAt.
	Touch(ctx context.Context, u User) error
	Delete(ctx context.Context, org, id uuid.UUID) error
	CountByCustomer(ctx context.Context, org, customerID uuid.UUID) (int, error)
}

// TokenPurpose says what a one-time token is for.
type TokenPurpose string

// The token purposes.
const (
	// PurposeConfirm confirms a self-registered account.
	PurposeConfirm TokenPurpose = "confirm"
	// PurposeSetPassword is the link of a welcome e-mail, forced reset or
	// forgot-password request: it sets a new password.
	PurposeSetPassword TokenPurpose = "set_password"
)

// Token is a one-time token. Only the SHA-256 digest of the secret is
// stored; the secret itself travels only in the e-mail.
type Token struct {
	Hash           []byte
	OrganizationID uuid.UUID
	UserID         uuid.UUID
	Purpose        TokenPurpose
	CreatedAt      time.Time
	ExpiresAt      time.Time
}

// TokenRepository stores one-time tokens.
type TokenRepository interface {
	Create(ctx context.Context, t Token) error
	// Consume deletes and returns the token with that digest and purpose,
	// or fails with cu.ErrNotFound. Two concurrent calls never both
	// succeed.
	Consume(ctx context.Context, org uuid.UUID, purpose TokenPurpose, hash []byte) (Token, error)
	// DeleteForUser deletes the user's tokens of the given purposes (all
	// purposes when none are given).
	DeleteForUser(ctx context.Context, org, userID uuid.UUID, purposes ...TokenPurpose) error
}

// LoginAttempt records one authentication attempt.
type LoginAttempt struct {
	ID             uuid.UUID
	OrganizationID uuid.UUID
	// UserID is uuid.Nil when no user matched the e-mail.
	UserID  uuid.UUID
	Email   string
	At      time.Time
	Success bool
	// Reason is the precise cause of a failure (kept for the log only;
	// callers get one generic error).
	Reason    string
	Source    string
	IP        string
	UserAgent string
}

// LoginAttemptRepository stores login attempts.
type LoginAttemptRepository interface {
	Record(ctx context.Context, a LoginAttempt) error
	// Failures counts the user's failed attempts after since and after
	// its last successful one, and returns the time of the latest failure.
	// Attempts refused by throttling (Reason ReasonThrottled) do not count,
	// so that an attacker's refused tries cannot extend a victim's delay.
	Failures(ctx context.Context, org, userID uuid.UUID, since time.Time) (count int, last time.Time, err error)
	// List pages a user's attempts, newest first.
	List(ctx context.Context, org, userID uuid.UUID, p cu.Page) (cu.PageOf[LoginAttempt], error)
}

// Website is a storefront of the host, with its enabled localizations.
type Website struct {
	ID                    uuid.UUID
	Name                  string
	Localizations         []uuid.UUID
	DefaultLocalizationID uuid.UUID
}

// Sites is the host's directory of websites. NewStaticSites is an
// in-memory implementation.
type Sites interface {
	// Website fails with cu.ErrNotFound for an unknown id.
	Website(ctx context.Context, org, id uuid.UUID) (Website, error)
	DefaultWebsite(ctx context.Context, org uuid.UUID) (Website, error)
}

// The e-mail templates the library asks the Notifier to send.
const (
	TemplateConfirmation   = "customer_user_confirmation_email"
	TemplateWelcome        = "customer_user_welcome_email"
	TemplateWelcomeByAdmin = "customer_user_welcome_email_registered_by_admin"
	TemplateResetPassword  = "customer_user_reset_password"
	TemplateForcedReset    = "customer_user_force_reset_password"
	TemplateNotUniqueEmail = "not_unique_customer_user_email"
	// TemplateOAuthAppCreated tells a customer user that an OAuth
	// application was added to its account; Notification.Data["appName"]
	// names it.
	TemplateOAuthAppCreated = "customer_user_oauth_application_created"
)

// Notification is an e-mail the library wants sent to a customer user.
type Notification struct {
	Template       string
	OrganizationID uuid.UUID
	UserID         uuid.UUID
	Email          string
	Name           string
	WebsiteID      uuid.UUID
	LocalizationID uuid.UUID
	// Token is the one-time secret for the link in the e-mail, if any. It
	// exists nowhere else in clear.
	Token string
	// Data holds the values only some templates use, by name (the
	// application name "appName" of TemplateOAuthAppCreated); templates
	// see it as TemplateData.Data. Never a secret: it is stored in clear
	// in the outbox.
	Data map[string]string
}

// Notifier delivers notifications. The Service calls it inside the
// transaction of the change that caused it (ctx carries the transaction),
// so an implementation that writes through the same storage, such as
// OutboxNotifier, sends nothing for a rolled-back change and never loses a
// committed one. An error aborts the change. An implementation that sends
// at once (outside the transaction) may send for a change that then rolls
// back.
type Notifier interface {
	Notify(ctx context.Context, n Notification) error
}

// RelatedRecord is a host record tied to a customer user (an order, a
// quote, a shopping list).
type RelatedRecord struct {
	Kind  string
	ID    string
	Label string
	Link  string
	At    time.Time
}

// RelatedRecords is a host provider of records related to customer users.
type RelatedRecords interface {
	Kind() string
	List(ctx context.Context, org, userID uuid.UUID) ([]RelatedRecord, error)
	// Reassign moves the user's records to a new customer. It runs inside
	// the transaction that changes the user's customer.
	Reassign(ctx context.Context, org, userID, fromCustomer, toCustomer uuid.UUID) error
}

// AttributeValidator validates host-defined attributes; it returns the
// violations (fields relative to "attributes").
type AttributeValidator func(ctx context.Context, org uuid.UUID, attrs map[string]any) []cu.Violation
