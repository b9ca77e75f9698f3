-- Core tables of github.com/b2bkit/customerusers: customers (with their
-- hierarchy), roles, customer users with their role links and addresses,
-- one-time tokens, login attempts and the event log.
--
-- Every statement is idempotent (IF NOT EXISTS): Migrate marks a migration
-- applied only after it succeeded, so a crash between the two re-runs it.
-- Conventions: every row carries organization_id and is keyed by
-- (organization_id, id), so that composite foreign keys make a reference to
-- another organization's row impossible; constraint and index names are
-- stable because the storage maps violations to field errors by name.

CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE IF NOT EXISTS customers (
    organization_id uuid        NOT NULL,
    id              uuid        NOT NULL,
    name            text        NOT NULL,
    parent_id       uuid,
    -- path is the materialized path: the ids from the top-level ancestor
    -- down to this customer, itself included. The subtree of X is every
    -- row whose path contains X (GIN index below); a move rewrites the
    -- paths of the whole subtree in one statement.
    path            uuid[]      NOT NULL,
    group_name      text        NOT NULL DEFAULT '',
    sales_rep_ids   uuid[]      NOT NULL DEFAULT '{}',
    owner_id        uuid,
    external_id     text        NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    version         bigint      NOT NULL,
    CONSTRAINT customers_pkey PRIMARY KEY (organization_id, id),
    CONSTRAINT customers_parent_fk FOREIGN KEY (organization_id, parent_id)
        REFERENCES customers (organization_id, id) ON DELETE RESTRICT,
    CONSTRAINT customers_not_own_parent CHECK (parent_id IS DISTINCT FROM id),
    CONSTRAINT customers_path_check CHECK (
        path[cardinality(path)] = id
        AND CASE WHEN parent_id IS NULL THEN cardinality(path) = 1
                 ELSE cardinality(path) > 1 AND path[cardinality(path) - 1] = parent_id END),
    CONSTRAINT customers_version_check CHECK (version > 0)
);
CREATE UNIQUE INDEX IF NOT EXISTS customers_external_id_uq
    ON customers (organization_id, external_id) WHERE external_id <> '';
CREATE INDEX IF NOT EXISTS customers_parent_idx ON customers (organization_id, parent_id);
CREATE INDEX IF NOT EXISTS customers_path_gin ON customers USING gin (path);
CREATE INDEX IF NOT EXISTS customers_name_idx ON customers (organization_id, (lower(name) COLLATE "C"), id);
CREATE INDEX IF NOT EXISTS customers_created_idx ON customers (organization_id, created_at, id);
CREATE INDEX IF NOT EXISTS customers_name_trgm ON customers USING gin (lower(name) gin_trgm_ops);

CREATE TABLE IF NOT EXISTS roles (
    organization_id uuid        NOT NULL,
    id              uuid        NOT NULL,
    code            text        NOT NULL,
    label           text        NOT NULL,
    -- customer_id is NULL for a predefined role. A customizable role goes
    -- with its customer.
    customer_id     uuid,
    self_managed    boolean     NOT NULL DEFAULT false,
    public          boolean     NOT NULL DEFAULT false,
    grants          jsonb       NOT NULL DEFAULT '[]',
    capabilities    jsonb       NOT NULL DEFAULT '[]',
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    version         bigint      NOT NULL,
    CONSTRAINT roles_pkey PRIMARY KEY (organization_id, id),
    CONSTRAINT roles_customer_fk FOREIGN KEY (organization_id, customer_id)
        REFERENCES customers (organization_id, id) ON DELETE CASCADE,
    CONSTRAINT roles_grants_check CHECK (jsonb_typeof(grants) = 'array'),
    CONSTRAINT roles_capabilities_check CHECK (jsonb_typeof(capabilities) = 'array'),
    CONSTRAINT roles_version_check CHECK (version > 0)
);
CREATE UNIQUE INDEX IF NOT EXISTS roles_code_uq ON roles (organization_id, code);
CREATE UNIQUE INDEX IF NOT EXISTS roles_label_uq
    ON roles (organization_id, coalesce(customer_id, '00000000-0000-0000-0000-000000000000'), lower(label));
CREATE INDEX IF NOT EXISTS roles_label_idx ON roles (organization_id, (lower(label) COLLATE "C"), id);
CREATE INDEX IF NOT EXISTS roles_customer_idx ON roles (organization_id, customer_id);

