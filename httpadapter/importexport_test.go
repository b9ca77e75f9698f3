package httpadapter_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	cu "github.com/b2bkit/customerusers"
	"github.com/b2bkit/customerusers/customeruser"
	"github.com/b2bkit/customerusers/httpadapter"
)

// ieData is the data of the import/export tests: two customers of the
// organization with three users (one holding two roles) and two
// addresses, and a user of the other organization.
type ieData struct {
	east, west  customeruser.Customer
	anna, bob   customeruser.User
	wendy       customeruser.User
	other       customeruser.User
	otherCustom customeruser.Customer
}

func newIEData(h *harness) ieData {
	var d ieData
	d.east = h.customer(h.org, "ACME East", uuid.Nil)
	d.west = h.customer(h.org, "ACME West", uuid.Nil)
	d.anna = h.addAddress(h.user(d.east, "anna@east.example", h.adminRole.ID, h.buyerRole.ID), "1 East St")
	d.bob = h.user(d.east, "bob@east.example")
	d.wendy = h.addAddress(h.user(d.west, "wendy@west.example"), "9 West St")
	d.otherCustom = h.customer(h.org2, "Other Co", uuid.Nil)
	d.other = h.addAddress(h.user(d.otherCustom, "someone@other.example"), "1 Other St")
	return d
}

// asCSV sends a body as text/csv.
var asCSV = withHeader("Content-Type", "text/csv")

// ieDo sends a request to a route of the back office and checks the
// answer against the operation documented for exactly that path. (The
// harness's look-up matches templates in map order, so it may take
// POST /customer-users/import/addresses for POST
// /customer-users/{id}/addresses; OpenAPI matches concrete paths first.)
func (h *harness) ieDo(method, path, token string, body any, opts ...reqOpt) *response {
	h.t.Helper()
	r := h.rawDo(method, boPrefix+path, token, body, opts)
	doc := h.docs[boPrefix]
	rel, _, _ := strings.Cut(path, "?")
	item, _ := doc["paths"].(map[string]any)[rel].(map[string]any)
	op, _ := item[strings.ToLower(method)].(map[string]any)
	require.NotNil(h.t, op, "%s %s is not documented", method, rel)
	spec, ok := op["responses"].(map[string]any)[strconv.Itoa(r.status)].(map[string]any)
	if !ok {
		h.t.Errorf("%s %s: status %d is not documented; body %s", method, path, r.status, r.body)
		return r
	}
	if ref, ok := spec["$ref"].(string); ok {
		spec = resolve(doc, ref)
	}
	content, _ := spec["content"].(map[string]any)
	mt, _, _ := mime.ParseMediaType(r.header.Get("Content-Type"))
	media, ok := content[mt].(map[string]any)
	if !ok {
		h.t.Errorf("%s %s: content type %q not documented for %d", method, path, mt, r.status)
		return r
	}
	if mt == "text/csv" {
		return r
	}
	var v any
	require.NoError(h.t, json.Unmarshal(r.body, &v), "body: %s", r.body)
	if errs := validate(doc, media["schema"].(map[string]any), v, "$"); len(errs) > 0 {
		h.t.Errorf("%s %s (%d): answer does not match the documented schema:\n  %s\nbody: %s",
			method, path, r.status, strings.Join(errs, "\n  "), r.body)
	}
	return r
}

// download fetches a CSV file of the back office (as admin unless a token
// is given) and checks the download headers.
func (h *harness) download(path, filename string, token ...string) [][]string {
	h.t.Helper()
	tok := h.adminToken
	if len(token) > 0 {
		tok = token[0]
	}
	r := h.ieDo(http.MethodGet, path, tok, nil).expect(h.t, http.StatusOK)
	assert.Equal(h.t, httpadapter.CSVContentType, r.header.Get("Content-Type"))
	assert.Equal(h.t, "attachment; filename="+filename, r.header.Get("Content-Disposition"))
	assert.Equal(h.t, "no-store", r.header.Get("Cache-Control"))
	return parseCSV(h.t, r.body)
}

func parseCSV(t *testing.T, b []byte) [][]string {
	t.Helper()
	cr := csv.NewReader(bytes.NewReader(b))
	cr.FieldsPerRecord = -1
	rows, err := cr.ReadAll()
	require.NoError(t, err, "body: %s", b)
	return rows
}

