package storagetest

import (
	"context"
	"crypto/sha256"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	cu "github.com/b2bkit/customerusers"
	"github.com/b2bkit/customerusers/customeruser"
	"github.com/b2bkit/customerusers/oauthapp"
	"github.com/b2bkit/customerusers/role"
)

// OAuthRepos are the repositories the OAuth contract needs, opened fresh
// for one test: the application and token repositories, and the user,
// customer and role repositories of the same storage (tokens join users).
type OAuthRepos struct {
	Tx        cu.Transactor
	Apps      oauthapp.AppRepository
	Tokens    oauthapp.TokenRepository
	Users     customeruser.UserRepository
	Customers customeruser.CustomerRepository
	Roles     role.Repository
}

// RunOAuth runs the contract suite of oauthapp.AppRepository and
// oauthapp.TokenRepository. Each subtest calls open(t) for a fresh, empty
// storage; subtests run in parallel.
//
// Choices the suite enforces where the contract leaves one open:
//
//   - application names are unique per (organization, owner)
//     case-insensitively; client ids are unique across organizations;
//   - Scopes and Grants keep their order; an empty slice may come back nil;
//     token RoleIDs are a set;
//   - Lookup returns expired tokens (the service decides with its clock),
//     App nil for a password-grant token, and Owner nil or cu.ErrNotFound
//     once the user row is gone;
//   - deleting an application (Delete, DeleteByOwner) deletes its tokens in
//     the same statement or transaction.
func RunOAuth(t *testing.T, open func(t *testing.T) OAuthRepos) {
	t.Helper()
	cases := []caseOf[func(e *oenv)]{
		{"AppRoundTrip", oauthAppRoundTrip},
		{"AppUnique", oauthAppUnique},
		{"AppConcurrentCreate", oauthAppConcurrentCreate},
		{"AppUpdate", oauthAppUpdate},
		{"AppTouch", oauthAppTouch},
		{"AppList", oauthAppList},
		{"AppDeleteCascades", oauthAppDeleteCascades},
		{"AppDeleteByOwner", oauthAppDeleteByOwner},
		{"TokenLookupJoins", oauthTokenLookup},
		{"TokenCreateChecks", oauthTokenCreateChecks},
		{"TokenDelete", oauthTokenDelete},
		{"TokenDeleteForAppAndUser", oauthTokenDeleteFor},
		{"TokenDeleteExpired", oauthTokenDeleteExpired},
		{"TokenOwnerGone", oauthTokenOwnerGone},
		{"Isolation", oauthIsolation},
		{"Rollback", oauthRollback},
	}
	runCases(t, cases, open, func(t *testing.T, r OAuthRepos, fn func(*oenv)) {
		requireRepos(t, r)
		core := Repos{Tx: r.Tx, Roles: r.Roles, Customers: r.Customers, Users: r.Users}
		fn(&oenv{env: newEnv(t, core), apps: r.Apps, tokens: r.Tokens})
	})
}

// oenv is the fixture of one OAuth contract test.
type oenv struct {
	*env
	apps   oauthapp.AppRepository
	tokens oauthapp.TokenRepository
}

// owner creates a customer and an enabled user of org.
func (e *oenv) owner(org uuid.UUID, email string) customeruser.User {
	e.t.Helper()
	c := e.customer(org, uuid.Nil, "Customer of "+email)
	return e.user(org, c.ID, email)
}

// newApp returns an unsaved application of owner.
func (e *oenv) newApp(owner customeruser.User, name string) oauthapp.App {
	at := e.now()
	id := cu.NewID()
	digest := sha256.Sum256([]byte("secret " + id.String()))
	return oauthapp.App{
		ID: id, OrganizationID: owner.OrganizationID, OwnerUserID: owner.ID, Name: name,
		ClientID: "client-" + strings.ReplaceAll(id.String(), "-", ""), SecretHash: digest[:],
		Grants: []string{oauthapp.GrantClientCredentials}, Active: true, CreatedAt: at, UpdatedAt: at, Version: 1,
	}
}

