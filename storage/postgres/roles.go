package postgres

import (
	"context"
	"time"

	"github.com/google/uuid"

	cu "github.com/b2bkit/customerusers"
	"github.com/b2bkit/customerusers/role"
)

type roleRepo struct{ s *Store }

// roleRow is a row of roles.
type roleRow struct {
	OrganizationID uuid.UUID    `bun:"organization_id"`
	ID             uuid.UUID    `bun:"id"`
	Code           string       `bun:"code"`
	Label          string       `bun:"label"`
	CustomerID     uuid.UUID    `bun:"customer_id"`
	SelfManaged    bool         `bun:"self_managed"`
	Public         bool         `bun:"public"`
	Grants         []role.Grant `bun:"grants,type:jsonb"`
	Capabilities   []string     `bun:"capabilities,type:jsonb"`
	CreatedAt      time.Time    `bun:"created_at"`
	UpdatedAt      time.Time    `bun:"updated_at"`
	Version        int64        `bun:"version"`
	SortKey        string       `bun:"sort_key"`
}

const roleColumns = `r.organization_id, r.id, r.code, r.label, r.customer_id, r.self_managed, r.public,
	r.grants, r.capabilities, r.created_at, r.updated_at, r.version`

func (x roleRow) role() role.Role {
	return role.Role{
		ID: x.ID, OrganizationID: x.OrganizationID, Code: x.Code, Label: x.Label, CustomerID: x.CustomerID,
		SelfManaged: x.SelfManaged, Public: x.Public, Grants: x.Grants, Capabilities: x.Capabilities,
		CreatedAt: x.CreatedAt.UTC(), UpdatedAt: x.UpdatedAt.UTC(), Version: x.Version,
	}
}

func (r roleRepo) getBy(ctx context.Context, cond string, args ...any) (role.Role, bool, error) {
	var row roleRow
	found, err := r.s.fixedRow(ctx, []any{&row}, "SELECT "+roleColumns+" FROM roles r WHERE "+cond, args...)
	if err != nil {
		return role.Role{}, false, mapErr(err)
	}
	return row.role(), found, nil
}

func (r roleRepo) Get(ctx context.Context, org, id uuid.UUID) (role.Role, error) {
	x, found, err := r.getBy(ctx, "r.organization_id = $1 AND r.id = $2", org, id)
	if err == nil && !found {
		err = cu.NotFound("role " + id.String())
	}
	return x, err
}

func (r roleRepo) GetByCode(ctx context.Context, org uuid.UUID, code string) (role.Role, error) {
	x, found, err := r.getBy(ctx, "r.organization_id = $1 AND r.code = $2", org, code)
	if err == nil && !found {
		err = cu.NotFound("role " + code)
	}
	return x, err
}

func (r roleRepo) GetMany(ctx context.Context, org uuid.UUID, ids []uuid.UUID) ([]role.Role, error) {
	if len(ids) == 0 {
		return []role.Role{}, nil
	}
	var rows []roleRow
	err := r.s.fixedRows(ctx, &rows, "SELECT "+roleColumns+" FROM roles r WHERE r.organization_id = $1 AND r.id = ANY($2::uuid[])",
		org, uuidArray(ids))
	if err != nil {
		return nil, mapErr(err)
	}
	out := make([]role.Role, len(rows))
	for i, x := range rows {
		out[i] = x.role()
	}
	return out, nil
}

func (r roleRepo) List(ctx context.Context, org uuid.UUID, f role.Filter, p cu.Page) (cu.PageOf[role.Role], error) {
	pg, err := readPage(p)
	if err != nil {
		return cu.PageOf[role.Role]{}, err
	}
	if pg.sort.Field != "" && pg.sort.Field != "label" {
		return cu.PageOf[role.Role]{}, unknownSort("roles", "label")
	}
	k := sortKey{expr: `lower(r.label) COLLATE "C"`, idExpr: "r.id", desc: pg.sort.Desc}
	var q query
	q.where("r.organization_id = ?", org)
	if len(f.IDs) > 0 {
		q.where("r.id = ANY(?)", uuidArray(f.IDs))
	}
	if f.Label != "" {
		q.where("lower(r.label) LIKE lower(?)", containsPattern(f.Label))
	}
	if f.PredefinedOnly {
		q.where("r.customer_id IS NULL")
	}
	orPredefined := ""
	if f.IncludePredefined {
		orPredefined = " OR r.customer_id IS NULL"
	}
	if f.CustomerID != uuid.Nil {
		q.where("(r.customer_id = ?"+orPredefined+")", f.CustomerID)
	}
	if len(f.CustomerIDs) > 0 {
		q.where("(r.customer_id = ANY(?)"+orPredefined+")", uuidArray(f.CustomerIDs))
	}
	if f.Storefront {
		q.where("r.self_managed AND r.public")
	}
	if err := q.seek(k, pg.cursor); err != nil {
		return cu.PageOf[role.Role]{}, err
	}
	var rows []roleRow
	sql := "SELECT " + roleColumns + ", " + k.expr + " AS sort_key FROM roles r" + q.whereSQL() + k.orderSQL(pg.limit)
	if err := r.s.fixedRows(ctx, &rows, dollar(sql), q.args...); err != nil {
		return cu.PageOf[role.Role]{}, mapErr(err)
	}
	return cut(rows, pg, func(x roleRow) string { return x.SortKey }, func(x roleRow) uuid.UUID { return x.ID },
		func(x roleRow) (role.Role, error) { return x.role(), nil })
}

