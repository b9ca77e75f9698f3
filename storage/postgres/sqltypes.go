package postgres

import (
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun/schema"
)

// uuidArray is a uuid[] value: Bun appends it as an array literal and
// reads it back from the array's text form.
type uuidArray []uuid.UUID

var (
	_ schema.QueryAppender = uuidArray(nil)
	_ driver.Valuer        = uuidArray(nil)
)

// AppendQuery implements schema.QueryAppender: the literal '{...}', whose
// type the query gives (a uuid[] column, or a ::uuid[] cast where nothing
// else decides it, as in unnest).
func (a uuidArray) AppendQuery(_ schema.QueryGen, b []byte) ([]byte, error) {
	b = append(b, "'{"...)
	for i, id := range a {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, id.String()...)
	}
	return append(b, "}'"...), nil
}

// Value implements driver.Valuer (for drivers given the value directly).
func (a uuidArray) Value() (driver.Value, error) {
	b, _ := a.AppendQuery(schema.QueryGen{}, nil)
	return string(b[1 : len(b)-1]), nil
}

// Scan implements sql.Scanner for the text form {a,b,...}; NULL and {}
// give nil.
func (a *uuidArray) Scan(src any) error {
	var s string
	switch v := src.(type) {
	case nil:
		*a = nil
		return nil
	case string:
		s = v
	case []byte:
		s = string(v)
	default:
		return fmt.Errorf("postgres: cannot scan %T into a uuid array", src)
	}
	if len(s) < 2 || s[0] != '{' || s[len(s)-1] != '}' {
		return fmt.Errorf("postgres: malformed uuid array %q", s)
	}
	s = s[1 : len(s)-1]
	if s == "" {
		*a = nil
		return nil
	}
	out := make(uuidArray, 0, strings.Count(s, ",")+1)
	for part := range strings.SplitSeq(s, ",") {
		id, err := uuid.Parse(part)
		if err != nil {
			return fmt.Errorf("postgres: malformed uuid array element %q", part)
		}
		out = append(out, id)
	}
	*a = out
	return nil
}

// nullID is the argument for a nullable uuid column: NULL for uuid.Nil.
func nullID(id uuid.UUID) any {
	if id == uuid.Nil {
		return nil
	}
	return id
}

// nullTime is the argument for a nullable timestamp: NULL for nil.
func nullTime(t *time.Time) any {
	if t == nil {
		return nil
	}
	return *t
}

// jsonArg marshals v for a jsonb parameter (cast with ::jsonb in the
// query).
func jsonArg(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("postgres: encode json: %w", err)
	}
	return string(b), nil
}

// containsPattern returns a LIKE pattern matching s anywhere, with LIKE's
// wildcards in s escaped (the default escape character is backslash). The
// caller lower-cases both sides in SQL.
func containsPattern(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(s) + "%"
}

// timeKey is the cursor key of a timestamp sort.
func timeKey(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// parseTimeKey reads a timeKey.
func parseTimeKey(s string) (time.Time, bool) {
	t, err := time.Parse(time.RFC3339Nano, s)
	return t, err == nil
}

// parseSeqKey reads the cursor key of the event log (a sequence number).
func parseSeqKey(s string) (int64, bool) {
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil && n >= 0
}
