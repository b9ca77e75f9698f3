package postgres_test

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	cu "github.com/b2bkit/customerusers"
	"github.com/b2bkit/customerusers/storage/postgres/pgtest"
)

// TestEventsAppendMany: a multi-event Append (sent as one JSON array)
// stores what a one-event Append (sent as parameters) stores, field for
// field, in the order given, whatever the strings and payloads hold; a bad
// event stores none of its call.
func TestEventsAppendMany(t *testing.T) {
	s := pgtest.Open(t)
	ctx := t.Context()
	org := cu.NewID()
	base := time.Date(2026, 3, 1, 9, 0, 0, 123456789, time.FixedZone("CET", 3600))
	types := []string{"customer_user.created", `quote " and \ backslash`, "line\nbreak\ttab\r", "ctl \x01\x1f", "ünïcødé ✓ 😀", ""}
	payloads := []json.RawMessage{nil, json.RawMessage(`null`), json.RawMessage(`{}`),
		json.RawMessage(` { "email" : "a\"b@example.com", "n": [1, 2.5, true, null], "s": "\u00e9\n" } `),
		json.RawMessage(`"just a string"`), json.RawMessage(`[]`)}
	actors := []cu.Actor{cu.SystemActor(org), cu.BackOfficeActor(org, cu.NewID()), cu.AnonymousActor(org)}
	var events []cu.Event
	for i := range 600 {
		// Times run backwards: the order is the order given, not the time.
		at := base.Add(-time.Duration(i) * time.Second)
		e := cu.NewEvent(cu.NewID(), at, actors[i%len(actors)], types[i%len(types)], "customer_user", cu.NewID(), nil)
		e.Payload = payloads[i%len(payloads)]
		events = append(events, e)
	}
	// The same events one by one, as the reference.
	single := make([]cu.Event, len(types)*len(payloads))
	for i := range single {
		single[i] = events[i]
		single[i].ID, single[i].OrganizationID = cu.NewID(), cu.NewID()
	}
	require.NoError(t, s.Events().Append(ctx, events...))
	for _, e := range single {
		require.NoError(t, s.Events().Append(ctx, e))
	}

	list := func(org uuid.UUID) []cu.Event {
		t.Helper()
		var out []cu.Event
		p := cu.Page{Limit: cu.MaxPageLimit}
		for {
			pg, err := s.Events().List(ctx, org, cu.EventFilter{}, p)
			require.NoError(t, err)
			out = append(out, pg.Items...)
			if pg.NextCursor == "" {
				return out
			}
			p.Cursor = pg.NextCursor
		}
	}
	got := list(org)
	require.Len(t, got, len(events))
	for i, e := range events {
		want := e
		want.OccurredAt = e.OccurredAt.UTC().Truncate(time.Microsecond)
		g := got[i]
		g.Payload = normPayload(t, g.Payload)
		want.Payload = normPayload(t, want.Payload)
		if !assert.Equal(t, want, g, "event %d", i) {
			break
		}
		if i < len(single) {
			one := list(single[i].OrganizationID)
			require.Len(t, one, 1)
			one[0].ID, one[0].OrganizationID = g.ID, g.OrganizationID
			one[0].Payload = normPayload(t, one[0].Payload)
			assert.Equal(t, g, one[0], "event %d appended alone", i)
		}
	}

	// All or nothing: a bad payload, or an id given twice, stores none.
	other := cu.NewID()
	batch := func() []cu.Event {
		var out []cu.Event
		for i := range 5 {
			out = append(out, cu.NewEvent(cu.NewID(), base, cu.SystemActor(other), fmt.Sprintf("t%d", i), "customer_user", cu.NewID(), nil))
		}
		return out
	}
	bad := batch()
	bad[3].Payload = json.RawMessage(`{"broken":`)
	require.ErrorIs(t, s.Events().Append(ctx, bad...), cu.ErrInvalid)
	twice := batch()
	twice[4].ID = twice[1].ID
	require.Error(t, s.Events().Append(ctx, twice...))
	taken := batch()
	taken[2].ID = events[0].ID
	require.Error(t, s.Events().Append(ctx, taken...))
	assert.Empty(t, list(other))
}

// normPayload canonicalizes a JSON payload (jsonb reorders keys and
// respaces), keeping nil apart from JSON null.
func normPayload(t *testing.T, p json.RawMessage) json.RawMessage {
	t.Helper()
	if p == nil {
		return nil
	}
	var v any
	require.NoError(t, json.Unmarshal(p, &v))
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return b
}
