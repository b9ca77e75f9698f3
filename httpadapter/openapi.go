package httpadapter

import (
	"encoding/json"
	"maps"
	"net/http"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	cu "github.com/b2bkit/customerusers"
	"github.com/b2bkit/customerusers/oauthapp"
	"github.com/b2bkit/customerusers/role"
)

// openAPIDoc is the OpenAPI document itself (the answer of GET
// /openapi.json).
type openAPIDoc map[string]any

// schemaNames names the component schemas; other structs are inlined.
var schemaNames = map[reflect.Type]string{
	reflect.TypeFor[Problem]():                  "Problem",
	reflect.TypeFor[cu.Violation]():             "Violation",
	reflect.TypeFor[customerOut]():              "Customer",
	reflect.TypeFor[customerIn]():               "CustomerCreate",
	reflect.TypeFor[customerPatch]():            "CustomerPatch",
	reflect.TypeFor[userOut]():                  "CustomerUser",
	reflect.TypeFor[userUpdateOut]():            "CustomerUserUpdated",
	reflect.TypeFor[userCreateIn]():             "CustomerUserCreate",
	reflect.TypeFor[userPatchIn]():              "CustomerUserPatch",
	reflect.TypeFor[storefrontUserPatch]():      "CustomerUserProfilePatch",
	reflect.TypeFor[addressOut]():               "Address",
	reflect.TypeFor[addressIn]():                "AddressCreate",
	reflect.TypeFor[addressPatch]():             "AddressPatch",
	reflect.TypeFor[roleOut]():                  "Role",
	reflect.TypeFor[roleIn]():                   "RoleCreate",
	reflect.TypeFor[rolePatch]():                "RolePatch",
	reflect.TypeFor[grantOut]():                 "Grant",
	reflect.TypeFor[grantIn]():                  "GrantInput",
	reflect.TypeFor[eventOut]():                 "HistoryEvent",
	reflect.TypeFor[relatedOut]():               "RelatedRecord",
	reflect.TypeFor[role.Explanation]():         "PermissionExplanation",
	reflect.TypeFor[role.RoleRef]():             "RoleRef",
	reflect.TypeFor[registerIn]():               "Registration",
	reflect.TypeFor[acceptedOut]():              "Accepted",
	reflect.TypeFor[changePasswordIn]():         "PasswordChange",
	reflect.TypeFor[resetIn]():                  "PasswordReset",
	reflect.TypeFor[tokenIn]():                  "EmailConfirmation",
	reflect.TypeFor[emailIn]():                  "PasswordForgotten",
	reflect.TypeFor[role.ExplainedRole]():       "ExplainedRole",
	reflect.TypeFor[role.ExplainedPermission](): "ExplainedPermission",
	reflect.TypeFor[role.ExplainedCapability](): "ExplainedCapability",
	reflect.TypeFor[consentOut]():               "Consent",
	reflect.TypeFor[consentIn]():                "ConsentCreate",
	reflect.TypeFor[consentPatch]():             "ConsentPatch",
	reflect.TypeFor[consentStateOut]():          "ConsentState",
	reflect.TypeFor[ledgerEntryOut]():           "ConsentLedgerEntry",
	reflect.TypeFor[publicConsentOut]():         "WebsiteConsent",
	reflect.TypeFor[appOut]():                   "OAuthApplication",
	reflect.TypeFor[appCreatedOut]():            "OAuthApplicationCreated",
	reflect.TypeFor[appIn]():                    "OAuthApplicationCreate",
	reflect.TypeFor[appPatch]():                 "OAuthApplicationPatch",
	reflect.TypeFor[tokenForm]():                "TokenRequest",
	reflect.TypeFor[tokenOpForm]():              "TokenOperationRequest",
	reflect.TypeFor[oauthapp.TokenResponse]():   "TokenResponse",
	reflect.TypeFor[oauthapp.Introspection]():   "Introspection",
	reflect.TypeFor[oauthErrorOut]():            "OAuthError",
	reflect.TypeFor[importReportOut]():          "ImportReport",
	reflect.TypeFor[importRowErrorOut]():        "ImportRowError",
}

// oauthResponsePrefix names the shared error answers of the OAuth
// endpoints (RFC 6749 §5.2 bodies instead of problems).
const oauthResponsePrefix = "OAuth"

// errorResponses names the shared error answers by status.
var errorResponses = map[int]string{
	http.StatusBadRequest:            "BadRequest",
	http.StatusUnauthorized:          "Unauthenticated",
	http.StatusForbidden:             "Forbidden",
	http.StatusNotFound:              "NotFound",
	http.StatusConflict:              "Conflict",
	http.StatusPreconditionFailed:    "PreconditionFailed",
	http.StatusRequestEntityTooLarge: "PayloadTooLarge",
	http.StatusUnsupportedMediaType:  "UnsupportedMediaType",
	http.StatusUnprocessableEntity:   "ValidationFailed",
	http.StatusTooManyRequests:       "TooManyRequests",
	http.StatusInternalServerError:   "InternalError",
}

