package customeruser_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	cu "github.com/b2bkit/customerusers"
	"github.com/b2bkit/customerusers/customeruser"
)

// impFile joins lines into a file.
func impFile(lines ...string) string { return strings.Join(lines, "\n") + "\n" }

// importUsers imports file as the back-office admin.
func (h *harness) importUsers(mode customeruser.ImportMode, file string) customeruser.ImportReport {
	h.t.Helper()
	rep, err := h.svc.ImportUsers(h.ctx, h.admin, strings.NewReader(file), customeruser.ImportOptions{Mode: mode})
	require.NoError(h.t, err)
	return rep
}

// impState is everything an import may change: the organization's users
// (with addresses), its events, tokens aside.
type impState struct {
	users  []customeruser.User
	events int
}

func (h *harness) impState() impState {
	h.t.Helper()
	var users []customeruser.User
	p := cu.Page{Limit: cu.MaxPageLimit}
	for {
		page, err := h.store.Users().List(h.ctx, h.org, customeruser.UserFilter{}, p)
		require.NoError(h.t, err)
		users = append(users, page.Items...)
		if page.NextCursor == "" {
			break
		}
		p.Cursor = page.NextCursor
	}
	slices.SortFunc(users, func(a, b customeruser.User) int { return strings.Compare(a.ID.String(), b.ID.String()) })
	return impState{users: users, events: h.eventCount()}
}

// userByEmail returns the stored non-guest user with that e-mail.
func (h *harness) userByEmail(email string) customeruser.User {
	h.t.Helper()
	u, err := h.store.Users().GetByEmailKey(h.ctx, h.org, strings.ToLower(email))
	require.NoError(h.t, err, email)
	return u
}

// impHasError asserts that the report holds an error of row on field with
// rule.
func impHasError(t *testing.T, rep customeruser.ImportReport, row int, field, rule string) {
	t.Helper()
	for _, e := range rep.RowErrors {
		if e.Row == row && e.Field == field && e.Rule == rule {
			assert.NotEmpty(t, e.Message)
			return
		}
	}
	t.Errorf("no error on row %d, field %q, rule %q in %+v", row, field, rule, rep.RowErrors)
}

const impFullHeader = "ID,Name Prefix,First Name,Middle Name,Last Name,Name Suffix,Birthday,Email Address,Customer Id," +
	"Customer Name,Roles 1 Role,Roles 2 Role,Guest,Enabled,Confirmed,Owner Id,Website Id"