func writeCSV(t *testing.T, rows [][]string) string {
	t.Helper()
	var b strings.Builder
	w := csv.NewWriter(&b)
	require.NoError(t, w.WriteAll(rows))
	return b.String()
}

// column returns the cells of the named column of the data rows.
func column(t *testing.T, rows [][]string, name string) []string {
	t.Helper()
	require.NotEmpty(t, rows)
	i := slices.Index(rows[0], name)
	require.GreaterOrEqual(t, i, 0, "no column %q in %v", name, rows[0])
	var out []string
	for _, r := range rows[1:] {
		out = append(out, r[i])
	}
	return out
}

// dropColumns removes the named columns.
func dropColumns(rows [][]string, names ...string) [][]string {
	var keep []int
	for i, n := range rows[0] {
		if !slices.Contains(names, n) {
			keep = append(keep, i)
		}
	}
	out := make([][]string, len(rows))
	for r, row := range rows {
		for _, i := range keep {
			out[r] = append(out[r], row[i])
		}
	}
	return out
}

// withoutEmail removes the data rows whose Email Address is email.
func withoutEmail(t *testing.T, rows [][]string, email string) [][]string {
	t.Helper()
	i := slices.Index(rows[0], "Email Address")
	require.GreaterOrEqual(t, i, 0)
	return slices.DeleteFunc(rows, func(r []string) bool { return r[i] == email })
}

// importReport decodes an import answer.
type importReport struct {
	Mode            string `json:"mode"`
	Read            int    `json:"read"`
	Added           int    `json:"added"`
	Updated         int    `json:"updated"`
	Unchanged       int    `json:"unchanged"`
	Deleted         int    `json:"deleted"`
	Errors          int    `json:"errors"`
	ErrorsTruncated bool   `json:"errorsTruncated"`
	Committed       bool   `json:"committed"`
	RowErrors       []struct {
		Row     int    `json:"row"`
		Field   string `json:"field"`
		Rule    string `json:"rule"`
		Message string `json:"message"`
	} `json:"rowErrors"`
}

func (r *response) report(t *testing.T) importReport {
	t.Helper()
	r.expect(t, http.StatusOK)
	var rep importReport
	require.NoError(t, json.Unmarshal(r.body, &rep), "body: %s", r.body)
	return rep
}

// importCSV posts a CSV file to an import route of the back office.
func (h *harness) importCSV(path, body string, opts ...reqOpt) *response {
	h.t.Helper()
	return h.ieDo(http.MethodPost, path, h.adminToken, body, append([]reqOpt{asCSV}, opts...)...)
}

// emailKeys lists the e-mails of org's users, sorted.
func (h *harness) emails(org uuid.UUID) []string {
	h.t.Helper()
	page, err := h.users.ListUsers(h.ctx, cu.BackOfficeActor(org, uuid.New()), customeruser.UserFilter{}, cu.Page{Limit: cu.MaxPageLimit})
	require.NoError(h.t, err)
	var out []string
	for _, u := range page.Items {
		out = append(out, u.Email)
	}
	slices.Sort(out)
	return out
}

