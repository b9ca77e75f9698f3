package customeruser

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	cu "github.com/b2bkit/customerusers"
	"github.com/b2bkit/customerusers/role"
)

// userColumns locates the columns of a customer-user file (-1 when
// absent).
type userColumns struct {
	id, namePrefix, firstName, middleName, lastName, nameSuffix, birthday, email int
	customerID, customerName, guest, enabled, confirmed, ownerID, websiteID      int
	// roles are the role columns in the order of their numbers.
	roles []userRoleColumn
	// names are the canonical names of the columns, by index ("" for an
	// unnamed column, which is ignored).
	names []string
}

type userRoleColumn struct{ n, idx int }

// name returns the canonical name of column i, "" when there is none.
func (c *userColumns) name(i int) string {
	if i < 0 || i >= len(c.names) {
		return ""
	}
	return c.names[i]
}

// maxRoleColumn bounds the number in "Roles N Role".
const maxRoleColumn = 1000

// parseRoleColumn reads a folded "roles N role" header.
func parseRoleColumn(folded string) (int, bool) {
	rest, ok := strings.CutPrefix(folded, "roles ")
	if !ok {
		return 0, false
	}
	num, ok := strings.CutSuffix(rest, " role")
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(num)
	if err != nil || n < 1 || n > maxRoleColumn || strconv.Itoa(n) != num {
		return 0, false
	}
	return n, true
}

// importHeader maps the columns of a header to their canonical names
// among known, reporting unknown and repeated names as violations on the
// column as written. extra recognises further (folded) names, returning
// their canonical name. Unnamed columns are ignored.
func importHeader(h []string, known []string, extra func(folded string) (string, bool)) (map[string]int, []string, cu.Violations) {
	byFold := make(map[string]string, len(known))
	for _, k := range known {
		byFold[csvFold(k)] = k
	}
	at := map[string]int{}
	names := make([]string, len(h))
	var v cu.Violations
	for i, raw := range h {
		if !utf8.ValidString(raw) {
			v.Addf(fmt.Sprintf("column %d", i+1), "encoding", "The name of column %d is not valid UTF-8; save the file as UTF-8.", i+1)
			continue
		}
		folded := csvFold(raw)
		if folded == "" {
			continue
		}
		name, ok := byFold[folded]
		if !ok && extra != nil {
			name, ok = extra(folded)
		}
		shown := strings.TrimSpace(raw)
		switch {
		case !ok:
			v.Addf(shown, "unknown_column", "The column %q is not a column of this file.", shown)
		case at[name] > 0:
			v.Addf(shown, "duplicate_column", "The column %q appears twice (columns %d and %d).", shown, at[name], i+1)
		default:
			at[name] = i + 1
			names[i] = name
		}
	}
	for k := range at {
		at[k]--
	}
	return at, names, v
}

