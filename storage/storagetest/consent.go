package storagetest

import (
	"context"
	"errors"
	"maps"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	cu "github.com/b2bkit/customerusers"
	"github.com/b2bkit/customerusers/consent"
)

// ConsentRepos are the consent repositories of one storage, opened fresh
// for one test.
type ConsentRepos struct {
	Tx          cu.Transactor
	Definitions consent.DefinitionRepository
	Ledger      consent.LedgerRepository
}

// RunConsent runs the contract suite of consent.DefinitionRepository and
// consent.LedgerRepository. Each subtest calls open(t) for a fresh, empty
// storage, in parallel. Besides the interfaces' doc comments, it enforces:
//
//   - the ledger lists entries in append order, whatever their times and
//     ids, and an entry never changes once appended; "latest" means last
//     appended;
//   - a ledger entry does not need its user to exist (entries outlive
//     users), but needs its consent in its own organization;
//   - Append of several entries is all or nothing;
//   - a definition with ledger entries cannot be deleted (cu.ErrConflict);
//   - definition lists order by position then id, and refuse other sorts
//     as invalid;
//   - Names may come back nil when empty, WebsiteIDs in any order.
func RunConsent(t *testing.T, open func(t *testing.T) ConsentRepos) {
	t.Helper()
	cases := []caseOf[func(e *consentEnv)]{
		{"DefinitionRoundTrip", consentDefRoundTrip},
		{"DefinitionUpdate", consentDefUpdate},
		{"DefinitionConcurrentUpdate", consentDefConcurrentUpdate},
		{"DefinitionDelete", consentDefDelete},
		{"DefinitionListOrderAndPaging", consentDefList},
		{"LedgerAppendOrder", consentLedgerOrder},
		{"LedgerAppendAllOrNothing", consentLedgerAllOrNothing},
		{"LedgerPaging", consentLedgerPaging},
		{"LedgerConcurrentAppend", consentLedgerConcurrent},
		{"LedgerLatest", consentLedgerLatest},
		{"LedgerHasAcceptance", consentLedgerHasAcceptance},
		{"Isolation", consentIsolation},
		{"Rollback", consentRollback},
	}
	runCases(t, cases, open, func(t *testing.T, r ConsentRepos, fn func(*consentEnv)) {
		requireRepos(t, r)
		fn(&consentEnv{env: newEnv(t, Repos{Tx: r.Tx}), ConsentRepos: r})
	})
}

// consentEnv is the fixture of one consent test. Its env holds the
// transactor too, for maybeInTx.
type consentEnv struct {
	*env
	ConsentRepos
}

// definition creates a definition with defaults, changed by opts.
func (e *consentEnv) definition(org uuid.UUID, name string, pos int, opts ...func(*consent.Definition)) consent.Definition {
	e.t.Helper()
	at := e.now()
	d := consent.Definition{
		ID: cu.NewID(), OrganizationID: org, DefaultName: name, Mandatory: true, DeclinedNotification: true,
		ContentRef: "/terms/" + name, ContentVersion: 1, Position: pos, CreatedAt: at, UpdatedAt: at, Version: 1,
	}
	return stored(e.env, d, opts, e.Definitions.Create, "create consent %q", name)
}

// entry returns an unsaved ledger entry.
func (e *consentEnv) entry(org, consentID, userID uuid.UUID, kind consent.Kind, version int) consent.Entry {
	return consent.Entry{
		ID: cu.NewID(), OrganizationID: org, ConsentID: consentID, UserID: userID, ContentVersion: version,
		ContentRef: "/terms/v" + string(rune('0'+version%10)), Kind: kind, At: e.now(), Source: consent.SourceProfile,
		Actor: cu.ActorRef{Kind: cu.ActorCustomerUser, ID: userID},
	}
}

// appendEntries appends entries one call each.
func (e *consentEnv) appendEntries(entries ...consent.Entry) {
	e.t.Helper()
	for _, x := range entries {
		require.NoError(e.t, e.Ledger.Append(e.ctx, x))
	}
}

