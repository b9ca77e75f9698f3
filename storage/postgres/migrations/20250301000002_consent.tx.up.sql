-- Consent definitions and the append-only acceptance ledger.
--
-- Same conventions as the core migration: idempotent statements, rows
-- keyed by (organization_id, id), stable constraint names (the storage maps
-- violations by name).

CREATE TABLE IF NOT EXISTS consent_definitions (
    organization_id       uuid        NOT NULL,
    id                    uuid        NOT NULL,
    default_name          text        NOT NULL,
    -- names maps localization ids to localized names (a JSON object).
    names                 jsonb       NOT NULL DEFAULT '{}',
    mandatory             boolean     NOT NULL,
    declined_notification boolean     NOT NULL,
    content_ref           text        NOT NULL DEFAULT '',
    content_version       integer     NOT NULL,
    website_ids           uuid[]      NOT NULL DEFAULT '{}',
    position              bigint      NOT NULL DEFAULT 0,
    created_at            timestamptz NOT NULL,
    updated_at            timestamptz NOT NULL,
    version               bigint      NOT NULL,
    CONSTRAINT consent_definitions_pkey PRIMARY KEY (organization_id, id),
    CONSTRAINT consent_definitions_names_check CHECK (jsonb_typeof(names) = 'object'),
    CONSTRAINT consent_definitions_content_version_check CHECK (content_version >= 1),
    CONSTRAINT consent_definitions_version_check CHECK (version > 0)
);
-- The one list order (position, then id) and the website filter.
CREATE INDEX IF NOT EXISTS consent_definitions_position_idx ON consent_definitions (organization_id, position, id);
CREATE INDEX IF NOT EXISTS consent_definitions_websites_gin ON consent_definitions USING gin (website_ids);

CREATE TABLE IF NOT EXISTS consent_ledger (
    -- seq is the append order: lists follow it and the latest entry of a
    -- (user, consent) pair is the one with the highest seq.
    seq             bigserial   NOT NULL,
    organization_id uuid        NOT NULL,
    id              uuid        NOT NULL,
    consent_id      uuid        NOT NULL,
    -- user_id has no foreign key: entries outlive their user.
    user_id         uuid        NOT NULL,
    content_version integer     NOT NULL,
    content_ref     text        NOT NULL DEFAULT '',
    kind            text        NOT NULL,
    at              timestamptz NOT NULL,
    source          text        NOT NULL DEFAULT '',
    actor_kind      text        NOT NULL,
    actor_id        uuid,
    CONSTRAINT consent_ledger_pkey PRIMARY KEY (organization_id, id),
    CONSTRAINT consent_ledger_seq_key UNIQUE (seq),
    -- A consent with entries cannot be deleted.
    CONSTRAINT consent_ledger_consent_fk FOREIGN KEY (organization_id, consent_id)
        REFERENCES consent_definitions (organization_id, id) ON DELETE RESTRICT,
    CONSTRAINT consent_ledger_kind_check CHECK (kind IN ('accept', 'revoke'))
);
CREATE INDEX IF NOT EXISTS consent_ledger_org_idx ON consent_ledger (organization_id, seq);
CREATE INDEX IF NOT EXISTS consent_ledger_user_idx ON consent_ledger (organization_id, user_id, consent_id, seq);
CREATE INDEX IF NOT EXISTS consent_ledger_consent_idx ON consent_ledger (organization_id, consent_id, seq);
CREATE INDEX IF NOT EXISTS consent_ledger_accepted_idx
    ON consent_ledger (organization_id, consent_id, content_version) WHERE kind = 'accept';

-- The ledger is append-only even for writes that skip the library: an
-- UPDATE or DELETE of an entry fails. (TRUNCATE and dropping the schema
-- still work, for hosts that remove an organization wholesale.)
CREATE OR REPLACE FUNCTION consent_ledger_append_only() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the consent ledger is append-only' USING ERRCODE = 'restrict_violation';
END
$$;
DROP TRIGGER IF EXISTS consent_ledger_append_only ON consent_ledger;
CREATE TRIGGER consent_ledger_append_only BEFORE UPDATE OR DELETE ON consent_ledger
    FOR EACH ROW EXECUTE FUNCTION consent_ledger_append_only();
