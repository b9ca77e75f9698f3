package postgres

import (
	"context"
	"database/sql/driver"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	cu "github.com/b2bkit/customerusers"
	"github.com/b2bkit/customerusers/customeruser"
)

// The optional extensions of the user repository that imports and exports
// detect.
var (
	_ customeruser.BatchUserWriter  = userRepo{}
	_ customeruser.BatchUserReader  = userRepo{}
	_ customeruser.BatchUserUpdater = userRepo{}
	_ customeruser.UserRoleCounter  = userRepo{}
)

// userJSON is a customer_users row as jsonb_populate_recordset reads it:
// the JSON keys are the column names, nil references are null.
type userJSON struct {
	OrganizationID          uuid.UUID      `json:"organization_id"`
	ID                      uuid.UUID      `json:"id"`
	CustomerID              *uuid.UUID     `json:"customer_id"`
	Email                   string         `json:"email"`
	EmailKey                string         `json:"email_key"`
	NamePrefix              string         `json:"name_prefix"`
	FirstName               string         `json:"first_name"`
	MiddleName              string         `json:"middle_name"`
	LastName                string         `json:"last_name"`
	NameSuffix              string         `json:"name_suffix"`
	Birthday                *string        `json:"birthday"`
	Phone                   string         `json:"phone"`
	Enabled                 bool           `json:"enabled"`
	Confirmed               bool           `json:"confirmed"`
	Guest                   bool           `json:"guest"`
	AuthStatus              string         `json:"auth_status"`
	SalesRepIDs             []uuid.UUID    `json:"sales_rep_ids"`
	OwnerID                 *uuid.UUID     `json:"owner_id"`
	WebsiteID               *uuid.UUID     `json:"website_id"`
	PreferredLocalizationID *uuid.UUID     `json:"preferred_localization_id"`
	Attributes              map[string]any `json:"attributes"`
	ExternalID              string         `json:"external_id"`
	PasswordHash            string         `json:"password_hash"`
	PasswordChangedAt       *time.Time     `json:"password_changed_at"`
	LastLoginAt             *time.Time     `json:"last_login_at"`
	LoginCount              int64          `json:"login_count"`
	CreatedAt               time.Time      `json:"created_at"`
	UpdatedAt               time.Time      `json:"updated_at"`
	Version                 int64          `json:"version"`
}

// roleLinkJSON is a customer_user_roles row.
type roleLinkJSON struct {
	OrganizationID uuid.UUID `json:"organization_id"`
	UserID         uuid.UUID `json:"user_id"`
	RoleID         uuid.UUID `json:"role_id"`
	Position       int       `json:"position"`
}

// userAddressJSON is a customer_user_addresses row.
type userAddressJSON struct {
	OrganizationID uuid.UUID `json:"organization_id"`
	UserID         uuid.UUID `json:"user_id"`
	addressRow
}

func idPtr(id uuid.UUID) *uuid.UUID {
	if id == uuid.Nil {
		return nil
	}
	return &id
}

func microPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	v := t.UTC().Truncate(time.Microsecond)
	return &v
}

// CreateMany inserts the users with their role links and addresses in one
// statement of three parameters: each table's rows travel as one JSON
// array that jsonb_populate_recordset turns into rows, so the statement
// text is the same for any number of users (prepared once per connection)
// and no parameter limit applies. It is all or nothing, with Create's
// errors (a taken e-mail is an invalid error on "email"; a missing role one
// on "roleIds"). It implements customeruser.BatchUserWriter.
//
// It is not COPY: COPY needs the pgx connection under database/sql's
// transaction, which the Store cannot reach, and it would gain little.
// Against raw pgx COPY of the same rows into the same tables
// (BenchmarkCreateMany500 and BenchmarkCreateMany500RawCopy, 500 users
// with 2 roles and an address each) both took 0.4 to 0.9 s per batch on
// the loaded test machine, and BENCHMARKS.md's 100,000-user import finds
// CreateMany's server CPU about 1.3 times COPY's: most of the time goes
// into the indexes (the trigram one above all), not the statement.
func (r userRepo) CreateMany(ctx context.Context, users []customeruser.User) error {
	if len(users) == 0 {
		return nil
	}
	usersArg, linksArg, addrsArg, err := batchJSON(users, func(i int) int64 { return max(users[i].Version, 1) })
	if err != nil {
		return cu.Internal(err)
	}
	_, err = r.s.fixedExec(ctx, createManyUsersSQL, usersArg, linksArg, addrsArg)
	return mapErr(err)
}

