package postgres

import (
	"context"
	"errors"
	"strings"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/uptrace/bun/driver/pgdriver"

	cu "github.com/b2bkit/customerusers"
)

// pgError is what the mapping needs of a server error, whichever driver
// reported it.
type pgError struct {
	code, constraint, detail string
}

func asPgError(err error) (pgError, bool) {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pgError{code: pe.Code, constraint: pe.ConstraintName, detail: pe.Detail}, true
	}
	var de pgdriver.Error
	if errors.As(err, &de) {
		return pgError{code: de.Field('C'), constraint: de.Field('n'), detail: de.Field('D')}, true
	}
	return pgError{}, false
}

// The SQLSTATEs the storage maps.
const (
	sqlUniqueViolation      = "23505"
	sqlForeignKeyViolation  = "23503"
	sqlRestrictViolation    = "23001"
	sqlCheckViolation       = "23514"
	sqlCardinalityViolation = "21000"
	sqlSerializationFailure = "40001"
	sqlDeadlockDetected     = "40P01"
)

// The messages of the field errors that constraints produce; they are the
// in-memory storage's, so that both storages answer alike.
const (
	msgEmailUsed      = "This email is already used."
	msgCodeUsed       = "This role code is already used."
	msgLabelUsed      = "A role with this label already exists."
	msgExternalIDUsed = "This external id is already used."
	msgNoCustomer     = "The customer does not exist."
	msgNoParent       = "The parent customer does not exist."
	msgNoRole         = "The role does not exist."
	msgAppNameUsed    = "This name is already used by another application of the owner."
	msgClientIDUsed   = "This client id is already used."
)

// uniqueErrors maps unique indexes and primary keys to the errors their
// violation means.
var uniqueErrors = map[string]func() error{
	"customer_users_email_key_uq": func() error { return cu.FieldError("email", "unique", msgEmailUsed) },
	"roles_code_uq":               func() error { return cu.FieldError("code", "unique", msgCodeUsed) },
	"roles_label_uq":              func() error { return cu.FieldError("label", "unique", msgLabelUsed) },
	"customers_external_id_uq":    func() error { return cu.FieldError("externalId", "unique", msgExternalIDUsed) },
	"customers_pkey":              func() error { return cu.Conflict("the customer already exists") },
	"roles_pkey":                  func() error { return cu.Conflict("the role already exists") },
	"customer_users_pkey":         func() error { return cu.Conflict("the customer user already exists") },
	"one_time_tokens_pkey":        func() error { return cu.Conflict("the token already exists") },
	"events_id_key":               func() error { return cu.Conflict("the event already exists") },
	"login_attempts_pkey":         func() error { return cu.Conflict("the login attempt already exists") },
	"customer_user_addresses_pkey": func() error {
		return cu.FieldError("addresses", "unique", "Two addresses have the same id.")
	},
	"consent_definitions_pkey": func() error { return cu.Conflict("the consent already exists") },
	"consent_ledger_pkey":      func() error { return cu.Conflict("the consent ledger entry already exists") },
	"oauth_apps_pkey":          func() error { return cu.Conflict("the OAuth application already exists") },
	"oauth_apps_name_uq":       func() error { return cu.FieldError("name", "unique", msgAppNameUsed) },
	"oauth_apps_client_id_uq":  func() error { return cu.FieldError("clientId", "unique", msgClientIDUsed) },
	"oauth_access_tokens_pkey": func() error { return cu.Conflict("the access token already exists") },
}

// refErrors maps foreign keys to the error of a write whose reference is
// missing.
var refErrors = map[string]func() error{
	"customers_parent_fk":             func() error { return cu.FieldError("parentId", "not_found", msgNoParent) },
	"customer_users_customer_fk":      func() error { return cu.FieldError("customerId", "not_found", msgNoCustomer) },
	"roles_customer_fk":               func() error { return cu.FieldError("customerId", "not_found", msgNoCustomer) },
	"one_time_tokens_user_fk":         func() error { return cu.NotFound("customer user") },
	"customer_user_roles_user_fk":     func() error { return cu.NotFound("customer user") },
	"customer_user_addresses_user_fk": func() error { return cu.NotFound("customer user") },
	"customer_user_roles_role_fk":     func() error { return cu.FieldError("roleIds", "not_found", msgNoRole) },
	"consent_ledger_consent_fk":       func() error { return cu.NotFound("consent") },
	"oauth_apps_owner_fk":             func() error { return cu.NotFound("customer user") },
	"oauth_access_tokens_app_fk":      func() error { return cu.NotFound("OAuth application") },
	"oauth_access_tokens_user_fk":     func() error { return cu.NotFound("customer user") },
}

