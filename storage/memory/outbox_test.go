package memory_test

import (
	"testing"

	"github.com/b2bkit/customerusers/storage/memory"
	"github.com/b2bkit/customerusers/storage/storagetest"
)

// TestOutboxContract runs the outbox contract against the in-memory store.
func TestOutboxContract(t *testing.T) {
	storagetest.RunOutbox(t, func(t *testing.T) storagetest.OutboxRepos {
		s := memory.New()
		return storagetest.OutboxRepos{Tx: s, Events: s.Events(), Outbox: s.Outbox()}
	})
}
