package customeruser_test

import (
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	cu "github.com/b2bkit/customerusers"
	"github.com/b2bkit/customerusers/customeruser"
)

func (h *harness) importAddresses(actor cu.Actor, mode customeruser.ImportMode, file string) customeruser.ImportReport {
	h.t.Helper()
	rep, err := h.svc.ImportAddresses(h.ctx, actor, strings.NewReader(file), customeruser.ImportOptions{Mode: mode})
	require.NoError(h.t, err)
	return rep
}

const impAddrHeader = "Address ID,Label,Organization,First Name,Last Name,Street,Zip/Postal Code,City,State,Country ISO2 code," +
	"Phone,Primary,Customer User ID,Email Address,Billing,Default Billing,Shipping,Default Shipping,Delete"

// impAddr is a row of impAddrHeader.
func impAddr(cells ...string) string {
	for len(cells) < 19 {
		cells = append(cells, "")
	}
	return strings.Join(cells, ",")
}

// impAddrFixture makes two users of a customer Acme: jerry with a default
// billing "Office" and a plain "Store" address, and nancy without any.
func impAddrFixture(t *testing.T, h *harness) (jerry, nancy customeruser.User, office, store customeruser.Address) {
	t.Helper()
	acme := h.customer("Acme", uuid.Nil)
	jerry = h.user(acme.ID, "jerry@acme.test")
	nancy = h.user(acme.ID, "nancy@acme.test")
	jerry, office, err := h.svc.AddAddress(h.ctx, h.admin, jerry.ID, customeruser.Address{
		Label: "Office", Organization: "Acme", Street: "1 Old St", City: "Berlin", PostalCode: "10115", Country: "DE",
		Types: []customeruser.AddressTypeFlag{{Type: customeruser.Billing, Default: true}},
	}, 0)
	require.NoError(t, err)
	_, store, err = h.svc.AddAddress(h.ctx, h.admin, jerry.ID, customeruser.Address{
		Label: "Store", Organization: "Acme", Street: "2 Shop St", City: "Berlin", PostalCode: "10115", Country: "DE",
	}, 0)
	require.NoError(t, err)
	return jerry, nancy, office, store
}

func TestImportAddresses(t *testing.T) {
	h := newHarness(t)
	jerry, nancy, office, store := impAddrFixture(t, h)

	rep := h.importAddresses(h.admin, customeruser.ModeSkipInvalid, impFile(impAddrHeader,
		// Update by Address ID: only the street changes.
		impAddr(office.ID.String(), "", "", "", "", "9 New St", "", "", "", "", "", "", jerry.ID.String()),
		// Update by label (case aside), found through the e-mail.
		impAddr("", "store", "", "", "", "", "", "", "", "", "+49 30 1234567", "", "", "JERRY@acme.test"),
		// Add through the user id; a default implies the type.
		impAddr("", "Home", "", "Nancy", "Smith", "801 Scenic Hwy", "33844", "Haines City", "FL", "us", "", "1",
			nancy.ID.String(), "", "", "", "", "1"),
	))
	require.Empty(t, rep.RowErrors)
	assert.Equal(t, 2, rep.Updated)
	assert.Equal(t, 1, rep.Added)
	got := h.userByEmail("jerry@acme.test")
	require.Len(t, got.Addresses, 2)
	assert.Equal(t, "9 New St", got.Addresses[0].Street)
	assert.Equal(t, "Office", got.Addresses[0].Label, "empty cells keep values")
	assert.Equal(t, []customeruser.AddressTypeFlag{{Type: customeruser.Billing, Default: true}}, got.Addresses[0].Types)
	assert.Equal(t, "+49 30 1234567", got.Addresses[1].Phone)
	assert.Equal(t, store.ID, got.Addresses[1].ID)
	n := h.userByEmail("nancy@acme.test")
	require.Len(t, n.Addresses, 1)
	home := n.Addresses[0]
	assert.Equal(t, "US", home.Country)
	assert.Equal(t, "FL", home.Region)
	assert.True(t, home.Primary)
	assert.Equal(t, []customeruser.AddressTypeFlag{{Type: customeruser.Shipping, Default: true}}, home.Types)
	ev := h.events(n.ID)
	assert.Equal(t, customeruser.EventAddressAdded, ev[len(ev)-1].Type)

	// Oro's combined region code, and delete.
	rep = h.importAddresses(h.admin, customeruser.ModeAllOrNothing, impFile(
		"Address ID,Email Address,State Combined code,Owner Username,Delete",
		home.ID.String()+",nancy@acme.test,US-NY,admin,",
		store.ID.String()+",jerry@acme.test,,admin,1",
	))
	require.Empty(t, rep.RowErrors)
	assert.Equal(t, 1, rep.Updated)
	assert.Equal(t, 1, rep.Deleted)
	assert.Equal(t, "NY", h.userByEmail("nancy@acme.test").Addresses[0].Region)
	assert.Len(t, h.userByEmail("jerry@acme.test").Addresses, 1)

	// An address id of another user is never taken: a new address is added.
	rep = h.importAddresses(h.admin, customeruser.ModeSkipInvalid, impFile(impAddrHeader,
		impAddr(home.ID.String(), "Copy", "Acme", "", "", "1 St", "1", "X", "", "DE", "", "", "", "jerry@acme.test")))
	require.Empty(t, rep.RowErrors)
	assert.Equal(t, 1, rep.Added)
	assert.Len(t, h.userByEmail("nancy@acme.test").Addresses, 1)

	// The same file again changes nothing.
	before := h.impState()
	rep = h.importAddresses(h.admin, customeruser.ModeSkipInvalid, impFile(impAddrHeader,
		impAddr(office.ID.String(), "Office", "Acme", "", "", "9 New St", "10115", "Berlin", "", "DE", "", "0", "", "jerry@acme.test", "1", "1", "0", "0", "0")))
	require.Empty(t, rep.RowErrors)
	assert.Equal(t, 1, rep.Unchanged)
	assert.Equal(t, before, h.impState())
}

