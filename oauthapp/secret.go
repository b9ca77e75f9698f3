package oauthapp

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
)

// randomString returns n random bytes in URL-safe base64 without padding.
func randomString(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// newSecret returns a 256-bit random secret (43 URL-safe characters) and
// its SHA-256 digest, the only form that is stored.
func newSecret() (secret string, digest []byte, err error) {
	secret, err = randomString(32)
	if err != nil {
		return "", nil, err
	}
	return secret, DigestSecret(secret), nil
}

// newClientID returns a client id: 24 random bytes, 32 URL-safe characters
// (the length of Oro's identifiers).
func newClientID() (string, error) { return randomString(24) }

// DigestSecret returns the SHA-256 digest of a client secret or access
// token, the form in which they are stored. Hosts use it to configure the
// secret of a first-party client (FirstPartyClient.SecretDigest) without
// keeping the secret itself in their configuration.
func DigestSecret(secret string) []byte {
	d := sha256.Sum256([]byte(secret))
	return d[:]
}

// sameDigest compares two digests in constant time.
func sameDigest(a, b []byte) bool {
	return len(a) == sha256.Size && subtle.ConstantTimeCompare(a, b) == 1
}

// dummyDigest is compared against when a client id is unknown, so that an
// unknown client costs the same as a wrong secret.
var dummyDigest = DigestSecret("oauthapp: no such client")