func (e *consentEnv) getDef(org, id uuid.UUID) consent.Definition {
	e.t.Helper()
	d, err := e.Definitions.Get(e.ctx, org, id)
	require.NoError(e.t, err)
	return d
}

// listDefs returns every definition matching f (all pages of limit).
func (e *consentEnv) listDefs(org uuid.UUID, f consent.DefinitionFilter, limit int) []consent.Definition {
	e.t.Helper()
	return allPages(e.t, limit, lister(e.ctx, e.Definitions.List, org, f), cu.Page{})
}

// listEntries returns every entry matching f (all pages of limit).
func (e *consentEnv) listEntries(org uuid.UUID, f consent.LedgerFilter, limit int) []consent.Entry {
	e.t.Helper()
	return allPages(e.t, limit, lister(e.ctx, e.Ledger.List, org, f), cu.Page{})
}

func normDef(d consent.Definition) consent.Definition {
	d.CreatedAt, d.UpdatedAt = utc(d.CreatedAt), utc(d.UpdatedAt)
	if len(d.Names) == 0 {
		d.Names = nil
	} else {
		d.Names = maps.Clone(d.Names)
	}
	d.WebsiteIDs = sortedIDs(d.WebsiteIDs)
	return d
}

func normEntry(x consent.Entry) consent.Entry {
	x.At = utc(x.At)
	return x
}

func normEntries(xs []consent.Entry) []consent.Entry { return mapSlice(xs, normEntry) }

func defIDs(ds []consent.Definition) []uuid.UUID {
	return mapSlice(ds, func(d consent.Definition) uuid.UUID { return d.ID })
}

func entryIDs(xs []consent.Entry) []uuid.UUID {
	return mapSlice(xs, func(x consent.Entry) uuid.UUID { return x.ID })
}

// Every field survives a round trip; values are copied in and out.
func consentDefRoundTrip(e *consentEnv) {
	t := e.t
	loc1, loc2, w1, w2 := cu.NewID(), cu.NewID(), cu.NewID(), cu.NewID()
	d := e.definition(e.org, "Terms", 3, func(d *consent.Definition) {
		d.Names = map[uuid.UUID]string{loc1: "Conditions", loc2: "Bedingungen"}
		d.Mandatory, d.DeclinedNotification = false, true
		d.ContentRef, d.ContentVersion = "https://shop.example/terms?v=7", 7
		d.WebsiteIDs = []uuid.UUID{w1, w2}
	})
	got := e.getDef(e.org, d.ID)
	assert.Equal(t, normDef(d), normDef(got))
	locked, err := e.Definitions.Lock(e.ctx, e.org, d.ID, true)
	require.NoError(t, err)
	assert.Equal(t, normDef(d), normDef(locked), "Lock reads the definition")
	require.NoError(t, e.Tx.InTx(e.ctx, func(ctx context.Context) error {
		x, err := e.Definitions.Lock(ctx, e.org, d.ID, false)
		assert.Equal(t, normDef(d), normDef(x))
		return err
	}), "Lock in a transaction")

	plain := e.definition(e.org, "Plain", 0)
	assert.Equal(t, normDef(plain), normDef(e.getDef(e.org, plain.ID)), "no names, no websites")

	got.Names[loc1] = "changed"
	got.WebsiteIDs[0] = cu.NewID()
	d.Names[loc2] = "changed too"
	again := e.getDef(e.org, d.ID)
	assert.Equal(t, "Conditions", again.Names[loc1], "a returned value is a copy")
	assert.Equal(t, "Bedingungen", again.Names[loc2], "a created value is a copy")
	sameIDs(t, []uuid.UUID{w1, w2}, again.WebsiteIDs)

	_, err = e.Definitions.Get(e.ctx, e.org, cu.NewID())
	requireCode(t, err, cu.ErrNotFound)
	_, err = e.Definitions.Lock(e.ctx, e.org, cu.NewID(), false)
	requireCode(t, err, cu.ErrNotFound)
	dup := plain
	dup.DefaultName = "Duplicate"
	require.Error(t, e.Definitions.Create(e.ctx, dup), "an id is created once")
	assert.Equal(t, "Plain", e.getDef(e.org, plain.ID).DefaultName)
}