func TestImportUsersEveryColumn(t *testing.T) {
	h := newHarness(t)
	acme := h.customer("Acme", uuid.Nil)
	beta := h.customer("Beta", uuid.Nil)
	owner, owner2 := uuid.New(), uuid.New()

	rep := h.importUsers(customeruser.ModeSkipInvalid, impFile(impFullHeader,
		fmt.Sprintf(",Mr,Jerry,John,Coleman,Jr.,04/19/1987,jerry@acme.test,%s,informational,ADMINISTRATOR,BUYER,0,yes,0,%s,%s",
			acme.ID, owner, h.website2.ID)))
	require.Empty(t, rep.RowErrors)
	assert.Equal(t, customeruser.ImportReport{Mode: customeruser.ModeSkipInvalid, Read: 1, Added: 1, RowErrors: []customeruser.RowError{}, Committed: true}, rep)
	u := h.userByEmail("jerry@acme.test")
	bday := time.Date(1987, 4, 19, 0, 0, 0, 0, time.UTC)
	assert.Equal(t, "Mr", u.NamePrefix)
	assert.Equal(t, "Jerry", u.FirstName)
	assert.Equal(t, "John", u.MiddleName)
	assert.Equal(t, "Coleman", u.LastName)
	assert.Equal(t, "Jr.", u.NameSuffix)
	require.NotNil(t, u.Birthday)
	assert.True(t, bday.Equal(*u.Birthday))
	assert.Equal(t, acme.ID, u.CustomerID)
	assert.Equal(t, []uuid.UUID{h.adminRole.ID, h.buyerRole.ID}, u.RoleIDs)
	assert.False(t, u.Guest)
	assert.True(t, u.Enabled)
	assert.False(t, u.Confirmed)
	assert.Equal(t, owner, u.OwnerID)
	assert.Equal(t, h.website2.ID, u.WebsiteID)
	assert.Empty(t, u.PasswordHash, "no usable password")
	ev := h.events(u.ID)
	require.Len(t, ev, 1)
	assert.Equal(t, customeruser.EventUserCreated, ev[0].Type)
	assert.Empty(t, h.mail.Sent(), "no e-mail unless asked")

	// Every column changes an existing user; empty cells keep values.
	rep = h.importUsers(customeruser.ModeSkipInvalid, impFile(impFullHeader,
		fmt.Sprintf("%s,Ms,Jane,,Doe,,1990-01-02,Jane@Acme.test,%s,,BUYER,,false,0,1,%s,%s",
			u.ID, beta.ID, owner2, h.website.ID)))
	require.Empty(t, rep.RowErrors)
	assert.Equal(t, 1, rep.Updated)
	u = h.userByEmail("jane@acme.test")
	assert.Equal(t, "Ms", u.NamePrefix)
	assert.Equal(t, "Jane", u.FirstName)
	assert.Equal(t, "John", u.MiddleName, "empty cell: unchanged")
	assert.Equal(t, "Doe", u.LastName)
	assert.Equal(t, "Jr.", u.NameSuffix, "empty cell: unchanged")
	assert.Equal(t, "1990-01-02", u.Birthday.Format(time.DateOnly))
	assert.Equal(t, "Jane@Acme.test", u.Email)
	assert.Equal(t, beta.ID, u.CustomerID)
	assert.Equal(t, []uuid.UUID{h.buyerRole.ID}, u.RoleIDs, "role cells replace the roles")
	assert.False(t, u.Enabled)
	assert.True(t, u.Confirmed)
	assert.Equal(t, owner2, u.OwnerID)
	assert.Equal(t, h.website.ID, u.WebsiteID)
	ev = h.events(u.ID)
	require.Len(t, ev, 2)
	assert.Equal(t, customeruser.EventUserUpdated, ev[1].Type)

	// The same file again changes nothing.
	before := h.impState()
	rep = h.importUsers(customeruser.ModeSkipInvalid, impFile(impFullHeader,
		fmt.Sprintf("%s,Ms,Jane,,Doe,,1990-01-02,Jane@Acme.test,%s,,BUYER,,0,0,1,%s,%s",
			u.ID, beta.ID, owner2, h.website.ID)))
	assert.Equal(t, 1, rep.Unchanged)
	assert.False(t, rep.Committed)
	assert.Equal(t, before, h.impState())
}

func TestImportUsersPartialFiles(t *testing.T) {
	h := newHarness(t)
	acme := h.customer("Acme", uuid.Nil)
	beta := h.customer("Beta", uuid.Nil)
	a := h.user(acme.ID, "a@acme.test")
	b := h.user(acme.ID, "b@acme.test")

	rep := h.importUsers(customeruser.ModeAllOrNothing, impFile("ID,Customer Id",
		a.ID.String()+","+beta.ID.String(), b.ID.String()+","+beta.ID.String()))
	require.Empty(t, rep.RowErrors)
	assert.Equal(t, 2, rep.Updated)
	assert.True(t, rep.Committed)
	for _, u := range []customeruser.User{a, b} {
		got := h.userByEmail(u.Email)
		assert.Equal(t, beta.ID, got.CustomerID)
		assert.Equal(t, u.FirstName, got.FirstName)
		assert.Equal(t, u.RoleIDs, got.RoleIDs)
	}

	// Matched by e-mail (case aside), a customer by name, one column.
	rep = h.importUsers(customeruser.ModeSkipInvalid, impFile("email address , customer NAME,Last Name,Owner Username",
		"A@ACME.TEST,  acme ,Smith,admin"))
	require.Empty(t, rep.RowErrors)
	assert.Equal(t, 1, rep.Updated)
	got := h.userByEmail("a@acme.test")
	assert.Equal(t, acme.ID, got.CustomerID)
	assert.Equal(t, "Smith", got.LastName)
	assert.Equal(t, "A@ACME.TEST", got.Email)
}