const apiDescription = `JSON in and out, camelCase fields; ids are UUID strings, dates YYYY-MM-DD, times RFC 3339.
Every error is application/problem+json (RFC 9457); 422 answers list field errors in "errors" ({field, rule, message}).
Entities carry their version as ETag; send it as If-Match on writes (412 when someone else wrote first). A PATCH body
without If-Match may carry "version" instead; without either the write is unconditional. In PATCH bodies an absent
field stays as it is and null clears it. Lists answer {items, nextCursor}: pass nextCursor as cursor for the next page.
Another organization's ids are not found (404).`

const oauthDescription = `The OAuth 2.0 endpoints under /oauth2 follow their RFCs instead: form-encoded bodies
(application/x-www-form-urlencoded), client authentication with HTTP Basic or client_id/client_secret form fields, and
errors as {"error", "error_description"} JSON (RFC 6749 §5.2), 401 with a Basic challenge for invalid_client.`

// openAPI generates the OpenAPI 3.1 document of the route table.
func (a *api) openAPI() map[string]any {
	g := &schemaGen{defs: map[string]any{}}
	paths := map[string]map[string]any{}
	for _, rt := range a.routes {
		item := paths[rt.path]
		if item == nil {
			item = map[string]any{}
			paths[rt.path] = item
		}
		item[strings.ToLower(rt.method)] = a.operation(g, rt)
	}
	problem := g.of(reflect.TypeFor[Problem](), true)
	responses := map[string]any{}
	errorResponse := func(status int, mediaType string, schema map[string]any) map[string]any {
		r := map[string]any{
			"description": http.StatusText(status),
			"content":     map[string]any{mediaType: map[string]any{"schema": schema}},
		}
		switch status {
		case http.StatusUnauthorized:
			r["headers"] = map[string]any{"WWW-Authenticate": map[string]any{"schema": map[string]any{"type": "string"}}}
		case http.StatusTooManyRequests:
			r["headers"] = map[string]any{"Retry-After": map[string]any{
				"description": "Seconds to wait, when known.", "schema": map[string]any{"type": "integer"}}}
		}
		return r
	}
	for status, name := range errorResponses {
		responses[name] = errorResponse(status, ProblemContentType, problem)
	}
	oauth := slices.ContainsFunc(a.routes, func(rt *route) bool { return rt.oauth })
	if oauth {
		oauthError := g.of(reflect.TypeFor[oauthErrorOut](), true)
		for status, name := range errorResponses {
			responses[oauthResponsePrefix+name] = errorResponse(status, "application/json", oauthError)
		}
	}
	description := apiDescription
	if oauth {
		description += "\n" + oauthDescription
	}
	doc := map[string]any{
		"openapi": "3.1.0",
		"info":    map[string]any{"title": a.title, "version": "1", "description": description},
		"paths":   paths,
		"components": map[string]any{
			"schemas":   g.defs,
			"responses": responses,
		},
	}
	if a.surface != public {
		desc := "The host application's authentication (Config.Authenticate)."
		if a.surface == storefront && a.cfg.OAuth != nil {
			desc = "An access token of the library (POST /oauth2/token of the public API), else the host application's own authentication (Config.Authenticate)."
		}
		doc["components"].(map[string]any)["securitySchemes"] = map[string]any{"host": map[string]any{
			"type": "http", "scheme": "bearer", "description": desc,
		}}
		doc["security"] = []any{map[string]any{"host": []any{}}}
	}
	if oauth {
		doc["components"].(map[string]any)["securitySchemes"] = map[string]any{"client": map[string]any{
			"type": "http", "scheme": "basic",
			"description": "OAuth client authentication (RFC 6749 §2.3.1): client id and secret, each form-url-encoded; or client_id and client_secret form fields instead.",
		}}
	}
	return doc
}

var pathParam = regexp.MustCompile(`\{([^}]+)\}`)