func TestImportAddressesBadInputs(t *testing.T) {
	h := newHarness(t)
	acme := h.customer("Acme", uuid.Nil)
	u := h.user(acme.ID, "u@acme.test")
	_, office, err := h.svc.AddAddress(h.ctx, h.admin, u.ID, customeruser.Address{
		Label: "Office", Organization: "Acme", Street: "1 St", City: "Berlin", PostalCode: "10115", Country: "DE",
		Types: []customeruser.AddressTypeFlag{{Type: customeruser.Billing, Default: true}},
	}, 0)
	require.NoError(t, err)
	for _, label := range []string{"Twin", "twin"} {
		_, _, err = h.svc.AddAddress(h.ctx, h.admin, u.ID, customeruser.Address{
			Label: label, Organization: "Acme", Street: "1 St", City: "Berlin", PostalCode: "10115", Country: "DE",
		}, 0)
		require.NoError(t, err)
	}
	newAddr := func(email, country string, more ...string) string {
		return impAddr(append([]string{"", "New", "Acme", "", "", "1 St", "1", "X", "", country, "", "", "", email}, more...)...)
	}
	tests := []struct {
		name        string
		rows        []string
		row         int
		field, rule string
	}{
		{"no such user", []string{newAddr("ghost@acme.test", "DE")}, 2, "Email Address", "not_found"},
		{"no user named", []string{newAddr("", "DE")}, 2, "Email Address", "required"},
		{"no user with this id", []string{impAddr("", "New", "Acme", "", "", "1 St", "1", "X", "", "DE", "", "", uuid.NewString())}, 2, "Customer User ID", "not_found"},
		{"user id not an id", []string{impAddr("", "", "", "", "", "", "", "", "", "", "", "", "u-1")}, 2, "Customer User ID", "format"},
		{"bad country", []string{newAddr("u@acme.test", "XX")}, 2, "Country ISO2 code", "country"},
		{"street required", []string{impAddr("", "New", "Acme", "", "", "", "1", "X", "", "DE", "", "", "", "u@acme.test")}, 2, "Street", "required"},
		{"second default billing", []string{newAddr("u@acme.test", "DE", "1", "1")}, 2, "Default Billing", "default_type"},
		{"default of a type it has not", []string{newAddr("u@acme.test", "DE", "0", "1")}, 2, "Default Billing", "requires_type"},
		{"flag not a flag", []string{newAddr("u@acme.test", "DE", "sure")}, 2, "Billing", "format"},
		{"ambiguous label", []string{impAddr("", "TWIN", "", "", "", "", "", "", "", "", "", "", "", "u@acme.test")}, 2, "Label", "ambiguous"},
		{"delete nothing", []string{impAddr(uuid.NewString(), "", "", "", "", "", "", "", "", "", "", "", "", "u@acme.test", "", "", "", "", "1")}, 2, "Delete", "not_found"},
		{"the same address twice", []string{
			impAddr(office.ID.String(), "", "", "", "", "2 St", "", "", "", "", "", "", "", "u@acme.test"),
			impAddr("", "office", "", "", "", "3 St", "", "", "", "", "", "", "", "u@acme.test"),
		}, 3, "Label", "duplicate"},
		{"broken quoting", []string{`,"New"x,Acme,,,1 St,1,X,,DE,,,,u@acme.test,,,,,`}, 2, "Label", "csv"},
		{"non-UTF-8 bytes", []string{impAddr("", "New", "Ac\xffme", "", "", "1 St", "1", "X", "", "DE", "", "", "", "u@acme.test")}, 2, "Organization", "encoding"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := h.impState()
			for _, mode := range []customeruser.ImportMode{customeruser.ModeValidate, customeruser.ModeAllOrNothing} {
				rep := h.importAddresses(h.admin, mode, impFile(append([]string{impAddrHeader}, tt.rows...)...))
				assert.Equal(t, 1, rep.Errors, mode)
				impHasError(t, rep, tt.row, tt.field, tt.rule)
				assert.False(t, rep.Committed, mode)
				assert.Equal(t, before, h.impState(), "nothing changed (%s)", mode)
			}
		})
	}

	_, err = h.svc.ImportAddresses(h.ctx, h.admin, strings.NewReader(impFile("Label,Street", "a,b")), customeruser.ImportOptions{})
	var e *cu.Error
	require.ErrorAs(t, err, &e)
	_, ok := e.Violation("Email Address")
	assert.True(t, ok, "a user column is required")
}

