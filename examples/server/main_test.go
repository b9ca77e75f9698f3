package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/b2bkit/customerusers/customeruser"
	"github.com/b2bkit/customerusers/examples/internal/demo"
	"github.com/b2bkit/customerusers/storage/postgres"
	"github.com/b2bkit/customerusers/storage/postgres/pgtest"
)

func init() {
	argon2 = customeruser.Argon2Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}
}

// output collects what the server prints and lets a test wait for a line.
type output struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	changed chan struct{}
}

func newOutput() *output { return &output{changed: make(chan struct{})} }

func (o *output) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.buf.Write(p)
	close(o.changed)
	o.changed = make(chan struct{})
	return len(p), nil
}

func (o *output) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.String()
}

// wait returns the first submatch of re once the output has it; the
// deadline only keeps a broken server from hanging the test.
func (o *output) wait(t *testing.T, re *regexp.Regexp) string {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		o.mu.Lock()
		m := re.FindStringSubmatch(o.buf.String())
		changed := o.changed
		o.mu.Unlock()
		if m != nil {
			return m[len(m)-1]
		}
		select {
		case <-changed:
		case <-deadline:
			t.Fatalf("no %s in the output:\n%s", re, o.String())
		}
	}
}

var listening = regexp.MustCompile(`msg=listening addr=(\S+)`)

// server is a running demo server.
type server struct {
	t     *testing.T
	base  string
	out   *output
	stop  context.CancelFunc
	done  chan error
	token string
}

func start(t *testing.T, args ...string) *server {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s := &server{t: t, out: newOutput(), stop: cancel, done: make(chan error, 1), token: "test-admin-token"}
	go func() {
		s.done <- run(ctx, append([]string{"-addr", "127.0.0.1:0", "-admin-token", s.token}, args...), s.out)
	}()
	s.base = "http://" + s.out.wait(t, listening)
	t.Cleanup(func() {
		cancel()
		<-s.done
	})
	return s
}

// shutdown cancels the server's context and requires a clean stop.
func (s *server) shutdown() {
	s.t.Helper()
	s.stop()
	require.NoError(s.t, <-s.done)
	s.done <- nil // for the cleanup
	assert.Contains(s.t, s.out.String(), "msg=stopped")
}

type answer struct {
	status int
	header http.Header
	body   map[string]any
}

func (s *server) do(method, path, token, contentType, body string) answer {
	s.t.Helper()
	req, err := http.NewRequest(method, s.base+path, strings.NewReader(body))
	require.NoError(s.t, err)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(s.t, err)
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	require.NoError(s.t, err)
	a := answer{status: res.StatusCode, header: res.Header}
	if len(raw) > 0 && strings.Contains(res.Header.Get("Content-Type"), "json") {
		require.NoError(s.t, json.Unmarshal(raw, &a.body), "%s", raw)
	}
	return a
}

func (s *server) json(method, path, token string, body any) answer {
	s.t.Helper()
	b, err := json.Marshal(body)
	require.NoError(s.t, err)
	return s.do(method, path, token, "application/json", string(b))
}

func (s *server) login(email, password string) string {
	s.t.Helper()
	form := url.Values{"grant_type": {"password"}, "client_id": {demo.StorefrontClientID}, "username": {email}, "password": {password}}
	a := s.do(http.MethodPost, "/api/oauth2/token", "", "application/x-www-form-urlencoded", form.Encode())
	require.Equal(s.t, http.StatusOK, a.status, "%v", a.body)
	return a.body["access_token"].(string)
}

// ids finds an id in the banner: the id= of the line naming what.
func (s *server) id(what string) string {
	s.t.Helper()
	re := regexp.MustCompile(regexp.QuoteMeta(what) + `\s+.*?id=(\S+)`)
	return s.out.wait(s.t, re)
}

