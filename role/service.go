package role

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	cu "github.com/b2bkit/customerusers"
)

// The event types the Service appends (subject type SubjectType).
const (
	EventCreated          = "role.created"
	EventUpdated          = "role.updated"
	EventDeleted          = "role.deleted"
	EventUsersUnassigned  = "role.users_unassigned"
	EventCopied           = "role.copied"
	SubjectType           = "role"
	DefaultRoleCode       = "BUYER"
	AdministratorRoleCode = "ADMINISTRATOR"
	AnonymousRoleCode     = "ANONYMOUS"
)

// Deps are the collaborators of a Service. Tx, Roles, Holders, Hierarchy
// and Events are required. Registry defaults to NewRegistry() and
// Authorizer to NewAuthorizer(Roles, Hierarchy).
type Deps struct {
	Tx      cu.Transactor
	Roles   Repository
	Holders Holders
	// Hierarchy answers reach questions and whether a customer exists (an
	// empty subtree or cu.ErrNotFound means it does not).
	Hierarchy  Hierarchy
	Events     cu.EventLog
	Authorizer *Authorizer
	Registry   *Registry
}

// Option configures a Service.
type Option func(*Service)

// WithClock sets the clock (tests use cu.ManualClock).
func WithClock(c cu.Clock) Option { return func(s *Service) { s.clock = c } }

// WithIDs sets the id generator.
func WithIDs(f cu.IDFunc) Option { return func(s *Service) { s.newID = f } }

// WithDefaultRoleCode sets the code of the role given to new users that
// come without one; that role cannot be deleted. Default "BUYER".
func WithDefaultRoleCode(code string) Option { return func(s *Service) { s.defaultCode = code } }

// Service holds every rule of roles: validation against the Registry, the
// role lifecycle, delegated administration in the storefront and the
// no-escalation rule. It is safe for concurrent use.
type Service struct {
	d           Deps
	clock       cu.Clock
	newID       cu.IDFunc
	defaultCode string
}

// NewService returns a Service.
func NewService(d Deps, opts ...Option) *Service {
	s := &Service{d: d, clock: cu.SystemClock{}, newID: cu.NewID, defaultCode: DefaultRoleCode}
	for _, o := range opts {
		o(s)
	}
	if s.d.Registry == nil {
		s.d.Registry = NewRegistry()
	}
	if s.d.Authorizer == nil {
		s.d.Authorizer = NewAuthorizer(s.d.Roles, s.d.Hierarchy)
	}
	return s
}

// Registry returns the registry roles are validated against.
func (s *Service) Registry() *Registry { return s.d.Registry }

// Authorizer returns the authorizer the Service decides with.
func (s *Service) Authorizer() *Authorizer { return s.d.Authorizer }

// DefaultRoleCode returns the configured default role code.
func (s *Service) DefaultRoleCode() string { return s.defaultCode }

// Input is a new role.
type Input struct {
	// Label is trimmed; 3–255 characters, unique per (organization,
	// customer). The immutable code is derived from it.
	Label string
	// CustomerID is uuid.Nil for a predefined role. Storefront actors
	// always create roles of a customer: Nil means their own.
	CustomerID uuid.UUID
	// SelfManaged and Public are forced to true for storefront actors.
	SelfManaged  bool
	Public       bool
	Grants       []Grant
	Capabilities []string
}

// Patch changes a role; nil fields are left alone. Grants and Capabilities
// replace the whole set.
type Patch struct {
	Label        *string
	CustomerID   *uuid.UUID
	SelfManaged  *bool
	Public       *bool
	Grants       *[]Grant
	Capabilities *[]string
	// ConfirmUnassign accepts that moving the role to another customer
	// removes it from the users of other customers.
	ConfirmUnassign bool
}

func (s *Service) now() time.Time { return s.clock.Now().UTC() }

func (s *Service) record(ctx context.Context, actor cu.Actor, typ string, id uuid.UUID, payload any) error {
	return s.d.Events.Append(ctx, cu.NewEvent(s.newID(), s.now(), actor, typ, SubjectType, id, payload))
}

