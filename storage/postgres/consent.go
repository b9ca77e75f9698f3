package postgres

import (
	"context"
	"strconv"
	"time"

	"github.com/google/uuid"

	cu "github.com/b2bkit/customerusers"
	"github.com/b2bkit/customerusers/consent"
)

// Consents returns the consent definition repository.
func (s *Store) Consents() consent.DefinitionRepository { return consentDefRepo{s} }

// ConsentLedger returns the append-only consent ledger.
func (s *Store) ConsentLedger() consent.LedgerRepository { return consentLedgerRepo{s} }

type consentDefRepo struct{ s *Store }

// consentDefRow is a row of consent_definitions.
type consentDefRow struct {
	OrganizationID       uuid.UUID            `bun:"organization_id"`
	ID                   uuid.UUID            `bun:"id"`
	DefaultName          string               `bun:"default_name"`
	Names                map[uuid.UUID]string `bun:"names,type:jsonb"`
	Mandatory            bool                 `bun:"mandatory"`
	DeclinedNotification bool                 `bun:"declined_notification"`
	ContentRef           string               `bun:"content_ref"`
	ContentVersion       int                  `bun:"content_version"`
	WebsiteIDs           uuidArray            `bun:"website_ids"`
	Position             int                  `bun:"position"`
	CreatedAt            time.Time            `bun:"created_at"`
	UpdatedAt            time.Time            `bun:"updated_at"`
	Version              int64                `bun:"version"`
}

const consentDefColumns = `d.organization_id, d.id, d.default_name, d.names, d.mandatory, d.declined_notification,
	d.content_ref, d.content_version, d.website_ids, d.position, d.created_at, d.updated_at, d.version`

func (x consentDefRow) definition() consent.Definition {
	d := consent.Definition{
		ID: x.ID, OrganizationID: x.OrganizationID, DefaultName: x.DefaultName, Mandatory: x.Mandatory,
		DeclinedNotification: x.DeclinedNotification, ContentRef: x.ContentRef, ContentVersion: x.ContentVersion,
		WebsiteIDs: x.WebsiteIDs, Position: x.Position, CreatedAt: x.CreatedAt.UTC(), UpdatedAt: x.UpdatedAt.UTC(),
		Version: x.Version,
	}
	if len(x.Names) > 0 {
		d.Names = x.Names
	}
	return d
}

// The fixed reads of a definition: plain, and locked for the rest of the
// transaction (shared for ledger appends, exclusive for edits).
const (
	getConsentSQL        = "SELECT " + consentDefColumns + " FROM consent_definitions d WHERE d.organization_id = $1 AND d.id = $2"
	lockConsentSharedSQL = getConsentSQL + " FOR SHARE"
	lockConsentSQL       = getConsentSQL + " FOR UPDATE"
)

func (r consentDefRepo) getBy(ctx context.Context, query string, org, id uuid.UUID) (consent.Definition, error) {
	var row consentDefRow
	found, err := r.s.fixedRow(ctx, []any{&row}, query, org, id)
	if err != nil {
		return consent.Definition{}, mapErr(err)
	}
	if !found {
		return consent.Definition{}, cu.NotFound("consent " + id.String())
	}
	return row.definition(), nil
}

func (r consentDefRepo) Get(ctx context.Context, org, id uuid.UUID) (consent.Definition, error) {
	return r.getBy(ctx, getConsentSQL, org, id)
}

// Lock reads the definition with SELECT ... FOR SHARE (exclusive: FOR
// UPDATE). In the transaction of ctx the lock holds until it ends; with no
// transaction it holds for the statement only, which is a plain read.
func (r consentDefRepo) Lock(ctx context.Context, org, id uuid.UUID, exclusive bool) (consent.Definition, error) {
	if exclusive {
		return r.getBy(ctx, lockConsentSQL, org, id)
	}
	return r.getBy(ctx, lockConsentSharedSQL, org, id)
}

// List pages definitions by position, then id, on the index
// (organization, position, id); the website filter uses the GIN index of
// website_ids.
func (r consentDefRepo) List(ctx context.Context, org uuid.UUID, f consent.DefinitionFilter, p cu.Page) (cu.PageOf[consent.Definition], error) {
	var none cu.PageOf[consent.Definition]
	pg, err := readPage(p)
	if err != nil {
		return none, err
	}
	if pg.sort.Desc || (pg.sort.Field != "" && pg.sort.Field != "position") {
		return none, cu.FieldError("sort", "unknown", "Consents sort by position only.")
	}
	k := sortKey{expr: "d.position", idExpr: "d.id", kind: intKey}
	var q query
	q.where("d.organization_id = ?", org)
	if f.WebsiteID != uuid.Nil {
		q.where("d.website_ids @> ?::uuid[]", uuidArray{f.WebsiteID})
	}
	if len(f.IDs) > 0 {
		q.where("d.id = ANY(?::uuid[])", uuidArray(f.IDs))
	}
	if err := q.seek(k, pg.cursor); err != nil {
		return none, err
	}
	var rows []consentDefRow
	sql := "SELECT " + consentDefColumns + " FROM consent_definitions d" + q.whereSQL() + k.orderSQL(pg.limit)
	if err := r.s.fixedRows(ctx, &rows, dollar(sql), q.args...); err != nil {
		return none, mapErr(err)
	}
	return cut(rows, pg, func(x consentDefRow) string { return strconv.Itoa(x.Position) },
		func(x consentDefRow) uuid.UUID { return x.ID },
		func(x consentDefRow) (consent.Definition, error) { return x.definition(), nil })
}

