package customeruser

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"golang.org/x/crypto/argon2"

	cu "github.com/b2bkit/customerusers"
)

// EventUserAnonymized is appended when a customer user is anonymised
// (GDPR erasure). Its payload lists the names of the erased fields, never
// their old values.
const EventUserAnonymized = "customer_user.anonymized"

// ErasedName replaces the first and last names of an anonymised user.
const ErasedName = "Erased"

// PersonalData is everything package customeruser holds about one customer
// user, for a GDPR export (SPEC §5 ★). It never holds the password hash or
// any token. Package consent adds the consent ledger and other sources.
type PersonalData struct {
	User PersonalUser `json:"user"`
	// Customer is the user's company, nil when it no longer exists.
	Customer      *PersonalCustomer      `json:"customer"`
	Addresses     []PersonalAddress      `json:"addresses"`
	Roles         []PersonalRole         `json:"roles"`
	LoginAttempts []PersonalLoginAttempt `json:"loginAttempts"`
	// History is every event about the user, in the order they happened.
	History []cu.Event `json:"history"`
}

// PersonalUser is the user record of an export: every field but the
// password hash.
type PersonalUser struct {
	ID                      uuid.UUID      `json:"id"`
	OrganizationID          uuid.UUID      `json:"organizationId"`
	CustomerID              uuid.UUID      `json:"customerId"`
	Email                   string         `json:"email"`
	NamePrefix              string         `json:"namePrefix,omitempty"`
	FirstName               string         `json:"firstName"`
	MiddleName              string         `json:"middleName,omitempty"`
	LastName                string         `json:"lastName"`
	NameSuffix              string         `json:"nameSuffix,omitempty"`
	Birthday                string         `json:"birthday,omitempty"`
	Phone                   string         `json:"phone,omitempty"`
	Enabled                 bool           `json:"enabled"`
	Confirmed               bool           `json:"confirmed"`
	Guest                   bool           `json:"guest"`
	AuthStatus              AuthStatus     `json:"authStatus"`
	RoleIDs                 []uuid.UUID    `json:"roleIds"`
	SalesRepIDs             []uuid.UUID    `json:"salesRepIds"`
	OwnerID                 uuid.UUID      `json:"ownerId"`
	WebsiteID               uuid.UUID      `json:"websiteId"`
	PreferredLocalizationID uuid.UUID      `json:"preferredLocalizationId"`
	Attributes              map[string]any `json:"attributes,omitempty"`
	ExternalID              string         `json:"externalId,omitempty"`
	PasswordChangedAt       *time.Time     `json:"passwordChangedAt,omitempty"`
	LastLoginAt             *time.Time     `json:"lastLoginAt,omitempty"`
	LoginCount              int64          `json:"loginCount"`
	CreatedAt               time.Time      `json:"createdAt"`
	UpdatedAt               time.Time      `json:"updatedAt"`
}

// PersonalCustomer names the user's company.
type PersonalCustomer struct {
	ID   uuid.UUID `json:"id"`
	Name string    `json:"name"`
}

// PersonalAddress is an address of an export.
type PersonalAddress struct {
	ID           uuid.UUID          `json:"id"`
	Label        string             `json:"label,omitempty"`
	Organization string             `json:"organization,omitempty"`
	NamePrefix   string             `json:"namePrefix,omitempty"`
	FirstName    string             `json:"firstName,omitempty"`
	MiddleName   string             `json:"middleName,omitempty"`
	LastName     string             `json:"lastName,omitempty"`
	NameSuffix   string             `json:"nameSuffix,omitempty"`
	Street       string             `json:"street"`
	Street2      string             `json:"street2,omitempty"`
	City         string             `json:"city"`
	PostalCode   string             `json:"postalCode"`
	Country      string             `json:"country"`
	Region       string             `json:"region,omitempty"`
	Phone        string             `json:"phone,omitempty"`
	Primary      bool               `json:"primary"`
	Types        []PersonalAddrType `json:"types"`
	CreatedAt    time.Time          `json:"createdAt"`
	UpdatedAt    time.Time          `json:"updatedAt"`
}

// PersonalAddrType is a type of an exported address.
type PersonalAddrType struct {
	Type    AddressType `json:"type"`
	Default bool        `json:"default"`
}

// PersonalRole is a role of the user, by code and label.
type PersonalRole struct {
	ID    uuid.UUID `json:"id"`
	Code  string    `json:"code"`
	Label string    `json:"label"`
}

// PersonalLoginAttempt is a login attempt of an export.
type PersonalLoginAttempt struct {
	ID        uuid.UUID `json:"id"`
	Email     string    `json:"email"`
	At        time.Time `json:"at"`
	Success   bool      `json:"success"`
	Reason    string    `json:"reason,omitempty"`
	Source    string    `json:"source,omitempty"`
	IP        string    `json:"ip,omitempty"`
	UserAgent string    `json:"userAgent,omitempty"`
}

// gdprTrusted admits back-office and system actors of an organization.
func gdprTrusted(actor cu.Actor) error {
	if err := userActorCheck(actor); err != nil {
		return err
	}
	if !actor.Trusted() {
		return cu.Forbidden("personal data export and erasure are for the back office only")
	}
	return nil
}

