package httpadapter_test

import (
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/b2bkit/customerusers/httpadapter"
)

// docOperations lists "METHOD /path" of every operation of a document.
func docOperations(t *testing.T, doc map[string]any) []string {
	t.Helper()
	var out []string
	for p, item := range doc["paths"].(map[string]any) {
		for m := range item.(map[string]any) {
			out = append(out, strings.ToUpper(m)+" "+p)
		}
	}
	slices.Sort(out)
	return out
}

// TestOpenAPIMatchesRoutes: every route a handler registers is in its
// OpenAPI document and every documented operation is registered, and the
// ServeMux really routes each of them.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	eachStorage(t, func(t *testing.T, h *harness) {
		for _, tc := range []struct {
			prefix  string
			handler http.Handler
			token   string
		}{
			{boPrefix, httpadapter.NewBackOffice(h.cfg), h.adminToken},
			{sfPrefix, httpadapter.NewStorefront(h.cfg), ""},
			{pubPrefix, httpadapter.NewPublic(h.cfg), ""},
		} {
			t.Run(tc.prefix, func(t *testing.T) {
				registered := slices.Clone(httpadapter.Patterns(tc.handler))
				slices.Sort(registered)
				documented := docOperations(t, h.docs[tc.prefix])
				assert.Equal(t, registered, documented)
				assert.Greater(t, len(registered), 3)
				for _, pattern := range registered {
					method, path, _ := strings.Cut(pattern, " ")
					path = pathParamRE.ReplaceAllString(path, uuid.NewString())
					r := h.rawDo(method, tc.prefix+path, tc.token, nil, nil)
					assert.NotEqual(t, http.StatusMethodNotAllowed, r.status, pattern)
					if r.status == http.StatusNotFound {
						assert.NotEqual(t, "No such resource.", r.problem(t).Detail, "%s is not routed", pattern)
					}
				}
			})
		}
	})
}

// TestOpenAPIDocument checks the document's shape: OpenAPI 3.1, every
// reference resolves, every operation has an id and responses, the server
// is the mount prefix.
func TestOpenAPIDocument(t *testing.T) {
	eachStorage(t, func(t *testing.T, h *harness) {
		for prefix, doc := range h.docs {
			assert.Equal(t, "3.1.0", doc["openapi"])
			assert.Equal(t, []any{map[string]any{"url": prefix}}, doc["servers"], prefix)
			ids := map[string]bool{}
			walkJSON(doc, func(m map[string]any) {
				if ref, ok := m["$ref"].(string); ok {
					assert.NotNil(t, resolve(doc, ref), "%s: unresolved %s", prefix, ref)
				}
			})
			for _, item := range doc["paths"].(map[string]any) {
				for _, op := range item.(map[string]any) {
					op := op.(map[string]any)
					id := op["operationId"].(string)
					assert.False(t, ids[id], "duplicate operationId %s", id)
					ids[id] = true
					assert.NotEmpty(t, op["summary"])
					assert.NotEmpty(t, op["responses"])
				}
			}
		}
		// The customer-user resource documents exactly the fields of the
		// issue, never a password hash or token.
		user := resolve(h.docs[boPrefix], "#/components/schemas/CustomerUser")
		require.NotNil(t, user)
		var props []string
		for p := range user["properties"].(map[string]any) {
			props = append(props, p)
		}
		slices.Sort(props)
		assert.Equal(t, userFields, props)

		// Mounted elsewhere, the server follows.
		mux := http.NewServeMux()
		mux.Handle("/x/y/", http.StripPrefix("/x/y", httpadapter.NewPublic(h.cfg)))
		h.handler = mux
		r := h.rawDo(http.MethodGet, "/x/y/openapi.json", "", nil, nil).expect(t, http.StatusOK)
		var doc map[string]any
		require.NoError(t, json.Unmarshal(r.body, &doc))
		assert.Equal(t, []any{map[string]any{"url": "/x/y"}}, doc["servers"])
	})
}

var pathParamRE = regexp.MustCompile(`\{[^}]+\}`)

// userFields are the fields of the customer-user resource (issue 6).
var userFields = func() []string {
	f := strings.Fields(`id customerId email namePrefix firstName middleName lastName nameSuffix birthday phone enabled
		confirmed guest authStatus roleIds salesRepresentativeIds effectiveSalesRepresentativeIds ownerId websiteId
		preferredLocalizationId attributes externalId lastLoginAt loginCount createdAt updatedAt version`)
	slices.Sort(f)
	return f
}()

func walkJSON(v any, fn func(map[string]any)) {
	switch v := v.(type) {
	case map[string]any:
		fn(v)
		for _, x := range v {
			walkJSON(x, fn)
		}
	case []any:
		for _, x := range v {
			walkJSON(x, fn)
		}
	}
}

// TestDocCheckCatchesMismatches proves that the answer checker of the
// harness is not vacuous.
func TestDocCheckCatchesMismatches(t *testing.T) {
	eachStorage(t, func(t *testing.T, h *harness) {
		doc := h.docs[boPrefix]
		user := map[string]any{"$ref": "#/components/schemas/CustomerUser"}
		good := h.bo(http.MethodPost, "/customers", map[string]any{"name": "ACME"}).expect(t, http.StatusCreated).obj(t)
		assert.Empty(t, validate(doc, map[string]any{"$ref": "#/components/schemas/Customer"}, good, "$"))
		bad := map[string]any{}
		for k, v := range good {
			bad[k] = v
		}
		bad["extra"] = 1
		bad["version"] = "1"
		delete(bad, "name")
		errs := validate(doc, map[string]any{"$ref": "#/components/schemas/Customer"}, bad, "$")
		assert.Len(t, errs, 3, "%v", errs)
		assert.NotEmpty(t, validate(doc, user, map[string]any{"id": "x"}, "$"))
	})
}