func consentDefUpdate(e *consentEnv) {
	t := e.t
	d := e.definition(e.org, "Terms", 1)
	w := cu.NewID()
	next := d
	next.DefaultName, next.ContentVersion, next.ContentRef = "Terms of sale", 2, "/terms/2"
	next.Names = map[uuid.UUID]string{cu.NewID(): "Conditions"}
	next.WebsiteIDs, next.Position, next.Mandatory = []uuid.UUID{w}, 9, false
	next.UpdatedAt = e.now()
	require.NoError(t, e.Definitions.Update(e.ctx, next, 1))
	got := e.getDef(e.org, d.ID)
	want := next
	want.Version = 2
	assert.Equal(t, normDef(want), normDef(got))

	stale := next
	stale.DefaultName = "Lost update"
	requireCode(t, e.Definitions.Update(e.ctx, stale, 1), cu.ErrStale)
	assert.Equal(t, "Terms of sale", e.getDef(e.org, d.ID).DefaultName, "a stale update changes nothing")

	ghost := next
	ghost.ID = cu.NewID()
	requireCode(t, e.Definitions.Update(e.ctx, ghost, 1), cu.ErrNotFound)
}

func consentDefConcurrentUpdate(e *consentEnv) {
	t := e.t
	d := e.definition(e.org, "Terms", 1)
	won, stale := race(t, func(i int) error {
		x := d
		x.Position = 100 + i
		return e.maybeInTx(i, func(ctx context.Context) error { return e.Definitions.Update(ctx, x, 1) })
	}, failsWith(cu.ErrStale))
	assert.Len(t, won, 1, "exactly one update of version 1 wins")
	assert.Equal(t, concurrency-1, stale)
	assert.Equal(t, int64(2), e.getDef(e.org, d.ID).Version)
}

func consentDefDelete(e *consentEnv) {
	t := e.t
	free := e.definition(e.org, "Free", 1)
	used := e.definition(e.org, "Used", 2)
	require.NoError(t, e.Ledger.Append(e.ctx, e.entry(e.org, used.ID, cu.NewID(), consent.KindAccept, 1)))

	require.NoError(t, e.Definitions.Delete(e.ctx, e.org, free.ID))
	_, err := e.Definitions.Get(e.ctx, e.org, free.ID)
	requireCode(t, err, cu.ErrNotFound, "deleted")
	requireCode(t, e.Definitions.Delete(e.ctx, e.org, free.ID), cu.ErrNotFound, "deleted twice")

	requireCode(t, e.Definitions.Delete(e.ctx, e.org, used.ID), cu.ErrConflict, "a consent with ledger entries stays")
	assert.Equal(t, normDef(used), normDef(e.getDef(e.org, used.ID)))
	assert.Len(t, e.listEntries(e.org, consent.LedgerFilter{ConsentID: used.ID}, 0), 1)
}

