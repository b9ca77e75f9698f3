package customeruser

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	cu "github.com/b2bkit/customerusers"
	"github.com/b2bkit/customerusers/role"
)

// The subject type and event types of customer users. Every change of a
// user appends one of them in the transaction of the change; together they
// are the user's audit history.
const (
	SubjectCustomerUser = "customer_user"
	// EventUserCreated carries a snapshot of the new user (no secrets).
	EventUserCreated = "customer_user.created"
	// EventUserUpdated carries the field-level changes ([]cu.Change); a new
	// password shows as a "password" change with null before and after.
	EventUserUpdated = "customer_user.updated"
	// EventUserEnabled and EventUserDisabled carry the "enabled" change.
	EventUserEnabled  = "customer_user.enabled"
	EventUserDisabled = "customer_user.disabled"
	// EventUserDeleted carries a snapshot of the deleted user.
	EventUserDeleted = "customer_user.deleted"
	// The address events carry the address id and the address (added,
	// removed) or its field-level changes (updated).
	EventAddressAdded   = "customer_user.address_added"
	EventAddressUpdated = "customer_user.address_updated"
	EventAddressRemoved = "customer_user.address_removed"
)

// userFieldMaxLen is the longest name part, phone or external id.
const userFieldMaxLen = 255

// The messages of rules that Oro users know by heart.
const (
	msgRoleRequiredWhenEnabled = "Please select at least one role before you enable the customer user."
	msgBirthdayInFuture        = "The birth date cannot be in the future."
	msgEmailUsed               = "This email is already used."
	msgPasswordThroughChange   = "Passwords are changed through the change-password operation, which checks the current password."
)

// userSnapshot is the event payload describing a whole user; it never
// holds the password hash.
type userSnapshot struct {
	CustomerID              any            `json:"customerId"`
	Email                   string         `json:"email"`
	NamePrefix              string         `json:"namePrefix,omitempty"`
	FirstName               string         `json:"firstName"`
	MiddleName              string         `json:"middleName,omitempty"`
	LastName                string         `json:"lastName"`
	NameSuffix              string         `json:"nameSuffix,omitempty"`
	Birthday                any            `json:"birthday"`
	Phone                   string         `json:"phone,omitempty"`
	Enabled                 bool           `json:"enabled"`
	Confirmed               bool           `json:"confirmed"`
	Guest                   bool           `json:"guest"`
	AuthStatus              AuthStatus     `json:"authStatus"`
	RoleIDs                 []uuid.UUID    `json:"roleIds"`
	SalesRepIDs             []uuid.UUID    `json:"salesRepIds"`
	OwnerID                 any            `json:"ownerId"`
	WebsiteID               any            `json:"websiteId"`
	PreferredLocalizationID any            `json:"preferredLocalizationId"`
	Addresses               int            `json:"addresses"`
	Attributes              map[string]any `json:"attributes,omitempty"`
	ExternalID              string         `json:"externalId,omitempty"`
}

func userSnapshotOf(u User) userSnapshot {
	return userSnapshot{
		CustomerID: userIDValue(u.CustomerID), Email: u.Email, NamePrefix: u.NamePrefix, FirstName: u.FirstName,
		MiddleName: u.MiddleName, LastName: u.LastName, NameSuffix: u.NameSuffix, Birthday: userDateValue(u.Birthday),
		Phone: u.Phone, Enabled: u.Enabled, Confirmed: u.Confirmed, Guest: u.Guest, AuthStatus: u.AuthStatus,
		RoleIDs: userIDList(u.RoleIDs), SalesRepIDs: userIDList(u.SalesRepIDs), OwnerID: userIDValue(u.OwnerID),
		WebsiteID: userIDValue(u.WebsiteID), PreferredLocalizationID: userIDValue(u.PreferredLocalizationID),
		Addresses: len(u.Addresses), Attributes: u.Attributes, ExternalID: u.ExternalID,
	}
}

// userIDValue renders an optional id for payloads: null when unset.
func userIDValue(id uuid.UUID) any {
	if id == uuid.Nil {
		return nil
	}
	return id
}

// userIDList renders an id list for payloads: [] rather than null.
func userIDList(ids []uuid.UUID) []uuid.UUID {
	if ids == nil {
		return []uuid.UUID{}
	}
	return ids
}

// userDateValue renders a birthday as "2006-01-02", or null.
func userDateValue(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.Format(time.DateOnly)
}

// userCopy returns u sharing no memory with it.
func userCopy(u User) User {
	u.RoleIDs = slices.Clone(u.RoleIDs)
	u.SalesRepIDs = slices.Clone(u.SalesRepIDs)
	u.Addresses = slices.Clone(u.Addresses)
	for i := range u.Addresses {
		u.Addresses[i].Types = slices.Clone(u.Addresses[i].Types)
	}
	if u.Attributes != nil {
		u.Attributes, _ = userNormalizeAttributes(u.Attributes)
	}
	if u.Birthday != nil {
		b := *u.Birthday
		u.Birthday = &b
	}
	if u.PasswordChangedAt != nil {
		t := *u.PasswordChangedAt
		u.PasswordChangedAt = &t
	}
	if u.LastLoginAt != nil {
		t := *u.LastLoginAt
		u.LastLoginAt = &t
	}
	return u
}

