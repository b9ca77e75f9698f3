package customerusers

import (
	"encoding/base64"
	"encoding/json"
	"strings"

	"github.com/google/uuid"
)

// Page limits.
const (
	DefaultPageLimit = 50
	MaxPageLimit     = 500
)

// Page asks for one page of a keyset-paginated list.
type Page struct {
	// Limit is the page size; 0 means DefaultPageLimit.
	Limit int
	// Cursor is the NextCursor of the previous page; "" for the first page.
	Cursor string
	// Sort is the sort order; the zero value is the list's default order.
	// The id is always the final tie-breaker.
	Sort Sort
}

// Normalize validates the page and fills defaults.
func (p Page) Normalize() (Page, error) {
	var v Violations
	switch {
	case p.Limit == 0:
		p.Limit = DefaultPageLimit
	case p.Limit < 0:
		v.Add("limit", "min", "limit must be positive")
	case p.Limit > MaxPageLimit:
		v.Addf("limit", "max", "limit must be at most %d", MaxPageLimit)
	}
	if p.Cursor != "" {
		c, err := DecodeCursor(p.Cursor)
		if err != nil {
			v.Add("cursor", "format", "cursor is malformed")
		} else if c.Sort != p.Sort.String() {
			v.Add("cursor", "sort", "cursor belongs to another sort order")
		}
	}
	return p, v.Err()
}

// Sort is a sort order on one field.
type Sort struct {
	Field string
	Desc  bool
}

// ParseSort reads "field" or "-field" (descending).
func ParseSort(s string) Sort {
	if f, ok := strings.CutPrefix(s, "-"); ok {
		return Sort{Field: f, Desc: true}
	}
	return Sort{Field: s}
}

// String returns the form ParseSort reads.
func (s Sort) String() string {
	if s.Desc {
		return "-" + s.Field
	}
	return s.Field
}

// Cursor is the position after the last row of a page: the sort key of that
// row and its id. Clients see it only as an opaque string.
type Cursor struct {
	Sort string    `json:"s,omitempty"`
	Key  string    `json:"k,omitempty"`
	ID   uuid.UUID `json:"i"`
}

// EncodeCursor returns the opaque form of c.
func EncodeCursor(c Cursor) string {
	b, _ := json.Marshal(c) // cannot fail: strings and a UUID
	return base64.RawURLEncoding.EncodeToString(b)
}

// DecodeCursor parses an opaque cursor.
func DecodeCursor(s string) (Cursor, error) {
	var c Cursor
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return c, FieldError("cursor", "format", "cursor is malformed")
	}
	if err := json.Unmarshal(b, &c); err != nil {
		return c, FieldError("cursor", "format", "cursor is malformed")
	}
	return c, nil
}

// PageOf is one page of results.
type PageOf[T any] struct {
	Items []T
	// NextCursor fetches the following page; "" when this is the last one.
	NextCursor string
}