// app creates an application of owner, changed by opts.
func (e *oenv) app(owner customeruser.User, name string, opts ...func(*oauthapp.App)) oauthapp.App {
	e.t.Helper()
	return stored(e.env, e.newApp(owner, name), opts, e.apps.Create, "create application %q", name)
}

// token creates an access token of user u (and application a, when its id
// is set), living one hour from the suite's clock.
func (e *oenv) token(u customeruser.User, a oauthapp.App, opts ...func(*oauthapp.AccessToken)) oauthapp.AccessToken {
	e.t.Helper()
	at := e.now()
	d := sha256.Sum256([]byte(cu.NewID().String()))
	tk := oauthapp.AccessToken{
		Digest: d[:], OrganizationID: u.OrganizationID, AppID: a.ID, ClientID: a.ClientID,
		GrantType: oauthapp.GrantClientCredentials, UserID: u.ID, Scopes: []string{"customer_user:view"},
		RoleIDs: slices.Clone(u.RoleIDs), CreatedAt: at, ExpiresAt: at.Add(time.Hour),
	}
	if a.ID == uuid.Nil {
		tk.GrantType, tk.ClientID = oauthapp.GrantPassword, "storefront"
	}
	return stored(e.env, tk, opts, e.tokens.Create)
}

// live reports whether a token's digest is found.
func (e *oenv) live(tk oauthapp.AccessToken) bool {
	e.t.Helper()
	_, err := e.tokens.Lookup(e.ctx, tk.Digest)
	if err != nil {
		require.ErrorIs(e.t, err, cu.ErrNotFound)
		return false
	}
	return true
}

func normApp(a oauthapp.App) oauthapp.App {
	a.CreatedAt, a.UpdatedAt, a.LastUsedAt = utc(a.CreatedAt), utc(a.UpdatedAt), utcPtr(a.LastUsedAt)
	a.SecretHash = slices.Clone(a.SecretHash)
	if len(a.Scopes) == 0 {
		a.Scopes = nil
	} else {
		a.Scopes = slices.Clone(a.Scopes)
	}
	if len(a.Grants) == 0 {
		a.Grants = nil
	} else {
		a.Grants = slices.Clone(a.Grants)
	}
	return a
}

func normAccessToken(t oauthapp.AccessToken) oauthapp.AccessToken {
	t.CreatedAt, t.ExpiresAt = utc(t.CreatedAt), utc(t.ExpiresAt)
	t.Digest = slices.Clone(t.Digest)
	if len(t.Scopes) == 0 {
		t.Scopes = nil
	} else {
		t.Scopes = slices.Clone(t.Scopes)
	}
	t.RoleIDs = sortedIDs(t.RoleIDs)
	return t
}

func (e *oenv) getApp(org, id uuid.UUID) oauthapp.App {
	e.t.Helper()
	a, err := e.apps.Get(e.ctx, org, id)
	require.NoError(e.t, err)
	return a
}

// listApps returns every application of org matching f (all pages).
func (e *oenv) listApps(org uuid.UUID, f oauthapp.AppFilter, sort cu.Sort) []oauthapp.App {
	e.t.Helper()
	return allPages(e.t, 2, lister(e.ctx, e.apps.List, org, f), cu.Page{Sort: sort})
}

func appIDs(as []oauthapp.App) []uuid.UUID {
	return mapSlice(as, func(a oauthapp.App) uuid.UUID { return a.ID })
}

