package oauthapp

import (
	"context"
	"log/slog"
	"slices"
	"time"

	"github.com/google/uuid"

	cu "github.com/b2bkit/customerusers"
	"github.com/b2bkit/customerusers/customeruser"
	"github.com/b2bkit/customerusers/role"
)

// Logins is what the token service needs of package customeruser: the
// login checks without a password (client_credentials, every API call) and
// the full password login with its lockout (password grant).
// *customeruser.Service implements it.
type Logins interface {
	Authenticate(ctx context.Context, org uuid.UUID, c customeruser.Credentials) (customeruser.User, error)
	CheckLogin(u customeruser.User) error
}

// Deps are the collaborators of a Service. All are required except
// Notifier (default: sends nothing).
type Deps struct {
	Tx     cu.Transactor
	Apps   AppRepository
	Tokens TokenRepository
	// Users reads the owners of applications.
	Users      customeruser.UserRepository
	Authorizer *role.Authorizer
	Events     cu.EventLog
	// Notifier is called inside the creating transaction with the
	// customer_user_oauth_application_created notification of the owner;
	// an error from it undoes the creation (transactional outbox).
	Notifier customeruser.Notifier
	// Logins runs the login checks; usually the *customeruser.Service.
	// See the package documentation for wiring it together with
	// DeleteHook and RevokeHook.
	Logins Logins
}

// FirstPartyClient is the host's own client (its storefront front end)
// that may use the password grant. Applications of customer users never
// may: they hold no password.
type FirstPartyClient struct {
	// ClientID is what the client sends as client_id ("storefront").
	ClientID string
	// SecretDigest is DigestSecret of the client's secret for a
	// confidential client, which must then authenticate with it. Nil makes
	// a public client (a browser or mobile app cannot keep a secret, RFC
	// 6749 §2.1): it sends no secret, and a request that sends one is
	// refused, so that a misconfiguration shows at once.
	SecretDigest []byte
	// Scopes, when non-empty, are the most its tokens may carry; empty
	// means all of the user's permissions.
	Scopes []string
}

// Config holds the tunable rules of a Service.
type Config struct {
	// AccessTokenTTL is the lifetime of access tokens; 0 means one hour.
	AccessTokenTTL time.Duration
	// FirstPartyClients may use the password grant.
	FirstPartyClients []FirstPartyClient
}

// DefaultAccessTokenTTL is the lifetime of access tokens by default, as in
// Oro.
const DefaultAccessTokenTTL = time.Hour

// LoginSource is the Credentials.Source of password-grant logins, as the
// login attempts and events record it.
const LoginSource = "oauth"

// Option configures a Service.
type Option func(*Service)

// WithClock sets the clock (tests use cu.ManualClock).
func WithClock(c cu.Clock) Option { return func(s *Service) { s.clock = c } }

// WithIDs sets the id generator.
func WithIDs(f cu.IDFunc) Option { return func(s *Service) { s.newID = f } }

// WithLogger sets the logger. Secrets and tokens are never logged.
func WithLogger(l *slog.Logger) Option { return func(s *Service) { s.log = l } }

// Service manages OAuth applications and issues, validates, introspects
// and revokes access tokens. It is safe for concurrent use.
type Service struct {
	d     Deps
	cfg   Config
	clock cu.Clock
	newID cu.IDFunc
	log   *slog.Logger
	// firstParty indexes Config.FirstPartyClients by client id.
	firstParty map[string]FirstPartyClient
}

// NewService returns a Service.
func NewService(d Deps, cfg Config, opts ...Option) *Service {
	if cfg.AccessTokenTTL <= 0 {
		cfg.AccessTokenTTL = DefaultAccessTokenTTL
	}
	cfg.FirstPartyClients = slices.Clone(cfg.FirstPartyClients)
	s := &Service{d: d, cfg: cfg, clock: cu.SystemClock{}, newID: cu.NewID, log: slog.New(slog.DiscardHandler),
		firstParty: map[string]FirstPartyClient{}}
	for _, o := range opts {
		o(s)
	}
	if s.d.Notifier == nil {
		s.d.Notifier = discardNotifier{}
	}
	for _, c := range cfg.FirstPartyClients {
		c.SecretDigest = slices.Clone(c.SecretDigest)
		c.Scopes = slices.Clone(c.Scopes)
		s.firstParty[c.ClientID] = c
	}
	return s
}

// Config returns the service's configuration.
func (s *Service) Config() Config { return s.cfg }

type discardNotifier struct{}

func (discardNotifier) Notify(context.Context, customeruser.Notification) error { return nil }

func (s *Service) now() time.Time { return s.clock.Now().UTC() }

// record appends an event about an application in the transaction of ctx.
func (s *Service) record(ctx context.Context, actor cu.Actor, typ string, id uuid.UUID, payload any) error {
	return s.d.Events.Append(ctx, cu.NewEvent(s.newID(), s.now(), actor, typ, SubjectOAuthApp, id, payload))
}
