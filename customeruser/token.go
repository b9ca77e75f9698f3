package customeruser

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"

	cu "github.com/b2bkit/customerusers"
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

// issueToken creates a one-time token of purpose for u in the transaction
// of ctx, killing the user's earlier tokens of the same purpose, and returns
// the secret for the e-mail link. Confirmation links live
// Config.ConfirmationTTL, set-password links Config.ResetTTL.
func (s *Service) issueToken(ctx context.Context, u User, purpose TokenPurpose) (string, error) {
	secret, digest, err := newSecret()
	if err != nil {
		return "", cu.Internal(err)
	}
	if err := s.d.Tokens.DeleteForUser(ctx, u.OrganizationID, u.ID, purpose); err != nil {
		return "", err
	}
	ttl := s.cfg.ResetTTL
	if purpose == PurposeConfirm {
		ttl = s.cfg.ConfirmationTTL
	}
	now := s.now()
	t := Token{Hash: digest, OrganizationID: u.OrganizationID, UserID: u.ID, Purpose: purpose, CreatedAt: now, ExpiresAt: now.Add(ttl)}
	if err := s.d.Tokens.Create(ctx, t); err != nil {
		return "", err
	}
	return secret, nil
}
