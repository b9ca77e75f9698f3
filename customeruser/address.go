package customeruser

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	cu "github.com/b2bkit/customerusers"
)

// The longest values of address fields: streets may be long, everything
// else is a 255-character column.
const (
	addrStreetMaxLen = 500
	addrFieldMaxLen  = 255
)

// normalizeAddress trims every string field of a, upper-cases its country
// and copies its types, so that the result shares nothing with a.
func normalizeAddress(a Address) Address {
	for _, p := range []*string{
		&a.Label, &a.Organization, &a.NamePrefix, &a.FirstName, &a.MiddleName, &a.LastName,
		&a.NameSuffix, &a.Street, &a.Street2, &a.City, &a.PostalCode, &a.Region, &a.Phone,
	} {
		*p = strings.TrimSpace(*p)
	}
	a.Country = strings.ToUpper(strings.TrimSpace(a.Country))
	a.Types = slices.Clone(a.Types)
	for i := range a.Types {
		a.Types[i].Type = AddressType(strings.ToLower(strings.TrimSpace(string(a.Types[i].Type))))
	}
	return a
}

// validateAddresses normalises addrs in place (see normalizeAddress) and
// checks them as the complete address list of one customer user. Fields are
// reported as "addresses[i].<field>". Rules: country (a valid ISO 3166-1
// alpha-2 code), street, city and postal code are required; either first
// and last name or organization must be given; streets are at most 500
// characters, other fields 255; the phone must look like a phone number;
// types are billing or shipping, each at most once per address; across the
// list each type is default on at most one address, and at most one address
// is primary.
func validateAddresses(addrs []Address) []cu.Violation {
	var v cu.Violations
	defaultAt := map[AddressType]int{}
	primaryAt := -1
	for i := range addrs {
		addrs[i] = normalizeAddress(addrs[i])
		a := addrs[i]
		f := func(name string) string { return fmt.Sprintf("addresses[%d].%s", i, name) }

		switch {
		case a.Country == "":
			v.Add(f("country"), "required", "The country is required.")
		case !ValidCountry(a.Country):
			v.Addf(f("country"), "country", "%q is not an ISO 3166-1 alpha-2 country code.", a.Country)
		}
		for _, r := range []struct {
			name, value, label string
		}{
			{"street", a.Street, "street"},
			{"city", a.City, "city"},
			{"postalCode", a.PostalCode, "postal code"},
		} {
			if r.value == "" {
				v.Addf(f(r.name), "required", "The %s is required.", r.label)
			}
		}
		if (a.FirstName == "" || a.LastName == "") && a.Organization == "" {
			v.Add(f("firstName"), "name_or_organization", "Either the first and last name or the organization is required.")
		}
		for _, r := range []struct {
			name, value string
			max         int
		}{
			{"label", a.Label, addrFieldMaxLen},
			{"organization", a.Organization, addrFieldMaxLen},
			{"namePrefix", a.NamePrefix, addrFieldMaxLen},
			{"firstName", a.FirstName, addrFieldMaxLen},
			{"middleName", a.MiddleName, addrFieldMaxLen},
			{"lastName", a.LastName, addrFieldMaxLen},
			{"nameSuffix", a.NameSuffix, addrFieldMaxLen},
			{"street", a.Street, addrStreetMaxLen},
			{"street2", a.Street2, addrStreetMaxLen},
			{"city", a.City, addrFieldMaxLen},
			{"postalCode", a.PostalCode, addrFieldMaxLen},
			{"region", a.Region, addrFieldMaxLen},
			{"phone", a.Phone, addrFieldMaxLen},
		} {
			if utf8.RuneCountInString(r.value) > r.max {
				v.Addf(f(r.name), "max_length", "This value must be at most %d characters long.", r.max)
			}
		}
		if a.Phone != "" && !validPhone(a.Phone) {
			v.Add(f("phone"), "format", "This is not a valid phone number.")
		}

		seen := map[AddressType]bool{}
		var repeated []string
		for _, t := range a.Types {
			if t.Type != Billing && t.Type != Shipping {
				v.Addf(f("types"), "type", "%q is not an address type (billing or shipping).", t.Type)
				continue
			}
			if seen[t.Type] {
				v.Addf(f("types"), "duplicate", "The type %q is given more than once.", t.Type)
				continue
			}
			seen[t.Type] = true
			if !t.Default {
				continue
			}
			if _, ok := defaultAt[t.Type]; ok {
				repeated = append(repeated, string(t.Type))
			} else {
				defaultAt[t.Type] = i
			}
		}
		if len(repeated) > 0 {
			v.Addf(f("types"), "default_type", "Several addresses are the default for the same type: %s.", strings.Join(repeated, ", "))
		}

		if a.Primary {
			if primaryAt >= 0 {
				v.Addf(f("primary"), "single_primary", "Only one address can be primary (address %d already is).", primaryAt)
			} else {
				primaryAt = i
			}
		}
	}
	return v
}

// validPhone reports whether s looks like a phone number (E.164-ish): an
// optional leading "+", then digits grouped by spaces, dots, dashes or
// parentheses, 7 to 15 digits in all. Parentheses must pair up and not
// nest; the number starts with a digit or "(" and ends with a digit.
// Callers trim s first.
func validPhone(s string) bool {
	s = strings.TrimPrefix(s, "+")
	if s == "" {
		return false
	}
	if c := s[0]; c != '(' && (c < '0' || c > '9') {
		return false
	}
	if c := s[len(s)-1]; c < '0' || c > '9' {
		return false
	}
	digits, open := 0, false
	var prev byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			digits++
		case c == '(':
			if open {
				return false
			}
			open = true
		case c == ')':
			if !open || prev == '(' {
				return false
			}
			open = false
		case c == ' ' || c == '.' || c == '-':
		default:
			return false
		}
		prev = c
	}
	return !open && digits >= 7 && digits <= 15
}
