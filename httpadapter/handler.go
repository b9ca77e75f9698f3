package httpadapter

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"

	"github.com/google/uuid"

	cu "github.com/b2bkit/customerusers"
)

// surface is one of the three handler sets.
type surface int

const (
	backOffice surface = iota
	storefront
	public
)

// route is one entry of a handler set's route table. The ServeMux and the
// OpenAPI document are both built from the table, so they cannot drift
// apart. Later packages (consents, OAuth applications) add their routes
// as further tables appended by the constructors.
type route struct {
	method string // GET, POST, PATCH, DELETE
	path   string // ServeMux pattern path, also the OpenAPI path
	op     string // OpenAPI operationId
	tag    string
	// summary is one line for the OpenAPI document.
	summary string
	// open routes need no authentication and no organization (the
	// OpenAPI document). Other public routes resolve the organization.
	open  bool
	query []param
	// body is a zero value of the request body type (nil: no body).
	body any
	// status is the success status; resp a zero value of the response
	// body type (nil: no body).
	status int
	resp   any
	// conditional routes honour If-Match (and a PATCH body's "version");
	// others refuse If-Match with 400.
	conditional bool
	// etag says the success answer carries the entity's version as ETag.
	etag bool
	// location says the 201 answer carries Location.
	location bool
	// errs are documented error statuses beyond those derived from the
	// route's shape.
	errs []int
	// oauth routes are the OAuth 2.0 endpoints: body is the prototype of
	// a form-encoded body, and errors are answered in the JSON format of
	// RFC 6749 §5.2 instead of problems.
	oauth  bool
	handle func(*call) error
}

// api is one handler set: its route table, the mux built from it and the
// OpenAPI document describing it.
type api struct {
	cfg       Config
	surface   surface
	title     string
	log       *slog.Logger
	maxBody   int64
	challenge string
	routes    []*route
	mux       *http.ServeMux
	// registered are the ServeMux patterns, as registered.
	registered []string
	doc        map[string]any
}

func newAPI(cfg Config, s surface, title string) *api {
	a := &api{cfg: cfg, surface: s, title: title, log: cfg.Logger, maxBody: cfg.MaxBodyBytes, challenge: cfg.Challenge}
	if a.log == nil {
		a.log = slog.New(slog.DiscardHandler)
	}
	if a.maxBody <= 0 {
		a.maxBody = DefaultMaxBodyBytes
	}
	if a.challenge == "" {
		a.challenge = "Bearer"
	}
	return a
}

// build registers the route table on a new ServeMux and generates the
// OpenAPI document from the same table.
func (a *api) build() *api {
	a.routes = append(a.routes, &route{
		method: http.MethodGet, path: "/openapi.json", op: "getOpenAPI", tag: "Meta", open: true,
		summary: "This API's OpenAPI 3.1 document.", status: http.StatusOK, resp: openAPIDoc{}, handle: a.serveOpenAPI,
	})
	a.mux = http.NewServeMux()
	for _, rt := range a.routes {
		pattern := rt.method + " " + rt.path
		a.mux.Handle(pattern, a.wrap(rt))
		a.registered = append(a.registered, pattern)
	}
	a.doc = a.openAPI()
	return a
}

// ServeHTTP routes a request. Paths without a route (and unclean paths,
// which ServeMux would redirect without the mount prefix) get a 404
// problem, known paths with another method a 405 problem with Allow.
func (a *api) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if p := r.URL.Path; p == "" || path.Clean(p) != p {
		a.writeError(&call{a: a, w: w, r: r}, &httpError{status: http.StatusNotFound, code: string(cu.CodeNotFound), detail: "No such resource."})
		return
	}
	if h, pattern := a.mux.Handler(r); pattern == "" {
		rec := &statusRecorder{header: http.Header{}}
		h.ServeHTTP(rec, r)
		e := &httpError{status: http.StatusNotFound, code: string(cu.CodeNotFound), detail: "No such resource."}
		if rec.status == http.StatusMethodNotAllowed {
			e = &httpError{status: http.StatusMethodNotAllowed, code: "method_not_allowed",
				detail: fmt.Sprintf("Method %s is not allowed here.", r.Method), allow: rec.header.Get("Allow")}
		}
		a.writeError(&call{a: a, w: w, r: r}, e)
		return
	}
	a.mux.ServeHTTP(w, r)
}

