package postgres

import (
	"context"
	"database/sql/driver"
	"strings"
	"time"

	"github.com/google/uuid"

	cu "github.com/b2bkit/customerusers"
	"github.com/b2bkit/customerusers/customeruser"
)

// The optional extensions of the user repository that imports and exports
// detect.
var (
	_ customeruser.BatchUserWriter = userRepo{}
	_ customeruser.BatchUserReader = userRepo{}
	_ customeruser.UserRoleCounter = userRepo{}
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
	us := make([]userJSON, len(users))
	var links []roleLinkJSON
	var addrs []userAddressJSON
	for i, u := range users {
		var birthday *string
		if u.Birthday != nil {
			b := u.Birthday.UTC().Format(time.DateOnly)
			birthday = &b
		}
		sales := u.SalesRepIDs
		if sales == nil {
			sales = []uuid.UUID{}
		}
		us[i] = userJSON{
			OrganizationID: u.OrganizationID, ID: u.ID, CustomerID: idPtr(u.CustomerID), Email: u.Email, EmailKey: u.EmailKey,
			NamePrefix: u.NamePrefix, FirstName: u.FirstName, MiddleName: u.MiddleName, LastName: u.LastName,
			NameSuffix: u.NameSuffix, Birthday: birthday, Phone: u.Phone, Enabled: u.Enabled, Confirmed: u.Confirmed,
			Guest: u.Guest, AuthStatus: string(u.AuthStatus), SalesRepIDs: sales, OwnerID: idPtr(u.OwnerID),
			WebsiteID: idPtr(u.WebsiteID), PreferredLocalizationID: idPtr(u.PreferredLocalizationID),
			Attributes: u.Attributes, ExternalID: u.ExternalID, PasswordHash: u.PasswordHash,
			PasswordChangedAt: microPtr(u.PasswordChangedAt), LastLoginAt: microPtr(u.LastLoginAt), LoginCount: u.LoginCount,
			CreatedAt: u.CreatedAt.UTC().Truncate(time.Microsecond), UpdatedAt: u.UpdatedAt.UTC().Truncate(time.Microsecond),
			Version: max(u.Version, 1),
		}
		for j, id := range uniqueIDs(u.RoleIDs) {
			links = append(links, roleLinkJSON{OrganizationID: u.OrganizationID, UserID: u.ID, RoleID: id, Position: j + 1})
		}
		if len(u.Addresses) > 0 {
			rows, err := addressRows(u.Addresses)
			if err != nil {
				return cu.Internal(err)
			}
			for _, a := range rows {
				addrs = append(addrs, userAddressJSON{OrganizationID: u.OrganizationID, UserID: u.ID, addressRow: a})
			}
		}
	}
	usersArg, err := jsonArg(us)
	if err != nil {
		return cu.Internal(err)
	}
	if links == nil {
		links = []roleLinkJSON{}
	}
	linksArg, err := jsonArg(links)
	if err != nil {
		return cu.Internal(err)
	}
	if addrs == nil {
		addrs = []userAddressJSON{}
	}
	addrsArg, err := jsonArg(addrs)
	if err != nil {
		return cu.Internal(err)
	}
	_, err = r.s.fixedExec(ctx, createManyUsersSQL, usersArg, linksArg, addrsArg)
	return mapErr(err)
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
