package oauthapp

import (
	"context"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"

	cu "github.com/b2bkit/customerusers"
	"github.com/b2bkit/customerusers/customeruser"
	"github.com/b2bkit/customerusers/role"
)

// nameMaxLen is the longest application name.
const nameMaxLen = 255

// Input creates an application.
type Input struct {
	// Name is required, at most 255 characters, unique per owner
	// (case-insensitively).
	Name string
	// Active defaults to true.
	Active *bool
	// Scopes limit the application's tokens; each must be held by the
	// owner. Empty means all of the owner's permissions.
	Scopes []string
}

// Patch changes an application; nil fields stay as they are.
type Patch struct {
	Name   *string
	Active *bool
	// Scopes replaces the scopes; a pointer to an empty slice means all of
	// the owner's permissions.
	Scopes *[]string
}

// Created is the outcome of Create: the application and its client secret,
// which is shown this once and never again (only its digest is stored).
type Created struct {
	App          App
	ClientSecret string
}

// snapshot is the event payload describing a whole application; it never
// holds the secret or its digest.
type snapshot struct {
	OwnerUserID uuid.UUID `json:"ownerUserId"`
	Name        string    `json:"name"`
	ClientID    string    `json:"clientId"`
	Grants      []string  `json:"grants"`
	Active      bool      `json:"active"`
	Scopes      []string  `json:"scopes"`
	Reason      string    `json:"reason,omitempty"`
}

func snapshotOf(a App) snapshot {
	return snapshot{OwnerUserID: a.OwnerUserID, Name: a.Name, ClientID: a.ClientID, Grants: a.Grants, Active: a.Active,
		Scopes: nonNil(a.Scopes)}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// changes lists the field-level changes from a to b.
func changes(a, b App) []cu.Change {
	var c []cu.Change
	if a.Name != b.Name {
		c = append(c, cu.Change{Field: "name", Before: a.Name, After: b.Name})
	}
	if a.Active != b.Active {
		c = append(c, cu.Change{Field: "active", Before: a.Active, After: b.Active})
	}
	if !slices.Equal(a.Scopes, b.Scopes) {
		c = append(c, cu.Change{Field: "scopes", Before: nonNil(a.Scopes), After: nonNil(b.Scopes)})
	}
	return c
}

// public returns a as services show it: without the secret's digest.
func public(a App) App {
	a.SecretHash = nil
	return a
}

// checkName validates and trims an application name.
func checkName(name string, v *cu.Violations) string {
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		v.Add("name", "required", "The application name is required.")
	case utf8.RuneCountInString(name) > nameMaxLen:
		v.Addf("name", "max_length", "The application name must be at most %d characters long.", nameMaxLen)
	}
	return name
}

// Who may manage applications (SPEC §6, delegated like §4):
//
//   - back-office and system actors: the applications of any customer user
//     of their organization;
//   - a customer user in the storefront: only its own applications, with
//     the capability manage_oauth_apps and a grant of the permission on
//     oauth_application reaching its own records (user level or wider).
//     Another user's application is not found; another user's id given to
//     Create or List is forbidden;
//   - anonymous actors: nothing.

// authorize checks that actor may perform p on the applications of
// ownerUserID. It returns the storefront actor's grants (nil for trusted
// actors), which bound the scopes it may give.
func (s *Service) authorize(ctx context.Context, actor cu.Actor, p role.Permission, ownerUserID uuid.UUID) (*role.Grants, error) {
	if trusted, err := authorizeKind(actor, ownerUserID); trusted || err != nil {
		return nil, err
	}
	g, err := s.d.Authorizer.Grants(ctx, actor)
	if err != nil {
		return nil, err
	}
	if !g.Has(role.CapManageOAuthApps) {
		return nil, cu.Forbidden("you may not manage OAuth applications")
	}
	if !g.Can(p, role.ResourceOAuthApplication, role.Target{OwnerUserID: actor.ID, CustomerID: actor.CustomerID}) {
		return nil, cu.Forbidden("you may not %s OAuth applications", p)
	}
	return g, nil
}

// loadApp reads an application and authorizes p on it. A storefront
// actor's view of another user's application is "not found", so that
// nothing leaks.
func (s *Service) loadApp(ctx context.Context, actor cu.Actor, p role.Permission, id uuid.UUID) (App, *role.Grants, error) {
	a, err := s.d.Apps.Get(ctx, actor.OrganizationID, id)
	if err != nil {
		return App{}, nil, cu.Internal(err)
	}
	if actor.Kind == cu.ActorCustomerUser && a.OwnerUserID != actor.ID {
		return App{}, nil, cu.NotFound("OAuth application")
	}
	g, err := s.authorize(ctx, actor, p, a.OwnerUserID)
	if err != nil {
		return App{}, nil, err
	}
	return a, g, nil
}