func TestExportUsersCSV(t *testing.T) {
	eachStorage(t, func(t *testing.T, h *harness) {
		d := newIEData(h)

		rows := h.download("/customer-users/export?sort=email", "customer-users.csv")
		require.Len(t, rows, 4)
		assert.Equal(t, []string{"ID", "Name Prefix", "First Name", "Middle Name", "Last Name", "Name Suffix", "Birthday",
			"Email Address", "Customer Id", "Customer Name", "Roles 1 Role", "Roles 2 Role", "Guest", "Enabled", "Confirmed",
			"Owner Id", "Website Id"}, rows[0], "two role columns: anna holds two roles")
		assert.Equal(t, []string{"anna@east.example", "bob@east.example", "wendy@west.example"}, column(t, rows, "Email Address"))
		assert.Equal(t, []string{d.anna.ID.String(), d.bob.ID.String(), d.wendy.ID.String()}, column(t, rows, "ID"))
		assert.Equal(t, []string{"ACME East", "ACME East", "ACME West"}, column(t, rows, "Customer Name"))
		assert.Equal(t, []string{h.adminRole.Code, h.buyerRole.Code, h.buyerRole.Code}, column(t, rows, "Roles 1 Role"))
		assert.NotContains(t, strings.Join(rows[1], ","), testPassword)

		// The list's filters and sort.
		rows = h.download("/customer-users/export?customerId="+d.east.ID.String()+"&sort=-email", "customer-users.csv")
		assert.Equal(t, []string{"bob@east.example", "anna@east.example"}, column(t, rows, "Email Address"))
		rows = h.download("/customer-users/export?q=wendy", "customer-users.csv")
		assert.Equal(t, []string{"wendy@west.example"}, column(t, rows, "Email Address"))
		assert.Equal(t, "Roles 1 Role", rows[0][10])
		assert.NotContains(t, rows[0], "Roles 2 Role", "one role column is enough for wendy")
		rows = h.download("/customer-users/export?roleId="+h.adminRole.ID.String(), "customer-users.csv")
		assert.Equal(t, []string{"anna@east.example"}, column(t, rows, "Email Address"))
		rows = h.download("/customer-users/export?enabled=false", "customer-users.csv")
		assert.Equal(t, [][]string{rows[0]}, rows, "no match: the header alone")

		// A fixed number of role columns.
		rows = h.download("/customer-users/export?roleColumns=3&email=bob", "customer-users.csv")
		assert.Contains(t, rows[0], "Roles 3 Role")
		assert.Equal(t, []string{h.buyerRole.Code}, column(t, rows, "Roles 1 Role"))

		// Another organization's data is never exported, whatever the
		// filter says.
		rows = h.download("/customer-users/export?customerId="+d.otherCustom.ID.String(), "customer-users.csv")
		assert.Len(t, rows, 1)
		rows = h.download("/customer-users/export", "customer-users.csv")
		assert.NotContains(t, column(t, rows, "Email Address"), d.other.Email)
		rows = h.download("/customer-users/export", "customer-users.csv", h.admin2Token)
		assert.Equal(t, []string{d.other.Email}, column(t, rows, "Email Address"))
	})
}

func TestExportAddressesCSV(t *testing.T) {
	eachStorage(t, func(t *testing.T, h *harness) {
		d := newIEData(h)
		rows := h.download("/customer-users/export/addresses?sort=email", "customer-user-addresses.csv")
		require.Len(t, rows, 3)
		assert.Equal(t, "Address ID", rows[0][0])
		assert.Equal(t, []string{"1 East St", "9 West St"}, column(t, rows, "Street"))
		assert.Equal(t, []string{d.anna.ID.String(), d.wendy.ID.String()}, column(t, rows, "Customer User ID"))
		assert.Equal(t, []string{d.anna.Addresses[0].ID.String(), d.wendy.Addresses[0].ID.String()}, column(t, rows, "Address ID"))

		rows = h.download("/customer-users/export/addresses?customerId="+d.west.ID.String(), "customer-user-addresses.csv")
		assert.Equal(t, []string{"wendy@west.example"}, column(t, rows, "Email Address"))
		rows = h.download("/customer-users/export/addresses?customerId="+d.otherCustom.ID.String(), "customer-user-addresses.csv")
		assert.Len(t, rows, 1, "another organization's addresses are never exported")

		// The addresses export has no role columns to size.
		h.ieDo(http.MethodGet, "/customer-users/export/addresses?roleColumns=2", h.adminToken, nil).
			expectProblem(t, http.StatusBadRequest, "bad_request")
	})
}

