package oauthapp_test

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
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

// customRole creates a predefined role with the given grants and
// capabilities.
func (h *harness) customRole(label string, caps []string, grants ...role.Grant) role.Role {
	h.t.Helper()
	r, err := h.roles.Create(h.ctx, h.admin, role.Input{Label: label, SelfManaged: true, Public: true, Grants: grants, Capabilities: caps})
	require.NoError(h.t, err)
	return r
}

func ptr[T any](v T) *T { return &v }

func TestCreate(t *testing.T) {
	h := newHarness(t)
	owner := h.user("owner@acme.example")

	c, err := h.apps.Create(h.ctx, h.admin, owner.ID, oauthapp.Input{Name: "  ERP sync  ", Scopes: []string{"customer_user:view", role.CapManageOAuthApps}})
	require.NoError(t, err)
	a := c.App
	assert.NotEqual(t, uuid.Nil, a.ID)
	assert.Equal(t, h.org, a.OrganizationID)
	assert.Equal(t, owner.ID, a.OwnerUserID)
	assert.Equal(t, "ERP sync", a.Name, "trimmed")
	assert.Len(t, a.ClientID, 32)
	assert.Equal(t, a.ClientID, base64.RawURLEncoding.EncodeToString(mustDecode(t, a.ClientID)), "URL-safe")
	assert.Equal(t, []string{oauthapp.GrantClientCredentials}, a.Grants)
	assert.True(t, a.Active, "active by default")
	assert.Equal(t, []string{"customer_user:view", role.CapManageOAuthApps}, a.Scopes)
	assert.Nil(t, a.LastUsedAt)
	assert.Equal(t, h.clock.Now(), a.CreatedAt)
	assert.Equal(t, int64(1), a.Version)
	assert.Empty(t, a.SecretHash, "the digest is not shown")

	// The secret: 256 bits, shown once, stored as its SHA-256 digest only.
	raw := mustDecode(t, c.ClientSecret)
	assert.Len(t, raw, 32)
	digest := sha256.Sum256([]byte(c.ClientSecret))
	assert.Equal(t, digest[:], h.stored(a.ID).SecretHash)

	got, err := h.apps.Get(h.ctx, h.admin, a.ID)
	require.NoError(t, err)
	assert.Equal(t, a, got)
	assert.Empty(t, got.SecretHash)

	evs := h.events(a.ID)
	require.Len(t, evs, 1)
	assert.Equal(t, oauthapp.EventCreated, evs[0].Type)
	assert.Equal(t, oauthapp.SubjectOAuthApp, evs[0].SubjectType)
	assert.Equal(t, h.admin.Ref(), evs[0].Actor)
	var payload map[string]any
	require.NoError(t, json.Unmarshal(evs[0].Payload, &payload))
	assert.Equal(t, "ERP sync", payload["name"])
	assert.Equal(t, a.ClientID, payload["clientId"])
	assert.Equal(t, owner.ID.String(), payload["ownerUserId"])
	h.noSecretIn(c.ClientSecret)
	h.noSecretIn(hex.EncodeToString(digest[:]))
	h.noSecretIn(base64.StdEncoding.EncodeToString(digest[:]))

	sent := h.mail.Sent()
	var n customeruser.Notification
	for _, x := range sent {
		if x.Template == customeruser.TemplateOAuthAppCreated {
			n = x
		}
	}
	assert.Equal(t, owner.ID, n.UserID)
	assert.Equal(t, owner.Email, n.Email)
	assert.Equal(t, h.org, n.OrganizationID)
	assert.Empty(t, n.Token, "no secret in the e-mail")
	assert.Equal(t, map[string]string{oauthapp.NotificationDataAppName: "ERP sync"}, n.Data, "the e-mail names the application")
	msg, err := customeruser.NewTemplates().Render(n.Template, n.LocalizationID, customeruser.TemplateData{Name: n.Name, Email: n.Email, Data: n.Data})
	require.NoError(t, err)
	assert.Contains(t, msg.Subject, "ERP sync")
	assert.Contains(t, msg.Text, `An OAuth application named "ERP sync" was created`)
	assert.Contains(t, msg.HTML, "ERP sync")

	// A second application of another owner may share the name.
	other := h.user("other@acme.example")
	c2 := h.app(other, "ERP sync")
	assert.NotEqual(t, a.ClientID, c2.App.ClientID)
	assert.NotEqual(t, c.ClientSecret, c2.ClientSecret)
	assert.Nil(t, c2.App.Scopes, "no scopes: all of the owner's permissions")

	inactive, err := h.apps.Create(h.ctx, h.admin, owner.ID, oauthapp.Input{Name: "Later", Active: ptr(false)})
	require.NoError(t, err)
	assert.False(t, inactive.App.Active)
}

