package customeruser_test

import (
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	cu "github.com/b2bkit/customerusers"
	"github.com/b2bkit/customerusers/customeruser"
	"github.com/b2bkit/customerusers/role"
)

func authCreds(email, password string) customeruser.Credentials {
	return customeruser.Credentials{Email: email, Password: password, Source: "storefront", IP: "192.0.2.7", UserAgent: "test-agent"}
}

// authSet changes a stored user directly, bypassing the service's rules,
// to put it in a state under test.
func authSet(h *harness, id uuid.UUID, change func(*customeruser.User)) customeruser.User {
	h.t.Helper()
	u, err := h.store.Users().Get(h.ctx, h.org, id)
	require.NoError(h.t, err)
	change(&u)
	require.NoError(h.t, h.store.Users().Update(h.ctx, u, u.Version))
	return authGet(h, id)
}

func authGet(h *harness, id uuid.UUID) customeruser.User {
	h.t.Helper()
	u, err := h.store.Users().Get(h.ctx, h.org, id)
	require.NoError(h.t, err)
	return u
}

// authAttempts returns a user's login attempts, newest first (uuid.Nil for
// attempts with an unknown e-mail).
func authAttempts(h *harness, userID uuid.UUID) []customeruser.LoginAttempt {
	h.t.Helper()
	page, err := h.store.LoginAttempts().List(h.ctx, h.org, userID, cu.Page{Limit: cu.MaxPageLimit})
	require.NoError(h.t, err)
	return page.Items
}

func authPayload(t *testing.T, e cu.Event) map[string]any {
	t.Helper()
	var m map[string]any
	if len(e.Payload) > 0 {
		require.NoError(t, json.Unmarshal(e.Payload, &m))
	}
	return m
}

func authLastEvent(h *harness, subjectID uuid.UUID) cu.Event {
	h.t.Helper()
	ev := h.events(subjectID)
	require.NotEmpty(h.t, ev)
	return ev[len(ev)-1]
}

func assertInvalidCredentials(t *testing.T, err error) {
	t.Helper()
	require.Error(t, err)
	assert.Equal(t, cu.CodeUnauthenticated, cu.CodeOf(err))
	assert.ErrorIs(t, err, cu.ErrUnauthenticated)
	assert.Equal(t, "unauthenticated: Invalid credentials.", err.Error())
}

func TestAuthenticateSuccess(t *testing.T) {
	h := newHarness(t)
	c := h.customer("Acme", uuid.Nil)
	u := h.user(c.ID, "amanda@example.org")
	require.NoError(t, h.svc.ForgotPassword(h.ctx, h.org, u.Email))
	link, ok := h.mail.Last(customeruser.TemplateResetPassword)
	require.True(t, ok)

	h.clock.Advance(time.Hour)
	got, err := h.svc.Authenticate(h.ctx, h.org, authCreds("  Amanda@EXAMPLE.org ", testPassword))
	require.NoError(t, err)
	assert.Equal(t, u.ID, got.ID)
	require.NotNil(t, got.LastLoginAt)
	assert.Equal(t, h.clock.Now(), *got.LastLoginAt)
	assert.EqualValues(t, 1, got.LoginCount)

	stored := authGet(h, u.ID)
	assert.Equal(t, u.Version, stored.Version, "login bookkeeping is no version bump")
	assert.Equal(t, u.UpdatedAt, stored.UpdatedAt)
	assert.EqualValues(t, 1, stored.LoginCount)
	assert.Equal(t, u.PasswordHash, stored.PasswordHash, "same parameters: no rehash")

	_, err = h.svc.Authenticate(h.ctx, h.org, authCreds(u.Email, testPassword))
	require.NoError(t, err)
	assert.EqualValues(t, 2, authGet(h, u.ID).LoginCount)

	at := authAttempts(h, u.ID)
	require.Len(t, at, 2)
	assert.True(t, at[0].Success)
	assert.Equal(t, "storefront", at[0].Source)
	assert.Equal(t, "192.0.2.7", at[0].IP)
	assert.Equal(t, "test-agent", at[0].UserAgent)
	assert.Empty(t, at[0].Reason)

	e := authLastEvent(h, u.ID)
	assert.Equal(t, customeruser.EventLoggedIn, e.Type)
	assert.Equal(t, cu.ActorCustomerUser, e.Actor.Kind)
	assert.Equal(t, u.ID, e.Actor.ID)

	// A login kills outstanding reset links.
	_, err = h.svc.ResetPassword(h.ctx, h.org, link.Token, "Another123")
	assertTokenError(t, err, "invalid")
}

