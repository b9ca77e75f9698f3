package storagetest

import (
	"context"
	"slices"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	cu "github.com/b2bkit/customerusers"
	"github.com/b2bkit/customerusers/customeruser"
)

func tokenCases() []testCase {
	return []testCase{
		{"ConsumeOnce", tokenConsumeOnce},
		{"ConcurrentConsume", tokenConcurrentConsume},
		{"WrongPurposeOrOrganization", tokenWrongPurpose},
		{"DeleteForUser", tokenDeleteForUser},
	}
}

// consumable reports whether tok can be consumed (and consumes it).
func (e *env) consumable(tok customeruser.Token) bool {
	e.t.Helper()
	_, err := e.Tokens.Consume(e.ctx, tok.OrganizationID, tok.Purpose, tok.Hash)
	if err != nil {
		require.ErrorIs(e.t, err, cu.ErrNotFound)
		return false
	}
	return true
}

func tokenConsumeOnce(e *env) {
	t := e.t
	c := e.customer(e.org, uuid.Nil, "Acme")
	u := e.user(e.org, c.ID, "tok@example.com")
	tok := e.token(e.org, u.ID, customeruser.PurposeSetPassword)
	other := e.token(e.org, u.ID, customeruser.PurposeConfirm)

	got, err := e.Tokens.Consume(e.ctx, e.org, customeruser.PurposeSetPassword, slices.Clone(tok.Hash))
	require.NoError(t, err)
	assert.Equal(t, normToken(tok), normToken(got), "Consume returns the stored token")
	_, err = e.Tokens.Consume(e.ctx, e.org, customeruser.PurposeSetPassword, tok.Hash)
	requireCode(t, err, cu.ErrNotFound, "a token is single-use")
	assert.True(t, e.consumable(other), "other tokens are unaffected")

	_, err = e.Tokens.Consume(e.ctx, e.org, customeruser.PurposeConfirm, []byte("no such digest"))
	requireCode(t, err, cu.ErrNotFound)
}

func tokenConcurrentConsume(e *env) {
	t := e.t
	c := e.customer(e.org, uuid.Nil, "Acme")
	u := e.user(e.org, c.ID, "tok@example.com")
	tok := e.token(e.org, u.ID, customeruser.PurposeConfirm)
	won, notFound := race(t, func(i int) error {
		var err error
		_ = e.maybeInTx(i, func(ctx context.Context) error {
			_, err = e.Tokens.Consume(ctx, e.org, customeruser.PurposeConfirm, tok.Hash)
			return err
		})
		return err
	}, failsWith(cu.ErrNotFound))
	assert.Len(t, won, 1, "exactly one Consume succeeds")
	assert.Equal(t, concurrency-1, notFound)
}

// A token is found only with its purpose and organization; a failed
// Consume leaves it usable.
func tokenWrongPurpose(e *env) {
	t := e.t
	c := e.customer(e.org, uuid.Nil, "Acme")
	u := e.user(e.org, c.ID, "tok@example.com")
	tok := e.token(e.org, u.ID, customeruser.PurposeConfirm)

	_, err := e.Tokens.Consume(e.ctx, e.org, customeruser.PurposeSetPassword, tok.Hash)
	requireCode(t, err, cu.ErrNotFound, "wrong purpose")
	_, err = e.Tokens.Consume(e.ctx, cu.NewID(), customeruser.PurposeConfirm, tok.Hash)
	requireCode(t, err, cu.ErrNotFound, "wrong organization")
	_, err = e.Tokens.Consume(e.ctx, e.org, customeruser.PurposeConfirm, tok.Hash[:len(tok.Hash)-1])
	requireCode(t, err, cu.ErrNotFound, "a prefix of the digest")
	assert.True(t, e.consumable(tok), "still usable")
}

func tokenDeleteForUser(e *env) {
	t := e.t
	c := e.customer(e.org, uuid.Nil, "Acme")
	u := e.user(e.org, c.ID, "u@example.com")
	v := e.user(e.org, c.ID, "v@example.com")
	uConfirm := e.token(e.org, u.ID, customeruser.PurposeConfirm)
	uSet1 := e.token(e.org, u.ID, customeruser.PurposeSetPassword)
	uSet2 := e.token(e.org, u.ID, customeruser.PurposeSetPassword)
	vSet := e.token(e.org, v.ID, customeruser.PurposeSetPassword)

	require.NoError(t, e.Tokens.DeleteForUser(e.ctx, e.org, u.ID, customeruser.PurposeSetPassword))
	assert.False(t, e.consumable(uSet1), "deleted by purpose")
	assert.False(t, e.consumable(uSet2), "deleted by purpose")
	assert.True(t, e.consumable(uConfirm), "another purpose is kept")
	assert.True(t, e.consumable(vSet), "another user's token is kept")

	a := e.token(e.org, u.ID, customeruser.PurposeConfirm)
	b := e.token(e.org, u.ID, customeruser.PurposeSetPassword)
	w := e.token(e.org, v.ID, customeruser.PurposeConfirm)
	require.NoError(t, e.Tokens.DeleteForUser(e.ctx, e.org, u.ID))
	assert.False(t, e.consumable(a), "no purposes: all deleted")
	assert.False(t, e.consumable(b), "no purposes: all deleted")
	assert.True(t, e.consumable(w))

	x := e.token(e.org, u.ID, customeruser.PurposeConfirm)
	y := e.token(e.org, u.ID, customeruser.PurposeSetPassword)
	require.NoError(t, e.Tokens.DeleteForUser(e.ctx, e.org, u.ID, customeruser.PurposeConfirm, customeruser.PurposeSetPassword))
	assert.False(t, e.consumable(x))
	assert.False(t, e.consumable(y))
	require.NoError(t, e.Tokens.DeleteForUser(e.ctx, e.org, u.ID), "nothing to delete is fine")
}