// toUserJSON is the row of u, with version as its version column.
func toUserJSON(u customeruser.User, version int64) userJSON {
	var birthday *string
	if u.Birthday != nil {
		b := u.Birthday.UTC().Format(time.DateOnly)
		birthday = &b
	}
	sales := u.SalesRepIDs
	if sales == nil {
		sales = []uuid.UUID{}
	}
	return userJSON{
		OrganizationID: u.OrganizationID, ID: u.ID, CustomerID: idPtr(u.CustomerID), Email: u.Email, EmailKey: u.EmailKey,
		NamePrefix: u.NamePrefix, FirstName: u.FirstName, MiddleName: u.MiddleName, LastName: u.LastName,
		NameSuffix: u.NameSuffix, Birthday: birthday, Phone: u.Phone, Enabled: u.Enabled, Confirmed: u.Confirmed,
		Guest: u.Guest, AuthStatus: string(u.AuthStatus), SalesRepIDs: sales, OwnerID: idPtr(u.OwnerID),
		WebsiteID: idPtr(u.WebsiteID), PreferredLocalizationID: idPtr(u.PreferredLocalizationID),
		Attributes: u.Attributes, ExternalID: u.ExternalID, PasswordHash: u.PasswordHash,
		PasswordChangedAt: microPtr(u.PasswordChangedAt), LastLoginAt: microPtr(u.LastLoginAt), LoginCount: u.LoginCount,
		CreatedAt: u.CreatedAt.UTC().Truncate(time.Microsecond), UpdatedAt: u.UpdatedAt.UTC().Truncate(time.Microsecond),
		Version: version,
	}
}

// batchJSON renders the rows of users (with versions[i] as the version
// of users[i]), their role links and their addresses as the three JSON
// arguments of the batch statements.
func batchJSON(users []customeruser.User, versions func(i int) int64) (usersArg, linksArg, addrsArg string, err error) {
	us := make([]userJSON, len(users))
	links := []roleLinkJSON{}
	addrs := []userAddressJSON{}
	for i, u := range users {
		us[i] = toUserJSON(u, versions(i))
		for j, id := range uniqueIDs(u.RoleIDs) {
			links = append(links, roleLinkJSON{OrganizationID: u.OrganizationID, UserID: u.ID, RoleID: id, Position: j + 1})
		}
		rows, err := addressRows(u.Addresses)
		if err != nil {
			return "", "", "", err
		}
		for _, a := range rows {
			addrs = append(addrs, userAddressJSON{OrganizationID: u.OrganizationID, UserID: u.ID, addressRow: a})
		}
	}
	if usersArg, err = jsonArg(us); err != nil {
		return "", "", "", err
	}
	if linksArg, err = jsonArg(links); err != nil {
		return "", "", "", err
	}
	addrsArg, err = jsonArg(addrs)
	return usersArg, linksArg, addrsArg, err
}

