package customeruser

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	cu "github.com/b2bkit/customerusers"
	"github.com/b2bkit/customerusers/role"
)

// The reasons recorded in LoginAttempt.Reason and in the payload of
// customer_user.login_failed events. Callers of Authenticate only ever see
// one generic error; these say what really happened, for the log.
const (
	ReasonUnknownEmail  = "unknown_email"
	ReasonBadPassword   = "bad_password"
	ReasonGuest         = "guest"
	ReasonDisabled      = "disabled"
	ReasonUnconfirmed   = "unconfirmed"
	ReasonPasswordReset = "password_reset"
	ReasonNoCustomer    = "no_customer"
	// ReasonThrottled marks an attempt refused by the lockout without its
	// password being checked. Such attempts are not failures of the
	// password: LoginAttemptRepository.Failures must not count them, or an
	// attacker could keep the victim locked out for good.
	ReasonThrottled = "throttled"
)

// The event types of authentication and password flows.
const (
	EventLoggedIn              = "customer_user.logged_in"
	EventLoginFailed           = "customer_user.login_failed"
	EventPasswordChanged       = "customer_user.password_changed"
	EventConfirmed             = "customer_user.confirmed"
	EventConfirmationSent      = "customer_user.confirmation_sent"
	EventPasswordResetRequest  = "customer_user.password_reset_requested"
	EventPasswordResetForced   = "customer_user.password_reset_forced"
	EventPasswordResetComplete = "customer_user.password_reset"
)

// errInvalidCredentials is the one answer Authenticate gives for every
// refusal, so that callers cannot tell which e-mails exist or why.
func errInvalidCredentials() error {
	return &cu.Error{Code: cu.CodeUnauthenticated, Message: "Invalid credentials."}
}

// loginCheck returns why u may not log in (reason and a sentence for logs),
// or two empty strings.
func loginCheck(u User) (reason, message string) {
	switch {
	case u.Guest:
		return ReasonGuest, "The customer user is a guest."
	case !u.Enabled:
		return ReasonDisabled, "The customer user is disabled."
	case !u.Confirmed:
		return ReasonUnconfirmed, "The customer user is not confirmed."
	case u.AuthStatus == AuthReset:
		return ReasonPasswordReset, "The customer user's password was reset; a new one must be set through the e-mailed link."
	case u.CustomerID == uuid.Nil:
		return ReasonNoCustomer, "The customer user has no customer."
	}
	return "", ""
}

// CheckLogin runs the login checks that do not involve the password
// (guest, disabled, unconfirmed, password reset, no customer). It is the
// single place for them: Authenticate and the OAuth token service both use
// it. The returned error is unauthenticated with the precise reason in its
// message, meant for logs and not for end users.
func (s *Service) CheckLogin(u User) error {
	if _, msg := loginCheck(u); msg != "" {
		return &cu.Error{Code: cu.CodeUnauthenticated, Message: msg}
	}
	return nil
}

// dummyHashes caches, per parameter set, a hash that unknown e-mails are
// verified against, so that they cost the same time as known ones.
var dummyHashes sync.Map // Argon2Params -> string

func (s *Service) dummyHash() string {
	if h, ok := dummyHashes.Load(s.hasher.params); ok {
		return h.(string)
	}
	secret, _, err := newSecret()
	if err != nil {
		secret = "dummy password"
	}
	h, err := s.hasher.Hash(secret)
	if err != nil {
		return ""
	}
	v, _ := dummyHashes.LoadOrStore(s.hasher.params, h)
	return v.(string)
}

// lockoutDelay returns how long after the latest failure the next attempt
// must wait, given the number of failures in the window (0: no wait).
func (p LockoutPolicy) lockoutDelay(failures int) time.Duration {
	if p.Threshold <= 0 || failures < p.Threshold {
		return 0
	}
	d := p.BaseDelay
	for i := p.Threshold; i < failures; i++ {
		if p.MaxDelay > 0 && d >= p.MaxDelay {
			break
		}
		if d > time.Duration(1<<62) {
			break
		}
		d *= 2
	}
	if p.MaxDelay > 0 && d > p.MaxDelay {
		d = p.MaxDelay
	}
	return d
}

// clip shortens s to at most n runes (untrusted request data stored in
// login attempts).
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n])
}

var errLoginRace = errors.New("customer user changed during login")

