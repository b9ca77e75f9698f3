package httpadapter_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/b2bkit/customerusers/httpadapter"
)

// TestMounting: the handlers work at the root, behind nested StripPrefix
// inside other muxes, and inside a router of the host's own; Location
// headers and the document's server follow the mount point.
func TestMounting(t *testing.T) {
	eachStorage(t, func(t *testing.T, h *harness) {
		bo := httpadapter.NewBackOffice(h.cfg)
		create := func(path string) *response {
			t.Helper()
			return h.rawDo(http.MethodPost, path, h.adminToken, map[string]any{"name": "ACME"}, nil).expect(t, http.StatusCreated)
		}

		// At the root.
		h.handler = bo
		r := create("/customers")
		assert.Equal(t, "/customers/"+r.id(t).String(), r.header.Get("Location"))

		// Nested muxes with method patterns, each stripping its part.
		inner := http.NewServeMux()
		inner.Handle("/admin/", http.StripPrefix("/admin", bo))
		outer := http.NewServeMux()
		outer.Handle("/v1/", http.StripPrefix("/v1", inner))
		outer.HandleFunc("GET /health", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
		h.handler = outer
		r = create("/v1/admin/customers")
		assert.Equal(t, "/v1/admin/customers/"+r.id(t).String(), r.header.Get("Location"))
		h.rawDo(http.MethodGet, "/v1/admin/customers/"+r.id(t).String(), h.adminToken, nil, nil).expect(t, http.StatusOK)
		h.rawDo(http.MethodGet, "/health", "", nil, nil).expect(t, http.StatusOK)
		h.rawDo(http.MethodGet, "/v1/admin/nowhere", h.adminToken, nil, nil).expectProblem(t, http.StatusNotFound, "not_found")

		// A router of the host's own that dispatches by prefix and strips it.
		h.handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if rest, ok := strings.CutPrefix(r.URL.Path, "/tenant/acme/bo"); ok {
				r2 := r.Clone(r.Context())
				r2.URL.Path = rest
				bo.ServeHTTP(w, r2)
				return
			}
			http.NotFound(w, r)
		})
		r = create("/tenant/acme/bo/customers")
		assert.Equal(t, "/tenant/acme/bo/customers/"+r.id(t).String(), r.header.Get("Location"))
		r = h.rawDo(http.MethodGet, "/tenant/acme/bo/openapi.json", "", nil, nil).expect(t, http.StatusOK)
		assert.Contains(t, string(r.body), `"servers":[{"url":"/tenant/acme/bo"}]`)
	})
}

func TestBodyLimitIsConfigurable(t *testing.T) {
	eachStorage(t, func(t *testing.T, h *harness) {
		cfg := h.cfg
		cfg.MaxBodyBytes = 64
		h.handler = http.StripPrefix(boPrefix, httpadapter.NewBackOffice(cfg))
		h.bo(http.MethodPost, "/customers", map[string]any{"name": "ACME"}).expect(t, http.StatusCreated)
		p := h.bo(http.MethodPost, "/customers", map[string]any{"name": strings.Repeat("A", 64)}).
			expectProblem(t, http.StatusRequestEntityTooLarge, "payload_too_large")
		assert.Contains(t, p.Detail, "64 bytes")
		// Trailing data past the limit is too large as well.
		h.bo(http.MethodPost, "/customers", `{"name": "ACME"}`+strings.Repeat(" ", 60)+`x`).
			expectProblem(t, http.StatusRequestEntityTooLarge, "payload_too_large")
	})
}
