package httpadapter

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"time"

	cu "github.com/b2bkit/customerusers"
)

// opt is a tri-state JSON field of a PATCH body: absent (Set false: leave
// the stored value alone), null (Set and Null: clear it) or a value.
type opt[T any] struct {
	Set  bool
	Null bool
	V    T
}

// UnmarshalJSON is called by encoding/json only when the field is present,
// also for an explicit null. Nested objects reject unknown fields, like
// the top-level body.
func (o *opt[T]) UnmarshalJSON(b []byte) error {
	o.Set = true
	if string(b) == "null" {
		var zero T
		o.Null, o.V = true, zero
		return nil
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	return d.Decode(&o.V)
}

// optElem tells the OpenAPI generator the type behind an opt.
func (o opt[T]) optElem() reflect.Type { return reflect.TypeFor[T]() }

// ptr maps the field onto the *T of a domain patch: nil when absent, a
// pointer to the zero value for null (clear), else a pointer to the value.
func (o opt[T]) ptr() *T {
	if !o.Set {
		return nil
	}
	v := o.V
	return &v
}

// optionalType is implemented by every opt[T].
type optionalType interface{ optElem() reflect.Type }

// date is a calendar date written YYYY-MM-DD, held at 00:00 UTC.
type date struct{ t time.Time }

func newDate(t *time.Time) *date {
	if t == nil {
		return nil
	}
	y, m, d := t.Date()
	return &date{time.Date(y, m, d, 0, 0, 0, 0, time.UTC)}
}

// MarshalJSON writes "YYYY-MM-DD".
func (d date) MarshalJSON() ([]byte, error) {
	return []byte(`"` + d.t.Format(time.DateOnly) + `"`), nil
}

// UnmarshalJSON reads "YYYY-MM-DD" strictly.
func (d *date) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("%s is not a date (want \"YYYY-MM-DD\")", b)
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return fmt.Errorf("%q is not a date (want \"YYYY-MM-DD\")", s)
	}
	d.t = t
	return nil
}

// timePtr returns the date as a *time.Time (nil for nil).
func (d *date) timePtr() *time.Time {
	if d == nil {
		return nil
	}
	t := d.t
	return &t
}

// decode reads the JSON body of the request into dst: a JSON media type
// (or none), at most the configured size, no unknown fields, one document
// and nothing after it.
func (c *call) decode(dst any) error {
	if ct := c.r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			return &httpError{status: http.StatusUnsupportedMediaType, code: "unsupported_media_type",
				detail: "The request body must be application/json."}
		}
	}
	body := http.MaxBytesReader(c.w, c.r.Body, c.a.maxBody)
	dec := json.NewDecoder(body)
	var raw json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		return c.bodyError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		if mbe := (*http.MaxBytesError)(nil); errors.As(err, &mbe) {
			return c.bodyError(err)
		}
		return badRequest("The request body has data after the JSON document.")
	}
	if string(raw) == "null" {
		// encoding/json would take null for an empty object.
		return badRequest("The request body must be a JSON object, not null.")
	}
	strict := json.NewDecoder(bytes.NewReader(raw))
	strict.DisallowUnknownFields()
	if err := strict.Decode(dst); err != nil {
		return c.bodyError(err)
	}
	return nil
}

// bodyError turns a decoding error into a 400 (or 413) problem.
func (c *call) bodyError(err error) error {
	var (
		mbe    *http.MaxBytesError
		syntax *json.SyntaxError
		typ    *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &mbe):
		return &httpError{status: http.StatusRequestEntityTooLarge, code: "payload_too_large",
			detail: fmt.Sprintf("The request body must be at most %d bytes.", mbe.Limit)}
	case errors.Is(err, io.EOF):
		return badRequest("A JSON request body is required.")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return badRequest("The request body is not valid JSON: it ends too early.")
	case errors.As(err, &syntax):
		return badRequest("The request body is not valid JSON (at byte %d): %s.", syntax.Offset, syntax.Error())
	case errors.As(err, &typ):
		field := jsonPath(typ.Field)
		if field == "" {
			return badRequest("The request body must be a JSON %s.", jsonKind(typ.Type))
		}
		e := badRequest("Field %q must be %s, not %s.", field, jsonKind(typ.Type), typ.Value)
		e.violations = []cu.Violation{{Field: field, Rule: "type", Message: fmt.Sprintf("This value must be %s.", jsonKind(typ.Type))}}
		return e
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		name = strings.Trim(name, `"`)
		e := badRequest("Unknown field %q.", name)
		e.violations = []cu.Violation{{Field: name, Rule: "unknown_field", Message: "This field is not part of the request."}}
		return e
	}
	return badRequest("The request body is malformed: %s.", err.Error())
}

// jsonPath drops the names of embedded structs that encoding/json puts in
// the field path of type errors.
func jsonPath(field string) string {
	parts := strings.Split(field, ".")
	parts = slices.DeleteFunc(parts, func(p string) bool { return p == "userPatchFields" })
	return strings.Join(parts, ".")
}

// jsonKind names the JSON form of a Go type for error messages.
func jsonKind(t reflect.Type) string {
	if t == nil {
		return "a value"
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 && t.Kind() == reflect.Array {
			return "a string" // uuid.UUID
		}
		return "an array"
	case reflect.Map, reflect.Struct:
		return "an object"
	}
	return "a value"
}
