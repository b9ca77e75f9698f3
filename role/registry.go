package role

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"

	cu "github.com/b2bkit/customerusers"
)

// Names of levels as they appear in JSON, URLs and messages.
var levelNames = [...]string{
	LevelNone:       "none",
	LevelUser:       "user",
	LevelDepartment: "department",
	LevelCorporate:  "corporate",
	LevelFull:       "full",
}

// String returns the level's name ("none", "user", "department",
// "corporate", "full").
func (l Level) String() string {
	if l >= 0 && int(l) < len(levelNames) {
		return levelNames[l]
	}
	return fmt.Sprintf("level(%d)", int8(l))
}

// Valid reports whether l is one of the defined levels.
func (l Level) Valid() bool { return l >= LevelNone && l <= LevelFull }

// ParseLevel reads a level name (case-insensitive).
func ParseLevel(s string) (Level, error) {
	for i, n := range levelNames {
		if strings.EqualFold(s, n) {
			return Level(i), nil
		}
	}
	return LevelNone, fmt.Errorf("role: unknown access level %q (want none, user, department, corporate or full)", s)
}

// MarshalText encodes the level as its name, so that JSON shows
// "corporate" rather than 3.
func (l Level) MarshalText() ([]byte, error) {
	if !l.Valid() {
		return nil, fmt.Errorf("role: invalid access level %d", int8(l))
	}
	return []byte(levelNames[l]), nil
}

// UnmarshalText decodes a level name.
func (l *Level) UnmarshalText(b []byte) error {
	v, err := ParseLevel(string(b))
	if err != nil {
		return err
	}
	*l = v
	return nil
}

var ownershipNames = [...]string{
	Unowned:             "unowned",
	OwnedByCustomerUser: "customer_user",
	OwnedByCustomer:     "customer",
}

// String returns the ownership's name ("unowned", "customer_user",
// "customer").
func (o Ownership) String() string {
	if o >= 0 && int(o) < len(ownershipNames) {
		return ownershipNames[o]
	}
	return fmt.Sprintf("ownership(%d)", int8(o))
}

// MarshalText encodes the ownership as its name.
func (o Ownership) MarshalText() ([]byte, error) {
	if o < 0 || int(o) >= len(ownershipNames) {
		return nil, fmt.Errorf("role: invalid ownership %d", int8(o))
	}
	return []byte(ownershipNames[o]), nil
}

// UnmarshalText decodes an ownership name.
func (o *Ownership) UnmarshalText(b []byte) error {
	for i, n := range ownershipNames {
		if string(b) == n {
			*o = Ownership(i)
			return nil
		}
	}
	return fmt.Errorf("role: unknown ownership %q", b)
}

// The levels each ownership offers, from narrowest to widest.
var (
	unownedLevels      = []Level{LevelNone, LevelFull}
	userOwnedLevels    = []Level{LevelNone, LevelUser, LevelDepartment, LevelCorporate}
	customerOwnedLevel = []Level{LevelNone, LevelDepartment, LevelCorporate}
)

// AllowedLevels returns the levels a resource of ownership o offers, from
// narrowest to widest: unowned resources have none and full; records owned
// by a customer user have none, user, department and corporate; records
// owned by a customer have none, department and corporate (there is no
// "own record" of a customer user for them).
func AllowedLevels(o Ownership) []Level {
	switch o {
	case Unowned:
		return slices.Clone(unownedLevels)
	case OwnedByCustomerUser:
		return slices.Clone(userOwnedLevels)
	case OwnedByCustomer:
		return slices.Clone(customerOwnedLevel)
	}
	return nil
}

// LevelAllowed reports whether a resource of ownership o offers level l.
func LevelAllowed(o Ownership, l Level) bool {
	switch o {
	case Unowned:
		return slices.Contains(unownedLevels, l)
	case OwnedByCustomerUser:
		return slices.Contains(userOwnedLevels, l)
	case OwnedByCustomer:
		return slices.Contains(customerOwnedLevel, l)
	}
	return false
}

// MaxLevel returns the widest level of ownership o: full for unowned
// resources, corporate for the others.
func MaxLevel(o Ownership) Level {
	if o == Unowned {
		return LevelFull
	}
	return LevelCorporate
}

// nameRE is the format of resource, permission and capability names.
var nameRE = regexp.MustCompile(`^[a-z][a-z0-9_]{0,62}[a-z0-9]$`)

