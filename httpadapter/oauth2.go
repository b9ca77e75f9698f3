package httpadapter

import (
	"encoding/json"
	"errors"
	"io"
	"math"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	cu "github.com/b2bkit/customerusers"
	"github.com/b2bkit/customerusers/oauthapp"
)

// FormContentType is the media type of the OAuth endpoints' request
// bodies (RFC 6749 §4.4.2, RFC 7662 §2.1, RFC 7009 §2.1).
const FormContentType = "application/x-www-form-urlencoded"

// BasicChallenge is the WWW-Authenticate header of the OAuth endpoints'
// 401 answers (client authentication with HTTP Basic, RFC 6749 §2.3.1).
const BasicChallenge = `Basic realm="oauth2", charset="UTF-8"`

// oauth2Routes are the OAuth 2.0 endpoints of the public handler.
func (a *api) oauth2Routes() []*route {
	const tag = "OAuth 2.0"
	return []*route{
		{method: http.MethodPost, path: "/oauth2/token", op: "token", tag: tag, oauth: true,
			summary: "Issue an access token (RFC 6749): grant_type=client_credentials for an OAuth application (client id and secret with HTTP Basic or in the form), or grant_type=password for the host's first-party client. Errors follow RFC 6749 §5.2; a throttled login answers 429 with Retry-After.",
			body:    tokenForm{}, status: http.StatusOK, resp: oauthapp.TokenResponse{}, errs: []int{http.StatusTooManyRequests},
			handle: a.token},
		{method: http.MethodPost, path: "/oauth2/introspect", op: "introspect", tag: tag, oauth: true,
			summary: "Describe an access token (RFC 7662). The caller authenticates as a confidential client: an application learns only about its own tokens, a first-party client about any; every other token is {\"active\": false}.",
			body:    tokenOpForm{}, status: http.StatusOK, resp: oauthapp.Introspection{}, handle: a.introspect},
		{method: http.MethodPost, path: "/oauth2/revoke", op: "revoke", tag: tag, oauth: true,
			summary: "Revoke an access token (RFC 7009). The client authenticates (or, a public one, names itself); only its own tokens are revoked, and unknown ones get the same 200.",
			body:    tokenOpForm{}, status: http.StatusOK, handle: a.revoke},
	}
}

// tokenForm documents the form of POST /oauth2/token.
type tokenForm struct {
	GrantType    string `json:"grant_type" oa:"required" enum:"client_credentials,password"`
	ClientID     string `json:"client_id" doc:"Unless sent with HTTP Basic."`
	ClientSecret string `json:"client_secret" oa:"writeOnly" doc:"Unless sent with HTTP Basic; none for a public client."`
	Scope        string `json:"scope" doc:"Space-separated scopes; default: the client's (all of the user's permissions for a client without scopes)."`
	Username     string `json:"username" doc:"password grant: the customer user's e-mail."`
	Password     string `json:"password" oa:"writeOnly" doc:"password grant: the customer user's password."`
}

// tokenOpForm documents the forms of introspection and revocation.
type tokenOpForm struct {
	Token         string `json:"token" oa:"required,writeOnly"`
	TokenTypeHint string `json:"token_type_hint" doc:"Ignored: every token is an access token."`
	ClientID      string `json:"client_id" doc:"Unless sent with HTTP Basic."`
	ClientSecret  string `json:"client_secret" oa:"writeOnly" doc:"Unless sent with HTTP Basic; none for a public client."`
}

func (a *api) token(c *call) error {
	f, err := c.form()
	if err != nil {
		return err
	}
	cc, err := clientOf(c.r, f)
	if err != nil {
		return err
	}
	res, err := a.cfg.OAuth.Token(c.ctx(), c.org, oauthapp.TokenRequest{
		GrantType: f["grant_type"], ClientID: cc.ClientID, ClientSecret: cc.ClientSecret, Scope: f["scope"],
		Username: f["username"], Password: f["password"], IP: a.clientIP(c.r), UserAgent: c.r.UserAgent(),
	})
	if err != nil {
		return err
	}
	c.w.Header().Set("Pragma", "no-cache")
	return c.ok(res)
}

func (a *api) introspect(c *call) error {
	f, err := c.form()
	if err != nil {
		return err
	}
	cc, err := clientOf(c.r, f)
	if err != nil {
		return err
	}
	if f["token"] == "" {
		return oauthRequestError("The token parameter is required.")
	}
	res, err := a.cfg.OAuth.IntrospectFor(c.ctx(), c.org, cc, f["token"])
	if err != nil {
		return err
	}
	return c.ok(res)
}

func (a *api) revoke(c *call) error {
	f, err := c.form()
	if err != nil {
		return err
	}
	cc, err := clientOf(c.r, f)
	if err != nil {
		return err
	}
	if f["token"] == "" {
		return oauthRequestError("The token parameter is required.")
	}
	if err := a.cfg.OAuth.RevokeFor(c.ctx(), c.org, cc, f["token"]); err != nil {
		return err
	}
	c.w.Header().Set("Cache-Control", "no-store")
	c.w.WriteHeader(http.StatusOK)
	return nil
}

// oauthRequestError is an invalid_request refusal.
func oauthRequestError(description string) error {
	return &oauthapp.OAuthError{Code: oauthapp.ErrCodeInvalidRequest, Description: description}
}

