package httpadapter

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	cu "github.com/b2bkit/customerusers"
)

// paramKind is the type of a query parameter.
type paramKind int

const (
	pString paramKind = iota
	pUUID
	pBool
	pInt
	pTime
	pEnum
)

// param declares one query parameter of a route: the mux wrapper rejects
// unknown, repeated and unparsable parameters with 400 before the handler
// runs, and the OpenAPI document lists them.
type param struct {
	name string
	kind paramKind
	enum []string
	doc  string
}

// The paging parameters of every list route.
var (
	paramLimit  = param{name: "limit", kind: pInt, doc: fmt.Sprintf("Page size, 1 to %d (default %d).", cu.MaxPageLimit, cu.DefaultPageLimit)}
	paramCursor = param{name: "cursor", kind: pString, doc: "The nextCursor of the previous page."}
)

// paging returns the paging parameters, with sort when sorts are given.
func paging(sorts ...string) []param {
	ps := []param{paramLimit, paramCursor}
	if len(sorts) > 0 {
		var all []string
		for _, s := range sorts {
			all = append(all, s, "-"+s)
		}
		ps = append(ps, param{name: "sort", kind: pEnum, enum: all,
			doc: "Sort order: a field name, descending with a leading \"-\" (default " + sorts[0] + "); the id breaks ties."})
	}
	return ps
}

// parseQuery checks the query string of a request against the route's
// parameters and returns the parsed values by name.
func parseQuery(raw map[string][]string, params []param) (map[string]any, error) {
	out := make(map[string]any, len(raw))
	for name, values := range raw {
		i := slices.IndexFunc(params, func(p param) bool { return p.name == name })
		if i < 0 {
			return nil, queryError(name, "unknown_parameter", "Unknown query parameter %q.", name)
		}
		if len(values) != 1 {
			return nil, queryError(name, "repeated", "Query parameter %q must be given once.", name)
		}
		v, err := parseParam(params[i], values[0])
		if err != nil {
			return nil, err
		}
		out[name] = v
	}
	return out, nil
}

func parseParam(p param, s string) (any, error) {
	switch p.kind {
	case pUUID:
		id, err := uuid.Parse(s)
		if err != nil || len(s) != 36 {
			return nil, queryError(p.name, "format", "Query parameter %q must be a UUID.", p.name)
		}
		return id, nil
	case pBool:
		b, err := strconv.ParseBool(s)
		if err != nil || (s != "true" && s != "false") {
			return nil, queryError(p.name, "format", "Query parameter %q must be true or false.", p.name)
		}
		return b, nil
	case pInt:
		n, err := strconv.Atoi(s)
		if err != nil {
			return nil, queryError(p.name, "format", "Query parameter %q must be an integer.", p.name)
		}
		return n, nil
	case pTime:
		if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
			return t.UTC(), nil
		}
		if t, err := time.Parse(time.DateOnly, s); err == nil {
			return t, nil
		}
		return nil, queryError(p.name, "format", "Query parameter %q must be an RFC 3339 time or a YYYY-MM-DD date.", p.name)
	case pEnum:
		if !slices.Contains(p.enum, s) {
			return nil, queryError(p.name, "enum", "Query parameter %q must be one of %s.", p.name, strings.Join(p.enum, ", "))
		}
		return s, nil
	}
	return s, nil
}

func queryError(name, rule, format string, args ...any) *httpError {
	e := badRequest(format, args...)
	e.violations = []cu.Violation{{Field: name, Rule: rule, Message: e.detail}}
	return e
}

// The typed getters of parsed query values; absent parameters give zero
// values (nil for booleans, which filter only when given).

func (c *call) qString(name string) string {
	s, _ := c.query[name].(string)
	return s
}

func (c *call) qUUID(name string) uuid.UUID {
	id, _ := c.query[name].(uuid.UUID)
	return id
}

func (c *call) qBool(name string) *bool {
	b, ok := c.query[name].(bool)
	if !ok {
		return nil
	}
	return &b
}

func (c *call) qTime(name string) time.Time {
	t, _ := c.query[name].(time.Time)
	return t
}

// page returns the paging part of the query.
func (c *call) page() cu.Page {
	n, _ := c.query["limit"].(int)
	p := cu.Page{Limit: n, Cursor: c.qString("cursor")}
	if n == 0 && c.query["limit"] != nil {
		// An explicit limit=0 is out of range, not "the default".
		p.Limit = -1
	}
	if s := c.qString("sort"); s != "" {
		p.Sort = cu.ParseSort(s)
	}
	return p
}
