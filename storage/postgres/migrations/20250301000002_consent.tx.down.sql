-- Drops the consent tables (and every entry of the ledger).
DROP TABLE IF EXISTS consent_ledger;
DROP FUNCTION IF EXISTS consent_ledger_append_only();
DROP TABLE IF EXISTS consent_definitions;
