package demo

import (
	"github.com/b2bkit/customerusers/storage/postgres"
)

// PostgresStorage returns every part of the demo's storage on s: roles,
// customers, customer users, one-time tokens, login attempts, events,
// consents and their ledger, OAuth applications and access tokens, and
// the outbox the dispatcher delivers e-mails from.
func PostgresStorage(s *postgres.Store) Storage {
	return Storage{
		Name: "postgres", Tx: s, Customers: s.Customers(), Hierarchy: s.Customers(), Users: s.Users(), Tokens: s.Tokens(),
		Attempts: s.LoginAttempts(), Events: s.Events(), Roles: s.Roles(), Consents: s.Consents(), Ledger: s.ConsentLedger(),
		Apps: s.OAuthApps(), AccessTokens: s.AccessTokens(), Outbox: s.Outbox(),
	}
}
