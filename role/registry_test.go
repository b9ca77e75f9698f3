package role_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	cu "github.com/b2bkit/customerusers"
	"github.com/b2bkit/customerusers/role"
)

func TestNewRegistryHoldsTheLibraryResources(t *testing.T) {
	reg := role.NewRegistry()
	crud := []role.Permission{role.View, role.Create, role.Edit, role.Delete}
	crudAssign := append(crud[:4:4], role.Assign)
	want := []struct {
		name  string
		own   role.Ownership
		perms []role.Permission
	}{
		{role.ResourceCustomerUser, role.OwnedByCustomer, crudAssign},
		{role.ResourceCustomerUserAddress, role.OwnedByCustomerUser, crud},
		{role.ResourceCustomerUserRole, role.OwnedByCustomer, crudAssign},
		{role.ResourceCustomer, role.OwnedByCustomer, crud},
		{role.ResourceCustomerAddress, role.OwnedByCustomer, crud},
		{role.ResourceOAuthApplication, role.OwnedByCustomerUser, crud},
		{role.ResourceConsentAcceptance, role.OwnedByCustomerUser, crud},
	}
	got := reg.Resources()
	require.Len(t, got, len(want))
	for i, w := range want {
		assert.Equal(t, w.name, got[i].Name)
		assert.Equal(t, w.own, got[i].Ownership, w.name)
		assert.Equal(t, w.perms, got[i].Permissions, w.name)
		assert.NotEmpty(t, got[i].Label)
		r, ok := reg.Resource(w.name)
		assert.True(t, ok)
		assert.Equal(t, got[i], r)
	}
	_, ok := reg.Resource("order")
	assert.False(t, ok)
	assert.Equal(t, []string{role.CapManageUsers, role.CapManageRoles, role.CapUpdateOwnProfile, role.CapManagePasswords,
		role.CapViewAuditHistory, role.CapShareDataView, role.CapManageOAuthApps}, reg.Capabilities())

	// Results are copies.
	got[0].Permissions[0] = "mutated"
	r, _ := reg.Resource(role.ResourceCustomerUser)
	assert.Equal(t, role.View, r.Permissions[0])
}

func TestRegistryRegister(t *testing.T) {
	tests := []struct {
		name  string
		res   role.Resource
		field string
		rule  string
	}{
		{"upper case name", role.Resource{Name: "Order", Permissions: []role.Permission{role.View}}, "name", "format"},
		{"empty name", role.Resource{Permissions: []role.Permission{role.View}}, "name", "format"},
		{"leading digit", role.Resource{Name: "1order", Permissions: []role.Permission{role.View}}, "name", "format"},
		{"space", role.Resource{Name: "shopping list", Permissions: []role.Permission{role.View}}, "name", "format"},
		{"duplicate", role.Resource{Name: role.ResourceCustomer, Permissions: []role.Permission{role.View}}, "name", "unique"},
		{"no permission", role.Resource{Name: "order"}, "permissions", "required"},
		{"bad permission", role.Resource{Name: "order", Permissions: []role.Permission{"View"}}, "permissions[0]", "format"},
		{"duplicate permission", role.Resource{Name: "order", Permissions: []role.Permission{role.View, role.View}}, "permissions[1]", "duplicate"},
		{"unknown ownership", role.Resource{Name: "order", Ownership: 9, Permissions: []role.Permission{role.View}}, "ownership", "unknown_ownership"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reg := role.NewRegistry()
			before := reg.Resources()
			assertViolation(t, reg.Register(tt.res), tt.field, tt.rule)
			assert.Equal(t, before, reg.Resources())
		})
	}

	reg := role.NewRegistry()
	require.NoError(t, reg.Register(role.Resource{Name: "order", Ownership: role.OwnedByCustomerUser,
		Permissions: []role.Permission{role.View, role.Create, "approve"}}))
	got, ok := reg.Resource("order")
	require.True(t, ok)
	assert.Equal(t, "order", got.Label, "label defaults to the name")
	assert.Equal(t, "order", reg.Resources()[7].Name, "host resources come after the library's")
}