func oauthAppRoundTrip(e *oenv) {
	t := e.t
	u := e.owner(e.org, "owner@example.com")
	used := e.now()
	a := e.newApp(u, "ERP sync")
	a.Scopes = []string{"customer_user:view", "manage_oauth_apps"}
	a.LastUsedAt = &used
	a.Active = false
	given := normApp(a)
	require.NoError(t, e.apps.Create(e.ctx, a))
	a.Scopes[0], a.SecretHash[0], a.Grants[0] = "changed", a.SecretHash[0]+1, "changed"

	got := e.getApp(e.org, a.ID)
	assert.Equal(t, given, normApp(got), "every field kept; the value given is copied in")
	byClient, err := e.apps.GetByClientID(e.ctx, e.org, given.ClientID)
	require.NoError(t, err)
	assert.Equal(t, given, normApp(byClient))
	got.Scopes[0], got.SecretHash[0] = "changed", got.SecretHash[0]+1
	assert.Equal(t, given, normApp(e.getApp(e.org, a.ID)), "values are copied out")

	_, err = e.apps.Get(e.ctx, e.org, cu.NewID())
	requireCode(t, err, cu.ErrNotFound)
	_, err = e.apps.GetByClientID(e.ctx, e.org, "no-such-client")
	requireCode(t, err, cu.ErrNotFound)

	empty := e.app(u, "No scopes")
	assert.Empty(t, e.getApp(e.org, empty.ID).Scopes)
}

func oauthAppUnique(e *oenv) {
	t := e.t
	u := e.owner(e.org, "owner@example.com")
	v := e.owner(e.org, "other@example.com")
	a := e.app(u, "ERP")

	requireUnique(t, e.apps.Create(e.ctx, e.newApp(u, "ERP")), "name")
	requireUnique(t, e.apps.Create(e.ctx, e.newApp(u, "erp")), "name")
	e.app(v, "ERP") // another owner
	w := e.owner(cu.NewID(), "owner@example.com")
	e.app(w, "ERP") // another organization

	dup := e.newApp(u, "Other")
	dup.ClientID = a.ClientID
	requireUnique(t, e.apps.Create(e.ctx, dup), "clientId")
	dup = e.newApp(w, "Other")
	dup.ClientID = a.ClientID
	requireUnique(t, e.apps.Create(e.ctx, dup), "clientId")

	require.Error(t, e.apps.Create(e.ctx, e.newApp(customeruser.User{ID: cu.NewID(), OrganizationID: e.org}, "Orphan")),
		"the owner must exist")
	require.Error(t, e.apps.Create(e.ctx, e.newApp(customeruser.User{ID: u.ID, OrganizationID: w.OrganizationID}, "Cross")),
		"the owner must be of the application's organization")
	assert.Len(t, e.listApps(e.org, oauthapp.AppFilter{OwnerUserID: u.ID}, cu.Sort{}), 1, "nothing else was stored")
}

func oauthAppConcurrentCreate(e *oenv) {
	t := e.t
	u := e.owner(e.org, "owner@example.com")
	apps := make([]oauthapp.App, concurrency)
	for i := range apps {
		name := "Same"
		if i%3 == 1 {
			name = "SAME" // the same name in another case
		}
		apps[i] = e.newApp(u, name)
	}
	won, unique := race(t, func(i int) error {
		return e.maybeInTx(i, func(ctx context.Context) error { return e.apps.Create(ctx, apps[i]) })
	}, uniqueOn("name"))
	assert.Len(t, won, 1, "exactly one create succeeds")
	assert.Equal(t, concurrency-1, unique)
	assert.Len(t, e.listApps(e.org, oauthapp.AppFilter{}, cu.Sort{}), 1)
}

