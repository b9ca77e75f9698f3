package customeruser_test

import (
	"context"
	"errors"
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

// lcRevocation is one call of an AccessRevokedHook.
type lcRevocation struct {
	actor  cu.ActorRef
	user   customeruser.User
	reason string
}

// lcRevocations records the calls of an AccessRevokedHook, or fails them.
type lcRevocations struct {
	mu    sync.Mutex
	calls []lcRevocation
	fail  error
}

func (r *lcRevocations) hook(_ context.Context, actor cu.Actor, u customeruser.User, reason string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail != nil {
		return r.fail
	}
	r.calls = append(r.calls, lcRevocation{actor: actor.Ref(), user: u, reason: reason})
	return nil
}

// take returns the calls so far and forgets them.
func (r *lcRevocations) take() []lcRevocation {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.calls
	r.calls = nil
	return out
}

// Every change after which a user's credentials must die runs the
// AccessRevokedHooks once, in its transaction, with its reason and the
// user as the change leaves it; other changes do not.
func TestAccessRevokedHookReasons(t *testing.T) {
	h := newHarness(t)
	rec := &lcRevocations{}
	h.svc.AddAccessRevokedHook(rec.hook) // added after construction
	c := h.customer("Acme", uuid.Nil)

	tests := []struct {
		name   string
		change func(u customeruser.User) cu.Actor // returns the actor of the change
		reason string                             // "" when no hook runs
		check  func(t *testing.T, got customeruser.User)
	}{
		{"disable", func(u customeruser.User) cu.Actor {
			_, err := h.svc.DisableUser(h.ctx, h.admin, u.ID, 0)
			require.NoError(t, err)
			return h.admin
		}, customeruser.RevokeDisabled, func(t *testing.T, got customeruser.User) { assert.False(t, got.Enabled) }},
		{"disable through update", func(u customeruser.User) cu.Actor {
			_, err := h.svc.UpdateUser(h.ctx, h.admin, u.ID, customeruser.UserPatch{Enabled: utPtr(false)}, 0)
			require.NoError(t, err)
			return h.admin
		}, customeruser.RevokeDisabled, func(t *testing.T, got customeruser.User) { assert.False(t, got.Enabled) }},
		{"unconfirm", func(u customeruser.User) cu.Actor {
			_, err := h.svc.UpdateUser(h.ctx, h.admin, u.ID, customeruser.UserPatch{Confirmed: utPtr(false)}, 0)
			require.NoError(t, err)
			return h.admin
		}, customeruser.RevokeDisabled, nil},
		{"disable and change the e-mail: the most far-reaching reason", func(u customeruser.User) cu.Actor {
			_, err := h.svc.UpdateUser(h.ctx, h.admin, u.ID, customeruser.UserPatch{Enabled: utPtr(false), Email: utPtr("moved-" + u.Email)}, 0)
			require.NoError(t, err)
			return h.admin
		}, customeruser.RevokeDisabled, nil},
		{"e-mail change", func(u customeruser.User) cu.Actor {
			_, err := h.svc.UpdateUser(h.ctx, h.admin, u.ID, customeruser.UserPatch{Email: utPtr("new-" + u.Email)}, 0)
			require.NoError(t, err)
			return h.admin
		}, customeruser.RevokeEmailChanged, func(t *testing.T, got customeruser.User) { assert.Contains(t, got.Email, "new-") }},
		{"password set by the back office", func(u customeruser.User) cu.Actor {
			_, err := h.svc.UpdateUser(h.ctx, h.admin, u.ID, customeruser.UserPatch{Password: utPtr("Another789")}, 0)
			require.NoError(t, err)
			return h.admin
		}, customeruser.RevokePasswordChanged, nil},
		{"password changed by the user", func(u customeruser.User) cu.Actor {
			me := h.storefront(u)
			require.NoError(t, h.svc.ChangePassword(h.ctx, me, u.ID, testPassword, "Changed123"))
			return me
		}, customeruser.RevokePasswordChanged, func(t *testing.T, got customeruser.User) { assert.NotNil(t, got.PasswordChangedAt) }},
		{"forced reset", func(u customeruser.User) cu.Actor {
			_, err := h.svc.ForceReset(h.ctx, h.admin, u.ID, 0)
			require.NoError(t, err)
			return h.admin
		}, customeruser.RevokePasswordResetForced, func(t *testing.T, got customeruser.User) {
			assert.Equal(t, customeruser.AuthReset, got.AuthStatus)
		}},
		{"password reset through the link", func(u customeruser.User) cu.Actor {
			_, err := h.svc.ForceReset(h.ctx, h.admin, u.ID, 0)
			require.NoError(t, err)
			n, ok := h.mail.Last(customeruser.TemplateForcedReset)
			require.True(t, ok)
			rec.take()
			fresh, err := h.svc.ResetPassword(h.ctx, h.org, n.Token, "Renewed123")
			require.NoError(t, err)
			return h.storefront(fresh)
		}, customeruser.RevokePasswordReset, func(t *testing.T, got customeruser.User) {
			assert.Equal(t, customeruser.AuthActive, got.AuthStatus)
		}},
		{"anonymize", func(u customeruser.User) cu.Actor {
			_, err := h.svc.Anonymize(h.ctx, h.admin, u.ID)
			require.NoError(t, err)
			return h.admin
		}, customeruser.RevokeAnonymized, func(t *testing.T, got customeruser.User) {
			assert.Equal(t, customeruser.ErasedEmail(got.ID), got.Email)
		}},
		{"delete", func(u customeruser.User) cu.Actor {
			require.NoError(t, h.svc.DeleteUser(h.ctx, h.admin, u.ID, 0))
			return h.admin
		}, customeruser.RevokeDeleted, func(t *testing.T, got customeruser.User) { assert.True(t, got.Enabled, "as it was") }},
		{"name change", func(u customeruser.User) cu.Actor {
			_, err := h.svc.UpdateUser(h.ctx, h.admin, u.ID, customeruser.UserPatch{FirstName: utPtr("Renamed")}, 0)
			require.NoError(t, err)
			return h.admin
		}, "", nil},
		{"enable", func(u customeruser.User) cu.Actor {
			_, err := h.svc.DisableUser(h.ctx, h.admin, u.ID, 0)
			require.NoError(t, err)
			rec.take()
			_, err = h.svc.EnableUser(h.ctx, h.admin, u.ID, 0)
			require.NoError(t, err)
			return h.admin
		}, "", nil},
		{"disabling a disabled user", func(u customeruser.User) cu.Actor {
			_, err := h.svc.DisableUser(h.ctx, h.admin, u.ID, 0)
			require.NoError(t, err)
			rec.take()
			_, err = h.svc.DisableUser(h.ctx, h.admin, u.ID, 0)
			require.NoError(t, err)
			return h.admin
		}, "", nil},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			u := h.user(c.ID, "lc"+string(rune('a'+i))+"@example.org")
			rec.take()
			h.clock.Advance(time.Minute)
			actor := tc.change(u)
			calls := rec.take()
			if tc.reason == "" {
				assert.Empty(t, calls)
				return
			}
			require.Len(t, calls, 1, "one call per change")
			assert.Equal(t, tc.reason, calls[0].reason)
			assert.Equal(t, actor.Ref(), calls[0].actor)
			assert.Equal(t, u.ID, calls[0].user.ID)
			if tc.check != nil {
				tc.check(t, calls[0].user)
			}
		})
	}
}