// parseUserHeader checks the header of a customer-user file: every named
// column must be a known one (case and spacing aside), none twice, and ID
// or Email Address must be there to match users.
func parseUserHeader(h []string) (*userColumns, error) {
	known := slices.Concat(userColumnsBefore, userColumnsAfter, []string{ColOwnerUsername})
	at, names, v := importHeader(h, known, func(folded string) (string, bool) {
		if n, ok := parseRoleColumn(folded); ok {
			return RoleColumn(n), true
		}
		return "", false
	})
	idx := func(name string) int {
		if i, ok := at[name]; ok {
			return i
		}
		return -1
	}
	c := &userColumns{
		id: idx(ColID), namePrefix: idx(ColNamePrefix), firstName: idx(ColFirstName), middleName: idx(ColMiddleName),
		lastName: idx(ColLastName), nameSuffix: idx(ColNameSuffix), birthday: idx(ColBirthday), email: idx(ColEmail),
		customerID: idx(ColCustomerID), customerName: idx(ColCustomerName), guest: idx(ColGuest),
		enabled: idx(ColEnabled), confirmed: idx(ColConfirmed), ownerID: idx(ColOwnerID), websiteID: idx(ColWebsiteID),
		names: names,
	}
	for name, i := range at {
		if n, ok := parseRoleColumn(csvFold(name)); ok {
			c.roles = append(c.roles, userRoleColumn{n: n, idx: i})
		}
	}
	slices.SortFunc(c.roles, func(a, b userRoleColumn) int { return a.n - b.n })
	if c.id < 0 && c.email < 0 {
		v.Add(ColEmail, "required_column", "The file needs an ID or an Email Address column to match customer users.")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	return c, nil
}

// userRow is a row of a customer-user file, mapped to values: nil (or
// empty) for an empty cell, which leaves the stored value as it is.
type userRow struct {
	line int
	errs []RowError
	// fatal says the row cannot even be matched (malformed CSV, a bad id
	// or e-mail cell).
	fatal                                                          bool
	id, customerID, ownerID, websiteID                             *uuid.UUID
	email, namePrefix, firstName, middleName, lastName, nameSuffix *string
	customerName                                                   string
	birthday                                                       *time.Time
	guest, enabled, confirmed                                      *bool
	roles                                                          []userRoleCell
}

// userRoleCell is a non-empty role cell: its column and the role code.
type userRoleCell struct{ col, code string }

// importCells reads the cells of one row, reporting cells that are not
// valid UTF-8 or do not parse. Values are trimmed; an empty cell is absent.
type importCells struct {
	row   csvRow
	names func(int) string
	errs  []RowError
	fatal bool
}

func (c *importCells) fail(idx int, rule, msg string, identity bool) {
	c.errs = append(c.errs, RowError{Row: c.row.line, Field: c.names(idx), Rule: rule, Message: msg})
	c.fatal = c.fatal || identity
}

// text returns the trimmed cell at idx and whether it is non-empty;
// identity cells that cannot be read make the row fatal.
func (c *importCells) text(idx int, identity bool) (string, bool) {
	if idx < 0 || idx >= len(c.row.fields) {
		return "", false
	}
	v := c.row.fields[idx]
	if !utf8.ValidString(v) {
		c.fail(idx, "encoding", "This value is not valid UTF-8; save the file as UTF-8.", identity)
		return "", false
	}
	v = strings.TrimSpace(v)
	return v, v != ""
}

func (c *importCells) str(idx int) *string {
	if v, ok := c.text(idx, false); ok {
		return &v
	}
	return nil
}

func (c *importCells) id(idx int, identity bool) *uuid.UUID {
	v, ok := c.text(idx, identity)
	if !ok {
		return nil
	}
	id, err := uuid.Parse(v)
	if err != nil {
		c.fail(idx, "format", "This is not a valid id.", identity)
		return nil
	}
	return &id
}

func (c *importCells) flag(idx int) *bool {
	v, ok := c.text(idx, false)
	if !ok {
		return nil
	}
	b, ok := parseCSVBool(v)
	if !ok {
		c.fail(idx, "format", "This value must be 1 or 0 (true/false, yes/no).", false)
		return nil
	}
	return &b
}

func (c *importCells) date(idx int) *time.Time {
	v, ok := c.text(idx, false)
	if !ok {
		return nil
	}
	d, ok := parseCSVDate(v)
	if !ok {
		c.fail(idx, "format", "This is not a date; write it as YYYY-MM-DD (or MM/DD/YYYY).", false)
		return nil
	}
	return &d
}

// csvRowError is the row error of a malformed record.
func csvRowError(row csvRow, names func(int) string) RowError {
	rule := "csv"
	if row.err.Column < 0 {
		rule = "field_count"
	}
	return RowError{Row: row.line, Field: names(row.err.Column), Rule: rule, Message: row.err.Msg}
}

// mapUserRow maps one record of a customer-user file. It needs no storage
// and never fails: problems are row errors.
func mapUserRow(c *userColumns, row csvRow) userRow {
	r := userRow{line: row.line}
	if row.err != nil {
		r.fatal = true
		r.errs = []RowError{csvRowError(row, c.name)}
		return r
	}
	cells := &importCells{row: row, names: c.name}
	r.id = cells.id(c.id, true)
	if v, ok := cells.text(c.email, true); ok {
		r.email = &v
	}
	r.namePrefix = cells.str(c.namePrefix)
	r.firstName = cells.str(c.firstName)
	r.middleName = cells.str(c.middleName)
	r.lastName = cells.str(c.lastName)
	r.nameSuffix = cells.str(c.nameSuffix)
	r.birthday = cells.date(c.birthday)
	r.customerID = cells.id(c.customerID, false)
	if v, ok := cells.text(c.customerName, false); ok {
		r.customerName = v
	}
	for _, rc := range c.roles {
		if v, ok := cells.text(rc.idx, false); ok {
			r.roles = append(r.roles, userRoleCell{col: RoleColumn(rc.n), code: v})
		}
	}
	r.guest = cells.flag(c.guest)
	r.enabled = cells.flag(c.enabled)
	r.confirmed = cells.flag(c.confirmed)
	r.ownerID = cells.id(c.ownerID, false)
	r.websiteID = cells.id(c.websiteID, false)
	r.errs, r.fatal = cells.errs, cells.fatal
	return r
}

// userFieldColumns names the columns of the service's user fields.
var userFieldColumns = map[string]string{
	"id": ColID, "email": ColEmail, "namePrefix": ColNamePrefix, "firstName": ColFirstName,
	"middleName": ColMiddleName, "lastName": ColLastName, "nameSuffix": ColNameSuffix, "birthday": ColBirthday,
	"customerId": ColCustomerID, "guest": ColGuest, "enabled": ColEnabled, "confirmed": ColConfirmed,
	"ownerId": ColOwnerID, "websiteId": ColWebsiteID,
}

// userColumnOf maps a service field to the row's column: roleIds[i] to the
// column of the i-th role given, customerId to the column the customer
// came from.
func userColumnOf(roleCols []string, customerCol string) func(string) string {
	return func(field string) string {
		if field == "roleIds" {
			field = "roleIds[0]"
		}
		if rest, ok := strings.CutPrefix(field, "roleIds["); ok {
			if i, err := strconv.Atoi(strings.TrimSuffix(rest, "]")); err == nil && i >= 0 {
				if i < len(roleCols) {
					return roleCols[i]
				}
				return RoleColumn(i + 1)
			}
		}
		if field == "customerId" {
			return customerCol
		}
		if c, ok := userFieldColumns[field]; ok {
			return c
		}
		return field
	}
}

// userImport is the customer-user kind of import.
type userImport struct {
	s     *Service
	actor cu.Actor
	opts  ImportOptions
	cols  *userColumns
	sites *importSites
	// seenEmail and seenUser remember, by EmailKey and by matched user,
	// the first row of the file that used them.
	seenEmail map[string]int
	seenUser  map[uuid.UUID]int
}

// userRefs is the reference data of a batch and the Service view that
// reads it.
type userRefs struct {
	view   *Service
	users  *importUserCache
	roles  *importRoleCache
	byName map[string][]uuid.UUID
}

// userWrite is what a valid row writes.
type userWrite struct {
	create  bool
	user    User // a new user, checked
	welcome bool
	// plan is a checked update (UpdateUser's planning step, against the
	// batch's reference data); it is written with the version it read.
	plan *userPlan
}

func (im *userImport) plan(ctx context.Context, rows []csvRow) ([]*importOp, error) {
	mapped := make([]userRow, len(rows))
	for i := range rows {
		mapped[i] = mapUserRow(im.cols, rows[i])
	}
	refs, err := im.load(ctx, mapped)
	if err != nil {
		return nil, err
	}
	ops := make([]*importOp, len(rows))
	for i := range mapped {
		if ops[i], err = im.planRow(ctx, refs, &mapped[i]); err != nil {
			return nil, err
		}
	}
	return ops, nil
}

// load reads the reference data of a batch in a few round trips: the users
// its rows match (by id, by e-mail), the customers they name (by id, by
// name), the roles they name and the roles the matched users hold.
func (im *userImport) load(ctx context.Context, rows []userRow) (*userRefs, error) {
	s, org := im.s, im.actor.OrganizationID
	var ids, cids []uuid.UUID
	var keys, codes, names []string
	for _, r := range rows {
		if r.fatal {
			continue
		}
		if r.id != nil && !slices.Contains(ids, *r.id) {
			ids = append(ids, *r.id)
		}
		if r.email != nil && (r.guest == nil || !*r.guest) {
			if k := s.emailKey(*r.email); !slices.Contains(keys, k) {
				keys = append(keys, k)
			}
		}
		if r.customerID != nil && !slices.Contains(cids, *r.customerID) {
			cids = append(cids, *r.customerID)
		}
		if r.customerID == nil && r.customerName != "" && !slices.Contains(names, csvFold(r.customerName)) {
			names = append(names, csvFold(r.customerName))
		}
		for _, rc := range r.roles {
			if !slices.Contains(codes, rc.code) {
				codes = append(codes, rc.code)
			}
		}
	}
	if c := s.cfg.DefaultRoleCode; c != "" && !slices.Contains(codes, c) {
		codes = append(codes, c)
	}
	users, err := s.loadImportUsers(ctx, org, ids, keys)
	if err != nil {
		return nil, err
	}
	refs := &userRefs{users: users, byName: map[string][]uuid.UUID{}}
	for _, name := range names {
		found, err := im.customersNamed(ctx, name)
		if err != nil {
			return nil, err
		}
		refs.byName[name] = found
		for _, id := range found {
			if !slices.Contains(cids, id) {
				cids = append(cids, id)
			}
		}
	}
	customers, err := s.loadImportCustomers(ctx, org, cids)
	if err != nil {
		return nil, err
	}
	refs.roles = &importRoleCache{Repository: s.d.Roles, org: org, byID: map[uuid.UUID]*role.Role{}, byCode: map[string]*role.Role{}}
	for _, code := range codes {
		if _, err := refs.roles.GetByCode(ctx, org, code); err != nil && cu.CodeOf(err) != cu.CodeNotFound {
			return nil, cu.Internal(err)
		}
	}
	var held []uuid.UUID
	for _, u := range users.byID {
		for _, id := range u.RoleIDs {
			if !slices.Contains(held, id) {
				held = append(held, id)
			}
		}
	}
	if len(held) > 0 {
		if _, err := refs.roles.GetMany(ctx, org, held); err != nil {
			return nil, cu.Internal(err)
		}
	}
	d := s.d
	d.Users, d.Customers, d.Roles, d.Sites = users, customers, refs.roles, im.sites
	refs.view = s.importView(d)
	return refs, nil
}

// customersNamed returns the customers the actor may list whose name is
// name (folded), through ListCustomers so that a storefront actor finds
// only customers within its reach.
func (im *userImport) customersNamed(ctx context.Context, name string) ([]uuid.UUID, error) {
	var out []uuid.UUID
	p := cu.Page{Limit: cu.MaxPageLimit}
	for {
		page, err := im.s.ListCustomers(ctx, im.actor, CustomerFilter{Name: name}, p)
		if err != nil {
			if rowLevel(err) {
				return nil, nil
			}
			return nil, err
		}
		for _, c := range page.Items {
			if csvFold(c.Name) == name {
				out = append(out, c.ID)
			}
		}
		if page.NextCursor == "" || len(out) > 1 {
			return out, nil
		}
		p.Cursor = page.NextCursor
	}
}

// planRow checks one row against the rules of CreateUser or UpdateUser.
// Only storage failures are errors.
func (im *userImport) planRow(ctx context.Context, refs *userRefs, r *userRow) (*importOp, error) {
	s, actor := im.s, im.actor
	op := &importOp{line: r.line, errs: r.errs, col: userColumnOf(nil, ColCustomerID)}
	if r.fatal {
		op.outcome = outInvalid
		return op, nil
	}
	rowErr := func(field, rule, format string, args ...any) {
		op.errs = append(op.errs, RowError{Row: r.line, Field: field, Rule: rule, Message: fmt.Sprintf(format, args...)})
	}

	// Match by id, else (non-guest rows) by e-mail.
	var target *User
	matchCol := ColID
	if r.id != nil {
		if u, ok := refs.users.byID[*r.id]; ok {
			target = &u
		}
	}
	guestRow := r.guest != nil && *r.guest
	if target == nil && r.email != nil && !guestRow {
		if id := refs.users.byKey[s.emailKey(*r.email)]; id != uuid.Nil {
			u := refs.users.byID[id]
			target, matchCol = &u, ColEmail
		}
	}

	// In-file duplicates: the first row wins, later ones are errors.
	if target != nil {
		if first, dup := im.seenUser[target.ID]; dup {
			rowErr(matchCol, "duplicate", "This customer user is already imported by row %d.", first)
		} else {
			im.seenUser[target.ID] = r.line
		}
	}
	finalGuest := guestRow || (r.guest == nil && target != nil && target.Guest)
	if r.email != nil && !finalGuest {
		key := s.emailKey(*r.email)
		if first, dup := im.seenEmail[key]; dup {
			rowErr(ColEmail, "duplicate", "This email appears more than once in the file (first on row %d).", first)
		} else {
			im.seenEmail[key] = r.line
		}
	}

	// Roles by code, the customer by id or by name.
	var roleIDs []uuid.UUID
	var roleCols []string
	for _, rc := range r.roles {
		ro, ok := refs.roles.byCode[rc.code]
		if !ok || ro == nil {
			rowErr(rc.col, "not_found", "The role %q does not exist.", rc.code)
			continue
		}
		roleIDs = append(roleIDs, ro.ID)
		roleCols = append(roleCols, rc.col)
	}
	customerID, customerCol := r.customerID, ColCustomerID
	if customerID == nil && r.customerName != "" {
		customerCol = ColCustomerName
		switch ids := refs.byName[csvFold(r.customerName)]; len(ids) {
		case 0:
			rowErr(ColCustomerName, "not_found", "No customer has this name.")
		case 1:
			customerID = &ids[0]
		default:
			rowErr(ColCustomerName, "ambiguous", "Several customers have this name; give the Customer Id.")
		}
	}

	if target == nil {
		return im.planCreate(ctx, refs, r, op, roleIDs, roleCols, customerID, customerCol)
	}
	op.col = userColumnOf(roleCols, customerCol)
	p := UserPatch{
		CustomerID: customerID, Email: r.email, NamePrefix: r.namePrefix, FirstName: r.firstName,
		MiddleName: r.middleName, LastName: r.lastName, NameSuffix: r.nameSuffix, Guest: r.guest,
		Enabled: r.enabled, Confirmed: r.confirmed, OwnerID: r.ownerID, WebsiteID: r.websiteID,
	}
	if r.birthday != nil {
		b := r.birthday
		p.Birthday = &b
	}
	if len(r.roles) > 0 {
		p.RoleIDs = &roleIDs
	}
	plan, err := refs.view.userPrepareUpdate(ctx, actor, target.ID, p, 0)
	if err != nil {
		if !rowLevel(err) {
			return nil, err
		}
		errs := rowErrorsOf(r.line, err, op.col)
		for i := range errs {
			if errs[i].Field == "" {
				errs[i].Field = matchCol
			}
		}
		addRowErrors(op, errs)
	}
	switch {
	case len(op.errs) > 0:
		op.outcome = outInvalid
	case len(plan.changes) == 0:
		op.outcome = outUnchanged
	default:
		op.outcome = outUpdated
		op.user = &userWrite{plan: &plan}
	}
	return op, nil
}

// planCreate checks a row that matches no user as a new user: CreateUser's
// rules, with the default role when the row gives none (see ImportUsers)
// and no password.
func (im *userImport) planCreate(ctx context.Context, refs *userRefs, r *userRow, op *importOp, roleIDs []uuid.UUID, roleCols []string, customerID *uuid.UUID, customerCol string) (*importOp, error) {
	s, actor := im.s, im.actor
	in := CreateUserInput{
		Email: deref(r.email), NamePrefix: deref(r.namePrefix), FirstName: deref(r.firstName),
		MiddleName: deref(r.middleName), LastName: deref(r.lastName), NameSuffix: deref(r.nameSuffix),
		Birthday: r.birthday, Enabled: r.enabled, Confirmed: r.confirmed, Guest: r.guest != nil && *r.guest,
		RoleIDs: roleIDs, GeneratePassword: true,
	}
	if customerID != nil {
		in.CustomerID = *customerID
	}
	if r.websiteID != nil {
		in.WebsiteID = *r.websiteID
	}
	if r.ownerID != nil {
		in.OwnerID = *r.ownerID
	}
	enabled := r.enabled == nil || *r.enabled
	if code := s.cfg.DefaultRoleCode; len(r.roles) == 0 && !in.Guest && enabled && code != "" {
		if d := refs.roles.byCode[code]; d != nil {
			in.RoleIDs = []uuid.UUID{d.ID}
			roleCols = []string{RoleColumn(1)}
		} else {
			op.errs = append(op.errs, RowError{Row: r.line, Field: RoleColumn(1), Rule: "default_role_missing",
				Message: fmt.Sprintf("The default role %q does not exist.", code)})
		}
	}
	op.col = userColumnOf(roleCols, customerCol)
	u, err := refs.view.userPrepareCreate(ctx, actor, in, true)
	if err != nil {
		if !rowLevel(err) {
			return nil, err
		}
		addRowErrors(op, rowErrorsOf(r.line, err, op.col))
	}
	if len(op.errs) > 0 {
		op.outcome = outInvalid
		return op, nil
	}
	u.PasswordHash = "" // no usable password: forgot-password or a welcome link sets one
	op.outcome = outAdded
	op.user = &userWrite{create: true, user: u, welcome: im.opts.SendWelcomeEmails && !u.Guest}
	return op, nil
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// apply writes the ops in the transaction of ctx: the updates through
// UpdateUser's write step (one BatchUserUpdater call when the storage has
// it), the new users in one BatchUserWriter call when the storage has it,
// then the events of both in one append, then the welcome e-mails.
func (im *userImport) apply(ctx context.Context, ops []*importOp) error {
	var creates, updates []*importOp
	for _, op := range ops {
		if op.user.create {
			creates = append(creates, op)
		} else {
			updates = append(updates, op)
		}
	}
	s := im.s
	var events []cu.Event
	if len(updates) > 0 {
		// Copies: a batch that fails is retried row by row from the same
		// plans.
		plans := make([]*userPlan, len(updates))
		for i, op := range updates {
			pl := *op.user.plan
			plans[i] = &pl
		}
		evs, err := s.userWriteUpdates(ctx, im.actor, plans)
		if err != nil {
			var ie *BatchItemError
			if errors.As(err, &ie) {
				return &importFailure{op: updates[ie.Index], err: ie.Err}
			}
			return &importFailure{err: err}
		}
		events = evs
	}
	users := make([]User, len(creates))
	for i, op := range creates {
		users[i] = op.user.user
	}
	if bw, ok := s.d.Users.(BatchUserWriter); ok && len(users) > 1 {
		if err := bw.CreateMany(ctx, users); err != nil {
			return &importFailure{err: cu.Internal(err)}
		}
	} else {
		for i, u := range users {
			if err := s.d.Users.Create(ctx, u); err != nil {
				return &importFailure{op: creates[i], err: cu.Internal(err)}
			}
		}
	}
	for _, u := range users {
		events = append(events, cu.NewEvent(s.newID(), s.now(), im.actor, EventUserCreated, SubjectCustomerUser, u.ID, userSnapshotOf(u)))
	}
	if len(events) > 0 {
		if err := s.d.Events.Append(ctx, events...); err != nil {
			return cu.Internal(err)
		}
	}
	for i, op := range creates {
		if !op.user.welcome {
			continue
		}
		secret, err := s.issueToken(ctx, users[i], PurposeSetPassword)
		if err != nil {
			return cu.Internal(err)
		}
		if err := s.notify(ctx, userNotification(TemplateWelcomeByAdmin, users[i], secret)); err != nil {
			return err
		}
	}
	return nil
}

// ImportUsers adds and updates customer users from a CSV file in the
// format of ExportUsers (SPEC §7), UTF-8 with or without a byte-order mark.
//
// The header must name known columns only (case and spacing aside; Oro's
// informational Owner Username is accepted and ignored), each once, and
// include ID or Email Address; otherwise nothing is read and the
// error is invalid with a violation on the column as written (rule
// unknown_column, duplicate_column or required_column), or on "file" for an
// empty or malformed header. Any subset of columns works: a file of just
// "ID,Customer Id" moves users between customers.
//
// Each row is matched to a stored user by ID, else (unless Guest is 1) by
// Email Address under the e-mail case rule; a row that matches nobody adds
// a user (an ID cell that matches nobody is ignored: a new user gets a new
// id). Empty cells leave stored values as they are; on a new user they
// mean the CreateUser defaults. Roles are given by code, one per role
// column; a non-empty role cell replaces all the user's roles. The
// customer is given by Customer Id or, when that cell is empty, by
// Customer Name (exactly one customer the actor may list must have it);
// Customer Name is ignored next to a Customer Id. A new user without role
// cells gets the role Config.DefaultRoleCode when it is enabled and not a
// guest (a disabled user may stay without roles, as exports write it); an
// empty Website Id means the default website; an empty Owner Id leaves a
// new user without owner, as CreateUser does (Oro would make the importing
// back-office user the owner; here an export round trip keeps the file as
// it was). New users get no usable
// password, and no e-mail unless SendWelcomeEmails. Birthday is
// YYYY-MM-DD or MM/DD/YYYY; flags are 1/0, true/false or yes/no.
//
// Every row goes through the rules of CreateUser or UpdateUser, delegation
// limits included, so an import accepts exactly what the API accepts.
// Within a file, a second row with the e-mail (EmailKey) of an earlier
// non-guest row, or matching a user an earlier row matched, is an error
// (the first row goes through): the result would depend on row order.
// Malformed CSV (a broken quote, a wrong number of fields), bytes that are
// not UTF-8 and cells that do not parse are row errors too, and reading
// goes on at the next line.
//
// Rows are handled in batches of ImportOptions.BatchSize: the users,
// customers and roles a batch refers to are loaded once for the batch.
// ModeValidate writes nothing. ModeSkipInvalid commits each batch's valid
// rows in one transaction (should one of them fail when written, the batch
// is retried row by row, so exactly the valid rows are committed).
// ModeAllOrNothing runs the whole import in one transaction, which holds
// while r is read (buffer a slow source first); after the first invalid
// row it only checks the rest, and any error rolls everything back.
//
// The error is non-nil for a bad actor, options or header, a storage
// failure or a cancelled ctx; row problems are in the report. Each change
// appends the events of CreateUser and UpdateUser.
func (s *Service) ImportUsers(ctx context.Context, actor cu.Actor, r io.Reader, opts ImportOptions) (ImportReport, error) {
	start := s.now()
	rep := ImportReport{RowErrors: []RowError{}}
	err := func() error {
		j, header, err := s.newImportJob(actor, r, opts, &rep)
		if err != nil {
			return err
		}
		cols, err := parseUserHeader(header)
		if err != nil {
			return err
		}
		j.kind = &userImport{
			s: s, actor: actor, opts: j.opts, cols: cols,
			sites:     &importSites{Sites: s.d.Sites, org: actor.OrganizationID, byID: map[uuid.UUID]importSite{}},
			seenEmail: map[string]int{}, seenUser: map[uuid.UUID]int{},
		}
		return j.run(ctx)
	}()
	rep.Elapsed = s.now().Sub(start)
	return rep, err
}