// UpdateMany updates the users, their role links and their addresses with
// Update's contract for each, in two statements whatever their number: the
// first locks the users (in id order, so that batches do not deadlock) and
// reads their versions, and when one is missing or stale nothing is
// written and the error names it; the second writes every user (UPDATE
// ... FROM jsonb_populate_recordset), deletes the role links and addresses
// the users no longer have and upserts the others. Both run in one
// transaction (that of ctx, if any), so nothing of a failed call remains.
// It implements customeruser.BatchUserUpdater.
func (r userRepo) UpdateMany(ctx context.Context, users []customeruser.User, expectedVersions []int64) error {
	if len(expectedVersions) != len(users) {
		return cu.Internal(fmt.Errorf("UpdateMany: %d users but %d versions", len(users), len(expectedVersions)))
	}
	if len(users) == 0 {
		return nil
	}
	usersArg, linksArg, addrsArg, err := batchJSON(users, func(i int) int64 { return expectedVersions[i] })
	if err != nil {
		return cu.Internal(err)
	}
	orgs := make([]uuid.UUID, len(users))
	ids := make([]uuid.UUID, len(users))
	for i, u := range users {
		orgs[i], ids[i] = u.OrganizationID, u.ID
	}
	return r.s.InTx(ctx, func(ctx context.Context) error {
		var locked []struct {
			I       int64 `bun:"i"`
			Version int64 `bun:"version"`
		}
		if err := r.s.fixedRows(ctx, &locked, lockUsersSQL, uuidArray(orgs), uuidArray(ids)); err != nil {
			return mapErr(err)
		}
		stored := make(map[int]int64, len(locked))
		for _, l := range locked {
			stored[int(l.I)-1] = l.Version
		}
		for i, u := range users {
			v, ok := stored[i]
			switch {
			case !ok:
				return &customeruser.BatchItemError{Index: i, Err: cu.NotFound("customer user " + u.ID.String())}
			case v != expectedVersions[i]:
				return &customeruser.BatchItemError{Index: i, Err: cu.Stale("customer user")}
			}
		}
		var n int
		keptLinks, keptAddrs := keptKeys(users)
		if _, err := r.s.replannedRow(ctx, []any{&n}, updateManyUsersSQL, usersArg, linksArg, addrsArg,
			textArray(keptLinks), textArray(keptAddrs)); err != nil {
			return batchItemErr(err, users)
		}
		if n != len(users) {
			return cu.Internal(fmt.Errorf("UpdateMany: %d of %d locked users updated", n, len(users)))
		}
		return nil
	})
}

// keptKeys returns the keys ("organization/user/role" and
// "organization/user/address") of the role links and addresses the users
// keep, which updateManyUsersSQL leaves in place: the deletes compare each
// stored row with them through one hashed array look-up, not a scan of the
// batch per row.
func keptKeys(users []customeruser.User) (links, addrs []string) {
	for _, u := range users {
		prefix := u.OrganizationID.String() + "/" + u.ID.String() + "/"
		for _, id := range u.RoleIDs {
			links = append(links, prefix+id.String())
		}
		for _, a := range u.Addresses {
			addrs = append(addrs, prefix+a.ID.String())
		}
	}
	return links, addrs
}

// batchItemErr maps the error of a batch statement and, when the server
// says which user it concerns (a taken e-mail key, a missing role), names
// the user.
func batchItemErr(err error, users []customeruser.User) error {
	pe, ok := asPgError(err)
	if !ok {
		return mapErr(err)
	}
	for i, u := range users {
		switch {
		case pe.constraint == "customer_users_email_key_uq" && strings.HasSuffix(pe.detail, ", "+u.EmailKey+") already exists."):
			return &customeruser.BatchItemError{Index: i, Err: mapErr(err)}
		case pe.constraint == "customer_user_roles_role_fk":
			for _, id := range u.RoleIDs {
				if strings.Contains(pe.detail, id.String()) {
					return &customeruser.BatchItemError{Index: i, Err: mapRoleRefErr(err, u.RoleIDs)}
				}
			}
		}
	}
	return mapErr(err)
}