// Registry knows the resources and capabilities roles may grant: the
// library's own and the ones a host registers (orders, quotes...). Roles
// are validated against it. It is safe for concurrent use; register host
// resources at start-up, before serving.
type Registry struct {
	mu        sync.RWMutex
	resources map[string]Resource
	order     []string
	caps      []string
}

// NewRegistry returns a registry holding the library's seven resources and
// seven capabilities.
func NewRegistry() *Registry {
	r := &Registry{resources: map[string]Resource{}}
	std := []Permission{View, Create, Edit, Delete}
	withAssign := []Permission{View, Create, Edit, Delete, Assign}
	for _, res := range []Resource{
		{Name: ResourceCustomerUser, Label: "Customer User", Ownership: OwnedByCustomer, Permissions: withAssign},
		{Name: ResourceCustomerUserAddress, Label: "Customer User Address", Ownership: OwnedByCustomerUser, Permissions: std},
		{Name: ResourceCustomerUserRole, Label: "Customer User Role", Ownership: OwnedByCustomer, Permissions: withAssign},
		{Name: ResourceCustomer, Label: "Customer", Ownership: OwnedByCustomer, Permissions: std},
		{Name: ResourceCustomerAddress, Label: "Customer Address", Ownership: OwnedByCustomer, Permissions: std},
		{Name: ResourceOAuthApplication, Label: "OAuth Application", Ownership: OwnedByCustomerUser, Permissions: std},
		{Name: ResourceConsentAcceptance, Label: "Consent Acceptance", Ownership: OwnedByCustomerUser, Permissions: std},
	} {
		if err := r.Register(res); err != nil {
			panic(err) // the built-in list is valid
		}
	}
	for _, c := range []string{CapManageUsers, CapManageRoles, CapUpdateOwnProfile, CapManagePasswords,
		CapViewAuditHistory, CapShareDataView, CapManageOAuthApps} {
		if err := r.RegisterCapability(c); err != nil {
			panic(err)
		}
	}
	return r
}

// Register adds a host resource. The name must be snake_case (2–64
// characters, lower-case letters, digits and underscores, starting with a
// letter) and not yet registered; the ownership must be one of the defined
// kinds; there must be at least one permission, each snake_case and listed
// once. The label defaults to the name. Errors are cu invalid errors.
func (r *Registry) Register(res Resource) error {
	var v cu.Violations
	if !nameRE.MatchString(res.Name) {
		v.Addf("name", "format", "Resource name %q must be snake_case: 2 to 64 lower-case letters, digits or underscores, starting with a letter.", res.Name)
	}
	if res.Ownership < Unowned || res.Ownership > OwnedByCustomer {
		v.Addf("ownership", "unknown_ownership", "Ownership %d is not one of unowned, customer_user or customer.", int8(res.Ownership))
	}
	if len(res.Permissions) == 0 {
		v.Add("permissions", "required", "A resource needs at least one permission.")
	}
	for i, p := range res.Permissions {
		field := fmt.Sprintf("permissions[%d]", i)
		if !nameRE.MatchString(string(p)) {
			v.Addf(field, "format", "Permission name %q must be snake_case.", p)
		} else if slices.Contains(res.Permissions[:i], p) {
			v.Addf(field, "duplicate", "Permission %q is listed twice.", p)
		}
	}
	res.Permissions = slices.Clone(res.Permissions)
	if res.Label == "" {
		res.Label = res.Name
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.resources[res.Name]; ok {
		v.Addf("name", "unique", "Resource %q is already registered.", res.Name)
	}
	if err := v.Err(); err != nil {
		return err
	}
	r.resources[res.Name] = res
	r.order = append(r.order, res.Name)
	return nil
}

// RegisterCapability adds a host capability (snake_case, not yet
// registered).
func (r *Registry) RegisterCapability(name string) error {
	if !nameRE.MatchString(name) {
		return cu.FieldError("name", "format", fmt.Sprintf("Capability name %q must be snake_case: 2 to 64 lower-case letters, digits or underscores, starting with a letter.", name))
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if slices.Contains(r.caps, name) {
		return cu.FieldError("name", "unique", fmt.Sprintf("Capability %q is already registered.", name))
	}
	r.caps = append(r.caps, name)
	return nil
}

// Resource returns a registered resource.
func (r *Registry) Resource(name string) (Resource, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	res, ok := r.resources[name]
	res.Permissions = slices.Clone(res.Permissions)
	return res, ok
}

// Resources returns the registered resources in registration order (the
// library's own first).
func (r *Registry) Resources() []Resource {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]Resource, 0, len(r.order))
	for _, n := range r.order {
		res := r.resources[n]
		res.Permissions = slices.Clone(res.Permissions)
		out = append(out, res)
	}
	return out
}

