package customeruser_test

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	cu "github.com/b2bkit/customerusers"
	"github.com/b2bkit/customerusers/customeruser"
)

func assertTokenError(t *testing.T, err error, rule string) {
	t.Helper()
	require.Error(t, err)
	assert.Equal(t, cu.CodeInvalid, cu.CodeOf(err))
	var e *cu.Error
	require.ErrorAs(t, err, &e)
	v, ok := e.Violation("token")
	require.True(t, ok, "violation on token: %v", e.Violations)
	assert.Equal(t, rule, v.Rule)
}

// flowsUnconfirmed creates a user and makes it unconfirmed, as a
// self-registered user waiting for its confirmation.
func flowsUnconfirmed(h *harness, customerID uuid.UUID, email string) customeruser.User {
	h.t.Helper()
	u := h.user(customerID, email)
	return authSet(h, u.ID, func(x *customeruser.User) { x.Confirmed = false })
}

// flowsMail returns the latest notification of template, which must exist.
func flowsMail(h *harness, template string) customeruser.Notification {
	h.t.Helper()
	n, ok := h.mail.Last(template)
	require.True(h.t, ok, "no %s e-mail", template)
	return n
}

// flowsResendLink sends a confirmation link as the admin and returns it.
func flowsResendLink(h *harness, id uuid.UUID) string {
	h.t.Helper()
	require.NoError(h.t, h.svc.ResendConfirmation(h.ctx, h.admin, id, 0))
	return flowsMail(h, customeruser.TemplateConfirmation).Token
}

// flowsForgotLink requests a reset link and returns it.
func flowsForgotLink(h *harness, email string) string {
	h.t.Helper()
	require.NoError(h.t, h.svc.ForgotPassword(h.ctx, h.org, email))
	return flowsMail(h, customeruser.TemplateResetPassword).Token
}

func TestConfirmEmail(t *testing.T) {
	h := newHarness(t)
	c := h.customer("Acme", uuid.Nil)
	u := flowsUnconfirmed(h, c.ID, "amanda@example.org")

	link := flowsResendLink(h, u.ID)
	assert.NotEmpty(t, link)
	n := flowsMail(h, customeruser.TemplateConfirmation)
	assert.Equal(t, u.ID, n.UserID)
	assert.Equal(t, u.Email, n.Email)
	assertEventType(t, h, u.ID, customeruser.EventConfirmationSent)

	_, err := h.svc.Authenticate(h.ctx, h.org, authCreds(u.Email, testPassword))
	assertInvalidCredentials(t, err)

	h.mail.Reset()
	got, err := h.svc.ConfirmEmail(h.ctx, h.org, link)
	require.NoError(t, err)
	assert.True(t, got.Confirmed)
	assert.Equal(t, u.Version+1, got.Version)
	assert.Equal(t, got, authGet(h, u.ID))
	welcome := flowsMail(h, customeruser.TemplateWelcome)
	assert.Empty(t, welcome.Token)
	assert.Equal(t, u.ID, welcome.UserID)
	assertEventType(t, h, u.ID, customeruser.EventConfirmed)

	_, err = h.svc.Authenticate(h.ctx, h.org, authCreds(u.Email, testPassword))
	require.NoError(t, err)

	// Single use.
	_, err = h.svc.ConfirmEmail(h.ctx, h.org, link)
	assertTokenError(t, err, "invalid")

	for _, bad := range []string{"", "nonsense", link + "x"} {
		_, err = h.svc.ConfirmEmail(h.ctx, h.org, bad)
		assertTokenError(t, err, "invalid")
	}
}

func TestConfirmEmailTokens(t *testing.T) {
	h := newHarness(t)
	c := h.customer("Acme", uuid.Nil)
	u := flowsUnconfirmed(h, c.ID, "amanda@example.org")

	t.Run("expired", func(t *testing.T) {
		link := flowsResendLink(h, u.ID)
		h.clock.Advance(h.svc.Config().ConfirmationTTL)
		events := h.eventCount()
		for range 2 { // still expired, not unknown, the second time
			_, err := h.svc.ConfirmEmail(h.ctx, h.org, link)
			assertTokenError(t, err, "expired")
		}
		assert.False(t, authGet(h, u.ID).Confirmed)
		assert.Equal(t, events, h.eventCount())
	})

	t.Run("another organization", func(t *testing.T) {
		link := flowsResendLink(h, u.ID)
		_, err := h.svc.ConfirmEmail(h.ctx, uuid.New(), link)
		assertTokenError(t, err, "invalid")
	})

	t.Run("a new link kills the old one", func(t *testing.T) {
		old := flowsResendLink(h, u.ID)
		link := flowsResendLink(h, u.ID)
		_, err := h.svc.ConfirmEmail(h.ctx, h.org, old)
		assertTokenError(t, err, "invalid")
		_, err = h.svc.ConfirmEmail(h.ctx, h.org, link)
		require.NoError(t, err)
	})

	t.Run("already confirmed", func(t *testing.T) {
		v := flowsUnconfirmed(h, c.ID, "bob@example.org")
		link := flowsResendLink(h, v.ID)
		v = authSet(h, v.ID, func(x *customeruser.User) { x.Confirmed = true })
		h.mail.Reset()
		events := h.eventCount()
		got, err := h.svc.ConfirmEmail(h.ctx, h.org, link)
		require.NoError(t, err)
		assert.Equal(t, v, got)
		assert.Equal(t, v, authGet(h, v.ID))
		assert.Empty(t, h.mail.Sent())
		assert.Equal(t, events, h.eventCount())
	})
}