func TestServerInMemory(t *testing.T) {
	s := start(t)
	banner := s.out.String()
	for _, want := range []string{"/admin/api", "/api/account", "export ADMIN_TOKEN=test-admin-token", "storage: memory",
		"ACME Holding", "ACME East", "ACME West", demo.AdminEmail, demo.BuyerEmail, demo.DemoPassword,
		"client_id=storefront", "Terms of sale", "ACME Store", "ACME Outlet"} {
		assert.Contains(t, banner, want)
	}

	// The back office: create a customer user, list, disable.
	assert.Equal(t, http.StatusUnauthorized, s.json(http.MethodGet, "/admin/api/customer-users", "", nil).status)
	east, buyerRole := s.id("ACME East"), s.id("Buyer")
	a := s.json(http.MethodPost, "/admin/api/customer-users", s.token, map[string]any{"customerId": east, "email": "carol@acme-east.example",
		"firstName": "Carol", "lastName": "Jones", "roleIds": []string{buyerRole}, "password": "Carol-Passw0rd"})
	require.Equal(t, http.StatusCreated, a.status, "%v", a.body)
	carol := a.body["id"].(string)
	a = s.json(http.MethodGet, "/admin/api/customer-users?email=carol", s.token, nil)
	require.Equal(t, http.StatusOK, a.status)
	require.Len(t, a.body["items"], 1)

	// The storefront with a password-grant token.
	tok := s.login("carol@acme-east.example", "Carol-Passw0rd")
	a = s.json(http.MethodGet, "/api/account/me", tok, nil)
	require.Equal(t, http.StatusOK, a.status)
	assert.Equal(t, "carol@acme-east.example", a.body["email"])
	assert.Equal(t, http.StatusUnauthorized, s.json(http.MethodGet, "/api/account/me", s.token, nil).status, "the admin token is no storefront token")

	a = s.json(http.MethodPost, "/admin/api/customer-users/"+carol+"/disable", s.token, nil)
	require.Equal(t, http.StatusOK, a.status)
	assert.Equal(t, false, a.body["enabled"])
	assert.Equal(t, http.StatusUnauthorized, s.json(http.MethodGet, "/api/account/me", tok, nil).status, "disabled: the token died")

	// Registration with the mandatory consent; the confirmation e-mail is
	// delivered by the outbox dispatcher and logged with its link.
	terms := s.id("Terms of sale")
	a = s.json(http.MethodPost, "/api/register", "", map[string]any{"firstName": "Dana", "lastName": "Diaz", "email": "dana@example.com",
		"password": "Dana-Passw0rd", "acceptedConsentIds": []string{terms}})
	require.Equal(t, http.StatusAccepted, a.status, "%v", a.body)
	token := s.out.wait(t, regexp.MustCompile(`msg="e-mail sent" to=dana@example.com subject="Confirm[^"]*" link="`+
		regexp.QuoteMeta(s.base)+`/customer/user/confirm-email\?token=[^"]+" token=(\S+)`))
	require.Equal(t, http.StatusNoContent, s.json(http.MethodPost, "/api/confirm-email", "", map[string]any{"token": token}).status)
	s.login("dana@example.com", "Dana-Passw0rd")

	// Requests are logged.
	assert.Contains(t, s.out.String(), "msg=request method=POST path=/admin/api/customer-users status=201")
	assert.NotContains(t, s.out.String(), "Carol-Passw0rd", "no body is logged")
	s.shutdown()
}

// TestReadmeSession: the ids the README's curl session uses are the ones
// the demo prints, and its commands use the documented mount points.
func TestReadmeSession(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	s := start(t)
	banner := s.out.String()
	ids := regexp.MustCompile(`0190a0b0-[0-9a-f-]{27}`).FindAllString(string(readme), -1)
	require.NotEmpty(t, ids, "the README's session names demo ids")
	for _, id := range ids {
		assert.Contains(t, banner, id, "README id %s is not what the demo prints", id)
	}
	for _, cmd := range []string{"go run ./examples/server", "go test -race ./...", "$ADMIN_TOKEN", "/admin/api/customer-users"} {
		assert.Contains(t, string(readme), cmd)
	}

	// Run the session's commands as printed, against this server.
	script := readmeSession(t, string(readme))
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("no curl to run the README's session with")
	}
	cmd := exec.Command("bash", "-euo", "pipefail", "-c", strings.ReplaceAll(script, "http://127.0.0.1:8080", s.base))
	cmd.Env = append(os.Environ(), "ADMIN_TOKEN="+s.token)
	got, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", got)
	outputs := strings.Split(string(got), "\n----\n")
	require.Len(t, outputs, 5, "%s", got)
	assert.Contains(t, outputs[0], `"email":"carol@acme-east.example"`)
	assert.Contains(t, outputs[1], `"email":"buyer@acme-east.example"`)
	assert.Contains(t, outputs[1], `"email":"carol@acme-east.example"`)
	assert.Contains(t, outputs[2], `"enabled":false`)
	assert.Contains(t, outputs[3], `"email":"buyer@acme-east.example"`)
	s.shutdown()
}

// readmeSession extracts the commands of the README's curl session (its
// indented blocks that are not answers), each followed by a separator.
func readmeSession(t *testing.T, readme string) string {
	t.Helper()
	start := strings.Index(readme, "### A curl session")
	require.GreaterOrEqual(t, start, 0)
	session := readme[start:]
	if end := strings.Index(session[1:], "\n#"); end >= 0 {
		session = session[:end+1]
	}
	var script []string
	for _, block := range regexp.MustCompile(`(?:\n    .*)+`).FindAllString(session, -1) {
		lines := strings.Split(strings.Trim(block, "\n"), "\n")
		for i := range lines {
			lines[i] = strings.TrimPrefix(lines[i], "    ")
		}
		if strings.HasPrefix(lines[0], "{") || strings.HasPrefix(lines[0], "export ADMIN_TOKEN=") {
			continue // an answer, or the token the server printed
		}
		script = append(script, strings.Join(lines, "\n"), "echo; echo ----")
	}
	require.NotEmpty(t, script)
	return strings.Join(script, "\n")
}