// PersonalData gathers everything this package holds about a customer
// user: the user (without password hash), its customer's name, addresses,
// roles (codes and labels), login attempts (oldest first) and history
// events. Back-office and system actors only.
func (s *Service) PersonalData(ctx context.Context, actor cu.Actor, userID uuid.UUID) (PersonalData, error) {
	if err := gdprTrusted(actor); err != nil {
		return PersonalData{}, err
	}
	u, err := s.d.Users.Get(ctx, actor.OrganizationID, userID)
	if err != nil {
		return PersonalData{}, cu.Internal(err)
	}
	out := PersonalData{User: personalUser(u), Addresses: []PersonalAddress{}, Roles: []PersonalRole{}}
	if u.CustomerID != uuid.Nil {
		c, err := s.d.Customers.Get(ctx, u.OrganizationID, u.CustomerID)
		switch {
		case err == nil:
			out.Customer = &PersonalCustomer{ID: c.ID, Name: c.Name}
		case cu.CodeOf(err) != cu.CodeNotFound:
			return PersonalData{}, cu.Internal(err)
		}
	}
	for _, a := range u.Addresses {
		out.Addresses = append(out.Addresses, personalAddress(a))
	}
	if len(u.RoleIDs) > 0 {
		roles, err := s.d.Roles.GetMany(ctx, u.OrganizationID, u.RoleIDs)
		if err != nil {
			return PersonalData{}, cu.Internal(err)
		}
		for _, r := range roles {
			out.Roles = append(out.Roles, PersonalRole{ID: r.ID, Code: r.Code, Label: r.Label})
		}
		slices.SortFunc(out.Roles, func(a, b PersonalRole) int { return strings.Compare(a.Code, b.Code) })
	}
	if out.LoginAttempts, err = s.gdprAttempts(ctx, u); err != nil {
		return PersonalData{}, err
	}
	if out.History, err = s.gdprHistory(ctx, u); err != nil {
		return PersonalData{}, err
	}
	return out, nil
}

// gdprAttempts reads every login attempt of u, oldest first.
func (s *Service) gdprAttempts(ctx context.Context, u User) ([]PersonalLoginAttempt, error) {
	out := []PersonalLoginAttempt{}
	p := cu.Page{Limit: cu.MaxPageLimit}
	for {
		page, err := s.d.Attempts.List(ctx, u.OrganizationID, u.ID, p)
		if err != nil {
			return nil, cu.Internal(err)
		}
		for _, a := range page.Items {
			out = append(out, PersonalLoginAttempt{
				ID: a.ID, Email: a.Email, At: a.At, Success: a.Success, Reason: a.Reason, Source: a.Source, IP: a.IP, UserAgent: a.UserAgent,
			})
		}
		if page.NextCursor == "" {
			break
		}
		p.Cursor = page.NextCursor
	}
	slices.Reverse(out)
	return out, nil
}

// gdprHistory reads every event about u, in order.
func (s *Service) gdprHistory(ctx context.Context, u User) ([]cu.Event, error) {
	out := []cu.Event{}
	f := cu.EventFilter{SubjectType: SubjectCustomerUser, SubjectID: u.ID}
	p := cu.Page{Limit: cu.MaxPageLimit}
	for {
		page, err := s.d.Events.List(ctx, u.OrganizationID, f, p)
		if err != nil {
			return nil, cu.Internal(err)
		}
		out = append(out, page.Items...)
		if page.NextCursor == "" {
			return out, nil
		}
		p.Cursor = page.NextCursor
	}
}

func personalUser(u User) PersonalUser {
	pu := PersonalUser{
		ID: u.ID, OrganizationID: u.OrganizationID, CustomerID: u.CustomerID, Email: u.Email, NamePrefix: u.NamePrefix,
		FirstName: u.FirstName, MiddleName: u.MiddleName, LastName: u.LastName, NameSuffix: u.NameSuffix, Phone: u.Phone,
		Enabled: u.Enabled, Confirmed: u.Confirmed, Guest: u.Guest, AuthStatus: u.AuthStatus,
		RoleIDs: userIDList(u.RoleIDs), SalesRepIDs: userIDList(u.SalesRepIDs), OwnerID: u.OwnerID, WebsiteID: u.WebsiteID,
		PreferredLocalizationID: u.PreferredLocalizationID, Attributes: u.Attributes, ExternalID: u.ExternalID,
		PasswordChangedAt: u.PasswordChangedAt, LastLoginAt: u.LastLoginAt, LoginCount: u.LoginCount,
		CreatedAt: u.CreatedAt, UpdatedAt: u.UpdatedAt,
	}
	if u.Birthday != nil {
		pu.Birthday = u.Birthday.Format(time.DateOnly)
	}
	return pu
}

