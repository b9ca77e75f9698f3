-- Drops the OAuth tables (every application and access token).
DROP TABLE IF EXISTS oauth_access_tokens;
DROP TABLE IF EXISTS oauth_apps;
