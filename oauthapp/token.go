package oauthapp

import (
	"context"
	"crypto/sha256"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	cu "github.com/b2bkit/customerusers"
	"github.com/b2bkit/customerusers/customeruser"
	"github.com/b2bkit/customerusers/role"
)

// TokenRequest is a request to the token endpoint (RFC 6749 §4.3, §4.4),
// decoded by the transport (form fields, HTTP Basic client credentials).
type TokenRequest struct {
	// GrantType is "client_credentials" or "password".
	GrantType    string
	ClientID     string
	ClientSecret string
	// Scope is the optional space-separated list of requested scopes.
	Scope string
	// Username and Password are the customer user's e-mail and password
	// (password grant only).
	Username string
	Password string
	// IP and UserAgent describe the caller for the login attempts of the
	// password grant.
	IP        string
	UserAgent string
}

// TokenResponse is a successful token response (RFC 6749 §5.1).
type TokenResponse struct {
	AccessToken string `json:"access_token"`
	// TokenType is always "Bearer".
	TokenType string `json:"token_type"`
	// ExpiresIn is the lifetime in seconds.
	ExpiresIn int `json:"expires_in"`
	// Scope lists the token's scopes, space-separated; empty for a token
	// carrying all of the user's permissions.
	Scope string `json:"scope,omitempty"`
}

// TokenTypeBearer is the only token type issued.
const TokenTypeBearer = "Bearer"

// maxBearerLen bounds what Authenticate hashes; real tokens have 43
// characters.
const maxBearerLen = 512

// Token runs the token endpoint for organization org.
//
// client_credentials (RFC 6749 §4.4): the client id and secret of an App
// (the secret's digest compared in constant time); an unknown client, a
// wrong secret and an inactive application are invalid_client. The owner
// must exist and pass every login check (customeruser CheckLogin: not a
// guest, enabled, confirmed, no forced reset, has a customer), else
// invalid_grant. The application's LastUsedAt is updated.
//
// password (RFC 6749 §4.3): only for a client of Config.FirstPartyClients
// (an App asking for it is unauthorized_client). The credentials go through
// customeruser's Authenticate with source "oauth", so every login check,
// the login attempt log and the lockout apply: refused credentials are
// invalid_grant (library code unauthenticated), a throttled account is
// invalid_grant with library code rate_limited, whose *cu.Error (reached
// with errors.As) carries RetryAfter for the transport's Retry-After.
//
// Scope: optional; each requested scope must be among the client's scopes
// (when it has any) and held by the user, else invalid_scope. Without a
// scope the token gets the client's scopes that the user still holds, or,
// for a client without scopes, all of the user's permissions. The token is
// opaque (256 random bits), stored only as its SHA-256 digest, and lives
// Config.AccessTokenTTL. Refusals are *OAuthError; storage failures are
// internal errors.
func (s *Service) Token(ctx context.Context, org uuid.UUID, req TokenRequest) (TokenResponse, error) {
	switch req.GrantType {
	case "":
		return TokenResponse{}, oauthError(ErrCodeInvalidRequest, "The grant_type parameter is required.")
	case GrantClientCredentials:
		return s.clientCredentials(ctx, org, req)
	case GrantPassword:
		return s.passwordGrant(ctx, org, req)
	}
	return TokenResponse{}, oauthError(ErrCodeUnsupportedGrantType, "The grant type is not supported.")
}

// firstPartyClient authenticates a first-party client; ok is false when
// the client id is not one.
func (s *Service) firstPartyClient(req TokenRequest) (FirstPartyClient, bool, error) {
	fp, ok := s.firstParty[req.ClientID]
	if !ok || req.ClientID == "" {
		return FirstPartyClient{}, false, nil
	}
	if fp.SecretDigest == nil {
		if req.ClientSecret != "" {
			return fp, true, oauthError(ErrCodeInvalidClient, "This public client must not send a client secret.")
		}
		return fp, true, nil
	}
	if !sameDigest(DigestSecret(req.ClientSecret), fp.SecretDigest) {
		return fp, true, errInvalidClient()
	}
	return fp, true, nil
}