// A failing AccessRevokedHook aborts the change: nothing is written.
func TestAccessRevokedHookErrorAbortsTheChange(t *testing.T) {
	rec := &lcRevocations{fail: errors.New("token store down")}
	h := newHarness(t, customeruser.WithAccessRevokedHook(rec.hook))
	c := h.customer("Acme", uuid.Nil)
	u := h.user(c.ID, "amanda@example.org")
	welcome, secret := utWelcome(h, c.ID, "welcome@example.org")

	changes := map[string]func() error{
		"disable": func() error { _, err := h.svc.DisableUser(h.ctx, h.admin, u.ID, 0); return err },
		"e-mail": func() error {
			_, err := h.svc.UpdateUser(h.ctx, h.admin, u.ID, customeruser.UserPatch{Email: utPtr("x@example.org")}, 0)
			return err
		},
		"password":     func() error { return h.svc.ChangePassword(h.ctx, h.storefront(u), u.ID, testPassword, "Changed123") },
		"forced reset": func() error { _, err := h.svc.ForceReset(h.ctx, h.admin, u.ID, 0); return err },
		"reset link":   func() error { _, err := h.svc.ResetPassword(h.ctx, h.org, secret, "Renewed123"); return err },
		"anonymize":    func() error { _, err := h.svc.Anonymize(h.ctx, h.admin, u.ID); return err },
		"delete":       func() error { return h.svc.DeleteUser(h.ctx, h.admin, u.ID, 0) },
	}
	for name, change := range changes {
		t.Run(name, func(t *testing.T) {
			before, events := utUsers(h), h.eventCount()
			err := change()
			require.Error(t, err)
			assert.Contains(t, err.Error(), "token store down")
			utUnchanged(t, h, before, events)
		})
	}
	assert.True(t, utTokenAlive(h, customeruser.PurposeSetPassword, secret), "the link of %s is not used up", welcome.Email)
}

