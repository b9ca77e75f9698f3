package customeruser

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
)

// newSecret returns a 256-bit random secret in URL-safe base64 and its
// SHA-256 digest, the only form that is stored.
func newSecret() (secret string, digest []byte, err error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", nil, err
	}
	secret = base64.RawURLEncoding.EncodeToString(b)
	return secret, digestOf(secret), nil
}

// digestOf returns the stored form of a secret.
func digestOf(secret string) []byte {
	d := sha256.Sum256([]byte(secret))
	return d[:]
}