func TestImportUsersBadInputs(t *testing.T) {
	h := newHarness(t)
	acme := h.customer("Acme", uuid.Nil)
	h.customer("Twin", uuid.Nil)
	h.customer("twin", uuid.Nil)
	taken := h.user(acme.ID, "taken@acme.test")
	other := h.user(acme.ID, "other@acme.test")
	idle, err := h.svc.CreateUser(h.ctx, h.admin, customeruser.CreateUserInput{
		CustomerID: acme.ID, Email: "idle@acme.test", FirstName: "I", LastName: "Dle", Enabled: new(false), Password: testPassword,
	})
	require.NoError(t, err)
	head := "Email Address,First Name,Last Name,Customer Id,Roles 1 Role,Birthday,Enabled"
	row := func(email, first, customer, roleCode, birthday, enabled string) string {
		return strings.Join([]string{email, first, "User", customer, roleCode, birthday, enabled}, ",")
	}
	ok := acme.ID.String()
	tests := []struct {
		name        string
		file        string
		field, rule string
	}{
		{"unknown role code", impFile(head, row("new@acme.test", "N", ok, "NOPE", "", "")), "Roles 1 Role", "not_found"},
		{"unknown customer", impFile(head, row("new@acme.test", "N", uuid.NewString(), "", "", "")), "Customer Id", "not_found"},
		{"customer id not an id", impFile(head, row("new@acme.test", "N", "acme", "", "", "")), "Customer Id", "format"},
		{"unknown customer name", impFile("Email Address,First Name,Last Name,Customer Name", "new@acme.test,N,U,Nobody Inc"), "Customer Name", "not_found"},
		{"ambiguous customer name", impFile("Email Address,First Name,Last Name,Customer Name", "new@acme.test,N,U,TWIN"), "Customer Name", "ambiguous"},
		{"malformed email", impFile(head, row("not-an-email", "N", ok, "", "", "")), "Email Address", "format"},
		{"future birthday", impFile(head, row("new@acme.test", "N", ok, "", "2026-01-16", "")), "Birthday", "future"},
		{"birthday not a date", impFile(head, row("new@acme.test", "N", ok, "", "19/04/1987", "")), "Birthday", "format"},
		{"email of another user in the store", impFile("ID,Email Address", taken.ID.String()+",OTHER@acme.test"), "Email Address", "unique"},
		{"enabled without role", impFile("ID,Enabled", idle.ID.String()+",1"), "Roles 1 Role", "required_when_enabled"},
		{"first name missing on a new user", impFile(head, row("new@acme.test", "", ok, "", "", "")), "First Name", "required"},
		{"flag not a flag", impFile(head, row("new@acme.test", "N", ok, "", "", "maybe")), "Enabled", "format"},
		{"broken CSV quoting", impFile(head, `new@acme.test,"N"x,User,`+ok+",,,"), "First Name", "csv"},
		{"bare quote", impFile(head, `new@acme.test,N"x,User,`+ok+",,,"), "First Name", "csv"},
		{"non-UTF-8 bytes", impFile(head, row("new@acme.test", "N\xff\xfe", ok, "", "", "")), "First Name", "encoding"},
		{"wrong number of fields", impFile(head, "new@acme.test,N"), "", "field_count"},
		{"id not an id", impFile("ID,Last Name", "42,Smith"), "ID", "format"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := h.impState()
			for _, mode := range []customeruser.ImportMode{customeruser.ModeValidate, customeruser.ModeSkipInvalid, customeruser.ModeAllOrNothing} {
				rep := h.importUsers(mode, tt.file)
				assert.Equal(t, 1, rep.Read, mode)
				assert.Equal(t, 1, rep.Errors, mode)
				assert.Zero(t, rep.Added+rep.Updated, mode)
				assert.False(t, rep.Committed, mode)
				impHasError(t, rep, 2, tt.field, tt.rule)
				assert.Equal(t, before, h.impState(), "nothing changed (%s)", mode)
			}
		})
	}
	_ = other
}

