package httpadapter_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	cu "github.com/b2bkit/customerusers"
	"github.com/b2bkit/customerusers/consent"
	"github.com/b2bkit/customerusers/customeruser"
	"github.com/b2bkit/customerusers/httpadapter"
	"github.com/b2bkit/customerusers/internal/teststore"
	"github.com/b2bkit/customerusers/oauthapp"
	"github.com/b2bkit/customerusers/role"
	"github.com/b2bkit/customerusers/storage/postgres/pgtest"
)

// testStorage is what the harness needs from a storage implementation, so
// that the same end-to-end tests run on every storage (see storages). Its
// fields let a test wrap one repository (a failing or counting one) before
// building its harness.
type testStorage struct {
	Tx        cu.Transactor
	Customers customeruser.CustomerRepository
	Hierarchy role.Hierarchy
	Users     customeruser.UserRepository
	Tokens    customeruser.TokenRepository
	Attempts  customeruser.LoginAttemptRepository
	Events    cu.EventLog
	Roles     role.Repository
	// The consent and OAuth repositories.
	Consents     consent.DefinitionRepository
	Ledger       consent.LedgerRepository
	Apps         oauthapp.AppRepository
	AccessTokens oauthapp.TokenRepository
}

// storages are the storages the end-to-end tests run on. An entry may
// t.Skip when its server is not available (PostgreSQL: no server; under
// CI=true that fails instead). The PostgreSQL entry shares one schema
// between all the tests of the run (each harness has organizations of its
// own), dropped by TestMain.
var storages = []struct {
	name string
	open func(t *testing.T) testStorage
}{
	{"memory", func(*testing.T) testStorage { return storageOf(teststore.Memory()) }},
	{"postgres", func(t *testing.T) testStorage { return storageOf(teststore.Postgres(pgtest.SharedStore(t), uuid.Nil)) }},
}

// storageOf returns the repositories of s as the fields of a testStorage.
func storageOf(s *teststore.Store) testStorage {
	return testStorage{Tx: s.Transactor, Customers: s.Customers(), Hierarchy: s.Customers(), Users: s.Users(),
		Tokens: s.Tokens(), Attempts: s.LoginAttempts(), Events: s.Events(), Roles: s.Roles(), Consents: s.Consents(),
		Ledger: s.ConsentLedger(), Apps: s.OAuthApps(), AccessTokens: s.AccessTokens()}
}

// TestMain drops the shared PostgreSQL schema after the run.
func TestMain(m *testing.M) {
	code := m.Run()
	if err := pgtest.CloseShared(); err != nil {
		fmt.Fprintln(os.Stderr, "drop the shared PostgreSQL schema:", err)
	}
	os.Exit(code)
}

// eachStorage runs fn with a fresh harness on every storage.
func eachStorage(t *testing.T, fn func(t *testing.T, h *harness)) {
	t.Helper()
	for _, s := range storages {
		t.Run(s.name, func(t *testing.T) { fn(t, newHarness(t, s.open(t))) })
	}
}

const (
	testPassword = teststore.Password
	// The hosts the public endpoints map to the two organizations.
	hostOrg  = "shop.example"
	hostOrg2 = "other.example"
	// The mount points of the three handler sets.
	boPrefix  = "/admin/api"
	sfPrefix  = "/api/account"
	pubPrefix = "/api"
)

// The first-party OAuth clients of the tests: the storefront's public
// client (password grant) and a confidential resource server
// (introspection).
const (
	storefrontClient = "storefront"
	resourceServer   = "resource-server"
	resourceSecret   = "resource-server-secret"
)

var cheapArgon2 = teststore.CheapArgon2

// recordingNotifier keeps every notification (the tests take tokens from
// it, as a user would from the e-mail).
type recordingNotifier struct{ teststore.Notifier }

// last returns the latest notification of template to email (anyone when
// empty).
func (n *recordingNotifier) last(template, email string) (customeruser.Notification, bool) {
	return n.LastTo(template, email)
}

// count counts all notifications so far.
func (n *recordingNotifier) count() int { return n.Count("") }

