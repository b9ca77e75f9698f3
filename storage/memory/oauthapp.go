package memory

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	cu "github.com/b2bkit/customerusers"
	"github.com/b2bkit/customerusers/oauthapp"
)

// oauthTables hold OAuth applications and access tokens.
type oauthTables struct {
	apps map[uuid.UUID]oauthapp.App
	// clientIDs indexes applications by client id (unique across
	// organizations).
	clientIDs map[string]uuid.UUID
	// appNames indexes applications by (organization, owner, lower(name)).
	appNames map[appNameKey]uuid.UUID
	// tokens are keyed by the digest's bytes.
	tokens map[string]oauthapp.AccessToken
}

type appNameKey struct {
	org, owner uuid.UUID
	name       string
}

func (t *oauthTables) init() {
	t.apps = map[uuid.UUID]oauthapp.App{}
	t.clientIDs = map[string]uuid.UUID{}
	t.appNames = map[appNameKey]uuid.UUID{}
	t.tokens = map[string]oauthapp.AccessToken{}
}

// OAuthApps returns the OAuth application repository.
func (s *Store) OAuthApps() oauthapp.AppRepository { return appRepo{s} }

// AccessTokens returns the OAuth access token repository.
func (s *Store) AccessTokens() oauthapp.TokenRepository { return accessTokenRepo{s} }

type appRepo struct{ s *Store }

func cloneApp(a oauthapp.App) oauthapp.App {
	a.SecretHash = bytes.Clone(a.SecretHash)
	a.Grants = slices.Clone(a.Grants)
	a.Scopes = slices.Clone(a.Scopes)
	a.LastUsedAt = clonePtr(a.LastUsedAt)
	return a
}

func nameKeyOf(a oauthapp.App) appNameKey {
	return appNameKey{a.OrganizationID, a.OwnerUserID, strings.ToLower(a.Name)}
}

// index keeps the name and client id indexes in step with a write of a
// (old is the previous version, if any).
func (r appRepo) index(t *txn, old, a *oauthapp.App) error {
	tb := &r.s.oauth
	if old != nil {
		del(t, tb.appNames, nameKeyOf(*old))
		del(t, tb.clientIDs, old.ClientID)
	}
	if a == nil {
		return nil
	}
	if _, taken := tb.appNames[nameKeyOf(*a)]; taken {
		return cu.FieldError("name", "unique", "This name is already used by another application of the owner.")
	}
	if _, taken := tb.clientIDs[a.ClientID]; taken {
		return cu.FieldError("clientId", "unique", "This client id is already used.")
	}
	put(t, tb.appNames, nameKeyOf(*a), a.ID)
	put(t, tb.clientIDs, a.ClientID, a.ID)
	return nil
}

func (r appRepo) Create(ctx context.Context, a oauthapp.App) error {
	return r.s.write(ctx, func(t *txn) error {
		if _, ok := r.s.oauth.apps[a.ID]; ok {
			return cu.Conflict("OAuth application %s already exists", a.ID)
		}
		if u, ok := r.s.users[a.OwnerUserID]; !ok || u.OrganizationID != a.OrganizationID {
			return notFound("customer user", a.OwnerUserID)
		}
		if err := r.index(t, nil, &a); err != nil {
			return err
		}
		put(t, r.s.oauth.apps, a.ID, cloneApp(a))
		return nil
	})
}

// get returns the stored application (not a copy) of org.
func (r appRepo) get(org, id uuid.UUID) (oauthapp.App, error) {
	a, ok := r.s.oauth.apps[id]
	if !ok || a.OrganizationID != org {
		return oauthapp.App{}, notFound("OAuth application", id)
	}
	return a, nil
}

func (r appRepo) Get(ctx context.Context, org, id uuid.UUID) (out oauthapp.App, err error) {
	err = r.s.read(ctx, func() error {
		a, err := r.get(org, id)
		out = cloneApp(a)
		return err
	})
	return out, err
}