// scopeGrants returns the grants bounding an application's scopes: the
// storefront actor's own (its roles, narrowed by its token's scopes when
// it acts through one), or the owner's for trusted actors.
func (s *Service) scopeGrants(ctx context.Context, g *role.Grants, ownerUserID uuid.UUID, org uuid.UUID) (*role.Grants, error) {
	if g != nil {
		return g, nil
	}
	owner, err := s.d.Users.Get(ctx, org, ownerUserID)
	if err != nil {
		return nil, cu.Internal(err)
	}
	return s.ownerGrants(ctx, owner)
}

// checkAppScopes validates the scopes of an application against g. An
// actor limited by a token's scopes may not create an application with all
// permissions (empty scopes), which would escape its own limits.
func checkAppScopes(g *role.Grants, scopes []string, v *cu.Violations) []string {
	if len(scopes) == 0 && g.Actor().Scopes != nil && !g.Actor().Trusted() {
		v.Add("scopes", "required", "You act through a token limited to scopes: list the scopes of the application.")
		return nil
	}
	return checkScopes(g, scopes, v)
}

// NotificationDataAppName is the key of the application's name in the
// Data of the customer_user_oauth_application_created notification.
const NotificationDataAppName = "appName"

// ownerNotification addresses the "application created" e-mail about app
// to its owner. It carries no token; Data names the application.
func ownerNotification(u customeruser.User, app App) customeruser.Notification {
	return customeruser.Notification{
		Template: customeruser.TemplateOAuthAppCreated, OrganizationID: u.OrganizationID, UserID: u.ID,
		Email: u.Email, Name: u.FullName(), WebsiteID: u.WebsiteID, LocalizationID: u.PreferredLocalizationID,
		Data: map[string]string{NotificationDataAppName: app.Name},
	}
}

// Create adds an application to a customer user (SPEC §6) and returns it
// with its client secret, which is shown this once: only its SHA-256
// digest is stored, and no event, read or log ever holds it. Rules: the
// owner must exist in the actor's organization and be an enabled, non-guest
// user ("ownerUserId", rules "guest", "disabled"); the name is required, at
// most 255 characters and unique among the owner's applications
// ("name", "unique"); each scope must be held by the owner ("scopes[i]",
// rules required, format, duplicate, not_granted). The client id is
// generated. The application is active unless Input.Active says otherwise
// and may use the client_credentials grant. oauthapp.created is recorded
// and the owner is notified (template
// customer_user_oauth_application_created, with the application's name in
// Data["appName"]) inside the same transaction.
func (s *Service) Create(ctx context.Context, actor cu.Actor, ownerUserID uuid.UUID, in Input) (Created, error) {
	if _, err := authorizeKind(actor, ownerUserID); err != nil {
		return Created{}, err
	}
	secret, digest, err := newSecret()
	if err != nil {
		return Created{}, cu.Internal(err)
	}
	clientID, err := newClientID()
	if err != nil {
		return Created{}, cu.Internal(err)
	}
	var out App
	err = s.d.Tx.InTx(ctx, func(ctx context.Context) error {
		owner, err := s.d.Users.Get(ctx, actor.OrganizationID, ownerUserID)
		if err != nil {
			return cu.Internal(err)
		}
		g, err := s.authorize(ctx, actor, role.Create, owner.ID)
		if err != nil {
			return err
		}
		if g == nil {
			if g, err = s.ownerGrants(ctx, owner); err != nil {
				return err
			}
		}
		var v cu.Violations
		name := checkName(in.Name, &v)
		switch {
		case owner.Guest:
			v.Add("ownerUserId", "guest", "A guest customer user cannot own an OAuth application.")
		case !owner.Enabled:
			v.Add("ownerUserId", "disabled", "A disabled customer user cannot own an OAuth application.")
		}
		scopes := checkAppScopes(g, in.Scopes, &v)
		if err := v.Err(); err != nil {
			return err
		}
		now := s.now()
		a := App{
			ID: s.newID(), OrganizationID: owner.OrganizationID, OwnerUserID: owner.ID, Name: name,
			ClientID: clientID, SecretHash: digest, Grants: []string{GrantClientCredentials},
			Active: in.Active == nil || *in.Active, Scopes: scopes, CreatedAt: now, UpdatedAt: now, Version: 1,
		}
		if err := s.d.Apps.Create(ctx, a); err != nil {
			return cu.Internal(err)
		}
		if err := s.record(ctx, actor, EventCreated, a.ID, snapshotOf(a)); err != nil {
			return cu.Internal(err)
		}
		if err := s.d.Notifier.Notify(ctx, ownerNotification(owner, a)); err != nil {
			return cu.Internal(err)
		}
		out = a
		return nil
	})
	if err != nil {
		return Created{}, err
	}
	return Created{App: public(out), ClientSecret: secret}, nil
}

