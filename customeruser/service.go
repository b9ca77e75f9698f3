package customeruser

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	cu "github.com/b2bkit/customerusers"
	"github.com/b2bkit/customerusers/role"
)

// Deps are the collaborators of a Service. Tx, Customers, Users, Tokens,
// Attempts, Events, Roles and Authorizer are required; Sites defaults to a
// directory without websites, Notifier to one that sends nothing.
type Deps struct {
	Tx         cu.Transactor
	Customers  CustomerRepository
	Users      UserRepository
	Tokens     TokenRepository
	Attempts   LoginAttemptRepository
	Events     cu.EventLog
	Roles      role.Repository
	Authorizer *role.Authorizer
	Sites      Sites
	Notifier   Notifier
}

// Config holds the tunable rules of a Service; NewService starts from
// DefaultConfig and Options change it.
type Config struct {
	// CaseSensitiveEmails makes e-mail uniqueness and login case-sensitive.
	// Default false: "Amanda@x.org" and "amanda@x.org" are the same user.
	CaseSensitiveEmails bool
	// ConfirmationRequired makes self-registered users start unconfirmed.
	ConfirmationRequired bool
	// ConfirmationTTL is how long a confirmation link works.
	ConfirmationTTL time.Duration
	// ResetTTL is how long a set-password link (welcome, forgot password,
	// forced reset) works.
	ResetTTL time.Duration
	// Password is the password policy.
	Password PasswordPolicy
	// Argon2 are the hashing parameters; hashes made with other parameters
	// are re-made at the next successful login.
	Argon2 Argon2Params
	// Lockout throttles repeated failed logins.
	Lockout LockoutPolicy
	// DefaultRoleCode is the role given to new users that come without one
	// (self-registration, import).
	DefaultRoleCode string
}

// LockoutPolicy throttles login attempts for an account after repeated
// failures with an exponential delay instead of a hard lock, so that an
// attacker cannot lock a victim out for good.
type LockoutPolicy struct {
	// Threshold is the number of failures within Window after which
	// attempts are throttled.
	Threshold int
	Window    time.Duration
	// BaseDelay is the wait imposed after the Threshold-th failure; each
	// further failure doubles it, up to MaxDelay.
	BaseDelay time.Duration
	MaxDelay  time.Duration
}

// DefaultConfig returns the defaults of SPEC.md.
func DefaultConfig() Config {
	return Config{
		ConfirmationRequired: true,
		ConfirmationTTL:      7 * 24 * time.Hour,
		ResetTTL:             24 * time.Hour,
		Password:             DefaultPasswordPolicy(),
		Argon2:               DefaultArgon2Params(),
		Lockout:              LockoutPolicy{Threshold: 10, Window: 15 * time.Minute, BaseDelay: time.Second, MaxDelay: 15 * time.Minute},
		DefaultRoleCode:      "BUYER",
	}
}

// Option configures a Service.
type Option func(*Service)

// WithConfig replaces the whole configuration.
func WithConfig(c Config) Option { return func(s *Service) { s.cfg = c } }

// WithClock sets the clock (tests use cu.ManualClock).
func WithClock(c cu.Clock) Option { return func(s *Service) { s.clock = c } }

// WithIDs sets the id generator.
func WithIDs(f cu.IDFunc) Option { return func(s *Service) { s.newID = f } }

// WithLogger sets the logger. Secrets are never logged.
func WithLogger(l *slog.Logger) Option { return func(s *Service) { s.log = l } }

// WithAttributeValidator validates the host-defined attributes of users.
func WithAttributeValidator(v AttributeValidator) Option {
	return func(s *Service) { s.validateAttributes = v }
}

// WithRelatedRecords registers providers of host records tied to users.
func WithRelatedRecords(p ...RelatedRecords) Option {
	return func(s *Service) { s.related = append(s.related, p...) }
}

// Lifecycle hooks let packages built on customeruser (consent, oauthapp)
// and hosts take part in changes of customer users, inside the change's
// transaction. They can be given at construction (the With*Hook options) or
// added afterwards (the Add*Hook methods), which breaks the construction
// cycle between this Service and services that need it: build this Service
// first, then the services that use it, then add their hooks. Add hooks
// while wiring, before serving: a hook added while a change runs may or
// may not take part in that change. Adding is safe for concurrent use
// (copy-on-write lists), so it never races with running changes.