// grants loads the actor's grants; only trusted and customer-user actors
// may manage roles.
func (s *Service) grants(ctx context.Context, actor cu.Actor) (*Grants, error) {
	if !actor.Trusted() && actor.Kind != cu.ActorCustomerUser {
		return nil, cu.Forbidden("only back-office and customer users may manage roles")
	}
	return s.d.Authorizer.Grants(ctx, actor)
}

// requireManager checks the storefront prerequisite: the manage_roles
// capability and some level of p on roles.
func requireManager(g *Grants, p Permission) error {
	if g.trusted {
		return nil
	}
	if !g.Has(CapManageRoles) || g.Level(ResourceCustomerUserRole, p) == LevelNone {
		return cu.Forbidden("you may not %s roles", p)
	}
	return nil
}

// visible reports whether a storefront actor sees r: only self-managed and
// public roles, predefined ones or those of a customer its view level
// reaches.
func visible(g *Grants, r Role) bool {
	if g.trusted {
		return true
	}
	if !r.SelfManaged || !r.Public || r.OrganizationID != g.actor.OrganizationID {
		return false
	}
	l := g.Level(ResourceCustomerUserRole, View)
	if r.Predefined() {
		return l != LevelNone
	}
	return g.InReach(l, r.CustomerID)
}

// load fetches a role the actor may see with permission p. Roles it may
// not see are reported as not found so that nothing leaks.
func (s *Service) load(ctx context.Context, g *Grants, id uuid.UUID, p Permission) (Role, error) {
	if err := requireManager(g, View); err != nil {
		return Role{}, err
	}
	r, err := s.d.Roles.Get(ctx, g.actor.OrganizationID, id)
	if errors.Is(err, cu.ErrNotFound) {
		return Role{}, cu.NotFound("role")
	}
	if err != nil {
		return Role{}, cu.Internal(err)
	}
	if !visible(g, r) {
		return Role{}, cu.NotFound("role")
	}
	if g.trusted || p == View {
		return r, nil
	}
	if err := requireManager(g, p); err != nil {
		return Role{}, err
	}
	switch {
	case r.Predefined() && p == Delete:
		return Role{}, cu.Forbidden("predefined roles cannot be deleted in the storefront")
	case r.Predefined() && p == Edit:
		// Editing makes a copy bound to the actor's customer.
		if !g.InReach(g.Level(ResourceCustomerUserRole, Create), g.actor.CustomerID) {
			return Role{}, cu.Forbidden("editing a predefined role creates a copy, and you may not create roles")
		}
	case !r.Predefined() && !g.InReach(g.Level(ResourceCustomerUserRole, p), r.CustomerID):
		return Role{}, cu.Forbidden("you may not %s this role", p)
	}
	return r, nil
}

// Get returns a role. Storefront actors see only self-managed, public
// roles that are predefined or of a customer within reach.
func (s *Service) Get(ctx context.Context, actor cu.Actor, id uuid.UUID) (Role, error) {
	var out Role
	err := s.d.Tx.InTx(ctx, func(ctx context.Context) error {
		g, err := s.grants(ctx, actor)
		if err != nil {
			return err
		}
		out, err = s.load(ctx, g, id, View)
		return err
	})
	return out, err
}

// List pages the roles of the actor's organization sorted by label. For
// storefront actors the filter is narrowed to what they may see:
// self-managed public roles, predefined or of customers within reach.
func (s *Service) List(ctx context.Context, actor cu.Actor, f Filter, p cu.Page) (cu.PageOf[Role], error) {
	var out cu.PageOf[Role]
	p, err := p.Normalize()
	if err != nil {
		return out, err
	}
	err = s.d.Tx.InTx(ctx, func(ctx context.Context) error {
		g, err := s.grants(ctx, actor)
		if err != nil {
			return err
		}
		if err := requireManager(g, View); err != nil {
			return err
		}
		if !g.trusted {
			var ok bool
			if f, ok = storefrontFilter(g, f); !ok {
				out = cu.PageOf[Role]{Items: []Role{}}
				return nil
			}
		}
		out, err = s.d.Roles.List(ctx, actor.OrganizationID, f, p)
		if err != nil {
			return cu.Internal(err)
		}
		if !g.trusted {
			// Defence in depth: never show what the actor may not see,
			// whatever the storage did with the filter.
			out.Items = slices.DeleteFunc(out.Items, func(r Role) bool { return !visible(g, r) || !f.matchesCustomer(r) })
		}
		return nil
	})
	return out, err
}