func TestExportErrorsBeforeTheFirstByte(t *testing.T) {
	eachStorage(t, func(t *testing.T, h *harness) {
		newIEData(h)
		for _, tc := range []struct {
			path   string
			status int
			code   string
			field  string
			rule   string
		}{
			// Paging is not an export's business.
			{"/customer-users/export?limit=10", http.StatusBadRequest, "bad_request", "limit", "unknown_parameter"},
			{"/customer-users/export?cursor=x", http.StatusBadRequest, "bad_request", "cursor", "unknown_parameter"},
			{"/customer-users/export?enabled=maybe", http.StatusBadRequest, "bad_request", "enabled", "format"},
			{"/customer-users/export?sort=phone", http.StatusBadRequest, "bad_request", "sort", "enum"},
			{"/customer-users/export/addresses?customerId=nope", http.StatusBadRequest, "bad_request", "customerId", "format"},
			{"/customer-users/export?roleColumns=-1", http.StatusUnprocessableEntity, "invalid", "roleColumns", "min"},
			// Anna holds two roles: one column would lose one on re-import.
			{"/customer-users/export?roleColumns=1", http.StatusUnprocessableEntity, "invalid", "roleColumns", "too_few"},
		} {
			r := h.ieDo(http.MethodGet, tc.path, h.adminToken, nil)
			p := r.expectProblem(t, tc.status, tc.code)
			violation(t, p, tc.field, tc.rule)
			assert.Empty(t, r.header.Get("Content-Disposition"), tc.path)
		}

		// Back office only.
		c := newCompany(h)
		for _, path := range []string{"/customer-users/export", "/customer-users/export/addresses",
			"/customer-users/import/template", "/customer-users/import/addresses/template"} {
			h.ieDo(http.MethodGet, path, "", nil).expectProblem(t, http.StatusUnauthorized, "unauthenticated")
			h.ieDo(http.MethodGet, path, c.adminTok, nil).expectProblem(t, http.StatusForbidden, "forbidden")
		}
		h.ieDo(http.MethodPost, "/customer-users/import", c.adminTok, "Email Address\nx@y.example\n", asCSV).
			expectProblem(t, http.StatusForbidden, "forbidden")
		for p := range h.docs[sfPrefix]["paths"].(map[string]any) {
			assert.NotContains(t, p, "export", "the storefront has no export")
			assert.NotContains(t, p, "import")
		}
	})
}

// flakyUsers fails List on demand, to break an export before or after its
// first byte.
type flakyUsers struct {
	customeruser.UserRepository
	// mode: 0 passes; 1 fails every List; 2 answers the first page with a
	// cursor to a page that fails.
	mode atomic.Int32
}

func (f *flakyUsers) List(ctx context.Context, org uuid.UUID, filter customeruser.UserFilter, p cu.Page) (cu.PageOf[customeruser.User], error) {
	switch f.mode.Load() {
	case 1:
		return cu.PageOf[customeruser.User]{}, assert.AnError
	case 2:
		if p.Cursor != "" {
			return cu.PageOf[customeruser.User]{}, assert.AnError
		}
		page, err := f.UserRepository.List(ctx, org, filter, p)
		page.NextCursor = cu.EncodeCursor(cu.Cursor{Sort: p.Sort.String(), ID: uuid.New()})
		return page, err
	}
	return f.UserRepository.List(ctx, org, filter, p)
}

// syncBuffer is a log destination safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestExportCutAfterTheFirstByte: a storage error in the middle of an
// export cuts the connection (the client's read fails rather than ending
// on a complete-looking file) and is logged; before the first byte it is
// a 500 problem.
func TestExportCutAfterTheFirstByte(t *testing.T) {
	for _, s := range storages {
		t.Run(s.name, func(t *testing.T) {
			st := s.open(t)
			flaky := &flakyUsers{UserRepository: st.Users}
			st.Users = flaky
			h := newHarness(t, st)
			newIEData(h)
			var logs syncBuffer
			cfg := h.cfg
			cfg.Logger = slog.New(slog.NewTextHandler(&logs, nil))
			srv := httptest.NewServer(http.StripPrefix(boPrefix, httpadapter.NewBackOffice(cfg)))
			defer srv.Close()
			get := func(path string) (*http.Response, []byte, error) {
				t.Helper()
				req, err := http.NewRequest(http.MethodGet, srv.URL+boPrefix+path, nil)
				require.NoError(t, err)
				req.Header.Set("Authorization", "Bearer "+h.adminToken)
				resp, err := srv.Client().Do(req)
				require.NoError(t, err)
				defer resp.Body.Close()
				b, err := io.ReadAll(resp.Body)
				return resp, b, err
			}

			flaky.mode.Store(2)
			for _, path := range []string{"/customer-users/export/addresses", "/customer-users/export?roleColumns=2"} {
				resp, body, err := get(path)
				assert.Equal(t, http.StatusOK, resp.StatusCode, path)
				assert.Equal(t, httpadapter.CSVContentType, resp.Header.Get("Content-Type"))
				assert.ErrorIs(t, err, io.ErrUnexpectedEOF, "%s: the transfer fails", path)
				assert.Contains(t, string(body), "@east.example", "%s: the first page arrived", path)
			}
			assert.Contains(t, logs.String(), "export failed after the first byte")
			assert.Contains(t, logs.String(), assert.AnError.Error())

			flaky.mode.Store(1)
			resp, body, err := get("/customer-users/export")
			require.NoError(t, err)
			assert.Equal(t, http.StatusInternalServerError, resp.StatusCode)
			assert.Equal(t, httpadapter.ProblemContentType, resp.Header.Get("Content-Type"))
			assert.Empty(t, resp.Header.Get("Content-Disposition"))
			assert.NotContains(t, string(body), assert.AnError.Error())
		})
	}
}