// Capabilities returns the registered capabilities in registration order.
func (r *Registry) Capabilities() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return slices.Clone(r.caps)
}

// HasCapability reports whether a capability is registered.
func (r *Registry) HasCapability(name string) bool {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return slices.Contains(r.caps, name)
}

// Validate checks grants and capabilities against the registry and returns
// the violations, nil when all is well: an unknown resource
// ("grants[i].resource", unknown_resource), a permission the resource does
// not have ("grants[i].permission", unknown_permission), a level the
// resource's ownership does not offer ("grants[i].level",
// level_not_allowed), a second grant for the same resource and permission
// ("grants[i]", duplicate), an unknown capability ("capabilities[i]",
// unknown_capability) or one listed twice ("capabilities[i]", duplicate).
func (r *Registry) Validate(grants []Grant, capabilities []string) []cu.Violation {
	var v cu.Violations
	r.mu.RLock()
	defer r.mu.RUnlock()
	seen := make(map[grantKey]int, len(grants))
	for i, g := range grants {
		res, ok := r.resources[g.Resource]
		if !ok {
			v.Addf(fmt.Sprintf("grants[%d].resource", i), "unknown_resource", "Resource %q is not registered.", g.Resource)
			continue
		}
		if !slices.Contains(res.Permissions, g.Permission) {
			v.Addf(fmt.Sprintf("grants[%d].permission", i), "unknown_permission", "Resource %q has no permission %q.", g.Resource, g.Permission)
			continue
		}
		if !LevelAllowed(res.Ownership, g.Level) {
			v.Addf(fmt.Sprintf("grants[%d].level", i), "level_not_allowed", "Level %s is not available for %q; choose one of %s.", g.Level, g.Resource, levelList(res.Ownership))
		}
		k := grantKey{g.Resource, g.Permission}
		if j, dup := seen[k]; dup {
			v.Addf(fmt.Sprintf("grants[%d]", i), "duplicate", "Permission %q on %q is already granted by grants[%d].", g.Permission, g.Resource, j)
			continue
		}
		seen[k] = i
	}
	for i, c := range capabilities {
		field := fmt.Sprintf("capabilities[%d]", i)
		switch {
		case !slices.Contains(r.caps, c):
			v.Addf(field, "unknown_capability", "Capability %q is not registered.", c)
		case slices.Contains(capabilities[:i], c):
			v.Addf(field, "duplicate", "Capability %q is listed twice.", c)
		}
	}
	if len(v) == 0 {
		return nil
	}
	return v
}

// normalize returns grants without level-none entries (they grant
// nothing), ordered by registration order of resources and permissions,
// and capabilities in registration order. It expects validated input.
func (r *Registry) normalize(grants []Grant, capabilities []string) ([]Grant, []string) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	rank := func(g Grant) (int, int) {
		res := r.resources[g.Resource]
		return slices.Index(r.order, g.Resource), slices.Index(res.Permissions, g.Permission)
	}
	gs := make([]Grant, 0, len(grants))
	for _, g := range grants {
		if g.Level != LevelNone {
			gs = append(gs, g)
		}
	}
	slices.SortStableFunc(gs, func(a, b Grant) int {
		ra, pa := rank(a)
		rb, pb := rank(b)
		if ra != rb {
			return ra - rb
		}
		return pa - pb
	})
	cs := slices.Clone(capabilities)
	slices.SortStableFunc(cs, func(a, b string) int { return slices.Index(r.caps, a) - slices.Index(r.caps, b) })
	if cs == nil {
		cs = []string{}
	}
	return gs, cs
}

func levelList(o Ownership) string {
	ls := AllowedLevels(o)
	names := make([]string, len(ls))
	for i, l := range ls {
		names[i] = l.String()
	}
	return strings.Join(names, ", ")
}