CREATE TABLE IF NOT EXISTS customer_users (
    organization_id           uuid        NOT NULL,
    id                        uuid        NOT NULL,
    customer_id               uuid,
    email                     text        NOT NULL,
    -- email_key is what uniqueness and look-ups use: lower(email) in the
    -- default case-insensitive mode, email as is in the case-sensitive one.
    email_key                 text        NOT NULL,
    name_prefix               text        NOT NULL DEFAULT '',
    first_name                text        NOT NULL DEFAULT '',
    middle_name               text        NOT NULL DEFAULT '',
    last_name                 text        NOT NULL DEFAULT '',
    name_suffix               text        NOT NULL DEFAULT '',
    birthday                  date,
    phone                     text        NOT NULL DEFAULT '',
    enabled                   boolean     NOT NULL,
    confirmed                 boolean     NOT NULL,
    guest                     boolean     NOT NULL,
    auth_status               text        NOT NULL,
    sales_rep_ids             uuid[]      NOT NULL DEFAULT '{}',
    owner_id                  uuid,
    website_id                uuid,
    preferred_localization_id uuid,
    attributes                jsonb,
    external_id               text        NOT NULL DEFAULT '',
    password_hash             text        NOT NULL DEFAULT '',
    password_changed_at       timestamptz,
    last_login_at             timestamptz,
    login_count               bigint      NOT NULL DEFAULT 0,
    created_at                timestamptz NOT NULL,
    updated_at                timestamptz NOT NULL,
    version                   bigint      NOT NULL,
    CONSTRAINT customer_users_pkey PRIMARY KEY (organization_id, id),
    CONSTRAINT customer_users_customer_fk FOREIGN KEY (organization_id, customer_id)
        REFERENCES customers (organization_id, id) ON DELETE RESTRICT,
    CONSTRAINT customer_users_auth_status_check CHECK (auth_status IN ('active', 'reset')),
    CONSTRAINT customer_users_attributes_check CHECK (attributes IS NULL OR jsonb_typeof(attributes) = 'object'),
    CONSTRAINT customer_users_login_count_check CHECK (login_count >= 0),
    CONSTRAINT customer_users_version_check CHECK (version > 0)
);
-- One registered (non-guest) user per e-mail key and organization.
CREATE UNIQUE INDEX IF NOT EXISTS customer_users_email_key_uq
    ON customer_users (organization_id, email_key) WHERE NOT guest;
CREATE INDEX IF NOT EXISTS customer_users_customer_idx ON customer_users (organization_id, customer_id);
-- Keyset sort orders, each with the id as tie-breaker.
CREATE INDEX IF NOT EXISTS customer_users_created_idx ON customer_users (organization_id, created_at, id);
CREATE INDEX IF NOT EXISTS customer_users_email_idx ON customer_users (organization_id, (lower(email) COLLATE "C"), id);
CREATE INDEX IF NOT EXISTS customer_users_last_name_idx ON customer_users (organization_id, (lower(last_name) COLLATE "C"), id);
CREATE INDEX IF NOT EXISTS customer_users_website_idx ON customer_users (organization_id, website_id);
-- The rare values of the flag filters, in the default sort order; the
-- common values are served by scanning a sort index.
CREATE INDEX IF NOT EXISTS customer_users_disabled_idx ON customer_users (organization_id, created_at, id) WHERE NOT enabled;
CREATE INDEX IF NOT EXISTS customer_users_unconfirmed_idx ON customer_users (organization_id, created_at, id) WHERE NOT confirmed;
CREATE INDEX IF NOT EXISTS customer_users_guest_idx ON customer_users (organization_id, created_at, id) WHERE guest;
CREATE INDEX IF NOT EXISTS customer_users_reset_idx ON customer_users (organization_id, created_at, id) WHERE auth_status = 'reset';
-- Case-insensitive substring search (e-mail, name and free-text filters):
-- one trigram index over the searchable text; each filter adds its exact
-- per-field condition.
CREATE INDEX IF NOT EXISTS customer_users_search_trgm ON customer_users USING gin (
    (lower(email) || ' ' || lower(first_name) || ' ' || lower(middle_name) || ' ' || lower(last_name)) gin_trgm_ops);