func TestImportTemplates(t *testing.T) {
	eachStorage(t, func(t *testing.T, h *harness) {
		users := h.download("/customer-users/import/template", "customer-users-template.csv")
		require.Len(t, users, 2)
		assert.Equal(t, "ID", users[0][0])
		assert.Contains(t, users[0], "Roles 1 Role")
		addresses := h.download("/customer-users/import/addresses/template", "customer-user-addresses-template.csv")
		require.Len(t, addresses, 2)
		assert.Equal(t, "Address ID", addresses[0][0])

		// The templates import as they are once their customer exists.
		h.customer(h.org, "Acme Inc.", uuid.Nil)
		before := h.eventCount(h.org)
		rep := h.importCSV("/customer-users/import?mode=validate", writeCSV(t, users)).report(t)
		assert.Equal(t, 1, rep.Added, "%+v", rep.RowErrors)
		assert.Equal(t, before, h.eventCount(h.org))
		rep = h.importCSV("/customer-users/import?mode=all-or-nothing", writeCSV(t, users)).report(t)
		require.True(t, rep.Committed, "%+v", rep.RowErrors)
		rep = h.importCSV("/customer-users/import/addresses?mode=all-or-nothing", writeCSV(t, addresses)).report(t)
		assert.Equal(t, 1, rep.Added, "%+v", rep.RowErrors)
		assert.True(t, rep.Committed)
	})
}

// mixedFile adds carol, updates bob's name and has a bad row between them
// (an unknown role code on line 3).
func mixedFile(d ieData) string {
	return "ID,Email Address,First Name,Last Name,Customer Id,Roles 1 Role\n" +
		",carol@east.example,Carol,New," + d.east.ID.String() + ",\n" +
		",dave@east.example,Dave,Bad," + d.east.ID.String() + ",NO_SUCH_ROLE\n" +
		d.bob.ID.String() + ",,Robert,,,\n"
}

func TestImportValidateWritesNothing(t *testing.T) {
	eachStorage(t, func(t *testing.T, h *harness) {
		d := newIEData(h)
		before, emails := h.eventCount(h.org), h.emails(h.org)
		for _, path := range []string{"/customer-users/import?mode=validate", "/customer-users/import"} {
			rep := h.importCSV(path, mixedFile(d)).report(t)
			assert.Equal(t, "validate", rep.Mode, "validate is the default")
			assert.Equal(t, 3, rep.Read)
			assert.Equal(t, 1, rep.Added)
			assert.Equal(t, 1, rep.Updated)
			assert.Equal(t, 1, rep.Errors)
			assert.False(t, rep.Committed)
			require.Len(t, rep.RowErrors, 1)
			assert.Equal(t, 3, rep.RowErrors[0].Row)
			assert.Equal(t, "Roles 1 Role", rep.RowErrors[0].Field)
			assert.NotEmpty(t, rep.RowErrors[0].Rule)
			assert.NotEmpty(t, rep.RowErrors[0].Message)
		}
		assert.Equal(t, before, h.eventCount(h.org))
		assert.Equal(t, emails, h.emails(h.org))
		assert.Equal(t, "Test", h.getUser(d.bob.ID).FirstName)
	})
}