// DeleteHook takes part in deleting a customer user: it runs inside the
// deleting transaction, before the user row goes, so that packages built on
// customeruser (consents, OAuth applications) and hosts can clean up or
// record what they hold about the user. An error aborts the deletion.
type DeleteHook func(ctx context.Context, actor cu.Actor, u User) error

// WithDeleteHook registers hooks run when a customer user is deleted.
func WithDeleteHook(h ...DeleteHook) Option {
	return func(s *Service) { s.deleteHooks.add(h...) }
}

// AddDeleteHook adds hooks run when a customer user is deleted, after
// construction, so that a service built on this one can hook in without a
// construction cycle. Call it while wiring, before serving; it is safe for
// concurrent use.
func (s *Service) AddDeleteHook(h ...DeleteHook) { s.deleteHooks.add(h...) }

// RegistrationHook takes part in self-registration (package consent uses it
// for mandatory consents). CheckRegistration returns violations before
// anything is written, reported with the other input errors; Registered
// runs inside the registering transaction once the user exists, and an
// error from it undoes the registration.
type RegistrationHook interface {
	CheckRegistration(ctx context.Context, org uuid.UUID, in RegisterInput) []cu.Violation
	Registered(ctx context.Context, u User, in RegisterInput) error
}

// WithRegistrationHook registers hooks run by Register.
func WithRegistrationHook(h ...RegistrationHook) Option {
	return func(s *Service) { s.registrationHooks.add(h...) }
}

// AddRegistrationHook adds hooks run by Register, after construction. Call
// it while wiring, before serving; it is safe for concurrent use.
func (s *Service) AddRegistrationHook(h ...RegistrationHook) { s.registrationHooks.add(h...) }

// The reasons an AccessRevokedHook is given.
const (
	// RevokeDisabled: the user can no longer log in because it was
	// disabled, or (through UpdateUser) made unconfirmed or a guest.
	RevokeDisabled = "disabled"
	// RevokePasswordResetForced: ForceReset; the user must set a new
	// password through the e-mailed link.
	RevokePasswordResetForced = "password_reset_forced"
	// RevokeAnonymized: Anonymize erased the user.
	RevokeAnonymized = "anonymized"
	// RevokeDeleted: DeleteUser; the hook runs before the user row goes.
	RevokeDeleted = "deleted"
	// RevokePasswordChanged: a new password through ChangePassword or
	// UpdateUser.
	RevokePasswordChanged = "password_changed"
	// RevokePasswordReset: a new password through a set-password link
	// (ResetPassword).
	RevokePasswordReset = "password_reset"
	// RevokeEmailChanged: the user's e-mail (its login name) changed.
	RevokeEmailChanged = "email_changed"
)

// AccessRevokedHook runs inside the transaction of every change after which
// credentials issued to a customer user must stop working for good (see
// the Revoke* reasons), so that packages issuing their own credentials
// (oauthapp's access tokens) delete them in the same transaction: a later
// change (re-enabling the user, a new password) never brings them back. u
// is the user as the change leaves it (as it was, for RevokeDeleted). A
// change that has several reasons (a patch that disables the user and
// changes its e-mail) calls the hook once, with the most far-reaching one,
// in the order disabled, e-mail changed, password changed. An error aborts
// the change.
type AccessRevokedHook func(ctx context.Context, actor cu.Actor, u User, reason string) error

// WithAccessRevokedHook registers hooks run when a user's credentials must
// die.
func WithAccessRevokedHook(h ...AccessRevokedHook) Option {
	return func(s *Service) { s.revokeHooks.add(h...) }
}

// AddAccessRevokedHook adds hooks run when a user's credentials must die,
// after construction. Call it while wiring, before serving; it is safe for
// concurrent use.
func (s *Service) AddAccessRevokedHook(h ...AccessRevokedHook) { s.revokeHooks.add(h...) }

// hookList is a copy-on-write list of hooks: adding swaps in a new slice,
// readers load the current one without locking.
type hookList[T any] struct{ p atomic.Pointer[[]T] }