// Authenticate checks credentials for the storefront and returns the
// customer user. Every refusal (unknown e-mail, wrong password, guest,
// disabled, unconfirmed, password reset, no customer) is the same
// unauthenticated "Invalid credentials." error; the precise reason goes to
// the login attempt and to a customer_user.login_failed event. After
// Config.Lockout.Threshold failures within the window, attempts are refused
// with a rate_limited error, without checking the password, until the
// exponentially growing delay since the latest failure has passed; the
// error's RetryAfter says how long to wait. On
// success the login is recorded (last login, login count), outstanding
// set-password links die and a hash made with old parameters is re-made.
func (s *Service) Authenticate(ctx context.Context, org uuid.UUID, c Credentials) (User, error) {
	email := clip(strings.TrimSpace(c.Email), 320)
	attempt := LoginAttempt{
		OrganizationID: org,
		Email:          email,
		Source:         clip(c.Source, 64),
		IP:             clip(c.IP, 64),
		UserAgent:      clip(c.UserAgent, 512),
	}

	u, err := s.d.Users.GetByEmailKey(ctx, org, s.emailKey(email))
	if err != nil {
		if !errors.Is(err, cu.ErrNotFound) {
			return User{}, cu.Internal(err)
		}
		// Spend the same time as for a known user.
		_, _, _ = s.hasher.Verify(c.Password, s.dummyHash())
		return User{}, s.loginFailed(ctx, attempt, ReasonUnknownEmail)
	}
	attempt.UserID = u.ID

	now := s.now()
	lp := s.cfg.Lockout
	// The failures are counted without locking the user: attempts that run
	// at the same moment as the one that reaches the threshold are still
	// checked (a burst bounded by the caller's concurrency). Locking the row
	// would serialise every login of the user for the time of the hash.
	if lp.Threshold > 0 {
		n, last, err := s.d.Attempts.Failures(ctx, org, u.ID, now.Add(-lp.Window))
		if err != nil {
			return User{}, cu.Internal(err)
		}
		if d := lp.lockoutDelay(n); d > 0 && now.Before(last.Add(d)) {
			return User{}, s.loginThrottled(ctx, attempt, last.Add(d))
		}
	}

	ok, rehash, verr := false, false, error(nil)
	if u.PasswordHash == "" {
		_, _, _ = s.hasher.Verify(c.Password, s.dummyHash())
	} else {
		ok, rehash, verr = s.hasher.Verify(c.Password, u.PasswordHash)
		if verr != nil {
			s.log.ErrorContext(ctx, "stored password hash is malformed", "user", u.ID)
		}
	}
	if !ok {
		return User{}, s.loginFailed(ctx, attempt, ReasonBadPassword)
	}
	if reason, _ := loginCheck(u); reason != "" {
		return User{}, s.loginFailed(ctx, attempt, reason)
	}
	newHash := ""
	if rehash {
		if newHash, err = s.hasher.Hash(c.Password); err != nil {
			// The login is fine; the upgrade waits for the next one.
			s.log.ErrorContext(ctx, "password rehash failed", "user", u.ID, "err", err)
			newHash = ""
		}
	}

	var out User
	err = s.d.Tx.InTx(ctx, func(ctx context.Context) error {
		fresh, err := s.d.Users.Get(ctx, org, u.ID)
		if err != nil {
			return err
		}
		// The password or the account changed while we were hashing: the
		// checks above no longer hold.
		if fresh.PasswordHash != u.PasswordHash {
			return errLoginRace
		}
		if reason, _ := loginCheck(fresh); reason != "" {
			return errLoginRace
		}
		now := s.now()
		fresh.LastLoginAt = &now
		fresh.LoginCount++
		if newHash != "" {
			fresh.PasswordHash = newHash
		}
		if err := s.d.Users.Touch(ctx, fresh); err != nil {
			return err
		}
		if err := s.d.Tokens.DeleteForUser(ctx, org, fresh.ID, PurposeSetPassword); err != nil {
			return err
		}
		a := attempt
		a.ID, a.At, a.Success = s.newID(), now, true
		if err := s.d.Attempts.Record(ctx, a); err != nil {
			return err
		}
		actor := cu.CustomerUserActor(org, fresh.ID, fresh.CustomerID, fresh.RoleIDs...)
		payload := map[string]any{"loginCount": fresh.LoginCount, "source": a.Source, "ip": a.IP, "rehashed": newHash != ""}
		if err := s.record(ctx, actor, EventLoggedIn, SubjectCustomerUser, fresh.ID, payload); err != nil {
			return err
		}
		out = fresh
		return nil
	})
	if errors.Is(err, errLoginRace) {
		return User{}, s.loginFailed(ctx, attempt, ReasonBadPassword)
	}
	if err != nil {
		return User{}, cu.Internal(err)
	}
	return out, nil
}

// loginFailed records a failed attempt and its event in their own
// transaction (they must stay although the login fails) and returns the
// generic error.
func (s *Service) loginFailed(ctx context.Context, a LoginAttempt, reason string) error {
	if err := s.recordAttempt(ctx, a, reason); err != nil {
		return err
	}
	return errInvalidCredentials()
}