func TestImportSkipInvalid(t *testing.T) {
	eachStorage(t, func(t *testing.T, h *harness) {
		d := newIEData(h)
		sent := h.mail.count()
		rep := h.importCSV("/customer-users/import?mode=skip-invalid", mixedFile(d)).report(t)
		assert.Equal(t, "skip-invalid", rep.Mode)
		assert.Equal(t, 1, rep.Added)
		assert.Equal(t, 1, rep.Updated)
		assert.Equal(t, 1, rep.Errors)
		assert.True(t, rep.Committed)
		require.Len(t, rep.RowErrors, 1)
		assert.Equal(t, 3, rep.RowErrors[0].Row)
		assert.Equal(t, []string{"anna@east.example", "bob@east.example", "carol@east.example", "wendy@west.example"}, h.emails(h.org))
		assert.Equal(t, "Robert", h.getUser(d.bob.ID).FirstName)
		assert.Equal(t, sent, h.mail.count(), "no e-mail unless asked")
	})
}

func TestImportAllOrNothing(t *testing.T) {
	eachStorage(t, func(t *testing.T, h *harness) {
		d := newIEData(h)
		before, emails := h.eventCount(h.org), h.emails(h.org)
		rep := h.importCSV("/customer-users/import?mode=all-or-nothing", mixedFile(d)).report(t)
		assert.Equal(t, "all-or-nothing", rep.Mode)
		assert.Equal(t, 1, rep.Errors)
		assert.False(t, rep.Committed)
		require.Len(t, rep.RowErrors, 1)
		assert.Equal(t, 3, rep.RowErrors[0].Row)
		assert.Equal(t, before, h.eventCount(h.org), "nothing left behind")
		assert.Equal(t, emails, h.emails(h.org))
		assert.Equal(t, "Test", h.getUser(d.bob.ID).FirstName)

		// Without the bad row, everything is written, with welcome e-mails
		// when asked.
		lines := strings.Split(mixedFile(d), "\n")
		good := strings.Join(slices.Delete(lines, 2, 3), "\n")
		rep = h.importCSV("/customer-users/import?mode=all-or-nothing&sendWelcomeEmails=true", good).report(t)
		assert.Empty(t, rep.RowErrors)
		assert.True(t, rep.Committed)
		assert.Equal(t, 1, rep.Added)
		assert.Equal(t, 1, rep.Updated)
		assert.Contains(t, h.emails(h.org), "carol@east.example")
		assert.Equal(t, "Robert", h.getUser(d.bob.ID).FirstName)
		_, ok := h.mail.last(customeruser.TemplateWelcomeByAdmin, "carol@east.example")
		assert.True(t, ok, "welcome e-mail sent")
	})
}

func TestImportAddressesHTTP(t *testing.T) {
	eachStorage(t, func(t *testing.T, h *harness) {
		d := newIEData(h)
		file := "Email Address,Label,First Name,Last Name,Street,City,Zip/Postal Code,Country ISO2 code\n" +
			"bob@east.example,Home,Bob,East,2 East St,Springfield,12345,US\n" +
			"nobody@east.example,Home,No,Body,3 East St,Springfield,12345,US\n" +
			d.other.Email + ",Home,Some,One,4 Other St,Springfield,12345,US\n"
		before := h.eventCount(h.org)
		rep := h.importCSV("/customer-users/import/addresses?mode=validate", file).report(t)
		assert.Equal(t, 1, rep.Added)
		assert.Equal(t, 2, rep.Errors, "an unknown user; another organization's user is unknown too")
		assert.Equal(t, before, h.eventCount(h.org))

		rep = h.importCSV("/customer-users/import/addresses?mode=skip-invalid", file).report(t)
		assert.Equal(t, 1, rep.Added)
		assert.True(t, rep.Committed)
		require.Len(t, rep.RowErrors, 2)
		assert.Equal(t, []int{3, 4}, []int{rep.RowErrors[0].Row, rep.RowErrors[1].Row})
		require.Len(t, h.getUser(d.bob.ID).Addresses, 1)
		assert.Equal(t, "2 East St", h.getUser(d.bob.ID).Addresses[0].Street)
		assert.Len(t, h.getUser2(d.other.ID).Addresses, 1, "organization 2 untouched")
	})
}

