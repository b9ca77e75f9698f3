package postgres

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	cu "github.com/b2bkit/customerusers"
	"github.com/b2bkit/customerusers/customeruser"
	"github.com/b2bkit/customerusers/role"
)

type userRepo struct{ s *Store }

// userRow is a row of customer_users with its role ids (in order) and its
// addresses, read in the same query.
type userRow struct {
	OrganizationID          uuid.UUID      `bun:"organization_id"`
	ID                      uuid.UUID      `bun:"id"`
	CustomerID              uuid.UUID      `bun:"customer_id"`
	Email                   string         `bun:"email"`
	EmailKey                string         `bun:"email_key"`
	NamePrefix              string         `bun:"name_prefix"`
	FirstName               string         `bun:"first_name"`
	MiddleName              string         `bun:"middle_name"`
	LastName                string         `bun:"last_name"`
	NameSuffix              string         `bun:"name_suffix"`
	Birthday                *time.Time     `bun:"birthday"`
	Phone                   string         `bun:"phone"`
	Enabled                 bool           `bun:"enabled"`
	Confirmed               bool           `bun:"confirmed"`
	Guest                   bool           `bun:"guest"`
	AuthStatus              string         `bun:"auth_status"`
	SalesRepIDs             uuidArray      `bun:"sales_rep_ids"`
	OwnerID                 uuid.UUID      `bun:"owner_id"`
	WebsiteID               uuid.UUID      `bun:"website_id"`
	PreferredLocalizationID uuid.UUID      `bun:"preferred_localization_id"`
	Attributes              map[string]any `bun:"attributes,type:jsonb"`
	ExternalID              string         `bun:"external_id"`
	PasswordHash            string         `bun:"password_hash"`
	PasswordChangedAt       *time.Time     `bun:"password_changed_at"`
	LastLoginAt             *time.Time     `bun:"last_login_at"`
	LoginCount              int64          `bun:"login_count"`
	CreatedAt               time.Time      `bun:"created_at"`
	UpdatedAt               time.Time      `bun:"updated_at"`
	Version                 int64          `bun:"version"`
	RoleIDs                 uuidArray      `bun:"role_ids"`
	Addresses               []addressRow   `bun:"addresses,type:jsonb"`
	SortKey                 string         `bun:"sort_key"`
}

// addressRow is a row of customer_user_addresses as JSON (to_jsonb of the
// row when reading, jsonb_populate_recordset when writing).
type addressRow struct {
	ID               uuid.UUID     `json:"id"`
	Position         int           `json:"position"`
	Label            string        `json:"label"`
	OrganizationName string        `json:"organization_name"`
	NamePrefix       string        `json:"name_prefix"`
	FirstName        string        `json:"first_name"`
	MiddleName       string        `json:"middle_name"`
	LastName         string        `json:"last_name"`
	NameSuffix       string        `json:"name_suffix"`
	Street           string        `json:"street"`
	Street2          string        `json:"street2"`
	City             string        `json:"city"`
	PostalCode       string        `json:"postal_code"`
	Country          string        `json:"country"`
	Region           string        `json:"region"`
	Phone            string        `json:"phone"`
	IsPrimary        bool          `json:"is_primary"`
	Types            []addressType `json:"types"`
	CreatedAt        time.Time     `json:"created_at"`
	UpdatedAt        time.Time     `json:"updated_at"`
}

type addressType struct {
	Type    customeruser.AddressType `json:"type"`
	Default bool                     `json:"default"`
}

// userColumns selects a user with its role ids and addresses.
const userColumns = `u.organization_id, u.id, u.customer_id, u.email, u.email_key, u.name_prefix, u.first_name,
	u.middle_name, u.last_name, u.name_suffix, u.birthday, u.phone, u.enabled, u.confirmed, u.guest, u.auth_status,
	u.sales_rep_ids, u.owner_id, u.website_id, u.preferred_localization_id, u.attributes, u.external_id,
	u.password_hash, u.password_changed_at, u.last_login_at, u.login_count, u.created_at, u.updated_at, u.version,
	array(SELECT l.role_id FROM customer_user_roles l
		WHERE l.organization_id = u.organization_id AND l.user_id = u.id ORDER BY l.position) AS role_ids,
	(SELECT jsonb_agg(to_jsonb(a) - 'organization_id' - 'user_id' ORDER BY a.position) FROM customer_user_addresses a
		WHERE a.organization_id = u.organization_id AND a.user_id = u.id) AS addresses`

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	v := t.UTC()
	return &v
}

