package customeruser_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	cu "github.com/b2bkit/customerusers"
	"github.com/b2bkit/customerusers/customeruser"
)

func passwordRules(v []cu.Violation) []string {
	var rules []string
	for _, x := range v {
		rules = append(rules, x.Rule)
	}
	return rules
}

func TestPasswordPolicyCheck(t *testing.T) {
	def := customeruser.DefaultPasswordPolicy()
	special := def
	special.RequireSpecial = true
	short := customeruser.PasswordPolicy{MinLength: 4, MaxLength: 10}

	tests := []struct {
		name     string
		policy   customeruser.PasswordPolicy
		password string
		email    string
		want     []string
	}{
		{"valid", def, "Secret123", "amanda@example.org", nil},
		{"empty", def, "", "", []string{"required"}},
		{"too short", def, "Ab1", "", []string{"min_length"}},
		{"exactly min length", def, "Abcdef12", "", nil},
		{"too long", def, "Ab1" + strings.Repeat("x", 254), "", []string{"max_length"}},
		{"exactly max length", def, "Ab1" + strings.Repeat("x", 253), "", nil},
		{"max length counts characters not bytes", def, "Ab1" + strings.Repeat("é", 253), "", nil},
		{"no lower", def, "SECRET123", "", []string{"lower_case"}},
		{"no upper", def, "secret123", "", []string{"upper_case"}},
		{"no digit", def, "SecretSecret", "", []string{"digit"}},
		{"every rule reported", def, "abc", "", []string{"min_length", "upper_case", "digit"}},
		{"unicode letters count", def, "Ärgerlich9", "", nil},
		{"unicode upper and lower", def, "ÄÖÜäöü12", "", nil},
		{"caseless letters are neither", def, "日本語日本語日本12", "", []string{"lower_case", "upper_case"}},
		{"special required and missing", special, "Secret123", "", []string{"special_char"}},
		{"special punctuation", special, "Secret123!", "", nil},
		{"special space", special, "Secret 123", "", nil},
		{"special symbol", special, "Secret123+", "", nil},
		{"equal to email", def, "Amanda1@example.org", "amanda1@EXAMPLE.ORG", []string{"not_email"}},
		{"contains email is fine", def, "Amanda1@example.org!", "amanda1@example.org", nil},
		{"lax policy", short, "abcd", "", nil},
		{"lax policy max", short, "abcdefghijk", "", []string{"max_length"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := tt.policy.Check(tt.password, tt.email)
			assert.Equal(t, tt.want, passwordRules(v))
			for _, x := range v {
				assert.Equal(t, "password", x.Field)
				assert.NotEmpty(t, x.Message)
			}
		})
	}
}

func TestGeneratePasswordMeetsPolicy(t *testing.T) {
	strict := customeruser.PasswordPolicy{MinLength: 30, MaxLength: 64, RequireLower: true, RequireUpper: true, RequireDigit: true, RequireSpecial: true}
	for _, p := range []customeruser.PasswordPolicy{customeruser.DefaultPasswordPolicy(), strict} {
		seen := map[string]bool{}
		for range 50 {
			pw, err := customeruser.GeneratePassword(p)
			require.NoError(t, err)
			assert.Empty(t, p.Check(pw, "someone@example.org"), pw)
			assert.GreaterOrEqual(t, len(pw), max(20, p.MinLength))
			assert.False(t, seen[pw], "generated twice: %s", pw)
			seen[pw] = true
		}
	}
}

var phcPattern = regexp.MustCompile(`^\$argon2id\$v=19\$m=64,t=1,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`)

func TestHasherRoundTrip(t *testing.T) {
	h := customeruser.NewHasher(cheapArgon2)
	phc, err := h.Hash("Secret123")
	require.NoError(t, err)
	assert.Regexp(t, phcPattern, phc)

	ok, rehash, err := h.Verify("Secret123", phc)
	require.NoError(t, err)
	assert.True(t, ok)
	assert.False(t, rehash)

	ok, rehash, err = h.Verify("secret123", phc)
	require.NoError(t, err)
	assert.False(t, ok, "wrong password")
	assert.False(t, rehash)

	again, err := h.Hash("Secret123")
	require.NoError(t, err)
	assert.NotEqual(t, phc, again, "salted")
}

func TestHasherNeedsRehashWhenParamsChange(t *testing.T) {
	old := customeruser.NewHasher(cheapArgon2)
	phc, err := old.Hash("Secret123")
	require.NoError(t, err)

	for _, p := range []customeruser.Argon2Params{
		{Memory: 128, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32},
		{Memory: 64, Iterations: 2, Parallelism: 1, SaltLength: 16, KeyLength: 32},
		{Memory: 64, Iterations: 1, Parallelism: 2, SaltLength: 16, KeyLength: 32},
		{Memory: 64, Iterations: 1, Parallelism: 1, SaltLength: 32, KeyLength: 32},
		{Memory: 64, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 64},
	} {
		ok, rehash, err := customeruser.NewHasher(p).Verify("Secret123", phc)
		require.NoError(t, err)
		assert.True(t, ok, "%+v verifies old hashes", p)
		assert.True(t, rehash, "%+v", p)
	}
}

func TestHasherRejectsMalformedHashes(t *testing.T) {
	h := customeruser.NewHasher(cheapArgon2)
	good, err := h.Hash("Secret123")
	require.NoError(t, err)
	parts := strings.Split(good, "$")
	salt, key := parts[4], parts[5]
	for _, phc := range []string{
		"",
		"plain",
		"$2y$10$abcdefghijklmnopqrstuv",
		"$argon2i$v=19$m=64,t=1,p=1$" + salt + "$" + key,
		"$argon2id$v=16$m=64,t=1,p=1$" + salt + "$" + key,
		"$argon2id$v=19$m=64,t=0,p=1$" + salt + "$" + key,
		"$argon2id$v=19$m=64,t=1,p=0$" + salt + "$" + key,
		"$argon2id$v=19$m=4294967295,t=1,p=1$" + salt + "$" + key,
		"$argon2id$v=19$m=64,t=1000000,p=1$" + salt + "$" + key,
		"$argon2id$v=19$x$" + salt + "$" + key,
		"$argon2id$v=19$m=64,t=1,p=1$!!!$" + key,
		"$argon2id$v=19$m=64,t=1,p=1$" + salt + "$",
		"$argon2id$v=19$m=64,t=1,p=1$" + salt,
	} {
		ok, _, err := h.Verify("Secret123", phc)
		assert.Error(t, err, phc)
		assert.False(t, ok, phc)
	}
}