func TestAuthenticateRefusals(t *testing.T) {
	tests := []struct {
		name   string
		email  string
		pw     string
		setup  func(*customeruser.User)
		reason string
	}{
		{"unknown email", "nobody@example.org", testPassword, nil, customeruser.ReasonUnknownEmail},
		{"wrong password", "amanda@example.org", "Secret124", nil, customeruser.ReasonBadPassword},
		{"empty password", "amanda@example.org", "", nil, customeruser.ReasonBadPassword},
		{"disabled", "amanda@example.org", testPassword, func(u *customeruser.User) { u.Enabled = false }, customeruser.ReasonDisabled},
		{"unconfirmed", "amanda@example.org", testPassword, func(u *customeruser.User) { u.Confirmed = false }, customeruser.ReasonUnconfirmed},
		{"auth status reset", "amanda@example.org", testPassword, func(u *customeruser.User) { u.AuthStatus = customeruser.AuthReset }, customeruser.ReasonPasswordReset},
		{"no customer", "amanda@example.org", testPassword, func(u *customeruser.User) { u.CustomerID = uuid.Nil }, customeruser.ReasonNoCustomer},
		{"no password hash", "amanda@example.org", testPassword, func(u *customeruser.User) { u.PasswordHash = "" }, customeruser.ReasonBadPassword},
		// Guests are not found by e-mail at all.
		{"guest", "amanda@example.org", testPassword, func(u *customeruser.User) { u.Guest = true }, customeruser.ReasonUnknownEmail},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			c := h.customer("Acme", uuid.Nil)
			u := h.user(c.ID, "amanda@example.org")
			if tt.setup != nil {
				u = authSet(h, u.ID, tt.setup)
			}
			before := h.eventCount()

			_, err := h.svc.Authenticate(h.ctx, h.org, authCreds(tt.email, tt.pw))
			assertInvalidCredentials(t, err)

			stored := authGet(h, u.ID)
			assert.Equal(t, u, stored, "nothing changed on the user")

			subject := u.ID
			if tt.reason == customeruser.ReasonUnknownEmail {
				subject = uuid.Nil
			}
			at := authAttempts(h, subject)
			require.Len(t, at, 1)
			assert.False(t, at[0].Success)
			assert.Equal(t, tt.reason, at[0].Reason)
			assert.Equal(t, tt.email, at[0].Email)
			assert.Equal(t, h.clock.Now(), at[0].At)

			all := h.listEvents(cu.EventFilter{})
			require.Len(t, all, before+1, "one login_failed event")
			e := all[len(all)-1]
			assert.Equal(t, customeruser.EventLoginFailed, e.Type)
			assert.Equal(t, subject, e.SubjectID)
			payload := authPayload(t, e)
			assert.Equal(t, tt.reason, payload["reason"])
			if subject == uuid.Nil {
				assert.NotContains(t, payload, "email", "an unmatched e-mail stays out of the unredactable event")
			} else {
				assert.Equal(t, tt.email, payload["email"])
			}
		})
	}
}

