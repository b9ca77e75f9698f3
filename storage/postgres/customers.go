package postgres

import (
	"context"
	"database/sql"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	cu "github.com/b2bkit/customerusers"
	"github.com/b2bkit/customerusers/customeruser"
)

type customerRepo struct{ s *Store }

// customerRow is a row of customers.
type customerRow struct {
	OrganizationID uuid.UUID `bun:"organization_id"`
	ID             uuid.UUID `bun:"id"`
	Name           string    `bun:"name"`
	ParentID       uuid.UUID `bun:"parent_id"`
	GroupName      string    `bun:"group_name"`
	SalesRepIDs    uuidArray `bun:"sales_rep_ids"`
	OwnerID        uuid.UUID `bun:"owner_id"`
	ExternalID     string    `bun:"external_id"`
	CreatedAt      time.Time `bun:"created_at"`
	UpdatedAt      time.Time `bun:"updated_at"`
	Version        int64     `bun:"version"`
	SortKey        string    `bun:"sort_key"`
}

const customerColumns = `c.organization_id, c.id, c.name, c.parent_id, c.group_name, c.sales_rep_ids, c.owner_id,
	c.external_id, c.created_at, c.updated_at, c.version`

func (x customerRow) customer() customeruser.Customer {
	return customeruser.Customer{
		ID: x.ID, OrganizationID: x.OrganizationID, Name: x.Name, ParentID: x.ParentID, Group: x.GroupName,
		SalesRepIDs: x.SalesRepIDs, OwnerID: x.OwnerID, ExternalID: x.ExternalID,
		CreatedAt: x.CreatedAt.UTC(), UpdatedAt: x.UpdatedAt.UTC(), Version: x.Version,
	}
}

func (r customerRepo) Get(ctx context.Context, org, id uuid.UUID) (customeruser.Customer, error) {
	var row customerRow
	found, err := r.s.fixedRow(ctx, []any{&row},
		"SELECT "+customerColumns+" FROM customers c WHERE c.organization_id = $1 AND c.id = $2", org, id)
	if err != nil {
		return customeruser.Customer{}, mapErr(err)
	}
	if !found {
		return customeruser.Customer{}, cu.NotFound("customer " + id.String())
	}
	return row.customer(), nil
}

func (r customerRepo) GetMany(ctx context.Context, org uuid.UUID, ids []uuid.UUID) ([]customeruser.Customer, error) {
	if len(ids) == 0 {
		return []customeruser.Customer{}, nil
	}
	var rows []customerRow
	err := r.s.fixedRows(ctx, &rows, "SELECT "+customerColumns+" FROM customers c WHERE c.organization_id = $1 AND c.id = ANY($2::uuid[])",
		org, uuidArray(ids))
	if err != nil {
		return nil, mapErr(err)
	}
	out := make([]customeruser.Customer, len(rows))
	for i, x := range rows {
		out[i] = x.customer()
	}
	return out, nil
}

func (r customerRepo) List(ctx context.Context, org uuid.UUID, f customeruser.CustomerFilter, p cu.Page) (cu.PageOf[customeruser.Customer], error) {
	var none cu.PageOf[customeruser.Customer]
	pg, err := readPage(p)
	if err != nil {
		return none, err
	}
	var k sortKey
	switch pg.sort.Field {
	case "", "name":
		k = sortKey{expr: `lower(c.name) COLLATE "C"`, idExpr: "c.id", desc: pg.sort.Desc}
	case "createdAt":
		k = sortKey{expr: "c.created_at", idExpr: "c.id", kind: timeKeyKind, desc: pg.sort.Desc}
	default:
		return none, unknownSort("customers", "name", "createdAt")
	}
	var q query
	q.where("c.organization_id = ?", org)
	if len(f.IDs) > 0 {
		q.where("c.id = ANY(?)", uuidArray(f.IDs))
	}
	if f.ParentID != uuid.Nil {
		q.where("c.parent_id = ?", f.ParentID)
	}
	if f.TopLevel {
		q.where("c.parent_id IS NULL")
	}
	if f.SubtreeOf != uuid.Nil {
		q.where("c.path @> ?", uuidArray{f.SubtreeOf})
	}
	if f.Name != "" {
		q.where("lower(c.name) LIKE lower(?)", containsPattern(f.Name))
	}
	if err := q.seek(k, pg.cursor); err != nil {
		return none, err
	}
	var rows []customerRow
	sql := "SELECT " + customerColumns + ", " + k.expr + " AS sort_key FROM customers c" + q.whereSQL() + k.orderSQL(pg.limit)
	if k.kind == timeKeyKind {
		sql = "SELECT " + customerColumns + ", '' AS sort_key FROM customers c" + q.whereSQL() + k.orderSQL(pg.limit)
	}
	if err := r.s.fixedRows(ctx, &rows, dollar(sql), q.args...); err != nil {
		return none, mapErr(err)
	}
	key := func(x customerRow) string { return x.SortKey }
	if k.kind == timeKeyKind {
		key = func(x customerRow) string { return timeKey(x.CreatedAt) }
	}
	return cut(rows, pg, key, func(x customerRow) uuid.UUID { return x.ID },
		func(x customerRow) (customeruser.Customer, error) { return x.customer(), nil })
}

