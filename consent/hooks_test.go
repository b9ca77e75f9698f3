package consent_test

import (
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	cu "github.com/b2bkit/customerusers"
	"github.com/b2bkit/customerusers/consent"
	"github.com/b2bkit/customerusers/customeruser"
)

func registration(email string, consents ...uuid.UUID) customeruser.RegisterInput {
	return customeruser.RegisterInput{
		CompanyName: "Initech", FirstName: "Peter", LastName: "Gibbons", Email: email, Password: testPassword,
		AcceptedConsentIDs: consents,
	}
}

func TestRegistrationRequiresMandatoryConsents(t *testing.T) {
	h := newHarness(t)
	terms := h.def("Terms")
	privacy := h.def("Privacy")
	marketing := h.def("Marketing", optional)
	outletTerms := h.def("Outlet terms", func(in *consent.DefinitionInput) { in.WebsiteIDs = []uuid.UUID{h.website2.ID} })

	cases := []struct {
		name        string
		in          customeruser.RegisterInput
		field, rule string
		message     string
	}{
		{"none accepted", registration("p@example.org"), "consents", "mandatory", `"Terms"`},
		{"one missing", registration("p@example.org", terms.ID, marketing.ID), "consents", "mandatory", `"Privacy"`},
		{"unknown consent", registration("p@example.org", terms.ID, privacy.ID, uuid.New()), "acceptedConsentIds[2]", "not_found", ""},
		{"nil consent", registration("p@example.org", uuid.Nil, terms.ID, privacy.ID), "acceptedConsentIds[0]", "not_found", ""},
		{"another website's consent", registration("p@example.org", terms.ID, outletTerms.ID, privacy.ID), "acceptedConsentIds[1]", "not_enabled", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			events := h.eventCount()
			_, err := h.users.Register(h.ctx, h.org, c.in)
			requireViolation(t, err, c.field, c.rule)
			if c.message != "" {
				var e *cu.Error
				require.ErrorAs(t, err, &e)
				v, _ := e.Violation(c.field)
				assert.Contains(t, v.Message, c.message, "the message names the consent")
			}
			_, err = h.store.Users().GetByEmailKey(h.ctx, h.org, "p@example.org")
			requireCode(t, err, cu.CodeNotFound)
			assert.Equal(t, events, h.eventCount(), "nothing registered")
			assert.Empty(t, h.ledger(consent.LedgerFilter{}))
		})
	}

	// Every missing mandatory consent is reported.
	_, err := h.users.Register(h.ctx, h.org, registration("p@example.org"))
	var e *cu.Error
	require.ErrorAs(t, err, &e)
	n := 0
	for _, v := range e.Violations {
		if v.Field == "consents" {
			n++
		}
	}
	assert.Equal(t, 2, n)
}

func TestRegistrationRecordsAcceptances(t *testing.T) {
	h := newHarness(t, withoutConfirmation())
	terms := h.def("Terms")
	marketing := h.def("Marketing", optional)
	h.def("Newsletter", optional)

	u, err := h.users.Register(h.ctx, h.org, registration("p@example.org", marketing.ID, terms.ID, terms.ID))
	require.NoError(t, err)
	require.NotEqual(t, uuid.Nil, u.ID)
	entries := h.ledger(consent.LedgerFilter{UserID: u.ID})
	require.Len(t, entries, 2, "one acceptance per consent")
	assert.Equal(t, marketing.ID, entries[0].ConsentID)
	assert.Equal(t, terms.ID, entries[1].ConsentID)
	for _, e := range entries {
		assert.Equal(t, consent.KindAccept, e.Kind)
		assert.Equal(t, consent.SourceRegistration, e.Source)
		assert.Equal(t, cu.ActorRef{Kind: cu.ActorCustomerUser, ID: u.ID}, e.Actor, "given by the user")
		assert.Equal(t, 1, e.ContentVersion)
	}
	assert.Len(t, h.eventsOf(u.ID, consent.EventAccepted), 2)
	st := h.state(u)
	require.Len(t, st, 3)
	assert.True(t, st[0].Accepted)
	assert.True(t, st[1].Accepted)
	assert.False(t, st[2].Accepted)
}

func TestRegistrationOnAnotherWebsite(t *testing.T) {
	h := newHarness(t)
	h.def("Main terms")
	outlet := h.def("Outlet newsletter", func(in *consent.DefinitionInput) {
		in.Mandatory = ptr(false)
		in.WebsiteIDs = []uuid.UUID{h.website2.ID}
	})
	in := registration("p@example.org", outlet.ID)
	in.WebsiteID = h.website2.ID
	u, err := h.users.Register(h.ctx, h.org, in)
	require.NoError(t, err, "the main website's mandatory consents do not apply")
	require.Len(t, h.ledger(consent.LedgerFilter{UserID: u.ID}), 1)

	// No consents at all: registration works as before.
	bare := newHarness(t)
	_, err = bare.users.Register(bare.ctx, bare.org, registration("p@example.org"))
	require.NoError(t, err)
}

func TestDeleteUserRevokesAnonymously(t *testing.T) {
	h := newHarness(t)
	terms := h.def("Terms")
	marketing := h.def("Marketing", optional)
	stats := h.def("Statistics", optional)
	u := h.user("ada@example.org")
	keep := h.user("grace@example.org")
	h.accept(u, terms)
	h.accept(u, marketing)
	h.accept(u, stats)
	_, err := h.svc.Revoke(h.ctx, h.storefront(u), u.ID, stats.ID, "")
	require.NoError(t, err)
	h.accept(keep, terms)
	before := h.ledger(consent.LedgerFilter{UserID: u.ID})
	declined := len(h.eventsOf(u.ID, consent.EventDeclined))

	require.NoError(t, h.users.DeleteUser(h.ctx, h.admin, u.ID, 0))
	entries := h.ledger(consent.LedgerFilter{UserID: u.ID})
	require.Len(t, entries, len(before)+2, "a revocation per accepted consent")
	assert.Equal(t, before, entries[:len(before)], "the ledger keeps its facts")
	revoked := map[uuid.UUID]consent.Entry{}
	for _, e := range entries[len(before):] {
		assert.Equal(t, consent.KindRevoke, e.Kind)
		assert.Equal(t, consent.SourceDeletion, e.Source)
		assert.Equal(t, u.ID, e.UserID, "the id stays; it resolves to no one")
		assert.Equal(t, h.admin.Ref(), e.Actor)
		revoked[e.ConsentID] = e
	}
	assert.Contains(t, revoked, terms.ID)
	assert.Contains(t, revoked, marketing.ID)
	assert.Len(t, h.eventsOf(u.ID, consent.EventDeclined), declined, "nobody to contact: no consent.declined")
	assert.Len(t, h.ledger(consent.LedgerFilter{UserID: keep.ID}), 1, "other users untouched")
	_, err = h.store.Users().Get(h.ctx, h.org, u.ID)
	requireCode(t, err, cu.CodeNotFound)

	// The consents stay frozen.
	requireCode(t, h.svc.DeleteDefinition(h.ctx, h.admin, marketing.ID, 0), cu.CodeConflict)
}
