package demo

import (
	"github.com/b2bkit/customerusers/storage/postgres"
)

// PostgresStorage returns the parts of s that PostgreSQL stores today:
// roles, customers, customer users, one-time tokens, login attempts and
// events. Consents, OAuth applications and tokens, and the outbox are not
// in storage/postgres yet, so a demo on it runs without them (see
// Storage.Missing); once they are, this is where they join.
func PostgresStorage(s *postgres.Store) Storage {
	return Storage{
		Name: "postgres", Tx: s, Customers: s.Customers(), Hierarchy: s.Customers(), Users: s.Users(), Tokens: s.Tokens(),
		Attempts: s.LoginAttempts(), Events: s.Events(), Roles: s.Roles(),
	}
}