// authorizeKind runs the checks that need no storage: the actor's kind and,
// for a storefront actor, that the owner is itself.
func authorizeKind(actor cu.Actor, ownerUserID uuid.UUID) (bool, error) {
	switch {
	case actor.Trusted():
		return true, nil
	case actor.Kind != cu.ActorCustomerUser:
		return false, cu.Forbidden("you may not manage OAuth applications")
	case actor.ID != ownerUserID:
		return false, cu.Forbidden("you may manage only your own OAuth applications")
	}
	return false, nil
}

// Get returns an application (without its secret's digest).
func (s *Service) Get(ctx context.Context, actor cu.Actor, id uuid.UUID) (App, error) {
	a, _, err := s.loadApp(ctx, actor, role.View, id)
	if err != nil {
		return App{}, err
	}
	return public(a), nil
}

// List pages the applications of a customer user, sorted by Page.Sort:
// "name" (default) or "createdAt". Trusted actors may pass uuid.Nil for
// every application of the organization; a storefront actor lists only its
// own (uuid.Nil means its own).
func (s *Service) List(ctx context.Context, actor cu.Actor, ownerUserID uuid.UUID, p cu.Page) (cu.PageOf[App], error) {
	if actor.Kind == cu.ActorCustomerUser && ownerUserID == uuid.Nil {
		ownerUserID = actor.ID
	}
	if _, err := authorizeKind(actor, ownerUserID); err != nil {
		return cu.PageOf[App]{}, err
	}
	if _, err := s.authorize(ctx, actor, role.View, ownerUserID); err != nil {
		return cu.PageOf[App]{}, err
	}
	page, err := s.d.Apps.List(ctx, actor.OrganizationID, AppFilter{OwnerUserID: ownerUserID}, p)
	if err != nil {
		return cu.PageOf[App]{}, cu.Internal(err)
	}
	for i := range page.Items {
		page.Items[i] = public(page.Items[i])
	}
	return page, nil
}

// Update changes the name, the active flag or the scopes of an application
// with the rules of Create. expectedVersion is the version the caller read;
// 0 means "no optimistic check". Deactivating the application or changing
// its scopes kills its outstanding tokens (they were issued under the old
// terms). A patch that changes nothing writes nothing. oauthapp.updated
// carries the field-level changes.
func (s *Service) Update(ctx context.Context, actor cu.Actor, id uuid.UUID, p Patch, expectedVersion int64) (App, error) {
	var out App
	err := s.d.Tx.InTx(ctx, func(ctx context.Context) error {
		before, g, err := s.loadApp(ctx, actor, role.Edit, id)
		if err != nil {
			return err
		}
		if expectedVersion != 0 && expectedVersion != before.Version {
			return cu.Stale("OAuth application")
		}
		after := before
		after.Scopes = slices.Clone(before.Scopes)
		var v cu.Violations
		if p.Name != nil {
			after.Name = checkName(*p.Name, &v)
		}
		if p.Active != nil {
			after.Active = *p.Active
		}
		if p.Scopes != nil {
			sg, err := s.scopeGrants(ctx, g, before.OwnerUserID, before.OrganizationID)
			if err != nil {
				return err
			}
			after.Scopes = checkAppScopes(sg, *p.Scopes, &v)
		}
		if err := v.Err(); err != nil {
			return err
		}
		c := changes(before, after)
		if len(c) == 0 {
			out = before
			return nil
		}
		if err := s.save(ctx, before, &after); err != nil {
			return err
		}
		if err := s.record(ctx, actor, EventUpdated, after.ID, c); err != nil {
			return cu.Internal(err)
		}
		out = after
		return nil
	})
	if err != nil {
		return App{}, err
	}
	return public(out), nil
}

// save stores after over before, and kills the application's tokens when
// it was deactivated or its scopes changed.
func (s *Service) save(ctx context.Context, before App, after *App) error {
	after.UpdatedAt = s.now()
	if err := s.d.Apps.Update(ctx, *after, before.Version); err != nil {
		return cu.Internal(err)
	}
	after.Version = before.Version + 1
	if (before.Active && !after.Active) || !slices.Equal(before.Scopes, after.Scopes) {
		if err := s.d.Tokens.DeleteForApp(ctx, after.OrganizationID, after.ID); err != nil {
			return cu.Internal(err)
		}
	}
	return nil
}

// Activate lets an application obtain tokens again. Activating an active
// application changes nothing.
func (s *Service) Activate(ctx context.Context, actor cu.Actor, id uuid.UUID, expectedVersion int64) (App, error) {
	return s.setActive(ctx, actor, id, expectedVersion, true)
}

