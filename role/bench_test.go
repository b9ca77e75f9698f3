package role_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	cu "github.com/b2bkit/customerusers"
	"github.com/b2bkit/customerusers/customeruser"
	"github.com/b2bkit/customerusers/role"
	"github.com/b2bkit/customerusers/storage/memory"
)

// BenchmarkGrantsCan measures a decision once the grants are loaded: it
// must not allocate, so that a handler can ask many questions per request.
func BenchmarkGrantsCan(b *testing.B) {
	ctx := context.Background()
	s := memory.New()
	org := cu.NewID()
	now := time.Now().UTC()
	mk := func(parent uuid.UUID) uuid.UUID {
		c := customeruser.Customer{ID: cu.NewID(), OrganizationID: org, Name: "C", ParentID: parent, CreatedAt: now, UpdatedAt: now, Version: 1}
		if err := s.Customers().Create(ctx, c); err != nil {
			b.Fatal(err)
		}
		return c.ID
	}
	top := mk(uuid.Nil)
	deep := top
	for range 5 {
		deep = mk(deep)
	}
	outside := mk(uuid.Nil)

	// Five roles: each grants a slice of the permissions, so that the
	// effective levels accumulate across them.
	levels := []role.Level{role.LevelUser, role.LevelDepartment, role.LevelDepartment, role.LevelCorporate, role.LevelUser}
	resources := []string{role.ResourceCustomerUserAddress, role.ResourceCustomerUser, role.ResourceCustomer,
		role.ResourceCustomerUserRole, role.ResourceOAuthApplication}
	var ids []uuid.UUID
	for i, l := range levels {
		var grants []role.Grant
		for j, res := range resources {
			lv := l
			if res != role.ResourceCustomerUserAddress && res != role.ResourceOAuthApplication && lv == role.LevelUser {
				lv = role.LevelDepartment
			}
			if (i+j)%2 == 0 {
				grants = append(grants, role.Grant{Resource: res, Permission: role.View, Level: lv}, role.Grant{Resource: res, Permission: role.Edit, Level: lv})
			}
		}
		r := role.Role{ID: cu.NewID(), OrganizationID: org, Code: "R" + string(rune('A'+i)), Label: "Role " + string(rune('A'+i)),
			SelfManaged: true, Public: true, Grants: grants, Capabilities: []string{role.CapManageUsers}, Version: 1}
		if err := s.Roles().Create(ctx, r); err != nil {
			b.Fatal(err)
		}
		ids = append(ids, r.ID)
	}
	me := cu.NewID()
	actor := cu.CustomerUserActor(org, me, top, ids...)
	gr, err := role.NewAuthorizer(s.Roles(), s.Customers()).Grants(ctx, actor)
	if err != nil {
		b.Fatal(err)
	}
	dept := role.Target{OwnerUserID: cu.NewID(), CustomerID: top}
	corp := role.Target{OwnerUserID: cu.NewID(), CustomerID: deep}
	away := role.Target{OwnerUserID: cu.NewID(), CustomerID: outside}
	if !gr.Can(role.View, role.ResourceCustomerUser, corp) || gr.Can(role.View, role.ResourceCustomerUser, away) {
		b.Fatal("unexpected grants")
	}

	b.ReportAllocs()
	n := 0
	for b.Loop() {
		if gr.Can(role.View, role.ResourceCustomerUser, dept) {
			n++
		}
		if gr.Can(role.Edit, role.ResourceCustomerUserRole, corp) {
			n++
		}
		if gr.Can(role.View, role.ResourceCustomer, away) {
			n++
		}
	}
	if n == 0 {
		b.Fatal("no decision granted")
	}
}

// BenchmarkReferenceMapLookup is the floor BenchmarkGrantsCan is compared
// with in BENCHMARKS.md: three plain map look-ups of the same key shape,
// without reach checks.
func BenchmarkReferenceMapLookup(b *testing.B) {
	type key struct {
		resource   string
		permission role.Permission
	}
	m := map[key]role.Level{}
	for _, res := range []string{role.ResourceCustomerUser, role.ResourceCustomerUserRole, role.ResourceCustomer, role.ResourceCustomerUserAddress, role.ResourceOAuthApplication} {
		m[key{res, role.View}] = role.LevelDepartment
		m[key{res, role.Edit}] = role.LevelCorporate
	}
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		if m[key{role.ResourceCustomerUser, role.View}] > 0 {
			n++
		}
		if m[key{role.ResourceCustomerUserRole, role.Edit}] > 0 {
			n++
		}
		if m[key{role.ResourceCustomer, role.View}] > 0 {
			n++
		}
	}
	if n == 0 {
		b.Fatal("no look-up hit")
	}
}