func oauthAppUpdate(e *oenv) {
	t := e.t
	u := e.owner(e.org, "owner@example.com")
	a := e.app(u, "ERP")
	e.app(u, "Taken")

	b := a
	b.Name, b.Active, b.Scopes, b.UpdatedAt = "ERP v2", false, []string{"customer_user:view"}, e.now()
	require.NoError(t, e.apps.Update(e.ctx, b, 1))
	want := normApp(b)
	want.Version = 2
	assert.Equal(t, want, normApp(e.getApp(e.org, a.ID)))

	requireCode(t, e.apps.Update(e.ctx, b, 1), cu.ErrStale, "a stale version")
	c := b
	c.Name = "taken"
	requireUnique(t, e.apps.Update(e.ctx, c, 2), "name")
	assert.Equal(t, want, normApp(e.getApp(e.org, a.ID)), "a refused update changes nothing")
	c.Name = "erp V2"
	require.NoError(t, e.apps.Update(e.ctx, c, 2), "a new case of its own name is fine")

	// The old name is free again after a rename.
	e.app(u, "ERP")
	missing := e.newApp(u, "Missing")
	requireCode(t, e.apps.Update(e.ctx, missing, 1), cu.ErrNotFound)
}

func oauthAppTouch(e *oenv) {
	t := e.t
	u := e.owner(e.org, "owner@example.com")
	a := e.app(u, "ERP")
	at := e.now()
	require.NoError(t, e.apps.Touch(e.ctx, e.org, a.ID, at))
	got := e.getApp(e.org, a.ID)
	require.NotNil(t, got.LastUsedAt)
	assert.Equal(t, utc(at), utc(*got.LastUsedAt))
	assert.Equal(t, int64(1), got.Version, "Touch is not an edit")
	assert.Equal(t, utc(a.UpdatedAt), utc(got.UpdatedAt))
	require.NoError(t, e.apps.Update(e.ctx, got, 1), "and does not make the reader stale")
	requireCode(t, e.apps.Touch(e.ctx, e.org, cu.NewID(), at), cu.ErrNotFound)
}

func oauthAppList(e *oenv) {
	t := e.t
	u := e.owner(e.org, "owner@example.com")
	v := e.owner(e.org, "other@example.com")
	b := e.app(u, "bravo")
	a := e.app(u, "Alpha", func(x *oauthapp.App) { x.Active = false })
	c := e.app(u, "charlie")
	d := e.app(v, "Alpha")

	byName := e.listApps(e.org, oauthapp.AppFilter{}, cu.Sort{})
	names := mapSlice(byName, func(x oauthapp.App) string { return strings.ToLower(x.Name) })
	assert.Equal(t, []string{"alpha", "alpha", "bravo", "charlie"}, names, "by name, case-insensitively")
	checkOrder(t, names, appIDs(byName), false, strings.Compare, "name")

	sameIDs(t, []uuid.UUID{a.ID, b.ID, c.ID}, appIDs(e.listApps(e.org, oauthapp.AppFilter{OwnerUserID: u.ID}, cu.Sort{})), "owner")
	sameIDs(t, []uuid.UUID{a.ID}, appIDs(e.listApps(e.org, oauthapp.AppFilter{OwnerUserID: u.ID, Active: ptr(false)}, cu.Sort{})), "inactive")
	sameIDs(t, []uuid.UUID{a.ID, d.ID}, appIDs(e.listApps(e.org, oauthapp.AppFilter{Name: "LPH"}, cu.Sort{})), "name substring")

	byDate := e.listApps(e.org, oauthapp.AppFilter{}, cu.Sort{Field: oauthapp.SortCreatedAt, Desc: true})
	assert.Equal(t, []uuid.UUID{d.ID, c.ID, a.ID, b.ID}, appIDs(byDate), "newest first")

	_, err := e.apps.List(e.ctx, e.org, oauthapp.AppFilter{}, cu.Page{Sort: cu.Sort{Field: "secretHash"}})
	requireCode(t, err, cu.ErrInvalid, "an unknown sort")
}

