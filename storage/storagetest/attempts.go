package storagetest

import (
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	cu "github.com/b2bkit/customerusers"
	"github.com/b2bkit/customerusers/customeruser"
)

func attemptCases() []testCase {
	return []testCase{
		{"Failures", attemptFailures},
		{"List", attemptList},
	}
}

// attempt records one attempt of user at base+minutes.
func (e *env) attempt(org, userID uuid.UUID, minutes int, success bool) customeruser.LoginAttempt {
	e.t.Helper()
	a := customeruser.LoginAttempt{
		ID: cu.NewID(), OrganizationID: org, UserID: userID, Email: "someone@example.com",
		At: base.Add(time.Duration(minutes) * time.Minute), Success: success,
		Source: "storefront", IP: "203.0.113.7", UserAgent: "Mozilla/5.0 (X11; Linux x86_64)",
	}
	if !success {
		a.Reason = "wrong_password"
	}
	require.NoError(e.t, e.Attempts.Record(e.ctx, a))
	return a
}

func (e *env) failures(userID uuid.UUID, since time.Time) (int, time.Time) {
	e.t.Helper()
	n, last, err := e.Attempts.Failures(e.ctx, e.org, userID, since)
	require.NoError(e.t, err)
	return n, last
}

// Failures counts the failures after since and after the last success,
// and returns the time of the latest one. (Other organizations' attempts
// are covered by the isolation test.)
func attemptFailures(e *env) {
	t := e.t
	c := e.customer(e.org, uuid.Nil, "Acme")
	u := e.user(e.org, c.ID, "u@example.com").ID
	v := e.user(e.org, c.ID, "v@example.com").ID
	w := e.user(e.org, c.ID, "w@example.com").ID
	e.attempt(e.org, u, 1, false)
	e.attempt(e.org, u, 2, false)
	e.attempt(e.org, u, 3, true)
	e.attempt(e.org, u, 4, false)
	e.attempt(e.org, u, 5, false)
	e.attempt(e.org, u, 6, false)
	e.attempt(e.org, v, 7, false)        // another user
	e.attempt(e.org, uuid.Nil, 9, false) // an unknown e-mail
	e.attempt(e.org, w, 1, true)

	at := func(m float64) time.Time { return base.Add(time.Duration(m * float64(time.Minute))) }
	n, last := e.failures(u, base)
	assert.Equal(t, 3, n, "failures after the last success")
	assert.True(t, at(6).Equal(last), "latest failure, got %v", last)
	n, last = e.failures(u, at(4.5))
	assert.Equal(t, 2, n, "failures after since")
	assert.True(t, at(6).Equal(last), "latest failure, got %v", last)
	n, _ = e.failures(u, at(10))
	assert.Zero(t, n, "nothing after since")

	n, last = e.failures(v, base)
	assert.Equal(t, 1, n, "no success yet: every failure after since")
	assert.True(t, at(7).Equal(last))

	n, last = e.failures(w, base)
	assert.Zero(t, n, "successes only")
	assert.True(t, last.IsZero(), "no failure, no time")
	n, last = e.failures(cu.NewID(), base)
	assert.Zero(t, n, "unknown user")
	assert.True(t, last.IsZero())

	e.attempt(e.org, u, 11, true)
	n, _ = e.failures(u, base)
	assert.Zero(t, n, "a success resets the count")
	e.attempt(e.org, u, 12, false)
	n, last = e.failures(u, base)
	assert.Equal(t, 1, n)
	assert.True(t, at(12).Equal(last))
}

// List pages one user's attempts newest first, every field kept.
func attemptList(e *env) {
	t := e.t
	c := e.customer(e.org, uuid.Nil, "Acme")
	u := e.user(e.org, c.ID, "u@example.com").ID
	var want []customeruser.LoginAttempt
	for i := range 8 {
		a := customeruser.LoginAttempt{
			ID: cu.NewID(), OrganizationID: e.org, UserID: u, Email: fmt.Sprintf("User%d@Example.com", i),
			// Recorded out of time order.
			At: base.Add(time.Duration((i*5)%8) * time.Minute), Success: i%3 == 0,
			Reason: fmt.Sprintf("reason %d", i), Source: "api", IP: "2001:db8::1", UserAgent: fmt.Sprintf("agent/%d", i),
		}
		require.NoError(t, e.Attempts.Record(e.ctx, a))
		want = append(want, a)
	}
	e.attempt(e.org, e.user(e.org, c.ID, "other@example.com").ID, 3, false) // another user's
	slices.SortFunc(want, func(a, b customeruser.LoginAttempt) int { return b.At.Compare(a.At) })

	for _, limit := range []int{0, 1, 3, 8} {
		got := allPages(t, limit, lister(e.ctx, e.Attempts.List, e.org, u), cu.Page{})
		assert.Equal(t, mapSlice(want, normAttempt), mapSlice(got, normAttempt), "limit %d: newest first", limit)
	}
	pg, err := e.Attempts.List(e.ctx, e.org, cu.NewID(), cu.Page{})
	require.NoError(t, err)
	assert.Empty(t, pg.Items)
	assert.Empty(t, pg.NextCursor)
}
