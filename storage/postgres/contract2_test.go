package postgres_test

import (
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	cu "github.com/b2bkit/customerusers"

	"github.com/b2bkit/customerusers/storage/postgres"
	"github.com/b2bkit/customerusers/storage/postgres/pgtest"
	"github.com/b2bkit/customerusers/storage/storagetest"
)

// TestConsentContract runs the consent contract suite, each subtest on a
// fresh schema.
func TestConsentContract(t *testing.T) {
	pgtest.Require(t)
	storagetest.RunConsent(t, func(t *testing.T) storagetest.ConsentRepos {
		s := pgtest.Open(t)
		return storagetest.ConsentRepos{Tx: s, Definitions: s.Consents(), Ledger: s.ConsentLedger()}
	})
}

// TestOAuthContract runs the OAuth application and token contract suite,
// each subtest on a fresh schema.
func TestOAuthContract(t *testing.T) {
	pgtest.Require(t)
	storagetest.RunOAuth(t, func(t *testing.T) storagetest.OAuthRepos {
		s := pgtest.Open(t)
		return storagetest.OAuthRepos{Tx: s, Apps: s.OAuthApps(), Tokens: s.AccessTokens(), Users: s.Users(),
			Customers: s.Customers(), Roles: s.Roles()}
	})
}

// TestOutboxContract runs the outbox contract suite, a fresh schema per
// subtest: the outbox spans organizations.
func TestOutboxContract(t *testing.T) {
	pgtest.Require(t)
	storagetest.RunOutbox(t, func(t *testing.T) storagetest.OutboxRepos {
		s := pgtest.Open(t)
		return storagetest.OutboxRepos{Tx: s, Events: s.Events(), Outbox: s.Outbox()}
	})
}

// TestBatchUsersContract runs the contract of the batch extensions of the
// user repository (CreateMany, UpdateMany, GetManyByEmailKeys,
// MaxRoleCount).
func TestBatchUsersContract(t *testing.T) {
	pgtest.Require(t)
	storagetest.RunBatchUsers(t, func(t *testing.T) storagetest.Repos { return repos(pgtest.Open(t)) })
}

// TestErasureContract runs the contract of the GDPR erasure capabilities.
func TestErasureContract(t *testing.T) {
	pgtest.Require(t)
	storagetest.RunErasure(t, func(t *testing.T) storagetest.Repos { return repos(pgtest.Open(t)) })
}

// TestContractTextPathNew runs the suites of the OAuth, outbox and batch
// repositories on Bun's pgdriver too, where the fixed statements go as
// text with client-side arguments: they send the argument types the
// earlier suites do not (bytea digests, text arrays, JSON arrays).
func TestContractTextPathNew(t *testing.T) {
	pgtest.Require(t)
	open := func(t *testing.T) *postgres.Store {
		return pgtest.Open(t, postgres.WithDriver(postgres.DriverPGDriver))
	}
	t.Run("OAuth", func(t *testing.T) {
		storagetest.RunOAuth(t, func(t *testing.T) storagetest.OAuthRepos {
			s := open(t)
			return storagetest.OAuthRepos{Tx: s, Apps: s.OAuthApps(), Tokens: s.AccessTokens(), Users: s.Users(),
				Customers: s.Customers(), Roles: s.Roles()}
		})
	})
	t.Run("Outbox", func(t *testing.T) {
		storagetest.RunOutbox(t, func(t *testing.T) storagetest.OutboxRepos {
			s := open(t)
			return storagetest.OutboxRepos{Tx: s, Events: s.Events(), Outbox: s.Outbox()}
		})
	})
	t.Run("BatchUsers", func(t *testing.T) {
		storagetest.RunBatchUsers(t, func(t *testing.T) storagetest.Repos { return repos(open(t)) })
	})
}

// TestOutboxOf: the outbox of one organization claims only that
// organization's events, in order, refuses to mark the others' (not
// found), and shares the delivery state with the global outbox.
func TestOutboxOf(t *testing.T) {
	s := pgtest.Open(t)
	ctx := t.Context()
	at := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	org1, org2 := cu.NewID(), cu.NewID()
	var evs []cu.Event
	for i := range 6 {
		org := org1
		if i%2 == 1 {
			org = org2
		}
		evs = append(evs, cu.NewEvent(cu.NewID(), at, cu.SystemActor(org), "x.happened", "x", cu.NewID(), map[string]int{"i": i}))
	}
	require.NoError(t, s.Events().Append(ctx, evs...))
	mine := s.OutboxOf(org1)
	got, err := mine.Claim(ctx, at, time.Minute, 10)
	require.NoError(t, err)
	ids := make([]uuid.UUID, len(got))
	for i, d := range got {
		ids[i] = d.Event.ID
		assert.Equal(t, org1, d.Event.OrganizationID)
	}
	assert.Equal(t, []uuid.UUID{evs[0].ID, evs[2].ID, evs[4].ID}, ids)
	require.NoError(t, mine.MarkDelivered(ctx, got[0]))

	theirs, err := s.OutboxOf(org2).Claim(ctx, at, time.Minute, 1)
	require.NoError(t, err)
	require.Len(t, theirs, 1)
	assert.ErrorIs(t, mine.MarkDelivered(ctx, theirs[0]), cu.ErrNotFound, "another organization's event")
	require.NoError(t, s.OutboxOf(org2).MarkFailed(ctx, theirs[0], at, "later"))

	all, err := s.Outbox().Claim(ctx, at.Add(time.Hour), time.Minute, 10)
	require.NoError(t, err)
	ids = ids[:0]
	for _, d := range all {
		ids = append(ids, d.Event.ID)
	}
	assert.Equal(t, []uuid.UUID{evs[1].ID, evs[2].ID, evs[3].ID, evs[4].ID, evs[5].ID}, ids,
		"the global outbox sees the same state: the delivered event is gone, the leases ended")
}
