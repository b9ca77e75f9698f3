package customeruser

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"

	cu "github.com/b2bkit/customerusers"
)

// PasswordPolicy is the password complexity rule set.
type PasswordPolicy struct {
	MinLength      int
	MaxLength      int
	RequireLower   bool
	RequireUpper   bool
	RequireDigit   bool
	RequireSpecial bool
}

// DefaultPasswordPolicy is at least 8 characters with a lower-case letter,
// an upper-case letter and a digit; at most 256 characters.
func DefaultPasswordPolicy() PasswordPolicy {
	return PasswordPolicy{MinLength: 8, MaxLength: 256, RequireLower: true, RequireUpper: true, RequireDigit: true}
}

// Check returns the violations of password (field "password"); a password
// equal to the e-mail (in any case) is refused too. Every failed rule is
// reported.
func (p PasswordPolicy) Check(password, email string) []cu.Violation {
	var v cu.Violations
	n := utf8.RuneCountInString(password)
	if password == "" {
		v.Add("password", "required", "A password is required.")
		return v
	}
	if n < p.MinLength {
		v.Addf("password", "min_length", "The password must be at least %d characters long.", p.MinLength)
	}
	if p.MaxLength > 0 && n > p.MaxLength {
		v.Addf("password", "max_length", "The password must be at most %d characters long.", p.MaxLength)
	}
	var lower, upper, digit, special bool
	for _, r := range password {
		switch {
		case unicode.IsLower(r):
			lower = true
		case unicode.IsUpper(r):
			upper = true
		case unicode.IsDigit(r):
			digit = true
		case r == ' ' || (r < unicode.MaxASCII && unicode.IsPunct(r)) || (r < unicode.MaxASCII && unicode.IsSymbol(r)):
			special = true
		}
	}
	if p.RequireLower && !lower {
		v.Add("password", "lower_case", "The password must contain a lower-case letter.")
	}
	if p.RequireUpper && !upper {
		v.Add("password", "upper_case", "The password must contain an upper-case letter.")
	}
	if p.RequireDigit && !digit {
		v.Add("password", "digit", "The password must contain a digit.")
	}
	if p.RequireSpecial && !special {
		v.Add("password", "special_char", "The password must contain a special character (a space or punctuation).")
	}
	if email != "" && strings.EqualFold(password, email) {
		v.Add("password", "not_email", "The password must not be the e-mail address.")
	}
	return v
}

// GeneratePassword returns a random password of 20 characters that meets p.
func GeneratePassword(p PasswordPolicy) (string, error) {
	const (
		lowers   = "abcdefghijkmnopqrstuvwxyz"
		uppers   = "ABCDEFGHJKLMNPQRSTUVWXYZ"
		digits   = "23456789"
		specials = "!#$%&*+-=?@^_"
	)
	n := max(20, p.MinLength)
	if p.MaxLength > 0 && n > p.MaxLength {
		n = p.MaxLength
	}
	all := lowers + uppers + digits + specials
	out := make([]byte, 0, n)
	for _, set := range []string{lowers, uppers, digits, specials} {
		c, err := pick(set)
		if err != nil {
			return "", err
		}
		out = append(out, c)
	}
	for len(out) < n {
		c, err := pick(all)
		if err != nil {
			return "", err
		}
		out = append(out, c)
	}
	for i := len(out) - 1; i > 0; i-- {
		j, err := rand.Int(rand.Reader, big.NewInt(int64(i+1)))
		if err != nil {
			return "", err
		}
		out[i], out[j.Int64()] = out[j.Int64()], out[i]
	}
	return string(out), nil
}

func pick(set string) (byte, error) {
	i, err := rand.Int(rand.Reader, big.NewInt(int64(len(set))))
	if err != nil {
		return 0, err
	}
	return set[i.Int64()], nil
}

// Argon2Params are argon2id cost parameters.
type Argon2Params struct {
	// Memory in KiB.
	Memory      uint32
	Iterations  uint32
	Parallelism uint8
	SaltLength  uint32
	KeyLength   uint32
}

// DefaultArgon2Params follow OWASP's recommendation for argon2id
// (19 MiB, 2 iterations, 1 lane).
func DefaultArgon2Params() Argon2Params {
	return Argon2Params{Memory: 19 * 1024, Iterations: 2, Parallelism: 1, SaltLength: 16, KeyLength: 32}
}

// Hasher hashes and verifies passwords with argon2id, in the PHC string
// format ($argon2id$v=19$m=...,t=...,p=...$salt$hash).
type Hasher struct {
	params Argon2Params
}

// NewHasher returns a Hasher making hashes with params.
func NewHasher(params Argon2Params) *Hasher { return &Hasher{params: params} }

// Hash returns the PHC string of password.
func (h *Hasher) Hash(password string) (string, error) {
	salt := make([]byte, h.params.SaltLength)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	p := h.params
	key := argon2.IDKey([]byte(password), salt, p.Iterations, p.Memory, p.Parallelism, p.KeyLength)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.Memory, p.Iterations, p.Parallelism, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

var errBadHash = errors.New("customeruser: malformed password hash")

// Bounds on the parameters Verify accepts from a stored hash.
const (
	maxIterations = 64
	maxMemory     = 4 << 20 // KiB: 4 GiB
)

// Verify reports whether password matches the PHC string phc, and whether
// phc was made with parameters other than the Hasher's (so it should be
// re-made now that the password is known).
func (h *Hasher) Verify(password, phc string) (ok, needsRehash bool, err error) {
	parts := strings.Split(phc, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false, false, errBadHash
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false, false, errBadHash
	}
	var p Argon2Params
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Iterations, &p.Parallelism); err != nil {
		return false, false, errBadHash
	}
	b64 := base64.RawStdEncoding
	salt, err := b64.DecodeString(parts[4])
	if err != nil {
		return false, false, errBadHash
	}
	want, err := b64.DecodeString(parts[5])
	if err != nil || len(want) == 0 {
		return false, false, errBadHash
	}
	p.SaltLength, p.KeyLength = uint32(len(salt)), uint32(len(want))
	// Parameters argon2 would panic on, or that would make one check eat
	// the machine, mean the string was not made by a Hasher.
	if p.Iterations < 1 || p.Iterations > maxIterations || p.Parallelism < 1 ||
		p.Memory > maxMemory || len(salt) < 8 || len(want) > 1024 {
		return false, false, errBadHash
	}
	got := argon2.IDKey([]byte(password), salt, p.Iterations, p.Memory, p.Parallelism, p.KeyLength)
	if subtle.ConstantTimeCompare(got, want) != 1 {
		return false, false, nil
	}
	return true, p != h.params, nil
}