// lockUsersSQL locks the users named by two arrays (organizations, ids)
// and returns their versions with their 1-based index in the arrays. The
// pairs come out of an OFFSET 0 subquery so that each is a probe of the
// primary key, whatever the planner knows of the organization (see
// getUsersByKeysSQL).
const lockUsersSQL = `SELECT x.i, c.version
	FROM (SELECT t.org, t.id, t.i FROM unnest($1::uuid[], $2::uuid[]) WITH ORDINALITY AS t(org, id, i) OFFSET 0) x
	JOIN customer_users c ON c.organization_id = x.org AND c.id = x.id
	ORDER BY c.id FOR UPDATE OF c`

// updateManyUsersSQL writes users given as a JSON array (version holding
// the expected version), makes their role links and addresses those of
// the other two arrays ($4 and $5 hold their keys, see keptKeys), and
// returns the number of users written. Each input is fenced by OFFSET 0, as
// in lockUsersSQL; it runs through replannedRow, planned at each call.
var updateManyUsersSQL = `WITH x AS (
		SELECT * FROM jsonb_populate_recordset(NULL::customer_users, $1::jsonb) OFFSET 0
	), u AS (
		UPDATE customer_users c SET version = c.version + 1, ` + userSetFromX + `
		FROM x WHERE c.organization_id = x.organization_id AND c.id = x.id AND c.version = x.version
		RETURNING c.organization_id, c.id
	), lr AS (
		SELECT * FROM jsonb_populate_recordset(NULL::customer_user_roles, $2::jsonb) OFFSET 0
	), rd AS (
		DELETE FROM customer_user_roles l USING u
		WHERE l.organization_id = u.organization_id AND l.user_id = u.id
			AND l.organization_id::text || '/' || l.user_id::text || '/' || l.role_id::text <> ALL ($4::text[])
	), ri AS (
		INSERT INTO customer_user_roles (organization_id, user_id, role_id, position)
		SELECT lr.organization_id, lr.user_id, lr.role_id, lr.position
		FROM lr JOIN u ON u.organization_id = lr.organization_id AND u.id = lr.user_id
		ON CONFLICT (organization_id, user_id, role_id) DO UPDATE SET position = excluded.position
	), la AS (
		SELECT * FROM jsonb_populate_recordset(NULL::customer_user_addresses, $3::jsonb) OFFSET 0
	), ad AS (
		DELETE FROM customer_user_addresses a USING u
		WHERE a.organization_id = u.organization_id AND a.user_id = u.id
			AND a.organization_id::text || '/' || a.user_id::text || '/' || a.id::text <> ALL ($5::text[])
	), ai AS (
		INSERT INTO customer_user_addresses (organization_id, user_id, ` + addressColumns + `)
		SELECT la.organization_id, la.user_id, ` + laColumns + `
		FROM la JOIN u ON u.organization_id = la.organization_id AND u.id = la.user_id
		ON CONFLICT (organization_id, user_id, id) DO UPDATE SET ` + addressSetExcluded + `
	)
	SELECT count(*) FROM u`

// userSetFromX, laColumns and addressSetExcluded are column lists of
// updateManyUsersSQL.
var (
	userSetFromX       = assignEach(userWritableColumns, func(c string) string { return c + " = x." + c })
	laColumns          = prefixed("la.", addressColumns)
	addressSetExcluded = assignEach(strings.Replace(addressColumns, "id, ", "", 1), func(c string) string { return c + " = excluded." + c })
)

// assignEach maps each column of a column list.
func assignEach(columns string, f func(string) string) string {
	parts := strings.Split(columns, ",")
	for i, p := range parts {
		parts[i] = f(strings.TrimSpace(p))
	}
	return strings.Join(parts, ", ")
}