func TestCheckLogin(t *testing.T) {
	h := newHarness(t)
	ok := customeruser.User{Enabled: true, Confirmed: true, AuthStatus: customeruser.AuthActive, CustomerID: uuid.New()}
	require.NoError(t, h.svc.CheckLogin(ok))
	tests := []struct {
		name   string
		change func(*customeruser.User)
		msg    string
	}{
		{"guest", func(u *customeruser.User) { u.Guest = true }, "guest"},
		{"disabled", func(u *customeruser.User) { u.Enabled = false }, "disabled"},
		{"unconfirmed", func(u *customeruser.User) { u.Confirmed = false }, "not confirmed"},
		{"reset", func(u *customeruser.User) { u.AuthStatus = customeruser.AuthReset }, "reset"},
		{"no customer", func(u *customeruser.User) { u.CustomerID = uuid.Nil }, "no customer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := ok
			tt.change(&u)
			err := h.svc.CheckLogin(u)
			require.Error(t, err)
			assert.Equal(t, cu.CodeUnauthenticated, cu.CodeOf(err))
			assert.Contains(t, err.Error(), tt.msg)
		})
	}
}

func TestAuthenticateRehashesOnNewParameters(t *testing.T) {
	h := newHarness(t)
	c := h.customer("Acme", uuid.Nil)
	u := h.user(c.ID, "amanda@example.org")
	require.Contains(t, u.PasswordHash, "$m=64,t=1,p=1$")

	cfg := h.svc.Config()
	cfg.Argon2 = customeruser.Argon2Params{Memory: 128, Iterations: 2, Parallelism: 1, SaltLength: 16, KeyLength: 32}
	svc := customeruser.NewService(h.store.UserDeps(h.authz), customeruser.WithConfig(cfg), customeruser.WithClock(h.clock))

	_, err := svc.Authenticate(h.ctx, h.org, authCreds(u.Email, testPassword))
	require.NoError(t, err)
	stored := authGet(h, u.ID)
	assert.Contains(t, stored.PasswordHash, "$m=128,t=2,p=1$")
	assert.Equal(t, u.Version, stored.Version)
	ok, rehash, err := customeruser.NewHasher(cfg.Argon2).Verify(testPassword, stored.PasswordHash)
	require.NoError(t, err)
	assert.True(t, ok)
	assert.False(t, rehash)
	assert.Equal(t, true, authPayload(t, authLastEvent(h, u.ID))["rehashed"])

	// The old service still accepts the upgraded hash (and would downgrade
	// it: its parameters are the configured ones).
	_, err = svc.Authenticate(h.ctx, h.org, authCreds(u.Email, testPassword))
	require.NoError(t, err)
	assert.Equal(t, stored.PasswordHash, authGet(h, u.ID).PasswordHash, "no second rehash")
}

func authFail(t *testing.T, h *harness, email string, n int) {
	t.Helper()
	for range n {
		_, err := h.svc.Authenticate(h.ctx, h.org, authCreds(email, "Wrong1234"))
		assertInvalidCredentials(t, err)
	}
}

func assertThrottled(t *testing.T, h *harness, email, password string) {
	t.Helper()
	_, err := h.svc.Authenticate(h.ctx, h.org, authCreds(email, password))
	require.Error(t, err)
	assert.Equal(t, cu.CodeRateLimited, cu.CodeOf(err))
	assert.Contains(t, err.Error(), "Try again in")
}

func TestAuthenticateLockout(t *testing.T) {
	h := newHarness(t)
	c := h.customer("Acme", uuid.Nil)
	u := h.user(c.ID, "amanda@example.org")
	lp := h.svc.Config().Lockout
	require.Equal(t, 10, lp.Threshold)

	authFail(t, h, u.Email, 10)
	// Throttled even with the right password, which is not even checked.
	assertThrottled(t, h, u.Email, testPassword)
	at := authAttempts(h, u.ID)
	require.Len(t, at, 11)
	assert.Equal(t, customeruser.ReasonThrottled, at[0].Reason)
	assert.False(t, at[0].Success)
	assert.EqualValues(t, 0, authGet(h, u.ID).LoginCount)

	// After BaseDelay the right password works: no permanent lock.
	h.clock.Advance(lp.BaseDelay)
	_, err := h.svc.Authenticate(h.ctx, h.org, authCreds(u.Email, testPassword))
	require.NoError(t, err)

	// A success resets the count.
	authFail(t, h, u.Email, 9)
	_, err = h.svc.Authenticate(h.ctx, h.org, authCreds(u.Email, testPassword))
	require.NoError(t, err)
}