func TestImportRejects(t *testing.T) {
	eachStorage(t, func(t *testing.T, h *harness) {
		newIEData(h)
		good := "Email Address,First Name,Last Name\nzed@east.example,Zed,Z\n"
		before := h.eventCount(h.org)
		for _, path := range []string{"/customer-users/import", "/customer-users/import/addresses"} {
			// Content types.
			for _, ct := range []string{"application/json", "text/plain", "application/x-www-form-urlencoded", "text/csv; charset=iso-8859-1", "nonsense"} {
				h.ieDo(http.MethodPost, path+"?mode=skip-invalid", h.adminToken, good, withHeader("Content-Type", ct)).
					expectProblem(t, http.StatusUnsupportedMediaType, "unsupported_media_type")
			}
			h.ieDo(http.MethodPost, path+"?mode=skip-invalid", h.adminToken, good, withHeader("Content-Type", "")).
				expectProblem(t, http.StatusUnsupportedMediaType, "unsupported_media_type")
			// Query parameters.
			h.importCSV(path+"?mode=apply", good).expectProblem(t, http.StatusBadRequest, "bad_request")
			h.importCSV(path+"?mode=skip-invalid&dryRun=true", good).expectProblem(t, http.StatusBadRequest, "bad_request")
			// A wrong header or an empty file is a 422 about the file.
			p := h.importCSV(path+"?mode=skip-invalid", "Email Address,Nickname\nzed@east.example,Zed\n").
				expectProblem(t, http.StatusUnprocessableEntity, "invalid")
			violation(t, p, "Nickname", "unknown_column")
			p = h.importCSV(path+"?mode=all-or-nothing", "").expectProblem(t, http.StatusUnprocessableEntity, "invalid")
			violation(t, p, "file", "empty")
			p = h.importCSV(path+"?mode=all-or-nothing", "First Name\nZed\n").expectProblem(t, http.StatusUnprocessableEntity, "invalid")
			violation(t, p, "Email Address", "required_column")
		}
		h.importCSV("/customer-users/import/addresses?sendWelcomeEmails=true", good).
			expectProblem(t, http.StatusBadRequest, "bad_request")
		h.importCSV("/customer-users/import", good, withHeader("Content-Type", "text/csv; charset=UTF-8")).expect(t, http.StatusOK)
		assert.Equal(t, before, h.eventCount(h.org))
		assert.NotContains(t, h.emails(h.org), "zed@east.example")
	})
}

func TestImportBodyLimit(t *testing.T) {
	eachStorage(t, func(t *testing.T, h *harness) {
		newIEData(h)
		file := "Email Address,First Name,Last Name,Customer Name\n" +
			"zed@east.example,Zed,Zulu,ACME East\n" + strings.Repeat("\n", 200)
		cfg := h.cfg
		cfg.MaxImportBytes = int64(len(file) - 1)
		cfg.MaxBodyBytes = 16 // the JSON limit does not apply to files
		h.handler = http.StripPrefix(boPrefix, httpadapter.NewBackOffice(cfg))
		before := h.eventCount(h.org)
		chunked := func(r *http.Request) { r.ContentLength = -1 }
		for _, opts := range [][]reqOpt{nil, {chunked}} {
			p := h.importCSV("/customer-users/import?mode=skip-invalid", file, opts...).
				expectProblem(t, http.StatusRequestEntityTooLarge, "payload_too_large")
			assert.Contains(t, p.Detail, strconv.Itoa(len(file)-1))
		}
		assert.Equal(t, before, h.eventCount(h.org), "nothing written")

		cfg.MaxImportBytes = int64(len(file))
		h.handler = http.StripPrefix(boPrefix, httpadapter.NewBackOffice(cfg))
		for _, opts := range [][]reqOpt{nil, {chunked}} {
			rep := h.importCSV("/customer-users/import?mode=validate", file, opts...).report(t)
			assert.Equal(t, 1, rep.Added, "%+v", rep.RowErrors)
		}
		assert.Equal(t, int64(100<<20), int64(httpadapter.DefaultMaxImportBytes))
		assert.Equal(t, int64(8<<20), int64(httpadapter.DefaultImportMemoryBytes))
	})
}

