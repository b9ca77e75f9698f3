package customeruser

import (
	"context"
	"slices"

	"github.com/google/uuid"

	cu "github.com/b2bkit/customerusers"
	"github.com/b2bkit/customerusers/role"
)

// Reference data of an import batch: repositories that answer the look-ups
// of the service rules from what was loaded for the batch in a few round
// trips, and pass anything else through to the real repository. They are
// used by one goroutine.

// importUserCache answers Get and GetByEmailKey from the users loaded for a
// batch (matched by id or e-mail).
type importUserCache struct {
	UserRepository
	org  uuid.UUID
	byID map[uuid.UUID]User
	// byKey maps an EmailKey to the non-guest user holding it, uuid.Nil
	// when no user does.
	byKey map[string]uuid.UUID
}

func (c *importUserCache) Get(ctx context.Context, org, id uuid.UUID) (User, error) {
	if org == c.org {
		if u, ok := c.byID[id]; ok {
			return userCopy(u), nil
		}
	}
	return c.UserRepository.Get(ctx, org, id)
}

func (c *importUserCache) GetByEmailKey(ctx context.Context, org uuid.UUID, key string) (User, error) {
	if org == c.org {
		if id, ok := c.byKey[key]; ok {
			if id == uuid.Nil {
				return User{}, cu.NotFound("customer user")
			}
			return userCopy(c.byID[id]), nil
		}
	}
	return c.UserRepository.GetByEmailKey(ctx, org, key)
}

// add records a loaded user.
func (c *importUserCache) add(u User) {
	c.byID[u.ID] = u
	if !u.Guest {
		c.byKey[u.EmailKey] = u.ID
	}
}

