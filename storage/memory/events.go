package memory

import (
	"bytes"
	"context"
	"fmt"

	"github.com/google/uuid"

	cu "github.com/b2bkit/customerusers"
)

type eventRepo struct{ s *Store }

func (r eventRepo) Append(ctx context.Context, events ...cu.Event) error {
	return r.s.write(ctx, func(t *txn) error {
		for i := range events {
			events[i].Payload = bytes.Clone(events[i].Payload)
		}
		appendTo(t, &r.s.events, events...)
		return nil
	})
}

func (r eventRepo) List(ctx context.Context, org uuid.UUID, f cu.EventFilter, p cu.Page) (out cu.PageOf[cu.Event], err error) {
	err = r.s.read(ctx, func() error {
		// Events page in append order: the key is the position in the log.
		type seqEvent struct {
			seq string
			e   cu.Event
		}
		var items []seqEvent
		for i, e := range r.s.events {
			if e.OrganizationID == org && (f.SubjectType == "" || e.SubjectType == f.SubjectType) &&
				(f.SubjectID == uuid.Nil || e.SubjectID == f.SubjectID) {
				e.Payload = bytes.Clone(e.Payload)
				items = append(items, seqEvent{fmt.Sprintf("%020d", i), e})
			}
		}
		page, err := paginate(items, func(x seqEvent) string { return x.seq }, func(x seqEvent) uuid.UUID { return x.e.ID }, p, false)
		if err != nil {
			return err
		}
		out.NextCursor = page.NextCursor
		out.Items = make([]cu.Event, len(page.Items))
		for i, x := range page.Items {
			out.Items[i] = x.e
		}
		return nil
	})
	return out, err
}
