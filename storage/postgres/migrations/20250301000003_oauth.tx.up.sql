-- OAuth applications of customer users and their access tokens.

CREATE TABLE IF NOT EXISTS oauth_apps (
    organization_id uuid        NOT NULL,
    id              uuid        NOT NULL,
    owner_user_id   uuid        NOT NULL,
    name            text        NOT NULL,
    -- client_id is unique across organizations (a client presents only it).
    client_id       text        NOT NULL,
    -- secret_hash is the SHA-256 of the client secret; the secret is never stored.
    secret_hash     bytea       NOT NULL,
    -- grants and scopes are JSON arrays of strings, in order.
    grants          jsonb       NOT NULL DEFAULT '[]',
    active          boolean     NOT NULL,
    scopes          jsonb       NOT NULL DEFAULT '[]',
    last_used_at    timestamptz,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    version         bigint      NOT NULL,
    CONSTRAINT oauth_apps_pkey PRIMARY KEY (organization_id, id),
    -- An application goes with its owner (the service deletes it first,
    -- with its event; the cascade covers writes that skip the service).
    CONSTRAINT oauth_apps_owner_fk FOREIGN KEY (organization_id, owner_user_id)
        REFERENCES customer_users (organization_id, id) ON DELETE CASCADE,
    CONSTRAINT oauth_apps_grants_check CHECK (jsonb_typeof(grants) = 'array'),
    CONSTRAINT oauth_apps_scopes_check CHECK (jsonb_typeof(scopes) = 'array'),
    CONSTRAINT oauth_apps_version_check CHECK (version > 0)
);
-- Names are unique per owner, case-insensitively; the index also serves
-- the owner filter.
CREATE UNIQUE INDEX IF NOT EXISTS oauth_apps_name_uq ON oauth_apps (organization_id, owner_user_id, lower(name));
CREATE UNIQUE INDEX IF NOT EXISTS oauth_apps_client_id_uq ON oauth_apps (client_id);
-- Keyset sort orders.
CREATE INDEX IF NOT EXISTS oauth_apps_name_idx ON oauth_apps (organization_id, (lower(name) COLLATE "C"), id);
CREATE INDEX IF NOT EXISTS oauth_apps_created_idx ON oauth_apps (organization_id, created_at, id);

CREATE TABLE IF NOT EXISTS oauth_access_tokens (
    -- digest is the SHA-256 of the bearer token; the token is never stored.
    -- Validating a token is one look-up in this primary key.
    digest          bytea       NOT NULL,
    organization_id uuid        NOT NULL,
    -- app_id is NULL for a password-grant (first-party) token.
    app_id          uuid,
    client_id       text        NOT NULL,
    grant_type      text        NOT NULL,
    user_id         uuid        NOT NULL,
    scopes          jsonb       NOT NULL DEFAULT '[]',
    unscoped        boolean     NOT NULL DEFAULT false,
    -- role_ids are the roles the scopes relied on at issuance.
    role_ids        uuid[]      NOT NULL DEFAULT '{}',
    expires_at      timestamptz NOT NULL,
    created_at      timestamptz NOT NULL,
    CONSTRAINT oauth_access_tokens_pkey PRIMARY KEY (digest),
    -- Deleting an application or a user deletes its tokens.
    CONSTRAINT oauth_access_tokens_app_fk FOREIGN KEY (organization_id, app_id)
        REFERENCES oauth_apps (organization_id, id) ON DELETE CASCADE,
    CONSTRAINT oauth_access_tokens_user_fk FOREIGN KEY (organization_id, user_id)
        REFERENCES customer_users (organization_id, id) ON DELETE CASCADE,
    CONSTRAINT oauth_access_tokens_grant_check CHECK (grant_type IN ('client_credentials', 'password')),
    CONSTRAINT oauth_access_tokens_scopes_check CHECK (jsonb_typeof(scopes) = 'array')
);
CREATE INDEX IF NOT EXISTS oauth_access_tokens_app_idx ON oauth_access_tokens (organization_id, app_id);
CREATE INDEX IF NOT EXISTS oauth_access_tokens_user_idx ON oauth_access_tokens (organization_id, user_id);
CREATE INDEX IF NOT EXISTS oauth_access_tokens_expiry_idx ON oauth_access_tokens (organization_id, expires_at);