// storefrontFilter narrows f to the roles a storefront actor may see; ok
// is false when nothing can match.
func storefrontFilter(g *Grants, f Filter) (Filter, bool) {
	f.Storefront = true
	ids, all := g.ReachCustomers(ResourceCustomerUserRole, View)
	if all {
		return f, true
	}
	if f.PredefinedOnly {
		f.CustomerID, f.CustomerIDs = uuid.Nil, nil
		return f, true
	}
	var want []uuid.UUID
	switch {
	case f.CustomerID != uuid.Nil:
		if slices.Contains(ids, f.CustomerID) {
			want = []uuid.UUID{f.CustomerID}
		}
	case len(f.CustomerIDs) > 0:
		for _, id := range f.CustomerIDs {
			if slices.Contains(ids, id) {
				want = append(want, id)
			}
		}
	default:
		want, f.IncludePredefined = ids, true
	}
	f.CustomerID, f.CustomerIDs = uuid.Nil, want
	if len(want) == 1 {
		f.CustomerID, f.CustomerIDs = want[0], nil
	}
	if len(want) == 0 {
		if !f.IncludePredefined {
			return f, false
		}
		f.PredefinedOnly = true
	}
	return f, true
}

// matchesCustomer reports whether r passes the customer part of f.
func (f Filter) matchesCustomer(r Role) bool {
	switch {
	case f.PredefinedOnly:
		return r.Predefined()
	case len(f.CustomerIDs) > 0:
		return slices.Contains(f.CustomerIDs, r.CustomerID) || f.IncludePredefined && r.Predefined()
	case f.CustomerID != uuid.Nil:
		return r.CustomerID == f.CustomerID || f.IncludePredefined && r.Predefined()
	}
	return true
}

// Create adds a role. The code is derived from the label (see
// CodeFromLabel), with a short suffix when taken, and never changes. A
// storefront actor needs manage_roles and create on roles reaching the
// role's customer; its roles are always self-managed and public, and may
// not grant more than it holds.
func (s *Service) Create(ctx context.Context, actor cu.Actor, in Input) (Role, error) {
	r, err := s.create(ctx, actor, in)
	if codeTaken(err) {
		// A concurrent create took the code generated from the label after
		// our check: run again, so the checks see the winner (a taken label
		// is then reported as such, or the code gets a suffix).
		r, err = s.create(ctx, actor, in)
	}
	return r, err
}

// codeTaken reports whether err is the storage's unique-code violation.
func codeTaken(err error) bool {
	var e *cu.Error
	if !errors.As(err, &e) || e.Code != cu.CodeInvalid {
		return false
	}
	v, ok := e.Violation("code")
	return ok && v.Rule == "unique"
}

func (s *Service) create(ctx context.Context, actor cu.Actor, in Input) (Role, error) {
	var out Role
	err := s.d.Tx.InTx(ctx, func(ctx context.Context) error {
		g, err := s.grants(ctx, actor)
		if err != nil {
			return err
		}
		r := Role{
			OrganizationID: actor.OrganizationID,
			Label:          strings.TrimSpace(in.Label),
			CustomerID:     in.CustomerID,
			SelfManaged:    in.SelfManaged,
			Public:         in.Public,
		}
		if !g.trusted {
			if err := requireManager(g, Create); err != nil {
				return err
			}
			if r.CustomerID == uuid.Nil {
				r.CustomerID = actor.CustomerID
			}
			r.SelfManaged, r.Public = true, true
		}
		var v cu.Violations
		if err := s.checkCustomer(ctx, g, &v, Create, r.CustomerID); err != nil {
			return err
		}
		if err := s.checkContent(ctx, g, &v, r, uuid.Nil, in.Grants, in.Capabilities); err != nil {
			return err
		}
		if err := v.Err(); err != nil {
			return err
		}
		r.Grants, r.Capabilities = s.d.Registry.normalize(in.Grants, in.Capabilities)
		r.ID = s.newID()
		r.CreatedAt, r.UpdatedAt, r.Version = s.now(), s.now(), 1
		if r.Code, err = s.newCode(ctx, r.OrganizationID, r.Label, r.ID); err != nil {
			return err
		}
		if err := s.d.Roles.Create(ctx, r); err != nil {
			return cu.Internal(err)
		}
		if err := s.record(ctx, actor, EventCreated, r.ID, snapshotOf(r, uuid.Nil)); err != nil {
			return cu.Internal(err)
		}
		out = r
		return nil
	})
	return out, err
}

