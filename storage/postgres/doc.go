// Package postgres stores everything of the library in PostgreSQL (13 or
// later; tested on 15) through Bun with the PostgreSQL dialect.
//
// # Opening, migrating, wiring
//
//	db, err := postgres.Open(ctx, "postgres://app@db:5432/shop?sslmode=disable",
//		postgres.WithSearchPath("customerusers, public"))
//	if err != nil { ... }
//	defer db.Close()
//	if err := postgres.Migrate(ctx, db); err != nil { ... }
//	store := postgres.New(db)
//	users := customeruser.NewService(customeruser.Deps{
//		Tx: store, Customers: store.Customers(), Users: store.Users(),
//		Roles: store.Roles(), Tokens: store.Tokens(), Attempts: store.LoginAttempts(),
//		Events: store.Events(), ...})
//	consents := consent.NewService(consent.Deps{Tx: store,
//		Definitions: store.Consents(), Ledger: store.ConsentLedger(), ...})
//	apps := oauthapp.NewService(oauthapp.Deps{Tx: store,
//		Apps: store.OAuthApps(), Tokens: store.AccessTokens(), ...}, cfg)
//	dispatcher := cu.NewDispatcher(store.Outbox(), subscribers)
//
// The Store has the accessors of memory.Store, so a host switches storage
// by changing one line. The user repository also implements the batch
// extensions that imports and exports detect (customeruser.BatchUserWriter,
// BatchUserReader, UserRoleCounter); the event log implements
// consent.EventRedactor and the login attempts consent.AttemptEraser,
// which GDPR erasure uses.
//
// Open returns a *bun.DB on the pgx driver (DriverPGX; Bun's pgdriver is
// available with WithDriver) and checks that the server answers. A host
// that already has a *bun.DB with pgdialect passes it to New directly.
//
// Migrate creates the tables, indexes and the pg_trgm extension in the
// first schema of the search path, from the SQL files embedded under
// migrations/ (bun/migrate, bookkeeping in customerusers_migrations). It
// applies only what is missing, so every instance may call it at start-up;
// concurrent calls wait for each other. The tables have plain names
// (customers, roles, customer_users, events...): give the library a schema
// of its own through the search path. MigrationFiles exposes the SQL for
// hosts that run their own migration tool.
//
// # Transactions
//
// Store.InTx implements cu.Transactor: the bun.Tx travels in the context,
// every repository method of every Store on the same database uses it when
// given that context, and a nested InTx joins the outer transaction.
// Transactions run at READ COMMITTED. Uniqueness, foreign keys and version
// checks are enforced by the schema and the statements themselves (unique
// indexes, conditional UPDATEs), so concurrent writers get the contract's
// errors rather than lost updates. A statement that fails aborts its
// transaction, as always in PostgreSQL: return the error.
//
// # Errors
//
// Violations become the cu errors of the repository contracts, by
// constraint name: a taken e-mail key is an invalid error on "email"
// (rule unique, "This email is already used."), a taken role code or
// label on "code" or "label", a taken external id on "externalId"; a
// missing customer, parent or role is a not_found violation of
// "customerId", "parentId" or "roleIds[i]"; deleting a customer that still
// has users or children is a conflict; a serialization failure or deadlock
// is a conflict (retry the use case); anything else is cu.CodeInternal
// wrapping the driver's error.
//
// # Shape of the data
//
// Every row carries organization_id and tables are keyed by
// (organization_id, id), so that the composite foreign keys make a
// reference into another organization impossible. Customers keep a
// materialized path (uuid[] of their ancestors and themselves, GIN
// indexed): a subtree is one index look-up at any depth, and a move
// rewrites the subtree's paths in one statement under a per-organization
// advisory lock that creations under a parent share. Users keep their
// roles in customer_user_roles (with positions, so RoleIDs keep their
// order) and their addresses in customer_user_addresses; a user is read,
// created or updated with all of them in one statement. Lists are keyset
// paginated on indexes (organization, sort key, id); the text filters use
// a trigram index.
//
// # Consents, OAuth, the outbox
//
// The consent ledger is append-only in the schema itself (a trigger
// refuses UPDATE and DELETE); its entries keep the order of a bigserial
// and reference their consent with ON DELETE RESTRICT, never the user.
// Definition.Lock is SELECT ... FOR SHARE or FOR UPDATE. OAuth
// applications are unique per (organization, owner, lower(name)) and by
// client id; deleting one (or its owner) deletes its tokens by cascade.
// Validating a token (TokenRepository.Lookup) is one statement: the token
// by its digest (primary key) joined with its application, its user and
// the user's role ids.
//
// The outbox is the delivery state of each event, in columns of the events
// table, so an event and its pending delivery commit or roll back
// together. Claim is one UPDATE of the oldest due events, chosen by a
// SELECT ... FOR UPDATE SKIP LOCKED: dispatchers in any number of
// processes never claim one event at the same time, and never wait for
// each other. Store.OutboxOf restricts an outbox to one organization.
//
// # Tests
//
// The tests run the storagetest contract suites on a real server, each
// test in a fresh schema dropped afterwards (package pgtest, which the
// domain packages' tests use too). TEST_DATABASE_URL selects the server
// (default postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable);
// the role needs CREATE on the database. With no server the tests skip,
// except under CI=true where they fail. Benchmarks (bench_internal_test.go,
// batch_bench_internal_test.go) need PG_BENCH=1.
package postgres