func consentDefList(e *consentEnv) {
	t := e.t
	w1, w2 := cu.NewID(), cu.NewID()
	var all []consent.Definition
	for i, pos := range []int{5, 1, 3, 1, 0, 5, 2, 1} {
		ws := []uuid.UUID{w1}
		if i%2 == 1 {
			ws = []uuid.UUID{w1, w2}
		}
		if i == 4 {
			ws = nil
		}
		all = append(all, e.definition(e.org, "C"+string(rune('a'+i)), pos, func(d *consent.Definition) { d.WebsiteIDs = ws }))
	}
	want := slices.Clone(all)
	slices.SortFunc(want, func(a, b consent.Definition) int {
		if a.Position != b.Position {
			return a.Position - b.Position
		}
		return compareIDs(a.ID, b.ID)
	})
	for _, limit := range []int{1, 2, 3, 0} {
		got := e.listDefs(e.org, consent.DefinitionFilter{}, limit)
		assert.Equal(t, strs(defIDs(want)), strs(defIDs(got)), "position then id, limit %d", limit)
	}
	got := e.listDefs(e.org, consent.DefinitionFilter{}, 0)
	assert.Equal(t, mapSlice(want, normDef), mapSlice(got, normDef), "every field listed")

	onW2 := slices.DeleteFunc(slices.Clone(want), func(d consent.Definition) bool { return !slices.Contains(d.WebsiteIDs, w2) })
	require.Len(t, onW2, 4)
	assert.Equal(t, strs(defIDs(onW2)), strs(defIDs(e.listDefs(e.org, consent.DefinitionFilter{WebsiteID: w2}, 2))), "website filter")
	assert.Empty(t, e.listDefs(e.org, consent.DefinitionFilter{WebsiteID: cu.NewID()}, 0))
	assert.Len(t, e.listDefs(e.org, consent.DefinitionFilter{WebsiteID: w1}, 0), 7)

	ids := []uuid.UUID{all[0].ID, all[3].ID, cu.NewID()}
	sameIDs(t, ids[:2], defIDs(e.listDefs(e.org, consent.DefinitionFilter{IDs: ids}, 0)), "ids filter")

	sorted, err := e.Definitions.List(e.ctx, e.org, consent.DefinitionFilter{}, cu.Page{Sort: cu.Sort{Field: "position"}})
	require.NoError(t, err)
	assert.Equal(t, strs(defIDs(want)), strs(defIDs(sorted.Items)), `"position" is the default sort`)
	for _, s := range []cu.Sort{{Field: "name"}, {Field: "position", Desc: true}} {
		_, err := e.Definitions.List(e.ctx, e.org, consent.DefinitionFilter{}, cu.Page{Sort: s})
		requireCode(t, err, cu.ErrInvalid, "sort %v", s)
	}
	for _, p := range []cu.Page{{Limit: -1}, {Limit: cu.MaxPageLimit + 1}, {Cursor: "%%%"}} {
		_, err := e.Definitions.List(e.ctx, e.org, consent.DefinitionFilter{}, p)
		requireCode(t, err, cu.ErrInvalid, "page %+v", p)
	}
}

