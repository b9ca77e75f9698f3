package customeruser

import (
	"time"

	"github.com/google/uuid"
)

// CustomerInput creates a customer.
type CustomerInput struct {
	Name        string
	ParentID    uuid.UUID
	Group       string
	SalesRepIDs []uuid.UUID
	OwnerID     uuid.UUID
	ExternalID  string
}

// CustomerPatch changes a customer; nil fields stay as they are.
type CustomerPatch struct {
	Name        *string
	ParentID    *uuid.UUID
	Group       *string
	SalesRepIDs *[]uuid.UUID
	OwnerID     *uuid.UUID
	ExternalID  *string
}

// CreateUserInput creates a customer user.
type CreateUserInput struct {
	CustomerID uuid.UUID
	Email      string
	NamePrefix string
	FirstName  string
	MiddleName string
	LastName   string
	NameSuffix string
	Birthday   *time.Time
	Phone      string
	// Enabled defaults to true.
	Enabled *bool
	// Confirmed defaults to true: users created by an administrator need
	// no e-mail confirmation.
	Confirmed               *bool
	Guest                   bool
	RoleIDs                 []uuid.UUID
	SalesRepIDs             []uuid.UUID
	OwnerID                 uuid.UUID
	WebsiteID               uuid.UUID
	PreferredLocalizationID uuid.UUID
	Addresses               []Address
	Attributes              map[string]any
	ExternalID              string
	// Password is required unless GeneratePassword is set.
	Password string
	// GeneratePassword sets a random password that nobody is told; the
	// user sets their own through the welcome e-mail's link.
	GeneratePassword bool
	// SendWelcomeEmail e-mails a welcome with a single-use set-password
	// link.
	SendWelcomeEmail bool
}

// UserPatch changes a customer user; nil fields stay as they are.
type UserPatch struct {
	CustomerID              *uuid.UUID
	Email                   *string
	NamePrefix              *string
	FirstName               *string
	MiddleName              *string
	LastName                *string
	NameSuffix              *string
	Birthday                **time.Time
	Phone                   *string
	Enabled                 *bool
	Confirmed               *bool
	Guest                   *bool
	RoleIDs                 *[]uuid.UUID
	SalesRepIDs             *[]uuid.UUID
	OwnerID                 *uuid.UUID
	WebsiteID               *uuid.UUID
	PreferredLocalizationID *uuid.UUID
	Attributes              *map[string]any
	ExternalID              *string
	// Password sets a new password (it must meet the policy); the auth
	// status becomes active and outstanding links die.
	Password *string
}

// UpdateResult is the outcome of UpdateUser.
type UpdateResult struct {
	User User
	// Notices tell the caller about side effects it did not ask for, such
	// as a preferred localization cleared because the new website does not
	// offer it.
	Notices []string
}

// RegisterInput is a storefront self-registration.
type RegisterInput struct {
	// CompanyName names the customer created for the user; "First Last"
	// when empty.
	CompanyName    string
	FirstName      string
	LastName       string
	Email          string
	Password       string
	WebsiteID      uuid.UUID
	LocalizationID uuid.UUID
	// AcceptedConsentIDs are the consents the visitor accepted on the
	// registration form; a RegistrationHook (package consent) checks the
	// mandatory ones and records the acceptances.
	AcceptedConsentIDs []uuid.UUID
}

// Credentials are what a login attempt presents, with where it came from.
type Credentials struct {
	Email     string
	Password  string
	Source    string
	IP        string
	UserAgent string
}
