package customeruser

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/google/uuid"

	cu "github.com/b2bkit/customerusers"
	"github.com/b2bkit/customerusers/role"
)

// The columns of the customer-user file, named as Oro names them so that
// files move between the two (SPEC §7). Role columns are numbered from 1:
// "Roles 1 Role", "Roles 2 Role"...
const (
	ColID           = "ID"
	ColNamePrefix   = "Name Prefix"
	ColFirstName    = "First Name"
	ColMiddleName   = "Middle Name"
	ColLastName     = "Last Name"
	ColNameSuffix   = "Name Suffix"
	ColBirthday     = "Birthday"
	ColEmail        = "Email Address"
	ColCustomerID   = "Customer Id"
	ColCustomerName = "Customer Name"
	ColGuest        = "Guest"
	ColEnabled      = "Enabled"
	ColConfirmed    = "Confirmed"
	ColOwnerID      = "Owner Id"
	ColWebsiteID    = "Website Id"
)

// RoleColumn names the n-th role column (n from 1) of the customer-user
// file.
func RoleColumn(n int) string { return fmt.Sprintf("Roles %d Role", n) }

// The columns of the address file, named as Oro's customer-user address
// import/export names them. The user an address belongs to is given by
// ColAddrUserID or, failing that, by ColEmail (the user's e-mail).
const (
	ColAddressID    = "Address ID"
	ColLabel        = "Label"
	ColOrganization = "Organization"
	ColStreet       = "Street"
	ColStreet2      = "Street 2"
	ColPostalCode   = "Zip/Postal Code"
	ColCity         = "City"
	// ColState is Oro's free-text region: exports write a region here
	// when it is not shaped like a region code (see ColStateCombined).
	ColState = "State"
	// ColStateCombined is Oro's region code prefixed with its country
	// ("US-FL"). Exports write a region shaped like an ISO 3166-2
	// subdivision code (1 to 3 upper-case letters or digits, "FL") here,
	// since Oro resolves this column against its region list and would
	// take a code in ColState as free text; imports store "US-FL" as "FL"
	// when the prefix is the address's country. When a row fills both,
	// ColState wins.
	ColStateCombined   = "State Combined code"
	ColCountry         = "Country ISO2 code"
	ColPhone           = "Phone"
	ColPrimary         = "Primary"
	ColAddrUserID      = "Customer User ID"
	ColBilling         = "Billing"
	ColDefaultBilling  = "Default Billing"
	ColShipping        = "Shipping"
	ColDefaultShipping = "Default Shipping"
	ColDelete          = "Delete"
	// ColOwnerUsername is Oro's back-office owner of a record, by user
	// name. The back-office users are the host's and known here by id
	// only (and addresses carry no owner of their own), so exports write
	// it empty and both imports accept and ignore it.
	ColOwnerUsername = "Owner Username"
	// ColValidatedAt is when Oro's address-validation integration (FedEx,
	// UPS) last checked an address. The library does not validate
	// addresses against a carrier and keeps no such time, so exports write
	// it empty and ImportAddresses accepts and ignores it.
	ColValidatedAt = "Validated At"
)

// userColumnsBefore and userColumnsAfter are the fixed columns around the
// role columns of the customer-user file.
var (
	userColumnsBefore = []string{
		ColID, ColNamePrefix, ColFirstName, ColMiddleName, ColLastName, ColNameSuffix, ColBirthday,
		ColEmail, ColCustomerID, ColCustomerName,
	}
	userColumnsAfter = []string{ColGuest, ColEnabled, ColConfirmed, ColOwnerID, ColWebsiteID}
)

// addressColumns are the columns of the address file: every column of
// Oro's address export, in Oro's order.
var addressColumns = []string{
	ColAddressID, ColLabel, ColOrganization, ColNamePrefix, ColFirstName, ColMiddleName, ColLastName,
	ColNameSuffix, ColStreet, ColStreet2, ColPostalCode, ColCity, ColState, ColStateCombined, ColCountry,
	ColPhone, ColPrimary, ColOwnerUsername, ColAddrUserID, ColEmail, ColBilling, ColDefaultBilling, ColShipping,
	ColDefaultShipping, ColDelete, ColValidatedAt,
}

// userHeader returns the header of a customer-user file with n role
// columns.
func userHeader(n int) []string {
	h := slices.Clone(userColumnsBefore)
	for i := 1; i <= n; i++ {
		h = append(h, RoleColumn(i))
	}
	return append(h, userColumnsAfter...)
}