// Entries list in append order, not by time or id, and never change.
func consentLedgerOrder(e *consentEnv) {
	t := e.t
	c1 := e.definition(e.org, "Terms", 1)
	c2 := e.definition(e.org, "Marketing", 2)
	u1, u2 := cu.NewID(), cu.NewID()
	var want []consent.Entry
	add := func(x consent.Entry, at time.Time, id uuid.UUID) consent.Entry {
		x.At, x.ID = at, id
		want = append(want, x)
		return x
	}
	late := base.Add(48 * time.Hour)
	a := add(e.entry(e.org, c1.ID, u1, consent.KindAccept, 1), late, uuid.New())
	b := add(e.entry(e.org, c2.ID, u1, consent.KindAccept, 1), late.Add(-time.Hour), uuid.New()) // earlier time
	c := add(e.entry(e.org, c1.ID, u2, consent.KindAccept, 1), late, uuid.New())                 // same time as a
	d := add(e.entry(e.org, c1.ID, u1, consent.KindRevoke, 1), late.Add(-2*time.Hour), uuid.New())
	e.appendEntries(a, b)
	require.NoError(t, e.Ledger.Append(e.ctx, c, d), "several at once")
	x := add(e.entry(e.org, c1.ID, u1, consent.KindAccept, 2), late.Add(time.Hour), uuid.New())
	x.Actor = cu.ActorRef{Kind: cu.ActorBackOffice, ID: cu.NewID()}
	x.Source, x.ContentRef = consent.SourceBackOffice, ""
	want[len(want)-1] = x
	e.appendEntries(x)

	got := e.listEntries(e.org, consent.LedgerFilter{}, 0)
	assert.Equal(t, normEntries(want), normEntries(got), "append order, every field kept")
	assert.Equal(t, normEntries([]consent.Entry{a, b, d, x}), normEntries(e.listEntries(e.org, consent.LedgerFilter{UserID: u1}, 0)), "by user")
	assert.Equal(t, normEntries([]consent.Entry{a, c, d, x}), normEntries(e.listEntries(e.org, consent.LedgerFilter{ConsentID: c1.ID}, 0)), "by consent")
	assert.Equal(t, normEntries([]consent.Entry{a, d, x}), normEntries(e.listEntries(e.org, consent.LedgerFilter{UserID: u1, ConsentID: c1.ID}, 0)), "by both")
	assert.Empty(t, e.listEntries(e.org, consent.LedgerFilter{UserID: cu.NewID()}, 0))

	got[0].Kind, got[0].ContentVersion = consent.KindRevoke, 99
	a.Source = "changed after append"
	more := e.entry(e.org, c2.ID, u2, consent.KindAccept, 1)
	e.appendEntries(more)
	again := e.listEntries(e.org, consent.LedgerFilter{}, 0)
	require.Len(t, again, len(want)+1)
	assert.Equal(t, normEntries(want), normEntries(again[:len(want)]), "earlier entries never change")
	assert.Equal(t, normEntry(more), normEntry(again[len(want)]), "a new entry comes last")

	requireCode(t, e.Ledger.Append(e.ctx, want[0]), cu.ErrConflict, "an id is appended once")
	assert.Len(t, e.listEntries(e.org, consent.LedgerFilter{}, 0), len(want)+1)
	requireCode(t, e.Ledger.Append(e.ctx, e.entry(e.org, cu.NewID(), u1, consent.KindAccept, 1)), cu.ErrNotFound, "unknown consent")
	require.NoError(t, e.Ledger.Append(e.ctx), "nothing to append is fine")
	_, err := e.Ledger.List(e.ctx, e.org, consent.LedgerFilter{}, cu.Page{Sort: cu.Sort{Field: "at"}})
	requireCode(t, err, cu.ErrInvalid, "the ledger has no other order")
}

func consentLedgerAllOrNothing(e *consentEnv) {
	t := e.t
	c := e.definition(e.org, "Terms", 1)
	u := cu.NewID()
	good := e.entry(e.org, c.ID, u, consent.KindAccept, 1)
	bad := e.entry(e.org, cu.NewID(), u, consent.KindAccept, 1)
	requireCode(t, e.Ledger.Append(e.ctx, good, bad), cu.ErrNotFound)
	assert.Empty(t, e.listEntries(e.org, consent.LedgerFilter{}, 0), "a failed Append appends nothing")

	twice := e.entry(e.org, c.ID, u, consent.KindAccept, 1)
	require.Error(t, e.Ledger.Append(e.ctx, twice, twice), "one id twice in one call")
	assert.Empty(t, e.listEntries(e.org, consent.LedgerFilter{}, 0))
	require.NoError(t, e.Ledger.Append(e.ctx, good))
	assert.Len(t, e.listEntries(e.org, consent.LedgerFilter{}, 0), 1)
}