// appClient authenticates an application by client id and secret.
func (s *Service) appClient(ctx context.Context, org uuid.UUID, req TokenRequest) (App, error) {
	given := DigestSecret(req.ClientSecret)
	if req.ClientID == "" {
		sameDigest(given, dummyDigest)
		return App{}, errInvalidClient()
	}
	a, err := s.d.Apps.GetByClientID(ctx, org, req.ClientID)
	if errors.Is(err, cu.ErrNotFound) {
		sameDigest(given, dummyDigest) // the same work as for a known client
		return App{}, errInvalidClient()
	}
	if err != nil {
		return App{}, cu.Internal(err)
	}
	if !sameDigest(given, a.SecretHash) {
		return App{}, errInvalidClient()
	}
	return a, nil
}

func (s *Service) clientCredentials(ctx context.Context, org uuid.UUID, req TokenRequest) (TokenResponse, error) {
	if _, ok, err := s.firstPartyClient(req); ok {
		if err != nil {
			return TokenResponse{}, err
		}
		return TokenResponse{}, oauthError(ErrCodeUnauthorizedClient, "This client may not use the client_credentials grant.")
	}
	a, err := s.appClient(ctx, org, req)
	if err != nil {
		return TokenResponse{}, err
	}
	if !a.Active {
		return TokenResponse{}, oauthError(ErrCodeInvalidClient, "The client is not active.")
	}
	if !slices.Contains(a.Grants, GrantClientCredentials) {
		return TokenResponse{}, oauthError(ErrCodeUnauthorizedClient, "This client may not use the client_credentials grant.")
	}
	requested, ok := parseScope(req.Scope)
	if !ok {
		return TokenResponse{}, oauthError(ErrCodeInvalidScope, "The scope parameter is malformed.")
	}
	owner, err := s.d.Users.Get(ctx, org, a.OwnerUserID)
	if err != nil && !errors.Is(err, cu.ErrNotFound) {
		return TokenResponse{}, cu.Internal(err)
	}
	if err != nil || s.d.Logins.CheckLogin(owner) != nil {
		return TokenResponse{}, oauthError(ErrCodeInvalidGrant, "The application's owner may not log in.")
	}
	tok := AccessToken{OrganizationID: org, AppID: a.ID, ClientID: a.ClientID, GrantType: GrantClientCredentials, UserID: owner.ID}
	return s.issue(ctx, owner, requested, a.Scopes, tok, &a)
}

func (s *Service) passwordGrant(ctx context.Context, org uuid.UUID, req TokenRequest) (TokenResponse, error) {
	fp, ok, err := s.firstPartyClient(req)
	if err != nil {
		return TokenResponse{}, err
	}
	if !ok {
		if _, err := s.appClient(ctx, org, req); err != nil {
			return TokenResponse{}, err
		}
		return TokenResponse{}, oauthError(ErrCodeUnauthorizedClient, "Applications may use only the client_credentials grant.")
	}
	if req.Username == "" || req.Password == "" {
		return TokenResponse{}, oauthError(ErrCodeInvalidRequest, "The username and password parameters are required.")
	}
	requested, ok := parseScope(req.Scope)
	if !ok {
		return TokenResponse{}, oauthError(ErrCodeInvalidScope, "The scope parameter is malformed.")
	}
	u, err := s.d.Logins.Authenticate(ctx, org, customeruser.Credentials{
		Email: req.Username, Password: req.Password, Source: LoginSource, IP: req.IP, UserAgent: req.UserAgent,
	})
	if err != nil {
		switch cu.CodeOf(err) {
		case cu.CodeUnauthenticated:
			return TokenResponse{}, &OAuthError{Code: ErrCodeInvalidGrant, Description: "Invalid credentials.", Err: err}
		case cu.CodeRateLimited:
			var ce *cu.Error
			errors.As(err, &ce)
			return TokenResponse{}, &OAuthError{Code: ErrCodeInvalidGrant, Description: ce.Message, Err: err}
		}
		return TokenResponse{}, cu.Internal(err)
	}
	tok := AccessToken{OrganizationID: org, ClientID: fp.ClientID, GrantType: GrantPassword, UserID: u.ID}
	return s.issue(ctx, u, requested, fp.Scopes, tok, nil)
}