func mustDecode(t *testing.T, s string) []byte {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(s)
	require.NoError(t, err, "URL-safe base64: %q", s)
	return b
}

func TestCreateBadInputs(t *testing.T) {
	h := newHarness(t)
	owner := h.user("owner@acme.example")
	h.app(owner, "Taken")
	guest, err := h.users.CreateUser(h.ctx, h.admin, customeruser.CreateUserInput{
		CustomerID: h.acme.ID, Email: "guest@acme.example", FirstName: "G", LastName: "Uest", Guest: true,
	})
	require.NoError(t, err)
	disabled, err := h.users.CreateUser(h.ctx, h.admin, customeruser.CreateUserInput{
		CustomerID: h.acme.ID, Email: "off@acme.example", FirstName: "O", LastName: "Ff", Enabled: ptr(false), Password: testPassword,
	})
	require.NoError(t, err)

	tests := []struct {
		name        string
		owner       uuid.UUID
		in          oauthapp.Input
		field, rule string
	}{
		{"name missing", owner.ID, oauthapp.Input{}, "name", "required"},
		{"name blank", owner.ID, oauthapp.Input{Name: "   "}, "name", "required"},
		{"name too long", owner.ID, oauthapp.Input{Name: strings.Repeat("é", 256)}, "name", "max_length"},
		{"name taken", owner.ID, oauthapp.Input{Name: "Taken"}, "name", "unique"},
		{"name taken, other case", owner.ID, oauthapp.Input{Name: " tAKEN "}, "name", "unique"},
		{"scope not granted", owner.ID, oauthapp.Input{Name: "A", Scopes: []string{"customer_user:view", "customer_user:edit"}}, "scopes[1]", "not_granted"},
		{"capability not held", owner.ID, oauthapp.Input{Name: "A", Scopes: []string{role.CapManageUsers}}, "scopes[0]", "not_granted"},
		{"unknown resource", owner.ID, oauthapp.Input{Name: "A", Scopes: []string{"order:view"}}, "scopes[0]", "not_granted"},
		{"scope blank", owner.ID, oauthapp.Input{Name: "A", Scopes: []string{" "}}, "scopes[0]", "required"},
		{"scope with a space", owner.ID, oauthapp.Input{Name: "A", Scopes: []string{"customer_user: view"}}, "scopes[0]", "format"},
		{"scope with a quote", owner.ID, oauthapp.Input{Name: "A", Scopes: []string{`customer_user:"view"`}}, "scopes[0]", "format"},
		{"scope twice", owner.ID, oauthapp.Input{Name: "A", Scopes: []string{"customer_user:view", "customer_user:view"}}, "scopes[1]", "duplicate"},
		{"guest owner", guest.ID, oauthapp.Input{Name: "A"}, "ownerUserId", "guest"},
		{"disabled owner", disabled.ID, oauthapp.Input{Name: "A"}, "ownerUserId", "disabled"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			events, apps, mails := len(h.allEvents()), h.appCount(), len(h.mail.Sent())
			_, err := h.apps.Create(h.ctx, h.admin, tc.owner, tc.in)
			requireViolation(t, err, tc.field, tc.rule)
			assert.Equal(t, events, len(h.allEvents()), "no event")
			assert.Equal(t, apps, h.appCount(), "no application")
			assert.Equal(t, mails, len(h.mail.Sent()), "no e-mail")
		})
	}

	t.Run("all violations at once", func(t *testing.T) {
		_, err := h.apps.Create(h.ctx, h.admin, guest.ID, oauthapp.Input{Scopes: []string{"nope"}})
		requireViolation(t, err, "name", "required")
		requireViolation(t, err, "ownerUserId", "guest")
		requireViolation(t, err, "scopes[0]", "not_granted")
	})
	t.Run("unknown owner", func(t *testing.T) {
		_, err := h.apps.Create(h.ctx, h.admin, uuid.New(), oauthapp.Input{Name: "A"})
		assert.ErrorIs(t, err, cu.ErrNotFound)
	})
	t.Run("owner of another organization", func(t *testing.T) {
		_, err := h.apps.Create(h.ctx, cu.BackOfficeActor(uuid.New(), uuid.New()), owner.ID, oauthapp.Input{Name: "A"})
		assert.ErrorIs(t, err, cu.ErrNotFound)
	})
	t.Run("anonymous", func(t *testing.T) {
		_, err := h.apps.Create(h.ctx, cu.AnonymousActor(h.org), owner.ID, oauthapp.Input{Name: "A"})
		assert.ErrorIs(t, err, cu.ErrForbidden)
	})
}