func (a *api) operation(g *schemaGen, rt *route) map[string]any {
	op := map[string]any{"operationId": rt.op, "summary": rt.summary, "tags": []any{rt.tag}}
	if rt.open && a.surface != public {
		op["security"] = []any{}
	}
	if rt.oauth {
		// HTTP Basic, or the credentials in the form (no header).
		op["security"] = []any{map[string]any{"client": []any{}}, map[string]any{}}
	}
	var params []any
	for _, m := range pathParam.FindAllStringSubmatch(rt.path, -1) {
		params = append(params, map[string]any{"name": m[1], "in": "path", "required": true,
			"schema": map[string]any{"type": "string", "format": "uuid"}})
	}
	for _, p := range rt.query {
		s := map[string]any{"type": "string"}
		switch p.kind {
		case pUUID:
			s["format"] = "uuid"
		case pBool:
			s = map[string]any{"type": "boolean"}
		case pInt:
			s = map[string]any{"type": "integer"}
		case pEnum:
			s["enum"] = p.enum
		}
		q := map[string]any{"name": p.name, "in": "query", "required": false, "schema": s}
		if p.doc != "" {
			q["description"] = p.doc
		}
		params = append(params, q)
	}
	if rt.conditional {
		params = append(params, map[string]any{"name": "If-Match", "in": "header", "required": false,
			"description": "The ETag read (the quoted version); 412 when the entity changed since. \"*\" matches any version.",
			"schema":      map[string]any{"type": "string"}})
	}
	if len(params) > 0 {
		op["parameters"] = params
	}
	if f, ok := rt.body.(csvFile); ok {
		op["requestBody"] = map[string]any{"required": true, "description": f.doc, "content": map[string]any{
			"text/csv": map[string]any{"schema": map[string]any{"type": "string"}}}}
	} else if rt.body != nil {
		mediaType := "application/json"
		if rt.oauth {
			mediaType = FormContentType
		}
		op["requestBody"] = map[string]any{"required": true, "content": map[string]any{
			mediaType: map[string]any{"schema": g.of(bodyType(rt.body), false)}}}
	}
	success := map[string]any{"description": http.StatusText(rt.status)}
	headers := map[string]any{}
	if f, ok := rt.resp.(csvFile); ok {
		success["description"] = f.doc
		success["content"] = map[string]any{"text/csv": map[string]any{"schema": map[string]any{"type": "string"}}}
		headers["Content-Disposition"] = map[string]any{"description": "attachment, with the file name.",
			"schema": map[string]any{"type": "string"}}
	} else if rt.resp != nil {
		success["content"] = map[string]any{"application/json": map[string]any{"schema": g.of(bodyType(rt.resp), true)}}
	}
	if rt.etag {
		headers["ETag"] = map[string]any{"description": "The entity's version, quoted.", "schema": map[string]any{"type": "string"}}
	}
	if rt.location {
		headers["Location"] = map[string]any{"description": "The new resource.", "schema": map[string]any{"type": "string"}}
	}
	if len(headers) > 0 {
		success["headers"] = headers
	}
	responses := map[string]any{strconv.Itoa(rt.status): success}
	prefix := ""
	if rt.oauth {
		prefix = oauthResponsePrefix
	}
	for _, s := range a.errorStatuses(rt) {
		responses[strconv.Itoa(s)] = map[string]any{"$ref": "#/components/responses/" + prefix + errorResponses[s]}
	}
	op["responses"] = responses
	return op
}

// bodyType is the type of a body prototype (a pointer stands for what it
// points to: bodies are never null).
func bodyType(v any) reflect.Type {
	t := reflect.TypeOf(v)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}

// errorStatuses are the error statuses a route may answer, derived from its
// shape plus its declared extras.
func (a *api) errorStatuses(rt *route) []int {
	s := []int{http.StatusBadRequest, http.StatusInternalServerError}
	if rt.oauth {
		// Client authentication, the body limit, the organization.
		s = append(s, http.StatusUnauthorized, http.StatusRequestEntityTooLarge, http.StatusNotFound)
		s = append(s, rt.errs...)
		slices.Sort(s)
		return slices.Compact(s)
	}
	switch {
	case rt.open:
	case a.surface == public:
		s = append(s, http.StatusNotFound) // unknown organization
	default:
		s = append(s, http.StatusUnauthorized, http.StatusForbidden)
	}
	if strings.Contains(rt.path, "{") {
		s = append(s, http.StatusNotFound)
	}
	if rt.conditional {
		s = append(s, http.StatusPreconditionFailed)
	}
	if rt.body != nil {
		s = append(s, http.StatusRequestEntityTooLarge, http.StatusUnsupportedMediaType, http.StatusUnprocessableEntity)
	}
	if len(rt.query) > 0 {
		s = append(s, http.StatusUnprocessableEntity)
	}
	s = append(s, rt.errs...)
	slices.Sort(s)
	return slices.Compact(s)
}

func (a *api) serveOpenAPI(c *call) error {
	doc := maps.Clone(a.doc)
	server := mountPrefix(c.r)
	if server == "" {
		server = "/"
	}
	doc["servers"] = []any{map[string]any{"url": server}}
	return c.ok(doc)
}