// createManyUsersSQL inserts users, role links and addresses given as
// JSON arrays. The foreign keys of the links and addresses are checked at
// the end of the statement, when the users are there.
const createManyUsersSQL = `WITH u AS (
		INSERT INTO customer_users (organization_id, id, created_at, version, ` + userWritableColumns + `)
		SELECT organization_id, id, created_at, version, ` + userWritableColumns + `
		FROM jsonb_populate_recordset(NULL::customer_users, $1::jsonb)
	), r AS (
		INSERT INTO customer_user_roles (organization_id, user_id, role_id, position)
		SELECT organization_id, user_id, role_id, position
		FROM jsonb_populate_recordset(NULL::customer_user_roles, $2::jsonb)
	)
	INSERT INTO customer_user_addresses (organization_id, user_id, ` + addressColumns + `)
	SELECT organization_id, user_id, ` + addressColumns + `
	FROM jsonb_populate_recordset(NULL::customer_user_addresses, $3::jsonb)`

// userWritableColumns are the columns of userValues.
const userWritableColumns = `customer_id, email, email_key, name_prefix, first_name, middle_name, last_name,
	name_suffix, birthday, phone, enabled, confirmed, guest, auth_status, sales_rep_ids, owner_id,
	website_id, preferred_localization_id, attributes, external_id, password_hash, password_changed_at,
	last_login_at, login_count, updated_at`

// textArray is a text[] value, sent as an array literal.
type textArray []string

var _ driver.Valuer = textArray(nil)

// Value implements driver.Valuer: the literal {"a","b"} with quotes and
// backslashes escaped.
func (a textArray) Value() (driver.Value, error) {
	var b strings.Builder
	b.WriteByte('{')
	for i, s := range a {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('"')
		for _, c := range s {
			if c == '"' || c == '\\' {
				b.WriteByte('\\')
			}
			b.WriteRune(c)
		}
		b.WriteByte('"')
	}
	b.WriteByte('}')
	return b.String(), nil
}

// GetManyByEmailKeys returns the non-guest users of org with any of the
// keys (each user once), probing the unique e-mail key index once per
// distinct key. It implements customeruser.BatchUserReader.
func (r userRepo) GetManyByEmailKeys(ctx context.Context, org uuid.UUID, keys []string) ([]customeruser.User, error) {
	if len(keys) == 0 {
		return []customeruser.User{}, nil
	}
	var rows []userRow
	if err := r.s.fixedRows(ctx, &rows, getUsersByKeysSQL, org, textArray(keys)); err != nil {
		return nil, mapErr(err)
	}
	out := make([]customeruser.User, len(rows))
	for i := range rows {
		out[i] = rows[i].user()
	}
	return out, nil
}

// getUsersByKeysSQL finds users by e-mail key. The organization comes out
// of an OFFSET 0 subquery, which the planner cannot flatten, so that it
// has no estimate of the organization's rows to go by: with
// "organization_id = $1" it estimates about one row for an organization
// its statistics do not know (a new one, any one when another dominates
// the table, and the rows an import is adding, which are not analysed or
// not even committed) and scans every row of the organization through
// another index on each call, which makes an import quadratic. Here the
// only plan is a nested loop probing customer_users_email_key_uq once per
// key (see BENCHMARKS.md). DISTINCT returns a user once however often its
// key is given.
const getUsersByKeysSQL = "SELECT " + userColumns + `
	FROM (SELECT DISTINCT $1::uuid AS org, k FROM unnest($2::text[]) AS k OFFSET 0) s
	JOIN customer_users u ON u.organization_id = s.org AND u.email_key = s.k
	WHERE NOT u.guest ORDER BY u.email_key`

// MaxRoleCount returns the largest number of roles one user matching f
// holds (0 when none matches), in one query with List's filters. It
// implements customeruser.UserRoleCounter.
func (r userRepo) MaxRoleCount(ctx context.Context, org uuid.UUID, f customeruser.UserFilter) (int, error) {
	q := userFilter(org, f)
	var n int
	_, err := r.s.fixedRow(ctx, []any{&n}, dollar(`SELECT coalesce(max((SELECT count(*) FROM customer_user_roles l
		WHERE l.organization_id = u.organization_id AND l.user_id = u.id)), 0) FROM customer_users u`+q.whereSQL()), q.args...)
	if err != nil {
		return 0, mapErr(err)
	}
	return n, nil
}