// The notifier runs inside the creating transaction: when it fails, the
// application is not created.
func TestCreateNotifierFailureRollsBack(t *testing.T) {
	h := newHarness(t)
	owner := h.user("owner@acme.example")
	events := len(h.allEvents())
	h.mail.Fail(errors.New("outbox down"))
	_, err := h.apps.Create(h.ctx, h.admin, owner.ID, oauthapp.Input{Name: "A"})
	require.ErrorIs(t, err, cu.ErrInternal)
	assert.Zero(t, h.appCount())
	assert.Equal(t, events, len(h.allEvents()))

	h.mail.Fail(nil)
	_, err = h.apps.Create(h.ctx, h.admin, owner.ID, oauthapp.Input{Name: "A"})
	require.NoError(t, err, "the name is free: nothing was left behind")
	assert.Equal(t, 1, h.mail.count(customeruser.TemplateOAuthAppCreated))
}

func TestUpdate(t *testing.T) {
	h := newHarness(t)
	owner := h.user("owner@acme.example", h.adminRole.ID)
	h.app(owner, "Other")
	c := h.app(owner, "ERP", "customer_user:view")
	id := c.App.ID

	h.clock.Advance(time.Second)
	a, err := h.apps.Update(h.ctx, h.admin, id, oauthapp.Patch{Name: ptr(" ERP v2 "), Scopes: &[]string{"customer_user:view", "customer_user:edit"}}, 1)
	require.NoError(t, err)
	assert.Equal(t, "ERP v2", a.Name)
	assert.Equal(t, []string{"customer_user:view", "customer_user:edit"}, a.Scopes)
	assert.Equal(t, int64(2), a.Version)
	assert.Equal(t, h.clock.Now(), a.UpdatedAt)
	assert.Empty(t, a.SecretHash)
	assert.Equal(t, c.App.ClientID, a.ClientID)
	got, err := h.apps.Get(h.ctx, h.admin, id)
	require.NoError(t, err)
	assert.Equal(t, a, got)

	evs := h.events(id)
	require.Len(t, evs, 2)
	assert.Equal(t, oauthapp.EventUpdated, evs[1].Type)
	var ch []cu.Change
	require.NoError(t, json.Unmarshal(evs[1].Payload, &ch))
	require.Len(t, ch, 2)
	assert.Equal(t, "name", ch[0].Field)
	assert.Equal(t, "ERP", ch[0].Before)
	assert.Equal(t, "ERP v2", ch[0].After)
	assert.Equal(t, "scopes", ch[1].Field)

	t.Run("no change writes nothing", func(t *testing.T) {
		n := len(h.allEvents())
		b, err := h.apps.Update(h.ctx, h.admin, id, oauthapp.Patch{Name: ptr("ERP v2")}, 0)
		require.NoError(t, err)
		assert.Equal(t, int64(2), b.Version)
		assert.Equal(t, n, len(h.allEvents()))
	})
	t.Run("stale", func(t *testing.T) {
		_, err := h.apps.Update(h.ctx, h.admin, id, oauthapp.Patch{Name: ptr("X")}, 1)
		assert.ErrorIs(t, err, cu.ErrStale)
	})
	t.Run("all scopes", func(t *testing.T) {
		b, err := h.apps.Update(h.ctx, h.admin, id, oauthapp.Patch{Scopes: &[]string{}}, 0)
		require.NoError(t, err)
		assert.Empty(t, b.Scopes)
	})

	bad := []struct {
		name        string
		p           oauthapp.Patch
		field, rule string
	}{
		{"name blank", oauthapp.Patch{Name: ptr("")}, "name", "required"},
		{"name too long", oauthapp.Patch{Name: ptr(strings.Repeat("x", 256))}, "name", "max_length"},
		{"name taken", oauthapp.Patch{Name: ptr("other")}, "name", "unique"},
		{"scope not granted", oauthapp.Patch{Scopes: &[]string{"no_such:view"}}, "scopes[0]", "not_granted"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			before := h.stored(id)
			n := len(h.allEvents())
			_, err := h.apps.Update(h.ctx, h.admin, id, tc.p, 0)
			requireViolation(t, err, tc.field, tc.rule)
			assert.Equal(t, before, h.stored(id), "nothing changed")
			assert.Equal(t, n, len(h.allEvents()))
		})
	}
	t.Run("unknown", func(t *testing.T) {
		_, err := h.apps.Update(h.ctx, h.admin, uuid.New(), oauthapp.Patch{Name: ptr("X")}, 0)
		assert.ErrorIs(t, err, cu.ErrNotFound)
	})
}

