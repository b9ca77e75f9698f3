package customerusers

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Code classifies an Error. Adapters map codes to transport statuses
// (httpadapter maps them to HTTP statuses and RFC 9457 problem types).
type Code string

// The error codes of the library.
const (
	CodeInvalid         Code = "invalid"
	CodeNotFound        Code = "not_found"
	CodeConflict        Code = "conflict"
	CodeStale           Code = "stale"
	CodeForbidden       Code = "forbidden"
	CodeUnauthenticated Code = "unauthenticated"
	CodeRateLimited     Code = "rate_limited"
	CodeInternal        Code = "internal"
)

// Sentinels for errors.Is: errors.Is(err, ErrNotFound) is true for every
// *Error whose Code is CodeNotFound, whatever its message.
var (
	ErrInvalid         = &Error{Code: CodeInvalid, Message: "invalid input"}
	ErrNotFound        = &Error{Code: CodeNotFound, Message: "not found"}
	ErrConflict        = &Error{Code: CodeConflict, Message: "conflict"}
	ErrStale           = &Error{Code: CodeStale, Message: "stale version: the record was changed by someone else"}
	ErrForbidden       = &Error{Code: CodeForbidden, Message: "forbidden"}
	ErrUnauthenticated = &Error{Code: CodeUnauthenticated, Message: "unauthenticated"}
	ErrRateLimited     = &Error{Code: CodeRateLimited, Message: "too many attempts"}
	ErrInternal        = &Error{Code: CodeInternal, Message: "internal error"}
)

// Violation is one broken rule of one input field.
type Violation struct {
	// Field is the path of the offending field, in the API's camelCase
	// (for example "email" or "addresses[1].country").
	Field string `json:"field"`
	// Rule is a stable machine-readable name of the rule (required, unique,
	// max_length, ...).
	Rule string `json:"rule"`
	// Message is a human-readable sentence.
	Message string `json:"message"`
}

// Error is the single error type returned by the library's services.
type Error struct {
	Code       Code
	Message    string
	Violations []Violation
	// Err is an optional underlying cause, kept for logs and errors.As; it is
	// never shown to end users by the adapters.
	Err error
	// RetryAfter is how long the caller should wait before trying again,
	// when known; set on rate_limited errors (a throttled login), zero
	// otherwise. Adapters send it on (httpadapter as Retry-After).
	RetryAfter time.Duration
}

// Error implements error.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(string(e.Code))
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	for i, v := range e.Violations {
		if i == 0 {
			b.WriteString(" (")
		} else {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "%s: %s [%s]", v.Field, v.Message, v.Rule)
		if i == len(e.Violations)-1 {
			b.WriteString(")")
		}
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the underlying cause.
func (e *Error) Unwrap() error { return e.Err }

// Is reports whether target is an *Error with the same Code, so that the
// package sentinels match any error of their class.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// Violation returns the first violation of field, if any.
func (e *Error) Violation(field string) (Violation, bool) {
	for _, v := range e.Violations {
		if v.Field == field {
			return v, true
		}
	}
	return Violation{}, false
}

// CodeOf returns the Code of err, CodeInternal for a non-nil error that is
// not an *Error, and "" for nil.
func CodeOf(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}

// NewError returns an *Error with code and a formatted message.
func NewError(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// NotFound returns a not_found error naming what was looked for.
func NotFound(what string) *Error {
	return &Error{Code: CodeNotFound, Message: what + " not found"}
}

// Conflict returns a conflict error with a formatted message.
func Conflict(format string, args ...any) *Error { return NewError(CodeConflict, format, args...) }

// Forbidden returns a forbidden error with a formatted message.
func Forbidden(format string, args ...any) *Error { return NewError(CodeForbidden, format, args...) }

// Stale returns a stale error for an entity kind.
func Stale(what string) *Error {
	return &Error{Code: CodeStale, Message: what + " was changed by someone else; reload and retry"}
}

// Internal wraps an unexpected error (a storage failure, say) as CodeInternal,
// keeping an *Error unchanged.
func Internal(err error) error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return err
	}
	return &Error{Code: CodeInternal, Message: "internal error", Err: err}
}

// Invalid returns an invalid error carrying violations.
func Invalid(violations ...Violation) *Error {
	return &Error{Code: CodeInvalid, Message: "validation failed", Violations: violations}
}

// FieldError returns an invalid error with one violation.
func FieldError(field, rule, message string) *Error {
	return Invalid(Violation{Field: field, Rule: rule, Message: message})
}

// Violations collects violations while validating an input.
type Violations []Violation

// Add appends a violation.
func (v *Violations) Add(field, rule, message string) {
	*v = append(*v, Violation{Field: field, Rule: rule, Message: message})
}

// Addf appends a violation with a formatted message.
func (v *Violations) Addf(field, rule, format string, args ...any) {
	v.Add(field, rule, fmt.Sprintf(format, args...))
}

// Merge appends the violations of err when it is an invalid *Error, with
// each field prefixed by prefix (for nested inputs such as addresses[0]).
// It returns err unchanged (and appends nothing) for any other error.
func (v *Violations) Merge(prefix string, err error) error {
	var e *Error
	if !errors.As(err, &e) || e.Code != CodeInvalid {
		return err
	}
	for _, x := range e.Violations {
		if prefix != "" {
			if x.Field == "" {
				x.Field = prefix
			} else {
				x.Field = prefix + "." + x.Field
			}
		}
		*v = append(*v, x)
	}
	return nil
}

// Err returns nil when empty, else an invalid *Error with the violations.
func (v Violations) Err() error {
	if len(v) == 0 {
		return nil
	}
	return Invalid(v...)
}