func oauthAppDeleteCascades(e *oenv) {
	t := e.t
	u := e.owner(e.org, "owner@example.com")
	a := e.app(u, "ERP")
	b := e.app(u, "Keep")
	ta1, ta2 := e.token(u, a), e.token(u, a)
	tb := e.token(u, b)
	tp := e.token(u, oauthapp.App{})

	require.NoError(t, e.apps.Delete(e.ctx, e.org, a.ID))
	_, err := e.apps.Get(e.ctx, e.org, a.ID)
	requireCode(t, err, cu.ErrNotFound)
	_, err = e.apps.GetByClientID(e.ctx, e.org, a.ClientID)
	requireCode(t, err, cu.ErrNotFound)
	assert.False(t, e.live(ta1), "the application's tokens go with it")
	assert.False(t, e.live(ta2))
	assert.True(t, e.live(tb), "another application's token stays")
	assert.True(t, e.live(tp), "a password-grant token stays")
	requireCode(t, e.apps.Delete(e.ctx, e.org, a.ID), cu.ErrNotFound)

	again := e.app(u, "ERP", func(x *oauthapp.App) { x.ClientID = a.ClientID })
	assert.Equal(t, again.ID, e.getApp(e.org, again.ID).ID, "name and client id are free again")
}

func oauthAppDeleteByOwner(e *oenv) {
	t := e.t
	u := e.owner(e.org, "owner@example.com")
	v := e.owner(e.org, "other@example.com")
	a1, a2 := e.app(u, "One"), e.app(u, "Two")
	b := e.app(v, "One")
	t1, t2, tb := e.token(u, a1), e.token(u, a2), e.token(v, b)

	deleted, err := e.apps.DeleteByOwner(e.ctx, e.org, u.ID)
	require.NoError(t, err)
	sameIDs(t, []uuid.UUID{a1.ID, a2.ID}, appIDs(deleted))
	for _, d := range deleted {
		want := a1
		if d.ID == a2.ID {
			want = a2
		}
		assert.Equal(t, normApp(want), normApp(d), "returns what it deleted")
	}
	assert.False(t, e.live(t1))
	assert.False(t, e.live(t2))
	assert.True(t, e.live(tb))
	assert.Len(t, e.listApps(e.org, oauthapp.AppFilter{}, cu.Sort{}), 1)

	deleted, err = e.apps.DeleteByOwner(e.ctx, e.org, u.ID)
	require.NoError(t, err)
	assert.Empty(t, deleted, "nothing left")
}

