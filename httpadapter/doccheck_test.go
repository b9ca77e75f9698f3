package httpadapter_test

import (
	"encoding/json"
	"fmt"
	"math"
	"mime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
)

// prefixOf returns the mount prefix a test path goes to.
func prefixOf(path string) string {
	for _, p := range []string{boPrefix, sfPrefix, pubPrefix} {
		if strings.HasPrefix(path, p+"/") {
			return p
		}
	}
	return ""
}

// findOperation returns the OpenAPI operation of method on rel (a path
// relative to the mount point) and its path template.
func findOperation(doc map[string]any, method, rel string) (map[string]any, string) {
	paths, _ := doc["paths"].(map[string]any)
	segs := strings.Split(rel, "/")
	m := strings.ToLower(method)
	if m == "head" {
		m = "get"
	}
	// Like the ServeMux and OpenAPI, prefer the most specific template: the
	// one with the most literal segments among those that match.
	var best map[string]any
	bestTmpl, bestLiterals := "", -1
	for tmpl, item := range paths {
		ts := strings.Split(tmpl, "/")
		if len(ts) != len(segs) {
			continue
		}
		match, literals := true, 0
		for i := range ts {
			if strings.HasPrefix(ts[i], "{") {
				if segs[i] == "" {
					match = false
				}
				continue
			}
			if ts[i] != segs[i] {
				match = false
				break
			}
			literals++
		}
		if !match || literals <= bestLiterals {
			continue
		}
		if op, ok := item.(map[string]any)[m].(map[string]any); ok {
			best, bestTmpl, bestLiterals = op, tmpl, literals
		}
	}
	return best, bestTmpl
}

// checkAgainstDoc checks that an answer is documented: its status is among
// the operation's responses, its media type and body match the schema.
func (h *harness) checkAgainstDoc(method, path string, r *response) {
	h.t.Helper()
	if h.skipSchemaValidation {
		return
	}
	prefix := prefixOf(path)
	doc := h.docs[prefix]
	if doc == nil {
		return // the documents themselves are being fetched
	}
	rel, _, _ := strings.Cut(strings.TrimPrefix(path, prefix), "?")
	op, tmpl := findOperation(doc, method, rel)
	if op == nil {
		// No route: ServeMux's own 404/405, answered as problems.
		if r.status != 404 && r.status != 405 {
			h.t.Errorf("%s %s: no documented operation, yet status %d", method, path, r.status)
		}
		return
	}
	responses := op["responses"].(map[string]any)
	spec, ok := responses[strconv.Itoa(r.status)].(map[string]any)
	if !ok {
		h.t.Errorf("%s %s (%s): status %d is not documented; body %s", method, path, tmpl, r.status, r.body)
		return
	}
	if ref, ok := spec["$ref"].(string); ok {
		spec = resolve(doc, ref)
	}
	if headers, ok := spec["headers"].(map[string]any); ok {
		for _, name := range []string{"ETag", "Location"} {
			if _, documented := headers[name]; documented && r.header.Get(name) == "" {
				h.t.Errorf("%s %s (%d): documented header %s is missing", method, path, r.status, name)
			}
		}
	}
	content, _ := spec["content"].(map[string]any)
	if len(content) == 0 {
		if len(r.body) != 0 {
			h.t.Errorf("%s %s: status %d documents no body, got %s", method, path, r.status, r.body)
		}
		return
	}
	mt, _, _ := mime.ParseMediaType(r.header.Get("Content-Type"))
	media, ok := content[mt].(map[string]any)
	if !ok {
		h.t.Errorf("%s %s: content type %q not documented for %d", method, path, mt, r.status)
		return
	}
	var body any
	if err := json.Unmarshal(r.body, &body); err != nil {
		h.t.Errorf("%s %s: body is not JSON: %v", method, path, err)
		return
	}
	schema, _ := media["schema"].(map[string]any)
	if errs := validate(doc, schema, body, "$"); len(errs) > 0 {
		h.t.Errorf("%s %s (%d): answer does not match the documented schema:\n  %s\nbody: %s",
			method, path, r.status, strings.Join(errs, "\n  "), r.body)
	}
}

