package role

import (
	"slices"
	"strings"

	"github.com/google/uuid"
)

// Explanation tells which role granted what to an actor, for the role UI
// ("why can this user see orders?") and for support. Its order is
// deterministic: permissions follow the registry's order of resources and
// their permissions, capabilities the registry's order, roles their label.
type Explanation struct {
	// Trusted is true for system and back-office actors, who bypass roles:
	// every permission is then at the widest level and no role is named.
	Trusted bool `json:"trusted"`
	// Roles are the actor's roles, with those that do not count marked.
	Roles []ExplainedRole `json:"roles"`
	// Permissions lists every registered (resource, permission), also the
	// ones not granted (level "none").
	Permissions []ExplainedPermission `json:"permissions"`
	// Capabilities lists every registered capability.
	Capabilities []ExplainedCapability `json:"capabilities"`
}

// RoleRef names a role in an Explanation.
type RoleRef struct {
	ID    uuid.UUID `json:"id"`
	Code  string    `json:"code"`
	Label string    `json:"label"`
}

// ExplainedRole is one role of the actor.
type ExplainedRole struct {
	RoleRef
	// Effective is false for a role that grants nothing to this actor.
	Effective bool `json:"effective"`
	// Reason says why a role is not effective.
	Reason string `json:"reason,omitempty"`
}

// ExplainedPermission is the effective level of one permission on one
// resource and the roles granting exactly that level (the widest wins, so
// roles granting less are not named).
type ExplainedPermission struct {
	Resource   string     `json:"resource"`
	Permission Permission `json:"permission"`
	Level      Level      `json:"level"`
	GrantedBy  []RoleRef  `json:"grantedBy"`
}

// ExplainedCapability says whether the actor holds a capability and which
// roles give it.
type ExplainedCapability struct {
	Capability string    `json:"capability"`
	Granted    bool      `json:"granted"`
	GrantedBy  []RoleRef `json:"grantedBy"`
}

// Explain describes the grants against the resources and capabilities of
// reg.
func (g *Grants) Explain(reg *Registry) Explanation {
	e := Explanation{Trusted: g.trusted, Roles: []ExplainedRole{}, Permissions: []ExplainedPermission{}, Capabilities: []ExplainedCapability{}}
	roles := slices.Clone(g.roles)
	slices.SortStableFunc(roles, func(a, b Role) int {
		if c := strings.Compare(a.Label, b.Label); c != 0 {
			return c
		}
		return slices.Compare(a.ID[:], b.ID[:])
	})
	var effective []Role
	for _, r := range roles {
		er := ExplainedRole{RoleRef: refOf(r), Effective: g.effective(r)}
		if er.Effective {
			effective = append(effective, r)
		} else {
			er.Reason = "The role belongs to another customer than the user's; it grants nothing."
		}
		e.Roles = append(e.Roles, er)
	}
	for _, res := range reg.Resources() {
		for _, p := range res.Permissions {
			ep := ExplainedPermission{Resource: res.Name, Permission: p, Level: g.Level(res.Name, p), GrantedBy: []RoleRef{}}
			if g.trusted {
				ep.Level = MaxLevel(res.Ownership)
			} else if ep.Level != LevelNone {
				for _, r := range effective {
					if slices.ContainsFunc(r.Grants, func(gr Grant) bool {
						return gr.Resource == res.Name && gr.Permission == p && gr.Level == ep.Level
					}) {
						ep.GrantedBy = append(ep.GrantedBy, refOf(r))
					}
				}
			}
			e.Permissions = append(e.Permissions, ep)
		}
	}
	for _, c := range reg.Capabilities() {
		ec := ExplainedCapability{Capability: c, Granted: g.Has(c), GrantedBy: []RoleRef{}}
		if !g.trusted {
			for _, r := range effective {
				if slices.Contains(r.Capabilities, c) {
					ec.GrantedBy = append(ec.GrantedBy, refOf(r))
				}
			}
		}
		e.Capabilities = append(e.Capabilities, ec)
	}
	return e
}

func refOf(r Role) RoleRef { return RoleRef{ID: r.ID, Code: r.Code, Label: r.Label} }