// roleArgs are the arguments of the writable columns: code, label,
// customer_id, self_managed, public, grants, capabilities, updated_at.
func roleArgs(x role.Role) ([]any, error) {
	grants := x.Grants
	if grants == nil {
		grants = []role.Grant{}
	}
	caps := x.Capabilities
	if caps == nil {
		caps = []string{}
	}
	g, err := jsonArg(grants)
	if err != nil {
		return nil, err
	}
	c, err := jsonArg(caps)
	if err != nil {
		return nil, err
	}
	return []any{x.Code, x.Label, nullID(x.CustomerID), x.SelfManaged, x.Public, g, c, x.UpdatedAt}, nil
}

// Create inserts the role. A taken id, code or label does not fail the
// statement (ON CONFLICT DO NOTHING, which waits for a concurrent insert
// of the same key to commit or roll back), so the transaction of ctx stays
// usable and a second look tells which one is taken: the label first, the
// one the user chose, since two roles racing with one label also derive
// one code.
func (r roleRepo) Create(ctx context.Context, x role.Role) error {
	args, err := roleArgs(x)
	if err != nil {
		return cu.Internal(err)
	}
	db := r.s.idb(ctx)
	res, err := db.NewRaw(`INSERT INTO roles (code, label, customer_id, self_managed, public, grants, capabilities,
		updated_at, organization_id, id, created_at, version)
		VALUES (?, ?, ?, ?, ?, ?::jsonb, ?::jsonb, ?, ?, ?, ?, 1) ON CONFLICT DO NOTHING`,
		append(args, x.OrganizationID, x.ID, x.CreatedAt)...).Exec(ctx)
	if err != nil {
		return mapErr(err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return cu.Internal(err)
	} else if n == 1 {
		return nil
	}
	var label, code bool
	err = db.NewRaw(`SELECT
			EXISTS (SELECT 1 FROM roles WHERE organization_id = ?0 AND lower(label) = lower(?1)
				AND coalesce(customer_id, '00000000-0000-0000-0000-000000000000') = coalesce(?2::uuid, '00000000-0000-0000-0000-000000000000')),
			EXISTS (SELECT 1 FROM roles WHERE organization_id = ?0 AND code = ?3)`,
		x.OrganizationID, x.Label, nullID(x.CustomerID), x.Code).Scan(ctx, &label, &code)
	switch {
	case err != nil:
		return mapErr(err)
	case label:
		return uniqueErrors["roles_label_uq"]()
	case code:
		return uniqueErrors["roles_code_uq"]()
	}
	return uniqueErrors["roles_pkey"]()
}

func (r roleRepo) Update(ctx context.Context, x role.Role, expected int64) error {
	args, err := roleArgs(x)
	if err != nil {
		return cu.Internal(err)
	}
	var updated, found bool
	err = r.s.idb(ctx).NewRaw(`WITH u AS (
			UPDATE roles SET code = ?, label = ?, customer_id = ?, self_managed = ?, public = ?,
				grants = ?::jsonb, capabilities = ?::jsonb, updated_at = ?, version = version + 1
			WHERE organization_id = ? AND id = ? AND version = ?
			RETURNING 1)
		SELECT EXISTS (SELECT 1 FROM u), EXISTS (SELECT 1 FROM roles WHERE organization_id = ? AND id = ?)`,
		append(args, x.OrganizationID, x.ID, expected, x.OrganizationID, x.ID)...).Scan(ctx, &updated, &found)
	return versioned(mapErr(err), updated, found, "role", x.ID)
}

// versioned turns the outcome of an optimistic update into its error.
func versioned(err error, updated, found bool, what string, id uuid.UUID) error {
	switch {
	case err != nil:
		return err
	case updated:
		return nil
	case found:
		return cu.Stale(what)
	default:
		return cu.NotFound(what + " " + id.String())
	}
}

func (r roleRepo) Delete(ctx context.Context, org, id uuid.UUID) error {
	res, err := r.s.idb(ctx).NewRaw("DELETE FROM roles WHERE organization_id = ? AND id = ?", org, id).Exec(ctx)
	return affected(res, mapDeleteErr(err), "role", id)
}
