package httpadapter

import (
	"context"
	"net/http"

	"github.com/google/uuid"

	cu "github.com/b2bkit/customerusers"
)

// The versioned entities served one by one under .../{id} (customers,
// consent definitions, OAuth applications, roles) share these handlers, so
// that each kind states only its service calls and its JSON shapes, and all
// of them answer paths, ETags and If-Match alike.

// resource is the answer body of one versioned entity: the id names it in
// Location, the version is its ETag.
type resource interface {
	key() (id uuid.UUID, version int64)
}

// creator is a POST body: the domain input it asks for.
type creator[I any] interface {
	input() I
}

// patcher is a PATCH body: the domain patch it asks for (an error for a
// null that the field does not take) and the version it says it read.
type patcher[P any] interface {
	patch() (P, error)
	version() opt[int64]
}

// mapAll renders each of xs with out.
func mapAll[E, O any](xs []E, out func(E) O) []O {
	items := make([]O, 0, len(xs))
	for _, x := range xs {
		items = append(items, out(x))
	}
	return items
}

// listEntities answers the page of entities that list reads with what
// query takes from the request (a filter, or the owner whose entities
// they are).
func listEntities[F, E, O any](query func(*call) (F, error),
	list func(context.Context, cu.Actor, F, cu.Page) (cu.PageOf[E], error), out func(E) O) func(*call) error {
	return func(c *call) error {
		f, err := query(c)
		if err != nil {
			return err
		}
		page, err := list(c.ctx(), c.actor, f, c.page())
		if err != nil {
			return err
		}
		return c.ok(newList(mapAll(page.Items, out), page.NextCursor))
	}
}

// createEntity answers a POST to base: the entity that create makes from
// a B body, at base/{id}.
func createEntity[B creator[I], I, E any, O resource](base string,
	create func(context.Context, cu.Actor, I) (E, error), out func(E) O) func(*call) error {
	return func(c *call) error {
		var in B
		if err := c.decode(&in); err != nil {
			return err
		}
		x, err := create(c.ctx(), c.actor, in.input())
		if err != nil {
			return err
		}
		o := out(x)
		id, v := o.key()
		return c.created(base+"/"+id.String(), o, v)
	}
}

// getEntity answers a GET of {id}: the entity that get reads.
func getEntity[E any, O resource](get func(context.Context, cu.Actor, uuid.UUID) (E, error), out func(E) O) func(*call) error {
	return func(c *call) error {
		id, err := c.id("id")
		if err != nil {
			return err
		}
		x, err := get(c.ctx(), c.actor, id)
		if err != nil {
			return err
		}
		return writeEntity(c, out(x))
	}
}

// updateEntity answers a PATCH of {id}: the patch of a B body, written
// when the entity still has the version of If-Match (or of the body's
// version field; none: unconditional), and the entity as changed.
func updateEntity[B patcher[P], P, E any, O resource](
	update func(context.Context, cu.Actor, uuid.UUID, P, int64) (E, error), out func(E) O) func(*call) error {
	return func(c *call) error {
		id, err := c.id("id")
		if err != nil {
			return err
		}
		var in B
		if err := c.decode(&in); err != nil {
			return err
		}
		p, err := in.patch()
		if err != nil {
			return err
		}
		v, err := c.expectedVersion(in.version())
		if err != nil {
			return err
		}
		x, err := update(c.ctx(), c.actor, id, p, v)
		if err != nil {
			return err
		}
		return writeEntity(c, out(x))
	}
}

// deleteEntity answers a DELETE of {id}, conditional on If-Match when the
// request has one.
func deleteEntity(remove func(context.Context, cu.Actor, uuid.UUID, int64) error) func(*call) error {
	return func(c *call) error {
		id, err := c.id("id")
		if err != nil {
			return err
		}
		v, err := c.expectedVersion(opt[int64]{})
		if err != nil {
			return err
		}
		if err := remove(c.ctx(), c.actor, id, v); err != nil {
			return err
		}
		return c.noContent(0)
	}
}

// writeEntity answers 200 with o and its version as ETag.
func writeEntity[O resource](c *call, o O) error {
	_, v := o.key()
	return c.entity(http.StatusOK, o, v)
}
