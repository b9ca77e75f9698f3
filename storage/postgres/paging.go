package postgres

import (
	"strconv"
	"strings"

	"github.com/google/uuid"

	cu "github.com/b2bkit/customerusers"
)

// query accumulates the conditions and arguments of a list query. The
// conditions use plain ? placeholders (never ?0), in the order of their
// arguments; dollar numbers them for PostgreSQL, so that the statement of
// each filter combination is prepared once per connection.
type query struct {
	conds []string
	args  []any
}

// where adds a condition (ANDed with the others) and its arguments.
func (q *query) where(cond string, args ...any) {
	q.conds = append(q.conds, cond)
	q.args = append(q.args, args...)
}

// whereSQL renders " WHERE c1 AND c2 ...".
func (q *query) whereSQL() string {
	if len(q.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(q.conds, " AND ")
}

// keyKind is the type of a sort key, which decides how a cursor's key
// string becomes an SQL argument.
type keyKind int8

const (
	textKey     keyKind = iota // the key is the (lower-cased) text itself
	timeKeyKind                // the key is a timestamp (timeKey format)
	seqKey                     // the key is a bigint (a sequence number, never negative)
	intKey                     // the key is a bigint of any sign (a position)
)

// sortKey is one keyset sort order: rows are ordered by (expr, idExpr).
type sortKey struct {
	expr   string
	idExpr string
	kind   keyKind
	desc   bool
}

// page is a normalized page request with its decoded cursor.
type page struct {
	limit  int
	sort   cu.Sort
	cursor *cu.Cursor
}

// readPage validates p (limits, cursor format and sort order) as
// cu.Page.Normalize does.
func readPage(p cu.Page) (page, error) {
	p, err := p.Normalize()
	if err != nil {
		return page{}, err
	}
	out := page{limit: p.Limit, sort: p.Sort}
	if p.Cursor != "" {
		c, err := cu.DecodeCursor(p.Cursor)
		if err != nil {
			return page{}, err
		}
		out.cursor = &c
	}
	return out, nil
}

var errBadCursor = cu.FieldError("cursor", "format", "cursor is malformed")

// seek adds the keyset condition after the cursor, if any.
func (q *query) seek(k sortKey, c *cu.Cursor) error {
	if c == nil {
		return nil
	}
	var key any = c.Key
	switch k.kind {
	case timeKeyKind:
		t, ok := parseTimeKey(c.Key)
		if !ok {
			return errBadCursor
		}
		key = t
	case seqKey:
		n, ok := parseSeqKey(c.Key)
		if !ok {
			return errBadCursor
		}
		key = n
	case intKey:
		n, err := strconv.ParseInt(c.Key, 10, 64)
		if err != nil {
			return errBadCursor
		}
		key = n
	}
	op := ">"
	if k.desc {
		op = "<"
	}
	q.where("("+k.expr+", "+k.idExpr+") "+op+" (?, ?)", key, c.ID)
	return nil
}

// orderSQL renders " ORDER BY key, id LIMIT n+1": one row more than the
// page tells whether another page follows.
func (k sortKey) orderSQL(limit int) string {
	dir := ""
	if k.desc {
		dir = " DESC"
	}
	return " ORDER BY " + k.expr + dir + ", " + k.idExpr + dir + " LIMIT " + strconv.Itoa(limit+1)
}

// cut trims rows fetched with orderSQL to the page and returns the page
// with its NextCursor, made from the last row's key and id.
func cut[R, T any](rows []R, p page, key func(R) string, id func(R) uuid.UUID, item func(R) (T, error)) (cu.PageOf[T], error) {
	var out cu.PageOf[T]
	if len(rows) > p.limit {
		rows = rows[:p.limit]
		last := rows[len(rows)-1]
		out.NextCursor = cu.EncodeCursor(cu.Cursor{Sort: p.sort.String(), Key: key(last), ID: id(last)})
	}
	out.Items = make([]T, 0, len(rows))
	for _, r := range rows {
		it, err := item(r)
		if err != nil {
			return cu.PageOf[T]{}, err
		}
		out.Items = append(out.Items, it)
	}
	return out, nil
}

// unknownSort is the error of a sort field a list does not offer.
func unknownSort(what string, fields ...string) error {
	return cu.FieldError("sort", "unknown", what+" sort by "+strings.Join(fields, ", "))
}