// statusRecorder captures the status and headers of ServeMux's own
// not-found and method-not-allowed answers, so that they can be answered
// as problems instead.
type statusRecorder struct {
	header http.Header
	status int
}

func (s *statusRecorder) Header() http.Header         { return s.header }
func (s *statusRecorder) Write(b []byte) (int, error) { return len(b), nil }
func (s *statusRecorder) WriteHeader(status int)      { s.status = status }

// call is one request being served by a route.
type call struct {
	a     *api
	rt    *route
	w     http.ResponseWriter
	r     *http.Request
	query map[string]any
	// actor is the authenticated actor (back office, storefront).
	actor cu.Actor
	// org is the organization of a public request.
	org uuid.UUID
}

func (c *call) ctx() context.Context { return c.r.Context() }

// wrap is the common path of every route: query and precondition checks,
// authentication, the handler, and errors answered as problems.
func (a *api) wrap(rt *route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := &call{a: a, rt: rt, w: w, r: r}
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				c.fail(cu.Internal(fmt.Errorf("panic: %v", v)))
			}
		}()
		if err := a.serve(c); err != nil {
			c.fail(err)
		}
	})
}

// fail answers err in the error format of the route.
func (c *call) fail(err error) {
	if c.rt.oauth {
		c.a.writeOAuthError(c, err)
		return
	}
	c.a.writeError(c, err)
}

func (a *api) serve(c *call) error {
	q, err := parseQuery(c.r.URL.Query(), c.rt.query)
	if err != nil {
		return err
	}
	c.query = q
	if c.r.Header.Get("If-Match") != "" && !c.rt.conditional && c.r.Method != http.MethodGet && c.r.Method != http.MethodHead {
		return badRequest("This operation does not take If-Match.")
	}
	if !c.rt.open {
		if err := a.authenticate(c); err != nil {
			return err
		}
	}
	return c.rt.handle(c)
}

// authenticate resolves the actor (back office, storefront) or the
// organization (public) of a request.
func (a *api) authenticate(c *call) error {
	if a.surface == public {
		if a.cfg.Organization == nil {
			c.org = a.cfg.OrganizationID
			return nil
		}
		org, err := a.cfg.Organization(c.r)
		if err != nil {
			return cu.Internal(err)
		}
		if org == uuid.Nil {
			return cu.NotFound("organization")
		}
		c.org = org
		return nil
	}
	actor, err := a.identify(c.r)
	if err != nil {
		var e *cu.Error
		if errors.As(err, &e) && e.Code != cu.CodeUnauthenticated {
			return err
		}
		return cu.NewError(cu.CodeUnauthenticated, "Authentication is required.")
	}
	if actor.Kind == cu.ActorAnonymous || actor.Kind == "" || actor.OrganizationID == uuid.Nil {
		return cu.NewError(cu.CodeUnauthenticated, "Authentication is required.")
	}
	switch {
	case a.surface == backOffice && !actor.Trusted():
		return cu.Forbidden("the back-office API is for back-office users")
	case a.surface == storefront && (actor.Kind != cu.ActorCustomerUser || actor.ID == uuid.Nil):
		return cu.Forbidden("the storefront API is for customer users")
	}
	c.actor = actor
	return nil
}

// errNoCredentials stands for "nobody to authenticate the request with".
var errNoCredentials = errors.New("httpadapter: no credentials")

// identify returns the actor of a back-office or storefront request. In
// the storefront, when Config.OAuth is set and the request carries
// "Authorization: Bearer <token>", an access token of the library comes
// first: a live one gives its user, narrowed to the token's scopes. A
// token the library does not accept (unknown, expired, revoked, or the
// host's own) falls through to Config.Authenticate, which has the last
// word; without it the request is unauthenticated.
func (a *api) identify(r *http.Request) (cu.Actor, error) {
	if a.surface == storefront && a.cfg.OAuth != nil {
		if tok, ok := bearerToken(r); ok {
			actor, err := a.cfg.OAuth.Authenticate(r.Context(), tok)
			if err == nil {
				return actor, nil
			}
			if cu.CodeOf(err) != cu.CodeUnauthenticated {
				return cu.Actor{}, err
			}
		}
	}
	if a.cfg.Authenticate == nil {
		return cu.Actor{}, errNoCredentials
	}
	return a.cfg.Authenticate(r)
}