func (l *hookList[T]) add(h ...T) {
	if len(h) == 0 {
		return
	}
	for {
		old := l.p.Load()
		var cur []T
		if old != nil {
			cur = *old
		}
		next := append(slices.Clip(cur), h...)
		if l.p.CompareAndSwap(old, &next) {
			return
		}
	}
}

func (l *hookList[T]) load() []T {
	if p := l.p.Load(); p != nil {
		return *p
	}
	return nil
}

// accessRevoked runs the AccessRevokedHooks in the transaction of ctx.
func (s *Service) accessRevoked(ctx context.Context, actor cu.Actor, u User, reason string) error {
	for _, h := range s.revokeHooks.load() {
		if err := h(ctx, actor, userCopy(u), reason); err != nil {
			return err
		}
	}
	return nil
}

// Service holds every rule of customers and customer users. It is safe for
// concurrent use.
type Service struct {
	d                  Deps
	cfg                Config
	clock              cu.Clock
	newID              cu.IDFunc
	log                *slog.Logger
	validateAttributes AttributeValidator
	related            []RelatedRecords
	deleteHooks        hookList[DeleteHook]
	registrationHooks  hookList[RegistrationHook]
	revokeHooks        hookList[AccessRevokedHook]
	hasher             *Hasher
}

// NewService returns a Service.
func NewService(d Deps, opts ...Option) *Service {
	s := &Service{d: d, cfg: DefaultConfig(), clock: cu.SystemClock{}, newID: cu.NewID, log: slog.New(slog.DiscardHandler)}
	for _, o := range opts {
		o(s)
	}
	if s.d.Sites == nil {
		s.d.Sites = NewStaticSites()
	}
	if s.d.Notifier == nil {
		s.d.Notifier = discardNotifier{}
	}
	s.hasher = NewHasher(s.cfg.Argon2)
	return s
}

// Config returns the service's configuration.
func (s *Service) Config() Config { return s.cfg }

type discardNotifier struct{}

func (discardNotifier) Notify(context.Context, Notification) error { return nil }

// notify hands n to the Notifier inside the transaction of ctx (the
// change's own), so that a rolled-back change sends nothing and a committed
// one is never lost. A Notifier error aborts the change: it is returned as
// an internal error, whatever its code.
func (s *Service) notify(ctx context.Context, n Notification) error {
	if err := s.d.Notifier.Notify(ctx, n); err != nil {
		s.log.ErrorContext(ctx, "notification failed", "template", n.Template, "user", n.UserID, "err", err)
		return &cu.Error{Code: cu.CodeInternal, Message: "the notification could not be recorded", Err: err}
	}
	return nil
}

func (s *Service) now() time.Time { return s.clock.Now().UTC() }

// emailKey returns the uniqueness key of an e-mail under the configured
// case mode.
func (s *Service) emailKey(email string) string {
	if s.cfg.CaseSensitiveEmails {
		return email
	}
	return strings.ToLower(email)
}

// record appends an event about a subject in the transaction of ctx.
func (s *Service) record(ctx context.Context, actor cu.Actor, typ, subjectType string, id uuid.UUID, payload any) error {
	return s.d.Events.Append(ctx, cu.NewEvent(s.newID(), s.now(), actor, typ, subjectType, id, payload))
}

// authorizeUser checks that actor may perform p on customer user u and
// returns the actor's grants. Another organization's user, or one the actor
// may not even view, is reported as not found so that nothing leaks.
func (s *Service) authorizeUser(ctx context.Context, actor cu.Actor, p role.Permission, u User) (*role.Grants, error) {
	if actor.OrganizationID != u.OrganizationID {
		return nil, cu.NotFound("customer user")
	}
	g, err := s.d.Authorizer.Grants(ctx, actor)
	if err != nil {
		return nil, err
	}
	t := role.Target{OwnerUserID: u.ID, CustomerID: u.CustomerID}
	if g.Can(p, role.ResourceCustomerUser, t) {
		return g, nil
	}
	if p != role.View && g.Can(role.View, role.ResourceCustomerUser, t) {
		return nil, cu.Forbidden("you may not %s this customer user", p)
	}
	return nil, cu.NotFound("customer user")
}