// checkCustomer validates the customer of a role: it must exist, and for a
// storefront actor be set and within the reach of permission p on roles.
// An unknown and an unreachable customer give the same error, so that
// nothing leaks.
func (s *Service) checkCustomer(ctx context.Context, g *Grants, v *cu.Violations, p Permission, id uuid.UUID) error {
	if !g.trusted {
		if id == uuid.Nil {
			v.Add("customerId", "required", "A role managed in the storefront belongs to a customer.")
		} else if !g.InReach(g.Level(ResourceCustomerUserRole, p), id) {
			v.Add("customerId", "not_found", "Customer not found.")
		}
		return nil
	}
	if id == uuid.Nil {
		return nil
	}
	ok, err := s.customerExists(ctx, g.actor.OrganizationID, id)
	if err != nil {
		return err
	}
	if !ok {
		v.Add("customerId", "not_found", "Customer not found.")
	}
	return nil
}

func (s *Service) customerExists(ctx context.Context, org, id uuid.UUID) (bool, error) {
	ids, err := s.d.Hierarchy.Subtree(ctx, org, id)
	if errors.Is(err, cu.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, cu.Internal(err)
	}
	return slices.Contains(ids, id), nil
}

// checkContent validates the label (of r, for r's customer, ignoring role
// except), grants and capabilities, and for storefront actors the
// no-escalation rule.
func (s *Service) checkContent(ctx context.Context, g *Grants, v *cu.Violations, r Role, except uuid.UUID, grants []Grant, caps []string) error {
	if validLabel(v, r.Label) {
		taken, err := s.labelTaken(ctx, r.OrganizationID, r.CustomerID, r.Label, except)
		if err != nil {
			return err
		}
		if taken {
			v.Add("label", "unique", "A role with this label already exists for this customer.")
		}
	}
	bad := s.d.Registry.Validate(grants, caps)
	*v = append(*v, bad...)
	if len(bad) == 0 {
		*v = append(*v, g.Escalations(grants, caps)...)
	}
	return nil
}

func validLabel(v *cu.Violations, label string) bool {
	switch n := utf8.RuneCountInString(label); {
	case n == 0:
		v.Add("label", "required", "The label is required.")
	case n < 3:
		v.Add("label", "min_length", "The label must have at least 3 characters.")
	case n > 255:
		v.Add("label", "max_length", "The label must have at most 255 characters.")
	default:
		return true
	}
	return false
}

// labelTaken reports whether another role of the same customer (or
// another predefined role) has the label, compared case-insensitively.
// The repository's unique index backs this pre-check.
func (s *Service) labelTaken(ctx context.Context, org, customer uuid.UUID, label string, except uuid.UUID) (bool, error) {
	f := Filter{Label: label, CustomerID: customer, PredefinedOnly: customer == uuid.Nil}
	p := cu.Page{Limit: cu.MaxPageLimit}
	for {
		page, err := s.d.Roles.List(ctx, org, f, p)
		if err != nil {
			return false, cu.Internal(err)
		}
		for _, r := range page.Items {
			if r.ID != except && r.CustomerID == customer && strings.EqualFold(r.Label, label) {
				return true, nil
			}
		}
		if page.NextCursor == "" {
			return false, nil
		}
		p.Cursor = page.NextCursor
	}
}