// Hooks given at construction and added later all run, in that order;
// adding hooks is safe while the Service is in use (run with -race).
func TestAddHooks(t *testing.T) {
	var mu sync.Mutex
	var order []string
	mark := func(s string) {
		mu.Lock()
		order = append(order, s)
		mu.Unlock()
	}
	h := newHarness(t, customeruser.WithDeleteHook(func(context.Context, cu.Actor, customeruser.User) error {
		mark("with")
		return nil
	}))
	h.svc.AddDeleteHook(func(context.Context, cu.Actor, customeruser.User) error {
		mark("added 1")
		return nil
	}, func(context.Context, cu.Actor, customeruser.User) error {
		mark("added 2")
		return nil
	})
	h.svc.AddDeleteHook() // nothing to add
	reg := &lcRegistrationHook{violation: cu.Violation{Field: "consents", Rule: "mandatory", Message: "Accept the terms."}}
	h.svc.AddRegistrationHook(reg)

	c := h.customer("Acme", uuid.Nil)
	u := h.user(c.ID, "amanda@example.org")
	require.NoError(t, h.svc.DeleteUser(h.ctx, h.admin, u.ID, 0))
	assert.Equal(t, []string{"with", "added 1", "added 2"}, order)

	_, err := h.svc.Register(h.ctx, h.org, customeruser.RegisterInput{
		FirstName: "Reg", LastName: "Istered", Email: "reg@example.org", Password: testPassword,
	})
	utInvalid(t, err, "consents", "mandatory")
	reg.violation = cu.Violation{}
	got, err := h.svc.Register(h.ctx, h.org, customeruser.RegisterInput{
		FirstName: "Reg", LastName: "Istered", Email: "reg@example.org", Password: testPassword,
	})
	require.NoError(t, err)
	assert.Equal(t, []uuid.UUID{got.ID}, reg.registered)

	// Adding while changes run: every change sees a consistent list.
	var wg sync.WaitGroup
	users := make([]customeruser.User, 8)
	for i := range users {
		users[i] = h.user(c.ID, "c"+string(rune('a'+i))+"@example.org")
	}
	for i := range users {
		wg.Add(2)
		go func() {
			defer wg.Done()
			h.svc.AddAccessRevokedHook(func(context.Context, cu.Actor, customeruser.User, string) error { return nil })
		}()
		go func() {
			defer wg.Done()
			_, err := h.svc.DisableUser(h.ctx, h.admin, users[i].ID, 0)
			assert.NoError(t, err)
		}()
	}
	wg.Wait()
}

// lcRegistrationHook refuses registrations with its violation (when set)
// and records the registered users.
type lcRegistrationHook struct {
	violation  cu.Violation
	registered []uuid.UUID
}

func (r *lcRegistrationHook) CheckRegistration(context.Context, uuid.UUID, customeruser.RegisterInput) []cu.Violation {
	if r.violation.Field == "" {
		return nil
	}
	return []cu.Violation{r.violation}
}

func (r *lcRegistrationHook) Registered(_ context.Context, u customeruser.User, _ customeruser.RegisterInput) error {
	r.registered = append(r.registered, u.ID)
	return nil
}