// ExportOptions tune an export.
type ExportOptions struct {
	// Sort is the row order, as ListUsers sorts (createdAt by default,
	// email, lastName; Desc reverses), the id breaking ties.
	Sort cu.Sort
	// PageSize is how many users are read per storage round trip; 0 means
	// 500 (cu.MaxPageLimit, the most allowed).
	PageSize int
	// RoleColumns fixes the number of role columns of ExportUsers. Zero
	// means as many as the exported user with the most roles needs (at
	// least one): the Service learns it before writing the header, from
	// the storage in one query when it implements UserRoleCounter and the
	// actor's reach is the whole organization, else by a first pass over
	// the users (reading them twice). A fixed number spares that; a user
	// with more roles than columns then stops the export with an invalid
	// error on "roleColumns" rather than writing a file that would lose
	// roles on re-import.
	RoleColumns int
}

// ExportReport says what an export wrote.
type ExportReport struct {
	// Rows is the number of data rows written (users, or addresses).
	Rows int `json:"rows"`
	// Users is the number of users read.
	Users int `json:"users"`
	// RoleColumns is the number of role columns of a user file.
	RoleColumns int `json:"roleColumns,omitempty"`
	// Elapsed is the time the export took, by the Service's clock.
	Elapsed time.Duration `json:"elapsedNs"`
}

// UserRoleCounter is an optional UserRepository extension that tells the
// largest number of roles held by one user matching a filter, in one
// query. ExportUsers uses it (for actors whose reach is the whole
// organization) to size the role columns without reading every user twice.
type UserRoleCounter interface {
	MaxRoleCount(ctx context.Context, org uuid.UUID, f UserFilter) (int, error)
}

// exportCacheLimit bounds the customer and role look-up caches of an
// export: past it a cache starts again empty, so that memory stays flat
// whatever the number of rows.
const exportCacheLimit = 10_000

func (o ExportOptions) normalize() (ExportOptions, error) {
	var v cu.Violations
	switch {
	case o.PageSize == 0:
		o.PageSize = cu.MaxPageLimit
	case o.PageSize < 0 || o.PageSize > cu.MaxPageLimit:
		v.Addf("pageSize", "range", "The page size must be between 1 and %d.", cu.MaxPageLimit)
	}
	if o.RoleColumns < 0 {
		v.Add("roleColumns", "min", "The number of role columns cannot be negative.")
	}
	return o, v.Err()
}

// exportPages calls fn with each page of the users actor may list that
// match f, in keyset order. It goes through ListUsers, so that the filters
// and the reach of storefront actors are exactly the list API's.
func (s *Service) exportPages(ctx context.Context, actor cu.Actor, f UserFilter, o ExportOptions, fn func([]User) error) error {
	p := cu.Page{Limit: o.PageSize, Sort: o.Sort}
	for {
		page, err := s.ListUsers(ctx, actor, f, p)
		if err != nil {
			return err
		}
		if err := fn(page.Items); err != nil {
			return err
		}
		if page.NextCursor == "" {
			return nil
		}
		p.Cursor = page.NextCursor
	}
}

// exportRoleColumns decides the number of role columns (see
// ExportOptions.RoleColumns).
func (s *Service) exportRoleColumns(ctx context.Context, actor cu.Actor, f UserFilter, o ExportOptions) (int, error) {
	if o.RoleColumns > 0 {
		return o.RoleColumns, nil
	}
	if counter, ok := s.d.Users.(UserRoleCounter); ok {
		g, err := s.d.Authorizer.Grants(ctx, actor)
		if err != nil {
			return 0, err
		}
		if _, all := g.ReachCustomers(role.ResourceCustomerUser, role.View); all {
			n, err := counter.MaxRoleCount(ctx, actor.OrganizationID, f)
			if err != nil {
				return 0, cu.Internal(err)
			}
			return max(n, 1), nil
		}
	}
	n := 1
	err := s.exportPages(ctx, actor, f, o, func(users []User) error {
		for _, u := range users {
			n = max(n, len(u.RoleIDs))
		}
		return nil
	})
	return n, err
}

// exportLookups resolves customer names and role codes for the pages of an
// export, one storage round trip per page for what is not cached yet, with
// caches bounded by exportCacheLimit.
type exportLookups struct {
	s         *Service
	org       uuid.UUID
	customers map[uuid.UUID]string
	roles     map[uuid.UUID]string
}

func (s *Service) newExportLookups(org uuid.UUID) *exportLookups {
	return &exportLookups{s: s, org: org, customers: map[uuid.UUID]string{}, roles: map[uuid.UUID]string{}}
}

