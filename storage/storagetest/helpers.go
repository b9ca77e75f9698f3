package storagetest

import (
	"context"
	"errors"
	"reflect"
	"sync"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	cu "github.com/b2bkit/customerusers"
)

// The checks that every repository of the suite shares: running cases on
// fresh storages, racing writers, and the contract of a repository of
// versioned entities (round trip, not found, stale versions, lost updates,
// copies in and out). Each test states only what is its own.

// ---- running cases ----

// caseOf is one named check; fn takes the fixture of its suite.
type caseOf[F any] struct {
	name string
	fn   F
}

// runCases runs each case as a parallel subtest of t on a fresh storage,
// open(t), that start checks and hands to the case's fn.
func runCases[F, R any](t *testing.T, cases []caseOf[F], open func(t *testing.T) R, start func(t *testing.T, r R, fn F)) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			start(t, open(t), c.fn)
		})
	}
}

// requireRepos requires every field of repos, a struct of repositories
// (Repos, ConsentRepos...), to be set: a suite needs all of its own.
func requireRepos(t testing.TB, repos any) {
	t.Helper()
	v := reflect.ValueOf(repos)
	for i := range v.NumField() {
		require.NotNil(t, v.Field(i).Interface(), "%s.%s", v.Type().Name(), v.Type().Field(i).Name)
	}
}

// stored applies opts to x, creates it with create and returns it;
// msgAndArgs name it when that fails.
func stored[T any](e *env, x T, opts []func(*T), create func(context.Context, T) error, msgAndArgs ...any) T {
	e.t.Helper()
	for _, o := range opts {
		o(&x)
	}
	require.NoError(e.t, create(e.ctx, x), msgAndArgs...)
	return x
}

// newEnv is the fixture of one test on r, with an organization of its own.
func newEnv(t *testing.T, r Repos) *env {
	return &env{t: t, ctx: t.Context(), Repos: r, org: cu.NewID()}
}

// lister binds a repository's List to one organization and filter, as
// allPages takes it.
func lister[F, T any](ctx context.Context, list func(context.Context, uuid.UUID, F, cu.Page) (cu.PageOf[T], error),
	org uuid.UUID, f F) func(cu.Page) (cu.PageOf[T], error) {
	return func(p cu.Page) (cu.PageOf[T], error) { return list(ctx, org, f, p) }
}

// ---- racing writers ----

// race runs do(i) for every i < concurrency at once and sorts the
// outcomes: won are the i whose call succeeded, lost counts the errors
// that expected accepts (a unique violation, a stale version...). Any
// other error fails the test.
func race(t testing.TB, do func(i int) error, expected func(i int, err error) bool) (won []int, lost int) {
	t.Helper()
	var mu sync.Mutex
	var unexpected []error
	var wg sync.WaitGroup
	for i := range concurrency {
		wg.Go(func() {
			err := do(i)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				won = append(won, i)
			case expected(i, err):
				lost++
			default:
				unexpected = append(unexpected, err)
			}
		})
	}
	wg.Wait()
	assert.Empty(t, unexpected)
	return won, lost
}

// uniqueOn accepts, in a race, an invalid error with a unique violation of
// field.
func uniqueOn(field string) func(int, error) bool {
	return func(_ int, err error) bool { return isUnique(err, field) }
}

// failsWith accepts, in a race, an error that matches sentinel.
func failsWith(sentinel error) func(int, error) bool {
	return func(_ int, err error) bool { return errors.Is(err, sentinel) }
}

// ---- repositories of versioned entities ----

// crud is what the repositories of versioned entities T (customers,
// roles, users) have in common.
type crud[T any] interface {
	Create(ctx context.Context, x T) error
	Get(ctx context.Context, org, id uuid.UUID) (T, error)
	Update(ctx context.Context, x T, expectedVersion int64) error
	Delete(ctx context.Context, org, id uuid.UUID) error
}

// versioned is a repository of versioned entities T as the shared checks
// use it.
type versioned[T any] struct {
	repo crud[T]
	// key returns the organization and id of x, and where its version is.
	key func(x *T) (org, id uuid.UUID, version *int64)
	// norm removes what a storage may legitimately change.
	norm func(x T) T
}

// get returns what is stored under org and id.
func (r versioned[T]) get(e *env, org, id uuid.UUID) T {
	e.t.Helper()
	got, err := r.repo.Get(e.ctx, org, id)
	require.NoError(e.t, err)
	return got
}

// read returns what is stored under x's organization and id.
func (r versioned[T]) read(e *env, x T) T {
	e.t.Helper()
	org, id, _ := r.key(&x)
	return r.get(e, org, id)
}

// version returns x's version.
func (r versioned[T]) version(x T) int64 {
	_, _, v := r.key(&x)
	return *v
}

// checkUpdate updates the stored x, stating the expected version, and
// checks that Get returns x at version expected+1, whatever x's version
// said. It returns x as stored.
func (r versioned[T]) checkUpdate(e *env, x T, expected int64, msg string) T {
	e.t.Helper()
	require.NoError(e.t, r.repo.Update(e.ctx, x, expected), msg)
	_, _, v := r.key(&x)
	*v = expected + 1
	assert.Equal(e.t, r.norm(x), r.norm(r.read(e, x)), msg)
	return x
}

// checkDelete deletes the stored x and checks that Get no longer finds it.
func (r versioned[T]) checkDelete(e *env, x T) {
	e.t.Helper()
	org, id, _ := r.key(&x)
	require.NoError(e.t, r.repo.Delete(e.ctx, org, id))
	_, err := r.repo.Get(e.ctx, org, id)
	requireCode(e.t, err, cu.ErrNotFound, "Get after Delete")
}