// A storefront actor never sets a password through UpdateUser, even with
// edit rights over the user (itself or another): ChangePassword is the
// way. The back office may.
func TestUpdateUserPasswordIsBackOfficeOnly(t *testing.T) {
	h := newHarness(t)
	c := h.customer("Acme", uuid.Nil)
	admin := h.user(c.ID, "admin@example.org", h.adminRole.ID)
	buyer := h.user(c.ID, "buyer@example.org")
	for _, tc := range []struct {
		name   string
		actor  cu.Actor
		target uuid.UUID
	}{
		{"storefront administrator, itself", h.storefront(admin), admin.ID},
		{"storefront administrator, another user", h.storefront(admin), buyer.ID},
		{"storefront buyer, itself", h.storefront(buyer), buyer.ID},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before, events := utUsers(h), h.eventCount()
			_, err := h.svc.UpdateUser(h.ctx, tc.actor, tc.target, customeruser.UserPatch{Password: utPtr("Strong12345")}, 0)
			utInvalid(t, err, "password", "forbidden_field")
			utUnchanged(t, h, before, events)
		})
	}
	// With other fields, the password is still the only refusal.
	_, err := h.svc.UpdateUser(h.ctx, h.storefront(admin), buyer.ID, customeruser.UserPatch{
		FirstName: utPtr("Bob"), Password: utPtr("weak"),
	}, 0)
	v := utInvalid(t, err, "password", "forbidden_field")
	assert.Contains(t, v.Message, "change-password")
	var e *cu.Error
	require.ErrorAs(t, err, &e)
	assert.Len(t, e.Violations, 1, "no policy violations for a refused password")

	res, err := h.svc.UpdateUser(h.ctx, h.admin, buyer.ID, customeruser.UserPatch{Password: utPtr("Strong12345")}, 0)
	require.NoError(t, err)
	_, err = h.svc.Authenticate(h.ctx, h.org, customeruser.Credentials{Email: res.User.Email, Password: "Strong12345"})
	require.NoError(t, err)
}

// Confirm, ResendConfirmation and ForceReset check the version the caller
// read when it is not 0.
func TestActionsCheckExpectedVersion(t *testing.T) {
	h := newHarness(t)
	c := h.customer("Acme", uuid.Nil)
	in := utInput(h, c.ID, "new@example.org")
	in.Confirmed = utPtr(false)
	unconfirmed, err := h.svc.CreateUser(h.ctx, h.admin, in)
	require.NoError(t, err)
	u := h.user(c.ID, "amanda@example.org")

	stale := []struct {
		name string
		call func() error
	}{
		{"confirm", func() error {
			_, err := h.svc.Confirm(h.ctx, h.admin, unconfirmed.ID, unconfirmed.Version+1)
			return err
		}},
		{"resend confirmation", func() error {
			return h.svc.ResendConfirmation(h.ctx, h.admin, unconfirmed.ID, unconfirmed.Version+1)
		}},
		{"force reset", func() error { _, err := h.svc.ForceReset(h.ctx, h.admin, u.ID, u.Version+1); return err }},
	}
	for _, tc := range stale {
		t.Run(tc.name, func(t *testing.T) {
			before, events, sent := utUsers(h), h.eventCount(), len(h.mail.Sent())
			assert.ErrorIs(t, tc.call(), cu.ErrStale)
			utUnchanged(t, h, before, events)
			assert.Len(t, h.mail.Sent(), sent, "nothing sent")
		})
	}

	require.NoError(t, h.svc.ResendConfirmation(h.ctx, h.admin, unconfirmed.ID, unconfirmed.Version))
	assert.Equal(t, unconfirmed.Version, utGet(h, unconfirmed.ID).Version, "resending does not move the version")
	got, err := h.svc.Confirm(h.ctx, h.admin, unconfirmed.ID, unconfirmed.Version)
	require.NoError(t, err)
	assert.Equal(t, unconfirmed.Version+1, got.Version)
	got, err = h.svc.ForceReset(h.ctx, h.admin, u.ID, u.Version)
	require.NoError(t, err)
	assert.Equal(t, u.Version+1, got.Version)
	_, err = h.svc.ForceReset(h.ctx, h.admin, u.ID, 0)
	require.NoError(t, err, "0: no check")
}

// lcCountingCustomers counts the customer reads of a Service.
type lcCountingCustomers struct {
	customeruser.CustomerRepository
	mu             sync.Mutex
	gets, getManys int
	lastIDs        []uuid.UUID
}

func (c *lcCountingCustomers) Get(ctx context.Context, org, id uuid.UUID) (customeruser.Customer, error) {
	c.mu.Lock()
	c.gets++
	c.mu.Unlock()
	return c.CustomerRepository.Get(ctx, org, id)
}

