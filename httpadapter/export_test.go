package httpadapter

import "net/http"

// Patterns returns the ServeMux patterns ("METHOD /path") that a handler
// made by NewBackOffice, NewStorefront or NewPublic registered.
func Patterns(h http.Handler) []string { return h.(*api).registered }
