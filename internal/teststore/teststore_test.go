package teststore_test

import (
	"context"
	"errors"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	cu "github.com/b2bkit/customerusers"
	"github.com/b2bkit/customerusers/customeruser"
	"github.com/b2bkit/customerusers/internal/teststore"
	"github.com/b2bkit/customerusers/role"
)

func TestMain(m *testing.M) { teststore.Main(m) }

// The Deps wire working services on either storage: seeding finds the
// three roles, a customer is stored, and Events reads what both wrote.
func TestStoreWiresServices(t *testing.T) {
	ctx, org := context.Background(), uuid.New()
	s := teststore.New(org)
	authz := s.Authorizer()
	roles := role.NewService(s.RoleDeps(authz), role.WithClock(teststore.Clock()))
	seeded := teststore.Seed(t, ctx, roles, org)
	assert.Equal(t, role.AdministratorRoleCode, seeded.Admin.Code)
	assert.Equal(t, role.DefaultRoleCode, seeded.Buyer.Code)
	assert.Equal(t, role.AnonymousRoleCode, seeded.Anonymous.Code)

	users := customeruser.NewService(s.UserDeps(authz), customeruser.WithClock(teststore.Clock()))
	c, err := users.CreateCustomer(ctx, cu.BackOfficeActor(org, uuid.New()), customeruser.CustomerInput{Name: "Acme"})
	require.NoError(t, err)
	got, err := s.Customers().Get(ctx, org, c.ID)
	require.NoError(t, err)
	assert.Equal(t, "Acme", got.Name)

	events := teststore.Events(t, ctx, s.Events(), org, cu.EventFilter{})
	assert.Len(t, events, 4, "three roles seeded and one customer created")
	assert.Len(t, teststore.Events(t, ctx, s.Events(), org, cu.EventFilter{SubjectID: c.ID}), 1)
	assert.Empty(t, teststore.Events(t, ctx, s.Events(), uuid.New(), cu.EventFilter{}), "another organization")
}

func TestWebsites(t *testing.T) {
	sites, org := customeruser.NewStaticSites(), uuid.New()
	main, outlet := teststore.AddWebsites(sites, org)
	for _, tt := range []struct {
		w     customeruser.Website
		name  string
		count int
	}{{main, "Main", 2}, {outlet, "Outlet", 1}} {
		assert.Equal(t, tt.name, tt.w.Name)
		assert.Len(t, tt.w.Localizations, tt.count)
		assert.Equal(t, tt.w.Localizations[0], tt.w.DefaultLocalizationID)
	}
	def, err := sites.DefaultWebsite(context.Background(), org)
	require.NoError(t, err)
	assert.Equal(t, main.ID, def.ID, "the first website added is the default")
}

func TestNotifier(t *testing.T) {
	ctx := context.Background()
	var n teststore.Notifier
	welcome := customeruser.Notification{Template: customeruser.TemplateWelcome, Email: "Ada@example.org"}
	reset := customeruser.Notification{Template: customeruser.TemplateResetPassword, Email: "bob@example.org"}
	require.NoError(t, n.Notify(ctx, welcome))
	require.NoError(t, n.Notify(ctx, reset))

	down := errors.New("down")
	n.Fail(down)
	assert.ErrorIs(t, n.Notify(ctx, welcome), down)
	n.Fail(nil)

	assert.Equal(t, []customeruser.Notification{welcome, reset}, n.Sent(), "a failed notification is not kept")
	assert.Equal(t, 2, n.Count(""))
	assert.Equal(t, 1, n.Count(customeruser.TemplateWelcome))
	for _, tt := range []struct {
		template, email string
		want            bool
	}{
		{customeruser.TemplateWelcome, "", true},
		{customeruser.TemplateWelcome, "ada@EXAMPLE.org", true},
		{customeruser.TemplateWelcome, "bob@example.org", false},
		{customeruser.TemplateResetPassword, "bob@example.org", true},
	} {
		got, ok := n.LastTo(tt.template, tt.email)
		assert.Equal(t, tt.want, ok, "%s to %q", tt.template, tt.email)
		if ok {
			assert.Equal(t, tt.template, got.Template)
		}
	}
	last, ok := n.Last(customeruser.TemplateResetPassword)
	require.True(t, ok)
	assert.Equal(t, reset, last)

	n.Reset()
	assert.Empty(t, n.Sent())
}
