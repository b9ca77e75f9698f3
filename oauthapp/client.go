package oauthapp

import (
	"context"

	"github.com/google/uuid"
)

// ClientCredentials are what a client presents to the introspection and
// revocation endpoints (RFC 6749 §2.3), decoded by the transport from HTTP
// Basic or form fields: its id and, for a confidential client, its secret.
type ClientCredentials struct {
	ClientID     string
	ClientSecret string
}

// authenticateClient authenticates a client of organization org: a
// first-party client (a confidential one with its secret, a public one by
// its id alone) or an active application with its secret. It returns the
// client id and whether the client proved a secret. Every failure is the
// same invalid_client, so that client ids cannot be probed.
func (s *Service) authenticateClient(ctx context.Context, org uuid.UUID, c ClientCredentials) (clientID string, confidential bool, err error) {
	req := TokenRequest{ClientID: c.ClientID, ClientSecret: c.ClientSecret}
	if fp, ok, err := s.firstPartyClient(req); ok {
		if err != nil {
			return "", false, err
		}
		return fp.ClientID, fp.SecretDigest != nil, nil
	}
	a, err := s.appClient(ctx, org, req)
	if err != nil {
		return "", false, err
	}
	if !a.Active {
		return "", false, errInvalidClient()
	}
	return a.ClientID, true, nil
}

// IntrospectFor is token introspection (RFC 7662) for an authenticated
// caller, as §2.1 requires: the client must prove a secret, as an active
// application of org or a confidential first-party client (bad
// credentials are invalid_client; a public client, which proves nothing,
// is unauthorized_client). A first-party client learns about any token of
// the organization (it is the host's own resource server); an application
// only about the tokens issued to it, every other token being
// {"active": false}, as an unknown one is.
func (s *Service) IntrospectFor(ctx context.Context, org uuid.UUID, client ClientCredentials, token string) (Introspection, error) {
	id, confidential, err := s.authenticateClient(ctx, org, client)
	if err != nil {
		return Introspection{}, err
	}
	if !confidential {
		return Introspection{}, oauthError(ErrCodeUnauthorizedClient, "A public client may not introspect tokens.")
	}
	got, err := s.Introspect(ctx, org, token)
	if err != nil || !got.Active {
		return got, err
	}
	if _, firstParty := s.firstParty[id]; !firstParty && got.ClientID != id {
		return Introspection{Active: false}, nil
	}
	return got, nil
}

// RevokeFor is token revocation (RFC 7009) for a client: a confidential
// client authenticates with its secret, a public first-party client names
// itself (RFC 7009 §2.1; bad credentials are invalid_client). Only a
// token issued to that client is revoked; an unknown, expired or already
// revoked token, one of another organization and one issued to another
// client are left alone with the same success, so that the answer tells
// nothing about them.
func (s *Service) RevokeFor(ctx context.Context, org uuid.UUID, client ClientCredentials, token string) error {
	id, _, err := s.authenticateClient(ctx, org, client)
	if err != nil {
		return err
	}
	l, _, err := s.lookup(ctx, token)
	if err != nil {
		return err
	}
	if l.Token.OrganizationID != org || l.Token.ClientID != id {
		return nil
	}
	return s.Revoke(ctx, org, token)
}
