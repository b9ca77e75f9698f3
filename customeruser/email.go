package customeruser

import (
	"net/mail"
	"strings"
	"unicode/utf8"

	cu "github.com/b2bkit/customerusers"
)

// The length bounds of a customer user's e-mail address (Oro's 6–255).
const (
	emailMinLen = 6
	emailMaxLen = 255
)

// validEmail reports whether s is a bare RFC 5322 addr-spec
// ("local@domain"): no display name, no angle brackets, no comments, no
// surrounding white space. It is the one e-mail syntax rule of the package,
// so that what CreateUser accepts is exactly what Authenticate and the
// password flows look up.
func validEmail(s string) bool {
	if s == "" || strings.TrimSpace(s) != s {
		return false
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Name != "" {
		return false
	}
	// ParseAddress also accepts "Name <x@y>" and "x@y (comment)"; only an
	// input that is exactly its own address is an addr-spec.
	return a.Address == s
}

// checkEmail appends the violations of an e-mail address (already trimmed)
// under field: required, length 6–255 characters, addr-spec syntax.
func checkEmail(v *cu.Violations, field, email string) {
	n := utf8.RuneCountInString(email)
	switch {
	case email == "":
		v.Add(field, "required", "The email is required.")
	case n < emailMinLen:
		v.Addf(field, "min_length", "The email must be at least %d characters long.", emailMinLen)
	case n > emailMaxLen:
		v.Addf(field, "max_length", "The email must be at most %d characters long.", emailMaxLen)
	case !validEmail(email):
		v.Add(field, "format", "This is not a valid email address.")
	}
}
