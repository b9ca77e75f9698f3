package customeruser_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	cu "github.com/b2bkit/customerusers"
	"github.com/b2bkit/customerusers/customeruser"
	"github.com/b2bkit/customerusers/storage/memory"
)

// nfEnv is the harness with the reliable notification path: the Service's
// Notifier is an OutboxNotifier, and a dispatcher e-mails through a
// MemoryMailer.
type nfEnv struct {
	*harness
	sealer    customeruser.Sealer
	notifier  *customeruser.OutboxNotifier
	mailer    *customeruser.MemoryMailer
	templates *customeruser.Templates
	disp      *cu.Dispatcher
	dead      []cu.Delivery
	attempts  int // notification deliveries tried
}

// nfCounting counts the attempts of the subscriber it wraps.
type nfCounting struct {
	cu.Subscriber
	n *int
}

func (c nfCounting) Handle(ctx context.Context, e cu.Event) error {
	*c.n++
	return c.Subscriber.Handle(ctx, e)
}

var nfKey = bytes.Repeat([]byte{42}, 32)

// newNF builds the harness, then replaces its Service with one whose
// Notifier writes to the outbox. wrap, when set, wraps the event log the
// notifier appends to (to inject failures).
func newNF(t *testing.T, wrap func(cu.EventLog) cu.EventLog, opts ...customeruser.Option) *nfEnv {
	t.Helper()
	h := newHarness(t)
	sealer, err := customeruser.NewAESGCMSealer(nfKey)
	require.NoError(t, err)
	events := h.store.Events()
	if wrap != nil {
		events = wrap(events)
	}
	e := &nfEnv{harness: h, sealer: sealer, mailer: customeruser.NewMemoryMailer(), templates: customeruser.NewTemplates()}
	e.notifier = customeruser.NewOutboxNotifier(events, sealer, customeruser.WithNotifierClock(h.clock))
	cfg := customeruser.DefaultConfig()
	cfg.Argon2 = cheapArgon2
	all := append([]customeruser.Option{customeruser.WithConfig(cfg), customeruser.WithClock(h.clock)}, opts...)
	deps := h.store.UserDeps(h.authz)
	deps.Sites, deps.Notifier = h.sites, e.notifier
	h.svc = customeruser.NewService(deps, all...)
	sub := customeruser.NewEmailSubscriber(customeruser.EmailConfig{
		Mailer: e.mailer, Sealer: sealer, Templates: e.templates, Sites: h.sites,
		Links: customeruser.DefaultLinkBuilder("https://shop.example.com"),
	})
	e.disp = cu.NewDispatcher(h.store.Outbox(), []cu.Subscriber{nfCounting{sub, &e.attempts}},
		cu.WithDispatchClock(h.clock), cu.WithMaxAttempts(4), cu.WithBackoff(time.Second, time.Minute),
		cu.WithDeadLetter(func(_ context.Context, d cu.Delivery, _ string) { e.dead = append(e.dead, d) }))
	return e
}

// dispatch runs the dispatcher until nothing is due now and returns how
// many notification deliveries it tried.
func (e *nfEnv) dispatch() int {
	e.t.Helper()
	before := e.attempts
	for {
		n, err := e.disp.RunOnce(e.ctx)
		require.NoError(e.t, err)
		if n == 0 {
			return e.attempts - before
		}
	}
}

// notifications are the outbox events about notifications of the org.
func (e *nfEnv) notifications() []cu.Event {
	e.t.Helper()
	return e.listEvents(cu.EventFilter{SubjectType: customeruser.SubjectNotification})
}

var nfTokenRE = regexp.MustCompile(`token=([A-Za-z0-9_%\-.~]+)`)

// nfToken extracts the clear token from a message's text link.
func nfToken(t *testing.T, m customeruser.Message) string {
	t.Helper()
	match := nfTokenRE.FindStringSubmatch(m.Text)
	require.NotNil(t, match, "no token link in %q", m.Text)
	tok, err := url.QueryUnescape(match[1])
	require.NoError(t, err)
	return tok
}

func (e *nfEnv) welcomeInput(customerID uuid.UUID, email string) customeruser.CreateUserInput {
	in := utInput(e.harness, customerID, email)
	in.SendWelcomeEmail = true
	return in
}

