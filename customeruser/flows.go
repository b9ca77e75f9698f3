package customeruser

import (
	"context"
	"crypto/subtle"
	"errors"
	"strings"

	"github.com/google/uuid"

	cu "github.com/b2bkit/customerusers"
	"github.com/b2bkit/customerusers/role"
)

func errTokenInvalid() error {
	return cu.FieldError("token", "invalid", "The link is invalid or has already been used.")
}

func errTokenExpired() error {
	return cu.FieldError("token", "expired", "The link has expired.")
}

// errPeek rolls back the look-up transaction of peekToken.
var errPeek = errors.New("peek")

// consumeToken consumes the token of secret and purpose in the transaction
// of ctx and returns it with its user. An unknown, used or expired token,
// or one whose user is gone, disabled or a guest, is an invalid error on
// field "token" (rule "invalid" or "expired"); the caller's transaction
// then rolls back, so an expired token stays expired rather than unknown.
func (s *Service) consumeToken(ctx context.Context, org uuid.UUID, purpose TokenPurpose, secret string) (Token, User, error) {
	if secret == "" || len(secret) > 256 {
		return Token{}, User{}, errTokenInvalid()
	}
	digest := digestOf(secret)
	t, err := s.d.Tokens.Consume(ctx, org, purpose, digest)
	if err != nil {
		if errors.Is(err, cu.ErrNotFound) {
			return Token{}, User{}, errTokenInvalid()
		}
		return Token{}, User{}, cu.Internal(err)
	}
	if subtle.ConstantTimeCompare(t.Hash, digest) != 1 || t.OrganizationID != org || t.Purpose != purpose {
		return Token{}, User{}, errTokenInvalid()
	}
	if !s.now().Before(t.ExpiresAt) {
		return Token{}, User{}, errTokenExpired()
	}
	u, err := s.d.Users.Get(ctx, org, t.UserID)
	if err != nil {
		if errors.Is(err, cu.ErrNotFound) {
			return Token{}, User{}, errTokenInvalid()
		}
		return Token{}, User{}, cu.Internal(err)
	}
	if u.Guest || (purpose == PurposeSetPassword && !u.Enabled) {
		return Token{}, User{}, errTokenInvalid()
	}
	return t, u, nil
}

// peekToken is consumeToken in a transaction that always rolls back: it
// validates a token and reads its user without using the token up.
func (s *Service) peekToken(ctx context.Context, org uuid.UUID, purpose TokenPurpose, secret string) (User, error) {
	var u User
	err := s.d.Tx.InTx(ctx, func(ctx context.Context) error {
		_, got, err := s.consumeToken(ctx, org, purpose, secret)
		if err != nil {
			return err
		}
		u = got
		return errPeek
	})
	if errors.Is(err, errPeek) {
		return u, nil
	}
	return User{}, err
}

// updateUser stores u over the version it was read at and returns it as
// stored, in the transaction of ctx.
func (s *Service) updateUser(ctx context.Context, u User) (User, error) {
	if err := s.d.Users.Update(ctx, u, u.Version); err != nil {
		return User{}, err
	}
	return s.d.Users.Get(ctx, u.OrganizationID, u.ID)
}

// ConfirmEmail confirms a self-registered account with the token of its
// confirmation e-mail and sends the welcome e-mail. The token is single
// use; an unknown or used one is an invalid error on field "token" rule
// "invalid", an expired one rule "expired". An account that is already
// confirmed stays as it is (the token is used up, no e-mail is sent).
func (s *Service) ConfirmEmail(ctx context.Context, org uuid.UUID, token string) (User, error) {
	var out User
	err := s.d.Tx.InTx(ctx, func(ctx context.Context) error {
		_, u, err := s.consumeToken(ctx, org, PurposeConfirm, token)
		if err != nil {
			return err
		}
		out = u
		if u.Confirmed {
			return nil
		}
		now := s.now()
		u.Confirmed = true
		u.UpdatedAt = now
		if u, err = s.updateUser(ctx, u); err != nil {
			return err
		}
		if err := s.d.Tokens.DeleteForUser(ctx, org, u.ID, PurposeConfirm); err != nil {
			return err
		}
		actor := cu.CustomerUserActor(org, u.ID, u.CustomerID, u.RoleIDs...)
		payload := []cu.Change{{Field: "confirmed", Before: false, After: true}}
		if err := s.record(ctx, actor, EventConfirmed, SubjectCustomerUser, u.ID, payload); err != nil {
			return err
		}
		out = u
		return s.notify(ctx, userNotification(TemplateWelcome, out, ""))
	})
	if err != nil {
		return User{}, err
	}
	return out, nil
}

