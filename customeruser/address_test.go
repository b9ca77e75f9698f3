package customeruser_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	cu "github.com/b2bkit/customerusers"
	"github.com/b2bkit/customerusers/customeruser"
)

// addrValid is a complete address with a person's name.
func addrValid() customeruser.Address {
	return customeruser.Address{
		FirstName: "Ada", LastName: "Lovelace", Street: "1 Main St", City: "London", PostalCode: "N1 9GU", Country: "GB",
	}
}

func addrWith(f func(a *customeruser.Address)) customeruser.Address {
	a := addrValid()
	f(&a)
	return a
}

func addrTypes(flags ...customeruser.AddressTypeFlag) func(a *customeruser.Address) {
	return func(a *customeruser.Address) { a.Types = flags }
}

var (
	addrBilling         = customeruser.AddressTypeFlag{Type: customeruser.Billing}
	addrShipping        = customeruser.AddressTypeFlag{Type: customeruser.Shipping}
	addrDefaultBilling  = customeruser.AddressTypeFlag{Type: customeruser.Billing, Default: true}
	addrDefaultShipping = customeruser.AddressTypeFlag{Type: customeruser.Shipping, Default: true}
)

func TestValidateAddressesValid(t *testing.T) {
	tests := []struct {
		name  string
		addrs []customeruser.Address
	}{
		{"none", nil},
		{"person", []customeruser.Address{addrValid()}},
		{"organization only", []customeruser.Address{addrWith(func(a *customeruser.Address) {
			a.FirstName, a.LastName, a.Organization = "", "", "Acme Ltd"
		})}},
		{"first name and organization", []customeruser.Address{addrWith(func(a *customeruser.Address) {
			a.LastName, a.Organization = "", "Acme Ltd"
		})}},
		{"lower-case country", []customeruser.Address{addrWith(func(a *customeruser.Address) { a.Country = " de " })}},
		{"all fields at their limits", []customeruser.Address{addrWith(func(a *customeruser.Address) {
			a.Street, a.Street2 = strings.Repeat("s", 500), strings.Repeat("ś", 500)
			a.City, a.Label, a.Region = strings.Repeat("c", 255), strings.Repeat("l", 255), strings.Repeat("r", 255)
		})}},
		{"both types with defaults", []customeruser.Address{addrWith(addrTypes(addrDefaultBilling, addrDefaultShipping))}},
		{"defaults on different addresses", []customeruser.Address{
			addrWith(addrTypes(addrDefaultBilling, addrShipping)),
			addrWith(addrTypes(addrBilling, addrDefaultShipping)),
			addrWith(addrTypes(addrBilling, addrShipping)),
		}},
		{"one primary among many", []customeruser.Address{addrValid(), addrWith(func(a *customeruser.Address) { a.Primary = true }), addrValid()}},
		{"phone", []customeruser.Address{addrWith(func(a *customeruser.Address) { a.Phone = "+44 (0)20 7946-0958" })}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Empty(t, customeruser.ValidateAddresses(tt.addrs))
		})
	}
}

