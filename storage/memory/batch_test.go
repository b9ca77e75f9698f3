package memory_test

import (
	"testing"

	"github.com/b2bkit/customerusers/storage/memory"
	"github.com/b2bkit/customerusers/storage/storagetest"
)

// TestBatchUsersContract runs the contract of the batch user extensions
// (CreateMany, GetManyByEmailKeys, UpdateMany, MaxRoleCount) against the
// in-memory store.
func TestBatchUsersContract(t *testing.T) {
	storagetest.RunBatchUsers(t, func(t *testing.T) storagetest.Repos { return memoryRepos(memory.New()) })
}

// TestErasureContract runs the contract of the GDPR erasure capabilities
// (event redaction, login attempt erasure) against the in-memory store.
func TestErasureContract(t *testing.T) {
	storagetest.RunErasure(t, func(t *testing.T) storagetest.Repos { return memoryRepos(memory.New()) })
}

func memoryRepos(s *memory.Store) storagetest.Repos {
	return storagetest.Repos{Tx: s, Roles: s.Roles(), Customers: s.Customers(), Users: s.Users(), Tokens: s.Tokens(),
		Attempts: s.LoginAttempts(), Events: s.Events()}
}