// Confirm confirms an account on an administrator's behalf (edit permission
// on the user). The user is e-mailed the "registered by admin" welcome with
// a set-password link; outstanding confirmation links die. Confirming an
// account that is already confirmed is a conflict. expectedVersion is the
// user's version the caller read (cu.ErrStale when it moved); 0 means "no
// optimistic check".
func (s *Service) Confirm(ctx context.Context, actor cu.Actor, userID uuid.UUID, expectedVersion int64) (User, error) {
	var out User
	var secret string
	err := s.d.Tx.InTx(ctx, func(ctx context.Context) error {
		u, err := s.d.Users.Get(ctx, actor.OrganizationID, userID)
		if err != nil {
			return err
		}
		if _, err := s.authorizeUser(ctx, actor, role.Edit, u); err != nil {
			return err
		}
		if expectedVersion != 0 && expectedVersion != u.Version {
			return cu.Stale("customer user")
		}
		if u.Confirmed {
			return cu.Conflict("the customer user is already confirmed")
		}
		if u.Guest {
			return cu.Conflict("a guest has no account to confirm")
		}
		u.Confirmed = true
		u.UpdatedAt = s.now()
		if u, err = s.updateUser(ctx, u); err != nil {
			return err
		}
		if err := s.d.Tokens.DeleteForUser(ctx, u.OrganizationID, u.ID, PurposeConfirm); err != nil {
			return err
		}
		if secret, err = s.issueToken(ctx, u, PurposeSetPassword); err != nil {
			return err
		}
		payload := []cu.Change{{Field: "confirmed", Before: false, After: true}}
		if err := s.record(ctx, actor, EventConfirmed, SubjectCustomerUser, u.ID, payload); err != nil {
			return err
		}
		out = u
		return s.notify(ctx, userNotification(TemplateWelcomeByAdmin, out, secret))
	})
	if err != nil {
		return User{}, err
	}
	return out, nil
}

// ResendConfirmation e-mails an unconfirmed user a new confirmation link
// (edit permission on the user); the previous link dies. For a confirmed
// user it is a conflict. expectedVersion is the user's version the caller
// read (cu.ErrStale when it moved, so that a link is not sent to an
// address changed meanwhile); 0 means "no optimistic check". The user's
// version does not move.
func (s *Service) ResendConfirmation(ctx context.Context, actor cu.Actor, userID uuid.UUID, expectedVersion int64) error {
	return s.d.Tx.InTx(ctx, func(ctx context.Context) error {
		u, err := s.d.Users.Get(ctx, actor.OrganizationID, userID)
		if err != nil {
			return err
		}
		if _, err := s.authorizeUser(ctx, actor, role.Edit, u); err != nil {
			return err
		}
		if expectedVersion != 0 && expectedVersion != u.Version {
			return cu.Stale("customer user")
		}
		if u.Confirmed {
			return cu.Conflict("the customer user is already confirmed")
		}
		if u.Guest {
			return cu.Conflict("a guest has no account to confirm")
		}
		secret, err := s.issueToken(ctx, u, PurposeConfirm)
		if err != nil {
			return err
		}
		if err := s.record(ctx, actor, EventConfirmationSent, SubjectCustomerUser, u.ID, nil); err != nil {
			return err
		}
		return s.notify(ctx, userNotification(TemplateConfirmation, u, secret))
	})
}

// ForgotPassword e-mails a set-password link to the user with that e-mail.
// It answers nil whether or not such a user exists, so that it cannot be
// used to find out which e-mails have accounts; guests and disabled users
// (who could not use the link) get nothing. Only an internal failure is
// reported.
func (s *Service) ForgotPassword(ctx context.Context, org uuid.UUID, email string) error {
	email = strings.TrimSpace(email)
	if email == "" || len(email) > 1024 {
		return nil
	}
	var secret string
	var u User
	err := s.d.Tx.InTx(ctx, func(ctx context.Context) error {
		var err error
		u, err = s.d.Users.GetByEmailKey(ctx, org, s.emailKey(email))
		if err != nil {
			return err
		}
		if u.Guest || !u.Enabled {
			return cu.ErrNotFound
		}
		if secret, err = s.issueToken(ctx, u, PurposeSetPassword); err != nil {
			return err
		}
		if err := s.record(ctx, cu.AnonymousActor(org), EventPasswordResetRequest, SubjectCustomerUser, u.ID, nil); err != nil {
			return err
		}
		return s.notify(ctx, userNotification(TemplateResetPassword, u, secret))
	})
	if errors.Is(err, cu.ErrNotFound) {
		return nil
	}
	return cu.Internal(err)
}