func (r appRepo) GetByClientID(ctx context.Context, org uuid.UUID, clientID string) (out oauthapp.App, err error) {
	err = r.s.read(ctx, func() error {
		id, ok := r.s.oauth.clientIDs[clientID]
		if !ok {
			return cu.NotFound("OAuth application")
		}
		a, err := r.get(org, id)
		out = cloneApp(a)
		return err
	})
	return out, err
}

func (r appRepo) List(ctx context.Context, org uuid.UUID, f oauthapp.AppFilter, p cu.Page) (out cu.PageOf[oauthapp.App], err error) {
	err = r.s.read(ctx, func() error {
		var key func(oauthapp.App) string
		switch p.Sort.Field {
		case "", oauthapp.SortName:
			key = func(a oauthapp.App) string { return textKey(a.Name) }
		case oauthapp.SortCreatedAt:
			key = func(a oauthapp.App) string { return timeKey(a.CreatedAt) }
		default:
			return cu.FieldError("sort", "unknown", "applications sort by name or createdAt")
		}
		var items []oauthapp.App
		for _, a := range r.s.oauth.apps {
			if a.OrganizationID != org ||
				(f.OwnerUserID != uuid.Nil && a.OwnerUserID != f.OwnerUserID) ||
				(f.Active != nil && a.Active != *f.Active) ||
				!containsFold(a.Name, f.Name) {
				continue
			}
			items = append(items, cloneApp(a))
		}
		out, err = paginate(items, key, func(a oauthapp.App) uuid.UUID { return a.ID }, p, p.Sort.Desc)
		return err
	})
	return out, err
}

func (r appRepo) Update(ctx context.Context, a oauthapp.App, expectedVersion int64) error {
	return r.s.write(ctx, func(t *txn) error {
		old, err := r.get(a.OrganizationID, a.ID)
		if err != nil {
			return err
		}
		if old.Version != expectedVersion {
			return cu.Stale("OAuth application")
		}
		if err := r.index(t, &old, &a); err != nil {
			return err
		}
		a = cloneApp(a)
		a.Version = expectedVersion + 1
		put(t, r.s.oauth.apps, a.ID, a)
		return nil
	})
}

func (r appRepo) Touch(ctx context.Context, org, id uuid.UUID, lastUsedAt time.Time) error {
	return r.s.write(ctx, func(t *txn) error {
		a, err := r.get(org, id)
		if err != nil {
			return err
		}
		a = cloneApp(a)
		a.LastUsedAt = &lastUsedAt
		put(t, r.s.oauth.apps, a.ID, a)
		return nil
	})
}

// remove deletes a stored application, its index entries and its tokens.
func (r appRepo) remove(t *txn, a oauthapp.App) {
	_ = r.index(t, &a, nil)
	del(t, r.s.oauth.apps, a.ID)
	for k, tk := range r.s.oauth.tokens {
		if tk.AppID == a.ID {
			del(t, r.s.oauth.tokens, k)
		}
	}
}

func (r appRepo) Delete(ctx context.Context, org, id uuid.UUID) error {
	return r.s.write(ctx, func(t *txn) error {
		a, err := r.get(org, id)
		if err != nil {
			return err
		}
		r.remove(t, a)
		return nil
	})
}

func (r appRepo) DeleteByOwner(ctx context.Context, org, ownerUserID uuid.UUID) (out []oauthapp.App, err error) {
	err = r.s.write(ctx, func(t *txn) error {
		out = nil
		for _, a := range r.s.oauth.apps {
			if a.OrganizationID == org && a.OwnerUserID == ownerUserID {
				out = append(out, cloneApp(a))
			}
		}
		slices.SortFunc(out, func(a, b oauthapp.App) int { return bytes.Compare(a.ID[:], b.ID[:]) })
		for _, a := range out {
			r.remove(t, a)
		}
		return nil
	})
	return out, err
}

type accessTokenRepo struct{ s *Store }