// consentDefArgs are the arguments of the writable columns: default_name,
// names, mandatory, declined_notification, content_ref, content_version,
// website_ids, position, updated_at.
func consentDefArgs(d consent.Definition) ([]any, error) {
	names := d.Names
	if names == nil {
		names = map[uuid.UUID]string{}
	}
	js, err := jsonArg(names)
	if err != nil {
		return nil, err
	}
	return []any{d.DefaultName, js, d.Mandatory, d.DeclinedNotification, d.ContentRef, d.ContentVersion,
		uuidArray(d.WebsiteIDs), d.Position, d.UpdatedAt}, nil
}

func (r consentDefRepo) Create(ctx context.Context, d consent.Definition) error {
	args, err := consentDefArgs(d)
	if err != nil {
		return cu.Internal(err)
	}
	_, err = r.s.idb(ctx).NewRaw(`INSERT INTO consent_definitions (default_name, names, mandatory, declined_notification,
			content_ref, content_version, website_ids, position, updated_at, organization_id, id, created_at, version)
		VALUES (?, ?::jsonb, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		append(args, d.OrganizationID, d.ID, d.CreatedAt, max(d.Version, 1))...).Exec(ctx)
	return mapErr(err)
}

func (r consentDefRepo) Update(ctx context.Context, d consent.Definition, expected int64) error {
	args, err := consentDefArgs(d)
	if err != nil {
		return cu.Internal(err)
	}
	var updated, found bool
	err = r.s.idb(ctx).NewRaw(`WITH u AS (
			UPDATE consent_definitions SET default_name = ?, names = ?::jsonb, mandatory = ?, declined_notification = ?,
				content_ref = ?, content_version = ?, website_ids = ?, position = ?, updated_at = ?, version = version + 1
			WHERE organization_id = ? AND id = ? AND version = ?
			RETURNING 1)
		SELECT EXISTS (SELECT 1 FROM u), EXISTS (SELECT 1 FROM consent_definitions WHERE organization_id = ? AND id = ?)`,
		append(args, d.OrganizationID, d.ID, expected, d.OrganizationID, d.ID)...).Scan(ctx, &updated, &found)
	return versioned(mapErr(err), updated, found, "consent", d.ID)
}

// Delete deletes the definition; the ledger's foreign key (ON DELETE
// RESTRICT) refuses it while entries name the consent.
func (r consentDefRepo) Delete(ctx context.Context, org, id uuid.UUID) error {
	res, err := r.s.idb(ctx).NewRaw("DELETE FROM consent_definitions WHERE organization_id = ? AND id = ?", org, id).Exec(ctx)
	return affected(res, mapDeleteErr(err), "consent", id)
}

type consentLedgerRepo struct{ s *Store }

// ledgerRow is a row of consent_ledger.
type ledgerRow struct {
	Seq            int64     `bun:"seq"`
	OrganizationID uuid.UUID `bun:"organization_id"`
	ID             uuid.UUID `bun:"id"`
	ConsentID      uuid.UUID `bun:"consent_id"`
	UserID         uuid.UUID `bun:"user_id"`
	ContentVersion int       `bun:"content_version"`
	ContentRef     string    `bun:"content_ref"`
	Kind           string    `bun:"kind"`
	At             time.Time `bun:"at"`
	Source         string    `bun:"source"`
	ActorKind      string    `bun:"actor_kind"`
	ActorID        uuid.UUID `bun:"actor_id"`
}

const ledgerColumns = `l.seq, l.organization_id, l.id, l.consent_id, l.user_id, l.content_version, l.content_ref, l.kind,
	l.at, l.source, l.actor_kind, l.actor_id`

func (x ledgerRow) entry() consent.Entry {
	return consent.Entry{
		ID: x.ID, OrganizationID: x.OrganizationID, ConsentID: x.ConsentID, UserID: x.UserID,
		ContentVersion: x.ContentVersion, ContentRef: x.ContentRef, Kind: consent.Kind(x.Kind), At: x.At.UTC(),
		Source: x.Source, Actor: cu.ActorRef{Kind: cu.ActorKind(x.ActorKind), ID: x.ActorID},
	}
}

// Append inserts the entries in one statement, in the order given (their
// seq follows it): all or nothing. A consent missing from the entry's
// organization is the foreign key's not-found; a taken id the primary
// key's conflict.
func (r consentLedgerRepo) Append(ctx context.Context, entries ...consent.Entry) error {
	if len(entries) == 0 {
		return nil
	}
	var s stmt
	s.add(`INSERT INTO consent_ledger (organization_id, id, consent_id, user_id, content_version, content_ref, kind, at,
		source, actor_kind, actor_id) VALUES `)
	for i, e := range entries {
		if i > 0 {
			s.add(", ")
		}
		s.add("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", e.OrganizationID, e.ID, e.ConsentID, e.UserID, e.ContentVersion,
			e.ContentRef, string(e.Kind), e.At, e.Source, string(e.Actor.Kind), nullID(e.Actor.ID))
	}
	_, err := r.s.fixedExec(ctx, dollar(s.b.String()), s.args...)
	return mapErr(err)
}

// List pages entries in append order (seq).
func (r consentLedgerRepo) List(ctx context.Context, org uuid.UUID, f consent.LedgerFilter, p cu.Page) (cu.PageOf[consent.Entry], error) {
	var none cu.PageOf[consent.Entry]
	if p.Sort != (cu.Sort{}) {
		return none, cu.FieldError("sort", "unknown", "The ledger lists in the order it was written only.")
	}
	pg, err := readPage(p)
	if err != nil {
		return none, err
	}
	k := sortKey{expr: "l.seq", idExpr: "l.id", kind: seqKey}
	var q query
	q.where("l.organization_id = ?", org)
	if f.UserID != uuid.Nil {
		q.where("l.user_id = ?", f.UserID)
	}
	if f.ConsentID != uuid.Nil {
		q.where("l.consent_id = ?", f.ConsentID)
	}
	if pg.cursor != nil {
		// seq alone orders the ledger; the id in the cursor is informative.
		n, ok := parseSeqKey(pg.cursor.Key)
		if !ok {
			return none, errBadCursor
		}
		q.where("l.seq > ?", n)
	}
	var rows []ledgerRow
	sql := "SELECT " + ledgerColumns + " FROM consent_ledger l" + q.whereSQL() + k.orderSQL(pg.limit)
	if err := r.s.fixedRows(ctx, &rows, dollar(sql), q.args...); err != nil {
		return none, mapErr(err)
	}
	return cut(rows, pg, func(x ledgerRow) string { return strconv.FormatInt(x.Seq, 10) },
		func(x ledgerRow) uuid.UUID { return x.ID },
		func(x ledgerRow) (consent.Entry, error) { return x.entry(), nil })
}

// The fixed statements of Latest: the user's entry with the highest seq
// per consent, from the index (organization, user, consent, seq).
const (
	latestSQL = "SELECT DISTINCT ON (l.consent_id) " + ledgerColumns + ` FROM consent_ledger l
		WHERE l.organization_id = $1 AND l.user_id = $2 ORDER BY l.consent_id, l.seq DESC`
	latestOfSQL = "SELECT DISTINCT ON (l.consent_id) " + ledgerColumns + ` FROM consent_ledger l
		WHERE l.organization_id = $1 AND l.user_id = $2 AND l.consent_id = ANY($3::uuid[]) ORDER BY l.consent_id, l.seq DESC`
)

func (r consentLedgerRepo) Latest(ctx context.Context, org, userID uuid.UUID, consentIDs []uuid.UUID) (map[uuid.UUID]consent.Entry, error) {
	var rows []ledgerRow
	var err error
	if len(consentIDs) == 0 {
		err = r.s.fixedRows(ctx, &rows, latestSQL, org, userID)
	} else {
		err = r.s.fixedRows(ctx, &rows, latestOfSQL, org, userID, uuidArray(consentIDs))
	}
	if err != nil {
		return nil, mapErr(err)
	}
	out := make(map[uuid.UUID]consent.Entry, len(rows))
	for _, x := range rows {
		out[x.ConsentID] = x.entry()
	}
	return out, nil
}

func (r consentLedgerRepo) HasAcceptance(ctx context.Context, org, consentID uuid.UUID, contentVersion int) (bool, error) {
	var found bool
	_, err := r.s.fixedRow(ctx, []any{&found}, `SELECT EXISTS (SELECT 1 FROM consent_ledger
		WHERE organization_id = $1 AND consent_id = $2 AND kind = 'accept' AND content_version = $3)`,
		org, consentID, contentVersion)
	return found, mapErr(err)
}

func (r consentLedgerRepo) HasAnyAcceptance(ctx context.Context, org, consentID uuid.UUID) (bool, error) {
	var found bool
	_, err := r.s.fixedRow(ctx, []any{&found}, `SELECT EXISTS (SELECT 1 FROM consent_ledger
		WHERE organization_id = $1 AND consent_id = $2 AND kind = 'accept')`, org, consentID)
	return found, mapErr(err)
}