// newCode returns a code for a new role: the label's code, or, when that
// is taken in the organization, the same with a short suffix drawn from
// the role's id.
func (s *Service) newCode(ctx context.Context, org uuid.UUID, label string, id uuid.UUID) (string, error) {
	base := CodeFromLabel(label)
	tail := strings.ToUpper(hex.EncodeToString(id[10:]))
	for i := 0; ; i++ {
		c := base
		switch {
		case i == 1:
			c = base + "_" + tail[:6]
		case i == 2:
			c = base + "_" + tail
		case i > 2:
			c = fmt.Sprintf("%s_%s_%d", base, tail, i-1)
		}
		_, err := s.d.Roles.GetByCode(ctx, org, c)
		if errors.Is(err, cu.ErrNotFound) {
			return c, nil
		}
		if err != nil {
			return "", cu.Internal(err)
		}
	}
}

// Update changes a role stored at expectedVersion (else cu.ErrStale);
// expectedVersion 0 means "no optimistic check", as everywhere in the
// library: the role is changed at whatever version it is.
// Moving it to another customer (or giving a predefined role a customer)
// removes it from users of other customers: refused with a conflict unless
// p.ConfirmUnassign, and refused as invalid (customerId, last_role) when an
// enabled user would be left without roles. A storefront actor editing a
// predefined role gets a copy bound to its customer instead, with the patch
// applied and its customer's holders moved to it; the copy is returned. A
// storefront actor may not leave a role granting more than it holds, even
// when it changes only the label; it cannot make a role non-public or not
// self-managed, nor move it out of its reach.
func (s *Service) Update(ctx context.Context, actor cu.Actor, id uuid.UUID, p Patch, expectedVersion int64) (Role, error) {
	var out Role
	err := s.d.Tx.InTx(ctx, func(ctx context.Context) error {
		g, err := s.grants(ctx, actor)
		if err != nil {
			return err
		}
		cur, err := s.load(ctx, g, id, Edit)
		if err != nil {
			return err
		}
		if expectedVersion != 0 && cur.Version != expectedVersion {
			return cu.Stale("role")
		}
		if !g.trusted && cur.Predefined() {
			out, err = s.copyPredefined(ctx, g, cur, p)
			return err
		}
		next, v, err := s.applyPatch(ctx, g, cur, p)
		if err != nil {
			return err
		}
		var outside []Holder
		if next.CustomerID != cur.CustomerID && next.CustomerID != uuid.Nil {
			if outside, err = s.d.Holders.HoldersOutside(ctx, cur.OrganizationID, cur.ID, next.CustomerID); err != nil {
				return cu.Internal(err)
			}
			last := 0
			for _, h := range outside {
				if h.Enabled && h.RoleCount <= 1 {
					last++
				}
			}
			if last > 0 {
				v.Addf("customerId", "last_role", "You cannot remove last role from %d enabled users", last)
			}
		}
		if err := v.Err(); err != nil {
			return err
		}
		if len(outside) > 0 && !p.ConfirmUnassign {
			return cu.Conflict("moving the role to another customer would unassign it from %d users of other customers; confirm to proceed", len(outside))
		}
		changes := diff(cur, next)
		if len(changes) == 0 {
			out = cur
			return nil
		}
		next.UpdatedAt = s.now()
		if err := s.d.Roles.Update(ctx, next, cur.Version); err != nil {
			return cu.Internal(err)
		}
		next.Version = cur.Version + 1
		ids := make([]uuid.UUID, len(outside))
		for i, h := range outside {
			ids[i] = h.UserID
		}
		if len(ids) > 0 {
			if err := s.d.Holders.Unassign(ctx, cur.OrganizationID, cur.ID, ids); err != nil {
				return cu.Internal(err)
			}
		}
		if err := s.record(ctx, actor, EventUpdated, next.ID, map[string]any{"changes": changes}); err != nil {
			return cu.Internal(err)
		}
		if len(ids) > 0 {
			payload := map[string]any{"customerId": next.CustomerID, "userIds": ids, "count": len(ids)}
			if err := s.record(ctx, actor, EventUsersUnassigned, next.ID, payload); err != nil {
				return cu.Internal(err)
			}
		}
		out = next
		return nil
	})
	return out, err
}