// TestImportLargeBody: a body larger than the in-memory buffer is read
// through a temporary file, to its end.
func TestImportLargeBody(t *testing.T) {
	eachStorage(t, func(t *testing.T, h *harness) {
		newIEData(h)
		file := "Email Address,First Name,Last Name,Customer Name\n" +
			"first@east.example,First,Row,ACME East\n" +
			strings.Repeat("\n", 64<<10) + // blank lines are skipped
			"last@east.example,Last,Row,ACME East\n"
		cfg := h.cfg
		cfg.ImportMemoryBytes = 100
		h.handler = http.StripPrefix(boPrefix, httpadapter.NewBackOffice(cfg))
		rep := h.importCSV("/customer-users/import?mode=all-or-nothing", file).report(t)
		assert.Empty(t, rep.RowErrors)
		assert.Equal(t, 2, rep.Read)
		assert.Equal(t, 2, rep.Added)
		assert.True(t, rep.Committed)
		assert.Subset(t, h.emails(h.org), []string{"first@east.example", "last@east.example"})
	})
}

// TestImportExportRoundTripHTTP exports organization 1 over HTTP, imports
// both files into organization 2 (customers of the same names; its own
// website) and exports again: the files are the same but for the ids that
// must differ and the website. Organization 1's customer ids mean nothing
// in organization 2.
func TestImportExportRoundTripHTTP(t *testing.T) {
	eachStorage(t, func(t *testing.T, h *harness) {
		d := newIEData(h)
		users1 := h.download("/customer-users/export?sort=email", "customer-users.csv")
		addresses1 := h.download("/customer-users/export/addresses?sort=email", "customer-user-addresses.csv")
		for _, name := range []string{"ACME East", "ACME West"} {
			h.customer(h.org2, name, uuid.Nil)
		}
		// Organization 2's back office.
		as2 := func(path, body string) importReport {
			t.Helper()
			return h.ieDo(http.MethodPost, path, h.admin2Token, body, asCSV).report(t)
		}

		// Organization 1's customer ids are unknown in organization 2.
		before2 := h.eventCount(h.org2)
		rep := as2("/customer-users/import?mode=all-or-nothing", writeCSV(t, dropColumns(users1, "Website Id")))
		assert.Equal(t, 3, rep.Errors)
		assert.False(t, rep.Committed)
		for _, e := range rep.RowErrors {
			assert.Equal(t, "Customer Id", e.Field)
		}
		assert.Equal(t, before2, h.eventCount(h.org2))

		rep = as2("/customer-users/import?mode=all-or-nothing", writeCSV(t, dropColumns(users1, "Customer Id", "Website Id")))
		require.Empty(t, rep.RowErrors)
		assert.Equal(t, 3, rep.Added)
		rep = as2("/customer-users/import/addresses?mode=all-or-nothing", writeCSV(t, dropColumns(addresses1, "Customer User ID")))
		require.Empty(t, rep.RowErrors)
		assert.Equal(t, 2, rep.Added)

		// Organization 2's own user (of "Other Co") aside.
		users2 := withoutEmail(t, h.download("/customer-users/export?sort=email", "customer-users.csv", h.admin2Token), d.other.Email)
		addresses2 := withoutEmail(t, h.download("/customer-users/export/addresses?sort=email", "customer-user-addresses.csv", h.admin2Token), d.other.Email)
		ids := []string{"ID", "Customer Id", "Website Id"}
		assert.Equal(t, dropColumns(users1, ids...), dropColumns(users2, ids...))
		for _, w := range column(t, users2, "Website Id") {
			assert.Equal(t, h.websiteOrg2.ID.String(), w, "the default website of organization 2")
		}
		addrIDs := []string{"Address ID", "Customer User ID"}
		assert.Equal(t, dropColumns(addresses1, addrIDs...), dropColumns(addresses2, addrIDs...))
		for _, id := range column(t, users2, "ID") {
			assert.NotContains(t, column(t, users1, "ID"), id)
		}

		// Organization 1 is as it was.
		assert.Equal(t, users1, h.download("/customer-users/export?sort=email", "customer-users.csv"))
	})
}