func TestImportAddressesValidateSeesEarlierRows(t *testing.T) {
	h := newHarness(t)
	acme := h.customer("Acme", uuid.Nil)
	h.user(acme.ID, "u@acme.test")
	before := h.impState()
	// Two new default billing addresses of one user: the second breaks the
	// one-default rule against the first, in a dry run too and across
	// batches.
	file := impFile(impAddrHeader,
		impAddr("", "A", "Acme", "", "", "1 St", "1", "X", "", "DE", "", "", "", "u@acme.test", "1", "1"),
		impAddr("", "B", "Acme", "", "", "1 St", "1", "X", "", "DE", "", "", "", "u@acme.test", "1", "1"),
	)
	for _, mode := range []customeruser.ImportMode{customeruser.ModeValidate, customeruser.ModeSkipInvalid} {
		rep, err := h.svc.ImportAddresses(h.ctx, h.admin, strings.NewReader(file), customeruser.ImportOptions{Mode: mode, BatchSize: 1})
		require.NoError(t, err)
		assert.Equal(t, 1, rep.Added, mode)
		impHasError(t, rep, 3, "Default Billing", "default_type")
		if mode == customeruser.ModeValidate {
			assert.Equal(t, before, h.impState())
		}
	}
	assert.Len(t, h.userByEmail("u@acme.test").Addresses, 1)
}

func TestImportAddressesStorefront(t *testing.T) {
	h := newHarness(t)
	acme := h.customer("Acme", uuid.Nil)
	boss := h.user(acme.ID, "boss@acme.test", h.adminRole.ID)
	h.user(acme.ID, "colleague@acme.test")
	rep := h.importAddresses(h.storefront(boss), customeruser.ModeSkipInvalid, impFile(impAddrHeader,
		impAddr("", "Mine", "Acme", "", "", "1 St", "1", "X", "", "DE", "", "", "", "boss@acme.test"),
		impAddr("", "Theirs", "Acme", "", "", "1 St", "1", "X", "", "DE", "", "", "", "colleague@acme.test"),
	))
	assert.Equal(t, 1, rep.Added)
	impHasError(t, rep, 3, "", "forbidden")
	assert.Empty(t, h.userByEmail("colleague@acme.test").Addresses)
}

// oroAddrHeader is the header of an address file as Oro writes it: all of
// Oro's address columns, in the order of Oro's import test (not the order of
// ExportAddresses) and with Oro's spelling "Customer User Id".
const oroAddrHeader = "Label,Organization,Name Prefix,First Name,Middle Name,Last Name,Name Suffix,Street,Street 2," +
	"Zip/Postal Code,City,State,State Combined code,Country ISO2 code,Address ID,Phone,Primary,Customer User Id," +
	"Email Address,Owner Username,Billing,Default Billing,Shipping,Default Shipping,Delete,Validated At"

