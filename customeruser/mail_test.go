package customeruser_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/b2bkit/customerusers/customeruser"
)

var mlData = customeruser.TemplateData{Name: "Ann Example", Email: "ann@example.com", Link: "https://shop.example.com/p?token=t0k3n", WebsiteName: "Main Shop"}

// Every template the library sends has an English default with a one-line
// subject, a text and an HTML body showing the name and the link.
func TestDefaultTemplatesCoverEveryTemplate(t *testing.T) {
	tpl := customeruser.NewTemplates()
	names := customeruser.TemplateNames()
	assert.ElementsMatch(t, []string{
		customeruser.TemplateConfirmation, customeruser.TemplateWelcome, customeruser.TemplateWelcomeByAdmin,
		customeruser.TemplateResetPassword, customeruser.TemplateForcedReset, customeruser.TemplateNotUniqueEmail,
		customeruser.TemplateOAuthAppCreated,
	}, names)
	assert.ElementsMatch(t, names, tpl.Names())
	subjects := map[string]bool{}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			for _, loc := range []uuid.UUID{uuid.Nil, uuid.New()} {
				m, err := tpl.Render(name, loc, mlData)
				require.NoError(t, err)
				assert.NotEmpty(t, m.Subject)
				assert.NotContains(t, m.Subject, "\n")
				assert.False(t, subjects[m.Subject] && loc == uuid.Nil, "subjects differ between templates")
				subjects[m.Subject] = true
				for _, body := range []string{m.Text, m.HTML} {
					assert.Contains(t, body, "Ann Example")
					assert.Contains(t, body, "https://shop.example.com/p?token=t0k3n")
					assert.Contains(t, body, "Main Shop")
					assert.NotContains(t, body, "<no value>")
				}
				assert.Contains(t, m.HTML, `<a href="https://shop.example.com/p?token=t0k3n">`)
				assert.Empty(t, m.To)
				assert.Nil(t, m.Headers)
			}
			// Without a website name nothing dangles.
			m, err := tpl.Render(name, uuid.Nil, customeruser.TemplateData{Name: "Ann", Email: "a@example.com", Link: "/x"})
			require.NoError(t, err)
			assert.NotContains(t, m.Subject, " for ")
			assert.NotContains(t, m.Text, "<no value>")
		})
	}
}

// HTML bodies escape the data; text bodies keep it as is.
func TestTemplatesEscapeHTML(t *testing.T) {
	tpl := customeruser.NewTemplates()
	data := mlData
	data.Name = `<script>alert("x")</script>`
	data.Link = `javascript:alert(1)`
	m, err := tpl.Render(customeruser.TemplateResetPassword, uuid.Nil, data)
	require.NoError(t, err)
	assert.NotContains(t, m.HTML, "<script>")
	assert.Contains(t, m.HTML, "&lt;script&gt;")
	assert.NotContains(t, m.HTML, `href="javascript:`)
	assert.Contains(t, m.Text, `<script>alert("x")</script>`)
}

// Overrides per localization win for that localization; others fall back
// to the default, which can be overridden too. A text-only override sends
// no HTML. Line breaks in subjects become spaces.
func TestTemplatesOverridePerLocalization(t *testing.T) {
	tpl := customeruser.NewTemplates()
	de, fr := uuid.New(), uuid.New()
	name := customeruser.TemplateWelcome
	english, err := tpl.Render(name, uuid.Nil, mlData)
	require.NoError(t, err)

	require.NoError(t, tpl.Override(name, de, "Willkommen\n{{.Name}}", "Hallo {{.Name}}: {{.Link}}", "<p>Hallo {{.Name}}</p>"))
	m, err := tpl.Render(name, de, mlData)
	require.NoError(t, err)
	assert.Equal(t, customeruser.Message{Subject: "Willkommen Ann Example", Text: "Hallo Ann Example: https://shop.example.com/p?token=t0k3n", HTML: "<p>Hallo Ann Example</p>"}, m)

	m, err = tpl.Render(name, fr, mlData)
	require.NoError(t, err)
	assert.Equal(t, english, m, "no French: the default")

	require.NoError(t, tpl.Override(name, uuid.Nil, "Hi {{.Name}}", "Text only {{.Email}}", ""))
	m, err = tpl.Render(name, fr, mlData)
	require.NoError(t, err)
	assert.Equal(t, customeruser.Message{Subject: "Hi Ann Example", Text: "Text only ann@example.com"}, m)
	m, err = tpl.Render(name, de, mlData)
	require.NoError(t, err)
	assert.Equal(t, "Willkommen Ann Example", m.Subject, "German stays")

	// Another name for the host's own notification.
	require.NoError(t, tpl.Override("host_custom", uuid.Nil, "S", "T", ""))
	assert.Contains(t, tpl.Names(), "host_custom")
	m, err = tpl.Render("host_custom", de, mlData)
	require.NoError(t, err)
	assert.Equal(t, "S", m.Subject)
}