CREATE TABLE IF NOT EXISTS customer_user_roles (
    organization_id uuid    NOT NULL,
    user_id         uuid    NOT NULL,
    role_id         uuid    NOT NULL,
    -- position keeps the order of the user's RoleIDs.
    position        integer NOT NULL,
    CONSTRAINT customer_user_roles_pkey PRIMARY KEY (organization_id, user_id, role_id),
    CONSTRAINT customer_user_roles_user_fk FOREIGN KEY (organization_id, user_id)
        REFERENCES customer_users (organization_id, id) ON DELETE CASCADE,
    CONSTRAINT customer_user_roles_role_fk FOREIGN KEY (organization_id, role_id)
        REFERENCES roles (organization_id, id) ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS customer_user_roles_role_idx ON customer_user_roles (organization_id, role_id, user_id);

CREATE TABLE IF NOT EXISTS customer_user_addresses (
    organization_id   uuid        NOT NULL,
    user_id           uuid        NOT NULL,
    id                uuid        NOT NULL,
    position          integer     NOT NULL,
    label             text        NOT NULL DEFAULT '',
    organization_name text        NOT NULL DEFAULT '',
    name_prefix       text        NOT NULL DEFAULT '',
    first_name        text        NOT NULL DEFAULT '',
    middle_name       text        NOT NULL DEFAULT '',
    last_name         text        NOT NULL DEFAULT '',
    name_suffix       text        NOT NULL DEFAULT '',
    street            text        NOT NULL DEFAULT '',
    street2           text        NOT NULL DEFAULT '',
    city              text        NOT NULL DEFAULT '',
    postal_code       text        NOT NULL DEFAULT '',
    country           text        NOT NULL DEFAULT '',
    region            text        NOT NULL DEFAULT '',
    phone             text        NOT NULL DEFAULT '',
    is_primary        boolean     NOT NULL DEFAULT false,
    -- types is a JSON array of {"type": "billing"|"shipping", "default": bool}.
    types             jsonb       NOT NULL DEFAULT '[]',
    created_at        timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL,
    CONSTRAINT customer_user_addresses_pkey PRIMARY KEY (organization_id, user_id, id),
    CONSTRAINT customer_user_addresses_user_fk FOREIGN KEY (organization_id, user_id)
        REFERENCES customer_users (organization_id, id) ON DELETE CASCADE,
    CONSTRAINT customer_user_addresses_types_check CHECK (jsonb_typeof(types) = 'array')
);

CREATE TABLE IF NOT EXISTS one_time_tokens (
    -- digest is the SHA-256 of the secret; the secret is never stored.
    digest          bytea       NOT NULL,
    organization_id uuid        NOT NULL,
    user_id         uuid        NOT NULL,
    purpose         text        NOT NULL,
    created_at      timestamptz NOT NULL,
    expires_at      timestamptz NOT NULL,
    CONSTRAINT one_time_tokens_pkey PRIMARY KEY (digest),
    CONSTRAINT one_time_tokens_user_fk FOREIGN KEY (organization_id, user_id)
        REFERENCES customer_users (organization_id, id) ON DELETE CASCADE,
    CONSTRAINT one_time_tokens_purpose_check CHECK (purpose IN ('confirm', 'set_password'))
);
CREATE INDEX IF NOT EXISTS one_time_tokens_user_idx ON one_time_tokens (organization_id, user_id);

CREATE TABLE IF NOT EXISTS login_attempts (
    id              uuid        NOT NULL,
    organization_id uuid        NOT NULL,
    -- user_id is the nil UUID when no user matched the e-mail. Attempts
    -- outlive their user (no foreign key): they are a security log.
    user_id         uuid        NOT NULL,
    email           text        NOT NULL DEFAULT '',
    at              timestamptz NOT NULL,
    success         boolean     NOT NULL,
    reason          text        NOT NULL DEFAULT '',
    source          text        NOT NULL DEFAULT '',
    ip              text        NOT NULL DEFAULT '',
    user_agent      text        NOT NULL DEFAULT '',
    CONSTRAINT login_attempts_pkey PRIMARY KEY (id)
);
CREATE INDEX IF NOT EXISTS login_attempts_user_idx ON login_attempts (organization_id, user_id, at DESC, id DESC);

CREATE TABLE IF NOT EXISTS events (
    -- seq is the append order (the outbox delivers and lists in it).
    seq             bigserial   NOT NULL,
    id              uuid        NOT NULL,
    organization_id uuid        NOT NULL,
    type            text        NOT NULL,
    subject_type    text        NOT NULL,
    subject_id      uuid        NOT NULL,
    actor_kind      text        NOT NULL,
    actor_id        uuid,
    occurred_at     timestamptz NOT NULL,
    payload         jsonb,
    CONSTRAINT events_pkey PRIMARY KEY (seq),
    CONSTRAINT events_id_key UNIQUE (id)
);
CREATE INDEX IF NOT EXISTS events_subject_idx ON events (organization_id, subject_type, subject_id, seq);