func (x *userRow) user() customeruser.User {
	u := customeruser.User{
		ID: x.ID, OrganizationID: x.OrganizationID, CustomerID: x.CustomerID, Email: x.Email, EmailKey: x.EmailKey,
		NamePrefix: x.NamePrefix, FirstName: x.FirstName, MiddleName: x.MiddleName, LastName: x.LastName,
		NameSuffix: x.NameSuffix, Phone: x.Phone, Enabled: x.Enabled, Confirmed: x.Confirmed, Guest: x.Guest,
		AuthStatus: customeruser.AuthStatus(x.AuthStatus), RoleIDs: x.RoleIDs, SalesRepIDs: x.SalesRepIDs,
		OwnerID: x.OwnerID, WebsiteID: x.WebsiteID, PreferredLocalizationID: x.PreferredLocalizationID,
		Attributes: x.Attributes, ExternalID: x.ExternalID, PasswordHash: x.PasswordHash,
		PasswordChangedAt: utcPtr(x.PasswordChangedAt), LastLoginAt: utcPtr(x.LastLoginAt), LoginCount: x.LoginCount,
		CreatedAt: x.CreatedAt.UTC(), UpdatedAt: x.UpdatedAt.UTC(), Version: x.Version,
	}
	if x.Birthday != nil {
		y, m, d := x.Birthday.Date()
		b := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
		u.Birthday = &b
	}
	if len(x.Addresses) > 0 {
		u.Addresses = make([]customeruser.Address, len(x.Addresses))
		for i, a := range x.Addresses {
			var types []customeruser.AddressTypeFlag
			if len(a.Types) > 0 {
				types = make([]customeruser.AddressTypeFlag, len(a.Types))
				for j, t := range a.Types {
					types[j] = customeruser.AddressTypeFlag{Type: t.Type, Default: t.Default}
				}
			}
			u.Addresses[i] = customeruser.Address{
				ID: a.ID, Label: a.Label, Organization: a.OrganizationName, NamePrefix: a.NamePrefix,
				FirstName: a.FirstName, MiddleName: a.MiddleName, LastName: a.LastName, NameSuffix: a.NameSuffix,
				Street: a.Street, Street2: a.Street2, City: a.City, PostalCode: a.PostalCode, Country: a.Country,
				Region: a.Region, Phone: a.Phone, Primary: a.IsPrimary, Types: types,
				CreatedAt: a.CreatedAt.UTC(), UpdatedAt: a.UpdatedAt.UTC(),
			}
		}
	}
	return u
}

// The fixed reads of a user.
const (
	getUserSQL      = "SELECT " + userColumns + userByIDFrom // fenced: see userByIDFrom
	getUserByKeySQL = "SELECT " + userColumns + ` FROM (SELECT $1::uuid AS org, $2::text AS k OFFSET 0) s
		JOIN customer_users u ON u.organization_id = s.org AND u.email_key = s.k WHERE NOT u.guest` // fenced: see getUsersByKeysSQL
)

func (r userRepo) getBy(ctx context.Context, what, query string, args ...any) (customeruser.User, error) {
	var row userRow
	found, err := r.s.fixedRow(ctx, []any{&row}, query, args...)
	if err != nil {
		return customeruser.User{}, mapErr(err)
	}
	if !found {
		return customeruser.User{}, cu.NotFound(what)
	}
	return row.user(), nil
}

func (r userRepo) Get(ctx context.Context, org, id uuid.UUID) (customeruser.User, error) {
	return r.getBy(ctx, "customer user "+id.String(), getUserSQL, org, id)
}

func (r userRepo) GetByEmailKey(ctx context.Context, org uuid.UUID, key string) (customeruser.User, error) {
	return r.getBy(ctx, "customer user", getUserByKeySQL, org, key)
}

