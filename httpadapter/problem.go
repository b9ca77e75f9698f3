package httpadapter

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"

	cu "github.com/b2bkit/customerusers"
)

// ProblemTypeBase prefixes the type URI of every problem the handlers
// answer: the type is ProblemTypeBase followed by a code, one of the
// library's error codes (invalid, not_found, conflict, stale, forbidden,
// unauthenticated, rate_limited, internal) or a transport code
// (bad_request, method_not_allowed, payload_too_large,
// unsupported_media_type).
const ProblemTypeBase = "urn:b2bkit:customerusers:problem:"

// ProblemContentType is the media type of error answers (RFC 9457).
const ProblemContentType = "application/problem+json"

// Problem is an RFC 9457 problem detail, the body of every error answer.
type Problem struct {
	// Type is ProblemTypeBase followed by the problem's code.
	Type string `json:"type"`
	// Title is a short, fixed summary of the problem type.
	Title string `json:"title"`
	// Status is the HTTP status code.
	Status int `json:"status"`
	// Detail explains this occurrence; it never holds internal details.
	Detail string `json:"detail,omitempty"`
	// Errors are the field violations of a 422 answer (and of 400 answers
	// about one field or query parameter).
	Errors []cu.Violation `json:"errors,omitempty"`
}

// httpError is an error the adapter itself raises (bad request syntax,
// size limits, unsupported media types, routing).
type httpError struct {
	status     int
	code       string
	detail     string
	violations []cu.Violation
	allow      string
}

func (e *httpError) Error() string { return fmt.Sprintf("%d %s: %s", e.status, e.code, e.detail) }

func badRequest(format string, args ...any) *httpError {
	return &httpError{status: http.StatusBadRequest, code: "bad_request", detail: fmt.Sprintf(format, args...)}
}

// statusOf maps the library's error codes to HTTP statuses.
var statusOf = map[cu.Code]int{
	cu.CodeInvalid:         http.StatusUnprocessableEntity,
	cu.CodeNotFound:        http.StatusNotFound,
	cu.CodeConflict:        http.StatusConflict,
	cu.CodeStale:           http.StatusPreconditionFailed,
	cu.CodeForbidden:       http.StatusForbidden,
	cu.CodeUnauthenticated: http.StatusUnauthorized,
	cu.CodeRateLimited:     http.StatusTooManyRequests,
	cu.CodeInternal:        http.StatusInternalServerError,
}

// titles are the fixed titles of the problem types.
var titles = map[string]string{
	string(cu.CodeInvalid):         "Validation failed",
	string(cu.CodeNotFound):        "Not found",
	string(cu.CodeConflict):        "Conflict",
	string(cu.CodeStale):           "Precondition failed",
	string(cu.CodeForbidden):       "Forbidden",
	string(cu.CodeUnauthenticated): "Unauthenticated",
	string(cu.CodeRateLimited):     "Too many requests",
	string(cu.CodeInternal):        "Internal error",
	"bad_request":                  "Bad request",
	"method_not_allowed":           "Method not allowed",
	"payload_too_large":            "Request body too large",
	"unsupported_media_type":       "Unsupported media type",
}

// fieldNames renames the domain's violation fields whose JSON name differs
// in the API (the API spells out "salesRepresentativeIds").
var fieldNames = map[string]string{
	"salesRepIds": "salesRepresentativeIds",
}

// apiField renames the first segment of a violation's field path.
func apiField(f string) string {
	head, rest := f, ""
	if i := strings.IndexAny(f, ".["); i >= 0 {
		head, rest = f[:i], f[i:]
	}
	if n, ok := fieldNames[head]; ok {
		return n + rest
	}
	return f
}

// problemOf builds the problem answer of err.
func (a *api) problemOf(err error) (Problem, *httpError) {
	var he *httpError
	if errors.As(err, &he) {
		return Problem{Type: ProblemTypeBase + he.code, Title: titles[he.code], Status: he.status, Detail: he.detail, Errors: he.violations}, he
	}
	code := cu.CodeOf(err)
	status, ok := statusOf[code]
	if !ok {
		code, status = cu.CodeInternal, http.StatusInternalServerError
	}
	p := Problem{Type: ProblemTypeBase + string(code), Title: titles[string(code)], Status: status}
	var e *cu.Error
	if code != cu.CodeInternal && errors.As(err, &e) {
		p.Detail = e.Message
		for _, v := range e.Violations {
			v.Field = apiField(v.Field)
			p.Errors = append(p.Errors, v)
		}
	}
	if code == cu.CodeInternal {
		p.Detail = "An internal error occurred; it has been logged."
	}
	return p, nil
}

// writeError answers err as application/problem+json, logging internal
// errors (the cause never reaches the client).
func (a *api) writeError(c *call, err error) {
	p, he := a.problemOf(err)
	h := c.w.Header()
	switch p.Status {
	case http.StatusInternalServerError:
		a.log.ErrorContext(c.r.Context(), "httpadapter: request failed", "method", c.r.Method, "path", c.r.URL.Path, "err", err)
	case http.StatusUnauthorized:
		h.Set("WWW-Authenticate", a.challenge)
	case http.StatusTooManyRequests:
		// The library's error knows when to retry (a throttled login), and
		// a host's error can say so the same way.
		var e *cu.Error
		if errors.As(err, &e) && e.RetryAfter > 0 {
			h.Set("Retry-After", strconv.FormatInt(int64(math.Ceil(e.RetryAfter.Seconds())), 10))
		}
	case http.StatusMethodNotAllowed:
		if he != nil && he.allow != "" {
			h.Set("Allow", he.allow)
		}
	}
	body, _ := json.Marshal(p) // cannot fail: strings, ints and violations
	h.Del("ETag")
	h.Del("Location")
	h.Set("Content-Type", ProblemContentType)
	h.Set("Cache-Control", "no-store")
	c.w.WriteHeader(p.Status)
	_, _ = c.w.Write(body)
}