// tokenScopes decides the scopes of a new token from the requested ones,
// the client's (empty: no limit) and the user's grants g.
func tokenScopes(g *role.Grants, requested, client []string) (scopes []string, unscoped bool, err error) {
	if len(requested) > 0 {
		for _, sc := range requested {
			if len(client) > 0 && !slices.Contains(client, sc) {
				return nil, false, oauthError(ErrCodeInvalidScope, "The scope "+sc+" is not granted to this client.")
			}
			if !holds(g, sc) {
				return nil, false, oauthError(ErrCodeInvalidScope, "The scope "+sc+" is not held by the user.")
			}
		}
		return requested, false, nil
	}
	if len(client) == 0 {
		return nil, true, nil
	}
	for _, sc := range client {
		if holds(g, sc) {
			scopes = append(scopes, sc)
		}
	}
	if len(scopes) == 0 {
		return nil, false, oauthError(ErrCodeInvalidScope, "The user no longer holds any of the client's scopes.")
	}
	return scopes, false, nil
}

// issue completes tok for user u, stores it (with the application's
// LastUsedAt, when app is set) and returns the response.
func (s *Service) issue(ctx context.Context, u customeruser.User, requested, client []string, tok AccessToken, app *App) (TokenResponse, error) {
	g, err := s.ownerGrants(ctx, u)
	if err != nil {
		return TokenResponse{}, err
	}
	scopes, unscoped, err := tokenScopes(g, requested, client)
	if err != nil {
		return TokenResponse{}, err
	}
	secret, digest, err := newSecret()
	if err != nil {
		return TokenResponse{}, cu.Internal(err)
	}
	now := s.now()
	tok.Digest, tok.Scopes, tok.Unscoped = digest, scopes, unscoped
	tok.RoleIDs = reliedRoles(g, u, scopes, unscoped)
	tok.CreatedAt, tok.ExpiresAt = now, now.Add(s.cfg.AccessTokenTTL)
	err = s.d.Tx.InTx(ctx, func(ctx context.Context) error {
		if app != nil {
			// The application may have been deactivated or deleted since it
			// was read; its tokens are killed in the same transaction as
			// that change, so a token must not slip in after it.
			fresh, err := s.d.Apps.Get(ctx, app.OrganizationID, app.ID)
			if errors.Is(err, cu.ErrNotFound) {
				return errInvalidClient()
			}
			if err != nil {
				return cu.Internal(err)
			}
			if !fresh.Active || !sameDigest(fresh.SecretHash, app.SecretHash) {
				return errInvalidClient()
			}
			if err := s.d.Apps.Touch(ctx, app.OrganizationID, app.ID, now); err != nil {
				return cu.Internal(err)
			}
		}
		if err := s.d.Tokens.Create(ctx, tok); err != nil {
			return cu.Internal(err)
		}
		return nil
	})
	if err != nil {
		return TokenResponse{}, err
	}
	return TokenResponse{AccessToken: secret, TokenType: TokenTypeBearer, ExpiresIn: int(s.cfg.AccessTokenTTL / time.Second),
		Scope: strings.Join(scopes, " ")}, nil
}

// lookup finds the token of a bearer string and reports whether it is
// valid now (see Authenticate); found is false when no token has that
// digest.
func (s *Service) lookup(ctx context.Context, bearer string) (l TokenLookup, valid bool, err error) {
	if bearer == "" || len(bearer) > maxBearerLen {
		return TokenLookup{}, false, nil
	}
	var buf [maxBearerLen]byte
	d := sha256.Sum256(append(buf[:0], bearer...))
	l, err = s.d.Tokens.Lookup(ctx, d[:])
	if errors.Is(err, cu.ErrNotFound) {
		return TokenLookup{}, false, nil
	}
	if err != nil {
		return TokenLookup{}, false, cu.Internal(err)
	}
	return l, s.valid(l), nil
}

// valid applies the rules of a live token to a lookup.
func (s *Service) valid(l TokenLookup) bool {
	t := l.Token
	if !s.now().Before(t.ExpiresAt) {
		return false
	}
	if t.AppID != uuid.Nil && (l.App == nil || !l.App.Active || l.App.ID != t.AppID) {
		return false
	}
	o := l.Owner
	if o == nil || o.ID != t.UserID {
		return false
	}
	if s.d.Logins.CheckLogin(o.user(t.OrganizationID)) != nil {
		return false
	}
	// A password-grant token was obtained with the password: a new one
	// (after a forced reset, say) ends it.
	if t.GrantType == GrantPassword && o.PasswordChangedAt != nil && o.PasswordChangedAt.After(t.CreatedAt) {
		return false
	}
	for _, id := range t.RoleIDs {
		if !slices.Contains(o.RoleIDs, id) {
			return false
		}
	}
	return true
}

