package httpadapter

import (
	"encoding/json"
	"slices"
	"time"

	"github.com/google/uuid"

	cu "github.com/b2bkit/customerusers"
	"github.com/b2bkit/customerusers/customeruser"
	"github.com/b2bkit/customerusers/role"
)

// The JSON shapes of the API. Output types (…Out) always carry every field
// (null for unset optional values, [] for empty lists); input types (…In)
// are create bodies, …Patch types PATCH bodies with tri-state fields.
// Struct tags: oa:"required" marks required input fields, oa:"nullable" an
// output list that may be null, enum lists allowed values and doc
// describes a field in the OpenAPI document.

// listOf is the answer of every list route.
type listOf[T any] struct {
	Items []T `json:"items"`
	// NextCursor fetches the next page; null on the last one.
	NextCursor *string `json:"nextCursor" doc:"Pass as cursor to get the next page; null on the last page."`
}

func newList[T any](items []T, next string) listOf[T] {
	if items == nil {
		items = []T{}
	}
	l := listOf[T]{Items: items}
	if next != "" {
		l.NextCursor = &next
	}
	return l
}

func idPtr(id uuid.UUID) *uuid.UUID {
	if id == uuid.Nil {
		return nil
	}
	return &id
}

func idOf(p *uuid.UUID) uuid.UUID {
	if p == nil {
		return uuid.Nil
	}
	return *p
}

func ids(in []uuid.UUID) []uuid.UUID {
	if in == nil {
		return []uuid.UUID{}
	}
	return slices.Clone(in)
}

// customerOut is a customer.
type customerOut struct {
	ID                     uuid.UUID   `json:"id"`
	Name                   string      `json:"name"`
	ParentID               *uuid.UUID  `json:"parentId" doc:"Null for a top-level customer."`
	Group                  string      `json:"group"`
	SalesRepresentativeIDs []uuid.UUID `json:"salesRepresentativeIds" doc:"Back-office user ids of the host."`
	OwnerID                *uuid.UUID  `json:"ownerId" doc:"The back-office user owning the record."`
	ExternalID             string      `json:"externalId"`
	CreatedAt              time.Time   `json:"createdAt"`
	UpdatedAt              time.Time   `json:"updatedAt"`
	Version                int64       `json:"version" doc:"Also the ETag; send it back as If-Match."`
}

func toCustomer(c customeruser.Customer) customerOut {
	return customerOut{
		ID: c.ID, Name: c.Name, ParentID: idPtr(c.ParentID), Group: c.Group, SalesRepresentativeIDs: ids(c.SalesRepIDs),
		OwnerID: idPtr(c.OwnerID), ExternalID: c.ExternalID, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt, Version: c.Version,
	}
}

// customerIn creates a customer.
type customerIn struct {
	Name                   string      `json:"name" oa:"required"`
	ParentID               *uuid.UUID  `json:"parentId"`
	Group                  string      `json:"group"`
	SalesRepresentativeIDs []uuid.UUID `json:"salesRepresentativeIds"`
	OwnerID                *uuid.UUID  `json:"ownerId"`
	ExternalID             string      `json:"externalId"`
}

func (in customerIn) input() customeruser.CustomerInput {
	return customeruser.CustomerInput{
		Name: in.Name, ParentID: idOf(in.ParentID), Group: in.Group, SalesRepIDs: in.SalesRepresentativeIDs,
		OwnerID: idOf(in.OwnerID), ExternalID: in.ExternalID,
	}
}

// customerPatch changes a customer.
type customerPatch struct {
	Name                   opt[string]      `json:"name"`
	ParentID               opt[uuid.UUID]   `json:"parentId" doc:"Null makes the customer top-level."`
	Group                  opt[string]      `json:"group"`
	SalesRepresentativeIDs opt[[]uuid.UUID] `json:"salesRepresentativeIds"`
	OwnerID                opt[uuid.UUID]   `json:"ownerId"`
	ExternalID             opt[string]      `json:"externalId"`
	Version                opt[int64]       `json:"version" doc:"The version read; checked when no If-Match is sent."`
}