// A notification is an outbox event with the token sealed: no clear token
// anywhere in storage, nothing in the user's History, nothing sent before
// the dispatcher runs. After dispatch the e-mail carries a link whose clear
// token sets the password.
func TestOutboxNotifierWelcomeEndToEnd(t *testing.T) {
	e := newNF(t, nil)
	c := e.customer("Acme", uuid.Nil)
	u, err := e.svc.CreateUser(e.ctx, e.admin, e.welcomeInput(c.ID, "ann@example.org"))
	require.NoError(t, err)
	assert.Empty(t, e.mailer.Messages(), "nothing is sent in the transaction")

	evs := e.notifications()
	require.Len(t, evs, 1)
	ev := evs[0]
	assert.Equal(t, customeruser.EventNotificationRequested, ev.Type)
	assert.Equal(t, u.ID, ev.SubjectID)
	assert.Equal(t, e.org, ev.OrganizationID)
	assert.Equal(t, cu.ActorSystem, ev.Actor.Kind)
	assert.Equal(t, e.clock.Now(), ev.OccurredAt)
	var p customeruser.NotificationPayload
	require.NoError(t, json.Unmarshal(ev.Payload, &p))
	assert.Equal(t, customeruser.NotificationPayload{
		Template: customeruser.TemplateWelcomeByAdmin, UserID: u.ID, Email: u.Email, Name: u.FullName(),
		WebsiteID: u.WebsiteID, LocalizationID: u.PreferredLocalizationID, SealedToken: p.SealedToken,
	}, p)
	require.NotEmpty(t, p.SealedToken)
	n, err := customeruser.OpenNotification(ev, e.sealer)
	require.NoError(t, err)
	require.NotEmpty(t, n.Token)
	assert.NotContains(t, string(ev.Payload), n.Token, "the token is not stored in clear")
	assertNoSecretsInEvents(t, e.harness, n.Token, u.PasswordHash)

	hist, err := e.svc.History(e.ctx, e.admin, u.ID, cu.Page{Limit: cu.MaxPageLimit})
	require.NoError(t, err)
	for _, x := range hist.Items {
		assert.NotEqual(t, customeruser.EventNotificationRequested, x.Type, "notifications stay out of History")
	}

	assert.Equal(t, 1, e.dispatch())
	msgs := e.mailer.Messages()
	require.Len(t, msgs, 1)
	m := msgs[0]
	assert.Equal(t, "ann@example.org", m.To)
	assert.Equal(t, map[string]string{customeruser.HeaderIdempotencyKey: ev.ID.String()}, m.Headers)
	assert.Contains(t, m.Subject, "Main", "website name")
	assert.Contains(t, m.Text, "Ada Lovelace")
	assert.Contains(t, m.HTML, "https://shop.example.com/customer/user/reset-password?token=")
	tok := nfToken(t, m)
	assert.Equal(t, n.Token, tok)

	_, err = e.svc.ResetPassword(e.ctx, e.org, tok, "NewSecret456")
	require.NoError(t, err, "the mailed link works")
	_, err = e.svc.Authenticate(e.ctx, e.org, customeruser.Credentials{Email: u.Email, Password: "NewSecret456"})
	require.NoError(t, err)

	e.clock.Advance(24 * time.Hour)
	assert.Zero(t, e.dispatch())
	assert.Len(t, e.mailer.Messages(), 1, "sent once")
}

// Registration mails a confirmation link that confirms the account, which
// then mails the welcome.
func TestOutboxNotifierConfirmationEndToEnd(t *testing.T) {
	e := newNF(t, nil)
	u, err := e.svc.Register(e.ctx, e.org, regInput("grace@example.org"))
	require.NoError(t, err)
	require.False(t, u.Confirmed)
	e.dispatch()
	msgs := e.mailer.Messages()
	require.Len(t, msgs, 1)
	assert.Contains(t, msgs[0].Text, "https://shop.example.com/customer/user/confirm-email?token=")
	confirmed, err := e.svc.ConfirmEmail(e.ctx, e.org, nfToken(t, msgs[0]))
	require.NoError(t, err)
	assert.True(t, confirmed.Confirmed)

	e.dispatch()
	msgs = e.mailer.Messages()
	require.Len(t, msgs, 2)
	assert.Equal(t, "grace@example.org", msgs[1].To)
	assert.Contains(t, msgs[1].Subject, "Welcome")
	assert.NotContains(t, msgs[1].Text, "token=", "the welcome has no token")
}