func TestImportAddressesOroFile(t *testing.T) {
	h := newHarness(t)
	_, nancy, office, store := impAddrFixture(t, h)

	file := impFile(oroAddrHeader,
		// Update by Address ID; Owner Username and Validated At are ignored.
		"Office,Acme,,,,,,9 New St,,10001,New York,,US-NY,US,"+office.ID.String()+",,1,,jerry@acme.test,admin,,,,,,2024-05-01 10:00:00",
		// Add by e-mail, the region as Oro's combined code.
		"Home,,Mrs.,Nancy,,Smith,,801 Scenic Hwy,,33844,Haines City,,US-FL,US,,+1 212 123 4567,1,,nancy@acme.test,admin,1,1,1,1,,",
		// Add by user id, the region as free text.
		"Munich office,ACME GmbH,,,,,,Hauptstr. 1,,80331,München,Bayern,,DE,,,0,"+nancy.ID.String()+",,,1,0,0,0,,not a time",
		// Delete.
		"Store,,,,,,,,,,,,,,"+store.ID.String()+",,,,jerry@acme.test,admin,,,,,1,2024-05-01 10:00:00",
	)
	rep, err := h.svc.ImportAddresses(h.ctx, h.admin, strings.NewReader(file), customeruser.ImportOptions{Mode: customeruser.ModeAllOrNothing})
	require.NoError(t, err)
	require.Empty(t, rep.RowErrors)
	assert.Equal(t, 4, rep.Read)
	assert.Equal(t, 2, rep.Added)
	assert.Equal(t, 1, rep.Updated)
	assert.Equal(t, 1, rep.Deleted)
	assert.True(t, rep.Committed)

	j := h.userByEmail("jerry@acme.test")
	require.Len(t, j.Addresses, 1)
	got := j.Addresses[0]
	assert.Equal(t, office.ID, got.ID)
	assert.Equal(t, []string{"9 New St", "10001", "New York", "NY", "US"}, []string{got.Street, got.PostalCode, got.City, got.Region, got.Country})
	assert.True(t, got.Primary)
	assert.Equal(t, []customeruser.AddressTypeFlag{{Type: customeruser.Billing, Default: true}}, got.Types, "empty cells keep the types")

	n := h.userByEmail("nancy@acme.test")
	require.Len(t, n.Addresses, 2)
	home, munich := n.Addresses[0], n.Addresses[1]
	assert.Equal(t, []string{"Home", "Mrs.", "Nancy", "Smith", "FL", "US", "+1 212 123 4567"},
		[]string{home.Label, home.NamePrefix, home.FirstName, home.LastName, home.Region, home.Country, home.Phone})
	assert.True(t, home.Primary)
	assert.Equal(t, []customeruser.AddressTypeFlag{{Type: customeruser.Billing, Default: true}, {Type: customeruser.Shipping, Default: true}}, home.Types)
	assert.Equal(t, []string{"Munich office", "ACME GmbH", "Bayern", "DE"}, []string{munich.Label, munich.Organization, munich.Region, munich.Country})
	assert.False(t, munich.Primary)
	assert.Equal(t, []customeruser.AddressTypeFlag{{Type: customeruser.Billing}}, munich.Types)

	// Exported, the addresses come back in Oro's two region columns.
	rows := csvParse(t, h.exportAddresses(h.admin, customeruser.UserFilter{Email: "nancy@acme.test"}, customeruser.ExportOptions{}))
	require.Len(t, rows, 3)
	assert.Equal(t, []string{"", "US-FL"}, []string{csvCell(t, rows, 1, "State"), csvCell(t, rows, 1, "State Combined code")})
	assert.Equal(t, []string{"Bayern", ""}, []string{csvCell(t, rows, 2, "State"), csvCell(t, rows, 2, "State Combined code")})
}

func TestImportAddressesHeaderErrors(t *testing.T) {
	h := newHarness(t)
	acme := h.customer("Acme", uuid.Nil)
	h.user(acme.ID, "u@acme.test")
	tests := []struct {
		name        string
		header      string
		field, rule string
	}{
		{"unknown column", "Email Address,Street,Fax", "Fax", "unknown_column"},
		{"a column of the user file", "Email Address,Roles 1 Role", "Roles 1 Role", "unknown_column"},
		{"close to an Oro column", "Email Address,Validated", "Validated", "unknown_column"},
		{"an ignored column twice", "Email Address,Validated At,validated  at", "validated  at", "duplicate_column"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := h.impState()
			cells := strings.Repeat(",x", strings.Count(tt.header, ","))
			rep, err := h.svc.ImportAddresses(h.ctx, h.admin, strings.NewReader(impFile(tt.header, "u@acme.test"+cells)),
				customeruser.ImportOptions{Mode: customeruser.ModeSkipInvalid})
			var e *cu.Error
			require.ErrorAs(t, err, &e)
			assert.Equal(t, cu.CodeInvalid, e.Code)
			v, ok := e.Violation(tt.field)
			require.True(t, ok, "%v", e.Violations)
			assert.Equal(t, tt.rule, v.Rule)
			assert.Contains(t, v.Message, tt.field)
			assert.Len(t, e.Violations, 1, "only the bad column is refused")
			assert.Zero(t, rep.Read)
			assert.Equal(t, before, h.impState())
		})
	}
}