func cloneAccessToken(tk oauthapp.AccessToken) oauthapp.AccessToken {
	tk.Digest = bytes.Clone(tk.Digest)
	tk.Scopes = slices.Clone(tk.Scopes)
	tk.RoleIDs = slices.Clone(tk.RoleIDs)
	return tk
}

func (r accessTokenRepo) Create(ctx context.Context, tk oauthapp.AccessToken) error {
	return r.s.write(ctx, func(t *txn) error {
		k := string(tk.Digest)
		if _, ok := r.s.oauth.tokens[k]; ok {
			return cu.Conflict("access token already exists")
		}
		if u, ok := r.s.users[tk.UserID]; !ok || u.OrganizationID != tk.OrganizationID {
			return notFound("customer user", tk.UserID)
		}
		if tk.AppID != uuid.Nil {
			if _, err := (appRepo(r)).get(tk.OrganizationID, tk.AppID); err != nil {
				return err
			}
		}
		put(t, r.s.oauth.tokens, k, cloneAccessToken(tk))
		return nil
	})
}

// Lookup reads the token, its application and its user under one read
// lock: the in-memory form of one indexed query with two joins.
func (r accessTokenRepo) Lookup(ctx context.Context, digest []byte) (out oauthapp.TokenLookup, err error) {
	err = r.s.read(ctx, func() error {
		tk, ok := r.s.oauth.tokens[string(digest)]
		if !ok {
			return cu.NotFound("access token")
		}
		out.Token = cloneAccessToken(tk)
		if tk.AppID != uuid.Nil {
			if a, ok := r.s.oauth.apps[tk.AppID]; ok && a.OrganizationID == tk.OrganizationID {
				out.App = &oauthapp.TokenApp{ID: a.ID, Active: a.Active}
			}
		}
		if u, ok := r.s.users[tk.UserID]; ok && u.OrganizationID == tk.OrganizationID {
			out.Owner = &oauthapp.TokenOwner{
				ID: u.ID, CustomerID: u.CustomerID, Email: u.Email, Enabled: u.Enabled, Confirmed: u.Confirmed,
				Guest: u.Guest, AuthStatus: u.AuthStatus, PasswordChangedAt: clonePtr(u.PasswordChangedAt),
				RoleIDs: slices.Clone(u.RoleIDs),
			}
		}
		return nil
	})
	return out, err
}

func (r accessTokenRepo) Delete(ctx context.Context, org uuid.UUID, digest []byte) error {
	return r.s.write(ctx, func(t *txn) error {
		tk, ok := r.s.oauth.tokens[string(digest)]
		if !ok || tk.OrganizationID != org {
			return cu.NotFound("access token")
		}
		del(t, r.s.oauth.tokens, string(digest))
		return nil
	})
}

// deleteWhere deletes the organization's tokens that match.
func (r accessTokenRepo) deleteWhere(ctx context.Context, org uuid.UUID, match func(oauthapp.AccessToken) bool) (n int, err error) {
	err = r.s.write(ctx, func(t *txn) error {
		n = 0
		for k, tk := range r.s.oauth.tokens {
			if tk.OrganizationID == org && match(tk) {
				del(t, r.s.oauth.tokens, k)
				n++
			}
		}
		return nil
	})
	return n, err
}

func (r accessTokenRepo) DeleteForApp(ctx context.Context, org, appID uuid.UUID) error {
	_, err := r.deleteWhere(ctx, org, func(tk oauthapp.AccessToken) bool { return tk.AppID == appID })
	return err
}

func (r accessTokenRepo) DeleteForUser(ctx context.Context, org, userID uuid.UUID) error {
	_, err := r.deleteWhere(ctx, org, func(tk oauthapp.AccessToken) bool { return tk.UserID == userID })
	return err
}

func (r accessTokenRepo) DeleteExpired(ctx context.Context, org uuid.UUID, now time.Time) (int, error) {
	return r.deleteWhere(ctx, org, func(tk oauthapp.AccessToken) bool { return !tk.ExpiresAt.After(now) })
}