// searchText is the expression of the trigram index customer_users_search_trgm.
const searchText = `(lower(u.email) || ' ' || lower(u.first_name) || ' ' || lower(u.middle_name) || ' ' || lower(u.last_name))`

func (r userRepo) List(ctx context.Context, org uuid.UUID, f customeruser.UserFilter, p cu.Page) (cu.PageOf[customeruser.User], error) {
	var none cu.PageOf[customeruser.User]
	pg, err := readPage(p)
	if err != nil {
		return none, err
	}
	k, err := userSortKey(pg.sort)
	if err != nil {
		return none, err
	}
	sql, args, err := listUsersSQL(org, f, k, pg)
	if err != nil {
		return none, err
	}
	var rows []userRow
	if err := r.s.fixedRows(ctx, &rows, dollar(sql), args...); err != nil {
		return none, mapErr(err)
	}
	key := func(x userRow) string { return x.SortKey }
	if k.kind == timeKeyKind {
		key = func(x userRow) string { return timeKey(x.CreatedAt) }
	}
	return cut(rows, pg, key, func(x userRow) uuid.UUID { return x.ID },
		func(x userRow) (customeruser.User, error) { return x.user(), nil })
}

// userSortKey is the keyset order of a user sort.
func userSortKey(s cu.Sort) (sortKey, error) {
	switch s.Field {
	case "", customeruser.SortCreatedAt:
		return sortKey{expr: "u.created_at", idExpr: "u.id", kind: timeKeyKind, desc: s.Desc}, nil
	case customeruser.SortEmail:
		return sortKey{expr: `lower(u.email) COLLATE "C"`, idExpr: "u.id", desc: s.Desc}, nil
	case customeruser.SortLastName:
		return sortKey{expr: `lower(u.last_name) COLLATE "C"`, idExpr: "u.id", desc: s.Desc}, nil
	}
	return sortKey{}, unknownSort("users", customeruser.SortCreatedAt, customeruser.SortEmail, customeruser.SortLastName)
}

// listUsersSQL is the query of one page of List, with Bun ? placeholders.
func listUsersSQL(org uuid.UUID, f customeruser.UserFilter, k sortKey, pg page) (string, []any, error) {
	q := userFilter(org, f)
	if err := q.seek(k, pg.cursor); err != nil {
		return "", nil, err
	}
	keyCol := k.expr
	if k.kind == timeKeyKind {
		keyCol = "''"
	}
	return "SELECT " + userColumns + ", " + keyCol + " AS sort_key FROM customer_users u" + q.whereSQL() + k.orderSQL(pg.limit), q.args, nil
}

// userFilter renders the conditions of f. The text filters are
// case-insensitive substrings; the trigram index on searchText narrows
// them down before the exact per-field test.
func userFilter(org uuid.UUID, f customeruser.UserFilter) query {
	var q query
	q.where("u.organization_id = ?", org)
	if f.CustomerID != uuid.Nil {
		q.where("u.customer_id = ?", f.CustomerID)
	}
	if f.SubtreeOf != uuid.Nil {
		q.where("u.customer_id IN (SELECT c.id FROM customers c WHERE c.organization_id = ? AND c.path @> ?)",
			org, uuidArray{f.SubtreeOf})
	}
	if len(f.CustomerIDs) > 0 {
		q.where("u.customer_id = ANY(?)", uuidArray(f.CustomerIDs))
	}
	if len(f.IDs) > 0 {
		q.where("u.id = ANY(?)", uuidArray(f.IDs))
	}
	if f.Email != "" {
		pat := containsPattern(f.Email)
		q.where(searchText+" LIKE lower(?) AND lower(u.email) LIKE lower(?)", pat, pat)
	}
	if f.Name != "" {
		pat := containsPattern(f.Name)
		q.where(searchText+` LIKE lower(?) AND (lower(u.first_name) LIKE lower(?)
			OR lower(u.middle_name) LIKE lower(?) OR lower(u.last_name) LIKE lower(?))`, pat, pat, pat, pat)
	}
	if f.Q != "" {
		pat := containsPattern(f.Q)
		q.where(searchText+` LIKE lower(?) AND (lower(u.email) LIKE lower(?) OR lower(u.first_name) LIKE lower(?)
			OR lower(u.middle_name) LIKE lower(?) OR lower(u.last_name) LIKE lower(?))`, pat, pat, pat, pat, pat)
	}
	flag := func(p *bool, col string) {
		if p != nil {
			if *p {
				q.where(col)
			} else {
				q.where("NOT " + col)
			}
		}
	}
	flag(f.Enabled, "u.enabled")
	flag(f.Confirmed, "u.confirmed")
	flag(f.Guest, "u.guest")
	if f.AuthStatus != "" {
		q.where("u.auth_status = ?", string(f.AuthStatus))
	}
	if f.RoleID != uuid.Nil {
		q.where(`EXISTS (SELECT 1 FROM customer_user_roles l
			WHERE l.organization_id = u.organization_id AND l.user_id = u.id AND l.role_id = ?)`, f.RoleID)
	}
	if f.WebsiteID != uuid.Nil {
		q.where("u.website_id = ?", f.WebsiteID)
	}
	if !f.CreatedFrom.IsZero() {
		q.where("u.created_at >= ?", f.CreatedFrom)
	}
	if !f.CreatedTo.IsZero() {
		q.where("u.created_at < ?", f.CreatedTo)
	}
	return q
}