func (p customerPatch) patch() (customeruser.CustomerPatch, error) {
	return customeruser.CustomerPatch{
		Name: p.Name.ptr(), ParentID: p.ParentID.ptr(), Group: p.Group.ptr(), SalesRepIDs: p.SalesRepresentativeIDs.ptr(),
		OwnerID: p.OwnerID.ptr(), ExternalID: p.ExternalID.ptr(),
	}, nil
}

// userOut is a customer user. It never carries a password hash or token.
type userOut struct {
	ID                              uuid.UUID      `json:"id"`
	CustomerID                      uuid.UUID      `json:"customerId"`
	Email                           string         `json:"email"`
	NamePrefix                      string         `json:"namePrefix"`
	FirstName                       string         `json:"firstName"`
	MiddleName                      string         `json:"middleName"`
	LastName                        string         `json:"lastName"`
	NameSuffix                      string         `json:"nameSuffix"`
	Birthday                        *date          `json:"birthday"`
	Phone                           string         `json:"phone"`
	Enabled                         bool           `json:"enabled"`
	Confirmed                       bool           `json:"confirmed"`
	Guest                           bool           `json:"guest"`
	AuthStatus                      string         `json:"authStatus" enum:"active,reset"`
	RoleIDs                         []uuid.UUID    `json:"roleIds"`
	SalesRepresentativeIDs          []uuid.UUID    `json:"salesRepresentativeIds" doc:"The user's own sales representatives (back-office user ids)."`
	EffectiveSalesRepresentativeIDs []uuid.UUID    `json:"effectiveSalesRepresentativeIds" oa:"nullable" doc:"The user's own list when non-empty, else its customer's; null when the caller may not see it."`
	OwnerID                         *uuid.UUID     `json:"ownerId"`
	WebsiteID                       *uuid.UUID     `json:"websiteId"`
	PreferredLocalizationID         *uuid.UUID     `json:"preferredLocalizationId"`
	Attributes                      map[string]any `json:"attributes" doc:"Host-defined extra fields."`
	ExternalID                      string         `json:"externalId"`
	LastLoginAt                     *time.Time     `json:"lastLoginAt"`
	LoginCount                      int64          `json:"loginCount"`
	CreatedAt                       time.Time      `json:"createdAt"`
	UpdatedAt                       time.Time      `json:"updatedAt"`
	Version                         int64          `json:"version" doc:"Also the ETag; send it back as If-Match."`
}

func toUser(u customeruser.User, effectiveReps []uuid.UUID) userOut {
	attrs := u.Attributes
	if attrs == nil {
		attrs = map[string]any{}
	}
	return userOut{
		ID: u.ID, CustomerID: u.CustomerID, Email: u.Email, NamePrefix: u.NamePrefix, FirstName: u.FirstName,
		MiddleName: u.MiddleName, LastName: u.LastName, NameSuffix: u.NameSuffix, Birthday: newDate(u.Birthday),
		Phone: u.Phone, Enabled: u.Enabled, Confirmed: u.Confirmed, Guest: u.Guest, AuthStatus: string(u.AuthStatus),
		RoleIDs: ids(u.RoleIDs), SalesRepresentativeIDs: ids(u.SalesRepIDs), EffectiveSalesRepresentativeIDs: effectiveReps,
		OwnerID: idPtr(u.OwnerID), WebsiteID: idPtr(u.WebsiteID), PreferredLocalizationID: idPtr(u.PreferredLocalizationID),
		Attributes: attrs, ExternalID: u.ExternalID, LastLoginAt: u.LastLoginAt, LoginCount: u.LoginCount,
		CreatedAt: u.CreatedAt, UpdatedAt: u.UpdatedAt, Version: u.Version,
	}
}

// userUpdateOut is a customer user after an update, with notices about
// side effects the caller did not ask for.
type userUpdateOut struct {
	userOut
	Notices []string `json:"notices,omitempty" doc:"Side effects, such as a preferred localization cleared by a website change."`
}

