package teststore

import (
	"testing"

	"github.com/google/uuid"

	cu "github.com/b2bkit/customerusers"
	"github.com/b2bkit/customerusers/consent"
	"github.com/b2bkit/customerusers/customeruser"
	"github.com/b2bkit/customerusers/oauthapp"
	"github.com/b2bkit/customerusers/role"
	"github.com/b2bkit/customerusers/storage/memory"
	"github.com/b2bkit/customerusers/storage/postgres"
	"github.com/b2bkit/customerusers/storage/postgres/pgtest"
)

// Customers is the customer repository of a store, which is also the
// customer hierarchy that roles and the authorizer walk.
type Customers interface {
	customeruser.CustomerRepository
	role.Hierarchy
}

// Store is the storage of one test, with the accessors of the storages'
// own Store types, so that harness code reads like host wiring. It is the
// Transactor of its repositories.
type Store struct {
	cu.Transactor
	pg           *postgres.Store
	roles        role.Repository
	customers    Customers
	users        customeruser.UserRepository
	tokens       customeruser.TokenRepository
	attempts     customeruser.LoginAttemptRepository
	events       cu.EventLog
	outbox       cu.Outbox
	consents     consent.DefinitionRepository
	ledger       consent.LedgerRepository
	apps         oauthapp.AppRepository
	accessTokens oauthapp.TokenRepository
}

// Memory returns a Store on a fresh in-memory storage.
func Memory() *Store {
	m := memory.New()
	return &Store{Transactor: m, roles: m.Roles(), customers: m.Customers(), users: m.Users(), tokens: m.Tokens(),
		attempts: m.LoginAttempts(), events: m.Events(), outbox: m.Outbox(), consents: m.Consents(),
		ledger: m.ConsentLedger(), apps: m.OAuthApps(), accessTokens: m.AccessTokens()}
}

// Postgres returns a Store on pg. Its outbox holds org's events only, since
// a shared schema holds the events of every test (uuid.Nil: all of them).
func Postgres(pg *postgres.Store, org uuid.UUID) *Store {
	return &Store{Transactor: pg, pg: pg, roles: pg.Roles(), customers: pg.Customers(), users: pg.Users(),
		tokens: pg.Tokens(), attempts: pg.LoginAttempts(), events: pg.Events(), outbox: pg.OutboxOf(org),
		consents: pg.Consents(), ledger: pg.ConsentLedger(), apps: pg.OAuthApps(), accessTokens: pg.AccessTokens()}
}

// shared is the store of the PostgreSQL pass of Main, nil during the
// memory pass. Main sets it before the pass and clears it after, while no
// test runs.
var shared *postgres.Store

// Main runs the tests of a package twice through pgtest.Main: on the
// memory storage, then on one PostgreSQL schema shared by the whole run,
// where New hands out the shared store. Call it from TestMain.
func Main(m *testing.M) { pgtest.Main(m, func(s *postgres.Store) { shared = s }) }

// New returns the storage of one test of the current pass of Main: a fresh
// memory store, or the shared PostgreSQL store with the outbox of org.
func New(org uuid.UUID) *Store {
	if pg := shared; pg != nil {
		return Postgres(pg, org)
	}
	return Memory()
}

// MemoryOnly skips t during the PostgreSQL pass of Main, for the few tests
// too slow there whose point is not the storage; reason says why.
func MemoryOnly(t testing.TB, reason string) {
	t.Helper()
	if shared != nil {
		t.Skip("memory storage only: " + reason)
	}
}

// Postgres returns the PostgreSQL store under s, nil on memory: for the
// tests that look at the rows themselves.
func (s *Store) Postgres() *postgres.Store { return s.pg }

// Roles returns the role repository.
func (s *Store) Roles() role.Repository { return s.roles }

// Customers returns the customer repository, which is also the hierarchy.
func (s *Store) Customers() Customers { return s.customers }

// Users returns the customer user repository.
func (s *Store) Users() customeruser.UserRepository { return s.users }

// Tokens returns the one-time token repository.
func (s *Store) Tokens() customeruser.TokenRepository { return s.tokens }

// LoginAttempts returns the login attempt repository.
func (s *Store) LoginAttempts() customeruser.LoginAttemptRepository { return s.attempts }

// Events returns the event log.
func (s *Store) Events() cu.EventLog { return s.events }

// Outbox returns the outbox: the whole memory store's, or one
// organization's on PostgreSQL (see Postgres).
func (s *Store) Outbox() cu.Outbox { return s.outbox }

// Consents returns the consent definition repository.
func (s *Store) Consents() consent.DefinitionRepository { return s.consents }

// ConsentLedger returns the consent ledger repository.
func (s *Store) ConsentLedger() consent.LedgerRepository { return s.ledger }

// OAuthApps returns the OAuth application repository.
func (s *Store) OAuthApps() oauthapp.AppRepository { return s.apps }

// AccessTokens returns the OAuth access token repository.
func (s *Store) AccessTokens() oauthapp.TokenRepository { return s.accessTokens }