func TestValidateAddressesInvalid(t *testing.T) {
	tests := []struct {
		name  string
		addrs []customeruser.Address
		field string
		rule  string
		// words the message must contain
		words []string
	}{
		{"missing country", []customeruser.Address{addrWith(func(a *customeruser.Address) { a.Country = " " })}, "addresses[0].country", "required", nil},
		{"unknown country", []customeruser.Address{addrWith(func(a *customeruser.Address) { a.Country = "XX" })}, "addresses[0].country", "country", nil},
		{"alpha-3 country", []customeruser.Address{addrWith(func(a *customeruser.Address) { a.Country = "GBR" })}, "addresses[0].country", "country", nil},
		{"missing street", []customeruser.Address{addrWith(func(a *customeruser.Address) { a.Street = "" })}, "addresses[0].street", "required", nil},
		{"missing city", []customeruser.Address{addrWith(func(a *customeruser.Address) { a.City = "  " })}, "addresses[0].city", "required", nil},
		{"missing postal code", []customeruser.Address{addrWith(func(a *customeruser.Address) { a.PostalCode = "" })}, "addresses[0].postalCode", "required", nil},
		{"no name nor organization", []customeruser.Address{addrWith(func(a *customeruser.Address) { a.FirstName, a.LastName = "", "" })}, "addresses[0].firstName", "name_or_organization", nil},
		{"first name only", []customeruser.Address{addrWith(func(a *customeruser.Address) { a.LastName = "" })}, "addresses[0].firstName", "name_or_organization", nil},
		{"last name only", []customeruser.Address{addrWith(func(a *customeruser.Address) { a.FirstName = " " })}, "addresses[0].firstName", "name_or_organization", nil},
		{"long street", []customeruser.Address{addrWith(func(a *customeruser.Address) { a.Street = strings.Repeat("s", 501) })}, "addresses[0].street", "max_length", nil},
		{"long street2", []customeruser.Address{addrWith(func(a *customeruser.Address) { a.Street2 = strings.Repeat("s", 501) })}, "addresses[0].street2", "max_length", nil},
		{"long city", []customeruser.Address{addrWith(func(a *customeruser.Address) { a.City = strings.Repeat("c", 256) })}, "addresses[0].city", "max_length", nil},
		{"long postal code", []customeruser.Address{addrWith(func(a *customeruser.Address) { a.PostalCode = strings.Repeat("1", 256) })}, "addresses[0].postalCode", "max_length", nil},
		{"long label", []customeruser.Address{addrWith(func(a *customeruser.Address) { a.Label = strings.Repeat("l", 256) })}, "addresses[0].label", "max_length", nil},
		{"long organization", []customeruser.Address{addrWith(func(a *customeruser.Address) { a.Organization = strings.Repeat("o", 256) })}, "addresses[0].organization", "max_length", nil},
		{"long first name", []customeruser.Address{addrWith(func(a *customeruser.Address) { a.FirstName = strings.Repeat("f", 256) })}, "addresses[0].firstName", "max_length", nil},
		{"long last name", []customeruser.Address{addrWith(func(a *customeruser.Address) { a.LastName = strings.Repeat("f", 256) })}, "addresses[0].lastName", "max_length", nil},
		{"long middle name", []customeruser.Address{addrWith(func(a *customeruser.Address) { a.MiddleName = strings.Repeat("m", 256) })}, "addresses[0].middleName", "max_length", nil},
		{"long name prefix", []customeruser.Address{addrWith(func(a *customeruser.Address) { a.NamePrefix = strings.Repeat("p", 256) })}, "addresses[0].namePrefix", "max_length", nil},
		{"long name suffix", []customeruser.Address{addrWith(func(a *customeruser.Address) { a.NameSuffix = strings.Repeat("p", 256) })}, "addresses[0].nameSuffix", "max_length", nil},
		{"long region", []customeruser.Address{addrWith(func(a *customeruser.Address) { a.Region = strings.Repeat("r", 256) })}, "addresses[0].region", "max_length", nil},
		{"bad phone", []customeruser.Address{addrWith(func(a *customeruser.Address) { a.Phone = "call me" })}, "addresses[0].phone", "format", nil},
		{"unknown type", []customeruser.Address{addrWith(addrTypes(customeruser.AddressTypeFlag{Type: "delivery"}))}, "addresses[0].types", "type", nil},
		{"type twice", []customeruser.Address{addrWith(addrTypes(addrBilling, addrDefaultBilling))}, "addresses[0].types", "duplicate", nil},
		{"default billing twice", []customeruser.Address{
			addrWith(addrTypes(addrDefaultBilling)),
			addrWith(addrTypes(addrShipping)),
			addrWith(addrTypes(addrDefaultBilling, addrShipping)),
		}, "addresses[2].types", "default_type", []string{"billing"}},
		{"both defaults twice", []customeruser.Address{
			addrWith(addrTypes(addrDefaultBilling, addrDefaultShipping)),
			addrWith(addrTypes(addrDefaultShipping, addrDefaultBilling)),
		}, "addresses[1].types", "default_type", []string{"billing", "shipping"}},
		{"two primaries", []customeruser.Address{
			addrWith(func(a *customeruser.Address) { a.Primary = true }),
			addrValid(),
			addrWith(func(a *customeruser.Address) { a.Primary = true }),
		}, "addresses[2].primary", "single_primary", nil},
		{"index of a later address", []customeruser.Address{addrValid(), addrWith(func(a *customeruser.Address) { a.City = "" })}, "addresses[1].city", "required", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vs := customeruser.ValidateAddresses(tt.addrs)
			err := cu.Violations(vs).Err()
			v := custAssertInvalid(t, err, tt.field, tt.rule)
			for _, w := range tt.words {
				assert.Contains(t, v.Message, w)
			}
			// Only the offending field is reported.
			for _, x := range vs {
				assert.Equal(t, tt.field, x.Field, "unexpected violation %v", x)
			}
		})
	}
}