// userCreateIn creates a customer user.
type userCreateIn struct {
	CustomerID              uuid.UUID      `json:"customerId" oa:"required"`
	Email                   string         `json:"email" oa:"required"`
	NamePrefix              string         `json:"namePrefix"`
	FirstName               string         `json:"firstName" oa:"required"`
	MiddleName              string         `json:"middleName"`
	LastName                string         `json:"lastName" oa:"required"`
	NameSuffix              string         `json:"nameSuffix"`
	Birthday                *date          `json:"birthday"`
	Phone                   string         `json:"phone"`
	Enabled                 *bool          `json:"enabled" doc:"Default true."`
	Confirmed               *bool          `json:"confirmed" doc:"Default true."`
	Guest                   bool           `json:"guest"`
	RoleIDs                 []uuid.UUID    `json:"roleIds"`
	SalesRepresentativeIDs  []uuid.UUID    `json:"salesRepresentativeIds"`
	OwnerID                 *uuid.UUID     `json:"ownerId"`
	WebsiteID               *uuid.UUID     `json:"websiteId" doc:"Default: the organization's default website."`
	PreferredLocalizationID *uuid.UUID     `json:"preferredLocalizationId"`
	Attributes              map[string]any `json:"attributes"`
	ExternalID              string         `json:"externalId"`
	Password                string         `json:"password" oa:"writeOnly" doc:"Required unless generatePassword is true."`
	GeneratePassword        bool           `json:"generatePassword" doc:"Set a random password nobody is told; the user sets one through the welcome e-mail."`
	SendWelcomeEmail        bool           `json:"sendWelcomeEmail" doc:"E-mail a welcome with a single-use set-password link."`
	Addresses               []addressIn    `json:"addresses"`
}

func (in userCreateIn) input() customeruser.CreateUserInput {
	out := customeruser.CreateUserInput{
		CustomerID: in.CustomerID, Email: in.Email, NamePrefix: in.NamePrefix, FirstName: in.FirstName,
		MiddleName: in.MiddleName, LastName: in.LastName, NameSuffix: in.NameSuffix, Birthday: in.Birthday.timePtr(),
		Phone: in.Phone, Enabled: in.Enabled, Confirmed: in.Confirmed, Guest: in.Guest, RoleIDs: in.RoleIDs,
		SalesRepIDs: in.SalesRepresentativeIDs, OwnerID: idOf(in.OwnerID), WebsiteID: idOf(in.WebsiteID),
		PreferredLocalizationID: idOf(in.PreferredLocalizationID), Attributes: in.Attributes, ExternalID: in.ExternalID,
		Password: in.Password, GeneratePassword: in.GeneratePassword, SendWelcomeEmail: in.SendWelcomeEmail,
	}
	for _, a := range in.Addresses {
		out.Addresses = append(out.Addresses, a.address())
	}
	return out
}

// userPatchFields are the fields of a customer-user PATCH body that both
// the back office and the storefront take.
type userPatchFields struct {
	CustomerID              opt[uuid.UUID]      `json:"customerId"`
	Email                   opt[string]         `json:"email"`
	NamePrefix              opt[string]         `json:"namePrefix"`
	FirstName               opt[string]         `json:"firstName"`
	MiddleName              opt[string]         `json:"middleName"`
	LastName                opt[string]         `json:"lastName"`
	NameSuffix              opt[string]         `json:"nameSuffix"`
	Birthday                opt[date]           `json:"birthday"`
	Phone                   opt[string]         `json:"phone"`
	Enabled                 opt[bool]           `json:"enabled" oa:"notnull"`
	Confirmed               opt[bool]           `json:"confirmed" oa:"notnull"`
	Guest                   opt[bool]           `json:"guest" oa:"notnull"`
	RoleIDs                 opt[[]uuid.UUID]    `json:"roleIds"`
	SalesRepresentativeIDs  opt[[]uuid.UUID]    `json:"salesRepresentativeIds"`
	OwnerID                 opt[uuid.UUID]      `json:"ownerId"`
	WebsiteID               opt[uuid.UUID]      `json:"websiteId"`
	PreferredLocalizationID opt[uuid.UUID]      `json:"preferredLocalizationId"`
	Attributes              opt[map[string]any] `json:"attributes" doc:"Replaces all attributes; null clears them."`
	ExternalID              opt[string]         `json:"externalId"`
	Version                 opt[int64]          `json:"version" doc:"The version read; checked when no If-Match is sent."`
}

// storefrontUserPatch is the storefront's PATCH body (its own profile,
// delegated edits): passwords change through POST /me/password, which
// asks for the current one.
type storefrontUserPatch struct {
	userPatchFields
}

