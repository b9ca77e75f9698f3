package oauthapp

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/google/uuid"

	cu "github.com/b2bkit/customerusers"
	"github.com/b2bkit/customerusers/customeruser"
	"github.com/b2bkit/customerusers/role"
)

// Scopes (SPEC §6 ★) are the names of what a token may do: a
// "resource:permission" pair as role.Scope writes it ("customer_user:view")
// or a capability name ("manage_oauth_apps"). A scope is held by a user
// when one of its roles grants that permission at any level, or that
// capability. role.Authorizer narrows an actor with Scopes to them.

// validScopeToken reports whether s is a scope-token of RFC 6749 §3.3:
// printable ASCII without space, double quote or backslash.
func validScopeToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x21 || c > 0x7e || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

// holds reports whether grants g give scope sc.
func holds(g *role.Grants, sc string) bool {
	if res, perm, ok := strings.Cut(sc, ":"); ok {
		return g.Level(res, role.Permission(perm)) > role.LevelNone
	}
	return g.Has(sc)
}

// grantsScope reports whether role r gives scope sc.
func grantsScope(r role.Role, sc string) bool {
	if res, perm, ok := strings.Cut(sc, ":"); ok {
		return slices.ContainsFunc(r.Grants, func(gr role.Grant) bool {
			return gr.Resource == res && string(gr.Permission) == perm && gr.Level > role.LevelNone
		})
	}
	return slices.Contains(r.Capabilities, sc)
}

// checkScopes validates the scopes of an application against grants g (the
// owner's, narrowed by the actor's own scopes when a token acts) and
// returns them trimmed. Violations name "scopes[i]": required (blank),
// format (not a scope-token), duplicate, not_granted (neither a permission
// the owner's roles grant at some level nor a capability it holds).
func checkScopes(g *role.Grants, scopes []string, v *cu.Violations) []string {
	out := make([]string, 0, len(scopes))
	seen := map[string]bool{}
	for i, raw := range scopes {
		f := fmt.Sprintf("scopes[%d]", i)
		sc := strings.TrimSpace(raw)
		switch {
		case sc == "":
			v.Add(f, "required", "The scope is empty.")
		case !validScopeToken(sc):
			v.Addf(f, "format", "%q is not a valid scope.", sc)
		case seen[sc]:
			v.Addf(f, "duplicate", "The scope %q is listed twice.", sc)
		case !holds(g, sc):
			v.Addf(f, "not_granted", "The owner does not hold %q, so the application cannot have it.", sc)
		default:
			seen[sc] = true
			out = append(out, sc)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// ownerGrants loads the full grants of a customer user, as its own roles
// give them.
func (s *Service) ownerGrants(ctx context.Context, u customeruser.User) (*role.Grants, error) {
	return s.d.Authorizer.Grants(ctx, cu.CustomerUserActor(u.OrganizationID, u.ID, u.CustomerID, u.RoleIDs...))
}

// effective reports whether role r counts for a user of customer c, as
// role.Grants decides it: predefined roles and roles of c.
func effective(r role.Role, c uuid.UUID) bool { return r.Predefined() || r.CustomerID == c }

// reliedRoles returns the roles of the user of g that a token with these
// scopes relies on: all its roles for an unscoped token, else the
// effective roles granting at least one of the scopes.
func reliedRoles(g *role.Grants, u customeruser.User, scopes []string, unscoped bool) []uuid.UUID {
	if unscoped {
		return slices.Clone(u.RoleIDs)
	}
	var out []uuid.UUID
	for _, r := range g.Roles() {
		if !effective(r, u.CustomerID) {
			continue
		}
		if slices.ContainsFunc(scopes, func(sc string) bool { return grantsScope(r, sc) }) {
			out = append(out, r.ID)
		}
	}
	return out
}

// parseScope splits the scope parameter of a token request (RFC 6749 §3.3)
// into distinct scope-tokens; ok is false when one is malformed.
func parseScope(s string) (scopes []string, ok bool) {
	for _, sc := range strings.Fields(s) {
		if !validScopeToken(sc) {
			return nil, false
		}
		if !slices.Contains(scopes, sc) {
			scopes = append(scopes, sc)
		}
	}
	return scopes, true
}