func TestServerFlags(t *testing.T) {
	var out bytes.Buffer
	assert.Error(t, run(context.Background(), []string{"-nope"}, &out))
	assert.Error(t, run(context.Background(), []string{"extra"}, &out))
	assert.Error(t, run(context.Background(), []string{"-addr", "256.0.0.1:x"}, &out))
	assert.Error(t, run(context.Background(), []string{"-log-level", "loud"}, &out))
	assert.Error(t, run(context.Background(), []string{"-pprof", "256.0.0.1:x"}, &out))
}

// At the default level successful reads are not logged, other requests
// are; -log-level debug logs them too. -pprof serves the profiles on a
// listener of its own, not on the API's.
func TestServerLogLevelAndPprof(t *testing.T) {
	for _, tt := range []struct {
		args     []string
		logsGETs bool
	}{
		{nil, false},
		{[]string{"-log-level", "debug"}, true},
	} {
		s := start(t, tt.args...)
		require.Equal(t, http.StatusOK, s.json(http.MethodGet, "/admin/api/customers", s.token, nil).status)
		require.Equal(t, http.StatusUnauthorized, s.json(http.MethodGet, "/admin/api/customers", "", nil).status)
		require.Equal(t, http.StatusCreated, s.json(http.MethodPost, "/admin/api/customers", s.token, map[string]any{"name": "Log Co"}).status)
		s.shutdown()
		out := s.out.String()
		assert.Equal(t, tt.logsGETs, strings.Contains(out, "method=GET path=/admin/api/customers status=200"), "%v", tt.args)
		assert.Contains(t, out, "level=INFO msg=request method=GET path=/admin/api/customers status=401", "a failed read, at info")
		assert.Contains(t, out, "level=INFO msg=request method=POST path=/admin/api/customers status=201", "a change, at info")
	}

	s := start(t, "-pprof", "127.0.0.1:0")
	addr := s.out.wait(t, regexp.MustCompile(`msg="pprof listening" addr=(\S+)`))
	res, err := http.Get("http://" + addr + "/debug/pprof/goroutine?debug=1")
	require.NoError(t, err)
	body, err := io.ReadAll(res.Body)
	res.Body.Close()
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, res.StatusCode)
	assert.Contains(t, string(body), "goroutine profile")
	assert.Equal(t, http.StatusNotFound, s.do(http.MethodGet, "/debug/pprof/", "", "", "").status, "not on the API's listener")
	s.shutdown()
	_, err = http.Get("http://" + addr + "/debug/pprof/")
	assert.Error(t, err, "closed with the server")
}