// principal is who a test bearer token stands for: a fixed actor, or a
// customer user resolved at each request (so its current roles count).
type principal struct {
	actor  cu.Actor
	userID uuid.UUID
	org    uuid.UUID
}

type harness struct {
	t        *testing.T
	ctx      context.Context
	st       testStorage
	users    *customeruser.Service
	roles    *role.Service
	consents *consent.Service
	apps     *oauthapp.Service
	clock    *cu.ManualClock
	mail     *recordingNotifier
	sites    *customeruser.StaticSites
	cfg      httpadapter.Config
	handler  http.Handler

	org, org2            uuid.UUID
	admin, admin2        cu.Actor // back-office actors
	adminToken           string   // back-office token of org
	admin2Token          string   // back-office token of org2
	adminRole, buyerRole role.Role
	adminRole2           role.Role
	buyerRole2           role.Role
	website, website2    customeruser.Website
	websiteOrg2          customeruser.Website
	tokenMu              sync.Mutex
	tokens               map[string]principal
	docs                 map[string]map[string]any
	skipSchemaValidation bool
}

func newHarness(t *testing.T, st testStorage) *harness {
	t.Helper()
	h := &harness{
		t: t, ctx: context.Background(), st: st,
		clock:  teststore.Clock(),
		mail:   &recordingNotifier{},
		sites:  customeruser.NewStaticSites(),
		org:    uuid.New(),
		org2:   uuid.New(),
		tokens: map[string]principal{},
	}
	h.admin = cu.BackOfficeActor(h.org, uuid.New())
	h.admin2 = cu.BackOfficeActor(h.org2, uuid.New())
	h.website, h.website2 = teststore.AddWebsites(h.sites, h.org)
	h.websiteOrg2 = teststore.Website("Other", 1)
	h.sites.Add(h.org2, h.websiteOrg2)

	authz := role.NewAuthorizer(st.Roles, st.Hierarchy)
	h.roles = role.NewService(role.Deps{Tx: st.Tx, Roles: st.Roles, Holders: st.Users, Hierarchy: st.Hierarchy,
		Events: st.Events, Authorizer: authz, Registry: role.NewRegistry()}, role.WithClock(h.clock))
	cfg := customeruser.DefaultConfig()
	cfg.Argon2 = cheapArgon2
	h.users = customeruser.NewService(customeruser.Deps{Tx: st.Tx, Customers: st.Customers, Users: st.Users,
		Tokens: st.Tokens, Attempts: st.Attempts, Events: st.Events, Roles: st.Roles, Authorizer: authz,
		Sites: h.sites, Notifier: h.mail}, customeruser.WithConfig(cfg), customeruser.WithClock(h.clock))
	h.consents = consent.NewService(consent.Deps{Tx: st.Tx, Definitions: st.Consents, Ledger: st.Ledger, Users: st.Users,
		Events: st.Events, Sites: h.sites, Authorizer: authz}, consent.WithClock(h.clock))
	h.apps = oauthapp.NewService(oauthapp.Deps{Tx: st.Tx, Apps: st.Apps, Tokens: st.AccessTokens, Users: st.Users,
		Authorizer: authz, Events: st.Events, Notifier: h.mail, Logins: h.users},
		oauthapp.Config{FirstPartyClients: []oauthapp.FirstPartyClient{
			{ClientID: storefrontClient},
			{ClientID: resourceServer, SecretDigest: oauthapp.DigestSecret(resourceSecret)},
		}}, oauthapp.WithClock(h.clock))
	h.users.AddRegistrationHook(consent.RegistrationHook(h.consents))
	h.users.AddDeleteHook(consent.DeleteHook(h.consents), oauthapp.DeleteHook(h.apps))
	h.users.AddAccessRevokedHook(oauthapp.RevokeHook(h.apps))

	h.adminRole, h.buyerRole = h.seed(h.org)
	h.adminRole2, h.buyerRole2 = h.seed(h.org2)
	h.adminToken = h.token(principal{actor: h.admin})
	h.admin2Token = h.token(principal{actor: h.admin2})

	h.cfg = httpadapter.Config{
		Users: h.users, Roles: h.roles, Consents: h.consents, OAuth: h.apps, Authenticate: h.authenticate,
		Organization: func(r *http.Request) (uuid.UUID, error) {
			switch r.Host {
			case hostOrg:
				return h.org, nil
			case hostOrg2:
				return h.org2, nil
			}
			return uuid.Nil, cu.NotFound("organization")
		},
	}
	mux := http.NewServeMux()
	mux.Handle(boPrefix+"/", http.StripPrefix(boPrefix, httpadapter.NewBackOffice(h.cfg)))
	mux.Handle(sfPrefix+"/", http.StripPrefix(sfPrefix, httpadapter.NewStorefront(h.cfg)))
	mux.Handle(pubPrefix+"/", http.StripPrefix(pubPrefix, httpadapter.NewPublic(h.cfg)))
	h.handler = mux
	h.docs = map[string]map[string]any{}
	for _, p := range []string{boPrefix, sfPrefix, pubPrefix} {
		r := h.rawDo(http.MethodGet, p+"/openapi.json", "", nil, nil)
		require.Equal(t, http.StatusOK, r.status, "openapi of %s", p)
		var doc map[string]any
		require.NoError(t, json.Unmarshal(r.body, &doc))
		h.docs[p] = doc
	}
	return h
}