func TestRegistryRegisterCapability(t *testing.T) {
	reg := role.NewRegistry()
	require.NoError(t, reg.RegisterCapability("approve_orders"))
	assert.Contains(t, reg.Capabilities(), "approve_orders")
	assertViolation(t, reg.RegisterCapability("approve_orders"), "name", "unique")
	assertViolation(t, reg.RegisterCapability(role.CapManageUsers), "name", "unique")
	assertViolation(t, reg.RegisterCapability("Approve Orders"), "name", "format")
	assertViolation(t, reg.RegisterCapability(""), "name", "format")
	assert.Len(t, reg.Capabilities(), 8)
}

func TestRegistryIsSafeForConcurrentUse(t *testing.T) {
	reg := role.NewRegistry()
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			assert.NoError(t, reg.Register(role.Resource{Name: fmt.Sprintf("res_%d", i), Permissions: []role.Permission{role.View}}))
			assert.NoError(t, reg.RegisterCapability(fmt.Sprintf("cap_%d", i)))
			_ = reg.Resources()
			_ = reg.Capabilities()
			_ = reg.Validate([]role.Grant{g(fmt.Sprintf("res_%d", i), role.View, role.LevelFull)}, nil)
		})
	}
	wg.Wait()
	assert.Len(t, reg.Resources(), 15)
	assert.Len(t, reg.Capabilities(), 15)
}

func TestAllowedLevelsPerOwnership(t *testing.T) {
	assert.Equal(t, []role.Level{role.LevelNone, role.LevelFull}, role.AllowedLevels(role.Unowned))
	assert.Equal(t, []role.Level{role.LevelNone, role.LevelUser, role.LevelDepartment, role.LevelCorporate},
		role.AllowedLevels(role.OwnedByCustomerUser))
	assert.Equal(t, []role.Level{role.LevelNone, role.LevelDepartment, role.LevelCorporate},
		role.AllowedLevels(role.OwnedByCustomer))
	assert.Empty(t, role.AllowedLevels(role.Ownership(7)))

	for _, o := range []role.Ownership{role.Unowned, role.OwnedByCustomerUser, role.OwnedByCustomer} {
		for l := role.LevelNone; l <= role.LevelFull; l++ {
			assert.Equal(t, contains(role.AllowedLevels(o), l), role.LevelAllowed(o, l), "%s %s", o, l)
		}
	}
	assert.Equal(t, role.LevelFull, role.MaxLevel(role.Unowned))
	assert.Equal(t, role.LevelCorporate, role.MaxLevel(role.OwnedByCustomer))
	assert.Equal(t, role.LevelCorporate, role.MaxLevel(role.OwnedByCustomerUser))
}

func contains(ls []role.Level, l role.Level) bool {
	for _, x := range ls {
		if x == l {
			return true
		}
	}
	return false
}

