package customeruser

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	cu "github.com/b2bkit/customerusers"
)

// EventDuplicateRegistration is appended (subject: the existing user) when
// someone registers with the e-mail of an existing user and that user is
// sent the not-unique-e-mail notice. It throttles the notice to one per
// duplicateNoticeInterval.
const EventDuplicateRegistration = "customer_user.duplicate_registration"

// duplicateNoticeInterval is the least time between two not-unique-e-mail
// notices to the same user.
const duplicateNoticeInterval = 24 * time.Hour

// errRegisterDuplicate aborts a registration transaction whose e-mail turned
// out to be taken.
var errRegisterDuplicate = errors.New("customeruser: e-mail already registered")

// registration is a checked self-registration: the customer and user to
// create, or the existing user that already has the e-mail.
type registration struct {
	customer Customer
	user     User
	existing *User
}

// Register is storefront self-registration (SPEC §2, Oro §6.1). It creates
// a customer named after CompanyName (or "First Last") and an enabled user
// of it with the default role (Config.DefaultRoleCode), the given website
// (or the organization's default) and preferred localization (dropped when
// the website does not offer it), recorded as done by an anonymous actor.
// When Config.ConfirmationRequired the user starts unconfirmed and, after
// commit, receives the confirmation e-mail with a single-use link;
// otherwise it is confirmed and receives the welcome e-mail.
//
// E-mail enumeration protection: when a non-guest user of the organization
// already has the e-mail and the input is otherwise valid, Register returns
// a zero User and a nil error, exactly as the caller cannot tell from a
// success, and e-mails the existing user the not-unique-e-mail notice (at
// most once per 24 hours). The password is hashed in both cases so that the
// answer takes as long. Other invalid input is reported as by CreateUser
// (the e-mail's "unique" rule never is), with the localization under
// "localizationId" and the company name under "companyName".
func (s *Service) Register(ctx context.Context, org uuid.UUID, in RegisterInput) (User, error) {
	if org == uuid.Nil {
		return User{}, cu.FieldError("organizationId", "required", "The organization is required.")
	}
	actor := cu.AnonymousActor(org)
	reg, err := s.prepareRegistration(ctx, org, in)
	if err != nil {
		return User{}, err
	}
	hash, err := s.hasher.Hash(in.Password)
	if err != nil {
		return User{}, cu.Internal(err)
	}
	if reg.existing != nil {
		return User{}, s.duplicateRegistration(ctx, actor, *reg.existing)
	}
	var out User
	err = s.d.Tx.InTx(ctx, func(ctx context.Context) error {
		reg, err := s.prepareRegistration(ctx, org, in)
		if err != nil {
			return err
		}
		if reg.existing != nil {
			return errRegisterDuplicate
		}
		c, u := reg.customer, reg.user
		u.PasswordHash = hash
		if err := s.d.Customers.Create(ctx, c); err != nil {
			return cu.Internal(err)
		}
		if err := s.record(ctx, actor, EventCustomerCreated, SubjectCustomer, c.ID, snapshotOf(c)); err != nil {
			return cu.Internal(err)
		}
		if err := s.d.Users.Create(ctx, u); err != nil {
			if registerEmailTaken(err) {
				return errRegisterDuplicate
			}
			return cu.Internal(err)
		}
		if err := s.record(ctx, actor, EventUserCreated, SubjectCustomerUser, u.ID, userSnapshotOf(u)); err != nil {
			return cu.Internal(err)
		}
		for _, h := range s.registrationHooks.load() {
			if err := h.Registered(ctx, u, in); err != nil {
				return err
			}
		}
		out = u
		if u.Confirmed {
			return s.notify(ctx, userNotification(TemplateWelcome, u, ""))
		}
		secret, err := s.issueToken(ctx, u, PurposeConfirm)
		if err != nil {
			return cu.Internal(err)
		}
		return s.notify(ctx, userNotification(TemplateConfirmation, u, secret))
	})
	if errors.Is(err, errRegisterDuplicate) {
		// A concurrent registration took the e-mail: answer as for any
		// duplicate.
		existing, err := s.d.Users.GetByEmailKey(ctx, org, s.emailKey(strings.TrimSpace(in.Email)))
		if err != nil {
			return User{}, cu.Internal(err)
		}
		return User{}, s.duplicateRegistration(ctx, actor, existing)
	}
	if err != nil {
		return User{}, err
	}
	return out, nil
}

// registerEmailTaken reports whether err is storage's unique-e-mail error.
func registerEmailTaken(err error) bool {
	var e *cu.Error
	if !errors.As(err, &e) || e.Code != cu.CodeInvalid {
		return false
	}
	x, ok := e.Violation("email")
	return ok && x.Rule == "unique"
}

