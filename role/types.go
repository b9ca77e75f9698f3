package role

import (
	"context"
	"time"

	"github.com/google/uuid"

	cu "github.com/b2bkit/customerusers"
)

// Permission is an action on a resource.
type Permission string

// The standard permissions. Resources may register more.
const (
	View   Permission = "view"
	Create Permission = "create"
	Edit   Permission = "edit"
	Delete Permission = "delete"
	Assign Permission = "assign"
)

// Level is how far a grant reaches. Levels are ordered: a wider level
// includes the narrower ones.
type Level int8

// The access levels.
const (
	// LevelNone grants nothing.
	LevelNone Level = iota
	// LevelUser reaches records owned by the customer user itself.
	LevelUser
	// LevelDepartment reaches records of the user's own customer.
	LevelDepartment
	// LevelCorporate reaches the user's customer and all its descendants,
	// never its ancestors.
	LevelCorporate
	// LevelFull reaches everything of the organization; only for unowned
	// resources.
	LevelFull
)

// Ownership says who owns the records of a resource, which decides the
// levels it offers.
type Ownership int8

// The ownership kinds.
const (
	// Unowned resources offer none and full.
	Unowned Ownership = iota
	// OwnedByCustomerUser resources (addresses of a user, orders, shopping
	// lists) offer none, user, department and corporate.
	OwnedByCustomerUser
	// OwnedByCustomer resources (customer users, roles, customer addresses)
	// offer none, department and corporate.
	OwnedByCustomer
)

// The library's own resources.
const (
	ResourceCustomerUser        = "customer_user"
	ResourceCustomerUserAddress = "customer_user_address"
	ResourceCustomerUserRole    = "customer_user_role"
	ResourceCustomer            = "customer"
	ResourceCustomerAddress     = "customer_address"
	ResourceOAuthApplication    = "oauth_application"
	ResourceConsentAcceptance   = "consent_acceptance"
)

// The library's own capabilities (on/off rights not tied to a record).
const (
	CapManageUsers      = "manage_users"
	CapManageRoles      = "manage_roles"
	CapUpdateOwnProfile = "update_own_profile"
	CapManagePasswords  = "manage_passwords"
	CapViewAuditHistory = "view_audit_history"
	CapShareDataView    = "share_data_view"
	CapManageOAuthApps  = "manage_oauth_apps"
)

// Resource is a kind of record that roles grant access to.
type Resource struct {
	// Name is the snake_case identifier used in grants ("order").
	Name string `json:"name"`
	// Label is the human name shown in role editors.
	Label string `json:"label"`
	// Ownership decides which levels the resource offers.
	Ownership   Ownership    `json:"ownership"`
	Permissions []Permission `json:"permissions"`
}

// Grant gives a permission on a resource at a level.
type Grant struct {
	Resource   string     `json:"resource"`
	Permission Permission `json:"permission"`
	Level      Level      `json:"level"`
}

// Role is a named set of grants and capabilities assigned to customer users.
type Role struct {
	ID             uuid.UUID
	OrganizationID uuid.UUID
	// Code is generated from the label at creation and never changes.
	Code  string
	Label string
	// CustomerID is uuid.Nil for a predefined role (offered to every
	// customer) and set for a customizable role private to that customer.
	CustomerID   uuid.UUID
	SelfManaged  bool
	Public       bool
	Grants       []Grant
	Capabilities []string
	CreatedAt    time.Time
	UpdatedAt    time.Time
	Version      int64
}

// Predefined reports whether the role belongs to no customer.
func (r Role) Predefined() bool { return r.CustomerID == uuid.Nil }

// Filter selects roles in List.
type Filter struct {
	// CustomerID, when set, keeps roles of that customer; with
	// IncludePredefined, predefined roles too.
	CustomerID uuid.UUID
	// CustomerIDs, when non-empty, keeps roles of these customers (with
	// IncludePredefined, predefined roles too); storefront lists use it
	// for a corporate reach.
	CustomerIDs       []uuid.UUID
	IncludePredefined bool
	// PredefinedOnly keeps roles with no customer.
	PredefinedOnly bool
	// Storefront keeps only self-managed and public roles.
	Storefront bool
	// Label is a case-insensitive substring of the label.
	Label string
	IDs   []uuid.UUID
}

// Repository stores roles. Every method is scoped by organization.
// Create and Update report a taken code or (customer, label) as an invalid
// error on field "code" or "label" with rule "unique". Update stores
// r with Version = expectedVersion+1 and fails with cu.ErrStale when the
// stored version differs. Get of an unknown id fails with cu.ErrNotFound.
type Repository interface {
	Get(ctx context.Context, org, id uuid.UUID) (Role, error)
	GetByCode(ctx context.Context, org uuid.UUID, code string) (Role, error)
	// GetMany returns the roles among ids that exist, in no set order.
	GetMany(ctx context.Context, org uuid.UUID, ids []uuid.UUID) ([]Role, error)
	// List pages roles sorted by label (then id).
	List(ctx context.Context, org uuid.UUID, f Filter, p cu.Page) (cu.PageOf[Role], error)
	Create(ctx context.Context, r Role) error
	Update(ctx context.Context, r Role, expectedVersion int64) error
	Delete(ctx context.Context, org, id uuid.UUID) error
}

// Holder is a customer user holding a role, as the role lifecycle rules
// need to see it.
type Holder struct {
	UserID     uuid.UUID
	CustomerID uuid.UUID
	Enabled    bool
	// RoleCount is how many roles the user holds in all.
	RoleCount int
}

// Holders answers which customer users hold a role. The customer-user
// storage implements it.
type Holders interface {
	CountHolders(ctx context.Context, org, roleID uuid.UUID) (int, error)
	// HoldersOutside lists holders of roleID whose customer is not
	// customerID.
	HoldersOutside(ctx context.Context, org, roleID, customerID uuid.UUID) ([]Holder, error)
	// Unassign removes roleID from the users, bumping their versions.
	Unassign(ctx context.Context, org, roleID uuid.UUID, userIDs []uuid.UUID) error
	// Replace gives newRoleID instead of oldRoleID to the holders of
	// oldRoleID whose customer is among customerIDs, bumping their versions,
	// and returns how many users changed.
	Replace(ctx context.Context, org, oldRoleID, newRoleID uuid.UUID, customerIDs []uuid.UUID) (int, error)
}

// Hierarchy answers customer-tree questions for corporate-level checks. The
// customer storage implements it.
type Hierarchy interface {
	// Subtree returns customerID and all its descendants. For an unknown
	// customer it returns an empty slice or a cu.ErrNotFound error; the
	// role Service uses it to check that a role's customer exists.
	Subtree(ctx context.Context, org, customerID uuid.UUID) ([]uuid.UUID, error)
}
