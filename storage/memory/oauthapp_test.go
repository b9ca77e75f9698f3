package memory_test

import (
	"testing"

	"github.com/b2bkit/customerusers/storage/memory"
	"github.com/b2bkit/customerusers/storage/storagetest"
)

// TestOAuthContract runs the OAuth storage contract against the in-memory
// store.
func TestOAuthContract(t *testing.T) {
	storagetest.RunOAuth(t, func(t *testing.T) storagetest.OAuthRepos {
		s := memory.New()
		return storagetest.OAuthRepos{
			Tx:        s,
			Apps:      s.OAuthApps(),
			Tokens:    s.AccessTokens(),
			Users:     s.Users(),
			Customers: s.Customers(),
			Roles:     s.Roles(),
		}
	})
}