// userPatchIn is the back office's PATCH body.
type userPatchIn struct {
	userPatchFields
	Password opt[string] `json:"password" oa:"writeOnly,notnull" doc:"A new password meeting the policy; the auth status becomes active."`
}

// patch maps the fields onto the domain patch; null is refused (400) for
// the flags, which cannot be cleared.
func (p userPatchFields) patch() (customeruser.UserPatch, error) {
	for _, f := range []struct {
		name string
		o    opt[bool]
	}{{"enabled", p.Enabled}, {"confirmed", p.Confirmed}, {"guest", p.Guest}} {
		if f.o.Null {
			return customeruser.UserPatch{}, nullField(f.name)
		}
	}
	out := customeruser.UserPatch{
		CustomerID: p.CustomerID.ptr(), Email: p.Email.ptr(), NamePrefix: p.NamePrefix.ptr(), FirstName: p.FirstName.ptr(),
		MiddleName: p.MiddleName.ptr(), LastName: p.LastName.ptr(), NameSuffix: p.NameSuffix.ptr(), Phone: p.Phone.ptr(),
		Enabled: p.Enabled.ptr(), Confirmed: p.Confirmed.ptr(), Guest: p.Guest.ptr(), RoleIDs: p.RoleIDs.ptr(),
		SalesRepIDs: p.SalesRepresentativeIDs.ptr(), OwnerID: p.OwnerID.ptr(), WebsiteID: p.WebsiteID.ptr(),
		PreferredLocalizationID: p.PreferredLocalizationID.ptr(), Attributes: p.Attributes.ptr(), ExternalID: p.ExternalID.ptr(),
	}
	if p.Birthday.Set {
		var b *time.Time
		if !p.Birthday.Null {
			b = p.Birthday.V.timePtr()
		}
		out.Birthday = &b
	}
	return out, nil
}

func (p userPatchIn) patch() (customeruser.UserPatch, error) {
	out, err := p.userPatchFields.patch()
	if err != nil {
		return out, err
	}
	if p.Password.Null {
		return out, nullField("password")
	}
	out.Password = p.Password.ptr()
	return out, nil
}

func nullField(name string) error {
	e := badRequest("Field %q cannot be null.", name)
	e.violations = []cu.Violation{{Field: name, Rule: "not_null", Message: "This value cannot be null."}}
	return e
}

// addressTypeOut is one use of an address.
type addressTypeOut struct {
	Type    string `json:"type" enum:"billing,shipping"`
	Default bool   `json:"default" doc:"The user's default address of this type."`
}

// addressOut is a postal address of a customer user.
type addressOut struct {
	ID           uuid.UUID        `json:"id"`
	Label        string           `json:"label"`
	Organization string           `json:"organization" doc:"The company name printed on the address."`
	NamePrefix   string           `json:"namePrefix"`
	FirstName    string           `json:"firstName"`
	MiddleName   string           `json:"middleName"`
	LastName     string           `json:"lastName"`
	NameSuffix   string           `json:"nameSuffix"`
	Street       string           `json:"street"`
	Street2      string           `json:"street2"`
	City         string           `json:"city"`
	PostalCode   string           `json:"postalCode"`
	Country      string           `json:"country" doc:"ISO 3166-1 alpha-2 code."`
	Region       string           `json:"region"`
	Phone        string           `json:"phone"`
	Primary      bool             `json:"primary"`
	Types        []addressTypeOut `json:"types"`
	CreatedAt    time.Time        `json:"createdAt"`
	UpdatedAt    time.Time        `json:"updatedAt"`
}

func toAddress(a customeruser.Address) addressOut {
	types := make([]addressTypeOut, 0, len(a.Types))
	for _, t := range a.Types {
		types = append(types, addressTypeOut{Type: string(t.Type), Default: t.Default})
	}
	return addressOut{
		ID: a.ID, Label: a.Label, Organization: a.Organization, NamePrefix: a.NamePrefix, FirstName: a.FirstName,
		MiddleName: a.MiddleName, LastName: a.LastName, NameSuffix: a.NameSuffix, Street: a.Street, Street2: a.Street2,
		City: a.City, PostalCode: a.PostalCode, Country: a.Country, Region: a.Region, Phone: a.Phone, Primary: a.Primary,
		Types: types, CreatedAt: a.CreatedAt, UpdatedAt: a.UpdatedAt,
	}
}