func (c *lcCountingCustomers) GetMany(ctx context.Context, org uuid.UUID, ids []uuid.UUID) ([]customeruser.Customer, error) {
	c.mu.Lock()
	c.getManys++
	c.lastIDs = append([]uuid.UUID(nil), ids...)
	c.mu.Unlock()
	return c.CustomerRepository.GetMany(ctx, org, ids)
}

func TestEffectiveSalesRepsOf(t *testing.T) {
	h := newHarness(t)
	repA, repB, own := uuid.New(), uuid.New(), uuid.New()
	a, err := h.svc.CreateCustomer(h.ctx, h.admin, customeruser.CustomerInput{Name: "A", SalesRepIDs: []uuid.UUID{repA}})
	require.NoError(t, err)
	b, err := h.svc.CreateCustomer(h.ctx, h.admin, customeruser.CustomerInput{Name: "B", SalesRepIDs: []uuid.UUID{repB}})
	require.NoError(t, err)
	none := h.customer("None", uuid.Nil)
	a1 := h.user(a.ID, "a1@example.org", h.adminRole.ID)
	a2 := h.user(a.ID, "a2@example.org")
	b1 := h.user(b.ID, "b1@example.org")
	n1 := h.user(none.ID, "n1@example.org")
	in := utInput(h, b.ID, "own@example.org")
	in.SalesRepIDs = []uuid.UUID{own}
	withOwn, err := h.svc.CreateUser(h.ctx, h.admin, in)
	require.NoError(t, err)
	foreign := a2
	foreign.ID, foreign.OrganizationID = uuid.New(), uuid.New()

	counting := &lcCountingCustomers{CustomerRepository: h.store.Customers()}
	cfg := h.svc.Config()
	deps := h.store.UserDeps(h.authz)
	deps.Customers, deps.Sites = counting, h.sites
	svc := customeruser.NewService(deps, customeruser.WithConfig(cfg), customeruser.WithClock(h.clock))

	users := []customeruser.User{a1, a2, b1, n1, withOwn, foreign}
	got, err := svc.EffectiveSalesRepsOf(h.ctx, h.admin, users)
	require.NoError(t, err)
	assert.Equal(t, map[uuid.UUID][]uuid.UUID{
		a1.ID: {repA}, a2.ID: {repA}, b1.ID: {repB}, n1.ID: {}, withOwn.ID: {own},
	}, got, "another organization's user is left out")
	assert.NotNil(t, got[n1.ID], "an empty list, not nil")
	assert.Equal(t, 1, counting.getManys, "one read for all the users")
	assert.Equal(t, 0, counting.gets)
	assert.ElementsMatch(t, []uuid.UUID{a.ID, b.ID, none.ID}, counting.lastIDs, "each customer once, none for own lists")

	// EffectiveSalesReps gives the same, one user at a time.
	for _, u := range users[:5] {
		one, err := svc.EffectiveSalesReps(h.ctx, h.admin, u.ID)
		require.NoError(t, err)
		assert.Equal(t, got[u.ID], one)
	}

	// A storefront actor gets only the users it may view.
	counting.getManys = 0
	sf, err := svc.EffectiveSalesRepsOf(h.ctx, h.storefront(a1), users)
	require.NoError(t, err)
	assert.Equal(t, map[uuid.UUID][]uuid.UUID{a1.ID: {repA}, a2.ID: {repA}}, sf)
	assert.Equal(t, 1, counting.getManys)
	assert.Equal(t, []uuid.UUID{a.ID}, counting.lastIDs)
	_, err = svc.EffectiveSalesReps(h.ctx, h.storefront(a1), b1.ID)
	assert.ErrorIs(t, err, cu.ErrNotFound)

	// Nothing to read, nothing read; anonymous actors are refused.
	counting.getManys = 0
	empty, err := svc.EffectiveSalesRepsOf(h.ctx, h.admin, []customeruser.User{withOwn})
	require.NoError(t, err)
	assert.Equal(t, map[uuid.UUID][]uuid.UUID{withOwn.ID: {own}}, empty)
	assert.Equal(t, 0, counting.getManys)
	_, err = svc.EffectiveSalesRepsOf(h.ctx, cu.AnonymousActor(h.org), users)
	assert.ErrorIs(t, err, cu.ErrUnauthenticated)
	viewer := utRole(h, "Nothing", uuid.Nil, []role.Grant{{Resource: role.ResourceCustomerUserAddress, Permission: role.View, Level: role.LevelUser}})
	nobody := h.user(a.ID, "nobody@example.org", viewer.ID)
	sf, err = svc.EffectiveSalesRepsOf(h.ctx, h.storefront(nobody), []customeruser.User{nobody, a1})
	require.NoError(t, err)
	assert.Empty(t, sf, "no view grant on customer users: not even itself")
}