func TestImportUsersHeaderErrors(t *testing.T) {
	h := newHarness(t)
	acme := h.customer("Acme", uuid.Nil)
	h.user(acme.ID, "a@acme.test")
	tests := []struct {
		name        string
		file        string
		field, rule string
	}{
		{"unknown column", impFile("Email Address,Emial", "a@acme.test,x"), "Emial", "unknown_column"},
		{"password is never imported", impFile("Email Address,Password", "a@acme.test,x"), "Password", "unknown_column"},
		{"repeated column", impFile("Email Address,email  address", "a@acme.test,x"), "email  address", "duplicate_column"},
		{"role column zero", impFile("Email Address,Roles 0 Role", "a@acme.test,x"), "Roles 0 Role", "unknown_column"},
		{"nothing to match users", impFile("First Name,Last Name", "A,B"), "Email Address", "required_column"},
		{"empty file", "", "file", "empty"},
		{"only a BOM", "\xEF\xBB\xBF", "file", "empty"},
		{"malformed header", impFile(`"Email Address,First Name`, "x"), "file", "csv"},
		{"header not UTF-8", impFile("Email Address,Na\xffme", "x,y"), "column 2", "encoding"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := h.impState()
			rep, err := h.svc.ImportUsers(h.ctx, h.admin, strings.NewReader(tt.file), customeruser.ImportOptions{Mode: customeruser.ModeSkipInvalid})
			var e *cu.Error
			require.ErrorAs(t, err, &e)
			assert.Equal(t, cu.CodeInvalid, e.Code)
			v, ok := e.Violation(tt.field)
			require.True(t, ok, "%v", e.Violations)
			assert.Equal(t, tt.rule, v.Rule)
			assert.Zero(t, rep.Read)
			assert.Equal(t, before, h.impState())
		})
	}
}

func TestImportUsersDuplicatesInFile(t *testing.T) {
	h := newHarness(t)
	acme := h.customer("Acme", uuid.Nil)
	a := h.user(acme.ID, "a@acme.test")
	c := acme.ID.String()
	rep := h.importUsers(customeruser.ModeSkipInvalid, impFile("ID,Email Address,First Name,Last Name,Customer Id",
		",new@acme.test,N,One,"+c,
		",NEW@acme.test,N,Two,"+c, // same e-mail, other case
		",third@acme.test,T,Three,"+c,
		a.ID.String()+",,,Renamed,",
		a.ID.String()+",,,Again,", // the same user twice
		",a@acme.test,,Third,",    // the same user by e-mail
	))
	assert.Equal(t, 6, rep.Read)
	assert.Equal(t, 2, rep.Added)
	assert.Equal(t, 1, rep.Updated)
	assert.Equal(t, 3, rep.Errors)
	impHasError(t, rep, 3, "Email Address", "duplicate")
	assert.Contains(t, rep.RowErrors[0].Message, "row 2")
	impHasError(t, rep, 6, "ID", "duplicate")
	impHasError(t, rep, 7, "Email Address", "duplicate")
	assert.Equal(t, "One", h.userByEmail("new@acme.test").LastName, "the first row wins")
	assert.Equal(t, "Renamed", h.userByEmail("a@acme.test").LastName)

	// Guests may share an e-mail, even with a user.
	rep = h.importUsers(customeruser.ModeSkipInvalid, impFile("Email Address,First Name,Last Name,Customer Id,Guest",
		"a@acme.test,G,One,"+c+",1", "a@acme.test,G,Two,"+c+",1"))
	require.Empty(t, rep.RowErrors)
	assert.Equal(t, 2, rep.Added)
}

// impFailingUsers fails Create for one e-mail as the storage's unique index
// would after a concurrent insert, and can count calls.
type impFailingUsers struct {
	customeruser.UserRepository
	failEmail string
}

func (f *impFailingUsers) Create(ctx context.Context, u customeruser.User) error {
	if u.Email == f.failEmail {
		return cu.FieldError("email", "unique", "This email is already used.")
	}
	return f.UserRepository.Create(ctx, u)
}

