-- Drops the core tables (and every row in them). The pg_trgm extension is
-- left installed: other schemas of the database may use it.
DROP TABLE IF EXISTS events;
DROP TABLE IF EXISTS login_attempts;
DROP TABLE IF EXISTS one_time_tokens;
DROP TABLE IF EXISTS customer_user_addresses;
DROP TABLE IF EXISTS customer_user_roles;
DROP TABLE IF EXISTS customer_users;
DROP TABLE IF EXISTS roles;
DROP TABLE IF EXISTS customers;