// Deactivate stops an application: it obtains no tokens, and the tokens it
// holds stop working at once (they are deleted). Deactivating an inactive
// application changes nothing.
func (s *Service) Deactivate(ctx context.Context, actor cu.Actor, id uuid.UUID, expectedVersion int64) (App, error) {
	return s.setActive(ctx, actor, id, expectedVersion, false)
}

func (s *Service) setActive(ctx context.Context, actor cu.Actor, id uuid.UUID, expectedVersion int64, active bool) (App, error) {
	var out App
	err := s.d.Tx.InTx(ctx, func(ctx context.Context) error {
		before, _, err := s.loadApp(ctx, actor, role.Edit, id)
		if err != nil {
			return err
		}
		if expectedVersion != 0 && expectedVersion != before.Version {
			return cu.Stale("OAuth application")
		}
		if before.Active == active {
			out = before
			return nil
		}
		after := before
		after.Active = active
		if err := s.save(ctx, before, &after); err != nil {
			return err
		}
		typ := EventActivated
		if !active {
			typ = EventDeactivated
		}
		if err := s.record(ctx, actor, typ, after.ID, changes(before, after)); err != nil {
			return cu.Internal(err)
		}
		out = after
		return nil
	})
	if err != nil {
		return App{}, err
	}
	return public(out), nil
}

// Delete deletes an application and its tokens, which stop working at
// once. expectedVersion 0 means "no optimistic check".
func (s *Service) Delete(ctx context.Context, actor cu.Actor, id uuid.UUID, expectedVersion int64) error {
	return s.d.Tx.InTx(ctx, func(ctx context.Context) error {
		a, _, err := s.loadApp(ctx, actor, role.Delete, id)
		if err != nil {
			return err
		}
		if expectedVersion != 0 && expectedVersion != a.Version {
			return cu.Stale("OAuth application")
		}
		if err := s.d.Apps.Delete(ctx, a.OrganizationID, a.ID); err != nil {
			return cu.Internal(err)
		}
		if err := s.record(ctx, actor, EventDeleted, a.ID, snapshotOf(a)); err != nil {
			return cu.Internal(err)
		}
		return nil
	})
}

// DeleteHook returns the customeruser.DeleteHook that removes a deleted
// customer user's applications and every token acting as the user, inside
// the deleting transaction, recording oauthapp.deleted (reason
// "owner_deleted") for each application. Add it with
// customeruser.Service.AddDeleteHook; see the package documentation for
// the wiring.
func DeleteHook(s *Service) customeruser.DeleteHook {
	return func(ctx context.Context, actor cu.Actor, u customeruser.User) error {
		return s.deleteOwner(ctx, actor, u)
	}
}

func (s *Service) deleteOwner(ctx context.Context, actor cu.Actor, u customeruser.User) error {
	apps, err := s.d.Apps.DeleteByOwner(ctx, u.OrganizationID, u.ID)
	if err != nil {
		return cu.Internal(err)
	}
	if err := s.d.Tokens.DeleteForUser(ctx, u.OrganizationID, u.ID); err != nil {
		return cu.Internal(err)
	}
	for _, a := range apps {
		sn := snapshotOf(a)
		sn.Reason = "owner_deleted"
		if err := s.record(ctx, actor, EventDeleted, a.ID, sn); err != nil {
			return cu.Internal(err)
		}
	}
	return nil
}

// RevokeHook returns the customeruser.AccessRevokedHook that deletes the
// access tokens acting as a customer user, inside the transaction of the
// change, so that a later change (enabling the user again, a new password)
// never brings them back:
//
//   - disabled (also made unconfirmed or a guest), forced password reset,
//     anonymized, deleted, e-mail changed: every token of the user, those
//     of its applications included (an application simply asks for a new
//     one with its client credentials once its owner may log in again);
//   - password changed or reset: the password-grant tokens, which were
//     obtained with the old password. The token repository can only delete
//     all of a user's tokens, so these are ended by the rule that refuses a
//     password-grant token older than the user's PasswordChangedAt, which
//     only moves forward; the application tokens live on.
//
// Add it with customeruser.Service.AddAccessRevokedHook; see the package
// documentation for the wiring.
func RevokeHook(s *Service) customeruser.AccessRevokedHook {
	return func(ctx context.Context, _ cu.Actor, u customeruser.User, reason string) error {
		switch reason {
		case customeruser.RevokePasswordChanged, customeruser.RevokePasswordReset:
			// Dead by the PasswordChangedAt rule (see valid); nothing to
			// delete without also deleting the application tokens.
			return nil
		}
		if err := s.d.Tokens.DeleteForUser(ctx, u.OrganizationID, u.ID); err != nil {
			return cu.Internal(err)
		}
		return nil
	}
}