// Scopes bounded by the owner's own permissions also on edit, even when the
// owner lost a permission after creation.
func TestUpdateScopesFollowOwner(t *testing.T) {
	h := newHarness(t)
	owner := h.user("owner@acme.example", h.adminRole.ID)
	c := h.app(owner, "ERP", "customer_user:edit")
	_, err := h.users.UpdateUser(h.ctx, h.admin, owner.ID, customeruser.UserPatch{RoleIDs: &[]uuid.UUID{h.buyerRole.ID}}, 0)
	require.NoError(t, err)
	_, err = h.apps.Update(h.ctx, h.admin, c.App.ID, oauthapp.Patch{Scopes: &[]string{"customer_user:view", "customer_user:edit"}}, 0)
	requireViolation(t, err, "scopes[1]", "not_granted")
}

func TestActivateDeactivate(t *testing.T) {
	h := newHarness(t)
	owner := h.user("owner@acme.example")
	c := h.app(owner, "ERP")
	id := c.App.ID
	tok := h.token(c, "")
	require.True(t, h.works(tok))

	a, err := h.apps.Deactivate(h.ctx, h.admin, id, 1)
	require.NoError(t, err)
	assert.False(t, a.Active)
	assert.Equal(t, int64(2), a.Version)
	assert.False(t, h.works(tok), "tokens die with deactivation")
	_, err = h.clientCredentials(c, "")
	requireOAuth(t, err, oauthapp.ErrCodeInvalidClient, cu.ErrUnauthenticated)

	n := len(h.allEvents())
	again, err := h.apps.Deactivate(h.ctx, h.admin, id, 0)
	require.NoError(t, err)
	assert.Equal(t, int64(2), again.Version, "idempotent")
	assert.Equal(t, n, len(h.allEvents()))

	_, err = h.apps.Activate(h.ctx, h.admin, id, 1)
	assert.ErrorIs(t, err, cu.ErrStale)
	a, err = h.apps.Activate(h.ctx, h.admin, id, 2)
	require.NoError(t, err)
	assert.True(t, a.Active)
	assert.False(t, h.works(tok), "reactivation does not revive old tokens")
	assert.True(t, h.works(h.token(c, "")), "new tokens work")

	var types []string
	for _, e := range h.events(id) {
		types = append(types, e.Type)
	}
	assert.Equal(t, []string{oauthapp.EventCreated, oauthapp.EventDeactivated, oauthapp.EventActivated}, types)
	var ch []cu.Change
	require.NoError(t, json.Unmarshal(h.events(id)[1].Payload, &ch))
	assert.Equal(t, []cu.Change{{Field: "active", Before: true, After: false}}, ch)
}

func TestDelete(t *testing.T) {
	h := newHarness(t)
	owner := h.user("owner@acme.example")
	c := h.app(owner, "ERP")
	keep := h.app(owner, "Keep")
	tok, kept := h.token(c, ""), h.token(keep, "")

	require.ErrorIs(t, h.apps.Delete(h.ctx, h.admin, c.App.ID, 7), cu.ErrStale)
	assert.True(t, h.works(tok), "a refused delete changes nothing")

	require.NoError(t, h.apps.Delete(h.ctx, h.admin, c.App.ID, 1))
	_, err := h.apps.Get(h.ctx, h.admin, c.App.ID)
	assert.ErrorIs(t, err, cu.ErrNotFound)
	assert.False(t, h.works(tok), "tokens die with their application")
	assert.True(t, h.works(kept), "other applications' tokens live")
	_, err = h.clientCredentials(c, "")
	requireOAuth(t, err, oauthapp.ErrCodeInvalidClient, cu.ErrUnauthenticated)

	evs := h.events(c.App.ID)
	require.Len(t, evs, 2)
	assert.Equal(t, oauthapp.EventDeleted, evs[1].Type)
	assert.ErrorIs(t, h.apps.Delete(h.ctx, h.admin, c.App.ID, 0), cu.ErrNotFound)
}