// load fetches the customers and roles of users missing from the caches.
func (l *exportLookups) load(ctx context.Context, users []User) error {
	var cids, rids []uuid.UUID
	for _, u := range users {
		if _, ok := l.customers[u.CustomerID]; !ok && u.CustomerID != uuid.Nil && !slices.Contains(cids, u.CustomerID) {
			cids = append(cids, u.CustomerID)
		}
		for _, id := range u.RoleIDs {
			if _, ok := l.roles[id]; !ok && !slices.Contains(rids, id) {
				rids = append(rids, id)
			}
		}
	}
	if len(cids) > 0 {
		if len(l.customers)+len(cids) > exportCacheLimit {
			clear(l.customers)
		}
		cs, err := l.s.d.Customers.GetMany(ctx, l.org, cids)
		if err != nil {
			return cu.Internal(err)
		}
		for _, c := range cs {
			l.customers[c.ID] = c.Name
		}
	}
	if len(rids) > 0 {
		if len(l.roles)+len(rids) > exportCacheLimit {
			clear(l.roles)
		}
		rs, err := l.s.d.Roles.GetMany(ctx, l.org, rids)
		if err != nil {
			return cu.Internal(err)
		}
		for _, r := range rs {
			l.roles[r.ID] = r.Code
		}
	}
	return nil
}

// ExportUsers writes the customer users actor may list that match f (the
// filters and reach of ListUsers: a storefront actor exports only users
// within its reach) to w as an RFC 4180 CSV file with Oro's columns: ID,
// Name Prefix, First Name, Middle Name, Last Name, Name Suffix, Birthday
// (YYYY-MM-DD), Email Address, Customer Id, Customer Name, Roles 1 Role,
// Roles 2 Role... (role codes, see ExportOptions.RoleColumns), Guest,
// Enabled, Confirmed (1 or 0), Owner Id, Website Id. Passwords, tokens,
// addresses (see ExportAddresses), sales representatives and login data
// are never exported. Users are read page by page in keyset order and
// written as they come, so memory does not grow with the number of rows.
// An error before the first page is read (bad options, actor or filter)
// leaves w untouched, so that an HTTP handler can still answer with an
// error status; a later error leaves the file incomplete, and the report
// counts what was written.
func (s *Service) ExportUsers(ctx context.Context, actor cu.Actor, f UserFilter, w io.Writer, opts ExportOptions) (ExportReport, error) {
	start := s.now()
	var rep ExportReport
	if err := userActorCheck(actor); err != nil {
		return rep, err
	}
	o, err := opts.normalize()
	if err != nil {
		return rep, err
	}
	n, err := s.exportRoleColumns(ctx, actor, f, o)
	if err != nil {
		return rep, err
	}
	rep.RoleColumns = n
	cw := newCSVWriter(w)
	header := userHeader(n)
	look := s.newExportLookups(actor.OrganizationID)
	rec := make([]string, len(header))
	first := true
	err = s.exportPages(ctx, actor, f, o, func(users []User) error {
		if first {
			// The header goes out with the first page, so that an error
			// reading it leaves w untouched.
			first = false
			if err := cw.Write(header); err != nil {
				return cu.Internal(err)
			}
		}
		if err := look.load(ctx, users); err != nil {
			return err
		}
		for _, u := range users {
			if len(u.RoleIDs) > n {
				return cu.FieldError("roleColumns", "too_few",
					fmt.Sprintf("Customer user %s has %d roles, more than the %d role columns asked for.", u.ID, len(u.RoleIDs), n))
			}
			exportUserRecord(rec, u, n, look)
			if err := cw.Write(rec); err != nil {
				return cu.Internal(err)
			}
			rep.Rows++
			rep.Users++
		}
		return exportFlush(cw)
	})
	if err == nil {
		err = exportFlush(cw)
	}
	rep.Elapsed = s.now().Sub(start)
	return rep, err
}

// exportUserRecord fills rec with the row of u.
func exportUserRecord(rec []string, u User, roleColumns int, look *exportLookups) {
	birthday := ""
	if u.Birthday != nil {
		birthday = u.Birthday.Format(time.DateOnly)
	}
	i := copy(rec, []string{
		u.ID.String(), u.NamePrefix, u.FirstName, u.MiddleName, u.LastName, u.NameSuffix, birthday,
		u.Email, csvID(u.CustomerID), look.customers[u.CustomerID],
	})
	for k := range roleColumns {
		rec[i+k] = ""
		if k < len(u.RoleIDs) {
			rec[i+k] = look.roles[u.RoleIDs[k]]
		}
	}
	i += roleColumns
	copy(rec[i:], []string{csvBool(u.Guest), csvBool(u.Enabled), csvBool(u.Confirmed), csvID(u.OwnerID), csvID(u.WebsiteID)})
}

// exportFlush pushes buffered rows to the writer and reports its error.
func exportFlush(cw *csv.Writer) error {
	cw.Flush()
	if err := cw.Error(); err != nil {
		return cu.Internal(err)
	}
	return nil
}