// bearerToken returns the token of an "Authorization: Bearer" header (RFC
// 6750 §2.1; the scheme is case-insensitive).
func bearerToken(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	const scheme = "bearer "
	if len(h) <= len(scheme) || !strings.EqualFold(h[:len(scheme)], scheme) {
		return "", false
	}
	tok := strings.TrimSpace(h[len(scheme):])
	return tok, tok != ""
}

// id parses a UUID path parameter (400 when malformed).
func (c *call) id(name string) (uuid.UUID, error) {
	s := c.r.PathValue(name)
	id, err := uuid.Parse(s)
	if err != nil || len(s) != 36 {
		e := badRequest("Path parameter %q must be a UUID.", name)
		e.violations = []cu.Violation{{Field: name, Rule: "format", Message: "This value must be a UUID."}}
		return uuid.Nil, e
	}
	return id, nil
}

// ifMatch reads If-Match: ok is false without it, v is 0 for "*" (any
// version). An entity tag that no version can match gives 412, an
// unparsable header 400.
func (c *call) ifMatch() (v int64, ok bool, err error) {
	h := strings.TrimSpace(c.r.Header.Get("If-Match"))
	if h == "" {
		return 0, false, nil
	}
	if h == "*" {
		return 0, true, nil
	}
	if strings.Contains(h, ",") {
		return 0, false, badRequest("If-Match must name exactly one entity tag.")
	}
	weak := strings.HasPrefix(h, "W/")
	tag := strings.TrimPrefix(h, "W/")
	if len(tag) < 2 || tag[0] != '"' || tag[len(tag)-1] != '"' {
		return 0, false, badRequest("If-Match must be a quoted entity tag such as \"3\".")
	}
	n, perr := strconv.ParseInt(tag[1:len(tag)-1], 10, 64)
	if weak || perr != nil || n <= 0 {
		// Strong comparison: a weak or foreign tag never matches.
		return 0, false, cu.Stale("the resource")
	}
	return n, true, nil
}

// expectedVersion is the version a write must find: If-Match, else the
// body's version field, else 0 (no check).
func (c *call) expectedVersion(body opt[int64]) (int64, error) {
	v, ok, err := c.ifMatch()
	if err != nil || ok {
		return v, err
	}
	if body.Set && !body.Null {
		if body.V <= 0 {
			return 0, cu.FieldError("version", "min", "The version must be a positive integer.")
		}
		return body.V, nil
	}
	return 0, nil
}

// mountPrefix is the part of the request path that a router stripped
// before this handler (http.StripPrefix keeps RequestURI as received), so
// that Location headers point where the client can follow them.
func mountPrefix(r *http.Request) string {
	if r.RequestURI == "" {
		return ""
	}
	u, err := url.ParseRequestURI(r.RequestURI)
	if err != nil {
		return ""
	}
	if p, ok := strings.CutSuffix(u.Path, r.URL.Path); ok {
		return strings.TrimSuffix(p, "/")
	}
	return ""
}

func etag(version int64) string { return `"` + strconv.FormatInt(version, 10) + `"` }

// write answers v as JSON with status.
func (c *call) write(status int, v any) error {
	body, err := json.Marshal(v)
	if err != nil {
		return cu.Internal(err)
	}
	h := c.w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	c.w.WriteHeader(status)
	_, _ = c.w.Write(body)
	return nil
}

// ok answers 200 with v.
func (c *call) ok(v any) error { return c.write(http.StatusOK, v) }

// entity answers v with its version as ETag.
func (c *call) entity(status int, v any, version int64) error {
	c.w.Header().Set("ETag", etag(version))
	return c.write(status, v)
}

// created answers 201 with Location (p is relative to the handler's mount
// point) and ETag.
func (c *call) created(p string, v any, version int64) error {
	c.w.Header().Set("Location", mountPrefix(c.r)+p)
	return c.entity(http.StatusCreated, v, version)
}

// noContent answers 204, with ETag when version > 0.
func (c *call) noContent(version int64) error {
	if version > 0 {
		c.w.Header().Set("ETag", etag(version))
	}
	c.w.Header().Set("Cache-Control", "no-store")
	c.w.WriteHeader(http.StatusNoContent)
	return nil
}