// loadImportUsers loads the users with the given ids and the non-guest
// users with the given EmailKeys: ids in pages of the list API, keys in one
// call when the storage implements BatchUserReader, one by one otherwise.
func (s *Service) loadImportUsers(ctx context.Context, org uuid.UUID, ids []uuid.UUID, keys []string) (*importUserCache, error) {
	c := &importUserCache{UserRepository: s.d.Users, org: org, byID: map[uuid.UUID]User{}, byKey: map[string]uuid.UUID{}}
	for start := 0; start < len(ids); start += cu.MaxPageLimit {
		chunk := ids[start:min(start+cu.MaxPageLimit, len(ids))]
		page, err := s.d.Users.List(ctx, org, UserFilter{IDs: chunk}, cu.Page{Limit: cu.MaxPageLimit})
		if err != nil {
			return nil, cu.Internal(err)
		}
		for _, u := range page.Items {
			c.add(u)
		}
	}
	var missing []string
	for _, k := range keys {
		if _, ok := c.byKey[k]; !ok {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		if br, ok := s.d.Users.(BatchUserReader); ok {
			users, err := br.GetManyByEmailKeys(ctx, org, missing)
			if err != nil {
				return nil, cu.Internal(err)
			}
			for _, u := range users {
				if u.OrganizationID == org && !u.Guest {
					c.add(u)
				}
			}
		} else {
			for _, k := range missing {
				u, err := s.d.Users.GetByEmailKey(ctx, org, k)
				switch {
				case cu.CodeOf(err) == cu.CodeNotFound:
				case err != nil:
					return nil, cu.Internal(err)
				default:
					c.add(u)
				}
			}
		}
		for _, k := range missing {
			if _, ok := c.byKey[k]; !ok {
				c.byKey[k] = uuid.Nil
			}
		}
	}
	return c, nil
}

// importCustomerCache answers Get from the customers loaded for a batch;
// a nil entry is a customer known not to exist.
type importCustomerCache struct {
	CustomerRepository
	org  uuid.UUID
	byID map[uuid.UUID]*Customer
}

func (c *importCustomerCache) Get(ctx context.Context, org, id uuid.UUID) (Customer, error) {
	if org == c.org {
		if x, ok := c.byID[id]; ok {
			if x == nil {
				return Customer{}, cu.NotFound("customer")
			}
			out := *x
			out.SalesRepIDs = slices.Clone(x.SalesRepIDs)
			return out, nil
		}
	}
	return c.CustomerRepository.Get(ctx, org, id)
}

// loadImportCustomers loads customers by id in one call.
func (s *Service) loadImportCustomers(ctx context.Context, org uuid.UUID, ids []uuid.UUID) (*importCustomerCache, error) {
	c := &importCustomerCache{CustomerRepository: s.d.Customers, org: org, byID: map[uuid.UUID]*Customer{}}
	if len(ids) == 0 {
		return c, nil
	}
	cs, err := s.d.Customers.GetMany(ctx, org, ids)
	if err != nil {
		return nil, cu.Internal(err)
	}
	for i := range cs {
		if cs[i].OrganizationID == org {
			c.byID[cs[i].ID] = &cs[i]
		}
	}
	for _, id := range ids {
		if _, ok := c.byID[id]; !ok {
			c.byID[id] = nil
		}
	}
	return c, nil
}

// importRoleCache answers Get, GetByCode and GetMany from the roles loaded
// for a batch, loading what it misses once; a nil entry is a role known not
// to exist.
type importRoleCache struct {
	role.Repository
	org    uuid.UUID
	byID   map[uuid.UUID]*role.Role
	byCode map[string]*role.Role
}

func (c *importRoleCache) put(r role.Role) {
	c.byID[r.ID] = &r
	c.byCode[r.Code] = &r
}

func (c *importRoleCache) Get(ctx context.Context, org, id uuid.UUID) (role.Role, error) {
	if org == c.org {
		if r, ok := c.byID[id]; ok {
			if r == nil {
				return role.Role{}, cu.NotFound("role")
			}
			return *r, nil
		}
	}
	return c.Repository.Get(ctx, org, id)
}

func (c *importRoleCache) GetByCode(ctx context.Context, org uuid.UUID, code string) (role.Role, error) {
	if org != c.org {
		return c.Repository.GetByCode(ctx, org, code)
	}
	if r, ok := c.byCode[code]; ok {
		if r == nil {
			return role.Role{}, cu.NotFound("role")
		}
		return *r, nil
	}
	r, err := c.Repository.GetByCode(ctx, org, code)
	switch {
	case cu.CodeOf(err) == cu.CodeNotFound:
		c.byCode[code] = nil
		return role.Role{}, err
	case err != nil:
		return role.Role{}, err
	}
	c.put(r)
	return r, nil
}

func (c *importRoleCache) GetMany(ctx context.Context, org uuid.UUID, ids []uuid.UUID) ([]role.Role, error) {
	if org != c.org {
		return c.Repository.GetMany(ctx, org, ids)
	}
	var out []role.Role
	var miss []uuid.UUID
	for _, id := range ids {
		r, ok := c.byID[id]
		switch {
		case !ok:
			if !slices.Contains(miss, id) {
				miss = append(miss, id)
			}
		case r != nil:
			out = append(out, *r)
		}
	}
	if len(miss) == 0 {
		return out, nil
	}
	found, err := c.Repository.GetMany(ctx, org, miss)
	if err != nil {
		return nil, err
	}
	for _, r := range found {
		if r.OrganizationID == org {
			c.put(r)
			out = append(out, r)
		}
	}
	for _, id := range miss {
		if _, ok := c.byID[id]; !ok {
			c.byID[id] = nil
		}
	}
	return out, nil
}

// importSites caches the answers of the host's Sites directory for one
// import (websites do not change while a file is read).
type importSites struct {
	Sites
	org  uuid.UUID
	byID map[uuid.UUID]importSite
	def  *importSite
}

type importSite struct {
	w   Website
	err error
}

func (c *importSites) answer(x importSite) (Website, error) {
	w := x.w
	w.Localizations = slices.Clone(w.Localizations)
	return w, x.err
}

// cacheable reports whether a Sites answer may be kept: a website or "not
// found", never a transient failure.
func cacheable(err error) bool { return err == nil || cu.CodeOf(err) == cu.CodeNotFound }

func (c *importSites) Website(ctx context.Context, org, id uuid.UUID) (Website, error) {
	if org != c.org {
		return c.Sites.Website(ctx, org, id)
	}
	if x, ok := c.byID[id]; ok {
		return c.answer(x)
	}
	w, err := c.Sites.Website(ctx, org, id)
	if cacheable(err) {
		c.byID[id] = importSite{w: w, err: err}
	}
	return w, err
}

func (c *importSites) DefaultWebsite(ctx context.Context, org uuid.UUID) (Website, error) {
	if org != c.org {
		return c.Sites.DefaultWebsite(ctx, org)
	}
	if c.def != nil {
		return c.answer(*c.def)
	}
	w, err := c.Sites.DefaultWebsite(ctx, org)
	if cacheable(err) {
		c.def = &importSite{w: w, err: err}
	}
	return w, err
}
