package oauthapp

import (
	cu "github.com/b2bkit/customerusers"
)

// The error codes of RFC 6749 §5.2 that the token endpoint answers with.
const (
	ErrCodeInvalidRequest       = "invalid_request"
	ErrCodeInvalidClient        = "invalid_client"
	ErrCodeInvalidGrant         = "invalid_grant"
	ErrCodeUnauthorizedClient   = "unauthorized_client"
	ErrCodeUnsupportedGrantType = "unsupported_grant_type"
	ErrCodeInvalidScope         = "invalid_scope"
)

// OAuthError is a refusal of the token endpoint in the terms of RFC 6749
// §5.2, so that an HTTP adapter can answer {"error", "error_description"}
// as clients expect. It also unwraps to a library *cu.Error, so that
// errors.Is(err, cu.ErrUnauthenticated) and cu.CodeOf work as for every
// other error: invalid_client and invalid_grant are unauthenticated (or
// rate_limited when the login lockout refused a password grant),
// unauthorized_client is forbidden, and the others are invalid. A
// throttled password grant unwraps to customeruser's own rate_limited
// *cu.Error, RetryAfter included.
type OAuthError struct {
	// Code is one of the ErrCode constants.
	Code string
	// Description is a human sentence safe to show to the client.
	Description string
	// Err is the library error the refusal maps to; see Unwrap.
	Err error
}

// Error implements error.
func (e *OAuthError) Error() string {
	if e.Description == "" {
		return "oauth: " + e.Code
	}
	return "oauth: " + e.Code + ": " + e.Description
}

// Unwrap returns the library error of the refusal.
func (e *OAuthError) Unwrap() error {
	if e.Err != nil {
		return e.Err
	}
	return &cu.Error{Code: cuCodeOf(e.Code), Message: e.Description}
}

// cuCodeOf maps an RFC 6749 error code to a library code.
func cuCodeOf(code string) cu.Code {
	switch code {
	case ErrCodeInvalidClient, ErrCodeInvalidGrant:
		return cu.CodeUnauthenticated
	case ErrCodeUnauthorizedClient:
		return cu.CodeForbidden
	default:
		return cu.CodeInvalid
	}
}

// oauthError returns an *OAuthError with its mapped library error.
func oauthError(code, description string) *OAuthError {
	return &OAuthError{Code: code, Description: description, Err: &cu.Error{Code: cuCodeOf(code), Message: description}}
}

// errInvalidClient is the one answer for an unknown client, a wrong secret
// and an inactive application, so that client ids cannot be probed.
func errInvalidClient() *OAuthError {
	return oauthError(ErrCodeInvalidClient, "Client authentication failed.")
}

// errUnauthenticated is the one answer of Authenticate for every refusal.
func errUnauthenticated() error {
	return &cu.Error{Code: cu.CodeUnauthenticated, Message: "The access token is invalid or has expired."}
}