func toAddresses(as []customeruser.Address) []addressOut {
	out := make([]addressOut, 0, len(as))
	for _, a := range as {
		out = append(out, toAddress(a))
	}
	return out
}

// addressTypeIn is one use of an address in a request.
type addressTypeIn struct {
	Type    string `json:"type" oa:"required" enum:"billing,shipping"`
	Default bool   `json:"default"`
}

func addressTypes(in []addressTypeIn) []customeruser.AddressTypeFlag {
	if in == nil {
		return nil
	}
	out := make([]customeruser.AddressTypeFlag, 0, len(in))
	for _, t := range in {
		out = append(out, customeruser.AddressTypeFlag{Type: customeruser.AddressType(t.Type), Default: t.Default})
	}
	return out
}

// addressIn is a new address.
type addressIn struct {
	Label        string          `json:"label"`
	Organization string          `json:"organization" doc:"Required unless firstName and lastName are given."`
	NamePrefix   string          `json:"namePrefix"`
	FirstName    string          `json:"firstName"`
	MiddleName   string          `json:"middleName"`
	LastName     string          `json:"lastName"`
	NameSuffix   string          `json:"nameSuffix"`
	Street       string          `json:"street" oa:"required"`
	Street2      string          `json:"street2"`
	City         string          `json:"city" oa:"required"`
	PostalCode   string          `json:"postalCode" oa:"required"`
	Country      string          `json:"country" oa:"required" doc:"ISO 3166-1 alpha-2 code."`
	Region       string          `json:"region"`
	Phone        string          `json:"phone"`
	Primary      bool            `json:"primary"`
	Types        []addressTypeIn `json:"types"`
}

func (in addressIn) address() customeruser.Address {
	return customeruser.Address{
		Label: in.Label, Organization: in.Organization, NamePrefix: in.NamePrefix, FirstName: in.FirstName,
		MiddleName: in.MiddleName, LastName: in.LastName, NameSuffix: in.NameSuffix, Street: in.Street, Street2: in.Street2,
		City: in.City, PostalCode: in.PostalCode, Country: in.Country, Region: in.Region, Phone: in.Phone,
		Primary: in.Primary, Types: addressTypes(in.Types),
	}
}

// addressPatch changes an address; absent fields keep their value.
type addressPatch struct {
	Label        opt[string]          `json:"label"`
	Organization opt[string]          `json:"organization"`
	NamePrefix   opt[string]          `json:"namePrefix"`
	FirstName    opt[string]          `json:"firstName"`
	MiddleName   opt[string]          `json:"middleName"`
	LastName     opt[string]          `json:"lastName"`
	NameSuffix   opt[string]          `json:"nameSuffix"`
	Street       opt[string]          `json:"street"`
	Street2      opt[string]          `json:"street2"`
	City         opt[string]          `json:"city"`
	PostalCode   opt[string]          `json:"postalCode"`
	Country      opt[string]          `json:"country"`
	Region       opt[string]          `json:"region"`
	Phone        opt[string]          `json:"phone"`
	Primary      opt[bool]            `json:"primary" oa:"notnull"`
	Types        opt[[]addressTypeIn] `json:"types"`
	Version      opt[int64]           `json:"version" doc:"The user's version read; checked when no If-Match is sent."`
}

// apply returns a with the patch's fields copied over it (a plain field
// merge: every rule is the service's).
func (p addressPatch) apply(a customeruser.Address) (customeruser.Address, error) {
	if p.Primary.Null {
		return a, nullField("primary")
	}
	for _, f := range []struct {
		dst *string
		src opt[string]
	}{
		{&a.Label, p.Label}, {&a.Organization, p.Organization}, {&a.NamePrefix, p.NamePrefix},
		{&a.FirstName, p.FirstName}, {&a.MiddleName, p.MiddleName}, {&a.LastName, p.LastName},
		{&a.NameSuffix, p.NameSuffix}, {&a.Street, p.Street}, {&a.Street2, p.Street2}, {&a.City, p.City},
		{&a.PostalCode, p.PostalCode}, {&a.Country, p.Country}, {&a.Region, p.Region}, {&a.Phone, p.Phone},
	} {
		if f.src.Set {
			*f.dst = f.src.V
		}
	}
	if p.Primary.Set {
		a.Primary = p.Primary.V
	}
	if p.Types.Set {
		a.Types = addressTypes(p.Types.V)
	}
	return a, nil
}

