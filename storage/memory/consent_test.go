package memory_test

import (
	"testing"

	"github.com/b2bkit/customerusers/storage/memory"
	"github.com/b2bkit/customerusers/storage/storagetest"
)

// TestConsentContract runs the consent contract suite against the
// in-memory store.
func TestConsentContract(t *testing.T) {
	storagetest.RunConsent(t, func(t *testing.T) storagetest.ConsentRepos {
		s := memory.New()
		return storagetest.ConsentRepos{Tx: s, Definitions: s.Consents(), Ledger: s.ConsentLedger()}
	})
}