// stmt builds one SQL statement and its ? arguments in order.
type stmt struct {
	b    strings.Builder
	args []any
}

func (s *stmt) add(sql string, args ...any) *stmt {
	s.b.WriteString(sql)
	s.args = append(s.args, args...)
	return s
}

// userValues are the writable columns of a user row and their arguments
// (the identity, creation time and version are the caller's).
func userValues(u customeruser.User) ([]string, []any, error) {
	var birthday any
	if u.Birthday != nil {
		birthday = u.Birthday.UTC().Format(time.DateOnly)
	}
	var attrs any
	if u.Attributes != nil {
		a, err := jsonArg(u.Attributes)
		if err != nil {
			return nil, nil, err
		}
		attrs = a
	}
	cols := []string{"customer_id", "email", "email_key", "name_prefix", "first_name", "middle_name", "last_name",
		"name_suffix", "birthday", "phone", "enabled", "confirmed", "guest", "auth_status", "sales_rep_ids", "owner_id",
		"website_id", "preferred_localization_id", "attributes", "external_id", "password_hash", "password_changed_at",
		"last_login_at", "login_count", "updated_at"}
	args := []any{nullID(u.CustomerID), u.Email, u.EmailKey, u.NamePrefix, u.FirstName, u.MiddleName, u.LastName,
		u.NameSuffix, birthday, u.Phone, u.Enabled, u.Confirmed, u.Guest, string(u.AuthStatus), uuidArray(u.SalesRepIDs),
		nullID(u.OwnerID), nullID(u.WebsiteID), nullID(u.PreferredLocalizationID), attrs, u.ExternalID, u.PasswordHash,
		nullTime(u.PasswordChangedAt), nullTime(u.LastLoginAt), u.LoginCount, u.UpdatedAt}
	return cols, args, nil
}

// valueSQL is the placeholder of a column ("?", cast where needed).
func valueSQL(col string) string {
	switch col {
	case "attributes":
		return "?::jsonb"
	case "birthday":
		return "?::date"
	}
	return "?"
}

// addressRows are the rows of addresses, with their positions.
func addressRows(addrs []customeruser.Address) ([]addressRow, error) {
	rows := make([]addressRow, len(addrs))
	for i, a := range addrs {
		types := make([]addressType, len(a.Types))
		for j, t := range a.Types {
			types[j] = addressType{Type: t.Type, Default: t.Default}
		}
		rows[i] = addressRow{
			ID: a.ID, Position: i + 1, Label: a.Label, OrganizationName: a.Organization, NamePrefix: a.NamePrefix,
			FirstName: a.FirstName, MiddleName: a.MiddleName, LastName: a.LastName, NameSuffix: a.NameSuffix,
			Street: a.Street, Street2: a.Street2, City: a.City, PostalCode: a.PostalCode, Country: a.Country,
			Region: a.Region, Phone: a.Phone, IsPrimary: a.Primary, Types: types,
			CreatedAt: a.CreatedAt.UTC().Truncate(time.Microsecond), UpdatedAt: a.UpdatedAt.UTC().Truncate(time.Microsecond),
		}
	}
	return rows, nil
}

