package memory_test

import (
	"testing"

	"github.com/b2bkit/customerusers/storage/memory"
	"github.com/b2bkit/customerusers/storage/storagetest"
)

// TestContract runs the storage contract suite against the in-memory store.
func TestContract(t *testing.T) {
	storagetest.Run(t, func(t *testing.T) storagetest.Repos {
		s := memory.New()
		return storagetest.Repos{
			Tx:        s,
			Roles:     s.Roles(),
			Customers: s.Customers(),
			Users:     s.Users(),
			Tokens:    s.Tokens(),
			Attempts:  s.LoginAttempts(),
			Events:    s.Events(),
		}
	})
}