func TestImportUsersAllOrNothing(t *testing.T) {
	h := newHarness(t)
	acme := h.customer("Acme", uuid.Nil)
	c := acme.ID.String()
	head := "Email Address,First Name,Last Name,Customer Id"
	good := []string{"a@acme.test,A,A," + c, "b@acme.test,B,B," + c, "c@acme.test,C,C," + c}

	t.Run("one bad row writes nothing", func(t *testing.T) {
		before := h.impState()
		file := impFile(append([]string{head}, append(slices.Clone(good), "d@acme.test,,D,"+c)...)...)
		rep, err := h.svc.ImportUsers(h.ctx, h.admin, strings.NewReader(file),
			customeruser.ImportOptions{Mode: customeruser.ModeAllOrNothing, BatchSize: 2})
		require.NoError(t, err)
		assert.Equal(t, 3, rep.Added, "would have been added")
		assert.Equal(t, 1, rep.Errors)
		assert.False(t, rep.Committed)
		impHasError(t, rep, 5, "First Name", "required")
		assert.Equal(t, before, h.impState())
	})
	t.Run("a failing write rolls back the earlier batches", func(t *testing.T) {
		before := h.impState()
		svc := h.impServiceWith(&impFailingUsers{UserRepository: h.store.Users(), failEmail: "z3@acme.test"})
		rep, err := svc.ImportUsers(h.ctx, h.admin, strings.NewReader(impFile(head, "z1@acme.test,A,A,"+c, "z2@acme.test,B,B,"+c, "z3@acme.test,C,C,"+c)),
			customeruser.ImportOptions{Mode: customeruser.ModeAllOrNothing, BatchSize: 2})
		require.NoError(t, err)
		assert.False(t, rep.Committed)
		impHasError(t, rep, 4, "Email Address", "unique")
		assert.Equal(t, before, h.impState())
	})
	t.Run("all good: committed", func(t *testing.T) {
		rep := h.importUsers(customeruser.ModeAllOrNothing, impFile(append([]string{head}, good...)...))
		assert.Equal(t, 3, rep.Added)
		assert.True(t, rep.Committed)
		for _, e := range []string{"a@acme.test", "b@acme.test", "c@acme.test"} {
			h.userByEmail(e)
		}
	})
}

func TestImportUsersSkipInvalid(t *testing.T) {
	h := newHarness(t)
	acme := h.customer("Acme", uuid.Nil)
	c := acme.ID.String()
	before := h.impState()
	file := impFile("Email Address,First Name,Last Name,Customer Id",
		"a@acme.test,A,A,"+c,
		"b@acme.test,B,B,nope",
		"c@acme.test,C,C,"+c,
		"d@acme.test,D,,"+c,
		"e@acme.test,E,E,"+c,
		"f@acme.test,F,F,"+c,
	)
	// f fails when written, as if another import had just taken it: its
	// batch is retried row by row and e still goes in.
	svc := h.impServiceWith(&impFailingUsers{UserRepository: h.store.Users(), failEmail: "f@acme.test"})
	rep, err := svc.ImportUsers(h.ctx, h.admin, strings.NewReader(file),
		customeruser.ImportOptions{Mode: customeruser.ModeSkipInvalid, BatchSize: 2})
	require.NoError(t, err)
	assert.Equal(t, 6, rep.Read)
	assert.Equal(t, 3, rep.Added)
	assert.Equal(t, 3, rep.Errors)
	assert.True(t, rep.Committed)
	impHasError(t, rep, 3, "Customer Id", "format")
	impHasError(t, rep, 5, "Last Name", "required")
	impHasError(t, rep, 7, "Email Address", "unique")
	after := h.impState()
	var emails []string
	for _, u := range after.users {
		emails = append(emails, u.Email)
	}
	slices.Sort(emails)
	assert.Equal(t, []string{"a@acme.test", "c@acme.test", "e@acme.test"}, emails, "exactly the valid rows")
	assert.Equal(t, before.events+3, after.events, "one created event each")
}