// hierarchyLock is the advisory lock (per organization) that orders
// changes of the tree: creating a customer under a parent takes it shared,
// moving a customer takes it exclusively. A move rewrites the paths of a
// whole subtree; without the lock, a child created meanwhile could copy
// its parent's old path.
const hierarchyLock = "hashtextextended('github.com/b2bkit/customerusers hierarchy ' || ?::text, 0)"

func (r customerRepo) Create(ctx context.Context, c customeruser.Customer) error {
	args := []any{c.OrganizationID, c.ID, c.Name, nullID(c.ParentID), c.Group, uuidArray(c.SalesRepIDs),
		nullID(c.OwnerID), c.ExternalID, c.CreatedAt, c.UpdatedAt, max(c.Version, 1)}
	const insert = `INSERT INTO customers (organization_id, id, name, parent_id, group_name, sales_rep_ids, owner_id,
		external_id, created_at, updated_at, version, path) `
	if c.ParentID == uuid.Nil {
		_, err := r.s.idb(ctx).NewRaw(insert+"VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ARRAY[?::uuid])",
			append(args, c.ID)...).Exec(ctx)
		return mapErr(err)
	}
	return r.s.inTx(ctx, func(db bun.IDB) error {
		if _, err := db.NewRaw("SELECT pg_advisory_xact_lock_shared("+hierarchyLock+")", c.OrganizationID).Exec(ctx); err != nil {
			return mapErr(err)
		}
		// The path is the parent's plus the new id; no parent row (in this
		// organization), no insert.
		res, err := db.NewRaw(insert+`SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, p.path || ?::uuid
			FROM customers p WHERE p.organization_id = ? AND p.id = ?`,
			append(args, c.ID, c.OrganizationID, c.ParentID)...).Exec(ctx)
		if err != nil {
			return mapErr(err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return cu.FieldError("parentId", "not_found", msgNoParent)
		}
		return nil
	})
}

func (r customerRepo) Update(ctx context.Context, c customeruser.Customer, expected int64) error {
	// The usual update keeps the parent: one statement, which refuses to
	// change the parent (that is a move).
	var updated, found, moving bool
	err := r.s.idb(ctx).NewRaw(`WITH u AS (
			UPDATE customers SET name = ?0, group_name = ?1, sales_rep_ids = ?2, owner_id = ?3, external_id = ?4,
				updated_at = ?5, version = version + 1
			WHERE organization_id = ?6 AND id = ?7 AND version = ?8 AND parent_id IS NOT DISTINCT FROM ?9
			RETURNING 1)
		SELECT EXISTS (SELECT 1 FROM u),
			EXISTS (SELECT 1 FROM customers WHERE organization_id = ?6 AND id = ?7),
			EXISTS (SELECT 1 FROM customers WHERE organization_id = ?6 AND id = ?7 AND parent_id IS DISTINCT FROM ?9)`,
		c.Name, c.Group, uuidArray(c.SalesRepIDs), nullID(c.OwnerID), c.ExternalID, c.UpdatedAt,
		c.OrganizationID, c.ID, expected, nullID(c.ParentID)).Scan(ctx, &updated, &found, &moving)
	if err != nil || updated || !moving {
		return versioned(mapErr(err), updated, found, "customer", c.ID)
	}
	return r.move(ctx, c, expected)
}

// move updates a customer whose parent changes, and the paths of its whole
// subtree, under the exclusive hierarchy lock.
func (r customerRepo) move(ctx context.Context, c customeruser.Customer, expected int64) error {
	return r.s.inTx(ctx, func(db bun.IDB) error {
		if _, err := db.NewRaw("SELECT pg_advisory_xact_lock("+hierarchyLock+")", c.OrganizationID).Exec(ctx); err != nil {
			return mapErr(err)
		}
		// Under the lock the tree cannot change: check the version, the
		// new parent and the absence of a cycle, then move.
		var version int64
		var parentPath uuidArray
		var parentFound bool
		found, err := scanOne(ctx, db, []any{&version, &parentPath, &parentFound}, `SELECT c.version, p.path, p.id IS NOT NULL
			FROM customers c LEFT JOIN customers p ON p.organization_id = c.organization_id AND p.id = ?
			WHERE c.organization_id = ? AND c.id = ?`, nullID(c.ParentID), c.OrganizationID, c.ID)
		switch {
		case err != nil:
			return mapErr(err)
		case !found:
			return cu.NotFound("customer " + c.ID.String())
		case version != expected:
			return cu.Stale("customer")
		case c.ParentID != uuid.Nil && !parentFound:
			return cu.FieldError("parentId", "not_found", msgNoParent)
		case slices.Contains(parentPath, c.ID):
			return cu.FieldError("parentId", "cycle", "A customer cannot be moved under itself or one of its descendants.")
		}
		newPath := append(slices.Clone(parentPath), c.ID)
		var moved int
		err = db.NewRaw(`WITH old AS (
				SELECT path FROM customers WHERE organization_id = ?0 AND id = ?1 AND version = ?2
			), moved AS (
				UPDATE customers SET name = ?3, parent_id = ?4, path = ?5, group_name = ?6, sales_rep_ids = ?7,
					owner_id = ?8, external_id = ?9, updated_at = ?10, version = version + 1
				WHERE organization_id = ?0 AND id = ?1 AND version = ?2
				RETURNING id
			), descendants AS (
				UPDATE customers d SET path = ?5::uuid[] || d.path[cardinality(old.path) + 1:]
				FROM old, moved
				WHERE d.organization_id = ?0 AND d.path @> ARRAY[?1::uuid] AND d.id <> ?1
			)
			SELECT count(*) FROM moved`,
			c.OrganizationID, c.ID, expected, c.Name, nullID(c.ParentID), uuidArray(newPath), c.Group,
			uuidArray(c.SalesRepIDs), nullID(c.OwnerID), c.ExternalID, c.UpdatedAt).Scan(ctx, &moved)
		if err != nil {
			return mapErr(err)
		}
		if moved == 0 {
			return cu.Stale("customer")
		}
		return nil
	})
}

func (r customerRepo) Delete(ctx context.Context, org, id uuid.UUID) error {
	res, err := r.s.idb(ctx).NewRaw("DELETE FROM customers WHERE organization_id = ? AND id = ?", org, id).Exec(ctx)
	return affected(res, mapDeleteErr(err), "customer", id)
}

// affected turns the outcome of a delete or update by id into its error:
// no row is cu.ErrNotFound.
func affected(res sql.Result, err error, what string, id uuid.UUID) error {
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return cu.Internal(err)
	} else if n == 0 {
		return cu.NotFound(what + " " + id.String())
	}
	return nil
}