func TestConfirmByAdmin(t *testing.T) {
	h := newHarness(t)
	c := h.customer("Acme", uuid.Nil)
	admin := h.user(c.ID, "admin@example.org", h.adminRole.ID)
	buyer := h.user(c.ID, "buyer@example.org")
	u := flowsUnconfirmed(h, c.ID, "amanda@example.org")
	confirmLink := flowsResendLink(h, u.ID)

	t.Run("refused", func(t *testing.T) {
		for _, tc := range []struct {
			actor cu.Actor
			code  cu.Code
		}{
			{h.storefront(buyer), cu.CodeForbidden},
			{cu.AnonymousActor(h.org), cu.CodeNotFound},
		} {
			before, events := authGet(h, u.ID), h.eventCount()
			_, err := h.svc.Confirm(h.ctx, tc.actor, u.ID, 0)
			assert.Equal(t, tc.code, cu.CodeOf(err))
			assert.Equal(t, before, authGet(h, u.ID))
			assert.Equal(t, events, h.eventCount())
			err = h.svc.ResendConfirmation(h.ctx, tc.actor, u.ID, 0)
			assert.Equal(t, tc.code, cu.CodeOf(err))
		}
	})

	h.mail.Reset()
	got, err := h.svc.Confirm(h.ctx, h.storefront(admin), u.ID, 0)
	require.NoError(t, err)
	assert.True(t, got.Confirmed)
	assert.Equal(t, u.Version+1, got.Version)
	assertEventType(t, h, u.ID, customeruser.EventConfirmed)
	n := flowsMail(h, customeruser.TemplateWelcomeByAdmin)
	require.NotEmpty(t, n.Token)
	assert.Len(t, h.mail.Sent(), 1)

	// The old confirmation link died; the set-password link works.
	_, err = h.svc.ConfirmEmail(h.ctx, h.org, confirmLink)
	assertTokenError(t, err, "invalid")
	_, err = h.svc.ResetPassword(h.ctx, h.org, n.Token, "Welcome123")
	require.NoError(t, err)
	_, err = h.svc.Authenticate(h.ctx, h.org, authCreds(u.Email, "Welcome123"))
	require.NoError(t, err)

	// Confirmed users: conflict for both actions.
	events := h.eventCount()
	_, err = h.svc.Confirm(h.ctx, h.admin, u.ID, 0)
	assert.Equal(t, cu.CodeConflict, cu.CodeOf(err))
	err = h.svc.ResendConfirmation(h.ctx, h.admin, u.ID, 0)
	assert.Equal(t, cu.CodeConflict, cu.CodeOf(err))
	assert.Equal(t, events, h.eventCount())

	_, err = h.svc.Confirm(h.ctx, h.admin, uuid.New(), 0)
	assert.Equal(t, cu.CodeNotFound, cu.CodeOf(err))
}