func TestList(t *testing.T) {
	h := newHarness(t)
	owner := h.user("owner@acme.example")
	other := h.user("other@acme.example")
	for _, n := range []string{"charlie", "Alpha", "bravo"} {
		h.app(owner, n)
		h.clock.Advance(time.Second)
	}
	h.app(other, "delta")

	var names []string
	p := cu.Page{Limit: 2}
	for {
		page, err := h.apps.List(h.ctx, h.admin, owner.ID, p)
		require.NoError(t, err)
		for _, a := range page.Items {
			names = append(names, a.Name)
			assert.Empty(t, a.SecretHash)
		}
		if page.NextCursor == "" {
			break
		}
		p.Cursor = page.NextCursor
	}
	assert.Equal(t, []string{"Alpha", "bravo", "charlie"}, names, "by name, case-insensitively, paged")

	all, err := h.apps.List(h.ctx, h.admin, uuid.Nil, cu.Page{})
	require.NoError(t, err)
	assert.Len(t, all.Items, 4, "back office: the whole organization")

	byDate, err := h.apps.List(h.ctx, h.admin, owner.ID, cu.Page{Sort: cu.ParseSort("-createdAt")})
	require.NoError(t, err)
	require.Len(t, byDate.Items, 3)
	assert.Equal(t, "bravo", byDate.Items[0].Name)

	_, err = h.apps.List(h.ctx, h.admin, owner.ID, cu.Page{Sort: cu.ParseSort("secret")})
	assert.ErrorIs(t, err, cu.ErrInvalid)

	mine, err := h.apps.List(h.ctx, h.storefront(owner), uuid.Nil, cu.Page{})
	require.NoError(t, err)
	assert.Len(t, mine.Items, 3, "storefront: its own")
	_, err = h.apps.List(h.ctx, h.storefront(owner), other.ID, cu.Page{})
	assert.ErrorIs(t, err, cu.ErrForbidden)

	none, err := h.apps.List(h.ctx, cu.BackOfficeActor(uuid.New(), uuid.New()), uuid.Nil, cu.Page{})
	require.NoError(t, err)
	assert.Empty(t, none.Items, "another organization sees nothing")
}

