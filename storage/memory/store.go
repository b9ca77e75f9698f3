// Package memory implements every repository of the library in process
// memory, for tests, demos and small tools.
//
// Transactions are real: Store.InTx runs its function under the store's
// write lock and undoes every write when the function fails or panics, so
// a failed use case leaves nothing behind, exactly like the PostgreSQL
// storage. Transactions are serialized (one at a time), which makes the
// store trivially consistent at the cost of write throughput; it is safe
// for concurrent use. Values are deep-copied in and out, so callers never
// share memory with the store.
//
// Inside InTx, call repositories only with the context InTx passed to the
// function: a call with another context would wait for the lock that the
// transaction holds.
package memory

import (
	"context"
	"fmt"
	"sync"

	"github.com/google/uuid"

	cu "github.com/b2bkit/customerusers"
	"github.com/b2bkit/customerusers/customeruser"
	"github.com/b2bkit/customerusers/role"
)

// Store holds all data of all organizations.
type Store struct {
	mu sync.RWMutex

	roles     map[uuid.UUID]role.Role
	customers map[uuid.UUID]customeruser.Customer
	users     map[uuid.UUID]customeruser.User
	// emails indexes non-guest users by (organization, EmailKey).
	emails   map[orgKey]uuid.UUID
	tokens   map[string]customeruser.Token
	attempts []customeruser.LoginAttempt
	events   []cu.Event
	outbox   outboxTables // delivery state of events (events.go)
	consent  consentTables
	oauth    oauthTables
}

type orgKey struct {
	org uuid.UUID
	key string
}

// New returns an empty store.
func New() *Store {
	s := &Store{
		roles:     map[uuid.UUID]role.Role{},
		customers: map[uuid.UUID]customeruser.Customer{},
		users:     map[uuid.UUID]customeruser.User{},
		emails:    map[orgKey]uuid.UUID{},
		tokens:    map[string]customeruser.Token{},
	}
	s.consent.init()
	s.oauth.init()
	return s
}

// txn is an open transaction: the undo log of its writes.
type txn struct {
	s    *Store
	undo []func()
}

type txKey struct{}

func (s *Store) txFrom(ctx context.Context) *txn {
	t, _ := ctx.Value(txKey{}).(*txn)
	if t != nil && t.s == s {
		return t
	}
	return nil
}

// InTx runs fn in a transaction. A nested InTx joins the outer one.
func (s *Store) InTx(ctx context.Context, fn func(ctx context.Context) error) (err error) {
	if s.txFrom(ctx) != nil {
		return fn(ctx)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t := &txn{s: s}
	return t.run(func() error { return fn(context.WithValue(ctx, txKey{}, t)) })
}

// run calls fn and rolls back on error or panic (re-panicking after).
func (t *txn) run(fn func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			t.rollback()
			panic(r)
		}
		if err != nil {
			t.rollback()
		}
	}()
	return fn()
}

func (t *txn) rollback() {
	for i := len(t.undo) - 1; i >= 0; i-- {
		t.undo[i]()
	}
	t.undo = nil
}

// read runs fn under the read lock, or inside the transaction of ctx.
func (s *Store) read(ctx context.Context, fn func() error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if s.txFrom(ctx) != nil {
		return fn()
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return fn()
}

// write runs fn as its own small transaction, or inside the one of ctx.
func (s *Store) write(ctx context.Context, fn func(t *txn) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if t := s.txFrom(ctx); t != nil {
		return fn(t)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t := &txn{s: s}
	return t.run(func() error { return fn(t) })
}

// put sets m[k] = v, remembering how to undo it.
func put[K comparable, V any](t *txn, m map[K]V, k K, v V) {
	old, had := m[k]
	m[k] = v
	t.undo = append(t.undo, func() {
		if had {
			m[k] = old
		} else {
			delete(m, k)
		}
	})
}

// del deletes m[k], remembering how to undo it.
func del[K comparable, V any](t *txn, m map[K]V, k K) {
	old, had := m[k]
	if !had {
		return
	}
	delete(m, k)
	t.undo = append(t.undo, func() { m[k] = old })
}

// appendTo appends v to *s, remembering how to undo it.
func appendTo[V any](t *txn, s *[]V, v ...V) {
	n := len(*s)
	*s = append(*s, v...)
	t.undo = append(t.undo, func() { clear((*s)[n:]); *s = (*s)[:n] })
}

// Roles returns the role repository.
func (s *Store) Roles() role.Repository { return roleRepo{s} }

// Customers returns the customer repository; it also answers role.Hierarchy.
func (s *Store) Customers() CustomerRepository { return customerRepo{s} }

// Users returns the customer-user repository; it also answers role.Holders.
func (s *Store) Users() customeruser.UserRepository { return userRepo{s} }

// Tokens returns the one-time token repository.
func (s *Store) Tokens() customeruser.TokenRepository { return tokenRepo{s} }

// LoginAttempts returns the login attempt repository.
func (s *Store) LoginAttempts() customeruser.LoginAttemptRepository { return attemptRepo{s} }

// Events returns the event log.
func (s *Store) Events() cu.EventLog { return eventRepo{s} }

// CustomerRepository is the customer repository of the store, which is
// also the customer hierarchy used by role.Authorizer.
type CustomerRepository interface {
	customeruser.CustomerRepository
	role.Hierarchy
}

func notFound(what string, id uuid.UUID) error {
	return &cu.Error{Code: cu.CodeNotFound, Message: fmt.Sprintf("%s %s not found", what, id)}
}

// atomic runs fn and, when it fails, undoes what fn did (only), so that a
// batch call inside a longer transaction leaves nothing of itself behind,
// as a failed statement does in PostgreSQL.
func (t *txn) atomic(fn func() error) error {
	mark := len(t.undo)
	err := fn()
	if err != nil {
		for i := len(t.undo) - 1; i >= mark; i-- {
			t.undo[i]()
		}
		t.undo = t.undo[:mark]
	}
	return err
}