// applyPatch returns cur with p applied and the violations found.
func (s *Service) applyPatch(ctx context.Context, g *Grants, cur Role, p Patch) (Role, cu.Violations, error) {
	next := cur
	next.Grants, next.Capabilities = slices.Clone(cur.Grants), slices.Clone(cur.Capabilities)
	var v cu.Violations
	if p.Label != nil {
		next.Label = strings.TrimSpace(*p.Label)
	}
	if !g.trusted {
		if p.SelfManaged != nil && !*p.SelfManaged {
			v.Add("selfManaged", "not_allowed", "Roles managed in the storefront stay self-managed.")
		}
		if p.Public != nil && !*p.Public {
			v.Add("public", "not_allowed", "Roles managed in the storefront stay public.")
		}
	} else {
		if p.SelfManaged != nil {
			next.SelfManaged = *p.SelfManaged
		}
		if p.Public != nil {
			next.Public = *p.Public
		}
	}
	if p.CustomerID != nil && *p.CustomerID != cur.CustomerID {
		next.CustomerID = *p.CustomerID
		if err := s.checkCustomer(ctx, g, &v, Edit, next.CustomerID); err != nil {
			return next, v, err
		}
	}
	grants, caps := next.Grants, next.Capabilities
	if p.Grants != nil {
		grants = *p.Grants
	}
	if p.Capabilities != nil {
		caps = *p.Capabilities
	}
	// The label is checked when it or the customer changes; grants and
	// capabilities always (a storefront actor may not keep or hand out
	// more than it holds).
	labelOrCustomer := next.Label != cur.Label || next.CustomerID != cur.CustomerID
	check := next
	if !labelOrCustomer {
		check.Label = "" // skip the label checks below
	}
	var cv cu.Violations
	if err := s.checkContent(ctx, g, &cv, check, cur.ID, grants, caps); err != nil {
		return next, v, err
	}
	for _, x := range cv {
		if !labelOrCustomer && x.Field == "label" {
			continue
		}
		if p.Grants == nil && strings.HasPrefix(x.Field, "grants[") && x.Rule != "escalation" {
			continue // stored grants registered by a host that later left
		}
		if p.Capabilities == nil && strings.HasPrefix(x.Field, "capabilities[") && x.Rule != "escalation" {
			continue
		}
		v = append(v, x)
	}
	next.Grants, next.Capabilities = s.d.Registry.normalize(grants, caps)
	return next, v, nil
}

// copyPredefined makes the storefront copy of predefined role src for the
// actor's customer, applies p to it and moves the holders of the actor's
// customer from src to the copy.
func (s *Service) copyPredefined(ctx context.Context, g *Grants, src Role, p Patch) (Role, error) {
	actor := g.actor
	base := src
	base.ID = uuid.Nil
	base.CustomerID = actor.CustomerID
	base.SelfManaged, base.Public = true, true
	var v cu.Violations
	if p.CustomerID != nil && *p.CustomerID != actor.CustomerID {
		v.Add("customerId", "not_allowed", "A copy of a predefined role belongs to your own customer.")
		p.CustomerID = nil
	}
	// Treat the copy as a change of customer so that its label is checked
	// against the roles of the actor's customer.
	from := base
	from.CustomerID = uuid.Nil
	c, pv, err := s.applyPatch(ctx, g, from, Patch{Label: p.Label, SelfManaged: p.SelfManaged, Public: p.Public,
		Grants: p.Grants, Capabilities: p.Capabilities, CustomerID: &actor.CustomerID})
	if err != nil {
		return Role{}, err
	}
	v = append(v, pv...)
	if err := v.Err(); err != nil {
		return Role{}, err
	}
	c.ID = s.newID()
	c.SelfManaged, c.Public = true, true
	c.CreatedAt, c.UpdatedAt, c.Version = s.now(), s.now(), 1
	if c.Code, err = s.newCode(ctx, c.OrganizationID, c.Label, c.ID); err != nil {
		return Role{}, err
	}
	if err := s.d.Roles.Create(ctx, c); err != nil {
		return Role{}, cu.Internal(err)
	}
	moved, err := s.d.Holders.Replace(ctx, c.OrganizationID, src.ID, c.ID, []uuid.UUID{actor.CustomerID})
	if err != nil {
		return Role{}, cu.Internal(err)
	}
	if err := s.record(ctx, actor, EventCreated, c.ID, snapshotOf(c, src.ID)); err != nil {
		return Role{}, cu.Internal(err)
	}
	payload := map[string]any{"sourceId": src.ID, "sourceCode": src.Code, "customerId": c.CustomerID, "movedUsers": moved}
	if err := s.record(ctx, actor, EventCopied, c.ID, payload); err != nil {
		return Role{}, cu.Internal(err)
	}
	return c, nil
}

