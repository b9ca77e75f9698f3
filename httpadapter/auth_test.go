package httpadapter_test

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"

	cu "github.com/b2bkit/customerusers"
	"github.com/b2bkit/customerusers/httpadapter"
)

func TestAuthentication(t *testing.T) {
	eachStorage(t, func(t *testing.T, h *harness) {
		c := newCompany(h)
		r := h.do(http.MethodGet, boPrefix+"/customers", "", nil)
		r.expectProblem(t, http.StatusUnauthorized, "unauthenticated")
		assert.Equal(t, "Bearer", r.header.Get("WWW-Authenticate"))
		h.do(http.MethodGet, boPrefix+"/customers", "forged", nil).expectProblem(t, http.StatusUnauthorized, "unauthenticated")
		h.do(http.MethodGet, sfPrefix+"/me", "", nil).expectProblem(t, http.StatusUnauthorized, "unauthenticated")

		// Each handler set is for its own kind of actor.
		h.do(http.MethodGet, boPrefix+"/customers", c.adminTok, nil).expectProblem(t, http.StatusForbidden, "forbidden")
		h.do(http.MethodGet, sfPrefix+"/me", h.adminToken, nil).expectProblem(t, http.StatusForbidden, "forbidden")

		// A disabled user's session is refused by the host.
		_, err := h.users.DisableUser(h.ctx, h.admin, c.buyer.ID, 0)
		assert.NoError(t, err)
		h.sf(c.buyerTok, http.MethodGet, "/me", nil).expectProblem(t, http.StatusUnauthorized, "unauthenticated")

		// The documents need no authentication.
		h.do(http.MethodGet, boPrefix+"/openapi.json", "", nil).expect(t, http.StatusOK)
		h.do(http.MethodGet, sfPrefix+"/openapi.json", "", nil).expect(t, http.StatusOK)
	})
}

func TestAuthenticationErrors(t *testing.T) {
	eachStorage(t, func(t *testing.T, h *harness) {
		var logs bytes.Buffer
		cfg := h.cfg
		cfg.Logger = slog.New(slog.NewTextHandler(&logs, nil))
		cfg.Challenge = `Bearer realm="shop"`
		var fail error
		cfg.Authenticate = func(*http.Request) (cu.Actor, error) {
			if fail != nil {
				return cu.Actor{}, fail
			}
			return cu.AnonymousActor(h.org), nil
		}
		h.handler = http.StripPrefix(boPrefix, httpadapter.NewBackOffice(cfg))

		r := h.bo(http.MethodGet, "/customers", nil)
		r.expectProblem(t, http.StatusUnauthorized, "unauthenticated")
		assert.Equal(t, `Bearer realm="shop"`, r.header.Get("WWW-Authenticate"))

		// An outage is an internal error: logged, never shown.
		fail = cu.Internal(errors.New("session store down: secret-dsn"))
		p := h.bo(http.MethodGet, "/customers", nil).expectProblem(t, http.StatusInternalServerError, "internal")
		assert.NotContains(t, p.Detail, "secret")
		assert.Contains(t, logs.String(), "secret-dsn")

		// A host error that knows when to retry gives Retry-After, rounded
		// up to whole seconds, also when wrapped.
		fail = fmt.Errorf("session: %w", &cu.Error{Code: cu.CodeRateLimited, Message: "slow down", RetryAfter: 1500 * time.Millisecond})
		r = h.rawDo(http.MethodGet, boPrefix+"/customers", "", nil, nil)
		r.expectProblem(t, http.StatusTooManyRequests, "rate_limited")
		assert.Equal(t, "2", r.header.Get("Retry-After"))

		// A panic is an internal error too.
		fail = nil
		cfg.Authenticate = func(*http.Request) (cu.Actor, error) { panic("boom") }
		h.handler = http.StripPrefix(boPrefix, httpadapter.NewBackOffice(cfg))
		h.bo(http.MethodGet, "/customers", nil).expectProblem(t, http.StatusInternalServerError, "internal")
		assert.Contains(t, logs.String(), "boom")
	})
}

func TestConstructorsCheckConfig(t *testing.T) {
	eachStorage(t, func(t *testing.T, h *harness) {
		assert.PanicsWithValue(t, "httpadapter: Config.Authenticate is required", func() {
			httpadapter.NewBackOffice(httpadapter.Config{Users: h.users, Roles: h.roles})
		})
		assert.Panics(t, func() { httpadapter.NewStorefront(httpadapter.Config{Users: h.users, Authenticate: h.authenticate}) })
		assert.Panics(t, func() { httpadapter.NewPublic(httpadapter.Config{Users: h.users}) })
		assert.NotPanics(t, func() { httpadapter.NewPublic(httpadapter.Config{Users: h.users, OrganizationID: uuid.New()}) })
	})
}

func TestFixedOrganization(t *testing.T) {
	eachStorage(t, func(t *testing.T, h *harness) {
		h.handler = http.StripPrefix(pubPrefix, httpadapter.NewPublic(httpadapter.Config{Users: h.users, OrganizationID: h.org2}))
		h.pub(http.MethodPost, "/register", registration("amanda@cole.example"), withHost("anything.example")).expect(t, http.StatusAccepted)
		_, err := h.st.Users.GetByEmailKey(h.ctx, h.org2, "amanda@cole.example")
		assert.NoError(t, err)
		_, err = h.st.Users.GetByEmailKey(h.ctx, h.org, "amanda@cole.example")
		assert.Equal(t, cu.CodeNotFound, cu.CodeOf(err))
	})
}