// Subtree returns id and its descendants: one index look-up in the
// materialized paths, whatever the depth.
func (r customerRepo) Subtree(ctx context.Context, org, id uuid.UUID) ([]uuid.UUID, error) {
	var ids []uuid.UUID
	err := r.s.fixedRows(ctx, &ids, "SELECT id FROM customers WHERE organization_id = $1 AND path @> ARRAY[$2::uuid]", org, id)
	if err != nil {
		return nil, mapErr(err)
	}
	if len(ids) == 0 {
		return nil, cu.NotFound("customer " + id.String())
	}
	return ids, nil
}

// Ancestors reads the customer's path: its parent chain, nearest first.
func (r customerRepo) Ancestors(ctx context.Context, org, id uuid.UUID) ([]uuid.UUID, error) {
	var path uuidArray
	found, err := r.s.fixedRow(ctx, []any{&path}, "SELECT path FROM customers WHERE organization_id = $1 AND id = $2", org, id)
	if err != nil {
		return nil, mapErr(err)
	}
	if !found {
		return nil, cu.NotFound("customer " + id.String())
	}
	out := slices.Clone(path[:len(path)-1])
	slices.Reverse(out)
	return out, nil
}

func (r customerRepo) CountChildren(ctx context.Context, org, id uuid.UUID) (int, error) {
	var n int
	err := r.s.idb(ctx).NewRaw("SELECT count(*) FROM customers WHERE organization_id = ? AND parent_id = ?", org, id).Scan(ctx, &n)
	return n, mapErr(err)
}