// restrictErrors maps foreign keys to the conflict of a delete that they
// refuse.
var restrictErrors = map[string]string{
	"customers_parent_fk":        "the customer still has child customers",
	"customer_users_customer_fk": "the customer still has customer users",
	"consent_ledger_consent_fk":  "the consent has ledger entries",
}

// checkErrors maps check constraints to field errors.
var checkErrors = map[string]func() error{
	"customer_users_auth_status_check": func() error {
		return cu.FieldError("authStatus", "invalid", "The auth status must be active or reset.")
	},
	"customer_users_attributes_check": func() error {
		return cu.FieldError("attributes", "type", "The attributes must be a JSON object.")
	},
	"one_time_tokens_purpose_check": func() error {
		return cu.FieldError("purpose", "invalid", "The token purpose is unknown.")
	},
	"customers_not_own_parent": func() error {
		return cu.FieldError("parentId", "cycle", "A customer cannot be its own parent.")
	},
	"consent_definitions_content_version_check": func() error {
		return cu.FieldError("contentVersion", "min", "The content version starts at 1.")
	},
	"consent_ledger_kind_check": func() error {
		return cu.FieldError("kind", "invalid", "The entry kind must be accept or revoke.")
	},
	"oauth_access_tokens_grant_check": func() error {
		return cu.FieldError("grantType", "invalid", "The grant type is unknown.")
	},
}

// mapErr turns a storage error into a cu error: constraint violations
// become the field errors or conflicts of the repository contracts,
// serialization failures and deadlocks a conflict (retry the use case),
// anything else an internal error wrapping the cause. cu errors pass
// unchanged; context errors stay matchable with errors.Is.
func mapErr(err error) error { return mapErrOp(err, false) }

// mapDeleteErr is mapErr for a delete, where a foreign key violation is a
// restricting key refusing it (a conflict).
func mapDeleteErr(err error) error { return mapErrOp(err, true) }

func mapErrOp(err error, deleting bool) error {
	if err == nil {
		return nil
	}
	var ce *cu.Error
	if errors.As(err, &ce) {
		return err
	}
	pe, ok := asPgError(err)
	if !ok {
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return &cu.Error{Code: cu.CodeInternal, Message: "storage call interrupted", Err: err}
		}
		return cu.Internal(err)
	}
	var mapped error
	switch pe.code {
	case sqlUniqueViolation:
		if f := uniqueErrors[pe.constraint]; f != nil {
			mapped = f()
		}
	case sqlForeignKeyViolation, sqlRestrictViolation:
		if msg, ok := restrictErrors[pe.constraint]; ok && deleting {
			mapped = cu.Conflict("%s", msg)
		} else if f := refErrors[pe.constraint]; f != nil {
			mapped = f()
		}
	case sqlCheckViolation:
		if f := checkErrors[pe.constraint]; f != nil {
			mapped = f()
		}
	case sqlCardinalityViolation:
		// An upsert meeting the same key twice: two addresses with one id.
		mapped = cu.FieldError("addresses", "unique", "Two addresses have the same id.")
	case sqlSerializationFailure, sqlDeadlockDetected:
		mapped = cu.Conflict("the change collided with a concurrent one; retry")
	}
	if mapped == nil {
		return cu.Internal(err)
	}
	var me *cu.Error
	errors.As(mapped, &me)
	me.Err = err
	return me
}

// mapRoleRefErr maps a missing role among roleIDs to the field error of its
// index ("roleIds[1]"), found by the id the server names in the error
// detail; other errors go through mapErr.
func mapRoleRefErr(err error, roleIDs []uuid.UUID) error {
	pe, ok := asPgError(err)
	if !ok || pe.constraint != "customer_user_roles_role_fk" {
		return mapErr(err)
	}
	for i, id := range roleIDs {
		if strings.Contains(pe.detail, id.String()) {
			return &cu.Error{Code: cu.CodeInvalid, Message: "validation failed", Err: err,
				Violations: []cu.Violation{{Field: roleField(i), Rule: "not_found", Message: msgNoRole}}}
		}
	}
	return mapErr(err)
}