func (h *harness) seed(org uuid.UUID) (admin, buyer role.Role) {
	h.t.Helper()
	seeded := teststore.Seed(h.t, h.ctx, h.roles, org)
	return seeded.Admin, seeded.Buyer
}

// token registers a bearer token for p.
func (h *harness) token(p principal) string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	tok := hex.EncodeToString(b)
	h.tokenMu.Lock()
	h.tokens[tok] = p
	h.tokenMu.Unlock()
	return tok
}

// userToken is a storefront token of a customer user.
func (h *harness) userToken(u customeruser.User) string {
	return h.token(principal{userID: u.ID, org: u.OrganizationID})
}

// authenticate is the host authentication of the tests: a bearer token
// from the token map; storefront users are read at each request, as a
// host would from its session, and must be enabled.
func (h *harness) authenticate(r *http.Request) (cu.Actor, error) {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return cu.Actor{}, errors.New("no bearer token")
	}
	h.tokenMu.Lock()
	p, ok := h.tokens[tok]
	h.tokenMu.Unlock()
	if !ok {
		return cu.Actor{}, errors.New("unknown token")
	}
	if p.userID == uuid.Nil {
		return p.actor, nil
	}
	u, err := h.users.GetUser(r.Context(), cu.SystemActor(p.org), p.userID)
	if err != nil || !u.Enabled {
		return cu.Actor{}, errors.New("unknown user")
	}
	return cu.CustomerUserActor(u.OrganizationID, u.ID, u.CustomerID, u.RoleIDs...), nil
}

// customer creates a customer of org as its back office.
func (h *harness) customer(org uuid.UUID, name string, parent uuid.UUID) customeruser.Customer {
	h.t.Helper()
	c, err := h.users.CreateCustomer(h.ctx, cu.BackOfficeActor(org, uuid.New()), customeruser.CustomerInput{Name: name, ParentID: parent})
	require.NoError(h.t, err)
	return c
}

// user creates an enabled, confirmed user (buyer role unless roles are
// given) as the back office of the customer's organization.
func (h *harness) user(c customeruser.Customer, email string, roleIDs ...uuid.UUID) customeruser.User {
	h.t.Helper()
	if len(roleIDs) == 0 {
		roleIDs = []uuid.UUID{h.buyerRole.ID}
		if c.OrganizationID == h.org2 {
			roleIDs = []uuid.UUID{h.buyerRole2.ID}
		}
	}
	u, err := h.users.CreateUser(h.ctx, cu.BackOfficeActor(c.OrganizationID, uuid.New()), customeruser.CreateUserInput{
		CustomerID: c.ID, Email: email, FirstName: "Test", LastName: "User", RoleIDs: roleIDs, Password: testPassword,
	})
	require.NoError(h.t, err)
	return u
}