// grantOut gives a permission on a resource at an access level.
type grantOut struct {
	Resource   string     `json:"resource"`
	Permission string     `json:"permission"`
	Level      role.Level `json:"level"`
}

// grantIn is a grant in a request.
type grantIn struct {
	Resource   string     `json:"resource" oa:"required"`
	Permission string     `json:"permission" oa:"required"`
	Level      role.Level `json:"level" oa:"required"`
}

func grantsOf(in []grantIn) []role.Grant {
	if in == nil {
		return nil
	}
	out := make([]role.Grant, 0, len(in))
	for _, g := range in {
		out = append(out, role.Grant{Resource: g.Resource, Permission: role.Permission(g.Permission), Level: g.Level})
	}
	return out
}

// roleOut is a role.
type roleOut struct {
	ID           uuid.UUID  `json:"id"`
	Code         string     `json:"code" doc:"Derived from the label at creation; never changes."`
	Label        string     `json:"label"`
	CustomerID   *uuid.UUID `json:"customerId" doc:"Null for a predefined role, offered to every customer."`
	SelfManaged  bool       `json:"selfManaged"`
	Public       bool       `json:"public"`
	Grants       []grantOut `json:"grants"`
	Capabilities []string   `json:"capabilities"`
	CreatedAt    time.Time  `json:"createdAt"`
	UpdatedAt    time.Time  `json:"updatedAt"`
	Version      int64      `json:"version" doc:"Also the ETag; send it back as If-Match."`
}

func toRole(r role.Role) roleOut {
	grants := make([]grantOut, 0, len(r.Grants))
	for _, g := range r.Grants {
		grants = append(grants, grantOut{Resource: g.Resource, Permission: string(g.Permission), Level: g.Level})
	}
	caps := slices.Clone(r.Capabilities)
	if caps == nil {
		caps = []string{}
	}
	return roleOut{
		ID: r.ID, Code: r.Code, Label: r.Label, CustomerID: idPtr(r.CustomerID), SelfManaged: r.SelfManaged,
		Public: r.Public, Grants: grants, Capabilities: caps, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, Version: r.Version,
	}
}

// roleIn creates a role.
type roleIn struct {
	Label        string     `json:"label" oa:"required"`
	CustomerID   *uuid.UUID `json:"customerId" doc:"Null or absent: a predefined role (back office) or one of the caller's customer (storefront)."`
	SelfManaged  bool       `json:"selfManaged" doc:"Forced to true in the storefront."`
	Public       bool       `json:"public" doc:"Forced to true in the storefront."`
	Grants       []grantIn  `json:"grants"`
	Capabilities []string   `json:"capabilities"`
}

func (in roleIn) input() role.Input {
	return role.Input{
		Label: in.Label, CustomerID: idOf(in.CustomerID), SelfManaged: in.SelfManaged, Public: in.Public,
		Grants: grantsOf(in.Grants), Capabilities: in.Capabilities,
	}
}

// rolePatch changes a role.
type rolePatch struct {
	Label           opt[string]    `json:"label"`
	CustomerID      opt[uuid.UUID] `json:"customerId" doc:"Null makes the role predefined."`
	SelfManaged     opt[bool]      `json:"selfManaged" oa:"notnull"`
	Public          opt[bool]      `json:"public" oa:"notnull"`
	Grants          opt[[]grantIn] `json:"grants" doc:"Replaces all grants."`
	Capabilities    opt[[]string]  `json:"capabilities" doc:"Replaces all capabilities."`
	ConfirmUnassign bool           `json:"confirmUnassign" doc:"Accept that moving the role to another customer removes it from other customers' users."`
	Version         opt[int64]     `json:"version" doc:"The version read; checked when no If-Match is sent."`
}