func TestStorefrontRules(t *testing.T) {
	h := newHarness(t)
	buyer := h.user("buyer@acme.example") // buyer role: manage_oauth_apps, oauth_application CRUD at user level
	colleague := h.user("colleague@acme.example", h.adminRole.ID)
	me := h.storefront(buyer)

	c, err := h.apps.Create(h.ctx, me, buyer.ID, oauthapp.Input{Name: "Mine", Scopes: []string{"customer_user:view"}})
	require.NoError(t, err)
	assert.Equal(t, me.Ref(), h.events(c.App.ID)[0].Actor)
	_, err = h.apps.Get(h.ctx, me, c.App.ID)
	require.NoError(t, err)
	_, err = h.apps.Update(h.ctx, me, c.App.ID, oauthapp.Patch{Name: ptr("Mine 2")}, 0)
	require.NoError(t, err)
	_, err = h.apps.Deactivate(h.ctx, me, c.App.ID, 0)
	require.NoError(t, err)

	t.Run("not beyond its own permissions", func(t *testing.T) {
		_, err := h.apps.Create(h.ctx, me, buyer.ID, oauthapp.Input{Name: "Big", Scopes: []string{"customer_user:edit"}})
		requireViolation(t, err, "scopes[0]", "not_granted")
	})
	t.Run("another user's applications", func(t *testing.T) {
		theirs := h.app(colleague, "Theirs")
		_, err := h.apps.Create(h.ctx, me, colleague.ID, oauthapp.Input{Name: "X"})
		assert.ErrorIs(t, err, cu.ErrForbidden)
		_, err = h.apps.Get(h.ctx, me, theirs.App.ID)
		assert.ErrorIs(t, err, cu.ErrNotFound, "not even visible")
		_, err = h.apps.Update(h.ctx, me, theirs.App.ID, oauthapp.Patch{Name: ptr("Y")}, 0)
		assert.ErrorIs(t, err, cu.ErrNotFound)
		_, err = h.apps.Deactivate(h.ctx, me, theirs.App.ID, 0)
		assert.ErrorIs(t, err, cu.ErrNotFound)
		assert.ErrorIs(t, h.apps.Delete(h.ctx, me, theirs.App.ID, 0), cu.ErrNotFound)
		// Even a customer administrator manages only its own from the
		// storefront.
		_, err = h.apps.Get(h.ctx, h.storefront(colleague), c.App.ID)
		assert.ErrorIs(t, err, cu.ErrNotFound)
	})
	t.Run("without the capability", func(t *testing.T) {
		r := h.customRole("No apps", []string{role.CapUpdateOwnProfile},
			role.Grant{Resource: role.ResourceOAuthApplication, Permission: role.View, Level: role.LevelUser},
			role.Grant{Resource: role.ResourceOAuthApplication, Permission: role.Create, Level: role.LevelUser})
		u := h.user("nocap@acme.example", r.ID)
		_, err := h.apps.Create(h.ctx, h.storefront(u), u.ID, oauthapp.Input{Name: "X"})
		assert.ErrorIs(t, err, cu.ErrForbidden)
		_, err = h.apps.List(h.ctx, h.storefront(u), u.ID, cu.Page{})
		assert.ErrorIs(t, err, cu.ErrForbidden)
	})
	t.Run("without the permission", func(t *testing.T) {
		r := h.customRole("View apps", []string{role.CapManageOAuthApps},
			role.Grant{Resource: role.ResourceOAuthApplication, Permission: role.View, Level: role.LevelUser})
		u := h.user("viewer@acme.example", r.ID)
		own := h.app(u, "Given")
		_, err := h.apps.Create(h.ctx, h.storefront(u), u.ID, oauthapp.Input{Name: "X"})
		assert.ErrorIs(t, err, cu.ErrForbidden)
		_, err = h.apps.Get(h.ctx, h.storefront(u), own.App.ID)
		require.NoError(t, err, "view is granted")
		_, err = h.apps.Update(h.ctx, h.storefront(u), own.App.ID, oauthapp.Patch{Name: ptr("Y")}, 0)
		assert.ErrorIs(t, err, cu.ErrForbidden)
		assert.ErrorIs(t, h.apps.Delete(h.ctx, h.storefront(u), own.App.ID, 0), cu.ErrForbidden)
	})
	t.Run("through a scoped token", func(t *testing.T) {
		tc := h.app(buyer, "Manager", role.CapManageOAuthApps, "oauth_application:view", "oauth_application:create", "customer_user:view")
		actor, err := h.apps.Authenticate(h.ctx, h.token(tc, "oauth_application:view oauth_application:create "+role.CapManageOAuthApps))
		require.NoError(t, err)
		_, err = h.apps.Create(h.ctx, actor, buyer.ID, oauthapp.Input{Name: "All"})
		requireViolation(t, err, "scopes", "required")
		_, err = h.apps.Create(h.ctx, actor, buyer.ID, oauthapp.Input{Name: "Wider", Scopes: []string{"customer_user:view"}})
		requireViolation(t, err, "scopes[0]", "not_granted")
		_, err = h.apps.Create(h.ctx, actor, buyer.ID, oauthapp.Input{Name: "Same", Scopes: []string{"oauth_application:view"}})
		require.NoError(t, err)
	})
	t.Run("delete", func(t *testing.T) {
		require.NoError(t, h.apps.Delete(h.ctx, me, c.App.ID, 0))
	})
}

// Deleting a customer user deletes its applications and every token acting
// as it, in the same transaction.
func TestDeleteHook(t *testing.T) {
	h := newHarness(t)
	owner := h.user("owner@acme.example")
	other := h.user("other@acme.example")
	a1, a2 := h.app(owner, "One"), h.app(owner, "Two")
	keep := h.app(other, "Keep")
	t1, t2, tp := h.token(a1, ""), h.token(a2, ""), h.passwordToken(owner, "")
	tk := h.token(keep, "")

	require.NoError(t, h.users.DeleteUser(h.ctx, h.admin, owner.ID, 0))
	for _, tok := range []string{t1, t2, tp} {
		assert.False(t, h.works(tok))
	}
	assert.True(t, h.works(tk))
	for _, id := range []uuid.UUID{a1.App.ID, a2.App.ID} {
		_, err := h.store.OAuthApps().Get(h.ctx, h.org, id)
		assert.ErrorIs(t, err, cu.ErrNotFound)
		evs := h.events(id)
		require.NotEmpty(t, evs)
		last := evs[len(evs)-1]
		assert.Equal(t, oauthapp.EventDeleted, last.Type)
		assert.Contains(t, string(last.Payload), `"reason":"owner_deleted"`)
	}
	assert.Equal(t, 1, h.appCount())
}