func personalAddress(a Address) PersonalAddress {
	pa := PersonalAddress{
		ID: a.ID, Label: a.Label, Organization: a.Organization, NamePrefix: a.NamePrefix, FirstName: a.FirstName,
		MiddleName: a.MiddleName, LastName: a.LastName, NameSuffix: a.NameSuffix, Street: a.Street, Street2: a.Street2,
		City: a.City, PostalCode: a.PostalCode, Country: a.Country, Region: a.Region, Phone: a.Phone, Primary: a.Primary,
		Types: []PersonalAddrType{}, CreatedAt: a.CreatedAt, UpdatedAt: a.UpdatedAt,
	}
	for _, t := range a.Types {
		pa.Types = append(pa.Types, PersonalAddrType{Type: t.Type, Default: t.Default})
	}
	return pa
}

// ErasedEmail is the placeholder e-mail of an anonymised user: a valid
// address (so the record still passes the e-mail rules), unique (it holds
// the user id) and undeliverable (.invalid is reserved by RFC 2606).
func ErasedEmail(userID uuid.UUID) string { return "erased+" + userID.String() + "@invalid" }

// unusableHash returns a well-formed argon2id PHC string with random salt
// and key: no password matches it, a login attempt against it costs what
// any other costs, and making it costs nothing (it runs inside
// transactions).
func (s *Service) unusableHash() (string, error) {
	p := s.cfg.Argon2
	salt := make([]byte, max(p.SaltLength, 16))
	key := make([]byte, max(p.KeyLength, 16))
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	if _, err := rand.Read(key); err != nil {
		return "", err
	}
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.Memory, p.Iterations, p.Parallelism,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// Anonymize erases a customer user's personal data while keeping the
// record (so that what refers to it, the consent ledger, the host's
// orders, stays consistent): the e-mail becomes ErasedEmail(id), first and
// last names ErasedName, the other name parts, birthday, phone, attributes,
// external id, addresses, sales representatives and preferred localization
// are cleared, the user is disabled, its password replaced by an unusable
// hash and its one-time tokens deleted, and the AccessRevokedHooks run
// (RevokeAnonymized), so that it can never log in again.
// It appends customer_user.anonymized, whose payload names the erased
// fields without their old values. It runs in the transaction of ctx when
// there is one (GDPR erasure in package consent joins it). Anonymising an
// anonymised user changes nothing. Back-office and system actors only.
func (s *Service) Anonymize(ctx context.Context, actor cu.Actor, userID uuid.UUID) (User, error) {
	if err := gdprTrusted(actor); err != nil {
		return User{}, err
	}
	hash, err := s.unusableHash()
	if err != nil {
		return User{}, cu.Internal(err)
	}
	var out User
	err = s.d.Tx.InTx(ctx, func(ctx context.Context) error {
		before, err := s.d.Users.Get(ctx, actor.OrganizationID, userID)
		if err != nil {
			return cu.Internal(err)
		}
		out = before
		email := ErasedEmail(before.ID)
		if before.Email == email && !before.Enabled {
			return nil
		}
		u := userCopy(before)
		u.Email, u.EmailKey = email, s.emailKey(email)
		u.NamePrefix, u.FirstName, u.MiddleName, u.LastName, u.NameSuffix = "", ErasedName, "", ErasedName, ""
		u.Birthday, u.Phone, u.Attributes, u.ExternalID = nil, "", nil, ""
		u.Addresses, u.SalesRepIDs, u.PreferredLocalizationID = nil, nil, uuid.Nil
		u.Enabled = false
		u.PasswordHash = hash
		u.UpdatedAt = s.now()
		if err := s.d.Users.Update(ctx, u, before.Version); err != nil {
			return cu.Internal(err)
		}
		u.Version = before.Version + 1
		if err := s.d.Tokens.DeleteForUser(ctx, u.OrganizationID, u.ID); err != nil {
			return cu.Internal(err)
		}
		if err := s.accessRevoked(ctx, actor, u, RevokeAnonymized); err != nil {
			return err
		}
		payload := map[string]any{"erasedFields": anonymizedFields(before)}
		if err := s.record(ctx, actor, EventUserAnonymized, SubjectCustomerUser, u.ID, payload); err != nil {
			return cu.Internal(err)
		}
		out = u
		return nil
	})
	if err != nil {
		return User{}, err
	}
	return out, nil
}

// anonymizedFields names the fields Anonymize erased from u (those that
// held something), plus the password and the enabled flag.
func anonymizedFields(u User) []string {
	fields := []string{"email", "firstName", "lastName"}
	add := func(set bool, name string) {
		if set {
			fields = append(fields, name)
		}
	}
	add(u.NamePrefix != "", "namePrefix")
	add(u.MiddleName != "", "middleName")
	add(u.NameSuffix != "", "nameSuffix")
	add(u.Birthday != nil, "birthday")
	add(u.Phone != "", "phone")
	add(len(u.Attributes) > 0, "attributes")
	add(u.ExternalID != "", "externalId")
	add(len(u.Addresses) > 0, "addresses")
	add(len(u.SalesRepIDs) > 0, "salesRepIds")
	add(u.PreferredLocalizationID != uuid.Nil, "preferredLocalizationId")
	add(u.Enabled, "enabled")
	return append(fields, "password")
}
