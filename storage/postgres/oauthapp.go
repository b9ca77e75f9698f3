package postgres

import (
	"bytes"
	"context"
	"slices"
	"time"

	"github.com/google/uuid"

	cu "github.com/b2bkit/customerusers"
	"github.com/b2bkit/customerusers/customeruser"
	"github.com/b2bkit/customerusers/oauthapp"
)

// OAuthApps returns the OAuth application repository.
func (s *Store) OAuthApps() oauthapp.AppRepository { return appRepo{s} }

// AccessTokens returns the OAuth access token repository.
func (s *Store) AccessTokens() oauthapp.TokenRepository { return accessTokenRepo{s} }

type appRepo struct{ s *Store }

// appRow is a row of oauth_apps.
type appRow struct {
	OrganizationID uuid.UUID  `bun:"organization_id"`
	ID             uuid.UUID  `bun:"id"`
	OwnerUserID    uuid.UUID  `bun:"owner_user_id"`
	Name           string     `bun:"name"`
	ClientID       string     `bun:"client_id"`
	SecretHash     []byte     `bun:"secret_hash"`
	Grants         []string   `bun:"grants,type:jsonb"`
	Active         bool       `bun:"active"`
	Scopes         []string   `bun:"scopes,type:jsonb"`
	LastUsedAt     *time.Time `bun:"last_used_at"`
	CreatedAt      time.Time  `bun:"created_at"`
	UpdatedAt      time.Time  `bun:"updated_at"`
	Version        int64      `bun:"version"`
	SortKey        string     `bun:"sort_key"`
}

const appColumns = `a.organization_id, a.id, a.owner_user_id, a.name, a.client_id, a.secret_hash, a.grants, a.active,
	a.scopes, a.last_used_at, a.created_at, a.updated_at, a.version`

func (x appRow) app() oauthapp.App {
	a := oauthapp.App{
		ID: x.ID, OrganizationID: x.OrganizationID, OwnerUserID: x.OwnerUserID, Name: x.Name, ClientID: x.ClientID,
		SecretHash: x.SecretHash, Active: x.Active, LastUsedAt: utcPtr(x.LastUsedAt),
		CreatedAt: x.CreatedAt.UTC(), UpdatedAt: x.UpdatedAt.UTC(), Version: x.Version,
	}
	if len(x.Grants) > 0 {
		a.Grants = x.Grants
	}
	if len(x.Scopes) > 0 {
		a.Scopes = x.Scopes
	}
	return a
}

// stringsJSON renders a string list as a JSON array (never null).
func stringsJSON(v []string) (string, error) {
	if v == nil {
		v = []string{}
	}
	return jsonArg(v)
}

// appArgs are the arguments of the writable columns: name, grants,
// active, scopes, last_used_at, updated_at.
func appArgs(a oauthapp.App) ([]any, error) {
	grants, err := stringsJSON(a.Grants)
	if err != nil {
		return nil, err
	}
	scopes, err := stringsJSON(a.Scopes)
	if err != nil {
		return nil, err
	}
	return []any{a.Name, grants, a.Active, scopes, nullTime(a.LastUsedAt), a.UpdatedAt}, nil
}