func (p rolePatch) patch() (role.Patch, error) {
	if p.SelfManaged.Null {
		return role.Patch{}, nullField("selfManaged")
	}
	if p.Public.Null {
		return role.Patch{}, nullField("public")
	}
	out := role.Patch{
		Label: p.Label.ptr(), CustomerID: p.CustomerID.ptr(), SelfManaged: p.SelfManaged.ptr(), Public: p.Public.ptr(),
		Capabilities: p.Capabilities.ptr(), ConfirmUnassign: p.ConfirmUnassign,
	}
	if p.Grants.Set {
		g := grantsOf(p.Grants.V)
		out.Grants = &g
	}
	return out, nil
}

// eventActor is who caused an event.
type eventActor struct {
	Kind string     `json:"kind" enum:"system,back_office,customer_user,anonymous"`
	ID   *uuid.UUID `json:"id" doc:"Null for system and anonymous actors."`
}

// eventOut is one entry of a customer user's history.
type eventOut struct {
	ID         uuid.UUID       `json:"id"`
	Type       string          `json:"type" doc:"customer_user.created, customer_user.updated, ..."`
	Actor      eventActor      `json:"actor"`
	OccurredAt time.Time       `json:"occurredAt"`
	Payload    json.RawMessage `json:"payload" doc:"A snapshot, or for updates the field-level changes [{field, before, after}]; never a secret."`
}

func toEvents(es []cu.Event) []eventOut {
	out := make([]eventOut, 0, len(es))
	for _, e := range es {
		p := e.Payload
		if len(p) == 0 {
			p = json.RawMessage("null")
		}
		out = append(out, eventOut{ID: e.ID, Type: e.Type, Actor: eventActor{Kind: string(e.Actor.Kind), ID: idPtr(e.Actor.ID)},
			OccurredAt: e.OccurredAt, Payload: p})
	}
	return out
}

// relatedOut is a host record tied to a customer user.
type relatedOut struct {
	Kind  string    `json:"kind" doc:"order, quote, shopping_list..."`
	ID    string    `json:"id"`
	Label string    `json:"label"`
	Link  string    `json:"link"`
	At    time.Time `json:"at"`
}

func toRelated(rs []customeruser.RelatedRecord) []relatedOut {
	out := make([]relatedOut, 0, len(rs))
	for _, r := range rs {
		out = append(out, relatedOut{Kind: r.Kind, ID: r.ID, Label: r.Label, Link: r.Link, At: r.At})
	}
	return out
}

// registerIn is a storefront self-registration.
type registerIn struct {
	CompanyName        string      `json:"companyName" doc:"Names the customer created for the user; \"First Last\" when empty."`
	FirstName          string      `json:"firstName" oa:"required"`
	LastName           string      `json:"lastName" oa:"required"`
	Email              string      `json:"email" oa:"required"`
	Password           string      `json:"password" oa:"required,writeOnly"`
	WebsiteID          *uuid.UUID  `json:"websiteId"`
	LocalizationID     *uuid.UUID  `json:"localizationId"`
	AcceptedConsentIDs []uuid.UUID `json:"acceptedConsentIds"`
}

func (in registerIn) input() customeruser.RegisterInput {
	return customeruser.RegisterInput{
		CompanyName: in.CompanyName, FirstName: in.FirstName, LastName: in.LastName, Email: in.Email,
		Password: in.Password, WebsiteID: idOf(in.WebsiteID), LocalizationID: idOf(in.LocalizationID),
		AcceptedConsentIDs: in.AcceptedConsentIDs,
	}
}

// acceptedOut is the answer of requests whose outcome is told by e-mail
// only, identical whatever happened, so that nobody can probe which
// e-mails have accounts.
type acceptedOut struct {
	Status string `json:"status" enum:"accepted"`
	Detail string `json:"detail"`
}

// tokenIn carries the token of an e-mailed link.
type tokenIn struct {
	Token string `json:"token" oa:"required,writeOnly"`
}

// emailIn names an e-mail address.
type emailIn struct {
	Email string `json:"email" oa:"required"`
}

// resetIn sets a new password with the token of a set-password link.
type resetIn struct {
	Token    string `json:"token" oa:"required,writeOnly"`
	Password string `json:"password" oa:"required,writeOnly"`
}

// changePasswordIn changes the caller's own password.
type changePasswordIn struct {
	CurrentPassword string `json:"currentPassword" oa:"required,writeOnly"`
	Password        string `json:"password" oa:"required,writeOnly"`
}