// checkNotFound checks that Get, Update and Delete of unknown (never
// stored) fail with cu.ErrNotFound, and that once kept is deleted, a
// second Delete and an Update of it do too.
func (r versioned[T]) checkNotFound(e *env, unknown, kept T) {
	t := e.t
	t.Helper()
	org, id, _ := r.key(&unknown)
	_, err := r.repo.Get(e.ctx, org, id)
	requireCode(t, err, cu.ErrNotFound, "Get")
	requireCode(t, r.repo.Update(e.ctx, unknown, 1), cu.ErrNotFound, "Update")
	requireCode(t, r.repo.Delete(e.ctx, org, id), cu.ErrNotFound, "Delete")

	org, id, _ = r.key(&kept)
	require.NoError(t, r.repo.Delete(e.ctx, org, id))
	requireCode(t, r.repo.Delete(e.ctx, org, id), cu.ErrNotFound, "second Delete")
	requireCode(t, r.repo.Update(e.ctx, kept, 1), cu.ErrNotFound, "Update of a deleted one")
}

// checkTakenID checks that creating impostor, which has the id of the
// stored existing, fails and changes nothing.
func (r versioned[T]) checkTakenID(e *env, existing, impostor T) {
	e.t.Helper()
	require.Error(e.t, r.repo.Create(e.ctx, impostor), "Create with a taken id")
	assert.Equal(e.t, r.norm(existing), r.norm(r.read(e, existing)))
}

// checkStale checks the versions of updates to the stored value (at
// version 1): updates to changed that state another version fail with
// cu.ErrStale and change nothing, the one that states 1 succeeds once. It
// returns what is stored then, at version 2.
func (r versioned[T]) checkStale(e *env, stored, changed T) T {
	t := e.t
	t.Helper()
	for _, expected := range []int64{0, 2, 9} {
		requireCode(t, r.repo.Update(e.ctx, changed, expected), cu.ErrStale, "expected %d", expected)
	}
	assert.Equal(t, r.norm(stored), r.norm(r.read(e, stored)), "stale updates change nothing")
	require.NoError(t, r.repo.Update(e.ctx, changed, 1))
	requireCode(t, r.repo.Update(e.ctx, changed, 1), cu.ErrStale, "the same version twice")
	got := r.read(e, stored)
	assert.EqualValues(t, 2, r.version(got))
	return got
}

// raceUpdates has concurrency writers change the stored value at once:
// each reads it, applies change(i, &x) and updates it with the version it
// read, again on cu.ErrStale until its write succeeds. Every writer must
// succeed and the version must count every write. It returns what is
// stored at the end, for the caller to check that no update was lost.
func (r versioned[T]) raceUpdates(e *env, stored T, change func(i int, x *T) error) T {
	t := e.t
	t.Helper()
	org, id, _ := r.key(&stored)
	errs := make([]error, concurrency)
	var wg sync.WaitGroup
	for i := range concurrency {
		wg.Go(func() {
			for {
				cur, err := r.repo.Get(e.ctx, org, id)
				if err == nil {
					err = change(i, &cur)
				}
				if err == nil {
					err = r.repo.Update(e.ctx, cur, r.version(cur))
					if errors.Is(err, cu.ErrStale) {
						continue
					}
				}
				errs[i] = err
				return
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}
	got := r.read(e, stored)
	assert.EqualValues(t, 1+concurrency, r.version(got))
	return got
}

// checkNoAliasing creates x and checks that the storage keeps its own
// copy: changing (mutate) the value given to Create, then a value Get
// returned, changes nothing stored. It returns x as created, normalized.
func (r versioned[T]) checkNoAliasing(e *env, x T, mutate func(*T)) T {
	t := e.t
	t.Helper()
	want := r.norm(x)
	require.NoError(t, r.repo.Create(e.ctx, x))
	mutate(&x)
	got := r.read(e, x)
	assert.Equal(t, want, r.norm(got), "after changing the created value")
	mutate(&got)
	assert.Equal(t, want, r.norm(r.read(e, x)), "after changing a read value")
	return want
}

// ---- lists ----

// checkSortAtLimits lists under sort s at each of limits and checks every
// time that each of all is listed once, ordered by cmp with ties by id,
// and in the same order at every limit.
func checkSortAtLimits[T any](t testing.TB, list func(cu.Page) (cu.PageOf[T], error), s cu.Sort, limits []int,
	all []uuid.UUID, ids func([]T) []uuid.UUID, cmp func(a, b T) int) {
	t.Helper()
	var first []uuid.UUID
	for _, limit := range limits {
		got := allPages(t, limit, list, cu.Page{Sort: s})
		requireSameIDs(t, all, ids(got), "sort %q limit %d: every item exactly once", s, limit)
		checkOrder(t, got, ids(got), s.Desc, cmp, "by "+s.String())
		if first == nil {
			first = ids(got)
		}
		assert.Equal(t, strs(first), strs(ids(got)), "sort %q: limit %d gives the same order", s, limit)
	}
}

// assertListsHide asserts that no list of filters (by name; list returns
// the ids listed) shows one of hidden.
func assertListsHide[F any](t testing.TB, what string, filters map[string]F, list func(F) []uuid.UUID, hidden []uuid.UUID) {
	t.Helper()
	for name, f := range filters {
		ids := list(f)
		for _, id := range hidden {
			assert.NotContains(t, ids, id, "%s %s", what, name)
		}
	}
}