func TestAuthenticateLockoutDelayDoubles(t *testing.T) {
	h := newHarness(t)
	c := h.customer("Acme", uuid.Nil)
	u := h.user(c.ID, "amanda@example.org")

	authFail(t, h, u.Email, 10)
	h.clock.Advance(time.Second)
	authFail(t, h, u.Email, 1) // 11th failure: the delay is now 2 s
	h.clock.Advance(time.Second)
	assertThrottled(t, h, u.Email, testPassword)
	h.clock.Advance(time.Second)
	authFail(t, h, u.Email, 1) // 12th: 4 s
	h.clock.Advance(3 * time.Second)
	assertThrottled(t, h, u.Email, testPassword)
	h.clock.Advance(time.Second)
	_, err := h.svc.Authenticate(h.ctx, h.org, authCreds(u.Email, testPassword))
	require.NoError(t, err)
}

func TestAuthenticateLockoutDelayIsCapped(t *testing.T) {
	cfg := customeruser.DefaultConfig()
	cfg.Argon2 = cheapArgon2
	cfg.Lockout = customeruser.LockoutPolicy{Threshold: 2, Window: time.Hour, BaseDelay: time.Second, MaxDelay: 4 * time.Second}
	h := newHarness(t, customeruser.WithConfig(cfg))
	c := h.customer("Acme", uuid.Nil)
	u := h.user(c.ID, "amanda@example.org")

	// Failures at the allowed moments: 2 (delay 1 s), 3 (2 s), 4 (4 s),
	// 5 and 6 (8 s and 16 s uncapped, 4 s capped).
	authFail(t, h, u.Email, 2)
	for _, d := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 4 * time.Second} {
		h.clock.Advance(d)
		authFail(t, h, u.Email, 1)
	}
	h.clock.Advance(4*time.Second - time.Millisecond)
	assertThrottled(t, h, u.Email, testPassword)
	h.clock.Advance(time.Millisecond)
	_, err := h.svc.Authenticate(h.ctx, h.org, authCreds(u.Email, testPassword))
	require.NoError(t, err)
}

func TestAuthenticateLockoutWindowExpires(t *testing.T) {
	cfg := customeruser.DefaultConfig()
	cfg.Argon2 = cheapArgon2
	// A delay longer than the window shows that the window alone ends it.
	cfg.Lockout = customeruser.LockoutPolicy{Threshold: 3, Window: 10 * time.Minute, BaseDelay: time.Hour, MaxDelay: time.Hour}
	h := newHarness(t, customeruser.WithConfig(cfg))
	c := h.customer("Acme", uuid.Nil)
	u := h.user(c.ID, "amanda@example.org")

	authFail(t, h, u.Email, 3)
	h.clock.Advance(9 * time.Minute)
	assertThrottled(t, h, u.Email, testPassword)
	h.clock.Advance(time.Minute + time.Second)
	_, err := h.svc.Authenticate(h.ctx, h.org, authCreds(u.Email, testPassword))
	require.NoError(t, err)

	// Failures spread wider than the window never add up.
	for range 6 {
		authFail(t, h, u.Email, 2)
		h.clock.Advance(11 * time.Minute)
	}
	_, err = h.svc.Authenticate(h.ctx, h.org, authCreds(u.Email, testPassword))
	require.NoError(t, err)
}

func TestAuthenticateThrottledAttemptsDoNotExtendTheLock(t *testing.T) {
	h := newHarness(t)
	c := h.customer("Acme", uuid.Nil)
	u := h.user(c.ID, "amanda@example.org")

	authFail(t, h, u.Email, 10)
	for range 20 {
		h.clock.Advance(40 * time.Millisecond)
		assertThrottled(t, h, u.Email, "Wrong1234")
	}
	h.clock.Advance(200 * time.Millisecond) // 1 s after the last failure
	_, err := h.svc.Authenticate(h.ctx, h.org, authCreds(u.Email, testPassword))
	require.NoError(t, err)
}