func TestForgotPassword(t *testing.T) {
	h := newHarness(t)
	c := h.customer("Acme", uuid.Nil)
	u := h.user(c.ID, "amanda@example.org")
	off := authSet(h, h.user(c.ID, "off@example.org").ID, func(x *customeruser.User) { x.Enabled = false })
	guest := authSet(h, h.user(c.ID, "guest@example.org").ID, func(x *customeruser.User) { x.Guest = true })

	for _, email := range []string{"nobody@example.org", "", "not an e-mail", off.Email, guest.Email} {
		h.mail.Reset()
		events := h.eventCount()
		assert.NoError(t, h.svc.ForgotPassword(h.ctx, h.org, email), email)
		assert.Empty(t, h.mail.Sent(), email)
		assert.Equal(t, events, h.eventCount(), email)
	}
	// Another organization's e-mail is unknown here.
	assert.NoError(t, h.svc.ForgotPassword(h.ctx, uuid.New(), u.Email))
	assert.Empty(t, h.mail.Sent())

	before := authGet(h, u.ID)
	require.NoError(t, h.svc.ForgotPassword(h.ctx, h.org, " AMANDA@example.org"))
	n := flowsMail(h, customeruser.TemplateResetPassword)
	assert.Equal(t, u.ID, n.UserID)
	assert.Equal(t, u.Email, n.Email)
	assert.NotEmpty(t, n.Token)
	assertEventType(t, h, u.ID, customeruser.EventPasswordResetRequest)
	assert.Equal(t, before, authGet(h, u.ID), "a request changes nothing on the user")
	// The password still works until it is reset.
	_, err := h.svc.Authenticate(h.ctx, h.org, authCreds(u.Email, testPassword))
	require.NoError(t, err)
}

func TestResetPassword(t *testing.T) {
	h := newHarness(t)
	c := h.customer("Acme", uuid.Nil)
	u := flowsUnconfirmed(h, c.ID, "amanda@example.org")
	confirmLink := flowsResendLink(h, u.ID)
	link := flowsForgotLink(h, u.Email)

	t.Run("weak password leaves the link usable", func(t *testing.T) {
		before, events := authGet(h, u.ID), h.eventCount()
		for _, tc := range []struct{ pw, rule string }{{"weak", "min_length"}, {"", "required"}, {"Amanda@Example.org", "not_email"}} {
			_, err := h.svc.ResetPassword(h.ctx, h.org, link, tc.pw)
			require.Error(t, err)
			var e *cu.Error
			require.ErrorAs(t, err, &e)
			assert.Equal(t, cu.CodeInvalid, e.Code)
			assertHasViolation(t, e, "password", tc.rule)
		}
		assert.Equal(t, before, authGet(h, u.ID))
		assert.Equal(t, events, h.eventCount())
	})

	h.clock.Advance(time.Hour)
	got, err := h.svc.ResetPassword(h.ctx, h.org, link, "Reset1234")
	require.NoError(t, err)
	assert.True(t, got.Confirmed, "a reset also confirms")
	assert.Equal(t, customeruser.AuthActive, got.AuthStatus)
	require.NotNil(t, got.PasswordChangedAt)
	assert.Equal(t, h.clock.Now(), *got.PasswordChangedAt)
	assert.Equal(t, got, authGet(h, u.ID))
	e := authLastEvent(h, u.ID)
	assert.Equal(t, customeruser.EventPasswordResetComplete, e.Type)
	assert.Equal(t, u.ID, e.Actor.ID)

	_, err = h.svc.Authenticate(h.ctx, h.org, authCreds(u.Email, "Reset1234"))
	require.NoError(t, err)

	// Single use; the confirmation link died with the confirmation.
	_, err = h.svc.ResetPassword(h.ctx, h.org, link, "Again12345")
	assertTokenError(t, err, "invalid")
	_, err = h.svc.ConfirmEmail(h.ctx, h.org, confirmLink)
	assertTokenError(t, err, "invalid")

	t.Run("bad tokens", func(t *testing.T) {
		for _, tok := range []string{"", "nonsense", confirmLink} {
			_, err := h.svc.ResetPassword(h.ctx, h.org, tok, "Again12345")
			assertTokenError(t, err, "invalid")
		}
		fresh := flowsForgotLink(h, u.Email)
		_, err := h.svc.ResetPassword(h.ctx, uuid.New(), fresh, "Again12345")
		assertTokenError(t, err, "invalid")
	})

	t.Run("expired", func(t *testing.T) {
		l := flowsForgotLink(h, u.Email)
		h.clock.Advance(h.svc.Config().ResetTTL - time.Second)
		h.clock.Advance(time.Second)
		before, events := authGet(h, u.ID), h.eventCount()
		_, err := h.svc.ResetPassword(h.ctx, h.org, l, "Again12345")
		assertTokenError(t, err, "expired")
		assert.Equal(t, before, authGet(h, u.ID))
		assert.Equal(t, events, h.eventCount())
	})

	t.Run("a new link kills the old one", func(t *testing.T) {
		old := flowsForgotLink(h, u.Email)
		l := flowsForgotLink(h, u.Email)
		_, err := h.svc.ResetPassword(h.ctx, h.org, old, "Again12345")
		assertTokenError(t, err, "invalid")
		_, err = h.svc.ResetPassword(h.ctx, h.org, l, "Again12345")
		require.NoError(t, err)
	})

	t.Run("just before expiry", func(t *testing.T) {
		l := flowsForgotLink(h, u.Email)
		h.clock.Advance(h.svc.Config().ResetTTL - time.Second)
		_, err := h.svc.ResetPassword(h.ctx, h.org, l, "Again123456")
		require.NoError(t, err)
	})

	t.Run("disabled user", func(t *testing.T) {
		l := flowsForgotLink(h, u.Email)
		authSet(h, u.ID, func(x *customeruser.User) { x.Enabled = false })
		defer authSet(h, u.ID, func(x *customeruser.User) { x.Enabled = true })
		_, err := h.svc.ResetPassword(h.ctx, h.org, l, "Again1234567")
		assertTokenError(t, err, "invalid")
	})
}

