package memory

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/google/uuid"

	cu "github.com/b2bkit/customerusers"
	"github.com/b2bkit/customerusers/consent"
)

// consentTables hold the consent definitions and the acceptance ledger.
// The ledger is a slice in append order; an entry's index is its sequence
// number, which orders lists and decides the latest entry.
type consentTables struct {
	defs   map[uuid.UUID]consent.Definition
	ledger []consent.Entry
	// entryIDs indexes the ledger by entry id.
	entryIDs map[uuid.UUID]int
}

func (t *consentTables) init() {
	t.defs = map[uuid.UUID]consent.Definition{}
	t.entryIDs = map[uuid.UUID]int{}
}

// Consents returns the consent definition repository.
func (s *Store) Consents() consent.DefinitionRepository { return consentDefRepo{s} }

// ConsentLedger returns the consent ledger repository.
func (s *Store) ConsentLedger() consent.LedgerRepository { return consentLedgerRepo{s} }

type consentDefRepo struct{ s *Store }

func consentCloneDef(d consent.Definition) consent.Definition {
	d.Names = maps.Clone(d.Names)
	d.WebsiteIDs = slices.Clone(d.WebsiteIDs)
	return d
}

func (r consentDefRepo) Get(ctx context.Context, org, id uuid.UUID) (out consent.Definition, err error) {
	err = r.s.read(ctx, func() error {
		d, ok := r.s.consent.defs[id]
		if !ok || d.OrganizationID != org {
			return notFound("consent", id)
		}
		out = consentCloneDef(d)
		return nil
	})
	return out, err
}

// Lock reads: the store's transactions are serialized already.
func (r consentDefRepo) Lock(ctx context.Context, org, id uuid.UUID, _ bool) (consent.Definition, error) {
	return r.Get(ctx, org, id)
}

func (r consentDefRepo) List(ctx context.Context, org uuid.UUID, f consent.DefinitionFilter, p cu.Page) (out cu.PageOf[consent.Definition], err error) {
	if p.Sort.Desc || (p.Sort.Field != "" && p.Sort.Field != "position") {
		return out, cu.FieldError("sort", "unknown", "Consents sort by position only.")
	}
	err = r.s.read(ctx, func() error {
		var items []consent.Definition
		for _, d := range r.s.consent.defs {
			if d.OrganizationID != org || !inIDs(f.IDs, d.ID) {
				continue
			}
			if f.WebsiteID != uuid.Nil && !slices.Contains(d.WebsiteIDs, f.WebsiteID) {
				continue
			}
			items = append(items, consentCloneDef(d))
		}
		out, err = paginate(items, func(d consent.Definition) string { return consentPosKey(d.Position) },
			func(d consent.Definition) uuid.UUID { return d.ID }, p, false)
		return err
	})
	return out, err
}

// consentPosKey sorts positions as numbers (negative ones first): the
// sign bit flipped makes int64 order unsigned order.
func consentPosKey(pos int) string {
	return fmt.Sprintf("%020d", uint64(int64(pos))^(1<<63))
}

func (r consentDefRepo) Create(ctx context.Context, d consent.Definition) error {
	return r.s.write(ctx, func(t *txn) error {
		if _, ok := r.s.consent.defs[d.ID]; ok {
			return cu.Conflict("consent %s already exists", d.ID)
		}
		put(t, r.s.consent.defs, d.ID, consentCloneDef(d))
		return nil
	})
}

func (r consentDefRepo) Update(ctx context.Context, d consent.Definition, expected int64) error {
	return r.s.write(ctx, func(t *txn) error {
		old, ok := r.s.consent.defs[d.ID]
		if !ok || old.OrganizationID != d.OrganizationID {
			return notFound("consent", d.ID)
		}
		if old.Version != expected {
			return cu.Stale("consent")
		}
		d = consentCloneDef(d)
		d.Version = expected + 1
		put(t, r.s.consent.defs, d.ID, d)
		return nil
	})
}