// schemaGen builds JSON Schemas (draft 2020-12, as OpenAPI 3.1 uses) from
// the Go types of the request and response bodies, so that the document
// says exactly what the handlers read and write.
type schemaGen struct {
	defs map[string]any
}

var (
	typeUUID    = reflect.TypeFor[uuid.UUID]()
	typeTime    = reflect.TypeFor[time.Time]()
	typeDate    = reflect.TypeFor[date]()
	typeRaw     = reflect.TypeFor[json.RawMessage]()
	typeLevel   = reflect.TypeFor[role.Level]()
	typeOptElem = reflect.TypeFor[optionalType]()
)

// of returns the schema of t; out says t is written by the handlers
// (every field present) rather than read (only oa:"required" fields are).
func (g *schemaGen) of(t reflect.Type, out bool) map[string]any {
	switch t {
	case typeUUID:
		return map[string]any{"type": "string", "format": "uuid"}
	case typeTime:
		return map[string]any{"type": "string", "format": "date-time"}
	case typeDate:
		return map[string]any{"type": "string", "format": "date"}
	case typeRaw:
		return map[string]any{}
	case typeLevel:
		levels := []any{}
		for l := role.LevelNone; l <= role.LevelFull; l++ {
			levels = append(levels, l.String())
		}
		return map[string]any{"type": "string", "enum": levels}
	}
	if t.Kind() == reflect.Struct && t.Implements(typeOptElem) {
		return nullable(g.of(reflect.Zero(t).Interface().(optionalType).optElem(), out))
	}
	switch t.Kind() {
	case reflect.Pointer:
		return nullable(g.of(t.Elem(), out))
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32:
		return map[string]any{"type": "integer"}
	case reflect.Int64, reflect.Uint64:
		return map[string]any{"type": "integer", "format": "int64"}
	case reflect.Float32, reflect.Float64:
		return map[string]any{"type": "number"}
	case reflect.Slice, reflect.Array:
		return map[string]any{"type": "array", "items": g.of(t.Elem(), out)}
	case reflect.Map:
		if t.Elem().Kind() == reflect.Interface {
			return map[string]any{"type": "object"}
		}
		return map[string]any{"type": "object", "additionalProperties": g.of(t.Elem(), out)}
	case reflect.Struct:
		name, ok := schemaNames[t]
		if !ok {
			return g.object(t, out)
		}
		if _, done := g.defs[name]; !done {
			g.defs[name] = map[string]any{} // breaks cycles
			g.defs[name] = g.object(t, out)
		}
		return map[string]any{"$ref": "#/components/schemas/" + name}
	}
	return map[string]any{}
}

// object is the schema of a struct: its JSON fields (embedded structs
// flattened), no other properties.
func (g *schemaGen) object(t reflect.Type, out bool) map[string]any {
	props := map[string]any{}
	required := []any{}
	g.fields(t, out, props, &required)
	s := map[string]any{"type": "object", "properties": props, "additionalProperties": false}
	if len(required) > 0 {
		s["required"] = required
	}
	return s
}

func (g *schemaGen) fields(t reflect.Type, out bool, props map[string]any, required *[]any) {
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		name, opts, _ := strings.Cut(tag, ",")
		if name == "-" {
			continue
		}
		if f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct {
			g.fields(f.Type, out, props, required)
			continue
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		oa := strings.Split(f.Tag.Get("oa"), ",")
		ft := f.Type
		var s map[string]any
		if ft.Kind() == reflect.Struct && ft.Implements(typeOptElem) && slices.Contains(oa, "notnull") {
			s = g.of(reflect.Zero(ft).Interface().(optionalType).optElem(), out)
		} else {
			s = g.of(ft, out)
		}
		if slices.Contains(oa, "nullable") {
			s = nullable(s)
		}
		if e := f.Tag.Get("enum"); e != "" {
			var vals []any
			for _, v := range strings.Split(e, ",") {
				vals = append(vals, v)
			}
			s["enum"] = vals
		}
		if d := f.Tag.Get("doc"); d != "" {
			s["description"] = d
		}
		if slices.Contains(oa, "writeOnly") {
			s["writeOnly"] = true
		}
		omit := slices.Contains(strings.Split(opts, ","), "omitempty")
		if (out && !omit) || (!out && slices.Contains(oa, "required")) {
			*required = append(*required, name)
		}
		props[name] = s
	}
}

// nullable allows null besides what s allows.
func nullable(s map[string]any) map[string]any {
	if _, ok := s["$ref"]; ok {
		return map[string]any{"oneOf": []any{s, map[string]any{"type": "null"}}}
	}
	t, ok := s["type"].(string)
	if !ok {
		return s
	}
	out := maps.Clone(s)
	out["type"] = []any{t, "null"}
	return out
}