// ResetPassword sets a new password with the token of a set-password link
// (welcome, forgot password, forced reset). The token is used up only when
// the reset succeeds: a password the policy refuses leaves the link
// usable. A reset also confirms the account and makes its auth status
// active; the user's other set-password links die and the
// AccessRevokedHooks run (RevokePasswordReset). Unknown, used or
// expired tokens, and tokens of disabled users, are invalid errors on field
// "token".
func (s *Service) ResetPassword(ctx context.Context, org uuid.UUID, token, newPassword string) (User, error) {
	u, err := s.peekToken(ctx, org, PurposeSetPassword, token)
	if err != nil {
		return User{}, err
	}
	if err := cu.Violations(s.cfg.Password.Check(newPassword, u.Email)).Err(); err != nil {
		return User{}, err
	}
	hash, err := s.hasher.Hash(newPassword)
	if err != nil {
		return User{}, cu.Internal(err)
	}
	var out User
	err = s.d.Tx.InTx(ctx, func(ctx context.Context) error {
		_, fresh, err := s.consumeToken(ctx, org, PurposeSetPassword, token)
		if err != nil {
			return err
		}
		if fresh.ID != u.ID {
			return errTokenInvalid()
		}
		if fresh.Email != u.Email {
			// The policy was checked against another e-mail.
			if err := cu.Violations(s.cfg.Password.Check(newPassword, fresh.Email)).Err(); err != nil {
				return err
			}
		}
		now := s.now()
		changes := []cu.Change{{Field: "password"}, {Field: "passwordChangedAt", Before: fresh.PasswordChangedAt, After: now}}
		if !fresh.Confirmed {
			changes = append(changes, cu.Change{Field: "confirmed", Before: false, After: true})
		}
		if fresh.AuthStatus != AuthActive {
			changes = append(changes, cu.Change{Field: "authStatus", Before: fresh.AuthStatus, After: AuthActive})
		}
		fresh.PasswordHash = hash
		fresh.Confirmed = true
		fresh.AuthStatus = AuthActive
		fresh.PasswordChangedAt = &now
		fresh.UpdatedAt = now
		if fresh, err = s.updateUser(ctx, fresh); err != nil {
			return err
		}
		if err := s.d.Tokens.DeleteForUser(ctx, org, fresh.ID, PurposeSetPassword, PurposeConfirm); err != nil {
			return err
		}
		actor := cu.CustomerUserActor(org, fresh.ID, fresh.CustomerID, fresh.RoleIDs...)
		if err := s.accessRevoked(ctx, actor, fresh, RevokePasswordReset); err != nil {
			return err
		}
		if err := s.record(ctx, actor, EventPasswordResetComplete, SubjectCustomerUser, fresh.ID, changes); err != nil {
			return err
		}
		out = fresh
		return nil
	})
	if err != nil {
		return User{}, err
	}
	return out, nil
}

// ForceReset makes an enabled user set a new password before logging in
// again: the auth status becomes "reset" and the user is e-mailed a
// set-password link (Config.ResetTTL). Back-office actors may do it to
// anyone; storefront actors need the manage_passwords capability and edit
// reach over the user, and may never do it to themselves. A disabled user
// is a conflict. The AccessRevokedHooks run (RevokePasswordResetForced), so
// that credentials issued before stay dead once the user sets its new
// password. expectedVersion is the user's version the caller read
// (cu.ErrStale when it moved); 0 means "no optimistic check".
func (s *Service) ForceReset(ctx context.Context, actor cu.Actor, userID uuid.UUID, expectedVersion int64) (User, error) {
	var out User
	var secret string
	err := s.d.Tx.InTx(ctx, func(ctx context.Context) error {
		u, err := s.d.Users.Get(ctx, actor.OrganizationID, userID)
		if err != nil {
			return err
		}
		g, err := s.authorizeUser(ctx, actor, role.Edit, u)
		if err != nil {
			return err
		}
		if !g.Has(role.CapManagePasswords) {
			return cu.Forbidden("you may not reset the password of this customer user")
		}
		if actor.Kind == cu.ActorCustomerUser && actor.ID == u.ID {
			return cu.Forbidden("you may not force a password reset of your own account")
		}
		if expectedVersion != 0 && expectedVersion != u.Version {
			return cu.Stale("customer user")
		}
		if !u.Enabled || u.Guest {
			return cu.Conflict("only enabled customer users can be made to reset their password")
		}
		before := u.AuthStatus
		u.AuthStatus = AuthReset
		u.UpdatedAt = s.now()
		if u, err = s.updateUser(ctx, u); err != nil {
			return err
		}
		if secret, err = s.issueToken(ctx, u, PurposeSetPassword); err != nil {
			return err
		}
		if err := s.accessRevoked(ctx, actor, u, RevokePasswordResetForced); err != nil {
			return err
		}
		var payload any
		if before != AuthReset {
			payload = []cu.Change{{Field: "authStatus", Before: before, After: AuthReset}}
		}
		if err := s.record(ctx, actor, EventPasswordResetForced, SubjectCustomerUser, u.ID, payload); err != nil {
			return err
		}
		out = u
		return s.notify(ctx, userNotification(TemplateForcedReset, out, secret))
	})
	if err != nil {
		return User{}, err
	}
	return out, nil
}