func (r appRepo) Create(ctx context.Context, a oauthapp.App) error {
	args, err := appArgs(a)
	if err != nil {
		return cu.Internal(err)
	}
	secret := a.SecretHash
	if secret == nil {
		secret = []byte{}
	}
	_, err = r.s.fixedExec(ctx, `INSERT INTO oauth_apps (name, grants, active, scopes, last_used_at, updated_at,
			organization_id, id, owner_user_id, client_id, secret_hash, created_at, version)
		VALUES ($1, $2::jsonb, $3, $4::jsonb, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
		append(args, a.OrganizationID, a.ID, a.OwnerUserID, a.ClientID, secret, a.CreatedAt, max(a.Version, 1))...)
	return mapErr(err)
}

func (r appRepo) getBy(ctx context.Context, cond string, args ...any) (oauthapp.App, error) {
	var row appRow
	found, err := r.s.fixedRow(ctx, []any{&row}, "SELECT "+appColumns+" FROM oauth_apps a WHERE "+cond, args...)
	if err != nil {
		return oauthapp.App{}, mapErr(err)
	}
	if !found {
		return oauthapp.App{}, cu.NotFound("OAuth application")
	}
	return row.app(), nil
}

func (r appRepo) Get(ctx context.Context, org, id uuid.UUID) (oauthapp.App, error) {
	return r.getBy(ctx, "a.organization_id = $1 AND a.id = $2", org, id)
}

// GetByClientID looks the client id up in its (global) unique index, then
// keeps the row only if it belongs to org.
func (r appRepo) GetByClientID(ctx context.Context, org uuid.UUID, clientID string) (oauthapp.App, error) {
	return r.getBy(ctx, "a.client_id = $1 AND a.organization_id = $2", clientID, org)
}

// appSortKey is the keyset order of an application sort.
func appSortKey(s cu.Sort) (sortKey, error) {
	switch s.Field {
	case "", oauthapp.SortName:
		return sortKey{expr: `lower(a.name) COLLATE "C"`, idExpr: "a.id", desc: s.Desc}, nil
	case oauthapp.SortCreatedAt:
		return sortKey{expr: "a.created_at", idExpr: "a.id", kind: timeKeyKind, desc: s.Desc}, nil
	}
	return sortKey{}, unknownSort("applications", oauthapp.SortName, oauthapp.SortCreatedAt)
}

func (r appRepo) List(ctx context.Context, org uuid.UUID, f oauthapp.AppFilter, p cu.Page) (cu.PageOf[oauthapp.App], error) {
	var none cu.PageOf[oauthapp.App]
	pg, err := readPage(p)
	if err != nil {
		return none, err
	}
	k, err := appSortKey(pg.sort)
	if err != nil {
		return none, err
	}
	var q query
	q.where("a.organization_id = ?", org)
	if f.OwnerUserID != uuid.Nil {
		q.where("a.owner_user_id = ?", f.OwnerUserID)
	}
	if f.Active != nil {
		q.where("a.active = ?", *f.Active)
	}
	if f.Name != "" {
		q.where("lower(a.name) LIKE lower(?)", containsPattern(f.Name))
	}
	if err := q.seek(k, pg.cursor); err != nil {
		return none, err
	}
	keyCol := k.expr
	if k.kind == timeKeyKind {
		keyCol = "''"
	}
	var rows []appRow
	sql := "SELECT " + appColumns + ", " + keyCol + " AS sort_key FROM oauth_apps a" + q.whereSQL() + k.orderSQL(pg.limit)
	if err := r.s.fixedRows(ctx, &rows, dollar(sql), q.args...); err != nil {
		return none, mapErr(err)
	}
	key := func(x appRow) string { return x.SortKey }
	if k.kind == timeKeyKind {
		key = func(x appRow) string { return timeKey(x.CreatedAt) }
	}
	return cut(rows, pg, key, func(x appRow) uuid.UUID { return x.ID },
		func(x appRow) (oauthapp.App, error) { return x.app(), nil })
}

// Update writes the editable columns if the version is the expected one;
// the owner, client id, secret and creation time never change.
func (r appRepo) Update(ctx context.Context, a oauthapp.App, expectedVersion int64) error {
	args, err := appArgs(a)
	if err != nil {
		return cu.Internal(err)
	}
	var updated, found bool
	_, err = r.s.fixedRow(ctx, []any{&updated, &found}, `WITH u AS (
			UPDATE oauth_apps SET name = $1, grants = $2::jsonb, active = $3, scopes = $4::jsonb, last_used_at = $5,
				updated_at = $6, version = version + 1
			WHERE organization_id = $7 AND id = $8 AND version = $9
			RETURNING 1)
		SELECT EXISTS (SELECT 1 FROM u), EXISTS (SELECT 1 FROM oauth_apps WHERE organization_id = $7 AND id = $8)`,
		append(args, a.OrganizationID, a.ID, expectedVersion)...)
	return versioned(mapErr(err), updated, found, "OAuth application", a.ID)
}

func (r appRepo) Touch(ctx context.Context, org, id uuid.UUID, lastUsedAt time.Time) error {
	res, err := r.s.fixedExec(ctx, "UPDATE oauth_apps SET last_used_at = $1 WHERE organization_id = $2 AND id = $3",
		lastUsedAt, org, id)
	return affected(res, mapErr(err), "OAuth application", id)
}

// Delete deletes the application; its tokens go in the same statement
// (ON DELETE CASCADE).
func (r appRepo) Delete(ctx context.Context, org, id uuid.UUID) error {
	res, err := r.s.fixedExec(ctx, "DELETE FROM oauth_apps WHERE organization_id = $1 AND id = $2", org, id)
	return affected(res, mapDeleteErr(err), "OAuth application", id)
}

// DeleteByOwner deletes the owner's applications and their tokens in one
// statement and returns the deleted rows, ordered by id.
func (r appRepo) DeleteByOwner(ctx context.Context, org, ownerUserID uuid.UUID) ([]oauthapp.App, error) {
	var rows []appRow
	err := r.s.fixedRows(ctx, &rows, "DELETE FROM oauth_apps a WHERE a.organization_id = $1 AND a.owner_user_id = $2 RETURNING "+
		appColumns, org, ownerUserID)
	if err != nil {
		return nil, mapDeleteErr(err)
	}
	out := make([]oauthapp.App, len(rows))
	for i, x := range rows {
		out[i] = x.app()
	}
	slices.SortFunc(out, func(a, b oauthapp.App) int { return bytes.Compare(a.ID[:], b.ID[:]) })
	return out, nil
}

type accessTokenRepo struct{ s *Store }

// accessTokenRow is a row of oauth_access_tokens, with the application and
// owner columns of Lookup's joins (NULL when absent).
type accessTokenRow struct {
	Digest         []byte    `bun:"digest"`
	OrganizationID uuid.UUID `bun:"organization_id"`
	AppID          uuid.UUID `bun:"app_id"`
	ClientID       string    `bun:"client_id"`
	GrantType      string    `bun:"grant_type"`
	UserID         uuid.UUID `bun:"user_id"`
	Scopes         []string  `bun:"scopes,type:jsonb"`
	Unscoped       bool      `bun:"unscoped"`
	RoleIDs        uuidArray `bun:"role_ids"`
	ExpiresAt      time.Time `bun:"expires_at"`
	CreatedAt      time.Time `bun:"created_at"`

	AppFound  bool `bun:"app_found"`
	AppActive bool `bun:"app_active"`

	OwnerFound             bool       `bun:"owner_found"`
	OwnerCustomerID        uuid.UUID  `bun:"owner_customer_id"`
	OwnerEmail             string     `bun:"owner_email"`
	OwnerEnabled           bool       `bun:"owner_enabled"`
	OwnerConfirmed         bool       `bun:"owner_confirmed"`
	OwnerGuest             bool       `bun:"owner_guest"`
	OwnerAuthStatus        string     `bun:"owner_auth_status"`
	OwnerPasswordChangedAt *time.Time `bun:"owner_password_changed_at"`
	OwnerRoleIDs           uuidArray  `bun:"owner_role_ids"`
}

func (r accessTokenRepo) Create(ctx context.Context, t oauthapp.AccessToken) error {
	scopes, err := stringsJSON(t.Scopes)
	if err != nil {
		return cu.Internal(err)
	}
	_, err = r.s.fixedExec(ctx, `INSERT INTO oauth_access_tokens (digest, organization_id, app_id, client_id, grant_type,
			user_id, scopes, unscoped, role_ids, expires_at, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8, $9::uuid[], $10, $11)`,
		t.Digest, t.OrganizationID, nullID(t.AppID), t.ClientID, t.GrantType, t.UserID, scopes, t.Unscoped,
		uuidArray(uniqueIDs(t.RoleIDs)), t.ExpiresAt, t.CreatedAt)
	return mapErr(err)
}

// lookupTokenSQL reads a token by digest (its primary key) with its
// application and its user, the user's current role ids included: one
// indexed statement, whatever happened to the application or the user.
const lookupTokenSQL = `SELECT t.digest, t.organization_id, t.app_id, t.client_id, t.grant_type, t.user_id, t.scopes,
		t.unscoped, t.role_ids, t.expires_at, t.created_at,
		a.id IS NOT NULL AS app_found, coalesce(a.active, false) AS app_active,
		u.id IS NOT NULL AS owner_found, u.customer_id AS owner_customer_id, u.email AS owner_email,
		coalesce(u.enabled, false) AS owner_enabled, coalesce(u.confirmed, false) AS owner_confirmed,
		coalesce(u.guest, false) AS owner_guest, u.auth_status AS owner_auth_status,
		u.password_changed_at AS owner_password_changed_at,
		array(SELECT l.role_id FROM customer_user_roles l
			WHERE l.organization_id = u.organization_id AND l.user_id = u.id ORDER BY l.position) AS owner_role_ids
	FROM oauth_access_tokens t
	LEFT JOIN oauth_apps a ON a.organization_id = t.organization_id AND a.id = t.app_id
	LEFT JOIN customer_users u ON u.organization_id = t.organization_id AND u.id = t.user_id
	WHERE t.digest = $1`

func (r accessTokenRepo) Lookup(ctx context.Context, digest []byte) (oauthapp.TokenLookup, error) {
	var x accessTokenRow
	found, err := r.s.fixedRow(ctx, []any{&x}, lookupTokenSQL, digest)
	if err != nil {
		return oauthapp.TokenLookup{}, mapErr(err)
	}
	if !found {
		return oauthapp.TokenLookup{}, cu.NotFound("access token")
	}
	out := oauthapp.TokenLookup{Token: oauthapp.AccessToken{
		Digest: x.Digest, OrganizationID: x.OrganizationID, AppID: x.AppID, ClientID: x.ClientID, GrantType: x.GrantType,
		UserID: x.UserID, Unscoped: x.Unscoped, RoleIDs: x.RoleIDs, ExpiresAt: x.ExpiresAt.UTC(), CreatedAt: x.CreatedAt.UTC(),
	}}
	if len(x.Scopes) > 0 {
		out.Token.Scopes = x.Scopes
	}
	if x.AppFound {
		out.App = &oauthapp.TokenApp{ID: x.AppID, Active: x.AppActive}
	}
	if x.OwnerFound {
		out.Owner = &oauthapp.TokenOwner{
			ID: x.UserID, CustomerID: x.OwnerCustomerID, Email: x.OwnerEmail, Enabled: x.OwnerEnabled,
			Confirmed: x.OwnerConfirmed, Guest: x.OwnerGuest, AuthStatus: customeruser.AuthStatus(x.OwnerAuthStatus),
			PasswordChangedAt: utcPtr(x.OwnerPasswordChangedAt), RoleIDs: x.OwnerRoleIDs,
		}
	}
	return out, nil
}

func (r accessTokenRepo) Delete(ctx context.Context, org uuid.UUID, digest []byte) error {
	res, err := r.s.fixedExec(ctx, "DELETE FROM oauth_access_tokens WHERE digest = $1 AND organization_id = $2", digest, org)
	if err != nil {
		return mapErr(err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return cu.Internal(err)
	} else if n == 0 {
		return cu.NotFound("access token")
	}
	return nil
}

func (r accessTokenRepo) DeleteForApp(ctx context.Context, org, appID uuid.UUID) error {
	_, err := r.s.fixedExec(ctx, "DELETE FROM oauth_access_tokens WHERE organization_id = $1 AND app_id = $2", org, appID)
	return mapErr(err)
}

func (r accessTokenRepo) DeleteForUser(ctx context.Context, org, userID uuid.UUID) error {
	_, err := r.s.fixedExec(ctx, "DELETE FROM oauth_access_tokens WHERE organization_id = $1 AND user_id = $2", org, userID)
	return mapErr(err)
}

func (r accessTokenRepo) DeleteExpired(ctx context.Context, org uuid.UUID, now time.Time) (int, error) {
	res, err := r.s.fixedExec(ctx, "DELETE FROM oauth_access_tokens WHERE organization_id = $1 AND expires_at <= $2", org, now)
	if err != nil {
		return 0, mapErr(err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, cu.Internal(err)
	}
	return int(n), nil
}