// Delete removes a role stored at expectedVersion (else cu.ErrStale);
// expectedVersion 0 means "no optimistic check". It is refused
// (conflict) while users hold the role or when it is the configured
// default role; storefront actors never delete predefined roles.
func (s *Service) Delete(ctx context.Context, actor cu.Actor, id uuid.UUID, expectedVersion int64) error {
	return s.d.Tx.InTx(ctx, func(ctx context.Context) error {
		g, err := s.grants(ctx, actor)
		if err != nil {
			return err
		}
		r, err := s.load(ctx, g, id, Delete)
		if err != nil {
			return err
		}
		if expectedVersion != 0 && r.Version != expectedVersion {
			return cu.Stale("role")
		}
		if r.Code == s.defaultCode {
			return cu.Conflict("role %s is the default role for new users and cannot be deleted", r.Code)
		}
		n, err := s.d.Holders.CountHolders(ctx, r.OrganizationID, r.ID)
		if err != nil {
			return cu.Internal(err)
		}
		if n > 0 {
			return cu.Conflict("role %s is held by %d users; reassign them first", r.Code, n)
		}
		if err := s.d.Roles.Delete(ctx, r.OrganizationID, r.ID); err != nil {
			return cu.Internal(err)
		}
		return cu.Internal(s.record(ctx, actor, EventDeleted, r.ID, snapshotOf(r, uuid.Nil)))
	})
}

// DefaultRole returns the role given to new users without one.
func (s *Service) DefaultRole(ctx context.Context, org uuid.UUID) (Role, error) {
	r, err := s.d.Roles.GetByCode(ctx, org, s.defaultCode)
	if errors.Is(err, cu.ErrNotFound) {
		return Role{}, cu.NotFound("default role " + s.defaultCode)
	}
	if err != nil {
		return Role{}, cu.Internal(err)
	}
	return r, nil
}

// Explain tells which of the actor's roles grant what.
func (s *Service) Explain(ctx context.Context, actor cu.Actor) (Explanation, error) {
	g, err := s.d.Authorizer.Grants(ctx, actor)
	if err != nil {
		return Explanation{}, err
	}
	return g.Explain(s.d.Registry), nil
}

// Seed creates the standard roles of an organization unless they exist
// (by code), and returns the three of them: Administrator (every
// registered permission at its widest level, every capability), Buyer (the
// default role: view customer users of its customer, manage its own
// addresses and OAuth applications, accept consents) and the non-public
// Anonymous role. A second call creates nothing.
func (s *Service) Seed(ctx context.Context, org uuid.UUID) ([]Role, error) {
	actor := cu.SystemActor(org)
	var out []Role
	err := s.d.Tx.InTx(ctx, func(ctx context.Context) error {
		out = nil
		for _, r := range s.seedRoles(org) {
			got, err := s.d.Roles.GetByCode(ctx, org, r.Code)
			if err == nil {
				out = append(out, got)
				continue
			}
			if !errors.Is(err, cu.ErrNotFound) {
				return cu.Internal(err)
			}
			r.ID = s.newID()
			r.CreatedAt, r.UpdatedAt, r.Version = s.now(), s.now(), 1
			if err := s.d.Roles.Create(ctx, r); err != nil {
				return cu.Internal(err)
			}
			if err := s.record(ctx, actor, EventCreated, r.ID, snapshotOf(r, uuid.Nil)); err != nil {
				return cu.Internal(err)
			}
			out = append(out, r)
		}
		return nil
	})
	return out, err
}

