package storagetest

import (
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	cu "github.com/b2bkit/customerusers"
)

func eventCases() []testCase {
	return []testCase{
		{"AppendAndList", eventAppendList},
	}
}

// Events of one subject come back in the order they happened (OccurredAt,
// then id), every field kept, paged; other subjects' events do not.
func eventAppendList(e *env) {
	t := e.t
	subject, other := cu.NewID(), cu.NewID()
	at := base.Add(time.Hour)
	payload := map[string]any{"changes": []cu.Change{{Field: "firstName", Before: "Ann", After: "Anne"}}, "n": 1}
	want := []cu.Event{
		event(e.org, "customer_user", subject, "customer_user.created", at, map[string]any{"email": "ann@example.com"}),
		event(e.org, "customer_user", subject, "customer_user.updated", at.Add(time.Second), payload),
		// Two events at the same time: the id decides.
		event(e.org, "customer_user", subject, "customer_user.disabled", at.Add(2*time.Second), nil),
		event(e.org, "customer_user", subject, "customer_user.enabled", at.Add(2*time.Second), nil),
		event(e.org, "customer_user", subject, "customer_user.deleted", at.Add(3*time.Second), map[string]any{}),
	}
	require.Negative(t, compareIDs(want[2].ID, want[3].ID), "ids are time-ordered")
	noise := []cu.Event{
		event(e.org, "customer_user", other, "customer_user.created", at, nil),
		event(e.org, "customer", subject, "customer.created", at, nil), // same id, another subject type
		event(cu.NewID(), "customer_user", subject, "customer_user.created", at, nil),
	}
	// Append several at once and one by one, mixed with noise.
	require.NoError(t, e.Events.Append(e.ctx, want[0], noise[0], want[1]))
	require.NoError(t, e.Events.Append(e.ctx, noise[1]))
	require.NoError(t, e.Events.Append(e.ctx, want[2]))
	require.NoError(t, e.Events.Append(e.ctx, noise[2], want[3], want[4]))
	require.NoError(t, e.Events.Append(e.ctx), "appending nothing")

	f := cu.EventFilter{SubjectType: "customer_user", SubjectID: subject}
	for _, limit := range []int{0, 1, 2, 5} {
		got := allPages(t, limit, lister(e.ctx, e.Events.List, e.org, f), cu.Page{})
		assert.Equal(t, mapSlice(want, normEvent), mapSlice(got, normEvent), "limit %d", limit)
	}
	pg, err := e.Events.List(e.ctx, e.org, cu.EventFilter{SubjectType: "customer", SubjectID: subject}, cu.Page{})
	require.NoError(t, err)
	require.Len(t, pg.Items, 1)
	assert.Equal(t, noise[1].ID, pg.Items[0].ID)
	pg, err = e.Events.List(e.ctx, e.org, cu.EventFilter{SubjectType: "customer_user", SubjectID: cu.NewID()}, cu.Page{})
	require.NoError(t, err)
	assert.Empty(t, pg.Items)
	assert.Empty(t, pg.NextCursor)
}
