package customerusers_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	cu "github.com/b2bkit/customerusers"
)

func TestErrorsMatchTheirSentinelByCode(t *testing.T) {
	tests := []struct {
		err      error
		sentinel error
		code     cu.Code
	}{
		{cu.NotFound("customer"), cu.ErrNotFound, cu.CodeNotFound},
		{cu.Conflict("x %d", 1), cu.ErrConflict, cu.CodeConflict},
		{cu.Forbidden("no"), cu.ErrForbidden, cu.CodeForbidden},
		{cu.Stale("role"), cu.ErrStale, cu.CodeStale},
		{cu.FieldError("email", "unique", "taken"), cu.ErrInvalid, cu.CodeInvalid},
		{cu.Internal(errors.New("disk")), cu.ErrInternal, cu.CodeInternal},
		{fmt.Errorf("wrapped: %w", cu.NotFound("user")), cu.ErrNotFound, cu.CodeNotFound},
	}
	for _, tt := range tests {
		t.Run(string(tt.code), func(t *testing.T) {
			assert.ErrorIs(t, tt.err, tt.sentinel)
			assert.Equal(t, tt.code, cu.CodeOf(tt.err))
			for _, other := range []error{cu.ErrNotFound, cu.ErrConflict, cu.ErrForbidden, cu.ErrStale, cu.ErrInvalid, cu.ErrInternal} {
				if other != tt.sentinel {
					assert.NotErrorIs(t, tt.err, other)
				}
			}
		})
	}
	assert.Equal(t, cu.Code(""), cu.CodeOf(nil))
	assert.Equal(t, cu.CodeInternal, cu.CodeOf(errors.New("plain")))
	assert.NoError(t, cu.Internal(nil))
}

func TestInternalKeepsTheCauseAndLibraryErrors(t *testing.T) {
	cause := errors.New("connection reset")
	err := cu.Internal(cause)
	assert.ErrorIs(t, err, cause)
	nf := cu.NotFound("role")
	assert.Same(t, nf, cu.Internal(nf))
}

func TestViolations(t *testing.T) {
	var v cu.Violations
	require.NoError(t, v.Err())
	v.Add("email", "required", "An email is required.")
	v.Addf("firstName", "max_length", "At most %d characters.", 255)
	inner := cu.Invalid(cu.Violation{Field: "country", Rule: "country", Message: "Unknown country."}, cu.Violation{Rule: "name_or_organization", Message: "Name or organization."})
	require.NoError(t, v.Merge("addresses[0]", inner))
	other := cu.NotFound("x")
	assert.Same(t, error(other), v.Merge("p", other))

	err := v.Err()
	var e *cu.Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, cu.CodeInvalid, e.Code)
	assert.Equal(t, []string{"email", "firstName", "addresses[0].country", "addresses[0]"},
		[]string{e.Violations[0].Field, e.Violations[1].Field, e.Violations[2].Field, e.Violations[3].Field})
	got, ok := e.Violation("firstName")
	assert.True(t, ok)
	assert.Equal(t, "max_length", got.Rule)
	_, ok = e.Violation("nope")
	assert.False(t, ok)
	assert.Contains(t, err.Error(), "email: An email is required. [required]")
}

func TestPageNormalize(t *testing.T) {
	p, err := cu.Page{}.Normalize()
	require.NoError(t, err)
	assert.Equal(t, cu.DefaultPageLimit, p.Limit)

	for _, bad := range []cu.Page{{Limit: -1}, {Limit: cu.MaxPageLimit + 1}, {Cursor: "%%%"}, {Cursor: "bm90LWpzb24"}} {
		_, err := bad.Normalize()
		assert.ErrorIs(t, err, cu.ErrInvalid, "%+v", bad)
	}

	c := cu.Cursor{Sort: "-email", Key: "a@b.example", ID: uuid.New()}
	enc := cu.EncodeCursor(c)
	dec, err := cu.DecodeCursor(enc)
	require.NoError(t, err)
	assert.Equal(t, c, dec)
	_, err = cu.Page{Cursor: enc, Sort: cu.ParseSort("-email")}.Normalize()
	assert.NoError(t, err)
	_, err = cu.Page{Cursor: enc, Sort: cu.ParseSort("email")}.Normalize()
	assert.ErrorIs(t, err, cu.ErrInvalid, "a cursor of another sort order is refused")
}

func TestParseSort(t *testing.T) {
	assert.Equal(t, cu.Sort{Field: "email", Desc: true}, cu.ParseSort("-email"))
	assert.Equal(t, cu.Sort{Field: "email"}, cu.ParseSort("email"))
	assert.Equal(t, "-email", cu.ParseSort("-email").String())
}

func TestManualClock(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.FixedZone("x", 3600))
	c := cu.NewManualClock(start)
	assert.Equal(t, time.UTC, c.Now().Location())
	c.Advance(time.Hour)
	assert.True(t, c.Now().Equal(start.Add(time.Hour)))
	c.Set(start)
	assert.True(t, c.Now().Equal(start))
}

func TestNewIDIsTimeOrderedV7(t *testing.T) {
	a, b := cu.NewID(), cu.NewID()
	assert.Equal(t, uuid.Version(7), a.Version())
	assert.Negative(t, compareUUID(a, b))
}

func compareUUID(a, b uuid.UUID) int {
	for i := range a {
		if a[i] != b[i] {
			return int(a[i]) - int(b[i])
		}
	}
	return 0
}

func TestNewEventMarshalsPayloadAndActor(t *testing.T) {
	org, user := uuid.New(), uuid.New()
	at := time.Date(2026, 2, 3, 4, 5, 6, 0, time.UTC)
	e := cu.NewEvent(uuid.New(), at, cu.BackOfficeActor(org, user), "customer.updated", "customer", uuid.New(),
		[]cu.Change{{Field: "name", Before: "A", After: "B"}})
	assert.Equal(t, org, e.OrganizationID)
	assert.Equal(t, cu.ActorRef{Kind: cu.ActorBackOffice, ID: user}, e.Actor)
	assert.JSONEq(t, `[{"field":"name","before":"A","after":"B"}]`, string(e.Payload))
	assert.Nil(t, cu.NewEvent(uuid.New(), at, cu.SystemActor(org), "x", "y", uuid.New(), nil).Payload)
}

func TestActors(t *testing.T) {
	org := uuid.New()
	assert.True(t, cu.SystemActor(org).Trusted())
	assert.True(t, cu.BackOfficeActor(org, uuid.New()).Trusted())
	assert.False(t, cu.AnonymousActor(org).Trusted())
	roles := []uuid.UUID{uuid.New()}
	a := cu.CustomerUserActor(org, uuid.New(), uuid.New(), roles...)
	assert.False(t, a.Trusted())
	roles[0] = uuid.Nil
	assert.NotEqual(t, uuid.Nil, a.RoleIDs[0], "the actor keeps its own copy of the role ids")
}