func (r consentDefRepo) Delete(ctx context.Context, org, id uuid.UUID) error {
	return r.s.write(ctx, func(t *txn) error {
		old, ok := r.s.consent.defs[id]
		if !ok || old.OrganizationID != org {
			return notFound("consent", id)
		}
		// ON DELETE RESTRICT from the ledger.
		for _, e := range r.s.consent.ledger {
			if e.ConsentID == id {
				return cu.Conflict("consent %s has ledger entries", id)
			}
		}
		del(t, r.s.consent.defs, id)
		return nil
	})
}

type consentLedgerRepo struct{ s *Store }

func (r consentLedgerRepo) Append(ctx context.Context, entries ...consent.Entry) error {
	return r.s.write(ctx, func(t *txn) error {
		seen := map[uuid.UUID]bool{}
		for _, e := range entries {
			if d, ok := r.s.consent.defs[e.ConsentID]; !ok || d.OrganizationID != e.OrganizationID {
				return notFound("consent", e.ConsentID)
			}
			if _, ok := r.s.consent.entryIDs[e.ID]; ok || seen[e.ID] {
				return cu.Conflict("consent ledger entry %s already exists", e.ID)
			}
			seen[e.ID] = true
		}
		for _, e := range entries {
			put(t, r.s.consent.entryIDs, e.ID, len(r.s.consent.ledger))
			appendTo(t, &r.s.consent.ledger, e)
		}
		return nil
	})
}

func (r consentLedgerRepo) List(ctx context.Context, org uuid.UUID, f consent.LedgerFilter, p cu.Page) (out cu.PageOf[consent.Entry], err error) {
	if p.Sort != (cu.Sort{}) {
		return out, cu.FieldError("sort", "unknown", "The ledger lists in the order it was written only.")
	}
	err = r.s.read(ctx, func() error {
		type seqEntry struct {
			seq string
			e   consent.Entry
		}
		var items []seqEntry
		for i, e := range r.s.consent.ledger {
			if e.OrganizationID == org && (f.UserID == uuid.Nil || e.UserID == f.UserID) &&
				(f.ConsentID == uuid.Nil || e.ConsentID == f.ConsentID) {
				items = append(items, seqEntry{fmt.Sprintf("%020d", i), e})
			}
		}
		page, err := paginate(items, func(x seqEntry) string { return x.seq }, func(x seqEntry) uuid.UUID { return x.e.ID }, p, false)
		if err != nil {
			return err
		}
		out.NextCursor = page.NextCursor
		out.Items = make([]consent.Entry, len(page.Items))
		for i, x := range page.Items {
			out.Items[i] = x.e
		}
		return nil
	})
	return out, err
}

func (r consentLedgerRepo) Latest(ctx context.Context, org, userID uuid.UUID, consentIDs []uuid.UUID) (out map[uuid.UUID]consent.Entry, err error) {
	err = r.s.read(ctx, func() error {
		out = map[uuid.UUID]consent.Entry{}
		for _, e := range r.s.consent.ledger {
			if e.OrganizationID == org && e.UserID == userID && inIDs(consentIDs, e.ConsentID) {
				out[e.ConsentID] = e
			}
		}
		return nil
	})
	return out, err
}

func (r consentLedgerRepo) HasAcceptance(ctx context.Context, org, consentID uuid.UUID, version int) (found bool, err error) {
	err = r.s.read(ctx, func() error {
		found = slices.ContainsFunc(r.s.consent.ledger, func(e consent.Entry) bool {
			return e.OrganizationID == org && e.ConsentID == consentID && e.Kind == consent.KindAccept && e.ContentVersion == version
		})
		return nil
	})
	return found, err
}

func (r consentLedgerRepo) HasAnyAcceptance(ctx context.Context, org, consentID uuid.UUID) (found bool, err error) {
	err = r.s.read(ctx, func() error {
		found = slices.ContainsFunc(r.s.consent.ledger, func(e consent.Entry) bool {
			return e.OrganizationID == org && e.ConsentID == consentID && e.Kind == consent.KindAccept
		})
		return nil
	})
	return found, err
}