func TestResetPasswordConcurrentUse(t *testing.T) {
	h := newHarness(t)
	c := h.customer("Acme", uuid.Nil)
	u := h.user(c.ID, "amanda@example.org")
	link := flowsForgotLink(h, u.Email)
	var wins atomic.Int32
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			_, err := h.svc.ResetPassword(h.ctx, h.org, link, fmt.Sprintf("Parallel%d23", i))
			if err == nil {
				wins.Add(1)
				return
			}
			assertTokenError(t, err, "invalid")
		})
	}
	wg.Wait()
	assert.EqualValues(t, 1, wins.Load(), "a link is used once")
	assert.Equal(t, u.Version+1, authGet(h, u.ID).Version)
}

func TestConfirmRefusesGuests(t *testing.T) {
	h := newHarness(t)
	c := h.customer("Acme", uuid.Nil)
	g := authSet(h, h.user(c.ID, "guest@example.org").ID, func(x *customeruser.User) {
		x.Guest, x.Confirmed, x.Enabled = true, false, false
	})
	events := h.eventCount()
	_, err := h.svc.Confirm(h.ctx, h.admin, g.ID, 0)
	assert.Equal(t, cu.CodeConflict, cu.CodeOf(err))
	assert.Equal(t, cu.CodeConflict, cu.CodeOf(h.svc.ResendConfirmation(h.ctx, h.admin, g.ID, 0)))
	assert.Equal(t, g, authGet(h, g.ID))
	assert.Equal(t, events, h.eventCount())
	assert.Empty(t, h.mail.Sent())
}

func TestDisableKillsLinks(t *testing.T) {
	h := newHarness(t)
	c := h.customer("Acme", uuid.Nil)
	u := h.user(c.ID, "amanda@example.org")
	link := flowsForgotLink(h, u.Email)

	_, err := h.svc.DisableUser(h.ctx, h.admin, u.ID, 0)
	require.NoError(t, err)
	_, err = h.svc.EnableUser(h.ctx, h.admin, u.ID, 0)
	require.NoError(t, err)

	_, err = h.svc.ResetPassword(h.ctx, h.org, link, "Again12345")
	assertTokenError(t, err, "invalid")
}