// TestServerOnPostgres runs the server with -dsn on a fresh database: the
// back office, the storefront with a password-grant token, consents at
// registration and e-mails delivered by the outbox dispatcher all work on
// PostgreSQL, and a second start finds the data of the first.
func TestServerOnPostgres(t *testing.T) {
	dsn := createDatabase(t)
	sealKey := strings.Repeat("5a", 32)
	s := start(t, "-dsn", dsn, "-seal-key", sealKey)
	out := s.out.String()
	assert.Contains(t, out, "storage: postgres")
	assert.NotContains(t, out, "lacks parts", "every part is stored in PostgreSQL")
	assert.NotContains(t, out, "storefront   (off")

	east, buyerRole := s.id("ACME East"), s.id("Buyer")
	a := s.json(http.MethodPost, "/admin/api/customer-users", s.token, map[string]any{"customerId": east, "email": "carol@acme-east.example",
		"firstName": "Carol", "lastName": "Jones", "roleIds": []string{buyerRole}, "password": "Carol-Passw0rd"})
	require.Equal(t, http.StatusCreated, a.status, "%v", a.body)
	carol := a.body["id"].(string)

	// The storefront with a password-grant token (the token lives in
	// PostgreSQL), and the token dying with its user's access.
	tok := s.login("carol@acme-east.example", "Carol-Passw0rd")
	a = s.json(http.MethodGet, "/api/account/me", tok, nil)
	require.Equal(t, http.StatusOK, a.status, "%v", a.body)
	assert.Equal(t, "carol@acme-east.example", a.body["email"])
	a = s.json(http.MethodPost, "/admin/api/customer-users/"+carol+"/disable", s.token, nil)
	require.Equal(t, http.StatusOK, a.status, "%v", a.body)
	assert.Equal(t, http.StatusUnauthorized, s.json(http.MethodGet, "/api/account/me", tok, nil).status, "disabled: the token died")

	// Consents: the seeded mandatory one is listed and required at
	// registration; the confirmation e-mail comes from the outbox.
	a = s.json(http.MethodGet, "/admin/api/consents", s.token, nil)
	require.Equal(t, http.StatusOK, a.status, "%v", a.body)
	assert.NotEmpty(t, a.body["items"])
	terms := s.id("Terms of sale")
	a = s.json(http.MethodPost, "/api/register", "", map[string]any{"firstName": "Dana", "lastName": "Diaz", "email": "dana@example.com",
		"password": "Dana-Passw0rd", "acceptedConsentIds": []string{terms}})
	require.Equal(t, http.StatusAccepted, a.status, "%v", a.body)
	token := s.out.wait(t, regexp.MustCompile(`msg="e-mail sent" to=dana@example.com subject="Confirm[^"]*" link="`+
		regexp.QuoteMeta(s.base)+`/customer/user/confirm-email\?token=[^"]+" token=(\S+)`))
	require.Equal(t, http.StatusNoContent, s.json(http.MethodPost, "/api/confirm-email", "", map[string]any{"token": token}).status)
	dana := s.login("dana@example.com", "Dana-Passw0rd")
	a = s.json(http.MethodGet, "/api/account/me", dana, nil)
	require.Equal(t, http.StatusOK, a.status, "%v", a.body)
	s.shutdown()

	// A second start finds the organization seeded and seeds nothing (the
	// three seeded customers and the one of Dana's registration); the users
	// of the first run sign in.
	//
	// Dana's confirmation e-mail is made pending again, as if the first
	// server had stopped before sending it: with the same -seal-key the
	// second server can open its sealed token and sends it.
	requeueNotifications(t, dsn, "dana@example.com")
	s = start(t, "-dsn", dsn, "-seal-key", sealKey)
	a = s.json(http.MethodGet, "/admin/api/customers", s.token, nil)
	require.Equal(t, http.StatusOK, a.status)
	assert.Len(t, a.body["items"], 4)
	a = s.json(http.MethodGet, "/api/account/me", s.login("dana@example.com", "Dana-Passw0rd"), nil)
	require.Equal(t, http.StatusOK, a.status, "%v", a.body)
	again := s.out.wait(t, regexp.MustCompile(`msg="e-mail sent" to=dana@example.com subject="Confirm[^"]*" link="[^"]+" token=(\S+)`))
	assert.Equal(t, token, again, "the pending e-mail of the first run, opened with the same key")
	s.shutdown()
}

// TestServerSealKeyFlag refuses a -seal-key that is not 32 bytes of hex.
func TestServerSealKeyFlag(t *testing.T) {
	var out bytes.Buffer
	for _, key := range []string{"abc", strings.Repeat("zz", 32), strings.Repeat("ab", 16)} {
		err := run(context.Background(), []string{"-addr", "127.0.0.1:0", "-seal-key", key}, &out)
		require.Error(t, err, key)
		assert.Contains(t, err.Error(), "-seal-key")
	}
}

// requeueNotifications marks the delivered e-mail requests of one
// recipient pending again, on the database of dsn.
func requeueNotifications(t *testing.T, dsn, to string) {
	t.Helper()
	ctx := context.Background()
	db, err := postgres.Open(ctx, dsn)
	require.NoError(t, err)
	defer db.Close()
	res, err := db.ExecContext(ctx, `UPDATE events SET delivery = 'pending', attempts = 0, due_at = NULL, claim_id = NULL,
		claimed_until = NULL WHERE type = ? AND payload::text LIKE ?`, customeruser.EventNotificationRequested, "%"+to+"%")
	require.NoError(t, err)
	n, err := res.RowsAffected()
	require.NoError(t, err)
	require.Positive(t, n, "an e-mail request of %s", to)
}

// createDatabase creates an empty database for one test and drops it
// afterwards. It skips when no server answers, unless CI=true.
func createDatabase(t *testing.T) string {
	t.Helper()
	pgtest.Require(t)
	admin := pgtest.DSN()
	ctx := context.Background()
	db, err := postgres.Open(ctx, admin)
	require.NoError(t, err)
	name := "cu_server_" + strings.ReplaceAll(uuid.NewString()[:8], "-", "")
	_, err = db.ExecContext(ctx, "CREATE DATABASE "+name)
	require.NoError(t, err)
	t.Cleanup(func() {
		_, err := db.ExecContext(ctx, fmt.Sprintf("DROP DATABASE IF EXISTS %s WITH (FORCE)", name))
		assert.NoError(t, err)
		db.Close()
	})
	u, err := url.Parse(admin)
	require.NoError(t, err)
	u.Path = "/" + name
	return u.String()
}