func TestValidateAddressesNormalizes(t *testing.T) {
	addrs := []customeruser.Address{{
		Label: " Home ", Organization: " Acme ", FirstName: " Ada ", LastName: " Lovelace ", Street: " 1 Main St ",
		Street2: " Floor 2 ", City: " London ", PostalCode: " N1 ", Country: " gb ", Region: " LND ", Phone: " +44 20 7946 0958 ",
		Types: []customeruser.AddressTypeFlag{{Type: " Billing ", Default: true}},
	}}
	require.Empty(t, customeruser.ValidateAddresses(addrs))
	a := addrs[0]
	assert.Equal(t, "Home", a.Label)
	assert.Equal(t, "Acme", a.Organization)
	assert.Equal(t, "Ada", a.FirstName)
	assert.Equal(t, "Lovelace", a.LastName)
	assert.Equal(t, "1 Main St", a.Street)
	assert.Equal(t, "Floor 2", a.Street2)
	assert.Equal(t, "London", a.City)
	assert.Equal(t, "N1", a.PostalCode)
	assert.Equal(t, "GB", a.Country)
	assert.Equal(t, "LND", a.Region)
	assert.Equal(t, "+44 20 7946 0958", a.Phone)
	assert.Equal(t, []customeruser.AddressTypeFlag{addrDefaultBilling}, a.Types)

	// NormalizeAddress shares nothing with its input.
	in := addrWith(addrTypes(customeruser.AddressTypeFlag{Type: "SHIPPING"}))
	out := customeruser.NormalizeAddress(in)
	assert.Equal(t, customeruser.Shipping, out.Types[0].Type)
	assert.Equal(t, customeruser.AddressType("SHIPPING"), in.Types[0].Type)
}

func TestValidPhone(t *testing.T) {
	for _, p := range []string{
		"+4930123456", "030 1234567", "+1 (555) 123-4567", "555.123.4567", "+44 (0)20 7946 0958", "1234567",
		"123456789012345", "+1-555-123-4567", "(030) 1234567", "555 - 1234 567",
	} {
		assert.True(t, customeruser.ValidPhone(p), p)
	}
	for _, p := range []string{
		"", "+", "123456", "1234567890123456", "++4930123456", "+49 30 123456x", "phone", "12 34 56",
		"(030 1234567", "030) 1234567", "((030)) 1234567", "+49 (30 (1) 2345", "-5551234567", "5551234567-",
		"+ 4930123456", "555/1234567", "()5551234567", "+4930123456 ext 2",
	} {
		assert.False(t, customeruser.ValidPhone(p), p)
	}
}

func TestCountries(t *testing.T) {
	codes := customeruser.Countries()
	assert.Len(t, codes, 249)
	assert.True(t, slices.IsSorted(codes))
	assert.Len(t, slices.Compact(slices.Clone(codes)), 249, "no duplicates")
	for _, c := range codes {
		assert.Len(t, c, 2)
		assert.Equal(t, strings.ToUpper(c), c)
		assert.True(t, customeruser.ValidCountry(c), c)
	}
	for _, c := range []string{"DE", "de", "US", "GB", "AX", "BQ", "CW", "SS", "SX", "ZW"} {
		assert.True(t, customeruser.ValidCountry(c), c)
	}
	for _, c := range []string{"", "D", "DEU", "UK", "XK", "EU", "ZZ", "AN", "YU", "1A", "de "} {
		assert.False(t, customeruser.ValidCountry(c), c)
	}
	// The caller's copy does not alter the table.
	codes[0] = "XX"
	assert.Equal(t, "AD", customeruser.Countries()[0])
}

func TestAddressRulesApplyToUsers(t *testing.T) {
	h := newHarness(t)
	c := h.customer("Acme", uuid.Nil)
	events := h.eventCount()
	_, err := h.svc.CreateUser(h.ctx, h.admin, customeruser.CreateUserInput{
		CustomerID: c.ID, Email: "addr@example.com", FirstName: "Ada", LastName: "Lovelace",
		RoleIDs: []uuid.UUID{h.buyerRole.ID}, Password: testPassword,
		Addresses: []customeruser.Address{addrValid(), addrWith(func(a *customeruser.Address) { a.Country = "XX" })},
	})
	custAssertInvalid(t, err, "addresses[1].country", "country")
	assert.Equal(t, events, h.eventCount())
	page, err := h.store.Users().List(h.ctx, h.org, customeruser.UserFilter{}, cu.Page{})
	require.NoError(t, err)
	assert.Empty(t, page.Items)
}