func consentLedgerPaging(e *consentEnv) {
	t := e.t
	c := e.definition(e.org, "Terms", 1)
	u := cu.NewID()
	var want []consent.Entry
	for i := range 11 {
		x := e.entry(e.org, c.ID, u, []consent.Kind{consent.KindAccept, consent.KindRevoke}[i%2], 1)
		x.At = base.Add(time.Duration(11-i) * time.Minute) // times go backwards
		want = append(want, x)
	}
	e.appendEntries(want...)
	for _, limit := range []int{1, 2, 3, 5, 11, 12, 0} {
		got := e.listEntries(e.org, consent.LedgerFilter{UserID: u}, limit)
		assert.Equal(t, strs(entryIDs(want)), strs(entryIDs(got)), "limit %d", limit)
	}
	first, err := e.Ledger.List(e.ctx, e.org, consent.LedgerFilter{UserID: u}, cu.Page{Limit: 4})
	require.NoError(t, err)
	require.NotEmpty(t, first.NextCursor)
	// Appends after a page was read show up on later pages.
	extra := e.entry(e.org, c.ID, u, consent.KindAccept, 2)
	e.appendEntries(extra)
	rest := allPages(t, 4, lister(e.ctx, e.Ledger.List, e.org, consent.LedgerFilter{UserID: u}), cu.Page{Cursor: first.NextCursor})
	assert.Equal(t, strs(entryIDs(append(want[4:], extra))), strs(entryIDs(rest)))
	for _, p := range []cu.Page{{Limit: -1}, {Limit: cu.MaxPageLimit + 1}, {Cursor: "%%%"}} {
		_, err := e.Ledger.List(e.ctx, e.org, consent.LedgerFilter{}, p)
		requireCode(t, err, cu.ErrInvalid, "page %+v", p)
	}
}

func consentLedgerConcurrent(e *consentEnv) {
	t := e.t
	c := e.definition(e.org, "Terms", 1)
	u := cu.NewID()
	var wg sync.WaitGroup
	errs := make([]error, concurrency)
	ids := make([]uuid.UUID, concurrency)
	for i := range concurrency {
		x := e.entry(e.org, c.ID, u, consent.KindAccept, i+1)
		ids[i] = x.ID
		wg.Go(func() {
			errs[i] = e.maybeInTx(i, func(ctx context.Context) error { return e.Ledger.Append(ctx, x) })
		})
	}
	wg.Wait()
	for _, err := range errs {
		assert.NoError(t, err)
	}
	got := e.listEntries(e.org, consent.LedgerFilter{}, 3)
	sameIDs(t, ids, entryIDs(got), "every entry appended once")
	latest, err := e.Ledger.Latest(e.ctx, e.org, u, nil)
	require.NoError(t, err)
	assert.Equal(t, got[len(got)-1].ID, latest[c.ID].ID, "the latest is the last listed")
}

func consentLedgerLatest(e *consentEnv) {
	t := e.t
	c1 := e.definition(e.org, "Terms", 1)
	c2 := e.definition(e.org, "Marketing", 2)
	c3 := e.definition(e.org, "Newsletter", 3)
	u, v := cu.NewID(), cu.NewID()
	a1 := e.entry(e.org, c1.ID, u, consent.KindAccept, 1)
	r1 := e.entry(e.org, c1.ID, u, consent.KindRevoke, 1)
	r1.At = a1.At.Add(-time.Hour) // an earlier time: append order decides
	a2 := e.entry(e.org, c2.ID, u, consent.KindAccept, 1)
	a2b := e.entry(e.org, c2.ID, u, consent.KindAccept, 2)
	b1 := e.entry(e.org, c1.ID, v, consent.KindAccept, 1)
	e.appendEntries(a1, a2, r1, b1, a2b)

	all, err := e.Ledger.Latest(e.ctx, e.org, u, nil)
	require.NoError(t, err)
	require.Len(t, all, 2, "consents without entries are absent")
	assert.Equal(t, normEntry(r1), normEntry(all[c1.ID]), "the last appended wins over a later time")
	assert.Equal(t, normEntry(a2b), normEntry(all[c2.ID]))

	some, err := e.Ledger.Latest(e.ctx, e.org, u, []uuid.UUID{c2.ID, c3.ID})
	require.NoError(t, err)
	assert.Equal(t, []uuid.UUID{c2.ID}, slices.Collect(maps.Keys(some)), "only the consents asked")

	other, err := e.Ledger.Latest(e.ctx, e.org, v, nil)
	require.NoError(t, err)
	assert.Equal(t, normEntry(b1), normEntry(other[c1.ID]))
	none, err := e.Ledger.Latest(e.ctx, e.org, cu.NewID(), nil)
	require.NoError(t, err)
	assert.Empty(t, none)
}