// Every flow that e-mails goes through the outbox with its template.
func TestOutboxNotifierEveryFlow(t *testing.T) {
	e := newNF(t, nil)
	c := e.customer("Acme", uuid.Nil)
	u := e.user(c.ID, "flow@example.org")
	require.NoError(t, e.svc.ForgotPassword(e.ctx, e.org, "FLOW@example.org"))
	_, err := e.svc.ForceReset(e.ctx, e.admin, u.ID, 0)
	require.NoError(t, err)
	unconfirmed := utInput(e.harness, c.ID, "later@example.org")
	unconfirmed.Confirmed = utPtr(false)
	v, err := e.svc.CreateUser(e.ctx, e.admin, unconfirmed)
	require.NoError(t, err)
	require.NoError(t, e.svc.ResendConfirmation(e.ctx, e.admin, v.ID, 0))
	_, err = e.svc.Confirm(e.ctx, e.admin, v.ID, 0)
	require.NoError(t, err)
	_, err = e.svc.Register(e.ctx, e.org, regInput("flow@example.org"))
	require.NoError(t, err, "a duplicate registration answers as a success")

	e.dispatch()
	var got []string
	for _, m := range e.mailer.Messages() {
		got = append(got, m.To+" "+strings.Fields(m.Subject)[0])
	}
	assert.Equal(t, []string{
		"flow@example.org Reset",    // forgot password
		"flow@example.org Please",   // forced reset
		"later@example.org Confirm", // resend confirmation
		"later@example.org Your",    // confirmed by admin: welcome with set-password link
		"flow@example.org Someone",  // not-unique-e-mail notice
	}, got)
}

// A failing mailer, then a working one: every message reaches the mailer
// exactly once after recovery, with retries spaced by the back-off.
func TestOutboxNotifierSurvivesMailerFailures(t *testing.T) {
	e := newNF(t, nil)
	c := e.customer("Acme", uuid.Nil)
	for _, email := range []string{"a@example.org", "b@example.org", "c@example.org"} {
		_, err := e.svc.CreateUser(e.ctx, e.admin, e.welcomeInput(c.ID, email))
		require.NoError(t, err)
	}
	require.NoError(t, e.svc.ForgotPassword(e.ctx, e.org, "a@example.org"))
	evs := e.notifications()
	require.Len(t, evs, 4)

	e.mailer.FailNext(5, nil) // 4 fail at once, 1 on the first retry
	assert.Equal(t, 4, e.dispatch())
	assert.Empty(t, e.mailer.Messages())
	assert.Zero(t, e.dispatch(), "nothing due before the back-off")

	e.clock.Advance(time.Second)
	assert.Equal(t, 4, e.dispatch())
	assert.Len(t, e.mailer.Messages(), 3)
	e.clock.Advance(time.Second)
	assert.Zero(t, e.dispatch(), "the second failure waits 2s")
	e.clock.Advance(time.Second)
	assert.Equal(t, 1, e.dispatch())

	e.clock.Advance(time.Hour)
	assert.Zero(t, e.dispatch())
	msgs := e.mailer.Messages()
	require.Len(t, msgs, 4)
	perEvent := map[string]int{}
	for _, m := range msgs {
		perEvent[m.Headers[customeruser.HeaderIdempotencyKey]]++
	}
	for _, ev := range evs {
		assert.Equal(t, 1, perEvent[ev.ID.String()], "event %s sent once", ev.ID)
	}
	assert.Empty(t, e.dead)
	// The set-password links work, except a@'s welcome link, which its
	// forgot-password link replaced.
	for _, m := range msgs {
		_, err := e.svc.ResetPassword(e.ctx, e.org, nfToken(t, m), "NewSecret456")
		if m.Headers[customeruser.HeaderIdempotencyKey] == evs[0].ID.String() {
			assert.Equal(t, cu.CodeInvalid, cu.CodeOf(err))
		} else {
			assert.NoError(t, err, m.To)
		}
	}
}