func TestAuthenticateLockoutIsPerAccount(t *testing.T) {
	h := newHarness(t)
	c := h.customer("Acme", uuid.Nil)
	u := h.user(c.ID, "amanda@example.org")
	v := h.user(c.ID, "bob@example.org")

	authFail(t, h, u.Email, 10)
	assertThrottled(t, h, u.Email, testPassword)
	_, err := h.svc.Authenticate(h.ctx, h.org, authCreds(v.Email, testPassword))
	require.NoError(t, err)
}

func TestChangePassword(t *testing.T) {
	h := newHarness(t)
	c := h.customer("Acme", uuid.Nil)
	other := h.customer("Other", uuid.Nil)
	admin := h.user(c.ID, "admin@example.org", h.adminRole.ID)
	buyer := h.user(c.ID, "buyer@example.org")
	u := h.user(c.ID, "amanda@example.org")
	stranger := h.user(other.ID, "stranger@example.org", h.adminRole.ID)
	manager := h.user(c.ID, "manager@example.org", authManagerRole(h).ID)

	t.Run("self with the current password", func(t *testing.T) {
		before := authGet(h, u.ID)
		h.clock.Advance(time.Minute)
		require.NoError(t, h.svc.ChangePassword(h.ctx, h.storefront(u), u.ID, testPassword, "Changed123"))
		after := authGet(h, u.ID)
		assert.Equal(t, before.Version+1, after.Version)
		require.NotNil(t, after.PasswordChangedAt)
		assert.Equal(t, h.clock.Now(), *after.PasswordChangedAt)
		assert.NotEqual(t, before.PasswordHash, after.PasswordHash)
		e := authLastEvent(h, u.ID)
		assert.Equal(t, customeruser.EventPasswordChanged, e.Type)
		assert.Equal(t, u.ID, e.Actor.ID)
		assert.NotContains(t, string(e.Payload), after.PasswordHash)

		_, err := h.svc.Authenticate(h.ctx, h.org, authCreds(u.Email, "Changed123"))
		require.NoError(t, err)
		_, err = h.svc.Authenticate(h.ctx, h.org, authCreds(u.Email, testPassword))
		assertInvalidCredentials(t, err)
	})

	bad := []struct {
		name          string
		current, next string
		field, rule   string
	}{
		{"wrong current", "Nope12345", "Another123", "currentPassword", "invalid"},
		{"missing current", "", "Another123", "currentPassword", "required"},
		{"weak new", "Changed123", "weak", "password", "min_length"},
		{"new equal to email", "Changed123", "AMANDA@example.ORG", "password", "not_email"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			before, events := authGet(h, u.ID), h.eventCount()
			err := h.svc.ChangePassword(h.ctx, h.storefront(u), u.ID, tt.current, tt.next)
			require.Error(t, err)
			assert.Equal(t, cu.CodeInvalid, cu.CodeOf(err))
			var e *cu.Error
			require.ErrorAs(t, err, &e)
			assertHasViolation(t, e, tt.field, tt.rule)
			assert.Equal(t, before, authGet(h, u.ID))
			assert.Equal(t, events, h.eventCount())
		})
	}

	t.Run("back office needs no current password and ends a forced reset", func(t *testing.T) {
		authSet(h, u.ID, func(x *customeruser.User) { x.AuthStatus = customeruser.AuthReset })
		require.NoError(t, h.svc.ChangePassword(h.ctx, h.admin, u.ID, "", "ByAdmin123"))
		assert.Equal(t, customeruser.AuthActive, authGet(h, u.ID).AuthStatus)
		_, err := h.svc.Authenticate(h.ctx, h.org, authCreds(u.Email, "ByAdmin123"))
		require.NoError(t, err)
	})

	t.Run("storefront admin within reach", func(t *testing.T) {
		require.NoError(t, h.svc.ForgotPassword(h.ctx, h.org, u.Email))
		link, ok := h.mail.Last(customeruser.TemplateResetPassword)
		require.True(t, ok)
		require.NoError(t, h.svc.ChangePassword(h.ctx, h.storefront(admin), u.ID, "", "ByCustomerAdmin1"))
		e := authLastEvent(h, u.ID)
		assert.Equal(t, customeruser.EventPasswordChanged, e.Type)
		assert.Equal(t, admin.ID, e.Actor.ID)
		// The change killed the outstanding link.
		_, err := h.svc.ResetPassword(h.ctx, h.org, link.Token, "Another123")
		assertTokenError(t, err, "invalid")
	})

	refused := []struct {
		name  string
		actor cu.Actor
		code  cu.Code
	}{
		{"buyer on another user", h.storefront(buyer), cu.CodeForbidden},
		{"edit reach without manage_passwords", h.storefront(manager), cu.CodeForbidden},
		{"admin of another customer", h.storefront(stranger), cu.CodeNotFound},
		{"anonymous", cu.AnonymousActor(h.org), cu.CodeNotFound},
		{"another organization", cu.BackOfficeActor(uuid.New(), uuid.New()), cu.CodeNotFound},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			before, events := authGet(h, u.ID), h.eventCount()
			err := h.svc.ChangePassword(h.ctx, tt.actor, u.ID, "", "Hijacked123")
			assert.Equal(t, tt.code, cu.CodeOf(err))
			assert.Equal(t, before, authGet(h, u.ID))
			assert.Equal(t, events, h.eventCount())
		})
	}
}