func TestImportUsersValidateWritesNothing(t *testing.T) {
	h := newHarness(t)
	acme := h.customer("Acme", uuid.Nil)
	a := h.user(acme.ID, "a@acme.test")
	b := h.user(acme.ID, "b@acme.test")
	before := h.impState()
	rep, err := h.svc.ImportUsers(h.ctx, h.admin, strings.NewReader(impFile("ID,Email Address,First Name,Last Name,Customer Id",
		",new@acme.test,N,U,"+acme.ID.String(),
		a.ID.String()+",,,Changed,",
		b.ID.String()+",,,User,",
		",bad,N,U,"+acme.ID.String(),
	)), customeruser.ImportOptions{SendWelcomeEmails: true})
	require.NoError(t, err)
	assert.Equal(t, customeruser.ModeValidate, rep.Mode, "the zero mode validates")
	assert.Equal(t, 4, rep.Read)
	assert.Equal(t, 1, rep.Added)
	assert.Equal(t, 1, rep.Updated)
	assert.Equal(t, 1, rep.Unchanged)
	assert.Equal(t, 1, rep.Errors)
	assert.False(t, rep.Committed)
	assert.Equal(t, before, h.impState())
	assert.Empty(t, h.mail.Sent())
}

func TestImportUsersProgressAndLimits(t *testing.T) {
	h := newHarness(t)
	acme := h.customer("Acme", uuid.Nil)
	var lines []string
	for i := range 5 {
		lines = append(lines, fmt.Sprintf("u%d@acme.test,U,%d,%s", i, i, acme.ID))
	}
	lines = append(lines, ",,,") // a blank spreadsheet row: skipped
	var calls [][2]int
	rep, err := h.svc.ImportUsers(h.ctx, h.admin, strings.NewReader(impFile(append([]string{"Email Address,First Name,Last Name,Customer Id"}, lines...)...)),
		customeruser.ImportOptions{Mode: customeruser.ModeValidate, BatchSize: 2, ExpectedRows: 5,
			Progress: func(done, total int) { calls = append(calls, [2]int{done, total}) }})
	require.NoError(t, err)
	assert.Equal(t, 5, rep.Read)
	assert.Equal(t, [][2]int{{2, 5}, {4, 5}, {5, 5}, {5, 5}}, calls)

	// Error listing is capped, counts are not.
	bad := impFile("Email Address,First Name", "x,A", "y,B", "z,C")
	rep, err = h.svc.ImportUsers(h.ctx, h.admin, strings.NewReader(bad), customeruser.ImportOptions{MaxErrors: 2})
	require.NoError(t, err)
	assert.Equal(t, 3, rep.Errors)
	assert.Len(t, rep.RowErrors, 2)
	assert.True(t, rep.ErrorsTruncated)

	for _, o := range []customeruser.ImportOptions{{Mode: "replace"}, {BatchSize: -1}, {BatchSize: customeruser.MaxImportBatchSize + 1}} {
		_, err := h.svc.ImportUsers(h.ctx, h.admin, strings.NewReader(bad), o)
		assert.ErrorIs(t, err, cu.ErrInvalid)
	}
	_, err = h.svc.ImportUsers(h.ctx, cu.AnonymousActor(h.org), strings.NewReader(bad), customeruser.ImportOptions{})
	assert.ErrorIs(t, err, cu.ErrUnauthenticated)

	ctx, cancel := context.WithCancel(h.ctx)
	cancel()
	_, err = h.svc.ImportUsers(ctx, h.admin, strings.NewReader(bad), customeruser.ImportOptions{})
	assert.ErrorIs(t, err, context.Canceled)
}