// form reads the form-encoded body of an OAuth request: at most the
// configured size, each parameter at most once (RFC 6749 §3.2). Empty
// parameters count as absent and unknown ones are ignored, as RFC 6749
// §3.1 asks.
func (c *call) form() (map[string]string, error) {
	mt, _, err := mime.ParseMediaType(c.r.Header.Get("Content-Type"))
	if err != nil || mt != FormContentType {
		return nil, oauthRequestError("The request body must be " + FormContentType + ".")
	}
	body, err := io.ReadAll(http.MaxBytesReader(c.w, c.r.Body, c.a.maxBody))
	if err != nil {
		return nil, c.bodyError(err)
	}
	vals, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, oauthRequestError("The request body is not a valid form.")
	}
	out := make(map[string]string, len(vals))
	for k, v := range vals {
		if len(v) != 1 {
			return nil, oauthRequestError("The parameter " + k + " must be given once.")
		}
		if v[0] != "" {
			out[k] = v[0]
		}
	}
	return out, nil
}

// clientOf returns the client credentials of an OAuth request: HTTP Basic
// (RFC 6749 §2.3.1, both parts form-url-encoded) or client_id and
// client_secret form fields, never both. Other Authorization schemes are
// ignored.
func clientOf(r *http.Request, f map[string]string) (oauthapp.ClientCredentials, error) {
	cc := oauthapp.ClientCredentials{ClientID: f["client_id"], ClientSecret: f["client_secret"]}
	if !basicScheme(r) {
		return cc, nil
	}
	user, pass, ok := r.BasicAuth()
	if !ok {
		return cc, &oauthapp.OAuthError{Code: oauthapp.ErrCodeInvalidClient, Description: "The Basic credentials are malformed."}
	}
	id, err1 := url.QueryUnescape(user)
	secret, err2 := url.QueryUnescape(pass)
	if err1 != nil || err2 != nil {
		return cc, &oauthapp.OAuthError{Code: oauthapp.ErrCodeInvalidClient, Description: "The Basic credentials are malformed."}
	}
	if cc.ClientSecret != "" || (cc.ClientID != "" && cc.ClientID != id) {
		return cc, oauthRequestError("Authenticate the client one way only: HTTP Basic or form fields.")
	}
	return oauthapp.ClientCredentials{ClientID: id, ClientSecret: secret}, nil
}

// basicScheme reports whether the request's Authorization header uses
// the Basic scheme.
func basicScheme(r *http.Request) bool {
	h := r.Header.Get("Authorization")
	const scheme = "basic "
	return len(h) >= len(scheme) && strings.EqualFold(h[:len(scheme)], scheme)
}

// clientIP is the address of the caller, for the login attempts.
func (a *api) clientIP(r *http.Request) string {
	if a.cfg.ClientIP != nil {
		return a.cfg.ClientIP(r)
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// oauthErrorOut is the error answer of the OAuth endpoints (RFC 6749
// §5.2).
type oauthErrorOut struct {
	Error       string `json:"error" enum:"invalid_request,invalid_client,invalid_grant,unauthorized_client,unsupported_grant_type,invalid_scope,server_error"`
	Description string `json:"error_description,omitempty"`
}

// writeOAuthError answers err in the format of RFC 6749 §5.2: 400, or 401
// with a Basic challenge for invalid_client, 429 with Retry-After for a
// throttled login, 413 for a body too large, 404 for an unknown
// organization and 500 (server_error, logged) for internal errors.
func (a *api) writeOAuthError(c *call, err error) {
	out, status := oauthErrorOut{Error: oauthapp.ErrCodeInvalidRequest}, http.StatusBadRequest
	var (
		oe *oauthapp.OAuthError
		he *httpError
	)
	code := cu.CodeOf(err)
	switch {
	case errors.As(err, &oe):
		out.Error, out.Description = oe.Code, oe.Description
		switch {
		case code == cu.CodeRateLimited:
			status = http.StatusTooManyRequests
		case oe.Code == oauthapp.ErrCodeInvalidClient:
			status = http.StatusUnauthorized
		}
	case errors.As(err, &he):
		out.Description = he.detail
		if he.status == http.StatusRequestEntityTooLarge {
			status = he.status
		}
	case code == cu.CodeInternal:
		a.log.ErrorContext(c.r.Context(), "httpadapter: request failed", "method", c.r.Method, "path", c.r.URL.Path, "err", err)
		out, status = oauthErrorOut{Error: "server_error", Description: "An internal error occurred; it has been logged."}, http.StatusInternalServerError
	case code == cu.CodeNotFound:
		status = http.StatusNotFound
		out.Description = errorMessage(err)
	case code == cu.CodeUnauthenticated:
		out.Error, status = oauthapp.ErrCodeInvalidClient, http.StatusUnauthorized
	case code == cu.CodeRateLimited:
		status = http.StatusTooManyRequests
		out.Description = errorMessage(err)
	default:
		out.Description = errorMessage(err)
	}
	h := c.w.Header()
	switch status {
	case http.StatusUnauthorized:
		h.Set("WWW-Authenticate", BasicChallenge)
	case http.StatusTooManyRequests:
		var e *cu.Error
		if errors.As(err, &e) && e.RetryAfter > 0 {
			h.Set("Retry-After", strconv.FormatInt(int64(math.Ceil(e.RetryAfter.Seconds())), 10))
		}
	}
	body, _ := json.Marshal(out) // cannot fail: two strings
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	c.w.WriteHeader(status)
	_, _ = c.w.Write(body)
}

// errorMessage is the client-safe message of a library error.
func errorMessage(err error) string {
	var e *cu.Error
	if errors.As(err, &e) {
		return e.Message
	}
	return ""
}
