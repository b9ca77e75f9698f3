package customeruser

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/google/uuid"

	cu "github.com/b2bkit/customerusers"
	"github.com/b2bkit/customerusers/role"
)

// addressFileColumns are the columns ImportAddresses accepts: those of
// ExportAddresses, which are every column of Oro's address export. Owner
// Username and Validated At hold data the library does not keep (see
// ColOwnerUsername and ColValidatedAt): they are accepted, so that Oro's
// files import as they are, and their cells are never read.
var addressFileColumns = addressColumns

// addressColumnsAt locates the columns of an address file (-1 when absent).
type addressColumnsAt struct {
	at    map[string]int
	names []string
}

func (c *addressColumnsAt) idx(name string) int {
	if i, ok := c.at[name]; ok {
		return i
	}
	return -1
}

func (c *addressColumnsAt) name(i int) string {
	if i < 0 || i >= len(c.names) {
		return ""
	}
	return c.names[i]
}

// parseAddressHeader checks the header of an address file: known columns
// only (Oro's address columns, any subset in any order, case and spacing
// aside), each once, with Customer User ID or Email Address to find users.
// Any other column is refused by name, so that a misspelt column is not
// silently dropped.
func parseAddressHeader(h []string) (*addressColumnsAt, error) {
	at, names, v := importHeader(h, addressFileColumns, nil)
	c := &addressColumnsAt{at: at, names: names}
	if c.idx(ColAddrUserID) < 0 && c.idx(ColEmail) < 0 {
		v.Add(ColEmail, "required_column", "The file needs a Customer User ID or an Email Address column to find the users.")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	return c, nil
}

// addressRow is a row of an address file, mapped to values: nil for an
// empty cell, which leaves the stored value as it is.
type addressRow struct {
	line                                       int
	errs                                       []RowError
	fatal                                      bool
	userID, addressID                          *uuid.UUID
	email                                      *string
	label, organization, namePrefix, firstName *string
	middleName, lastName, nameSuffix, street   *string
	street2, postalCode, city, state, combined *string
	country, phone                             *string
	primary, billing, defBilling, shipping     *bool
	defShipping, del                           *bool
}

// mapAddressRow maps one record of an address file. It needs no storage
// and never fails: problems are row errors.
func mapAddressRow(c *addressColumnsAt, row csvRow) addressRow {
	r := addressRow{line: row.line}
	if row.err != nil {
		r.fatal = true
		r.errs = []RowError{csvRowError(row, c.name)}
		return r
	}
	cells := &importCells{row: row, names: c.name}
	r.userID = cells.id(c.idx(ColAddrUserID), true)
	if v, ok := cells.text(c.idx(ColEmail), true); ok {
		r.email = &v
	}
	r.addressID = cells.id(c.idx(ColAddressID), true)
	for _, f := range []struct {
		dst **string
		col string
	}{
		{&r.label, ColLabel}, {&r.organization, ColOrganization}, {&r.namePrefix, ColNamePrefix},
		{&r.firstName, ColFirstName}, {&r.middleName, ColMiddleName}, {&r.lastName, ColLastName},
		{&r.nameSuffix, ColNameSuffix}, {&r.street, ColStreet}, {&r.street2, ColStreet2},
		{&r.postalCode, ColPostalCode}, {&r.city, ColCity}, {&r.state, ColState}, {&r.combined, ColStateCombined},
		{&r.country, ColCountry}, {&r.phone, ColPhone},
	} {
		*f.dst = cells.str(c.idx(f.col))
	}
	for _, f := range []struct {
		dst **bool
		col string
	}{
		{&r.primary, ColPrimary}, {&r.billing, ColBilling}, {&r.defBilling, ColDefaultBilling},
		{&r.shipping, ColShipping}, {&r.defShipping, ColDefaultShipping}, {&r.del, ColDelete},
	} {
		*f.dst = cells.flag(c.idx(f.col))
	}
	r.errs, r.fatal = cells.errs, cells.fatal
	return r
}

// applyTo copies the non-empty cells of r onto a. It reports a row that
// makes an address the default of a type it explicitly does not have.
func (r *addressRow) applyTo(a *Address) []RowError {
	for _, f := range []struct {
		dst *string
		src *string
	}{
		{&a.Label, r.label}, {&a.Organization, r.organization}, {&a.NamePrefix, r.namePrefix},
		{&a.FirstName, r.firstName}, {&a.MiddleName, r.middleName}, {&a.LastName, r.lastName},
		{&a.NameSuffix, r.nameSuffix}, {&a.Street, r.street}, {&a.Street2, r.street2},
		{&a.PostalCode, r.postalCode}, {&a.City, r.city}, {&a.Country, r.country}, {&a.Phone, r.phone},
	} {
		if f.src != nil {
			*f.dst = *f.src
		}
	}
	switch {
	case r.state != nil:
		a.Region = *r.state
	case r.combined != nil:
		code := *r.combined
		if country, rest, ok := strings.Cut(code, "-"); ok && strings.EqualFold(strings.TrimSpace(country), strings.TrimSpace(a.Country)) {
			code = rest
		}
		a.Region = code
	}
	if r.primary != nil {
		a.Primary = *r.primary
	}
	var errs []RowError
	for _, t := range []struct {
		typ       AddressType
		has, def  *bool
		col, dcol string
	}{
		{Billing, r.billing, r.defBilling, ColBilling, ColDefaultBilling},
		{Shipping, r.shipping, r.defShipping, ColShipping, ColDefaultShipping},
	} {
		if !setAddressType(a, t.typ, t.has, t.def) {
			errs = append(errs, RowError{Row: r.line, Field: t.dcol, Rule: "requires_type",
				Message: fmt.Sprintf("Only an address with the %s type can be the default %s address.", t.typ, t.typ)})
		}
	}
	return errs
}

// setAddressType applies the cells of one address type: has says whether
// the address has the type, def whether it is the default (nil: as
// stored). A default implies the type unless has says otherwise, which is
// reported as false.
func setAddressType(a *Address, t AddressType, has, def *bool) bool {
	i := slices.IndexFunc(a.Types, func(x AddressTypeFlag) bool { return x.Type == t })
	nowHas, nowDef := i >= 0, i >= 0 && a.Types[i].Default
	if has != nil {
		nowHas = *has
	}
	if def != nil {
		nowDef = *def
	}
	if nowDef && !nowHas {
		if has != nil {
			return false
		}
		nowHas = true
	}
	switch {
	case !nowHas && i >= 0:
		a.Types = slices.Delete(slices.Clone(a.Types), i, i+1)
	case nowHas && i >= 0:
		a.Types = slices.Clone(a.Types)
		a.Types[i].Default = nowDef
	case nowHas:
		a.Types = append(slices.Clone(a.Types), AddressTypeFlag{Type: t, Default: nowDef})
	}
	return true
}

// addressFieldColumns names the columns of the service's address fields.
var addressFieldColumns = map[string]string{
	"label": ColLabel, "organization": ColOrganization, "namePrefix": ColNamePrefix, "firstName": ColFirstName,
	"middleName": ColMiddleName, "lastName": ColLastName, "nameSuffix": ColNameSuffix, "street": ColStreet,
	"street2": ColStreet2, "city": ColCity, "postalCode": ColPostalCode, "country": ColCountry, "region": ColState,
	"phone": ColPhone, "primary": ColPrimary, "types": ColBilling,
}

// addressColumnOf maps a service field of an address ("country",
// "addresses[2].types") to the row's column: a default clash goes to the
// default column the row set, the region to the column it came from.
func addressColumnOf(r *addressRow) func(string) string {
	return func(field string) string {
		if strings.HasPrefix(field, "addresses[") {
			if i := strings.Index(field, "]."); i > 0 {
				field = field[i+2:]
			}
		}
		switch {
		case field == "types" && r.defBilling != nil && *r.defBilling:
			return ColDefaultBilling
		case field == "types" && r.defShipping != nil && *r.defShipping:
			return ColDefaultShipping
		case field == "region" && r.state == nil && r.combined != nil:
			return ColStateCombined
		}
		if c, ok := addressFieldColumns[field]; ok {
			return c
		}
		return field
	}
}

// addressWrite is what a valid address row writes, through AddAddress,
// UpdateAddress or RemoveAddress.
type addressWrite struct {
	userID    uuid.UUID
	addressID uuid.UUID
	address   Address
}

// addressImport is the address kind of import.
type addressImport struct {
	s     *Service
	actor cu.Actor
	opts  ImportOptions
	cols  *addressColumnsAt
	// work holds the users of the rows as the rows so far leave them: per
	// batch when writing (the storage has the rest), for the whole file in
	// ModeValidate (nothing is written).
	work map[uuid.UUID]*User
	keys map[string]uuid.UUID
	// seen remembers the first row of the file that named an address (by
	// user and address id, or user and label).
	seen map[string]int
}

func (im *addressImport) plan(ctx context.Context, rows []csvRow) ([]*importOp, error) {
	if im.opts.Mode != ModeValidate {
		im.work, im.keys = map[uuid.UUID]*User{}, map[string]uuid.UUID{}
	}
	mapped := make([]addressRow, len(rows))
	var ids []uuid.UUID
	var keys []string
	for i := range rows {
		r := mapAddressRow(im.cols, rows[i])
		mapped[i] = r
		if r.fatal {
			continue
		}
		if r.userID != nil && im.work[*r.userID] == nil && !slices.Contains(ids, *r.userID) {
			ids = append(ids, *r.userID)
		}
		if r.email != nil {
			if k := im.s.emailKey(*r.email); !slices.Contains(keys, k) {
				if _, known := im.keys[k]; !known {
					keys = append(keys, k)
				}
			}
		}
	}
	users, err := im.s.loadImportUsers(ctx, im.actor.OrganizationID, ids, keys)
	if err != nil {
		return nil, err
	}
	for id, u := range users.byID {
		if im.work[id] == nil {
			im.work[id] = &u
		}
	}
	for k, id := range users.byKey {
		if _, known := im.keys[k]; !known {
			im.keys[k] = id
		}
	}
	ops := make([]*importOp, len(rows))
	for i := range mapped {
		if ops[i], err = im.planRow(ctx, &mapped[i]); err != nil {
			return nil, err
		}
	}
	return ops, nil
}

// planRow checks one row against the rules of AddAddress, UpdateAddress or
// RemoveAddress (authorization, then the whole resulting address list
// through validateAddresses) and applies it to the working copy of its
// user, so that the user's later rows see it.
func (im *addressImport) planRow(ctx context.Context, r *addressRow) (*importOp, error) {
	op := &importOp{line: r.line, outcome: outInvalid, errs: r.errs, col: addressColumnOf(r)}
	if r.fatal {
		return op, nil
	}
	rowErr := func(field, rule, format string, args ...any) {
		op.errs = append(op.errs, RowError{Row: r.line, Field: field, Rule: rule, Message: fmt.Sprintf(format, args...)})
	}

	// The user: by Customer User ID, else by e-mail.
	var u *User
	if r.userID != nil {
		u = im.work[*r.userID]
	}
	if u == nil && r.email != nil {
		if id := im.keys[im.s.emailKey(*r.email)]; id != uuid.Nil {
			u = im.work[id]
		}
	}
	switch {
	case u != nil:
	case r.userID == nil && r.email == nil:
		rowErr(ColEmail, "required", "The row names no customer user: fill Customer User ID or Email Address.")
		return op, nil
	case r.email != nil:
		rowErr(ColEmail, "not_found", "No customer user has this email.")
		return op, nil
	default:
		rowErr(ColAddrUserID, "not_found", "No customer user has this id.")
		return op, nil
	}

	// The address: by Address ID among the user's, else by label.
	idx := -1
	if r.addressID != nil {
		idx = slices.IndexFunc(u.Addresses, func(a Address) bool { return a.ID == *r.addressID })
	}
	if idx < 0 && r.label != nil {
		for i, a := range u.Addresses {
			if !strings.EqualFold(strings.TrimSpace(a.Label), *r.label) {
				continue
			}
			if idx >= 0 {
				rowErr(ColLabel, "ambiguous", "Several addresses of this customer user have this label; give the Address ID.")
				return op, nil
			}
			idx = i
		}
	}
	if !im.firstMention(r, u, idx, rowErr) {
		return op, nil
	}

	del := r.del != nil && *r.del
	perm := role.Create
	switch {
	case del:
		perm = role.Delete
	case idx >= 0:
		perm = role.Edit
	}
	if del && idx < 0 {
		rowErr(ColDelete, "not_found", "This customer user has no such address to delete.")
		return op, nil
	}
	if err := im.s.authorizeAddressEdit(ctx, im.actor, *u, perm); err != nil {
		if !rowLevel(err) {
			return nil, err
		}
		addRowErrors(op, rowErrorsOf(r.line, err, op.col))
		return op, nil
	}

	next := userCopy(*u)
	if del {
		op.addr = &addressWrite{userID: u.ID, addressID: u.Addresses[idx].ID}
		next.Addresses = slices.Delete(next.Addresses, idx, idx+1)
		op.outcome = outDeleted
		*u = next
		return op, nil
	}
	var a Address
	at := len(next.Addresses)
	if idx >= 0 {
		a, at = next.Addresses[idx], idx
	}
	op.errs = append(op.errs, r.applyTo(&a)...)
	if idx >= 0 {
		next.Addresses[idx] = a
	} else {
		a.ID = im.s.newID()
		next.Addresses = append(next.Addresses, a)
	}
	if v := addressRelative(validateAddresses(next.Addresses), at); len(v) > 0 {
		addRowErrors(op, rowErrorsOf(r.line, cu.Invalid(v...), op.col))
	}
	if len(op.errs) > 0 {
		op.outcome = outInvalid
		return op, nil
	}
	a = next.Addresses[at] // normalised
	switch {
	case idx < 0:
		op.outcome = outAdded
	case len(addressChanges(u.Addresses[idx], a)) == 0:
		op.outcome = outUnchanged
		return op, nil
	default:
		op.outcome = outUpdated
	}
	op.addr = &addressWrite{userID: u.ID, address: a}
	if idx >= 0 {
		op.addr.addressID = a.ID
	}
	*u = next
	return op, nil
}

// firstMention records the address a row names (its user's address at idx,
// or a new one under its label) and reports a row naming one an earlier row
// of the file named.
func (im *addressImport) firstMention(r *addressRow, u *User, idx int, rowErr func(field, rule, format string, args ...any)) bool {
	var keys []string
	if idx >= 0 {
		keys = append(keys, u.ID.String()+"/id/"+u.Addresses[idx].ID.String())
	}
	if r.label != nil {
		keys = append(keys, u.ID.String()+"/label/"+csvFold(*r.label))
	}
	for _, k := range keys {
		if first, dup := im.seen[k]; dup {
			field := ColAddressID
			if r.addressID == nil {
				field = ColLabel
			}
			rowErr(field, "duplicate", "This address is already imported by row %d.", first)
			return false
		}
	}
	for _, k := range keys {
		im.seen[k] = r.line
	}
	return true
}

// apply writes the ops in the transaction of ctx with the rules of
// AddAddress, UpdateAddress and RemoveAddress (planAddressEdit), checked
// again against the stored users: each user the ops touch is read once
// (one List call for the batch), its ops applied in file order, and
// written once (one BatchUserUpdater call when the storage has it), then
// the ops' events are appended at once. A user's version therefore goes
// up once per batch, however many of its addresses the batch changes.
func (im *addressImport) apply(ctx context.Context, ops []*importOp) error {
	s := im.s
	var ids []uuid.UUID
	for _, op := range ops {
		if !slices.Contains(ids, op.addr.userID) {
			ids = append(ids, op.addr.userID)
		}
	}
	stored, err := s.loadImportUsers(ctx, im.actor.OrganizationID, ids, nil)
	if err != nil {
		return err
	}
	now := s.now()
	work := map[uuid.UUID]*User{}
	var order []uuid.UUID                // the users changed, in first-change order
	firstOp := map[uuid.UUID]*importOp{} // the op a write failure of the user is reported on
	var events []cu.Event
	for _, op := range ops {
		w := op.addr
		u := work[w.userID]
		if u == nil {
			x, ok := stored.byID[w.userID]
			if !ok {
				return &importFailure{op: op, err: cu.NotFound("customer user")}
			}
			u = &x
			work[w.userID] = u
		}
		perm, edit := role.Create, s.addAddressEdit(w.address, nil)
		switch op.outcome {
		case outUpdated:
			perm, edit = role.Edit, updateAddressEdit(w.addressID, w.address)
		case outDeleted:
			perm, edit = role.Delete, removeAddressEdit(w.addressID)
		}
		after, e, changed, err := s.planAddressEdit(ctx, im.actor, *u, 0, perm, edit, now)
		if err != nil {
			return &importFailure{op: op, err: err}
		}
		if !changed {
			continue
		}
		*u = after
		if _, ok := firstOp[w.userID]; !ok {
			firstOp[w.userID] = op
			order = append(order, w.userID)
		}
		events = append(events, cu.NewEvent(s.newID(), s.now(), im.actor, e.event, SubjectCustomerUser, w.userID, e.payload))
	}
	if len(order) == 0 {
		return nil
	}
	users := make([]User, len(order))
	versions := make([]int64, len(order))
	for i, id := range order {
		users[i], versions[i] = *work[id], stored.byID[id].Version
		users[i].UpdatedAt = now
	}
	if err := s.writeUsers(ctx, users, versions); err != nil {
		var ie *BatchItemError
		if errors.As(err, &ie) {
			return &importFailure{op: firstOp[order[ie.Index]], err: ie.Err}
		}
		return &importFailure{err: err}
	}
	if err := s.d.Events.Append(ctx, events...); err != nil {
		return cu.Internal(err)
	}
	return nil
}

// ImportAddresses adds, updates and deletes customer-user addresses from a
// CSV file in the format of ExportAddresses: any of Oro's address columns,
// in any order, so that a file exported by Oro imports as it is. Owner
// Username and Validated At are accepted and ignored (the library keeps no
// such data, see ColOwnerUsername and ColValidatedAt); a column that is not
// one of Oro's is refused with its name. The file is UTF-8 with or without
// a byte-order mark. Header rules, modes, batches, the report and the error
// are those of ImportUsers.
//
// Each row names its user by Customer User ID or, when that matches
// nobody, by Email Address (a non-guest user, under the e-mail case rule);
// a row that finds no user is an error. Within that user's addresses (an
// address is never taken from another user) the row's address is the one
// with its Address ID, else the only one with its Label (case aside;
// several is an error); a row that names none adds an address, a new
// one under a new id. Empty cells leave stored values as they are; a
// Default Billing or Default Shipping of 1 implies the type unless Billing
// or Shipping says 0 (an error). Delete 1 removes the named address
// (counted as deleted). Every row goes through the rules of AddAddress,
// UpdateAddress and RemoveAddress (the user's whole address list stays
// valid: one primary, one default per type), in file order, so that a
// user's later rows see its earlier ones. A file names each address at
// most once: a later row with the same user and Address ID, or the same
// user and Label, is an error. When writing, each user a batch touches is
// read and written once: its version goes up once per batch, and each row
// appends the event of its operation.
func (s *Service) ImportAddresses(ctx context.Context, actor cu.Actor, r io.Reader, opts ImportOptions) (ImportReport, error) {
	start := s.now()
	rep := ImportReport{RowErrors: []RowError{}}
	err := func() error {
		j, header, err := s.newImportJob(actor, r, opts, &rep)
		if err != nil {
			return err
		}
		cols, err := parseAddressHeader(header)
		if err != nil {
			return err
		}
		j.kind = &addressImport{
			s: s, actor: actor, opts: j.opts, cols: cols,
			work: map[uuid.UUID]*User{}, keys: map[string]uuid.UUID{}, seen: map[string]int{},
		}
		return j.run(ctx)
	}()
	rep.Elapsed = s.now().Sub(start)
	return rep, err
}