func TestImportUsersWelcomeAndPassword(t *testing.T) {
	h := newHarness(t)
	acme := h.customer("Acme", uuid.Nil)
	c := acme.ID.String()
	rep, err := h.svc.ImportUsers(h.ctx, h.admin, strings.NewReader(impFile("Email Address,First Name,Last Name,Customer Id,Guest",
		"w@acme.test,W,W,"+c+",0", "g@acme.test,G,G,"+c+",1")),
		customeruser.ImportOptions{Mode: customeruser.ModeSkipInvalid, SendWelcomeEmails: true})
	require.NoError(t, err)
	require.Empty(t, rep.RowErrors)
	sent := h.mail.Sent()
	require.Len(t, sent, 1, "guests get no welcome")
	assert.Equal(t, customeruser.TemplateWelcomeByAdmin, sent[0].Template)
	assert.Equal(t, "w@acme.test", sent[0].Email)
	assert.NotEmpty(t, sent[0].Token)

	// The link sets the first password; before that no password works.
	_, err = h.svc.Authenticate(h.ctx, h.org, customeruser.Credentials{Email: "w@acme.test", Password: ""})
	assert.Error(t, err)
	_, err = h.svc.ResetPassword(h.ctx, h.org, sent[0].Token, "Fresh1234")
	require.NoError(t, err)
	_, err = h.svc.Authenticate(h.ctx, h.org, customeruser.Credentials{Email: "w@acme.test", Password: "Fresh1234"})
	assert.NoError(t, err)
}

func TestImportUsersDefaultRole(t *testing.T) {
	h := newHarness(t)
	acme := h.customer("Acme", uuid.Nil)
	c := acme.ID.String()
	rep := h.importUsers(customeruser.ModeSkipInvalid, impFile("Email Address,First Name,Last Name,Customer Id,Enabled,Guest",
		"on@acme.test,O,N,"+c+",,", "off@acme.test,O,F,"+c+",0,", "guest@acme.test,G,T,"+c+",,1"))
	require.Empty(t, rep.RowErrors)
	assert.Equal(t, []uuid.UUID{h.buyerRole.ID}, h.userByEmail("on@acme.test").RoleIDs)
	assert.Empty(t, h.userByEmail("off@acme.test").RoleIDs, "a disabled user may stay without roles")

	cfg := customeruser.DefaultConfig()
	cfg.Argon2, cfg.DefaultRoleCode = cheapArgon2, "GHOST"
	h2 := newHarness(t, customeruser.WithConfig(cfg))
	acme2 := h2.customer("Acme", uuid.Nil)
	rep = h2.importUsers(customeruser.ModeSkipInvalid, impFile("Email Address,First Name,Last Name,Customer Id", "on@acme.test,O,N,"+acme2.ID.String()))
	impHasError(t, rep, 2, "Roles 1 Role", "default_role_missing")
}

func TestImportUsersMatching(t *testing.T) {
	h := newHarness(t)
	acme := h.customer("Acme", uuid.Nil)
	c := acme.ID.String()
	amanda := h.user(acme.ID, "Amanda@Acme.test")

	// An id that matches nobody falls back to the e-mail.
	rep := h.importUsers(customeruser.ModeSkipInvalid, impFile("ID,Email Address,Last Name", uuid.NewString()+",amanda@acme.TEST,Cole"))
	require.Empty(t, rep.RowErrors)
	assert.Equal(t, 1, rep.Updated)
	got := h.userByEmail("amanda@acme.test")
	assert.Equal(t, amanda.ID, got.ID)
	assert.Equal(t, "Cole", got.LastName)

	// ... and otherwise adds a user with a new id.
	ghost := uuid.New()
	rep = h.importUsers(customeruser.ModeSkipInvalid, impFile("ID,Email Address,First Name,Last Name,Customer Id", ghost.String()+",new@acme.test,N,U,"+c))
	require.Empty(t, rep.RowErrors)
	assert.NotEqual(t, ghost, h.userByEmail("new@acme.test").ID)

	// Case-sensitive mode: another case is another user.
	cfg := customeruser.DefaultConfig()
	cfg.Argon2, cfg.CaseSensitiveEmails = cheapArgon2, true
	h2 := newHarness(t, customeruser.WithConfig(cfg))
	acme2 := h2.customer("Acme", uuid.Nil)
	h2.user(acme2.ID, "Amanda@Acme.test")
	rep = h2.importUsers(customeruser.ModeSkipInvalid, impFile("Email Address,First Name,Last Name,Customer Id", "amanda@acme.test,A,B,"+acme2.ID.String()))
	require.Empty(t, rep.RowErrors)
	assert.Equal(t, 1, rep.Added)
}