func oauthTokenLookup(e *oenv) {
	t := e.t
	r1 := e.role(e.org, uuid.Nil, "One")
	r2 := e.role(e.org, uuid.Nil, "Two")
	c := e.customer(e.org, uuid.Nil, "Acme")
	changed := e.now()
	u := e.user(e.org, c.ID, "owner@example.com", func(u *customeruser.User) {
		u.RoleIDs = []uuid.UUID{r1.ID, r2.ID}
		u.PasswordChangedAt = &changed
	})
	a := e.app(u, "ERP")
	tk := e.token(u, a, func(x *oauthapp.AccessToken) { x.RoleIDs = []uuid.UUID{r1.ID} })

	got, err := e.tokens.Lookup(e.ctx, slices.Clone(tk.Digest))
	require.NoError(t, err)
	assert.Equal(t, normAccessToken(tk), normAccessToken(got.Token), "every field kept")
	require.NotNil(t, got.App)
	assert.Equal(t, oauthapp.TokenApp{ID: a.ID, Active: true}, *got.App)
	require.NotNil(t, got.Owner)
	o := *got.Owner
	o.RoleIDs = sortedIDs(o.RoleIDs)
	o.PasswordChangedAt = utcPtr(o.PasswordChangedAt)
	assert.Equal(t, oauthapp.TokenOwner{
		ID: u.ID, CustomerID: c.ID, Email: u.Email, Enabled: true, Confirmed: true, AuthStatus: customeruser.AuthActive,
		PasswordChangedAt: utcPtr(&changed), RoleIDs: sortedIDs([]uuid.UUID{r1.ID, r2.ID}),
	}, o)

	// The join reads the current application and user.
	b := e.getApp(e.org, a.ID)
	b.Active = false
	require.NoError(t, e.apps.Update(e.ctx, b, 1))
	cur := e.getUser(e.org, u.ID)
	cur.RoleIDs, cur.Enabled, cur.AuthStatus = []uuid.UUID{r2.ID}, false, customeruser.AuthReset
	require.NoError(t, e.Users.Update(e.ctx, cur, cur.Version))
	got, err = e.tokens.Lookup(e.ctx, tk.Digest)
	require.NoError(t, err)
	require.NotNil(t, got.App)
	assert.False(t, got.App.Active)
	require.NotNil(t, got.Owner)
	assert.False(t, got.Owner.Enabled)
	assert.Equal(t, customeruser.AuthReset, got.Owner.AuthStatus)
	requireSameIDs(t, []uuid.UUID{r2.ID}, got.Owner.RoleIDs)

	// A password-grant token has no application; Unscoped round-trips.
	tp := e.token(u, oauthapp.App{}, func(x *oauthapp.AccessToken) { x.Scopes, x.Unscoped = nil, true })
	got, err = e.tokens.Lookup(e.ctx, tp.Digest)
	require.NoError(t, err)
	assert.Nil(t, got.App)
	assert.True(t, got.Token.Unscoped)
	assert.Empty(t, got.Token.Scopes)
	assert.Equal(t, uuid.Nil, got.Token.AppID)
	assert.Equal(t, normAccessToken(tp), normAccessToken(got.Token))

	// Expired tokens are found: the service decides.
	old := e.token(u, a, func(x *oauthapp.AccessToken) { x.ExpiresAt = base.Add(-time.Hour) })
	assert.True(t, e.live(old))

	_, err = e.tokens.Lookup(e.ctx, tk.Digest[:len(tk.Digest)-1])
	requireCode(t, err, cu.ErrNotFound, "a prefix of the digest")
	_, err = e.tokens.Lookup(e.ctx, []byte("no such digest"))
	requireCode(t, err, cu.ErrNotFound)

	got.Token.Scopes = append(got.Token.Scopes, "x")
	again, err := e.tokens.Lookup(e.ctx, tp.Digest)
	require.NoError(t, err)
	assert.Empty(t, again.Token.Scopes, "values are copied out")
}

func oauthTokenCreateChecks(e *oenv) {
	t := e.t
	u := e.owner(e.org, "owner@example.com")
	a := e.app(u, "ERP")
	tk := e.token(u, a)
	dup := tk
	dup.Digest = slices.Clone(tk.Digest)
	require.Error(t, e.tokens.Create(e.ctx, dup), "a taken digest")

	d := sha256.Sum256([]byte("orphan"))
	orphan := tk
	orphan.Digest, orphan.UserID = d[:], cu.NewID()
	require.Error(t, e.tokens.Create(e.ctx, orphan), "an unknown user")
	orphan.UserID, orphan.AppID = u.ID, cu.NewID()
	require.Error(t, e.tokens.Create(e.ctx, orphan), "an unknown application")
	orphan.AppID, orphan.OrganizationID = a.ID, cu.NewID()
	require.Error(t, e.tokens.Create(e.ctx, orphan), "a user of another organization")
	_, err := e.tokens.Lookup(e.ctx, d[:])
	requireCode(t, err, cu.ErrNotFound, "nothing was stored")
}

func oauthTokenDelete(e *oenv) {
	t := e.t
	u := e.owner(e.org, "owner@example.com")
	a := e.app(u, "ERP")
	tk, other := e.token(u, a), e.token(u, a)

	requireCode(t, e.tokens.Delete(e.ctx, cu.NewID(), tk.Digest), cu.ErrNotFound, "another organization")
	assert.True(t, e.live(tk))
	require.NoError(t, e.tokens.Delete(e.ctx, e.org, slices.Clone(tk.Digest)))
	assert.False(t, e.live(tk))
	assert.True(t, e.live(other))
	requireCode(t, e.tokens.Delete(e.ctx, e.org, tk.Digest), cu.ErrNotFound, "twice")
}