// prepareRegistration builds and checks the customer and user of a
// registration, reading in the transaction of ctx (if any). A taken e-mail
// is not a violation: it sets existing.
func (s *Service) prepareRegistration(ctx context.Context, org uuid.UUID, in RegisterInput) (registration, error) {
	defaultRole, err := s.d.Roles.GetByCode(ctx, org, s.cfg.DefaultRoleCode)
	if err != nil {
		if cu.CodeOf(err) == cu.CodeNotFound {
			return registration{}, cu.Internal(fmt.Errorf("customeruser: default role %q not found; seed the organization's roles", s.cfg.DefaultRoleCode))
		}
		return registration{}, cu.Internal(err)
	}
	now := s.now()
	u := User{
		ID: s.newID(), OrganizationID: org, Email: in.Email, FirstName: in.FirstName, LastName: in.LastName,
		Enabled: true, Confirmed: !s.cfg.ConfirmationRequired, AuthStatus: AuthActive,
		RoleIDs: []uuid.UUID{defaultRole.ID}, WebsiteID: in.WebsiteID, PreferredLocalizationID: in.LocalizationID,
		CreatedAt: now, UpdatedAt: now, Version: 1,
	}
	var v cu.Violations
	company := strings.TrimSpace(in.CompanyName)
	if utf8.RuneCountInString(company) > customerMaxLen {
		v.Addf("companyName", "max_length", "The company name must be at most %d characters long.", customerMaxLen)
	}
	s.checkUserFields(&u, &v)
	v = append(v, s.cfg.Password.Check(in.Password, u.Email)...)
	if _, err := s.checkUserWebsite(ctx, &u, false, &v); err != nil {
		return registration{}, err
	}
	name := company
	if name == "" {
		name = registerClip(u.FirstName+" "+u.LastName, customerMaxLen)
	}
	c := Customer{ID: s.newID(), OrganizationID: org, Name: name, CreatedAt: now, UpdatedAt: now, Version: 1}
	u.CustomerID = c.ID
	v = append(v, s.registrationChecks(ctx, org, in, u)...)
	for i := range v {
		if v[i].Field == "preferredLocalizationId" {
			v[i].Field = "localizationId"
		}
	}
	if err := v.Err(); err != nil {
		return registration{}, err
	}
	reg := registration{customer: c, user: u}
	existing, err := s.d.Users.GetByEmailKey(ctx, org, u.EmailKey)
	switch {
	case err == nil:
		reg.existing = &existing
	case cu.CodeOf(err) != cu.CodeNotFound:
		return registration{}, cu.Internal(err)
	}
	return reg, nil
}

// registrationChecks holds the rules only self-registration has, run with
// the other checks so that a visitor sees every problem at once. It is the
// extension point for mandatory consents (SPEC §5: the mandatory consents
// enabled for the website must be accepted to register): their check
// returns its violations here, through the registered RegistrationHooks.
func (s *Service) registrationChecks(ctx context.Context, org uuid.UUID, in RegisterInput, _ User) []cu.Violation {
	var v []cu.Violation
	for _, h := range s.registrationHooks.load() {
		v = append(v, h.CheckRegistration(ctx, org, in)...)
	}
	return v
}

// registerClip cuts s to at most n characters, without trailing space.
func registerClip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return strings.TrimSpace(string([]rune(s)[:n]))
}

// duplicateRegistration answers a registration with a taken e-mail: unless
// the existing user got the notice in the last 24 hours, it appends
// EventDuplicateRegistration and, in the same transaction, sends it the
// not-unique-e-mail notice.
func (s *Service) duplicateRegistration(ctx context.Context, actor cu.Actor, existing User) error {
	err := s.d.Tx.InTx(ctx, func(ctx context.Context) error {
		recent, err := s.recentDuplicateNotice(ctx, existing)
		if err != nil || recent {
			return err
		}
		if err := s.record(ctx, actor, EventDuplicateRegistration, SubjectCustomerUser, existing.ID, nil); err != nil {
			return err
		}
		return s.notify(ctx, userNotification(TemplateNotUniqueEmail, existing, ""))
	})
	return cu.Internal(err)
}

// recentDuplicateNotice reports whether u was sent the not-unique-e-mail
// notice within duplicateNoticeInterval.
func (s *Service) recentDuplicateNotice(ctx context.Context, u User) (bool, error) {
	since := s.now().Add(-duplicateNoticeInterval)
	f := cu.EventFilter{SubjectType: SubjectCustomerUser, SubjectID: u.ID}
	p := cu.Page{Limit: cu.MaxPageLimit}
	for {
		page, err := s.d.Events.List(ctx, u.OrganizationID, f, p)
		if err != nil {
			return false, err
		}
		for _, e := range page.Items {
			if e.Type == EventDuplicateRegistration && e.OccurredAt.After(since) {
				return true, nil
			}
		}
		if page.NextCursor == "" {
			return false, nil
		}
		p.Cursor = page.NextCursor
	}
}