func (s *Service) seedRoles(org uuid.UUID) []Role {
	var admin []Grant
	for _, res := range s.d.Registry.Resources() {
		for _, p := range res.Permissions {
			admin = append(admin, Grant{Resource: res.Name, Permission: p, Level: MaxLevel(res.Ownership)})
		}
	}
	buyer := []Grant{{ResourceCustomerUser, View, LevelDepartment}}
	for _, res := range []string{ResourceCustomerUserAddress, ResourceOAuthApplication} {
		for _, p := range []Permission{View, Create, Edit, Delete} {
			buyer = append(buyer, Grant{res, p, LevelUser})
		}
	}
	buyer = append(buyer, Grant{ResourceConsentAcceptance, View, LevelUser}, Grant{ResourceConsentAcceptance, Create, LevelUser})
	return []Role{
		{OrganizationID: org, Code: AdministratorRoleCode, Label: "Administrator", SelfManaged: true, Public: true,
			Grants: admin, Capabilities: s.d.Registry.Capabilities()},
		{OrganizationID: org, Code: DefaultRoleCode, Label: "Buyer", SelfManaged: true, Public: true,
			Grants: buyer, Capabilities: []string{CapUpdateOwnProfile, CapManageOAuthApps}},
		{OrganizationID: org, Code: AnonymousRoleCode, Label: "Anonymous", Grants: []Grant{}, Capabilities: []string{}},
	}
}

// snapshot is the event payload describing a whole role.
type snapshot struct {
	Code         string     `json:"code"`
	Label        string     `json:"label"`
	CustomerID   *uuid.UUID `json:"customerId"`
	SelfManaged  bool       `json:"selfManaged"`
	Public       bool       `json:"public"`
	Grants       []Grant    `json:"grants"`
	Capabilities []string   `json:"capabilities"`
	CopiedFrom   *uuid.UUID `json:"copiedFrom,omitempty"`
}

func snapshotOf(r Role, copiedFrom uuid.UUID) snapshot {
	sn := snapshot{Code: r.Code, Label: r.Label, CustomerID: customerRef(r.CustomerID), SelfManaged: r.SelfManaged,
		Public: r.Public, Grants: r.Grants, Capabilities: r.Capabilities}
	if copiedFrom != uuid.Nil {
		sn.CopiedFrom = &copiedFrom
	}
	return sn
}

func customerRef(id uuid.UUID) *uuid.UUID {
	if id == uuid.Nil {
		return nil
	}
	return &id
}

// diff lists the field-level changes from a to b.
func diff(a, b Role) []cu.Change {
	var c []cu.Change
	if a.Label != b.Label {
		c = append(c, cu.Change{Field: "label", Before: a.Label, After: b.Label})
	}
	if a.CustomerID != b.CustomerID {
		c = append(c, cu.Change{Field: "customerId", Before: customerRef(a.CustomerID), After: customerRef(b.CustomerID)})
	}
	if a.SelfManaged != b.SelfManaged {
		c = append(c, cu.Change{Field: "selfManaged", Before: a.SelfManaged, After: b.SelfManaged})
	}
	if a.Public != b.Public {
		c = append(c, cu.Change{Field: "public", Before: a.Public, After: b.Public})
	}
	if !slices.Equal(a.Grants, b.Grants) {
		c = append(c, cu.Change{Field: "grants", Before: a.Grants, After: b.Grants})
	}
	if !slices.Equal(a.Capabilities, b.Capabilities) {
		c = append(c, cu.Change{Field: "capabilities", Before: a.Capabilities, After: b.Capabilities})
	}
	return c
}
