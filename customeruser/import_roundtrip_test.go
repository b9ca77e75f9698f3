package customeruser_test

import (
	"encoding/csv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	cu "github.com/b2bkit/customerusers"
	"github.com/b2bkit/customerusers/customeruser"
)

// TestImportExportRoundTrip exports an organization's users and addresses,
// imports both files into an empty organization (same websites, seeded
// roles, customers of the same names) and exports again: the files are the
// same but for the ids, which must differ (ID, Customer Id, Address ID,
// Customer User ID). The customers are found by name: the Customer Id
// column is dropped before importing. Importing the second organization's
// own export into it again changes nothing.
func TestImportExportRoundTrip(t *testing.T) {
	h := newHarness(t)
	acme := h.customer("Acme", uuid.Nil)
	beta := h.customer("Beta, GmbH", uuid.Nil)
	bday := time.Date(1987, 4, 19, 0, 0, 0, 0, time.UTC)
	owner := uuid.New()
	create := func(in customeruser.CreateUserInput) customeruser.User {
		t.Helper()
		if in.Password == "" && !in.Guest {
			in.Password = testPassword
		}
		u, err := h.svc.CreateUser(h.ctx, h.admin, in)
		require.NoError(t, err)
		return u
	}
	jerry := create(customeruser.CreateUserInput{
		CustomerID: acme.ID, Email: "jerry@acme.test", NamePrefix: "Mr", FirstName: "Jerry", MiddleName: "John",
		LastName: "Coleman", NameSuffix: "Jr.", Birthday: &bday, RoleIDs: []uuid.UUID{h.adminRole.ID, h.buyerRole.ID},
		OwnerID: owner, WebsiteID: h.website2.ID, Confirmed: new(false),
	})
	create(customeruser.CreateUserInput{CustomerID: acme.ID, Email: "plain@acme.test", FirstName: "Plain", LastName: "User", RoleIDs: []uuid.UUID{h.buyerRole.ID}})
	create(customeruser.CreateUserInput{CustomerID: beta.ID, Email: "idle@beta.test", FirstName: "Idle", LastName: "User", Enabled: new(false)})
	create(customeruser.CreateUserInput{CustomerID: beta.ID, Email: "guest@beta.test", FirstName: "Guest", LastName: "User", Guest: true})
	ted := create(customeruser.CreateUserInput{
		CustomerID: beta.ID, Email: "ted+o'brien@beta.test", FirstName: "Ted", LastName: `O'Brien, "Teddy"`,
		RoleIDs: []uuid.UUID{h.adminRole.ID},
	})
	for _, a := range []struct {
		user uuid.UUID
		addr customeruser.Address
	}{
		{jerry.ID, customeruser.Address{Label: "Office", Organization: "Acme", FirstName: "Jerry", LastName: "Coleman",
			Street: "801 Scenic Hwy", Street2: "Suite 2", City: "Haines City", PostalCode: "33844", Country: "US", Region: "FL",
			Phone: "+1 212 555 0100", Primary: true,
			Types: []customeruser.AddressTypeFlag{{Type: customeruser.Billing, Default: true}, {Type: customeruser.Shipping}}}},
		{jerry.ID, customeruser.Address{Organization: "Warehouse\nNorth", Street: "1 Dock Rd", City: "Tampa", PostalCode: "33601",
			Country: "US", Types: []customeruser.AddressTypeFlag{{Type: customeruser.Shipping, Default: true}}}},
		{ted.ID, customeruser.Address{Label: "Home", FirstName: "Ted", LastName: "O'Brien", Street: "Hauptstr. 1",
			City: "München", PostalCode: "80331", Country: "DE", Region: "Bayern"}},
	} {
		_, _, err := h.svc.AddAddress(h.ctx, h.admin, a.user, a.addr, 0)
		require.NoError(t, err)
	}

	byEmail := customeruser.ExportOptions{Sort: cu.Sort{Field: customeruser.SortEmail}}
	users1, _ := h.exportUsers(h.admin, customeruser.UserFilter{}, byEmail)
	addresses1 := h.exportAddresses(h.admin, customeruser.UserFilter{}, byEmail)

	// The empty organization.
	org2 := uuid.New()
	admin2 := cu.BackOfficeActor(org2, uuid.New())
	_, err := h.roles.Seed(h.ctx, org2)
	require.NoError(t, err)
	h.sites.Add(org2, h.website)
	h.sites.Add(org2, h.website2)
	for _, name := range []string{"Acme", "Beta, GmbH"} {
		_, err := h.svc.CreateCustomer(h.ctx, admin2, customeruser.CustomerInput{Name: name})
		require.NoError(t, err)
	}

	var b strings.Builder
	w := csv.NewWriter(&b)
	require.NoError(t, w.WriteAll(csvDrop(csvParse(t, users1), "Customer Id")))
	rep, err := h.svc.ImportUsers(h.ctx, admin2, strings.NewReader(b.String()), customeruser.ImportOptions{Mode: customeruser.ModeAllOrNothing})
	require.NoError(t, err)
	require.Empty(t, rep.RowErrors)
	assert.Equal(t, 5, rep.Added)
	rep, err = h.svc.ImportAddresses(h.ctx, admin2, strings.NewReader(addresses1), customeruser.ImportOptions{Mode: customeruser.ModeAllOrNothing})
	require.NoError(t, err)
	require.Empty(t, rep.RowErrors)
	assert.Equal(t, 3, rep.Added)

	var users2, addresses2 strings.Builder
	_, err = h.svc.ExportUsers(h.ctx, admin2, customeruser.UserFilter{}, &users2, byEmail)
	require.NoError(t, err)
	_, err = h.svc.ExportAddresses(h.ctx, admin2, customeruser.UserFilter{}, &addresses2, byEmail)
	require.NoError(t, err)
	assert.Equal(t, csvDrop(csvParse(t, users1), "ID", "Customer Id"), csvDrop(csvParse(t, users2.String()), "ID", "Customer Id"))
	assert.Equal(t, csvDrop(csvParse(t, addresses1), "Address ID", "Customer User ID"),
		csvDrop(csvParse(t, addresses2.String()), "Address ID", "Customer User ID"))
	assert.Contains(t, addresses2.String(), "\"Warehouse\r\nNorth\"", "line breaks survive")
	// A region code travels as Oro's combined code, free text as State.
	rows2 := csvParse(t, addresses2.String())
	assert.Equal(t, []string{"", "", "Bayern"}, []string{csvCell(t, rows2, 1, "State"), csvCell(t, rows2, 2, "State"), csvCell(t, rows2, 3, "State")})
	assert.Equal(t, []string{"US-FL", "", ""}, []string{
		csvCell(t, rows2, 1, "State Combined code"), csvCell(t, rows2, 2, "State Combined code"), csvCell(t, rows2, 3, "State Combined code"),
	})

	// Re-importing an organization's own export changes nothing.
	for _, imp := range []func() (customeruser.ImportReport, error){
		func() (customeruser.ImportReport, error) {
			return h.svc.ImportUsers(h.ctx, admin2, strings.NewReader(users2.String()), customeruser.ImportOptions{Mode: customeruser.ModeSkipInvalid})
		},
		func() (customeruser.ImportReport, error) {
			return h.svc.ImportAddresses(h.ctx, admin2, strings.NewReader(addresses2.String()), customeruser.ImportOptions{Mode: customeruser.ModeSkipInvalid})
		},
	} {
		rep, err := imp()
		require.NoError(t, err)
		require.Empty(t, rep.RowErrors)
		assert.Zero(t, rep.Added+rep.Updated+rep.Deleted)
		assert.Positive(t, rep.Unchanged)
		assert.False(t, rep.Committed)
	}
}