// A rolled-back change sends nothing: here the host's own transaction
// around CreateUser fails after the welcome was requested.
func TestOutboxNotifierRolledBackChangeSendsNothing(t *testing.T) {
	e := newNF(t, nil)
	c := e.customer("Acme", uuid.Nil)
	x := e.user(c.ID, "x@example.org")
	before, events := utUsers(e.harness), e.eventCount()
	boom := errors.New("host step failed")
	err := e.store.InTx(e.ctx, func(ctx context.Context) error {
		if _, err := e.svc.CreateUser(ctx, e.admin, e.welcomeInput(c.ID, "ghost@example.org")); err != nil {
			return err
		}
		if _, err := e.svc.ForceReset(ctx, e.admin, x.ID, 0); err != nil {
			return err
		}
		return boom
	})
	require.ErrorIs(t, err, boom)
	utUnchanged(t, e.harness, before, events)
	e.clock.Advance(time.Hour)
	assert.Zero(t, e.dispatch(), "nothing to deliver")
	assert.Empty(t, e.mailer.Messages())
}

// nfHook is a registration hook that fails after the user exists.
type nfHook struct{}

func (nfHook) CheckRegistration(context.Context, uuid.UUID, customeruser.RegisterInput) []cu.Violation {
	return nil
}

func (nfHook) Registered(context.Context, customeruser.User, customeruser.RegisterInput) error {
	return errors.New("consent ledger unavailable")
}

func TestOutboxNotifierFailedRegistrationSendsNothing(t *testing.T) {
	e := newNF(t, nil, customeruser.WithRegistrationHook(nfHook{}))
	before, events := utUsers(e.harness), e.eventCount()
	_, err := e.svc.Register(e.ctx, e.org, regInput("ada@example.org"))
	require.Error(t, err)
	utUnchanged(t, e.harness, before, events)
	assert.Zero(t, e.dispatch())
	assert.Empty(t, e.mailer.Messages())
}

// nfFailingLog fails appends of notification events, as a storage failure
// would.
type nfFailingLog struct{ cu.EventLog }

func (l nfFailingLog) Append(ctx context.Context, events ...cu.Event) error {
	for _, e := range events {
		if e.Type == customeruser.EventNotificationRequested {
			return errors.New("disk full")
		}
	}
	return l.EventLog.Append(ctx, events...)
}

// When the notification cannot be recorded, the change it belongs to is
// undone: no user without its welcome e-mail, no reset without its link.
func TestOutboxNotifierFailureAbortsTheChange(t *testing.T) {
	e := newNF(t, func(l cu.EventLog) cu.EventLog { return nfFailingLog{l} })
	c := e.customer("Acme", uuid.Nil)
	u := e.user(c.ID, "kept@example.org")
	before, events := utUsers(e.harness), e.eventCount()

	_, err := e.svc.CreateUser(e.ctx, e.admin, e.welcomeInput(c.ID, "new@example.org"))
	assert.Equal(t, cu.CodeInternal, cu.CodeOf(err))
	_, err = e.svc.ForceReset(e.ctx, e.admin, u.ID, 0)
	assert.Equal(t, cu.CodeInternal, cu.CodeOf(err))
	assert.Equal(t, cu.CodeInternal, cu.CodeOf(e.svc.ForgotPassword(e.ctx, e.org, u.Email)), "not hidden as 'no such user'")
	utUnchanged(t, e.harness, before, events)
	assert.Zero(t, e.dispatch())
}

// Messages render in the user's localization, falling back to the default
// template.
func TestOutboxNotifierLocalizedTemplates(t *testing.T) {
	e := newNF(t, nil)
	de := e.website.Localizations[1]
	require.NoError(t, e.templates.Override(customeruser.TemplateWelcomeByAdmin, de,
		"Willkommen bei {{.WebsiteName}}", "Hallo {{.Name}}, Passwort festlegen: {{.Link}}", "<p>Hallo {{.Name}}</p>"))
	c := e.customer("Acme", uuid.Nil)
	in := e.welcomeInput(c.ID, "de@example.org")
	in.PreferredLocalizationID = de
	_, err := e.svc.CreateUser(e.ctx, e.admin, in)
	require.NoError(t, err)
	_, err = e.svc.CreateUser(e.ctx, e.admin, e.welcomeInput(c.ID, "en@example.org"))
	require.NoError(t, err)
	e.dispatch()
	msgs := e.mailer.Messages()
	require.Len(t, msgs, 2)
	assert.Equal(t, "Willkommen bei Main", msgs[0].Subject)
	assert.Equal(t, "<p>Hallo Ada Lovelace</p>", msgs[0].HTML)
	assert.NotEmpty(t, nfToken(t, msgs[0]))
	assert.Equal(t, "Your new account at Main", msgs[1].Subject)
}