func consentLedgerHasAcceptance(e *consentEnv) {
	t := e.t
	c1 := e.definition(e.org, "Terms", 1)
	c2 := e.definition(e.org, "Marketing", 2)
	c3 := e.definition(e.org, "Revoked only", 3)
	u := cu.NewID()
	has := func(c consent.Definition, version int) bool {
		t.Helper()
		ok, err := e.Ledger.HasAcceptance(e.ctx, e.org, c.ID, version)
		require.NoError(t, err)
		return ok
	}
	hasAny := func(c consent.Definition) bool {
		t.Helper()
		ok, err := e.Ledger.HasAnyAcceptance(e.ctx, e.org, c.ID)
		require.NoError(t, err)
		return ok
	}
	assert.False(t, hasAny(c1))
	assert.False(t, has(c1, 1))
	e.appendEntries(e.entry(e.org, c1.ID, u, consent.KindAccept, 2), e.entry(e.org, c1.ID, u, consent.KindRevoke, 2))
	e.appendEntries(e.entry(e.org, c3.ID, u, consent.KindRevoke, 1))
	assert.True(t, hasAny(c1), "a revocation does not undo the fact")
	assert.True(t, has(c1, 2))
	assert.False(t, has(c1, 1))
	assert.False(t, has(c1, 3))
	assert.False(t, hasAny(c2))
	assert.False(t, hasAny(c3), "a revocation is no acceptance")
	assert.False(t, has(c3, 1))
	ok, err := e.Ledger.HasAnyAcceptance(e.ctx, e.org, cu.NewID())
	require.NoError(t, err)
	assert.False(t, ok, "unknown consent")
}

// No method reads or writes another organization's definitions or entries.
func consentIsolation(e *consentEnv) {
	t := e.t
	other := cu.NewID()
	mine := e.definition(e.org, "Terms", 1)
	theirs := e.definition(other, "Terms", 1)
	u := cu.NewID()
	e.appendEntries(e.entry(e.org, mine.ID, u, consent.KindAccept, 1))

	_, err := e.Definitions.Get(e.ctx, other, mine.ID)
	requireCode(t, err, cu.ErrNotFound, "Get")
	_, err = e.Definitions.Lock(e.ctx, other, mine.ID, true)
	requireCode(t, err, cu.ErrNotFound, "Lock")
	moved := mine
	moved.OrganizationID, moved.DefaultName = other, "Hijacked"
	requireCode(t, e.Definitions.Update(e.ctx, moved, 1), cu.ErrNotFound, "Update")
	requireCode(t, e.Definitions.Delete(e.ctx, e.org, theirs.ID), cu.ErrNotFound, "Delete")
	assert.Equal(t, normDef(mine), normDef(e.getDef(e.org, mine.ID)), "unchanged")
	assert.Equal(t, normDef(theirs), normDef(e.getDef(other, theirs.ID)), "unchanged")
	assert.Equal(t, []uuid.UUID{mine.ID}, defIDs(e.listDefs(e.org, consent.DefinitionFilter{}, 0)), "List")
	assert.Equal(t, []uuid.UUID{theirs.ID}, defIDs(e.listDefs(other, consent.DefinitionFilter{IDs: []uuid.UUID{mine.ID, theirs.ID}}, 0)), "List by ids")

	// An entry must name a consent of its own organization.
	cross := e.entry(other, mine.ID, u, consent.KindAccept, 1)
	requireCode(t, e.Ledger.Append(e.ctx, cross), cu.ErrNotFound, "Append across organizations")
	assert.Empty(t, e.listEntries(other, consent.LedgerFilter{}, 0), "List")
	assert.Empty(t, e.listEntries(other, consent.LedgerFilter{UserID: u}, 0), "List by user")
	assert.Empty(t, e.listEntries(other, consent.LedgerFilter{ConsentID: mine.ID}, 0), "List by consent")
	latest, err := e.Ledger.Latest(e.ctx, other, u, nil)
	require.NoError(t, err)
	assert.Empty(t, latest, "Latest")
	ok, err := e.Ledger.HasAcceptance(e.ctx, other, mine.ID, 1)
	require.NoError(t, err)
	assert.False(t, ok, "HasAcceptance")
	ok, err = e.Ledger.HasAnyAcceptance(e.ctx, other, mine.ID)
	require.NoError(t, err)
	assert.False(t, ok, "HasAnyAcceptance")

	// The same user id may have entries in both: they stay apart.
	theirEntry := e.entry(other, theirs.ID, u, consent.KindRevoke, 1)
	e.appendEntries(theirEntry)
	assert.Equal(t, []uuid.UUID{theirEntry.ID}, entryIDs(e.listEntries(other, consent.LedgerFilter{UserID: u}, 0)))
	latest, err = e.Ledger.Latest(e.ctx, e.org, u, nil)
	require.NoError(t, err)
	assert.Equal(t, consent.KindAccept, latest[mine.ID].Kind)
	assert.NotContains(t, latest, theirs.ID)
	requireCode(t, e.Definitions.Delete(e.ctx, other, theirs.ID), cu.ErrConflict, "their entries protect their consent")
	require.NoError(t, e.Definitions.Delete(e.ctx, other, e.definition(other, "Spare", 2).ID), "my entries do not protect theirs")
}

