package memory

import (
	"bytes"
	"context"
	"crypto/subtle"
	"slices"
	"time"

	"github.com/google/uuid"

	cu "github.com/b2bkit/customerusers"
	"github.com/b2bkit/customerusers/customeruser"
)

type tokenRepo struct{ s *Store }

func (r tokenRepo) Create(ctx context.Context, tk customeruser.Token) error {
	return r.s.write(ctx, func(t *txn) error {
		k := string(tk.Hash)
		if _, ok := r.s.tokens[k]; ok {
			return cu.Conflict("token already exists")
		}
		if u, ok := r.s.users[tk.UserID]; !ok || u.OrganizationID != tk.OrganizationID {
			return notFound("customer user", tk.UserID)
		}
		tk.Hash = bytes.Clone(tk.Hash)
		put(t, r.s.tokens, k, tk)
		return nil
	})
}

func (r tokenRepo) Consume(ctx context.Context, org uuid.UUID, purpose customeruser.TokenPurpose, hash []byte) (out customeruser.Token, err error) {
	err = r.s.write(ctx, func(t *txn) error {
		tk, ok := r.s.tokens[string(hash)]
		if !ok || tk.OrganizationID != org || tk.Purpose != purpose || subtle.ConstantTimeCompare(tk.Hash, hash) != 1 {
			return cu.NotFound("token")
		}
		del(t, r.s.tokens, string(hash))
		out = tk
		out.Hash = bytes.Clone(tk.Hash)
		return nil
	})
	return out, err
}

func (r tokenRepo) DeleteForUser(ctx context.Context, org, userID uuid.UUID, purposes ...customeruser.TokenPurpose) error {
	return r.s.write(ctx, func(t *txn) error {
		for k, tk := range r.s.tokens {
			if tk.OrganizationID == org && tk.UserID == userID && (len(purposes) == 0 || slices.Contains(purposes, tk.Purpose)) {
				del(t, r.s.tokens, k)
			}
		}
		return nil
	})
}

type attemptRepo struct{ s *Store }

func (r attemptRepo) Record(ctx context.Context, a customeruser.LoginAttempt) error {
	return r.s.write(ctx, func(t *txn) error {
		appendTo(t, &r.s.attempts, a)
		return nil
	})
}

func (r attemptRepo) Failures(ctx context.Context, org, userID uuid.UUID, since time.Time) (n int, last time.Time, err error) {
	err = r.s.read(ctx, func() error {
		// Attempts are appended in time order; walk back to the last
		// success or the window start.
		for i := len(r.s.attempts) - 1; i >= 0; i-- {
			a := r.s.attempts[i]
			if a.OrganizationID != org || a.UserID != userID {
				continue
			}
			if a.Success || !a.At.After(since) {
				break
			}
			if a.Reason == customeruser.ReasonThrottled {
				// Refused unchecked: not a failure of the password.
				continue
			}
			n++
			if a.At.After(last) {
				last = a.At
			}
		}
		return nil
	})
	return n, last, err
}

func (r attemptRepo) List(ctx context.Context, org, userID uuid.UUID, p cu.Page) (out cu.PageOf[customeruser.LoginAttempt], err error) {
	err = r.s.read(ctx, func() error {
		var items []customeruser.LoginAttempt
		for _, a := range r.s.attempts {
			if a.OrganizationID == org && a.UserID == userID {
				items = append(items, a)
			}
		}
		out, err = paginate(items, func(a customeruser.LoginAttempt) string { return timeKey(a.At) },
			func(a customeruser.LoginAttempt) uuid.UUID { return a.ID }, p, true)
		return err
	})
	return out, err
}