func TestTemplatesOverrideErrors(t *testing.T) {
	tests := []struct {
		name, tplName, subject, text, html string
		field, rule                        string
	}{
		{"subject syntax", customeruser.TemplateWelcome, "Hi {{.Name", "ok", "", "subject", "template"},
		{"text syntax", customeruser.TemplateWelcome, "ok", "{{if .Name}}", "", "text", "template"},
		{"html syntax", customeruser.TemplateWelcome, "ok", "ok", "<p>{{.Name</p>", "html", "template"},
		{"unknown field in text", customeruser.TemplateWelcome, "ok", "{{.Password}}", "", "text", "template"},
		{"unknown field in html", customeruser.TemplateWelcome, "ok", "ok", "{{.Token}}", "html", "template"},
		{"unknown function", customeruser.TemplateWelcome, "{{shout .Name}}", "ok", "", "subject", "template"},
		{"empty subject", customeruser.TemplateWelcome, " ", "ok", "", "subject", "required"},
		{"empty text", customeruser.TemplateWelcome, "ok", "", "", "text", "required"},
		{"empty name", "", "ok", "ok", "", "name", "required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tpl := customeruser.NewTemplates()
			loc := uuid.New()
			before, err := tpl.Render(customeruser.TemplateWelcome, loc, mlData)
			require.NoError(t, err)
			err = tpl.Override(tt.tplName, loc, tt.subject, tt.text, tt.html)
			v := utInvalid(t, err, tt.field, tt.rule)
			assert.NotEmpty(t, v.Message)
			after, err := tpl.Render(customeruser.TemplateWelcome, loc, mlData)
			require.NoError(t, err)
			assert.Equal(t, before, after, "nothing changed")
			assert.Len(t, tpl.Names(), len(customeruser.TemplateNames()))
		})
	}
}

func TestTemplatesUnknownName(t *testing.T) {
	_, err := customeruser.NewTemplates().Render("nope", uuid.Nil, mlData)
	assert.ErrorIs(t, err, customeruser.ErrUnknownTemplate)
	var zero customeruser.Templates
	_, err = zero.Render(customeruser.TemplateWelcome, uuid.Nil, mlData)
	assert.ErrorIs(t, err, customeruser.ErrUnknownTemplate, "a zero Templates has none")
	require.NoError(t, zero.Override("x", uuid.Nil, "s", "t", ""))
}