// authManagerRole creates a predefined role that may edit the customer
// users of its department but lacks the manage_passwords capability.
func authManagerRole(h *harness) role.Role {
	h.t.Helper()
	r, err := h.roles.Create(h.ctx, h.admin, role.Input{
		Label: "Manager", SelfManaged: true, Public: true,
		Grants: []role.Grant{
			{Resource: role.ResourceCustomerUser, Permission: role.View, Level: role.LevelDepartment},
			{Resource: role.ResourceCustomerUser, Permission: role.Edit, Level: role.LevelDepartment},
		},
		Capabilities: []string{role.CapManageUsers},
	})
	require.NoError(h.t, err)
	return r
}

func TestAuthenticateConcurrentLogins(t *testing.T) {
	h := newHarness(t)
	c := h.customer("Acme", uuid.Nil)
	u := h.user(c.ID, "amanda@example.org")
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			_, err := h.svc.Authenticate(h.ctx, h.org, authCreds(u.Email, testPassword))
			assert.NoError(t, err)
		})
	}
	wg.Wait()
	assert.EqualValues(t, 8, authGet(h, u.ID).LoginCount, "no lost increment")
	assert.Len(t, authAttempts(h, u.ID), 8)
}

func assertHasViolation(t *testing.T, e *cu.Error, field, rule string) {
	t.Helper()
	for _, v := range e.Violations {
		if v.Field == field && v.Rule == rule {
			return
		}
	}
	t.Errorf("no violation %s/%s in %v", field, rule, e.Violations)
}

// assertNoSecretsInEvents scans every event payload of the organization for
// each secret.
func assertNoSecretsInEvents(t *testing.T, h *harness, secrets ...string) {
	t.Helper()
	for _, e := range h.listEvents(cu.EventFilter{}) {
		for _, s := range secrets {
			if s == "" {
				continue
			}
			assert.False(t, strings.Contains(string(e.Payload), s), "event %s leaks a secret", e.Type)
			if strings.HasPrefix(s, "$argon2id$") {
				key := s[strings.LastIndex(s, "$")+1:]
				assert.False(t, strings.Contains(string(e.Payload), key), "event %s leaks a hash", e.Type)
			}
		}
	}
}