// A throttled login says how long to wait, in whole seconds rounded up.
func TestAuthenticateThrottledRetryAfter(t *testing.T) {
	h := newHarness(t)
	c := h.customer("Acme", uuid.Nil)
	u := h.user(c.ID, "amanda@example.org")
	authFail(t, h, u.Email, 10)
	h.clock.Advance(time.Second)
	authFail(t, h, u.Email, 1) // the delay is now 2 s from here

	h.clock.Advance(300 * time.Millisecond)
	_, err := h.svc.Authenticate(h.ctx, h.org, authCreds(u.Email, testPassword))
	var e *cu.Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, cu.CodeRateLimited, e.Code)
	assert.Equal(t, 2*time.Second, e.RetryAfter, "1.7 s rounded up")

	h.clock.Advance(time.Second)
	_, err = h.svc.Authenticate(h.ctx, h.org, authCreds(u.Email, testPassword))
	require.ErrorAs(t, err, &e)
	assert.Equal(t, time.Second, e.RetryAfter)

	// Refused credentials carry none.
	h.clock.Advance(time.Second)
	_, err = h.svc.Authenticate(h.ctx, h.org, authCreds(u.Email, "Wrong1234"))
	require.ErrorAs(t, err, &e)
	assert.Equal(t, cu.CodeUnauthenticated, e.Code)
	assert.Zero(t, e.RetryAfter)
}

// Notification.Data travels through the outbox to the templates: the
// "application created" e-mail names the application.
func TestNotificationDataReachesTheTemplates(t *testing.T) {
	e := newNF(t, nil)
	c := e.customer("Acme", uuid.Nil)
	u := e.user(c.ID, "ann@example.org")
	n := customeruser.Notification{
		Template: customeruser.TemplateOAuthAppCreated, OrganizationID: e.org, UserID: u.ID, Email: u.Email,
		Name: u.FullName(), WebsiteID: u.WebsiteID, LocalizationID: u.PreferredLocalizationID,
		Data: map[string]string{"appName": "ERP <sync>"},
	}
	require.NoError(t, e.store.InTx(e.ctx, func(ctx context.Context) error { return e.notifier.Notify(ctx, n) }))
	evs := e.notifications()
	require.Len(t, evs, 1)
	opened, err := customeruser.OpenNotification(evs[0], e.sealer)
	require.NoError(t, err)
	assert.Equal(t, n, opened, "Data round-trips")

	assert.Equal(t, 1, e.dispatch())
	msgs := e.mailer.Messages()
	require.Len(t, msgs, 1)
	m := msgs[0]
	assert.Contains(t, m.Subject, "ERP <sync>")
	assert.Contains(t, m.Text, `named "ERP <sync>"`)
	assert.Contains(t, m.HTML, "ERP &lt;sync&gt;", "escaped in HTML")
	assert.Contains(t, m.Text, "/customer/user/oauth-applications")

	// Without Data the e-mail still renders, without a name.
	msg, err := e.templates.Render(customeruser.TemplateOAuthAppCreated, uuid.Nil, customeruser.TemplateData{Name: "Ann", Email: u.Email})
	require.NoError(t, err)
	assert.Contains(t, msg.Text, "An OAuth application was created for your account")

	// Overrides may use the documented keys.
	require.NoError(t, e.templates.Override(customeruser.TemplateOAuthAppCreated, uuid.Nil,
		"New app {{.Data.appName}}", "{{.Name}}: {{index .Data \"appName\"}}", ""))
	msg, err = e.templates.Render(customeruser.TemplateOAuthAppCreated, uuid.Nil,
		customeruser.TemplateData{Name: "Ann", Data: map[string]string{"appName": "Sync"}})
	require.NoError(t, err)
	assert.Equal(t, "New app Sync", msg.Subject)
	assert.Equal(t, "Ann: Sync", msg.Text)
}