// A notification whose template is unknown, or whose token does not open,
// fails until it is dead; other e-mails go on.
func TestOutboxNotifierUndeliverableNotificationsDie(t *testing.T) {
	e := newNF(t, nil)
	bad := customeruser.Notification{Template: "no_such_template", OrganizationID: e.org, UserID: uuid.New(), Email: "x@example.org"}
	otherKey, err := customeruser.NewAESGCMSealer(bytes.Repeat([]byte{1}, 32))
	require.NoError(t, err)
	foreign := customeruser.NewOutboxNotifier(e.store.Events(), otherKey)
	require.NoError(t, e.store.InTx(e.ctx, func(ctx context.Context) error {
		if err := e.notifier.Notify(ctx, bad); err != nil {
			return err
		}
		sealedElsewhere := bad
		sealedElsewhere.Template, sealedElsewhere.Token = customeruser.TemplateResetPassword, "secret"
		return foreign.Notify(ctx, sealedElsewhere)
	}))
	c := e.customer("Acme", uuid.Nil)
	_, err = e.svc.CreateUser(e.ctx, e.admin, e.welcomeInput(c.ID, "fine@example.org"))
	require.NoError(t, err)

	for range 6 {
		e.dispatch()
		e.clock.Advance(time.Minute)
	}
	msgs := e.mailer.Messages()
	require.Len(t, msgs, 1)
	assert.Equal(t, "fine@example.org", msgs[0].To)
	require.Len(t, e.dead, 2)
	assert.Equal(t, 4, e.dead[0].Attempt)
	assert.Equal(t, e.org, e.dead[0].Event.OrganizationID)
}

// The reliable e-mail path: the Service's Notifier records each e-mail in
// the outbox inside the change's transaction; a dispatcher (any number of
// them, in any process) renders and sends it after commit, retrying.
func ExampleOutboxNotifier() {
	ctx := context.Background()
	store := memory.New()
	sealer, err := customeruser.NewAESGCMSealer(bytes.Repeat([]byte{7}, 32)) // the host's secret key
	if err != nil {
		panic(err)
	}
	notifier := customeruser.NewOutboxNotifier(store.Events(), sealer)
	// customeruser.NewService(customeruser.Deps{..., Notifier: notifier}) calls
	// Notify inside its transactions; here we call it directly.
	org := uuid.New()
	err = store.InTx(ctx, func(ctx context.Context) error {
		return notifier.Notify(ctx, customeruser.Notification{
			Template: customeruser.TemplateResetPassword, OrganizationID: org, UserID: uuid.New(),
			Email: "ann@example.com", Name: "Ann Example", Token: "one-time-secret",
		})
	})
	if err != nil {
		panic(err)
	}

	mailer := customeruser.NewMemoryMailer() // the host's SMTP or provider client
	email := customeruser.NewEmailSubscriber(customeruser.EmailConfig{
		Mailer: mailer, Sealer: sealer, Links: customeruser.DefaultLinkBuilder("https://shop.example.com"),
	})
	dispatcher := cu.NewDispatcher(store.Outbox(), []cu.Subscriber{email})
	if _, err := dispatcher.RunOnce(ctx); err != nil { // a host runs dispatcher.Run(ctx) instead
		panic(err)
	}
	for _, m := range mailer.Messages() {
		fmt.Println(m.To, "|", m.Subject)
		fmt.Println(strings.Contains(m.Text, "https://shop.example.com/customer/user/reset-password?token=one-time-secret"))
	}
	// Output:
	// ann@example.com | Reset your password
	// true
}
