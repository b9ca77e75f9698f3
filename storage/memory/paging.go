package memory

import (
	"bytes"
	"cmp"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	cu "github.com/b2bkit/customerusers"
)

// sortKey of a time: fixed width, so that keys compare as the times do.
func timeKey(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000000Z") }

// textKey of a string sort: case-insensitive, as the Postgres indexes on
// lower(...) sort.
func textKey(s string) string { return strings.ToLower(s) }

// paginate sorts items by (key, id), ascending or descending, and cuts the
// page after the cursor.
func paginate[T any](items []T, key func(T) string, id func(T) uuid.UUID, p cu.Page, desc bool) (cu.PageOf[T], error) {
	p, err := p.Normalize()
	if err != nil {
		return cu.PageOf[T]{}, err
	}
	type row struct {
		item T
		key  string
		id   uuid.UUID
	}
	rows := make([]row, len(items))
	for i, it := range items {
		rows[i] = row{it, key(it), id(it)}
	}
	compare := func(ak string, aid uuid.UUID, bk string, bid uuid.UUID) int {
		c := cmp.Compare(ak, bk)
		if c == 0 {
			c = bytes.Compare(aid[:], bid[:])
		}
		if desc {
			c = -c
		}
		return c
	}
	slices.SortFunc(rows, func(a, b row) int { return compare(a.key, a.id, b.key, b.id) })
	start := 0
	if p.Cursor != "" {
		c, err := cu.DecodeCursor(p.Cursor)
		if err != nil {
			return cu.PageOf[T]{}, err
		}
		start, _ = slices.BinarySearchFunc(rows, c, func(r row, c cu.Cursor) int {
			if compare(r.key, r.id, c.Key, c.ID) <= 0 {
				return -1
			}
			return 1
		})
	}
	end := min(start+p.Limit, len(rows))
	out := cu.PageOf[T]{Items: make([]T, 0, end-start)}
	for _, r := range rows[start:end] {
		out.Items = append(out.Items, r.item)
	}
	if end < len(rows) && end > start {
		last := rows[end-1]
		out.NextCursor = cu.EncodeCursor(cu.Cursor{Sort: p.Sort.String(), Key: last.key, ID: last.id})
	}
	return out, nil
}

func containsFold(s, sub string) bool {
	return sub == "" || strings.Contains(strings.ToLower(s), strings.ToLower(sub))
}

func inIDs(ids []uuid.UUID, id uuid.UUID) bool {
	return len(ids) == 0 || slices.Contains(ids, id)
}
