package customeruser

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"sync"
	texttemplate "text/template"

	"github.com/google/uuid"

	cu "github.com/b2bkit/customerusers"
)

// Message is an e-mail ready to send.
type Message struct {
	To      string
	Subject string
	Text    string
	// HTML is the HTML alternative; empty for a text-only message.
	HTML string
	// Headers are extra headers; EmailSubscriber sets HeaderIdempotencyKey.
	Headers map[string]string
}

// HeaderIdempotencyKey carries the id of the event a message was made
// from. Delivery is at least once, so the same message may be sent again
// (after a crash between sending and recording it); a Mailer or provider
// that honours this header sends it once.
const HeaderIdempotencyKey = "Idempotency-Key"

// Mailer is the host's e-mail delivery (SMTP, a provider's API). An error
// makes the dispatcher try the message again later.
type Mailer interface {
	Send(ctx context.Context, m Message) error
}

// ErrMailerFailure is what a MemoryMailer told to fail returns by default.
var ErrMailerFailure = errors.New("customeruser: memory mailer told to fail")

// MemoryMailer is a Mailer that keeps messages in memory, for tests and
// demos. It can be told to fail the next sends. It is safe for concurrent
// use; its zero value is ready.
type MemoryMailer struct {
	mu       sync.Mutex
	messages []Message
	failN    int
	failErr  error
}

// NewMemoryMailer returns an empty MemoryMailer.
func NewMemoryMailer() *MemoryMailer { return &MemoryMailer{} }

// Send records m, or fails without recording it when told to.
func (m *MemoryMailer) Send(ctx context.Context, msg Message) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.failN > 0 {
		m.failN--
		return m.failErr
	}
	msg.Headers = cloneHeaders(msg.Headers)
	m.messages = append(m.messages, msg)
	return nil
}

// FailNext makes the next n sends fail with err (ErrMailerFailure when
// nil); n = 0 stops failing.
func (m *MemoryMailer) FailNext(n int, err error) {
	if err == nil {
		err = ErrMailerFailure
	}
	m.mu.Lock()
	m.failN, m.failErr = n, err
	m.mu.Unlock()
}

// Messages returns the messages sent so far, oldest first.
func (m *MemoryMailer) Messages() []Message {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]Message, len(m.messages))
	for i, msg := range m.messages {
		msg.Headers = cloneHeaders(msg.Headers)
		out[i] = msg
	}
	return out
}

// Reset forgets the messages sent so far.
func (m *MemoryMailer) Reset() {
	m.mu.Lock()
	m.messages = nil
	m.mu.Unlock()
}

func cloneHeaders(h map[string]string) map[string]string {
	if h == nil {
		return nil
	}
	out := make(map[string]string, len(h))
	for k, v := range h {
		out[k] = v
	}
	return out
}

// TemplateData is what e-mail templates see.
type TemplateData struct {
	// Template is the template name.
	Template string
	// Name is the user's full name, Email the address written to.
	Name  string
	Email string
	// Link is the link of the e-mail (LinkBuilder), with the one-time token
	// when the e-mail has one.
	Link string
	// WebsiteName is the name of the user's website, empty when unknown.
	WebsiteName string
	// Data is the notification's template-specific values
	// (Notification.Data), such as "appName" for
	// customer_user_oauth_application_created. Write {{index .Data "key"}}:
	// it gives "" for a missing key, where {{.Data.key}} fails.
	Data map[string]string
}

// LinkBuilder makes the link of an e-mail from its notification; the
// notification's Token is the clear one-time secret.
type LinkBuilder func(n Notification) string

// The paths DefaultLinkBuilder appends to its base URL, per template.
var defaultLinkPaths = map[string]string{
	TemplateConfirmation:    "/customer/user/confirm-email",
	TemplateWelcome:         "/customer/user/login",
	TemplateWelcomeByAdmin:  "/customer/user/reset-password",
	TemplateResetPassword:   "/customer/user/reset-password",
	TemplateForcedReset:     "/customer/user/reset-password",
	TemplateNotUniqueEmail:  "/customer/user/forgot-password",
	TemplateOAuthAppCreated: "/customer/user/oauth-applications",
}

// DefaultLinkBuilder returns links of the storefront at baseURL (say
// "https://shop.example.com"): /customer/user/confirm-email for the
// confirmation, /customer/user/reset-password for the set-password e-mails
// (welcome by admin, reset, forced reset), /customer/user/login for the
// welcome, /customer/user/forgot-password for the not-unique-e-mail notice,
// /customer/user/oauth-applications for a new OAuth application and
// /customer/user/login for any other template; "?token=" and the
// query-escaped token follow when there is one.
func DefaultLinkBuilder(baseURL string) LinkBuilder {
	base := strings.TrimRight(baseURL, "/")
	return func(n Notification) string {
		path, ok := defaultLinkPaths[n.Template]
		if !ok {
			path = "/customer/user/login"
		}
		link := base + path
		if n.Token != "" {
			link += "?token=" + url.QueryEscape(n.Token)
		}
		return link
	}
}