func oauthTokenDeleteFor(e *oenv) {
	t := e.t
	u := e.owner(e.org, "owner@example.com")
	v := e.owner(e.org, "other@example.com")
	a, b := e.app(u, "A"), e.app(v, "B")
	ta, tb := e.token(u, a), e.token(v, b)
	tu, tv := e.token(u, oauthapp.App{}), e.token(v, oauthapp.App{})

	require.NoError(t, e.tokens.DeleteForApp(e.ctx, e.org, a.ID))
	assert.False(t, e.live(ta))
	assert.True(t, e.live(tb))
	assert.True(t, e.live(tu), "the user's other tokens stay")

	ta = e.token(u, a)
	require.NoError(t, e.tokens.DeleteForUser(e.ctx, e.org, u.ID))
	assert.False(t, e.live(ta), "application tokens acting as the user go")
	assert.False(t, e.live(tu))
	assert.True(t, e.live(tb))
	assert.True(t, e.live(tv))
	require.NoError(t, e.tokens.DeleteForUser(e.ctx, e.org, u.ID), "nothing to delete is fine")
	require.NoError(t, e.tokens.DeleteForApp(e.ctx, e.org, cu.NewID()))
}

func oauthTokenDeleteExpired(e *oenv) {
	t := e.t
	u := e.owner(e.org, "owner@example.com")
	a := e.app(u, "A")
	now := base.Add(24 * time.Hour)
	past := e.token(u, a, func(x *oauthapp.AccessToken) { x.ExpiresAt = now.Add(-time.Minute) })
	edge := e.token(u, a, func(x *oauthapp.AccessToken) { x.ExpiresAt = now })
	live := e.token(u, a, func(x *oauthapp.AccessToken) { x.ExpiresAt = now.Add(time.Microsecond) })
	w := e.owner(cu.NewID(), "owner@example.com")
	elsewhere := e.token(w, e.app(w, "A"), func(x *oauthapp.AccessToken) { x.ExpiresAt = now.Add(-time.Minute) })

	n, err := e.tokens.DeleteExpired(e.ctx, e.org, now)
	require.NoError(t, err)
	assert.Equal(t, 2, n)
	assert.False(t, e.live(past))
	assert.False(t, e.live(edge), "expiring at now counts as expired")
	assert.True(t, e.live(live))
	assert.True(t, e.live(elsewhere), "another organization's tokens stay")
	n, err = e.tokens.DeleteExpired(e.ctx, e.org, now)
	require.NoError(t, err)
	assert.Zero(t, n)
}

// Once the user row is gone, a token is not found or has no owner.
func oauthTokenOwnerGone(e *oenv) {
	t := e.t
	u := e.owner(e.org, "owner@example.com")
	tk := e.token(u, oauthapp.App{})
	err := e.Users.Delete(e.ctx, e.org, u.ID)
	if err != nil {
		// A storage may refuse to delete a user that tokens reference;
		// the service deletes the tokens first.
		require.NoError(t, e.tokens.DeleteForUser(e.ctx, e.org, u.ID))
		require.NoError(t, e.Users.Delete(e.ctx, e.org, u.ID))
		assert.False(t, e.live(tk))
		return
	}
	got, err := e.tokens.Lookup(e.ctx, tk.Digest)
	if err != nil {
		requireCode(t, err, cu.ErrNotFound)
		return
	}
	assert.Nil(t, got.Owner)
}

