// Package teststore is the storage wiring shared by the test harnesses of
// role, customeruser, consent, oauthapp and httpadapter, so that each
// harness states only what is particular to its package.
//
// A Store holds every repository of one storage: a fresh in-memory store
// (Memory), or the PostgreSQL store shared by a test binary (Postgres),
// where each harness works in organizations of its own. A package whose
// tests run once per storage calls Main from its TestMain and New in its
// harness:
//
//	func TestMain(m *testing.M) { teststore.Main(m) }
//
//	store := teststore.New(org) // memory pass, then PostgreSQL pass
//
// The Deps methods give the dependencies of the role, customeruser,
// consent and oauthapp services on a Store the same way in every harness;
// Clock, Seed, AddWebsites, Events and Notifier are the small fixtures and
// test doubles the harnesses had each written again.
//
// This is a test-support package: import it from _test files only. It
// imports the storages, which a domain package's own code never may.
package teststore