// A failed transaction leaves no definition, change or entry behind.
func consentRollback(e *consentEnv) {
	t := e.t
	kept := e.definition(e.org, "Kept", 1)
	doomed := e.definition(e.org, "Doomed", 2)
	u := cu.NewID()
	e.appendEntries(e.entry(e.org, kept.ID, u, consent.KindAccept, 1))
	before := e.listEntries(e.org, consent.LedgerFilter{}, 0)
	boom := errors.New("boom")
	err := e.Tx.InTx(e.ctx, func(ctx context.Context) error {
		at := e.now()
		created := consent.Definition{ID: cu.NewID(), OrganizationID: e.org, DefaultName: "New", ContentVersion: 1, CreatedAt: at, UpdatedAt: at, Version: 1}
		if err := e.Definitions.Create(ctx, created); err != nil {
			return err
		}
		changed := kept
		changed.DefaultName = "Changed"
		if err := e.Definitions.Update(ctx, changed, 1); err != nil {
			return err
		}
		if err := e.Definitions.Delete(ctx, e.org, doomed.ID); err != nil {
			return err
		}
		if err := e.Ledger.Append(ctx, e.entry(e.org, kept.ID, u, consent.KindRevoke, 1), e.entry(e.org, created.ID, u, consent.KindAccept, 1)); err != nil {
			return err
		}
		// Reads inside the transaction see its writes.
		latest, err := e.Ledger.Latest(ctx, e.org, u, nil)
		if err != nil {
			return err
		}
		assert.Len(t, latest, 2)
		assert.Equal(t, consent.KindRevoke, latest[kept.ID].Kind)
		return boom
	})
	require.ErrorIs(t, err, boom)
	assert.Equal(t, normDef(kept), normDef(e.getDef(e.org, kept.ID)), "update undone")
	assert.Equal(t, normDef(doomed), normDef(e.getDef(e.org, doomed.ID)), "delete undone")
	assert.Equal(t, []uuid.UUID{kept.ID, doomed.ID}, defIDs(e.listDefs(e.org, consent.DefinitionFilter{}, 0)), "create undone")
	assert.Equal(t, normEntries(before), normEntries(e.listEntries(e.org, consent.LedgerFilter{}, 0)), "appends undone")
	latest, err := e.Ledger.Latest(e.ctx, e.org, u, nil)
	require.NoError(t, err)
	assert.Equal(t, consent.KindAccept, latest[kept.ID].Kind)

	// The storage stays usable.
	e.appendEntries(e.entry(e.org, kept.ID, u, consent.KindRevoke, 1))
	assert.Len(t, e.listEntries(e.org, consent.LedgerFilter{}, 0), 2)
}