func TestLevelNamesAndJSON(t *testing.T) {
	names := map[role.Level]string{role.LevelNone: "none", role.LevelUser: "user", role.LevelDepartment: "department",
		role.LevelCorporate: "corporate", role.LevelFull: "full"}
	for l, n := range names {
		assert.Equal(t, n, l.String())
		got, err := role.ParseLevel(n)
		require.NoError(t, err)
		assert.Equal(t, l, got)
		b, err := json.Marshal(l)
		require.NoError(t, err)
		assert.Equal(t, `"`+n+`"`, string(b))
		var back role.Level
		require.NoError(t, json.Unmarshal(b, &back))
		assert.Equal(t, l, back)
	}
	got, err := role.ParseLevel("Corporate")
	require.NoError(t, err)
	assert.Equal(t, role.LevelCorporate, got)
	_, err = role.ParseLevel("global")
	assert.Error(t, err)
	var l role.Level
	assert.Error(t, json.Unmarshal([]byte(`"global"`), &l))
	assert.Error(t, json.Unmarshal([]byte(`3`), &l))
	_, err = json.Marshal(role.Level(9))
	assert.Error(t, err)
	assert.Equal(t, "level(9)", role.Level(9).String())

	b, err := json.Marshal(role.Grant{Resource: "order", Permission: role.View, Level: role.LevelDepartment})
	require.NoError(t, err)
	assert.JSONEq(t, `{"resource":"order","permission":"view","level":"department"}`, string(b))

	b, err = json.Marshal(role.Resource{Name: "order", Label: "Order", Ownership: role.OwnedByCustomerUser, Permissions: []role.Permission{role.View}})
	require.NoError(t, err)
	assert.JSONEq(t, `{"name":"order","label":"Order","ownership":"customer_user","permissions":["view"]}`, string(b))
}

func TestRegistryValidate(t *testing.T) {
	reg := role.NewRegistry()
	require.NoError(t, reg.Register(role.Resource{Name: "product", Ownership: role.Unowned, Permissions: []role.Permission{role.View}}))
	tests := []struct {
		name   string
		grants []role.Grant
		caps   []string
		field  string
		rule   string
	}{
		{"unknown resource", []role.Grant{g("order", role.View, role.LevelUser)}, nil, "grants[0].resource", "unknown_resource"},
		{"unknown permission", []role.Grant{g(role.ResourceCustomer, role.Assign, role.LevelDepartment)}, nil, "grants[0].permission", "unknown_permission"},
		{"user level on customer-owned", []role.Grant{g(role.ResourceCustomerUser, role.View, role.LevelUser)}, nil, "grants[0].level", "level_not_allowed"},
		{"full on customer-owned", []role.Grant{g(role.ResourceCustomerUserRole, role.View, role.LevelFull)}, nil, "grants[0].level", "level_not_allowed"},
		{"full on user-owned", []role.Grant{g(role.ResourceCustomerUserAddress, role.View, role.LevelFull)}, nil, "grants[0].level", "level_not_allowed"},
		{"corporate on unowned", []role.Grant{g("product", role.View, role.LevelCorporate)}, nil, "grants[0].level", "level_not_allowed"},
		{"out of range level", []role.Grant{g(role.ResourceCustomer, role.View, role.Level(12))}, nil, "grants[0].level", "level_not_allowed"},
		{"duplicate grant", []role.Grant{g(role.ResourceCustomer, role.View, role.LevelDepartment), g(role.ResourceCustomer, role.View, role.LevelCorporate)}, nil, "grants[1]", "duplicate"},
		{"unknown capability", nil, []string{role.CapManageUsers, "fly"}, "capabilities[1]", "unknown_capability"},
		{"duplicate capability", nil, []string{role.CapManageUsers, role.CapManageUsers}, "capabilities[1]", "duplicate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vs := reg.Validate(tt.grants, tt.caps)
			require.Len(t, vs, 1, "%v", vs)
			assert.Equal(t, tt.field, vs[0].Field)
			assert.Equal(t, tt.rule, vs[0].Rule)
			assert.NotEmpty(t, vs[0].Message)
		})
	}
	assert.Empty(t, reg.Validate([]role.Grant{
		g("product", role.View, role.LevelFull),
		g(role.ResourceCustomerUser, role.View, role.LevelCorporate),
		g(role.ResourceCustomerUserAddress, role.Edit, role.LevelUser),
		g(role.ResourceCustomer, role.Edit, role.LevelNone),
	}, []string{role.CapManageRoles}))
	// Violations feed cu.Invalid.
	err := cu.Invalid(reg.Validate([]role.Grant{g("x", role.View, role.LevelFull)}, nil)...)
	assert.True(t, errors.Is(err, cu.ErrInvalid))
}