func TestImportUsersEncodings(t *testing.T) {
	h := newHarness(t)
	acme := h.customer("Acme", uuid.Nil)
	file := "\xEF\xBB\xBFEmail Address,First Name,Last Name,Customer Id\r\n" +
		"bom@acme.test,Zoë,\"Ng, \"\"Jr\"\"\"," + acme.ID.String() + "\r\n"
	rep := h.importUsers(customeruser.ModeSkipInvalid, file)
	require.Empty(t, rep.RowErrors)
	u := h.userByEmail("bom@acme.test")
	assert.Equal(t, "Zoë", u.FirstName)
	assert.Equal(t, `Ng, "Jr"`, u.LastName)
}

// impBatchUsers implements the optional batch interfaces and counts their
// calls.
type impBatchUsers struct {
	customeruser.UserRepository
	createMany, getMany int
}

func (b *impBatchUsers) CreateMany(ctx context.Context, users []customeruser.User) error {
	b.createMany++
	for _, u := range users {
		if err := b.UserRepository.Create(ctx, u); err != nil {
			return err
		}
	}
	return nil
}

func (b *impBatchUsers) GetManyByEmailKeys(ctx context.Context, org uuid.UUID, keys []string) ([]customeruser.User, error) {
	b.getMany++
	var out []customeruser.User
	for _, k := range keys {
		u, err := b.UserRepository.GetByEmailKey(ctx, org, k)
		if err == nil {
			out = append(out, u)
		}
	}
	return out, nil
}

func TestImportUsersBatchRepositories(t *testing.T) {
	h := newHarness(t)
	acme := h.customer("Acme", uuid.Nil)
	h.user(acme.ID, "old@acme.test")
	users := &impBatchUsers{UserRepository: h.store.Users()}
	svc := h.impServiceWith(users)
	var lines []string
	for i := range 5 {
		lines = append(lines, fmt.Sprintf("u%d@acme.test,U,%d,%s", i, i, acme.ID))
	}
	lines = append(lines, "old@acme.test,Old,Renamed,")
	rep, err := svc.ImportUsers(h.ctx, h.admin, strings.NewReader(impFile(append([]string{"Email Address,First Name,Last Name,Customer Id"}, lines...)...)),
		customeruser.ImportOptions{Mode: customeruser.ModeSkipInvalid, BatchSize: 3})
	require.NoError(t, err)
	require.Empty(t, rep.RowErrors)
	assert.Equal(t, 5, rep.Added)
	assert.Equal(t, 1, rep.Updated)
	assert.Equal(t, 2, users.getMany, "one look-up per batch")
	assert.Equal(t, 2, users.createMany, "one insert per batch")
	assert.Equal(t, "Renamed", h.userByEmail("old@acme.test").LastName)
}

func TestImportUsersStorefront(t *testing.T) {
	h := newHarness(t)
	acme := h.customer("Acme", uuid.Nil)
	other := h.customer("Other", uuid.Nil)
	boss := h.user(acme.ID, "boss@acme.test", h.adminRole.ID)
	stranger := h.user(other.ID, "stranger@other.test")
	rep, err := h.svc.ImportUsers(h.ctx, h.storefront(boss), strings.NewReader(impFile("ID,Email Address,First Name,Last Name,Customer Id,Owner Id",
		",mine@acme.test,M,I,"+acme.ID.String()+",",
		",theirs@acme.test,T,H,"+other.ID.String()+",",
		",owned@acme.test,O,W,"+acme.ID.String()+","+uuid.NewString(),
		stranger.ID.String()+",,,Renamed,,",
	)), customeruser.ImportOptions{Mode: customeruser.ModeSkipInvalid})
	require.NoError(t, err)
	assert.Equal(t, 1, rep.Added)
	impHasError(t, rep, 3, "Customer Id", "out_of_reach")
	impHasError(t, rep, 4, "Owner Id", "forbidden_field")
	impHasError(t, rep, 5, "ID", "not_found")
	assert.Equal(t, "User", h.userByEmail("stranger@other.test").LastName)
}