func TestForceReset(t *testing.T) {
	h := newHarness(t)
	c := h.customer("Acme", uuid.Nil)
	child := h.customer("Acme Child", c.ID)
	other := h.customer("Other", uuid.Nil)
	admin := h.user(c.ID, "admin@example.org", h.adminRole.ID)
	buyer := h.user(c.ID, "buyer@example.org")
	stranger := h.user(other.ID, "stranger@example.org", h.adminRole.ID)
	manager := h.user(c.ID, "manager@example.org", authManagerRole(h).ID)
	u := h.user(child.ID, "amanda@example.org")
	off := authSet(h, h.user(c.ID, "off@example.org").ID, func(x *customeruser.User) { x.Enabled = false })

	refused := []struct {
		name   string
		actor  cu.Actor
		target uuid.UUID
		code   cu.Code
	}{
		{"storefront admin on itself", h.storefront(admin), admin.ID, cu.CodeForbidden},
		{"buyer", h.storefront(buyer), u.ID, cu.CodeNotFound}, // buyers view their department only
		{"buyer on a colleague", h.storefront(buyer), admin.ID, cu.CodeForbidden},
		{"edit reach without manage_passwords", h.storefront(manager), buyer.ID, cu.CodeForbidden},
		{"admin of another customer", h.storefront(stranger), u.ID, cu.CodeNotFound},
		{"anonymous", cu.AnonymousActor(h.org), u.ID, cu.CodeNotFound},
		{"disabled user", h.admin, off.ID, cu.CodeConflict},
		{"unknown user", h.admin, uuid.New(), cu.CodeNotFound},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			h.mail.Reset()
			events := h.eventCount()
			before, _ := h.store.Users().Get(h.ctx, h.org, tt.target)
			_, err := h.svc.ForceReset(h.ctx, tt.actor, tt.target, 0)
			assert.Equal(t, tt.code, cu.CodeOf(err), "%v", err)
			after, _ := h.store.Users().Get(h.ctx, h.org, tt.target)
			assert.Equal(t, before, after)
			assert.Equal(t, events, h.eventCount())
			assert.Empty(t, h.mail.Sent())
		})
	}

	for _, actor := range []cu.Actor{h.admin, h.storefront(admin)} {
		h.mail.Reset()
		before := authGet(h, u.ID)
		got, err := h.svc.ForceReset(h.ctx, actor, u.ID, 0)
		require.NoError(t, err)
		assert.Equal(t, customeruser.AuthReset, got.AuthStatus)
		assert.Equal(t, before.Version+1, got.Version)
		assert.Equal(t, got, authGet(h, u.ID))
		assert.Equal(t, before.PasswordHash, got.PasswordHash, "the hash stays; login is refused by status")
		e := authLastEvent(h, u.ID)
		assert.Equal(t, customeruser.EventPasswordResetForced, e.Type)
		assert.Equal(t, actor.ID, e.Actor.ID)
		n := flowsMail(h, customeruser.TemplateForcedReset)
		require.NotEmpty(t, n.Token)

		_, err = h.svc.Authenticate(h.ctx, h.org, authCreds(u.Email, testPassword))
		assertInvalidCredentials(t, err)
		assert.Equal(t, customeruser.ReasonPasswordReset, authAttempts(h, u.ID)[0].Reason)

		_, err = h.svc.ResetPassword(h.ctx, h.org, n.Token, "Forced1234")
		require.NoError(t, err)
		assert.Equal(t, customeruser.AuthActive, authGet(h, u.ID).AuthStatus)
		_, err = h.svc.Authenticate(h.ctx, h.org, authCreds(u.Email, "Forced1234"))
		require.NoError(t, err)
		require.NoError(t, h.svc.ChangePassword(h.ctx, h.admin, u.ID, "", testPassword))
	}

	t.Run("link expires after ResetTTL", func(t *testing.T) {
		_, err := h.svc.ForceReset(h.ctx, h.admin, u.ID, 0)
		require.NoError(t, err)
		n := flowsMail(h, customeruser.TemplateForcedReset)
		h.clock.Advance(h.svc.Config().ResetTTL)
		_, err = h.svc.ResetPassword(h.ctx, h.org, n.Token, "Forced1234")
		assertTokenError(t, err, "expired")
	})
}

// TestNoSecretsInEvents runs every flow and scans all event payloads for
// the links' secrets, the passwords and the stored hashes.
func TestNoSecretsInEvents(t *testing.T) {
	h := newHarness(t)
	c := h.customer("Acme", uuid.Nil)
	u := flowsUnconfirmed(h, c.ID, "amanda@example.org")
	secrets := []string{testPassword}
	keepHash := func() { secrets = append(secrets, authGet(h, u.ID).PasswordHash) }
	keepHash()

	secrets = append(secrets, flowsResendLink(h, u.ID))
	_, err := h.svc.Confirm(h.ctx, h.admin, u.ID, 0)
	require.NoError(t, err)
	welcome := flowsMail(h, customeruser.TemplateWelcomeByAdmin).Token
	secrets = append(secrets, welcome, "Welcome123")
	_, err = h.svc.ResetPassword(h.ctx, h.org, welcome, "Welcome123")
	require.NoError(t, err)
	keepHash()
	_, err = h.svc.Authenticate(h.ctx, h.org, authCreds(u.Email, "Welcome123"))
	require.NoError(t, err)
	_, err = h.svc.Authenticate(h.ctx, h.org, authCreds(u.Email, "Guessing123"))
	assertInvalidCredentials(t, err)
	secrets = append(secrets, "Guessing123", flowsForgotLink(h, u.Email))
	require.NoError(t, h.svc.ChangePassword(h.ctx, h.storefront(u), u.ID, "Welcome123", "Changed123"))
	secrets = append(secrets, "Changed123")
	keepHash()
	_, err = h.svc.ForceReset(h.ctx, h.admin, u.ID, 0)
	require.NoError(t, err)
	secrets = append(secrets, flowsMail(h, customeruser.TemplateForcedReset).Token)

	require.GreaterOrEqual(t, len(h.events(u.ID)), 8)
	assertNoSecretsInEvents(t, h, secrets...)
}

func assertEventType(t *testing.T, h *harness, subject uuid.UUID, typ string) {
	t.Helper()
	assert.Equal(t, typ, authLastEvent(h, subject).Type)
}