// ExportAddresses writes the addresses of the customer users actor may list
// that match f (as ExportUsers selects them) to w as an RFC 4180 CSV file
// with every column of Oro's address export, in Oro's order: Address ID,
// Label, Organization, Name Prefix, First Name, Middle Name, Last Name, Name
// Suffix, Street, Street 2, Zip/Postal Code, City, State and State Combined
// code (the region, in one or the other: see ColStateCombined), Country ISO2
// code, Phone, Primary, Owner Username (empty: see ColOwnerUsername),
// Customer User ID, Email Address (the user's), Billing, Default Billing,
// Shipping, Default Shipping (1 or 0), Delete (always 0; set it to 1 in a
// file for ImportAddresses to remove the address) and Validated At (empty:
// see ColValidatedAt). One row per address, users in keyset order and each
// user's addresses in their stored order; memory does not grow with the
// number of rows.
func (s *Service) ExportAddresses(ctx context.Context, actor cu.Actor, f UserFilter, w io.Writer, opts ExportOptions) (ExportReport, error) {
	start := s.now()
	var rep ExportReport
	if err := userActorCheck(actor); err != nil {
		return rep, err
	}
	o, err := opts.normalize()
	if err != nil {
		return rep, err
	}
	cw := newCSVWriter(w)
	rec := make([]string, len(addressColumns))
	first := true
	err = s.exportPages(ctx, actor, f, o, func(users []User) error {
		if first {
			// With the first page, as in ExportUsers.
			first = false
			if err := cw.Write(addressColumns); err != nil {
				return cu.Internal(err)
			}
		}
		for _, u := range users {
			rep.Users++
			for _, a := range u.Addresses {
				exportAddressRecord(rec, u, a)
				if err := cw.Write(rec); err != nil {
					return cu.Internal(err)
				}
				rep.Rows++
			}
		}
		return exportFlush(cw)
	})
	if err == nil {
		err = exportFlush(cw)
	}
	rep.Elapsed = s.now().Sub(start)
	return rep, err
}

// addressTypeFlags reports whether a has type t and whether it is the
// default for it.
func addressTypeFlags(a Address, t AddressType) (has, def bool) {
	for _, x := range a.Types {
		if x.Type == t {
			return true, x.Default
		}
	}
	return false, false
}

// exportAddressRecord fills rec with the row of address a of u.
func exportAddressRecord(rec []string, u User, a Address) {
	billing, defBilling := addressTypeFlags(a, Billing)
	shipping, defShipping := addressTypeFlags(a, Shipping)
	state, combined := exportRegion(a)
	copy(rec, []string{
		csvID(a.ID), a.Label, a.Organization, a.NamePrefix, a.FirstName, a.MiddleName, a.LastName,
		a.NameSuffix, a.Street, a.Street2, a.PostalCode, a.City, state, combined, a.Country, a.Phone,
		csvBool(a.Primary), "", u.ID.String(), u.Email, csvBool(billing), csvBool(defBilling), csvBool(shipping),
		csvBool(defShipping), "0", "",
	})
}

// exportRegion splits the region of a into Oro's two region columns: a
// value shaped like an ISO 3166-2 subdivision code goes to State Combined
// code, prefixed with the country, anything else to State (see
// ColStateCombined). The library keeps one region string and no region
// list, so the shape is all it can go by.
func exportRegion(a Address) (state, combined string) {
	if isRegionCode(a.Region) && a.Country != "" {
		return "", a.Country + "-" + a.Region
	}
	return a.Region, ""
}

// isRegionCode reports whether s looks like the subdivision part of an
// ISO 3166-2 code: 1 to 3 upper-case ASCII letters or digits.
func isRegionCode(s string) bool {
	if len(s) == 0 || len(s) > 3 {
		return false
	}
	for _, c := range []byte(s) {
		if (c < 'A' || c > 'Z') && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// WriteUserTemplate writes the customer-user file for people starting from
// scratch: the header (one role column) and one sample row of a new user
// (no ID; the customer given by name; the default role).
func (s *Service) WriteUserTemplate(w io.Writer) error {
	cw := newCSVWriter(w)
	_ = cw.Write(userHeader(1))
	_ = cw.Write([]string{
		"", "Mr", "Jerry", "John", "Coleman", "Jr.", "1987-04-19", "example@email.com", "", "Acme Inc.",
		s.cfg.DefaultRoleCode, "0", "1", "1", "", "",
	})
	return exportFlush(cw)
}

// WriteAddressTemplate writes the address file for people starting from
// scratch: the header and one sample row of a new address for the user
// with the sample e-mail of WriteUserTemplate.
func (s *Service) WriteAddressTemplate(w io.Writer) error {
	cw := newCSVWriter(w)
	_ = cw.Write(addressColumns)
	_ = cw.Write([]string{
		"", "Head office", "Acme Inc.", "Mr", "Jerry", "John", "Coleman", "Jr.", "801 Scenic Hwy", "",
		"33844", "Haines City", "", "US-FL", "US", "+1 212 555 0100", "1", "", "", "example@email.com",
		"1", "1", "1", "1", "0", "",
	})
	return exportFlush(cw)
}
