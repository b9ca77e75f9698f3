package customeruser

import (
	"reflect"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestImportViewCopiesEveryField keeps importView in step with Service: a
// new field of Service must be copied there (or listed here as d).
func TestImportViewCopiesEveryField(t *testing.T) {
	copied := map[string]bool{
		"d": true, "cfg": true, "clock": true, "newID": true, "log": true, "validateAttributes": true,
		"related": true, "deleteHooks": true, "registrationHooks": true, "revokeHooks": true, "hasher": true,
	}
	typ := reflect.TypeFor[Service]()
	for i := range typ.NumField() {
		name := typ.Field(i).Name
		assert.True(t, copied[name], "Service.%s is new: copy it in importView and list it here", name)
	}
}