//go:embed templates/*
var defaultTemplateFS embed.FS

// templateSet is one template in one localization.
type templateSet struct {
	subject *texttemplate.Template
	text    *texttemplate.Template
	html    *htmltemplate.Template // nil: text-only
}

// Templates are the e-mail templates: a subject and a text body
// (text/template) and an HTML body (html/template, which escapes the data)
// per template name and localization, falling back to the template's
// default localization (uuid.Nil). NewTemplates starts with the library's
// defaults for every template it sends. It is safe for concurrent use.
type Templates struct {
	mu  sync.RWMutex
	set map[string]map[uuid.UUID]*templateSet
}

// TemplateNames lists the templates the library sends, which NewTemplates
// has defaults for.
func TemplateNames() []string {
	return []string{
		TemplateConfirmation, TemplateWelcome, TemplateWelcomeByAdmin, TemplateResetPassword,
		TemplateForcedReset, TemplateNotUniqueEmail, TemplateOAuthAppCreated,
	}
}

// NewTemplates returns the default templates (embedded in the library,
// in English) as the default localization of each template name.
func NewTemplates() *Templates {
	t := &Templates{set: map[string]map[uuid.UUID]*templateSet{}}
	for _, name := range TemplateNames() {
		read := func(suffix string) string {
			b, err := defaultTemplateFS.ReadFile("templates/" + name + suffix)
			if err != nil {
				panic(fmt.Sprintf("customeruser: default template %s%s missing: %v", name, suffix, err))
			}
			return string(b)
		}
		if err := t.Override(name, uuid.Nil, read(".subject.txt"), read(".txt"), read(".html")); err != nil {
			panic(fmt.Sprintf("customeruser: default template %s: %v", name, err))
		}
	}
	return t
}

// sampleData checks templates at Override time.
var sampleData = TemplateData{Template: "sample", Name: "Ann Example", Email: "ann@example.com", Link: "https://shop.example.com/x?token=abc", WebsiteName: "Shop",
	Data: map[string]string{"appName": "Sample app"}}