// Authenticate validates a bearer token of an API call and returns the
// actor it stands for: its user as a storefront actor, with the user's
// current roles and, unless the token is unscoped, Scopes set to the
// token's scopes (role.Authorizer then grants nothing else). Validating is
// one indexed read of the token joined with its application and its user.
// A token works only while it has not expired or been revoked, its
// application (client_credentials) exists and is active, its user exists
// and passes every login check, and the user still holds every role the
// token's scopes relied on at issuance; so deactivating or deleting the
// application, disabling, deleting or force-resetting the user, or taking
// a role away takes effect at once. Every refusal is the same
// unauthenticated error.
func (s *Service) Authenticate(ctx context.Context, bearer string) (cu.Actor, error) {
	l, valid, err := s.lookup(ctx, bearer)
	if err != nil {
		return cu.Actor{}, err
	}
	if !valid {
		return cu.Actor{}, errUnauthenticated()
	}
	a := cu.Actor{Kind: cu.ActorCustomerUser, OrganizationID: l.Token.OrganizationID, ID: l.Owner.ID,
		CustomerID: l.Owner.CustomerID, RoleIDs: l.Owner.RoleIDs}
	if !l.Token.Unscoped {
		a.Scopes = l.Token.Scopes
		if a.Scopes == nil {
			a.Scopes = []string{}
		}
	}
	return a, nil
}

// Introspection is the answer of token introspection (RFC 7662 §2.2). An
// inactive token (unknown, expired, revoked, of another organization, or
// dead for any reason Authenticate gives) is {"active": false} and nothing
// else.
type Introspection struct {
	Active bool `json:"active"`
	// Scope lists the token's scopes, space-separated; empty for a token
	// carrying all of the user's permissions.
	Scope    string `json:"scope,omitempty"`
	ClientID string `json:"client_id,omitempty"`
	// Username is the user's e-mail.
	Username  string `json:"username,omitempty"`
	TokenType string `json:"token_type,omitempty"`
	// Exp and Iat are Unix times in seconds.
	Exp int64 `json:"exp,omitempty"`
	Iat int64 `json:"iat,omitempty"`
	// Sub is the user's id.
	Sub string `json:"sub,omitempty"`
}

// Introspect describes an access token of organization org (RFC 7662).
// Authorizing the caller (a protected resource) is the transport's job.
func (s *Service) Introspect(ctx context.Context, org uuid.UUID, token string) (Introspection, error) {
	l, valid, err := s.lookup(ctx, token)
	if err != nil {
		return Introspection{}, err
	}
	if !valid || l.Token.OrganizationID != org {
		return Introspection{Active: false}, nil
	}
	return Introspection{
		Active: true, Scope: strings.Join(l.Token.Scopes, " "), ClientID: l.Token.ClientID, Username: l.Owner.Email,
		TokenType: TokenTypeBearer, Exp: l.Token.ExpiresAt.Unix(), Iat: l.Token.CreatedAt.Unix(), Sub: l.Owner.ID.String(),
	}, nil
}

// Revoke deletes an access token of organization org at once (RFC 7009).
// An unknown, expired or already revoked token is not an error, as the RFC
// wants: the caller cannot tell them apart.
func (s *Service) Revoke(ctx context.Context, org uuid.UUID, token string) error {
	if token == "" || len(token) > maxBearerLen {
		return nil
	}
	err := s.d.Tokens.Delete(ctx, org, DigestSecret(token))
	if err != nil && !errors.Is(err, cu.ErrNotFound) {
		return cu.Internal(err)
	}
	return nil
}

// PurgeExpired deletes the organization's expired access tokens and
// returns how many went. Expired tokens are refused anyway; hosts run this
// from a periodic job to keep the table small.
func (s *Service) PurgeExpired(ctx context.Context, org uuid.UUID) (int, error) {
	n, err := s.d.Tokens.DeleteExpired(ctx, org, s.now())
	if err != nil {
		return 0, cu.Internal(err)
	}
	return n, nil
}