func TestDefaultLinkBuilder(t *testing.T) {
	tests := []struct {
		base, template, token, want string
	}{
		{"https://shop.example.com", customeruser.TemplateConfirmation, "abc", "https://shop.example.com/customer/user/confirm-email?token=abc"},
		{"https://shop.example.com/", customeruser.TemplateResetPassword, "a+b/c=", "https://shop.example.com/customer/user/reset-password?token=a%2Bb%2Fc%3D"},
		{"https://shop.example.com/b2b", customeruser.TemplateWelcomeByAdmin, "x", "https://shop.example.com/b2b/customer/user/reset-password?token=x"},
		{"https://s.example", customeruser.TemplateForcedReset, "x", "https://s.example/customer/user/reset-password?token=x"},
		{"https://s.example", customeruser.TemplateWelcome, "", "https://s.example/customer/user/login"},
		{"https://s.example", customeruser.TemplateNotUniqueEmail, "", "https://s.example/customer/user/forgot-password"},
		{"https://s.example", customeruser.TemplateOAuthAppCreated, "", "https://s.example/customer/user/oauth-applications"},
		{"", "host_custom", "", "/customer/user/login"},
	}
	for _, tt := range tests {
		t.Run(tt.template, func(t *testing.T) {
			got := customeruser.DefaultLinkBuilder(tt.base)(customeruser.Notification{Template: tt.template, Token: tt.token})
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestMemoryMailer(t *testing.T) {
	ctx := context.Background()
	var m customeruser.MemoryMailer // the zero value works
	msg := customeruser.Message{To: "a@example.com", Subject: "S", Text: "T", Headers: map[string]string{"K": "v"}}

	m.FailNext(2, nil)
	assert.ErrorIs(t, m.Send(ctx, msg), customeruser.ErrMailerFailure)
	assert.ErrorIs(t, m.Send(ctx, msg), customeruser.ErrMailerFailure)
	require.NoError(t, m.Send(ctx, msg))
	boom := errors.New("smtp 451")
	m.FailNext(1, boom)
	assert.ErrorIs(t, m.Send(ctx, msg), boom)
	m.FailNext(3, nil)
	m.FailNext(0, nil)
	require.NoError(t, m.Send(ctx, msg), "FailNext(0) stops failing")

	got := m.Messages()
	require.Len(t, got, 2, "failed sends are not recorded")
	assert.Equal(t, msg, got[0])
	got[0].Headers["K"] = "changed"
	msg.Headers["K"] = "changed too"
	assert.Equal(t, "v", m.Messages()[0].Headers["K"], "copied in and out")

	canceled, cancel := context.WithCancel(ctx)
	cancel()
	assert.ErrorIs(t, m.Send(canceled, msg), context.Canceled)

	m.Reset()
	assert.Empty(t, m.Messages())

	// Concurrent use, with failures spread among senders.
	m.FailNext(50, nil)
	var wg sync.WaitGroup
	var mu sync.Mutex
	failed := 0
	for i := range 200 {
		wg.Go(func() {
			if err := m.Send(ctx, customeruser.Message{To: fmt.Sprintf("u%d@example.com", i)}); err != nil {
				mu.Lock()
				failed++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	assert.Equal(t, 50, failed)
	assert.Len(t, m.Messages(), 150)
}

func TestAESGCMSealer(t *testing.T) {
	for _, n := range []int{0, 16, 24, 31, 33} {
		_, err := customeruser.NewAESGCMSealer(make([]byte, n))
		assert.Error(t, err, "key of %d bytes", n)
	}
	key := bytes.Repeat([]byte{1}, 32)
	s, err := customeruser.NewAESGCMSealer(key)
	require.NoError(t, err)
	secret := []byte("one-time-secret-value")
	a, err := s.Seal(secret)
	require.NoError(t, err)
	b, err := s.Seal(secret)
	require.NoError(t, err)
	assert.NotEqual(t, a, b, "random nonces")
	assert.False(t, bytes.Contains(a, secret), "sealed, not in clear")
	for _, sealed := range [][]byte{a, b} {
		got, err := s.Open(sealed)
		require.NoError(t, err)
		assert.Equal(t, secret, got)
	}
	empty, err := s.Seal(nil)
	require.NoError(t, err)
	got, err := s.Open(empty)
	require.NoError(t, err)
	assert.Empty(t, got)

	other, err := customeruser.NewAESGCMSealer(bytes.Repeat([]byte{2}, 32))
	require.NoError(t, err)
	_, err = other.Open(a)
	assert.Error(t, err, "another key")
	for i := range a {
		tampered := bytes.Clone(a)
		tampered[i] ^= 0x40
		_, err := s.Open(tampered)
		assert.Error(t, err, "byte %d changed", i)
	}
	for _, short := range [][]byte{nil, a[:1], a[:13], a[:len(a)-1]} {
		_, err := s.Open(short)
		assert.Error(t, err, "%d bytes", len(short))
	}
	// The key is copied by the cipher: changing it later changes nothing.
	key[0] = 9
	got, err = s.Open(a)
	require.NoError(t, err)
	assert.Equal(t, secret, got)
}

func TestTemplatesConcurrentUse(t *testing.T) {
	tpl := customeruser.NewTemplates()
	loc := uuid.New()
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			if i%2 == 0 {
				assert.NoError(t, tpl.Override(customeruser.TemplateWelcome, loc, fmt.Sprintf("S%d", i), "T", ""))
				return
			}
			m, err := tpl.Render(customeruser.TemplateWelcome, loc, mlData)
			assert.NoError(t, err)
			assert.True(t, strings.HasPrefix(m.Subject, "S") || strings.HasPrefix(m.Subject, "Welcome"), m.Subject)
		})
	}
	wg.Wait()
}