// addAddress gives u an address through the service.
func (h *harness) addAddress(u customeruser.User, street string) customeruser.User {
	h.t.Helper()
	got, _, err := h.users.AddAddress(h.ctx, cu.BackOfficeActor(u.OrganizationID, uuid.New()), u.ID, customeruser.Address{
		FirstName: "Test", LastName: "User", Street: street, City: "Springfield", PostalCode: "12345", Country: "US",
	}, 0)
	require.NoError(h.t, err)
	return got
}

// getUser reads a user as the system.
func (h *harness) getUser(id uuid.UUID) customeruser.User {
	h.t.Helper()
	u, err := h.st.Users.Get(h.ctx, h.org, id)
	require.NoError(h.t, err)
	return u
}

// eventCount counts all events of org (to assert that nothing changed).
func (h *harness) eventCount(org uuid.UUID) int {
	h.t.Helper()
	return len(teststore.Events(h.t, h.ctx, h.st.Events, org, cu.EventFilter{}))
}

// response is an answer, already checked against the OpenAPI document.
type response struct {
	status int
	header http.Header
	body   []byte
}

// opt is an option of a request.
type reqOpt func(*http.Request)

func withHeader(k, v string) reqOpt { return func(r *http.Request) { r.Header.Set(k, v) } }
func withHost(host string) reqOpt   { return func(r *http.Request) { r.Host = host } }
func ifMatch(v int64) reqOpt        { return withHeader("If-Match", `"`+jsonInt(v)+`"`) }

func jsonInt(v int64) string { b, _ := json.Marshal(v); return string(b) }

// do sends a request through the mounted handlers and checks the answer
// against the OpenAPI document of the handler set. body is nil, a string
// (sent as is) or a value encoded as JSON.
func (h *harness) do(method, path, token string, body any, opts ...reqOpt) *response {
	h.t.Helper()
	r := h.rawDo(method, path, token, body, opts)
	h.checkAgainstDoc(method, path, r)
	return r
}

func (h *harness) rawDo(method, path, token string, body any, opts []reqOpt) *response {
	h.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		require.NoError(h.t, err)
		rd = bytes.NewReader(j)
	}
	req := httptest.NewRequest(method, path, rd)
	req.Host = hostOrg
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for _, o := range opts {
		o(req)
	}
	rec := httptest.NewRecorder()
	h.handler.ServeHTTP(rec, req)
	return &response{status: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}
}

// bo, sf and pub send to the back office, the storefront and the public
// endpoints.
func (h *harness) bo(method, path string, body any, opts ...reqOpt) *response {
	h.t.Helper()
	return h.do(method, boPrefix+path, h.adminToken, body, opts...)
}

func (h *harness) sf(token, method, path string, body any, opts ...reqOpt) *response {
	h.t.Helper()
	return h.do(method, sfPrefix+path, token, body, opts...)
}

func (h *harness) pub(method, path string, body any, opts ...reqOpt) *response {
	h.t.Helper()
	return h.do(method, pubPrefix+path, "", body, opts...)
}

// obj decodes a JSON object answer.
func (r *response) obj(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(r.body, &m), "body: %s", r.body)
	return m
}

// items decodes the items of a list answer.
func (r *response) items(t *testing.T) []map[string]any {
	t.Helper()
	var l struct {
		Items []map[string]any `json:"items"`
	}
	require.NoError(t, json.Unmarshal(r.body, &l), "body: %s", r.body)
	return l.Items
}

// problem decodes a problem answer.
func (r *response) problem(t *testing.T) httpadapter.Problem {
	t.Helper()
	assert.Equal(t, httpadapter.ProblemContentType, r.header.Get("Content-Type"))
	var p httpadapter.Problem
	require.NoError(t, json.Unmarshal(r.body, &p), "body: %s", r.body)
	assert.Equal(t, r.status, p.Status)
	return p
}