// userNormalizeAttributes returns attrs as decoded JSON (what any storage
// gives back: objects, arrays, strings, float64 numbers, booleans, nulls),
// nil for an empty object, and false when attrs cannot be encoded as JSON.
func userNormalizeAttributes(attrs map[string]any) (map[string]any, bool) {
	if len(attrs) == 0 {
		return nil, true
	}
	b, err := json.Marshal(attrs)
	if err != nil {
		return nil, false
	}
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, false
	}
	return out, true
}

func userJSONEqual(a, b map[string]any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

func userSameIDSet(a, b []uuid.UUID) bool {
	if len(a) != len(b) {
		return false
	}
	for _, id := range a {
		if !slices.Contains(b, id) {
			return false
		}
	}
	return true
}

func userSameDate(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Equal(*b)
}

// userChanges lists the field-level differences between two versions of a
// user in a fixed field order. The password hash never appears: a new
// password is a "password" change with null before and after.
func userChanges(before, after User, passwordChanged bool) []cu.Change {
	var ch []cu.Change
	add := func(changed bool, field string, b, a any) {
		if changed {
			ch = append(ch, cu.Change{Field: field, Before: b, After: a})
		}
	}
	b, a := before, after
	add(b.CustomerID != a.CustomerID, "customerId", userIDValue(b.CustomerID), userIDValue(a.CustomerID))
	add(b.Email != a.Email, "email", b.Email, a.Email)
	add(b.NamePrefix != a.NamePrefix, "namePrefix", b.NamePrefix, a.NamePrefix)
	add(b.FirstName != a.FirstName, "firstName", b.FirstName, a.FirstName)
	add(b.MiddleName != a.MiddleName, "middleName", b.MiddleName, a.MiddleName)
	add(b.LastName != a.LastName, "lastName", b.LastName, a.LastName)
	add(b.NameSuffix != a.NameSuffix, "nameSuffix", b.NameSuffix, a.NameSuffix)
	add(!userSameDate(b.Birthday, a.Birthday), "birthday", userDateValue(b.Birthday), userDateValue(a.Birthday))
	add(b.Phone != a.Phone, "phone", b.Phone, a.Phone)
	add(b.Enabled != a.Enabled, "enabled", b.Enabled, a.Enabled)
	add(b.Confirmed != a.Confirmed, "confirmed", b.Confirmed, a.Confirmed)
	add(b.Guest != a.Guest, "guest", b.Guest, a.Guest)
	add(b.AuthStatus != a.AuthStatus, "authStatus", b.AuthStatus, a.AuthStatus)
	add(!userSameIDSet(b.RoleIDs, a.RoleIDs), "roleIds", userIDList(b.RoleIDs), userIDList(a.RoleIDs))
	add(!userSameIDSet(b.SalesRepIDs, a.SalesRepIDs), "salesRepIds", userIDList(b.SalesRepIDs), userIDList(a.SalesRepIDs))
	add(b.OwnerID != a.OwnerID, "ownerId", userIDValue(b.OwnerID), userIDValue(a.OwnerID))
	add(b.WebsiteID != a.WebsiteID, "websiteId", userIDValue(b.WebsiteID), userIDValue(a.WebsiteID))
	add(b.PreferredLocalizationID != a.PreferredLocalizationID, "preferredLocalizationId",
		userIDValue(b.PreferredLocalizationID), userIDValue(a.PreferredLocalizationID))
	add(!userJSONEqual(b.Attributes, a.Attributes), "attributes", b.Attributes, a.Attributes)
	add(b.ExternalID != a.ExternalID, "externalId", b.ExternalID, a.ExternalID)
	if passwordChanged {
		ch = append(ch, cu.Change{Field: "password"})
	}
	return ch
}

// userActorCheck refuses actors that may not manage customer users at all:
// anonymous visitors and actors without an organization.
func userActorCheck(actor cu.Actor) error {
	switch actor.Kind {
	case cu.ActorSystem, cu.ActorBackOffice, cu.ActorCustomerUser:
	default:
		return cu.NewError(cu.CodeUnauthenticated, "sign in to manage customer users")
	}
	if actor.OrganizationID == uuid.Nil {
		return cu.NewError(cu.CodeUnauthenticated, "the actor has no organization")
	}
	return nil
}

// userToday is the current UTC date at 00:00.
func (s *Service) userToday() time.Time {
	y, m, d := s.now().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// checkUserFields trims the text fields of u, derives its EmailKey,
// reduces its birthday to a date and checks every rule that needs no
// look-up, appending violations to v.
func (s *Service) checkUserFields(u *User, v *cu.Violations) {
	for _, p := range []*string{&u.Email, &u.NamePrefix, &u.FirstName, &u.MiddleName, &u.LastName, &u.NameSuffix, &u.Phone, &u.ExternalID} {
		*p = strings.TrimSpace(*p)
	}
	checkEmail(v, "email", u.Email)
	u.EmailKey = s.emailKey(u.Email)
	if u.FirstName == "" {
		v.Add("firstName", "required", "The first name is required.")
	}
	if u.LastName == "" {
		v.Add("lastName", "required", "The last name is required.")
	}
	for _, f := range []struct{ name, value string }{
		{"namePrefix", u.NamePrefix}, {"firstName", u.FirstName}, {"middleName", u.MiddleName},
		{"lastName", u.LastName}, {"nameSuffix", u.NameSuffix}, {"phone", u.Phone}, {"externalId", u.ExternalID},
	} {
		if utf8.RuneCountInString(f.value) > userFieldMaxLen {
			v.Addf(f.name, "max_length", "This value must be at most %d characters long.", userFieldMaxLen)
		}
	}
	if u.Birthday != nil {
		// The date as written, whatever the time zone it came in.
		y, m, d := u.Birthday.Date()
		b := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
		u.Birthday = &b
		if b.After(s.userToday()) {
			v.Add("birthday", "future", msgBirthdayInFuture)
		}
	}
	if u.Phone != "" && !validPhone(u.Phone) {
		v.Add("phone", "format", "This is not a valid phone number.")
	}
	if u.Enabled && len(u.RoleIDs) == 0 {
		v.Add("roleIds", "required_when_enabled", msgRoleRequiredWhenEnabled)
	}
	u.SalesRepIDs = userCleanIDs(u.SalesRepIDs, "salesRepIds", v)
}

// userCleanIDs drops duplicate ids (keeping the first) and reports nil ids
// at their index.
func userCleanIDs(ids []uuid.UUID, field string, v *cu.Violations) []uuid.UUID {
	if len(ids) == 0 {
		return nil
	}
	out := make([]uuid.UUID, 0, len(ids))
	for i, id := range ids {
		switch {
		case id == uuid.Nil:
			v.Addf(fmt.Sprintf("%s[%d]", field, i), "required", "The id must not be empty.")
		case !slices.Contains(out, id):
			out = append(out, id)
		}
	}
	return out
}

// checkUserCustomer checks that u's customer exists in its organization.
func (s *Service) checkUserCustomer(ctx context.Context, u *User, v *cu.Violations) error {
	if u.CustomerID == uuid.Nil {
		v.Add("customerId", "required", "The customer is required.")
		return nil
	}
	c, err := s.d.Customers.Get(ctx, u.OrganizationID, u.CustomerID)
	switch {
	case cu.CodeOf(err) == cu.CodeNotFound || (err == nil && c.OrganizationID != u.OrganizationID):
		v.Add("customerId", "not_found", "This customer does not exist.")
	case err != nil:
		return cu.Internal(err)
	}
	return nil
}

// checkUserRoles checks the roles of u (they must exist and be predefined or
// of u's own customer), reporting "roleIds[i]" at the index given, then
// drops duplicates. It returns the roles found among u's roles and extra
// (the roles u had before, for the delegation rules), by id.
func (s *Service) checkUserRoles(ctx context.Context, u *User, extra []uuid.UUID, v *cu.Violations) (map[uuid.UUID]role.Role, error) {
	ids := make([]uuid.UUID, 0, len(u.RoleIDs)+len(extra))
	for _, id := range slices.Concat(u.RoleIDs, extra) {
		if id != uuid.Nil && !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	found := map[uuid.UUID]role.Role{}
	if len(ids) > 0 {
		roles, err := s.d.Roles.GetMany(ctx, u.OrganizationID, ids)
		if err != nil {
			return nil, cu.Internal(err)
		}
		for _, r := range roles {
			if r.OrganizationID == u.OrganizationID {
				found[r.ID] = r
			}
		}
	}
	for i, id := range u.RoleIDs {
		field := fmt.Sprintf("roleIds[%d]", i)
		r, ok := found[id]
		switch {
		case id == uuid.Nil:
			v.Add(field, "required", "The role id must not be empty.")
		case !ok:
			v.Add(field, "not_found", "This role does not exist.")
		case !r.Predefined() && r.CustomerID != u.CustomerID:
			v.Addf(field, "customer_mismatch", "The role %q belongs to another customer.", r.Label)
		}
	}
	u.RoleIDs = userCleanIDs(u.RoleIDs, "roleIds", &cu.Violations{})
	return found, nil
}

// checkUserWebsite resolves u's website (the organization's default when
// unset) and its preferred localization: a localization must be enabled for
// the website, and is kept only when the website offers more than one
// (then it defaults to the website's default localization). A localization
// the caller set explicitly (locExplicit) is a violation when the website
// does not offer it; one inherited from before a website change is cleared
// instead, and the returned notice says so. A host without websites leaves
// both unset.
func (s *Service) checkUserWebsite(ctx context.Context, u *User, locExplicit bool, v *cu.Violations) ([]string, error) {
	var (
		w   Website
		err error
	)
	if u.WebsiteID == uuid.Nil {
		w, err = s.d.Sites.DefaultWebsite(ctx, u.OrganizationID)
		if cu.CodeOf(err) == cu.CodeNotFound {
			if u.PreferredLocalizationID != uuid.Nil && locExplicit {
				v.Add("preferredLocalizationId", "not_enabled", "This localization is not enabled for the user's website.")
			}
			u.PreferredLocalizationID = uuid.Nil
			return nil, nil
		}
	} else {
		w, err = s.d.Sites.Website(ctx, u.OrganizationID, u.WebsiteID)
		if cu.CodeOf(err) == cu.CodeNotFound {
			v.Add("websiteId", "not_found", "This website does not exist.")
			return nil, nil
		}
	}
	if err != nil {
		return nil, cu.Internal(err)
	}
	u.WebsiteID = w.ID
	var notices []string
	cleared := false
	if loc := u.PreferredLocalizationID; loc != uuid.Nil && !slices.Contains(w.Localizations, loc) {
		if locExplicit {
			v.Add("preferredLocalizationId", "not_enabled", "This localization is not enabled for the user's website.")
			return nil, nil
		}
		u.PreferredLocalizationID = uuid.Nil
		cleared = true
	}
	switch {
	case len(w.Localizations) <= 1:
		u.PreferredLocalizationID = uuid.Nil
	case u.PreferredLocalizationID == uuid.Nil && slices.Contains(w.Localizations, w.DefaultLocalizationID):
		u.PreferredLocalizationID = w.DefaultLocalizationID
	case u.PreferredLocalizationID == uuid.Nil:
		v.Add("preferredLocalizationId", "required", "Please choose a preferred localization for this website.")
	}
	if cleared {
		msg := fmt.Sprintf("The preferred localization was cleared because website %q does not offer it.", w.Name)
		if u.PreferredLocalizationID != uuid.Nil {
			msg += " The website's default localization is used instead."
		}
		notices = append(notices, msg)
	}
	return notices, nil
}

// checkUserAttributes normalises u's attributes to decoded JSON and runs
// the host's validator on them (violations under "attributes").
func (s *Service) checkUserAttributes(ctx context.Context, u *User, v *cu.Violations) {
	attrs, ok := userNormalizeAttributes(u.Attributes)
	if !ok {
		v.Add("attributes", "format", "The attributes must be a JSON object.")
		return
	}
	u.Attributes = attrs
	if s.validateAttributes == nil || attrs == nil {
		return
	}
	for _, x := range s.validateAttributes(ctx, u.OrganizationID, userCopy(*u).Attributes) {
		if x.Field == "" {
			x.Field = "attributes"
		} else {
			x.Field = "attributes." + x.Field
		}
		*v = append(*v, x)
	}
}

// checkUserEmailFree reports "email"/"unique" when another non-guest user
// of the organization has u's EmailKey. Storage enforces the same rule with
// a unique index, which settles races; this look-up gives the clear error
// together with the other violations.
func (s *Service) checkUserEmailFree(ctx context.Context, u User, v *cu.Violations) error {
	if u.Guest || u.Email == "" {
		return nil
	}
	if userHasViolation(*v, "email") {
		return nil
	}
	other, err := s.d.Users.GetByEmailKey(ctx, u.OrganizationID, u.EmailKey)
	switch {
	case cu.CodeOf(err) == cu.CodeNotFound:
		return nil
	case err != nil:
		return cu.Internal(err)
	case other.ID != u.ID:
		v.Add("email", "unique", msgEmailUsed)
	}
	return nil
}

// userHasViolation reports whether v holds a violation of field.
func userHasViolation(v cu.Violations, field string) bool {
	return slices.ContainsFunc(v, func(x cu.Violation) bool { return x.Field == field })
}

// userNotification addresses an e-mail to u.
func userNotification(template string, u User, token string) Notification {
	return Notification{
		Template: template, OrganizationID: u.OrganizationID, UserID: u.ID, Email: u.Email, Name: u.FullName(),
		WebsiteID: u.WebsiteID, LocalizationID: u.PreferredLocalizationID, Token: token,
	}
}

// CreateUser creates a customer user (SPEC §2). Rules: the customer is
// required and must exist; the e-mail is required, a bare RFC 5322 address
// of 6–255 characters, unique among the organization's non-guest users
// (case-insensitively unless Config.CaseSensitiveEmails); first and last
// name are required; name parts, phone and external id are at most 255
// characters; the birthday is a date not in the future; an enabled user
// (the default) needs at least one role, and roles must be predefined or of
// the user's customer; the website defaults to the organization's default
// one and the preferred localization must be enabled for it; addresses
// follow validateAddresses; attributes go through the host's validator.
//
// A password meeting the policy is required unless GeneratePassword is set,
// which wins over Password: the generated password is hashed and forgotten,
// never returned or mailed. SendWelcomeEmail e-mails the "registered by
// admin" welcome with a single-use set-password link (the Notifier is
// called in the creating transaction; its error aborts the creation).
// Users are confirmed unless Confirmed says otherwise. A guest is created
// disabled and unconfirmed whatever Enabled and Confirmed say, gets a random
// password when none is given, never conflicts on e-mail and cannot be sent
// a welcome e-mail. Storefront actors are limited by the delegation rules
// (see delegation.go).
func (s *Service) CreateUser(ctx context.Context, actor cu.Actor, in CreateUserInput) (User, error) {
	if err := userActorCheck(actor); err != nil {
		return User{}, err
	}
	generate := in.GeneratePassword || (in.Guest && in.Password == "")
	// A first pass outside the transaction reports every violation before
	// paying for the (deliberately slow) password hash.
	if _, err := s.userPrepareCreate(ctx, actor, in, generate); err != nil {
		return User{}, err
	}
	password := in.Password
	if generate {
		var err error
		if password, err = GeneratePassword(s.cfg.Password); err != nil {
			return User{}, cu.Internal(err)
		}
	}
	hash, err := s.hasher.Hash(password)
	if err != nil {
		return User{}, cu.Internal(err)
	}
	var out User
	err = s.d.Tx.InTx(ctx, func(ctx context.Context) error {
		u, err := s.userPrepareCreate(ctx, actor, in, generate)
		if err != nil {
			return err
		}
		u.PasswordHash = hash
		if err := s.d.Users.Create(ctx, u); err != nil {
			return cu.Internal(err)
		}
		if err := s.record(ctx, actor, EventUserCreated, SubjectCustomerUser, u.ID, userSnapshotOf(u)); err != nil {
			return cu.Internal(err)
		}
		out = u
		if !in.SendWelcomeEmail {
			return nil
		}
		secret, err := s.issueToken(ctx, u, PurposeSetPassword)
		if err != nil {
			return cu.Internal(err)
		}
		return s.notify(ctx, userNotification(TemplateWelcomeByAdmin, u, secret))
	})
	if err != nil {
		return User{}, err
	}
	return out, nil
}

// userPrepareCreate builds the user of in and checks every rule, reading in
// the transaction of ctx (if any). generated says the password is made by
// the service, so in.Password is not checked.
func (s *Service) userPrepareCreate(ctx context.Context, actor cu.Actor, in CreateUserInput, generated bool) (User, error) {
	g, err := s.delegatedCreateGrants(ctx, actor)
	if err != nil {
		return User{}, err
	}
	now := s.now()
	enabled, confirmed := true, true
	if in.Enabled != nil {
		enabled = *in.Enabled
	}
	if in.Confirmed != nil {
		confirmed = *in.Confirmed
	}
	if in.Guest {
		enabled, confirmed = false, false
	}
	u := User{
		ID: s.newID(), OrganizationID: actor.OrganizationID, CustomerID: in.CustomerID, Email: in.Email,
		NamePrefix: in.NamePrefix, FirstName: in.FirstName, MiddleName: in.MiddleName, LastName: in.LastName,
		NameSuffix: in.NameSuffix, Phone: in.Phone, Enabled: enabled, Confirmed: confirmed, Guest: in.Guest,
		AuthStatus: AuthActive, RoleIDs: slices.Clone(in.RoleIDs), SalesRepIDs: slices.Clone(in.SalesRepIDs),
		OwnerID: in.OwnerID, WebsiteID: in.WebsiteID, PreferredLocalizationID: in.PreferredLocalizationID,
		Addresses: slices.Clone(in.Addresses), Attributes: in.Attributes, ExternalID: in.ExternalID,
		CreatedAt: now, UpdatedAt: now, Version: 1,
	}
	if in.Birthday != nil {
		b := *in.Birthday
		u.Birthday = &b
	}
	var v cu.Violations
	s.checkUserFields(&u, &v)
	if !generated {
		v = append(v, s.cfg.Password.Check(in.Password, u.Email)...)
	}
	if in.Guest && in.SendWelcomeEmail {
		v.Add("sendWelcomeEmail", "guest", "Guests do not sign in, so they cannot be sent a welcome e-mail.")
	}
	for i := range u.Addresses {
		u.Addresses[i].ID = s.newID()
		u.Addresses[i].CreatedAt, u.Addresses[i].UpdatedAt = now, now
	}
	v = append(v, validateAddresses(u.Addresses)...)
	if delegatedCustomerInReach(g, role.Create, u.CustomerID, &v) {
		if err := s.checkUserCustomer(ctx, &u, &v); err != nil {
			return User{}, err
		}
	}
	rawRoles := slices.Clone(u.RoleIDs)
	roles, err := s.checkUserRoles(ctx, &u, nil, &v)
	if err != nil {
		return User{}, err
	}
	if _, err := s.checkUserWebsite(ctx, &u, true, &v); err != nil {
		return User{}, err
	}
	s.checkUserAttributes(ctx, &u, &v)
	if err := s.checkUserEmailFree(ctx, u, &v); err != nil {
		return User{}, err
	}
	delegatedCreate(g, in, u, rawRoles, roles, &v)
	return u, v.Err()
}

// GetUser returns a customer user. A user of another organization, or one
// a storefront actor may not view, is not found. Storefront users always
// see themselves.
func (s *Service) GetUser(ctx context.Context, actor cu.Actor, id uuid.UUID) (User, error) {
	if err := userActorCheck(actor); err != nil {
		return User{}, err
	}
	u, err := s.d.Users.Get(ctx, actor.OrganizationID, id)
	if err != nil {
		return User{}, cu.Internal(err)
	}
	if actor.Kind == cu.ActorCustomerUser && actor.ID == u.ID {
		return u, nil
	}
	if _, err := s.authorizeUser(ctx, actor, role.View, u); err != nil {
		return User{}, err
	}
	return u, nil
}

// ListUsers pages the users of the actor's organization matching f.
// Storefront actors see only users of the customers their view grant on
// customer users reaches (intersected with f.CustomerIDs when given).
func (s *Service) ListUsers(ctx context.Context, actor cu.Actor, f UserFilter, p cu.Page) (cu.PageOf[User], error) {
	if err := userActorCheck(actor); err != nil {
		return cu.PageOf[User]{}, err
	}
	p, err := p.Normalize()
	if err != nil {
		return cu.PageOf[User]{}, err
	}
	g, err := s.d.Authorizer.Grants(ctx, actor)
	if err != nil {
		return cu.PageOf[User]{}, err
	}
	f.CustomerIDs = slices.Clone(f.CustomerIDs)
	if ids, all := g.ReachCustomers(role.ResourceCustomerUser, role.View); !all {
		if len(f.CustomerIDs) > 0 {
			f.CustomerIDs = slices.DeleteFunc(f.CustomerIDs, func(id uuid.UUID) bool { return !slices.Contains(ids, id) })
		} else {
			f.CustomerIDs = ids
		}
		if len(f.CustomerIDs) == 0 {
			return cu.PageOf[User]{Items: []User{}}, nil
		}
	}
	page, err := s.d.Users.List(ctx, actor.OrganizationID, f, p)
	if err != nil {
		return cu.PageOf[User]{}, cu.Internal(err)
	}
	return page, nil
}

// applyUserPatch copies the set fields of p onto u.
func applyUserPatch(u *User, p UserPatch) {
	setS := func(dst *string, src *string) {
		if src != nil {
			*dst = *src
		}
	}
	setB := func(dst *bool, src *bool) {
		if src != nil {
			*dst = *src
		}
	}
	setID := func(dst *uuid.UUID, src *uuid.UUID) {
		if src != nil {
			*dst = *src
		}
	}
	setID(&u.CustomerID, p.CustomerID)
	setS(&u.Email, p.Email)
	setS(&u.NamePrefix, p.NamePrefix)
	setS(&u.FirstName, p.FirstName)
	setS(&u.MiddleName, p.MiddleName)
	setS(&u.LastName, p.LastName)
	setS(&u.NameSuffix, p.NameSuffix)
	if p.Birthday != nil {
		u.Birthday = nil
		if *p.Birthday != nil {
			b := **p.Birthday
			u.Birthday = &b
		}
	}
	setS(&u.Phone, p.Phone)
	setB(&u.Enabled, p.Enabled)
	setB(&u.Confirmed, p.Confirmed)
	setB(&u.Guest, p.Guest)
	if p.RoleIDs != nil {
		u.RoleIDs = slices.Clone(*p.RoleIDs)
	}
	if p.SalesRepIDs != nil {
		u.SalesRepIDs = slices.Clone(*p.SalesRepIDs)
	}
	setID(&u.OwnerID, p.OwnerID)
	setID(&u.WebsiteID, p.WebsiteID)
	setID(&u.PreferredLocalizationID, p.PreferredLocalizationID)
	if p.Attributes != nil {
		u.Attributes = *p.Attributes
	}
	setS(&u.ExternalID, p.ExternalID)
}

// userPlan is a checked update: the stored user, what it becomes, the
// field-level changes and the notices for the caller.
type userPlan struct {
	before, after User
	changes       []cu.Change
	notices       []string
	// password says the patch sets a password (after.PasswordHash is then
	// set by the write step, which hashes it).
	password bool
}

// userPrepareUpdate reads the user, authorizes the actor, applies p and
// checks every rule, in the transaction of ctx (if any).
func (s *Service) userPrepareUpdate(ctx context.Context, actor cu.Actor, id uuid.UUID, p UserPatch, expectedVersion int64) (userPlan, error) {
	before, err := s.d.Users.Get(ctx, actor.OrganizationID, id)
	if err != nil {
		return userPlan{}, cu.Internal(err)
	}
	g, selfOnly, err := s.authorizeUserEdit(ctx, actor, before)
	if err != nil {
		return userPlan{}, err
	}
	if expectedVersion != 0 && expectedVersion != before.Version {
		return userPlan{}, cu.Stale("customer user")
	}
	after := userCopy(before)
	applyUserPatch(&after, p)
	var v cu.Violations
	s.checkUserFields(&after, &v)
	if p.Password != nil {
		if actor.Trusted() {
			v = append(v, s.cfg.Password.Check(*p.Password, after.Email)...)
		} else {
			v.Add("password", "forbidden_field", msgPasswordThroughChange)
		}
		now := s.now()
		after.AuthStatus = AuthActive
		after.PasswordChangedAt = &now
	}
	customerChanged := after.CustomerID != before.CustomerID
	if customerChanged && delegatedCustomerInReach(g, role.Assign, after.CustomerID, &v) {
		if err := s.checkUserCustomer(ctx, &after, &v); err != nil {
			return userPlan{}, err
		}
	}
	rawRoles := slices.Clone(after.RoleIDs)
	var roles map[uuid.UUID]role.Role
	if customerChanged || p.RoleIDs != nil {
		if roles, err = s.checkUserRoles(ctx, &after, before.RoleIDs, &v); err != nil {
			return userPlan{}, err
		}
	}
	var notices []string
	if after.WebsiteID != before.WebsiteID || p.PreferredLocalizationID != nil {
		if notices, err = s.checkUserWebsite(ctx, &after, p.PreferredLocalizationID != nil, &v); err != nil {
			return userPlan{}, err
		}
	}
	if p.Attributes != nil {
		s.checkUserAttributes(ctx, &after, &v)
	}
	if after.EmailKey != before.EmailKey || (before.Guest && !after.Guest) {
		if err := s.checkUserEmailFree(ctx, after, &v); err != nil {
			return userPlan{}, err
		}
	}
	changes := userChanges(before, after, p.Password != nil)
	if err := delegatedUpdate(g, selfOnly, before, after, rawRoles, roles, changes, &v); err != nil {
		return userPlan{}, err
	}
	if err := v.Err(); err != nil {
		return userPlan{}, err
	}
	return userPlan{before: before, after: after, changes: changes, notices: notices, password: p.Password != nil}, nil
}

// UpdateUser changes a customer user; nil fields of p stay as they are.
// expectedVersion is the version the caller read; 0 means "no optimistic
// check". The rules are those of CreateUser. Changing the customer
// re-checks the roles and moves the user's host records (every registered
// RelatedRecords provider's Reassign) in the same transaction. Changing the
// website clears a preferred localization it does not offer and says so in
// UpdateResult.Notices. A new password must meet the policy; it makes the
// auth status active and kills outstanding set-password links. A new
// e-mail, or disabling the user, kills all its outstanding tokens. Only
// back-office and system actors may set a password here: from the
// storefront it is an invalid error on field "password", rule
// "forbidden_field" (use ChangePassword, which asks for the current
// password, or manage_passwords for another user). Disabling the user
// (or making it unconfirmed or a guest), changing its e-mail or setting a
// password runs the AccessRevokedHooks. A patch that changes nothing
// writes nothing and returns the stored user.
func (s *Service) UpdateUser(ctx context.Context, actor cu.Actor, id uuid.UUID, p UserPatch, expectedVersion int64) (UpdateResult, error) {
	if err := userActorCheck(actor); err != nil {
		return UpdateResult{}, err
	}
	if _, err := s.userPrepareUpdate(ctx, actor, id, p, expectedVersion); err != nil {
		return UpdateResult{}, err
	}
	var hash string
	if p.Password != nil {
		var err error
		if hash, err = s.hasher.Hash(*p.Password); err != nil {
			return UpdateResult{}, cu.Internal(err)
		}
	}
	var res UpdateResult
	err := s.d.Tx.InTx(ctx, func(ctx context.Context) error {
		plan, err := s.userPrepareUpdate(ctx, actor, id, p, expectedVersion)
		if err != nil {
			return err
		}
		res = UpdateResult{User: plan.before, Notices: plan.notices}
		if len(plan.changes) == 0 {
			return nil
		}
		if p.Password != nil {
			plan.after.PasswordHash = hash
		}
		events, err := s.userWriteUpdates(ctx, actor, []*userPlan{&plan})
		if err != nil {
			var ie *BatchItemError
			if errors.As(err, &ie) {
				return ie.Err
			}
			return err
		}
		if err := s.d.Events.Append(ctx, events...); err != nil {
			return cu.Internal(err)
		}
		res.User = plan.after
		return nil
	})
	if err != nil {
		return UpdateResult{}, err
	}
	return res, nil
}

// userWriteUpdates is the write step of UpdateUser, for one checked update
// or many (an import batch), in the transaction of ctx: it writes the users
// (writeUsers), then for each user in turn moves its host
// records, kills its tokens and runs the AccessRevokedHooks as the update
// requires. It returns the customer_user.updated events for the caller to
// append (so that a batch appends them at once). Each plans[i].after
// becomes the stored user, with its new version. A failure that concerns
// one user is a *BatchItemError naming its index.
func (s *Service) userWriteUpdates(ctx context.Context, actor cu.Actor, plans []*userPlan) ([]cu.Event, error) {
	now := s.now()
	users := make([]User, len(plans))
	versions := make([]int64, len(plans))
	for i, pl := range plans {
		pl.after.UpdatedAt = now
		users[i], versions[i] = pl.after, pl.before.Version
	}
	if err := s.writeUsers(ctx, users, versions); err != nil {
		return nil, err
	}
	events := make([]cu.Event, len(plans))
	for i, pl := range plans {
		before, u := pl.before, &pl.after
		u.Version = before.Version + 1
		if err := s.userAfterUpdate(ctx, actor, before, *u, pl.password); err != nil {
			return nil, &BatchItemError{Index: i, Err: err}
		}
		events[i] = cu.NewEvent(s.newID(), s.now(), actor, EventUserUpdated, SubjectCustomerUser, u.ID, pl.changes)
	}
	return events, nil
}

// writeUsers stores checked users (users[i] expected at versions[i]) in
// the transaction of ctx: in one BatchUserUpdater call when the storage
// has it and there are several, with Update otherwise. A failure that
// concerns one user is a *BatchItemError naming its index.
func (s *Service) writeUsers(ctx context.Context, users []User, versions []int64) error {
	if bu, ok := s.d.Users.(BatchUserUpdater); ok && len(users) > 1 {
		if err := bu.UpdateMany(ctx, users, versions); err != nil {
			var ie *BatchItemError
			if errors.As(err, &ie) && ie.Index >= 0 && ie.Index < len(users) {
				return &BatchItemError{Index: ie.Index, Err: cu.Internal(ie.Err)}
			}
			return cu.Internal(err)
		}
		return nil
	}
	for i, u := range users {
		if err := s.d.Users.Update(ctx, u, versions[i]); err != nil {
			return &BatchItemError{Index: i, Err: cu.Internal(err)}
		}
	}
	return nil
}

// userAfterUpdate runs the side effects of an update written from before
// to u: the host records follow a new customer, a new e-mail or disabling
// kills every token (a new password the set-password links), and a
// reason to revoke access runs the AccessRevokedHooks.
func (s *Service) userAfterUpdate(ctx context.Context, actor cu.Actor, before, u User, passwordChanged bool) error {
	if u.CustomerID != before.CustomerID {
		for _, r := range s.related {
			if err := r.Reassign(ctx, u.OrganizationID, u.ID, before.CustomerID, u.CustomerID); err != nil {
				s.log.ErrorContext(ctx, "reassigning related records failed", "kind", r.Kind(), "user", u.ID, "err", err)
				return cu.Internal(err)
			}
		}
	}
	var err error
	switch {
	case u.Email != before.Email || (before.Enabled && !u.Enabled):
		err = s.d.Tokens.DeleteForUser(ctx, u.OrganizationID, u.ID)
	case passwordChanged:
		err = s.d.Tokens.DeleteForUser(ctx, u.OrganizationID, u.ID, PurposeSetPassword)
	}
	if err != nil {
		return cu.Internal(err)
	}
	if reason := userRevokeReason(before, u, passwordChanged); reason != "" {
		return s.accessRevoked(ctx, actor, u, reason)
	}
	return nil
}

// userRevokeReason is the most far-reaching reason an update from before
// to after gives to revoke the user's credentials, or "".
func userRevokeReason(before, after User, passwordChanged bool) string {
	loggedOut := func(u User) bool { return !u.Enabled || !u.Confirmed || u.Guest }
	switch {
	case loggedOut(after) && !loggedOut(before):
		return RevokeDisabled
	case after.Email != before.Email:
		return RevokeEmailChanged
	case passwordChanged:
		return RevokePasswordChanged
	}
	return ""
}

// EnableUser lets a customer user log in again. The user needs at least one
// role ("roleIds", rule "required_when_enabled"). Enabling an enabled user
// changes nothing and appends no event. expectedVersion 0 means "no
// optimistic check".
func (s *Service) EnableUser(ctx context.Context, actor cu.Actor, id uuid.UUID, expectedVersion int64) (User, error) {
	return s.setUserEnabled(ctx, actor, id, expectedVersion, true)
}

// DisableUser stops a customer user from logging in, kills all its
// outstanding tokens (confirmation and set-password links) at once and runs
// the AccessRevokedHooks (RevokeDisabled), so that enabling the user again
// does not revive credentials issued before.
// Disabling a disabled user changes nothing and appends no event. A
// storefront user can never disable itself. expectedVersion 0 means "no
// optimistic check".
func (s *Service) DisableUser(ctx context.Context, actor cu.Actor, id uuid.UUID, expectedVersion int64) (User, error) {
	return s.setUserEnabled(ctx, actor, id, expectedVersion, false)
}

func (s *Service) setUserEnabled(ctx context.Context, actor cu.Actor, id uuid.UUID, expectedVersion int64, enabled bool) (User, error) {
	if err := userActorCheck(actor); err != nil {
		return User{}, err
	}
	var out User
	err := s.d.Tx.InTx(ctx, func(ctx context.Context) error {
		u, err := s.d.Users.Get(ctx, actor.OrganizationID, id)
		if err != nil {
			return cu.Internal(err)
		}
		verb := "enable"
		if !enabled {
			verb = "disable"
		}
		if err := s.authorizeUserStatus(ctx, actor, role.Edit, u, verb); err != nil {
			return err
		}
		if expectedVersion != 0 && expectedVersion != u.Version {
			return cu.Stale("customer user")
		}
		out = u
		if u.Enabled == enabled {
			return nil
		}
		if enabled && len(u.RoleIDs) == 0 {
			return cu.FieldError("roleIds", "required_when_enabled", msgRoleRequiredWhenEnabled)
		}
		before := u
		u = userCopy(u)
		u.Enabled = enabled
		u.UpdatedAt = s.now()
		if err := s.d.Users.Update(ctx, u, before.Version); err != nil {
			return cu.Internal(err)
		}
		u.Version = before.Version + 1
		typ := EventUserEnabled
		if !enabled {
			typ = EventUserDisabled
			if err := s.d.Tokens.DeleteForUser(ctx, u.OrganizationID, u.ID); err != nil {
				return cu.Internal(err)
			}
			if err := s.accessRevoked(ctx, actor, u, RevokeDisabled); err != nil {
				return err
			}
		}
		if err := s.record(ctx, actor, typ, SubjectCustomerUser, u.ID, userChanges(before, u, false)); err != nil {
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

// DeleteUser deletes a customer user with its addresses, role links and
// tokens, and appends customer_user.deleted with a snapshot of the user;
// the AccessRevokedHooks (RevokeDeleted), then the DeleteHooks run first, in
// the same transaction. A storefront user can never delete itself. expectedVersion 0 means "no
// optimistic check".
func (s *Service) DeleteUser(ctx context.Context, actor cu.Actor, id uuid.UUID, expectedVersion int64) error {
	if err := userActorCheck(actor); err != nil {
		return err
	}
	return s.d.Tx.InTx(ctx, func(ctx context.Context) error {
		u, err := s.d.Users.Get(ctx, actor.OrganizationID, id)
		if err != nil {
			return cu.Internal(err)
		}
		if err := s.authorizeUserStatus(ctx, actor, role.Delete, u, "delete"); err != nil {
			return err
		}
		if expectedVersion != 0 && expectedVersion != u.Version {
			return cu.Stale("customer user")
		}
		if err := s.d.Tokens.DeleteForUser(ctx, u.OrganizationID, u.ID); err != nil {
			return cu.Internal(err)
		}
		if err := s.accessRevoked(ctx, actor, u, RevokeDeleted); err != nil {
			return err
		}
		for _, hook := range s.deleteHooks.load() {
			if err := hook(ctx, actor, u); err != nil {
				return err
			}
		}
		if err := s.d.Users.Delete(ctx, u.OrganizationID, u.ID); err != nil {
			return cu.Internal(err)
		}
		if err := s.record(ctx, actor, EventUserDeleted, SubjectCustomerUser, u.ID, userSnapshotOf(u)); err != nil {
			return cu.Internal(err)
		}
		return nil
	})
}