// addressJSON renders addresses for jsonb_populate_recordset, with their
// positions, and returns their ids.
func addressJSON(addrs []customeruser.Address) (string, []uuid.UUID, error) {
	rows, err := addressRows(addrs)
	if err != nil {
		return "", nil, err
	}
	ids := make([]uuid.UUID, len(addrs))
	for i, a := range addrs {
		ids[i] = a.ID
	}
	s, err := jsonArg(rows)
	return s, ids, err
}

const addressColumns = `id, position, label, organization_name, name_prefix, first_name, middle_name, last_name,
	name_suffix, street, street2, city, postal_code, country, region, phone, is_primary, types, created_at, updated_at`

// uniqueIDs returns ids without repeats, in first-seen order.
func uniqueIDs(ids []uuid.UUID) []uuid.UUID {
	out := make([]uuid.UUID, 0, len(ids))
	for _, id := range ids {
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

// Create inserts the user, its role links and its addresses in one
// statement (atomic on its own, one round trip).
func (r userRepo) Create(ctx context.Context, u customeruser.User) error {
	sql, args, err := createUserSQL(u)
	if err != nil {
		return cu.Internal(err)
	}
	_, err = r.s.fixedExec(ctx, dollar(sql), args...)
	return mapRoleRefErr(err, u.RoleIDs)
}

// createUserSQL is the statement of Create, with Bun ? placeholders.
func createUserSQL(u customeruser.User) (string, []any, error) {
	cols, vals, err := userValues(u)
	if err != nil {
		return "", nil, err
	}
	var s stmt
	s.add("WITH u AS (INSERT INTO customer_users (organization_id, id, created_at, version")
	for _, c := range cols {
		s.add(", " + c)
	}
	s.add(") VALUES (?, ?, ?, ?", u.OrganizationID, u.ID, u.CreatedAt, max(u.Version, 1))
	for i, c := range cols {
		s.add(", "+valueSQL(c), vals[i])
	}
	s.add(") RETURNING organization_id, id)")
	if roles := uniqueIDs(u.RoleIDs); len(roles) > 0 {
		s.add(`, r AS (INSERT INTO customer_user_roles (organization_id, user_id, role_id, position)
			SELECT u.organization_id, u.id, x.role_id, x.position FROM u, unnest(?::uuid[]) WITH ORDINALITY AS x(role_id, position))`,
			uuidArray(roles))
	}
	if len(u.Addresses) > 0 {
		js, _, err := addressJSON(u.Addresses)
		if err != nil {
			return "", nil, err
		}
		s.add(`, a AS (INSERT INTO customer_user_addresses (organization_id, user_id, `+addressColumns+`)
			SELECT u.organization_id, u.id, `+prefixed("x.", addressColumns)+`
			FROM u, jsonb_populate_recordset(NULL::customer_user_addresses, ?::jsonb) AS x)`, js)
	}
	s.add(" SELECT 1")
	return s.b.String(), s.args, nil
}

// prefixed qualifies each column of a column list.
func prefixed(prefix, columns string) string {
	parts := strings.Split(columns, ",")
	for i, p := range parts {
		parts[i] = prefix + strings.TrimSpace(p)
	}
	return strings.Join(parts, ", ")
}

// Update writes the user row (if its version is the expected one) and
// makes its role links and addresses those of u, in one statement:
// links and addresses not in u are deleted, the others upserted.
func (r userRepo) Update(ctx context.Context, u customeruser.User, expected int64) error {
	cols, vals, err := userValues(u)
	if err != nil {
		return cu.Internal(err)
	}
	js, addrIDs, err := addressJSON(u.Addresses)
	if err != nil {
		return cu.Internal(err)
	}
	roles := uniqueIDs(u.RoleIDs)
	var s stmt
	s.add("WITH u AS (UPDATE customer_users SET version = version + 1")
	for i, c := range cols {
		s.add(", "+c+" = "+valueSQL(c), vals[i])
	}
	s.add(` WHERE organization_id = ? AND id = ? AND version = ? RETURNING organization_id, id)
		, rd AS (DELETE FROM customer_user_roles l USING u
			WHERE l.organization_id = u.organization_id AND l.user_id = u.id AND l.role_id <> ALL(?))
		, ri AS (INSERT INTO customer_user_roles (organization_id, user_id, role_id, position)
			SELECT u.organization_id, u.id, x.role_id, x.position FROM u, unnest(?::uuid[]) WITH ORDINALITY AS x(role_id, position)
			ON CONFLICT (organization_id, user_id, role_id) DO UPDATE SET position = excluded.position)
		, ad AS (DELETE FROM customer_user_addresses a USING u
			WHERE a.organization_id = u.organization_id AND a.user_id = u.id AND a.id <> ALL(?))`,
		u.OrganizationID, u.ID, expected, uuidArray(roles), uuidArray(roles), uuidArray(addrIDs))
	if len(u.Addresses) > 0 {
		set := make([]string, 0, 20)
		for _, c := range strings.Split(addressColumns, ",") {
			if c = strings.TrimSpace(c); c != "id" {
				set = append(set, c+" = excluded."+c)
			}
		}
		s.add(`, ai AS (INSERT INTO customer_user_addresses (organization_id, user_id, `+addressColumns+`)
			SELECT u.organization_id, u.id, `+prefixed("x.", addressColumns)+`
			FROM u, jsonb_populate_recordset(NULL::customer_user_addresses, ?::jsonb) AS x
			ON CONFLICT (organization_id, user_id, id) DO UPDATE SET `+strings.Join(set, ", ")+`)`, js)
	}
	s.add(` SELECT EXISTS (SELECT 1 FROM u), EXISTS (SELECT 1 FROM customer_users WHERE organization_id = ? AND id = ?)`,
		u.OrganizationID, u.ID)
	var updated, found bool
	_, err = r.s.fixedRow(ctx, []any{&updated, &found}, dollar(s.b.String()), s.args...)
	return versioned(mapRoleRefErr(err, u.RoleIDs), updated, found, "customer user", u.ID)
}

// Touch writes only the login bookkeeping columns. A login reads the
// user, then touches it with the count it read plus one; logins of one
// user at the same time (at READ COMMITTED, the reads do not wait for each
// other) would then write the same count. So the count stored is the
// larger of u.LoginCount and the stored count plus one, and the last login
// time the later of both: concurrent logins lose no increment, and a
// Touch with nothing in between stores exactly what it is given.
func (r userRepo) Touch(ctx context.Context, u customeruser.User) error {
	res, err := r.s.fixedExec(ctx, `UPDATE customer_users SET last_login_at = GREATEST(last_login_at, $1),
			login_count = GREATEST(login_count + 1, $2), password_hash = $3
		WHERE organization_id = $4 AND id = $5`,
		nullTime(u.LastLoginAt), u.LoginCount, u.PasswordHash, u.OrganizationID, u.ID)
	return affected(res, mapErr(err), "customer user", u.ID)
}

// Delete removes the user; its role links, addresses and tokens go with it
// (ON DELETE CASCADE).
func (r userRepo) Delete(ctx context.Context, org, id uuid.UUID) error {
	res, err := r.s.idb(ctx).NewRaw("DELETE FROM customer_users WHERE organization_id = ? AND id = ?", org, id).Exec(ctx)
	return affected(res, mapDeleteErr(err), "customer user", id)
}

func (r userRepo) CountByCustomer(ctx context.Context, org, customerID uuid.UUID) (int, error) {
	var n int
	err := r.s.idb(ctx).NewRaw("SELECT count(*) FROM customer_users WHERE organization_id = ? AND customer_id = ?",
		org, customerID).Scan(ctx, &n)
	return n, mapErr(err)
}

func (r userRepo) CountHolders(ctx context.Context, org, roleID uuid.UUID) (int, error) {
	var n int
	err := r.s.idb(ctx).NewRaw("SELECT count(*) FROM customer_user_roles WHERE organization_id = ? AND role_id = ?",
		org, roleID).Scan(ctx, &n)
	return n, mapErr(err)
}

// holderRow is a row of HoldersOutside.
type holderRow struct {
	UserID     uuid.UUID `bun:"user_id"`
	CustomerID uuid.UUID `bun:"customer_id"`
	Enabled    bool      `bun:"enabled"`
	RoleCount  int       `bun:"role_count"`
}

func (r userRepo) HoldersOutside(ctx context.Context, org, roleID, customerID uuid.UUID) ([]role.Holder, error) {
	var rows []holderRow
	err := r.s.idb(ctx).NewRaw(`SELECT u.id AS user_id, u.customer_id, u.enabled,
			(SELECT count(*) FROM customer_user_roles l2 WHERE l2.organization_id = u.organization_id AND l2.user_id = u.id) AS role_count
		FROM customer_user_roles l JOIN customer_users u ON u.organization_id = l.organization_id AND u.id = l.user_id
		WHERE l.organization_id = ? AND l.role_id = ? AND u.customer_id IS DISTINCT FROM ?
		ORDER BY u.id`, org, roleID, nullID(customerID)).Scan(ctx, &rows)
	if err != nil {
		return nil, mapErr(err)
	}
	var out []role.Holder
	for _, x := range rows {
		out = append(out, role.Holder{UserID: x.UserID, CustomerID: x.CustomerID, Enabled: x.Enabled, RoleCount: x.RoleCount})
	}
	return out, nil
}

// Unassign deletes the links and bumps the versions of the users that had
// one, in one statement.
func (r userRepo) Unassign(ctx context.Context, org, roleID uuid.UUID, userIDs []uuid.UUID) error {
	if len(userIDs) == 0 {
		return nil
	}
	_, err := r.s.idb(ctx).NewRaw(`WITH d AS (
			DELETE FROM customer_user_roles WHERE organization_id = ?0 AND role_id = ?1 AND user_id = ANY(?2)
			RETURNING user_id)
		UPDATE customer_users u SET version = u.version + 1, updated_at = ?3
		FROM d WHERE u.organization_id = ?0 AND u.id = d.user_id`,
		org, roleID, uuidArray(userIDs), now()).Exec(ctx)
	return mapErr(err)
}

// Replace moves the links of oldRoleID to newRoleID (keeping their
// position; a user already holding newRoleID just loses oldRoleID) for the
// users of customerIDs, bumping their versions, in one statement.
func (r userRepo) Replace(ctx context.Context, org, oldRoleID, newRoleID uuid.UUID, customerIDs []uuid.UUID) (int, error) {
	var exists bool
	var n int
	err := r.s.idb(ctx).NewRaw(`WITH nr AS (
			SELECT 1 FROM roles WHERE organization_id = ?0 AND id = ?2
		), del AS (
			DELETE FROM customer_user_roles l USING customer_users u
			WHERE EXISTS (SELECT 1 FROM nr) AND ?1 <> ?2
				AND l.organization_id = ?0 AND l.role_id = ?1
				AND u.organization_id = l.organization_id AND u.id = l.user_id AND u.customer_id = ANY(?3)
			RETURNING l.user_id, l.position
		), ins AS (
			INSERT INTO customer_user_roles (organization_id, user_id, role_id, position)
			SELECT ?0, d.user_id, ?2, d.position FROM del d
			ON CONFLICT (organization_id, user_id, role_id) DO NOTHING
		), bump AS (
			UPDATE customer_users u SET version = u.version + 1, updated_at = ?4
			FROM del d WHERE u.organization_id = ?0 AND u.id = d.user_id
			RETURNING 1
		)
		SELECT EXISTS (SELECT 1 FROM nr), (SELECT count(*) FROM bump)`,
		org, oldRoleID, newRoleID, uuidArray(customerIDs), now()).Scan(ctx, &exists, &n)
	if err != nil {
		return 0, mapErr(err)
	}
	if !exists {
		return 0, cu.NotFound("role " + newRoleID.String())
	}
	return n, nil
}

func roleField(i int) string { return "roleIds[" + strconv.Itoa(i) + "]" }