// expect asserts the status, printing the body when it differs.
func (r *response) expect(t *testing.T, status int) *response {
	t.Helper()
	require.Equal(t, status, r.status, "body: %s", r.body)
	return r
}

// expectProblem asserts an error answer of status and problem code.
func (r *response) expectProblem(t *testing.T, status int, code string) httpadapter.Problem {
	t.Helper()
	r.expect(t, status)
	p := r.problem(t)
	assert.Equal(t, httpadapter.ProblemTypeBase+code, p.Type)
	assert.NotEmpty(t, p.Title)
	return p
}

// violation asserts that a problem has a violation of field with rule.
func violation(t *testing.T, p httpadapter.Problem, field, rule string) {
	t.Helper()
	for _, v := range p.Errors {
		if v.Field == field && v.Rule == rule {
			assert.NotEmpty(t, v.Message)
			return
		}
	}
	t.Errorf("no violation %s/%s in %+v", field, rule, p.Errors)
}

// id returns the "id" of an object answer.
func (r *response) id(t *testing.T) uuid.UUID {
	t.Helper()
	id, err := uuid.Parse(r.obj(t)["id"].(string))
	require.NoError(t, err)
	return id
}

// getCustomer reads a customer of org as the storage has it.
func (h *harness) getCustomer(id uuid.UUID) customeruser.Customer {
	h.t.Helper()
	c, err := h.st.Customers.Get(h.ctx, h.org, id)
	require.NoError(h.t, err)
	return c
}

// backOffice builds a back office from another configuration.
var backOffice = httpadapter.NewBackOffice

// getUser2 reads a user of org2 as the storage has it.
func (h *harness) getUser2(id uuid.UUID) customeruser.User {
	h.t.Helper()
	u, err := h.st.Users.Get(h.ctx, h.org2, id)
	require.NoError(h.t, err)
	return u
}

// withBasic authenticates an OAuth client with HTTP Basic (RFC 6749
// §2.3.1: both parts form-url-encoded).
func withBasic(id, secret string) reqOpt {
	return func(r *http.Request) { r.SetBasicAuth(url.QueryEscape(id), url.QueryEscape(secret)) }
}

// oauth posts a form to an OAuth endpoint of the public handler.
func (h *harness) oauth(path string, form url.Values, opts ...reqOpt) *response {
	h.t.Helper()
	opts = append([]reqOpt{withHeader("Content-Type", httpadapter.FormContentType)}, opts...)
	return h.pub(http.MethodPost, path, form.Encode(), opts...)
}

// login runs the password grant of the storefront client and returns the
// access token.
func (h *harness) login(email, password string) string {
	h.t.Helper()
	r := h.oauth("/oauth2/token", url.Values{"grant_type": {"password"}, "client_id": {storefrontClient},
		"username": {email}, "password": {password}}).expect(h.t, http.StatusOK)
	tok, _ := r.obj(h.t)["access_token"].(string)
	require.NotEmpty(h.t, tok)
	return tok
}

// clientToken runs the client_credentials grant of an application.
func (h *harness) clientToken(clientID, secret string) string {
	h.t.Helper()
	r := h.oauth("/oauth2/token", url.Values{"grant_type": {"client_credentials"}}, withBasic(clientID, secret)).
		expect(h.t, http.StatusOK)
	tok, _ := r.obj(h.t)["access_token"].(string)
	require.NotEmpty(h.t, tok)
	return tok
}

// expectOAuthError asserts an RFC 6749 §5.2 error answer.
func (r *response) expectOAuthError(t *testing.T, status int, code string) map[string]any {
	t.Helper()
	r.expect(t, status)
	assert.Equal(t, "application/json", r.header.Get("Content-Type"))
	assert.Equal(t, "no-store", r.header.Get("Cache-Control"))
	body := r.obj(t)
	assert.Equal(t, code, body["error"], "body: %s", r.body)
	if status == http.StatusUnauthorized {
		assert.Equal(t, httpadapter.BasicChallenge, r.header.Get("WWW-Authenticate"))
	}
	return body
}