// Override sets the templates of name for a localization (uuid.Nil: the
// default one, used for localizations without their own). Subject and text
// are required, html may be empty for text-only e-mails. Templates see a
// TemplateData; syntax errors and references to unknown fields are invalid
// errors on field "subject", "text" or "html" (rule "template"), and
// nothing changes then. Other names than the library's may be added for
// the host's own notifications.
func (t *Templates) Override(name string, localizationID uuid.UUID, subject, text, html string) error {
	var v cu.Violations
	if strings.TrimSpace(name) == "" {
		v.Add("name", "required", "The template name is required.")
	}
	ts := &templateSet{}
	check := func(field string, exec func() error) {
		if err := exec(); err != nil {
			v.Addf(field, "template", "The %s template does not work: %v", field, err)
		}
	}
	parseText := func(field, src string) *texttemplate.Template {
		if strings.TrimSpace(src) == "" {
			v.Addf(field, "required", "The %s template is required.", field)
			return nil
		}
		tt, err := texttemplate.New(field).Option("missingkey=error").Parse(src)
		if err != nil {
			v.Addf(field, "template", "The %s template does not parse: %v", field, err)
			return nil
		}
		check(field, func() error { return tt.Execute(new(bytes.Buffer), sampleData) })
		return tt
	}
	ts.subject = parseText("subject", subject)
	ts.text = parseText("text", text)
	if strings.TrimSpace(html) != "" {
		ht, err := htmltemplate.New("html").Option("missingkey=error").Parse(html)
		if err != nil {
			v.Addf("html", "template", "The html template does not parse: %v", err)
		} else {
			check("html", func() error { return ht.Execute(new(bytes.Buffer), sampleData) })
			ts.html = ht
		}
	}
	if err := v.Err(); err != nil {
		return err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.set == nil {
		t.set = map[string]map[uuid.UUID]*templateSet{}
	}
	if t.set[name] == nil {
		t.set[name] = map[uuid.UUID]*templateSet{}
	}
	t.set[name][localizationID] = ts
	return nil
}

// ErrUnknownTemplate is returned by Render for a name without templates.
var ErrUnknownTemplate = errors.New("customeruser: unknown e-mail template")

// Render renders name for a localization (falling back to the default
// one) into a message without recipient or headers. The subject is one
// line: line breaks in it become spaces.
func (t *Templates) Render(name string, localizationID uuid.UUID, data TemplateData) (Message, error) {
	t.mu.RLock()
	byLoc := t.set[name]
	ts := byLoc[localizationID]
	if ts == nil {
		ts = byLoc[uuid.Nil]
	}
	t.mu.RUnlock()
	if ts == nil {
		return Message{}, fmt.Errorf("%w %q (localization %s)", ErrUnknownTemplate, name, localizationID)
	}
	data.Template = name
	var subject, text, html bytes.Buffer
	if err := ts.subject.Execute(&subject, data); err != nil {
		return Message{}, fmt.Errorf("render subject of %q: %w", name, err)
	}
	if err := ts.text.Execute(&text, data); err != nil {
		return Message{}, fmt.Errorf("render text of %q: %w", name, err)
	}
	if ts.html != nil {
		if err := ts.html.Execute(&html, data); err != nil {
			return Message{}, fmt.Errorf("render html of %q: %w", name, err)
		}
	}
	return Message{Subject: strings.Join(strings.Fields(subject.String()), " "), Text: text.String(), HTML: html.String()}, nil
}

// Names returns the template names that have templates, sorted.
func (t *Templates) Names() []string {
	t.mu.RLock()
	defer t.mu.RUnlock()
	out := make([]string, 0, len(t.set))
	for name := range t.set {
		out = append(out, name)
	}
	slices.Sort(out)
	return out
}

// EmailConfig are the collaborators of an EmailSubscriber. Mailer is
// required, and Sealer whenever notifications carry tokens (it must be the
// OutboxNotifier's); Templates default to NewTemplates(), Links to
// DefaultLinkBuilder("") (relative links: set a base URL in production),
// Sites to none (no website names), Logger to none.
type EmailConfig struct {
	Mailer    Mailer
	Sealer    Sealer
	Templates *Templates
	Links     LinkBuilder
	Sites     Sites
	Logger    *slog.Logger
}

// EmailSubscriber is the cu.Subscriber that e-mails the notifications an
// OutboxNotifier recorded: it opens the token, renders the template of the
// user's localization and sends the message through the Mailer with the
// event id as HeaderIdempotencyKey. Any failure (an unknown template
// included) is returned for the dispatcher to retry and, in the end, to
// give up on.
type EmailSubscriber struct {
	c EmailConfig
}

var _ cu.Subscriber = (*EmailSubscriber)(nil)

// NewEmailSubscriber returns an EmailSubscriber; it panics without a
// Mailer.
func NewEmailSubscriber(c EmailConfig) *EmailSubscriber {
	if c.Mailer == nil {
		panic("customeruser: NewEmailSubscriber needs a Mailer")
	}
	if c.Templates == nil {
		c.Templates = NewTemplates()
	}
	if c.Links == nil {
		c.Links = DefaultLinkBuilder("")
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return &EmailSubscriber{c: c}
}

// Name identifies the subscriber.
func (*EmailSubscriber) Name() string { return "email" }

// Handles reports whether the event is a notification request.
func (*EmailSubscriber) Handles(eventType string) bool {
	return eventType == EventNotificationRequested
}

// Handle renders and sends the e-mail of one notification event.
func (s *EmailSubscriber) Handle(ctx context.Context, e cu.Event) error {
	n, err := OpenNotification(e, s.c.Sealer)
	if err != nil {
		s.c.Logger.ErrorContext(ctx, "notification event unreadable", "event", e.ID, "err", err)
		return err
	}
	data := TemplateData{Name: n.Name, Email: n.Email, Link: s.c.Links(n), Data: n.Data}
	if s.c.Sites != nil && n.WebsiteID != uuid.Nil {
		w, err := s.c.Sites.Website(ctx, n.OrganizationID, n.WebsiteID)
		switch {
		case err == nil:
			data.WebsiteName = w.Name
		case !errors.Is(err, cu.ErrNotFound):
			return fmt.Errorf("website of notification %s: %w", e.ID, err)
		}
	}
	msg, err := s.c.Templates.Render(n.Template, n.LocalizationID, data)
	if err != nil {
		s.c.Logger.ErrorContext(ctx, "notification not renderable", "event", e.ID, "template", n.Template, "err", err)
		return err
	}
	msg.To = n.Email
	msg.Headers = map[string]string{HeaderIdempotencyKey: e.ID.String()}
	if err := s.c.Mailer.Send(ctx, msg); err != nil {
		return fmt.Errorf("send %s e-mail of event %s: %w", n.Template, e.ID, err)
	}
	return nil
}
