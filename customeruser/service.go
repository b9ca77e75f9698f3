package customeruser

import (
	"context"
	"log/slog"
	"strings"
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

// DeleteHook takes part in deleting a customer user: it runs inside the
// deleting transaction, before the user row goes, so that packages built on
// customeruser (consents, OAuth applications) and hosts can clean up or
// record what they hold about the user. An error aborts the deletion.
type DeleteHook func(ctx context.Context, actor cu.Actor, u User) error

// WithDeleteHook registers hooks run when a customer user is deleted.
func WithDeleteHook(h ...DeleteHook) Option {
	return func(s *Service) { s.deleteHooks = append(s.deleteHooks, h...) }
}

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
	return func(s *Service) { s.registrationHooks = append(s.registrationHooks, h...) }
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
	deleteHooks        []DeleteHook
	registrationHooks  []RegistrationHook
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