func resolve(doc map[string]any, ref string) map[string]any {
	var cur any = doc
	for _, p := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[p]
	}
	m, _ := cur.(map[string]any)
	return m
}

// validate is a small JSON Schema checker for the subset the generator
// writes: $ref, oneOf, type, enum, format, properties, required,
// additionalProperties and items.
func validate(doc, s map[string]any, x any, at string) []string {
	if s == nil {
		return []string{at + ": no schema"}
	}
	if ref, ok := s["$ref"].(string); ok {
		target := resolve(doc, ref)
		if target == nil {
			return []string{at + ": unresolved " + ref}
		}
		return validate(doc, target, x, at)
	}
	if one, ok := s["oneOf"].([]any); ok {
		var all []string
		for _, alt := range one {
			errs := validate(doc, alt.(map[string]any), x, at)
			if len(errs) == 0 {
				return nil
			}
			all = append(all, errs...)
		}
		return append([]string{at + ": matches no alternative"}, all...)
	}
	var errs []string
	if t, ok := s["type"]; ok {
		var types []string
		switch t := t.(type) {
		case string:
			types = []string{t}
		case []any:
			for _, x := range t {
				types = append(types, x.(string))
			}
		}
		kind := jsonType(x)
		if !slices.Contains(types, kind) && !(kind == "integer" && slices.Contains(types, "number")) {
			return []string{fmt.Sprintf("%s: %s is not of type %v", at, kind, types)}
		}
	}
	if enum, ok := s["enum"].([]any); ok && x != nil && !slices.Contains(enum, x) {
		errs = append(errs, fmt.Sprintf("%s: %v is not one of %v", at, x, enum))
	}
	if f, ok := s["format"].(string); ok {
		if str, ok := x.(string); ok {
			var err error
			switch f {
			case "uuid":
				if _, err = uuid.Parse(str); err == nil && len(str) != 36 {
					err = fmt.Errorf("not canonical")
				}
			case "date":
				_, err = time.Parse(time.DateOnly, str)
			case "date-time":
				_, err = time.Parse(time.RFC3339Nano, str)
			}
			if err != nil {
				errs = append(errs, fmt.Sprintf("%s: %q is not a %s", at, str, f))
			}
		}
	}
	switch x := x.(type) {
	case map[string]any:
		props, _ := s["properties"].(map[string]any)
		for _, r := range asList(s["required"]) {
			if _, ok := x[r]; !ok {
				errs = append(errs, fmt.Sprintf("%s: missing required %q", at, r))
			}
		}
		for k, v := range x {
			ps, ok := props[k].(map[string]any)
			if !ok {
				switch ap := s["additionalProperties"].(type) {
				case bool:
					if !ap {
						errs = append(errs, fmt.Sprintf("%s: unexpected property %q", at, k))
					}
				case map[string]any:
					errs = append(errs, validate(doc, ap, v, at+"."+k)...)
				}
				continue
			}
			errs = append(errs, validate(doc, ps, v, at+"."+k)...)
		}
	case []any:
		if items, ok := s["items"].(map[string]any); ok {
			for i, v := range x {
				errs = append(errs, validate(doc, items, v, fmt.Sprintf("%s[%d]", at, i))...)
			}
		}
	}
	return errs
}

func asList(v any) []string {
	l, _ := v.([]any)
	out := make([]string, 0, len(l))
	for _, x := range l {
		out = append(out, x.(string))
	}
	return out
}

func jsonType(x any) string {
	switch x := x.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case float64:
		if x == math.Trunc(x) {
			return "integer"
		}
		return "number"
	case string:
		return "string"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return "unknown"
}