func oauthIsolation(e *oenv) {
	t := e.t
	other := cu.NewID()
	u := e.owner(e.org, "owner@example.com")
	a := e.app(u, "ERP")
	tk := e.token(u, a)
	w := e.owner(other, "owner@example.com")
	b := e.app(w, "ERP")
	tw := e.token(w, b)

	_, err := e.apps.Get(e.ctx, other, a.ID)
	requireCode(t, err, cu.ErrNotFound, "Get")
	_, err = e.apps.GetByClientID(e.ctx, other, a.ClientID)
	requireCode(t, err, cu.ErrNotFound, "GetByClientID")
	sameIDs(t, []uuid.UUID{b.ID}, appIDs(e.listApps(other, oauthapp.AppFilter{}, cu.Sort{})), "List")
	assert.Empty(t, e.listApps(other, oauthapp.AppFilter{OwnerUserID: u.ID}, cu.Sort{}), "List by a foreign owner")
	moved := a
	moved.OrganizationID, moved.Name = other, "Moved"
	requireCode(t, e.apps.Update(e.ctx, moved, 1), cu.ErrNotFound, "Update")
	requireCode(t, e.apps.Touch(e.ctx, other, a.ID, e.now()), cu.ErrNotFound, "Touch")
	requireCode(t, e.apps.Delete(e.ctx, other, a.ID), cu.ErrNotFound, "Delete")
	deleted, err := e.apps.DeleteByOwner(e.ctx, other, u.ID)
	require.NoError(t, err)
	assert.Empty(t, deleted, "DeleteByOwner")
	requireCode(t, e.tokens.Delete(e.ctx, other, tk.Digest), cu.ErrNotFound, "token Delete")
	require.NoError(t, e.tokens.DeleteForApp(e.ctx, other, a.ID))
	require.NoError(t, e.tokens.DeleteForUser(e.ctx, other, u.ID))

	assert.Equal(t, normApp(a), normApp(e.getApp(e.org, a.ID)), "untouched")
	assert.True(t, e.live(tk))
	assert.True(t, e.live(tw))
	got, err := e.tokens.Lookup(e.ctx, tw.Digest)
	require.NoError(t, err)
	assert.Equal(t, other, got.Token.OrganizationID, "Lookup tells the organization")
}

func oauthRollback(e *oenv) {
	t := e.t
	u := e.owner(e.org, "owner@example.com")
	keep := e.app(u, "Keep")
	kept := e.token(u, keep)
	boom := errors.New("boom")

	fresh := e.newApp(u, "New")
	d := sha256.Sum256([]byte("rolled back"))
	err := e.Tx.InTx(e.ctx, func(ctx context.Context) error {
		require.NoError(t, e.apps.Create(ctx, fresh))
		require.NoError(t, e.tokens.Create(ctx, oauthapp.AccessToken{Digest: d[:], OrganizationID: e.org, AppID: fresh.ID,
			ClientID: fresh.ClientID, GrantType: oauthapp.GrantClientCredentials, UserID: u.ID, CreatedAt: e.now(), ExpiresAt: e.now().Add(time.Hour)}))
		require.NoError(t, e.apps.Touch(ctx, e.org, keep.ID, e.now()))
		k := keep
		k.Name = "Renamed"
		require.NoError(t, e.apps.Update(ctx, k, 1))
		require.NoError(t, e.apps.Delete(ctx, e.org, keep.ID))
		return boom
	})
	require.ErrorIs(t, err, boom)

	_, err = e.apps.Get(e.ctx, e.org, fresh.ID)
	requireCode(t, err, cu.ErrNotFound, "the created application is gone")
	_, err = e.tokens.Lookup(e.ctx, d[:])
	requireCode(t, err, cu.ErrNotFound, "the created token is gone")
	assert.Equal(t, normApp(keep), normApp(e.getApp(e.org, keep.ID)), "the updated and deleted application is back as it was")
	assert.True(t, e.live(kept), "its token is back")
	byClient, err := e.apps.GetByClientID(e.ctx, e.org, keep.ClientID)
	require.NoError(t, err)
	assert.Equal(t, keep.ID, byClient.ID, "the client id index is back")
	requireUnique(t, e.apps.Create(e.ctx, e.newApp(u, "keep")), "name")
	e.app(u, "New") // the rolled-back name is free
}