// loginThrottled records a throttled attempt and returns the rate_limited
// error telling when to retry.
func (s *Service) loginThrottled(ctx context.Context, a LoginAttempt, retryAt time.Time) error {
	if err := s.recordAttempt(ctx, a, ReasonThrottled); err != nil {
		return err
	}
	// Whole seconds, rounded up, so that a caller honouring RetryAfter is
	// never refused again for having come back too early.
	wait := (retryAt.Sub(s.now()) + time.Second - 1).Truncate(time.Second)
	if wait < time.Second {
		wait = time.Second
	}
	return &cu.Error{Code: cu.CodeRateLimited, RetryAfter: wait, Message: fmt.Sprintf(
		"Too many failed login attempts. Try again in %s (after %s).", wait, retryAt.UTC().Format(time.RFC3339))}
}

func (s *Service) recordAttempt(ctx context.Context, a LoginAttempt, reason string) error {
	a.ID, a.At, a.Success, a.Reason = s.newID(), s.now(), false, reason
	err := s.d.Tx.InTx(ctx, func(ctx context.Context) error {
		if err := s.d.Attempts.Record(ctx, a); err != nil {
			return err
		}
		payload := map[string]any{"reason": reason, "source": a.Source, "ip": a.IP}
		// An e-mail that matched no user stays in the login attempt only,
		// where erasing the person who later owns it finds it; an event
		// without a subject could never be redacted.
		if a.UserID != uuid.Nil {
			payload["email"] = a.Email
		}
		return s.record(ctx, cu.AnonymousActor(a.OrganizationID), EventLoginFailed, SubjectCustomerUser, a.UserID, payload)
	})
	if err != nil {
		// Failing closed: an unrecorded failure would escape the lockout.
		return cu.Internal(err)
	}
	return nil
}

// ChangePassword sets a new password. A customer user changing its own
// password must give the current one; back-office and system actors, and
// storefront actors with the manage_passwords capability and edit reach
// over the user, may set another user's password without it. The auth
// status becomes active, outstanding set-password links die and the
// AccessRevokedHooks run (RevokePasswordChanged).
func (s *Service) ChangePassword(ctx context.Context, actor cu.Actor, userID uuid.UUID, current, next string) error {
	u, err := s.d.Users.Get(ctx, actor.OrganizationID, userID)
	if err != nil {
		return err
	}
	self := actor.Kind == cu.ActorCustomerUser && actor.ID == u.ID
	if !self {
		g, err := s.authorizeUser(ctx, actor, role.Edit, u)
		if err != nil {
			return err
		}
		if !g.Has(role.CapManagePasswords) {
			return cu.Forbidden("you may not change the password of another customer user")
		}
	}

	var v cu.Violations
	if self {
		ok := false
		if current == "" {
			v.Add("currentPassword", "required", "The current password is required.")
		} else if u.PasswordHash != "" {
			ok, _, _ = s.hasher.Verify(current, u.PasswordHash)
			if !ok {
				v.Add("currentPassword", "invalid", "The current password is wrong.")
			}
		} else {
			v.Add("currentPassword", "invalid", "The current password is wrong.")
		}
	}
	v = append(v, s.cfg.Password.Check(next, u.Email)...)
	if err := v.Err(); err != nil {
		return err
	}
	hash, err := s.hasher.Hash(next)
	if err != nil {
		return cu.Internal(err)
	}
	return s.d.Tx.InTx(ctx, func(ctx context.Context) error {
		fresh, err := s.d.Users.Get(ctx, u.OrganizationID, u.ID)
		if err != nil {
			return err
		}
		if fresh.Version != u.Version {
			return cu.Stale("customer user")
		}
		now := s.now()
		changes := []cu.Change{{Field: "password"}, {Field: "passwordChangedAt", Before: fresh.PasswordChangedAt, After: now}}
		if fresh.AuthStatus != AuthActive {
			changes = append(changes, cu.Change{Field: "authStatus", Before: fresh.AuthStatus, After: AuthActive})
		}
		fresh.PasswordHash = hash
		fresh.AuthStatus = AuthActive
		fresh.PasswordChangedAt = &now
		fresh.UpdatedAt = now
		if err := s.d.Users.Update(ctx, fresh, fresh.Version); err != nil {
			return err
		}
		if err := s.d.Tokens.DeleteForUser(ctx, fresh.OrganizationID, fresh.ID, PurposeSetPassword); err != nil {
			return err
		}
		fresh.Version++
		if err := s.accessRevoked(ctx, actor, fresh, RevokePasswordChanged); err != nil {
			return err
		}
		return s.record(ctx, actor, EventPasswordChanged, SubjectCustomerUser, fresh.ID, changes)
	})
}
