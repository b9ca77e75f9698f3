package customeruser_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"runtime"
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

// csvParse reads a whole CSV text with the standard library's reader, an
// independent check of what the exports write.
func csvParse(t *testing.T, s string) [][]string {
	t.Helper()
	r := csv.NewReader(strings.NewReader(s))
	r.FieldsPerRecord = -1
	rows, err := r.ReadAll()
	require.NoError(t, err)
	return rows
}

// csvDrop removes the columns with the given header names.
func csvDrop(rows [][]string, names ...string) [][]string {
	if len(rows) == 0 {
		return rows
	}
	var keep []int
	for i, h := range rows[0] {
		if !slices.Contains(names, h) {
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

// csvCell returns the cell of column name in data row i (from 1).
func csvCell(t *testing.T, rows [][]string, i int, name string) string {
	t.Helper()
	c := slices.Index(rows[0], name)
	require.GreaterOrEqual(t, c, 0, "no column %q in %v", name, rows[0])
	return rows[i][c]
}

// exportUsers exports as actor and returns the file.
func (h *harness) exportUsers(actor cu.Actor, f customeruser.UserFilter, o customeruser.ExportOptions) (string, customeruser.ExportReport) {
	h.t.Helper()
	var b bytes.Buffer
	rep, err := h.svc.ExportUsers(h.ctx, actor, f, &b, o)
	require.NoError(h.t, err)
	return b.String(), rep
}

func (h *harness) exportAddresses(actor cu.Actor, f customeruser.UserFilter, o customeruser.ExportOptions) string {
	h.t.Helper()
	var b bytes.Buffer
	_, err := h.svc.ExportAddresses(h.ctx, actor, f, &b, o)
	require.NoError(h.t, err)
	return b.String()
}

func TestExportUsersColumns(t *testing.T) {
	h := newHarness(t)
	acme := h.customer("Acme, Inc.", uuid.Nil)
	owner := uuid.New()
	bday := time.Date(1987, 4, 19, 0, 0, 0, 0, time.UTC)
	u, err := h.svc.CreateUser(h.ctx, h.admin, customeruser.CreateUserInput{
		CustomerID: acme.ID, Email: "jerry@acme.test", NamePrefix: "Mr", FirstName: "Jerry", MiddleName: "John",
		LastName: `Coleman "JC"`, NameSuffix: "Jr.", Birthday: &bday, RoleIDs: []uuid.UUID{h.adminRole.ID, h.buyerRole.ID},
		OwnerID: owner, Password: testPassword,
	})
	require.NoError(t, err)
	h.clock.Advance(time.Second)
	guest, err := h.svc.CreateUser(h.ctx, h.admin, customeruser.CreateUserInput{
		CustomerID: acme.ID, Email: "guest@acme.test", FirstName: "G", LastName: "Uest", Guest: true,
	})
	require.NoError(t, err)

	out, rep := h.exportUsers(h.admin, customeruser.UserFilter{}, customeruser.ExportOptions{})
	assert.True(t, strings.HasSuffix(out, "\r\n"), "RFC 4180 line ends")
	rows := csvParse(t, out)
	assert.Equal(t, []string{
		"ID", "Name Prefix", "First Name", "Middle Name", "Last Name", "Name Suffix", "Birthday", "Email Address",
		"Customer Id", "Customer Name", "Roles 1 Role", "Roles 2 Role", "Guest", "Enabled", "Confirmed", "Owner Id", "Website Id",
	}, rows[0])
	require.Len(t, rows, 3)
	assert.Equal(t, []string{
		u.ID.String(), "Mr", "Jerry", "John", `Coleman "JC"`, "Jr.", "1987-04-19", "jerry@acme.test",
		acme.ID.String(), "Acme, Inc.", "ADMINISTRATOR", "BUYER", "0", "1", "1", owner.String(), h.website.ID.String(),
	}, rows[1])
	assert.Equal(t, []string{
		guest.ID.String(), "", "G", "", "Uest", "", "", "guest@acme.test",
		acme.ID.String(), "Acme, Inc.", "", "", "1", "0", "0", "", h.website.ID.String(),
	}, rows[2])
	assert.Equal(t, customeruser.ExportReport{Rows: 2, Users: 2, RoleColumns: 2}, rep)
}

func TestExportUsersRoleColumns(t *testing.T) {
	h := newHarness(t)
	acme := h.customer("Acme", uuid.Nil)
	h.user(acme.ID, "one@acme.test")
	two := h.user(acme.ID, "two@acme.test", h.adminRole.ID, h.buyerRole.ID)

	t.Run("the widest user decides", func(t *testing.T) {
		_, rep := h.exportUsers(h.admin, customeruser.UserFilter{}, customeruser.ExportOptions{})
		assert.Equal(t, 2, rep.RoleColumns)
	})
	t.Run("the filter decides which users count", func(t *testing.T) {
		out, rep := h.exportUsers(h.admin, customeruser.UserFilter{Email: "one@"}, customeruser.ExportOptions{})
		assert.Equal(t, 1, rep.RoleColumns)
		assert.Equal(t, "Roles 1 Role", csvParse(t, out)[0][10])
	})
	t.Run("no user: one role column", func(t *testing.T) {
		out, rep := h.exportUsers(h.admin, customeruser.UserFilter{Email: "nobody"}, customeruser.ExportOptions{})
		assert.Equal(t, 1, rep.RoleColumns)
		assert.Len(t, csvParse(t, out), 1)
	})
	t.Run("fixed number of columns", func(t *testing.T) {
		out, rep := h.exportUsers(h.admin, customeruser.UserFilter{}, customeruser.ExportOptions{RoleColumns: 3})
		assert.Equal(t, 3, rep.RoleColumns)
		assert.Equal(t, "Roles 3 Role", csvParse(t, out)[0][12])
	})
	t.Run("too few fixed columns stop the export", func(t *testing.T) {
		var b bytes.Buffer
		_, err := h.svc.ExportUsers(h.ctx, h.admin, customeruser.UserFilter{}, &b, customeruser.ExportOptions{RoleColumns: 1})
		var e *cu.Error
		require.ErrorAs(t, err, &e)
		v, ok := e.Violation("roleColumns")
		require.True(t, ok)
		assert.Equal(t, "too_few", v.Rule)
		assert.Contains(t, v.Message, two.ID.String())
	})
	t.Run("an error before the first page writes nothing", func(t *testing.T) {
		var b bytes.Buffer
		_, err := h.svc.ExportUsers(h.ctx, h.admin, customeruser.UserFilter{}, &b, customeruser.ExportOptions{RoleColumns: 2, Sort: cu.Sort{Field: "password"}})
		assert.ErrorIs(t, err, cu.ErrInvalid)
		assert.Zero(t, b.Len())
		_, err = h.svc.ExportAddresses(h.ctx, h.admin, customeruser.UserFilter{}, &b, customeruser.ExportOptions{Sort: cu.Sort{Field: "password"}})
		assert.ErrorIs(t, err, cu.ErrInvalid)
		assert.Zero(t, b.Len())
	})
	t.Run("bad options", func(t *testing.T) {
		for _, o := range []customeruser.ExportOptions{{PageSize: -1}, {PageSize: cu.MaxPageLimit + 1}, {RoleColumns: -1}} {
			_, err := h.svc.ExportUsers(h.ctx, h.admin, customeruser.UserFilter{}, &bytes.Buffer{}, o)
			assert.ErrorIs(t, err, cu.ErrInvalid)
		}
	})
}

// countingUsers is a UserRepository that implements UserRoleCounter and
// counts the calls of List and MaxRoleCount.
type countingUsers struct {
	customeruser.UserRepository
	lists, counts int
}

func (c *countingUsers) List(ctx context.Context, org uuid.UUID, f customeruser.UserFilter, p cu.Page) (cu.PageOf[customeruser.User], error) {
	c.lists++
	return c.UserRepository.List(ctx, org, f, p)
}

func (c *countingUsers) MaxRoleCount(ctx context.Context, org uuid.UUID, f customeruser.UserFilter) (int, error) {
	c.counts++
	n := 0
	p := cu.Page{Limit: cu.MaxPageLimit}
	for {
		page, err := c.UserRepository.List(ctx, org, f, p)
		if err != nil {
			return 0, err
		}
		for _, u := range page.Items {
			n = max(n, len(u.RoleIDs))
		}
		if page.NextCursor == "" {
			return n, nil
		}
		p.Cursor = page.NextCursor
	}
}

// impServiceWith builds a second Service on h's store with other
// repositories.
func (h *harness) impServiceWith(users customeruser.UserRepository) *customeruser.Service {
	cfg := customeruser.DefaultConfig()
	cfg.Argon2 = cheapArgon2
	deps := h.store.UserDeps(h.authz)
	deps.Users, deps.Sites, deps.Notifier = users, h.sites, h.mail
	return customeruser.NewService(deps, customeruser.WithConfig(cfg), customeruser.WithClock(h.clock))
}

func TestExportUsersRoleCounter(t *testing.T) {
	h := newHarness(t)
	acme := h.customer("Acme", uuid.Nil)
	for i := range 3 {
		h.user(acme.ID, "u"+string(rune('a'+i))+"@acme.test")
	}
	admin := h.user(acme.ID, "admin@acme.test", h.adminRole.ID)
	users := &countingUsers{UserRepository: h.store.Users()}
	svc := h.impServiceWith(users)

	var b bytes.Buffer
	rep, err := svc.ExportUsers(h.ctx, h.admin, customeruser.UserFilter{}, &b, customeruser.ExportOptions{PageSize: 2})
	require.NoError(t, err)
	assert.Equal(t, 1, users.counts, "back office: one counting query")
	assert.Equal(t, 2, users.lists, "then one pass in pages of 2")
	assert.Equal(t, 4, rep.Rows)

	// A storefront actor's reach is not the whole organization: the
	// counter would count users it cannot see, so a first pass is made.
	users.counts, users.lists = 0, 0
	_, err = svc.ExportUsers(h.ctx, h.storefront(admin), customeruser.UserFilter{}, &b, customeruser.ExportOptions{PageSize: 2})
	require.NoError(t, err)
	assert.Equal(t, 0, users.counts)
	assert.Equal(t, 4, users.lists)
}

func TestExportUsersReach(t *testing.T) {
	h := newHarness(t)
	acme := h.customer("Acme", uuid.Nil)
	sub := h.customer("Acme Sub", acme.ID)
	other := h.customer("Other", uuid.Nil)
	boss := h.user(acme.ID, "boss@acme.test", h.adminRole.ID)
	h.user(acme.ID, "a@acme.test")
	h.user(sub.ID, "s@acme.test")
	h.user(other.ID, "o@other.test")

	emails := func(out string) []string {
		rows := csvParse(t, out)
		var got []string
		for _, r := range rows[1:] {
			got = append(got, r[7])
		}
		slices.Sort(got)
		return got
	}
	out, _ := h.exportUsers(h.admin, customeruser.UserFilter{}, customeruser.ExportOptions{})
	assert.Equal(t, []string{"a@acme.test", "boss@acme.test", "o@other.test", "s@acme.test"}, emails(out))

	out, _ = h.exportUsers(h.admin, customeruser.UserFilter{SubtreeOf: acme.ID}, customeruser.ExportOptions{})
	assert.Equal(t, []string{"a@acme.test", "boss@acme.test", "s@acme.test"}, emails(out), "list filters apply")

	// The seeded administrator role reaches the corporate subtree; a
	// storefront admin never sees another company's users.
	out, _ = h.exportUsers(h.storefront(boss), customeruser.UserFilter{}, customeruser.ExportOptions{})
	assert.Equal(t, []string{"a@acme.test", "boss@acme.test", "s@acme.test"}, emails(out))
	out = h.exportAddresses(h.storefront(boss), customeruser.UserFilter{CustomerID: other.ID}, customeruser.ExportOptions{})
	assert.Len(t, csvParse(t, out), 1, "nothing of another company")

	_, err := h.svc.ExportUsers(h.ctx, cu.AnonymousActor(h.org), customeruser.UserFilter{}, &bytes.Buffer{}, customeruser.ExportOptions{})
	assert.ErrorIs(t, err, cu.ErrUnauthenticated)
}

func TestExportUsersSortAndPages(t *testing.T) {
	h := newHarness(t)
	acme := h.customer("Acme", uuid.Nil)
	for _, e := range []string{"c@acme.test", "a@acme.test", "b@acme.test"} {
		h.user(acme.ID, e)
	}
	out, rep := h.exportUsers(h.admin, customeruser.UserFilter{}, customeruser.ExportOptions{Sort: cu.Sort{Field: customeruser.SortEmail, Desc: true}, PageSize: 1})
	rows := csvParse(t, out)
	assert.Equal(t, 3, rep.Rows)
	assert.Equal(t, []string{"c@acme.test", "b@acme.test", "a@acme.test"}, []string{rows[1][7], rows[2][7], rows[3][7]})
}

func TestExportAddressesColumns(t *testing.T) {
	h := newHarness(t)
	acme := h.customer("Acme", uuid.Nil)
	u := h.user(acme.ID, "jerry@acme.test")
	u, office, err := h.svc.AddAddress(h.ctx, h.admin, u.ID, customeruser.Address{
		Label: "Office", Organization: "Acme", NamePrefix: "Mr", FirstName: "Jerry", MiddleName: "J", LastName: "Coleman",
		NameSuffix: "Jr.", Street: "801 Scenic Hwy", Street2: "Suite 2", City: "Haines City", PostalCode: "33844",
		Country: "US", Region: "FL", Phone: "+1 212 555 0100", Primary: true,
		Types: []customeruser.AddressTypeFlag{{Type: customeruser.Billing, Default: true}, {Type: customeruser.Shipping}},
	}, 0)
	require.NoError(t, err)
	_, home, err := h.svc.AddAddress(h.ctx, h.admin, u.ID, customeruser.Address{
		Organization: "Home", Street: "1 Main St", City: "Berlin", PostalCode: "10115", Country: "DE", Region: "Berlin",
		Types: []customeruser.AddressTypeFlag{{Type: customeruser.Shipping, Default: true}},
	}, 0)
	require.NoError(t, err)
	h.user(acme.ID, "noaddress@acme.test")

	rows := csvParse(t, h.exportAddresses(h.admin, customeruser.UserFilter{}, customeruser.ExportOptions{}))
	// Every column of Oro's address export, in Oro's order.
	assert.Equal(t, []string{
		"Address ID", "Label", "Organization", "Name Prefix", "First Name", "Middle Name", "Last Name", "Name Suffix",
		"Street", "Street 2", "Zip/Postal Code", "City", "State", "State Combined code", "Country ISO2 code", "Phone",
		"Primary", "Owner Username", "Customer User ID", "Email Address", "Billing", "Default Billing", "Shipping",
		"Default Shipping", "Delete", "Validated At",
	}, rows[0])
	require.Len(t, rows, 3)
	// A region code goes to State Combined code, free text to State; the
	// owner's user name and the validation time are not kept: empty.
	assert.Equal(t, []string{
		office.ID.String(), "Office", "Acme", "Mr", "Jerry", "J", "Coleman", "Jr.", "801 Scenic Hwy", "Suite 2", "33844",
		"Haines City", "", "US-FL", "US", "+1 212 555 0100", "1", "", u.ID.String(), "jerry@acme.test",
		"1", "1", "1", "0", "0", "",
	}, rows[1])
	assert.Equal(t, []string{
		home.ID.String(), "", "Home", "", "", "", "", "", "1 Main St", "", "10115", "Berlin", "Berlin", "", "DE", "", "0",
		"", u.ID.String(), "jerry@acme.test", "0", "0", "1", "1", "0", "",
	}, rows[2])
}

func TestExportTemplates(t *testing.T) {
	h := newHarness(t)
	h.customer("Acme Inc.", uuid.Nil)

	var users, addresses bytes.Buffer
	require.NoError(t, h.svc.WriteUserTemplate(&users))
	require.NoError(t, h.svc.WriteAddressTemplate(&addresses))
	rows := csvParse(t, users.String())
	require.Len(t, rows, 2)
	assert.Equal(t, "BUYER", csvCell(t, rows, 1, "Roles 1 Role"))
	arows := csvParse(t, addresses.String())
	require.Len(t, arows, 2)
	exported := csvParse(t, h.exportAddresses(h.admin, customeruser.UserFilter{}, customeruser.ExportOptions{}))
	assert.Equal(t, exported[0], arows[0], "the template has the export's header")
	assert.Len(t, arows[1], len(arows[0]))

	// The templates import as they are, once the sample customer exists.
	rep, err := h.svc.ImportUsers(h.ctx, h.admin, strings.NewReader(users.String()), customeruser.ImportOptions{Mode: customeruser.ModeSkipInvalid})
	require.NoError(t, err)
	assert.Equal(t, 1, rep.Added, "%v", rep.RowErrors)
	rep, err = h.svc.ImportAddresses(h.ctx, h.admin, strings.NewReader(addresses.String()), customeruser.ImportOptions{Mode: customeruser.ModeSkipInvalid})
	require.NoError(t, err)
	assert.Equal(t, 1, rep.Added, "%v", rep.RowErrors)
}

// heapSampler is a writer that counts bytes and, every few writes,
// measures the live heap after a collection.
type heapSampler struct {
	n, writes int
	samples   []uint64
}

func (s *heapSampler) Write(p []byte) (int, error) {
	s.n += len(p)
	s.writes++
	if s.writes%25 == 1 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		s.samples = append(s.samples, m.HeapAlloc)
	}
	return len(p), nil
}

// peak returns the highest sample among those from from to to (fractions
// of the run).
func (s *heapSampler) peak(from, to float64) uint64 {
	var p uint64
	n := float64(len(s.samples))
	for _, x := range s.samples[int(from*n):int(to*n)] {
		p = max(p, x)
	}
	return p
}

func TestExportMemoryDoesNotGrow(t *testing.T) {
	if testing.Short() {
		t.Skip("5,000 users")
	}
	// The heap of the export is measured, not the storage; 5,000 inserts
	// one by one take about 20 s on PostgreSQL.
	memoryOnly(t, "5,000 users inserted one by one")
	h := newHarness(t)
	acme := h.customer("Acme", uuid.Nil)
	users := h.store.Users()
	now := h.clock.Now()
	for i := range 5000 {
		id := uuid.Must(uuid.NewV7())
		email := "user" + strings.Repeat("x", 40) + string(rune('a'+i%26)) + id.String() + "@acme.test"
		require.NoError(t, users.Create(h.ctx, customeruser.User{
			ID: id, OrganizationID: h.org, CustomerID: acme.ID, Email: email, EmailKey: email,
			FirstName: strings.Repeat("F", 60), LastName: strings.Repeat("L", 60), Enabled: true, Confirmed: true,
			AuthStatus: customeruser.AuthActive, RoleIDs: []uuid.UUID{h.buyerRole.ID}, WebsiteID: h.website.ID,
			Addresses: []customeruser.Address{{ID: uuid.New(), Organization: "Acme", Street: strings.Repeat("S", 100),
				City: "Berlin", PostalCode: "10115", Country: "DE"}},
			CreatedAt: now, UpdatedAt: now, Version: 1,
		}))
	}
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)

	for _, export := range []func(w *heapSampler) (customeruser.ExportReport, error){
		func(w *heapSampler) (customeruser.ExportReport, error) {
			return h.svc.ExportUsers(h.ctx, h.admin, customeruser.UserFilter{}, w, customeruser.ExportOptions{PageSize: 250, RoleColumns: 1})
		},
		func(w *heapSampler) (customeruser.ExportReport, error) {
			return h.svc.ExportAddresses(h.ctx, h.admin, customeruser.UserFilter{}, w, customeruser.ExportOptions{PageSize: 250})
		},
	} {
		w := &heapSampler{}
		rep, err := export(w)
		require.NoError(t, err)
		assert.Equal(t, 5000, rep.Rows)
		assert.Greater(t, w.n, 5000*200, "the file is over 1 MB")
		require.Greater(t, len(w.samples), 6)
		// Holding the rows written (or the users read) would make the live
		// heap grow by hundreds of kilobytes between the first and the last
		// third of the run; with a page of users at a time it stays flat.
		early, late := int64(w.peak(0, 1.0/3)), int64(w.peak(2.0/3, 1))
		assert.Less(t, late-early, int64(w.n/8), "live heap grew from %d to %d bytes while writing %d bytes", early, late, w.n)
		assert.Less(t, late-int64(before.HeapAlloc), int64(w.n), "a page of users, not the file")
	}
}
