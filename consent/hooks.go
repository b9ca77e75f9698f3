package consent

import (
	"context"
	"fmt"
	"slices"

	"github.com/google/uuid"

	cu "github.com/b2bkit/customerusers"
	"github.com/b2bkit/customerusers/customeruser"
)

// RegistrationHook makes self-registration (customeruser.Service.Register)
// enforce and record consents; add it with
// customeruser.Service.AddRegistrationHook (or WithRegistrationHook).
//
// Before anything is written, every mandatory consent enabled for the
// registration's website (RegisterInput.WebsiteID, else the organization's
// default) must be among RegisterInput.AcceptedConsentIDs: each missing one
// is a violation on field "consents", rule "mandatory", naming the consent.
// An accepted id that is unknown is "acceptedConsentIds[i]" / "not_found",
// one not enabled for the website "acceptedConsentIds[i]" / "not_enabled".
// Once the user exists, in the registering transaction, each accepted
// consent gets an acceptance of its current content version with source
// "registration", recorded as given by the new user itself.
func RegistrationHook(s *Service) customeruser.RegistrationHook { return registrationHook{s} }

type registrationHook struct{ s *Service }

// CheckRegistration implements customeruser.RegistrationHook.
func (h registrationHook) CheckRegistration(ctx context.Context, org uuid.UUID, in customeruser.RegisterInput) []cu.Violation {
	v, err := h.check(ctx, org, in)
	if err != nil {
		// Fail closed: a registration whose consents cannot be checked
		// must not go through.
		h.s.log.ErrorContext(ctx, "checking registration consents failed", "err", err)
		return []cu.Violation{{Field: "consents", Rule: "unavailable", Message: "The consents could not be checked; please try again."}}
	}
	return v
}

// check returns the consent violations of a registration.
func (h registrationHook) check(ctx context.Context, org uuid.UUID, in customeruser.RegisterInput) ([]cu.Violation, error) {
	s := h.s
	if in.WebsiteID != uuid.Nil {
		if _, err := s.d.Sites.Website(ctx, org, in.WebsiteID); err != nil {
			if cu.CodeOf(err) == cu.CodeNotFound {
				// customeruser reports the unknown website.
				return nil, nil
			}
			return nil, cu.Internal(err)
		}
	}
	w, err := s.websiteOf(ctx, org, in.WebsiteID)
	if err != nil {
		return nil, err
	}
	enabled, err := s.enabledFor(ctx, org, w)
	if err != nil {
		return nil, err
	}
	var v cu.Violations
	for i, id := range in.AcceptedConsentIDs {
		if slices.ContainsFunc(enabled, func(d Definition) bool { return d.ID == id }) {
			continue
		}
		field := fmt.Sprintf("acceptedConsentIds[%d]", i)
		_, err := s.d.Definitions.Get(ctx, org, id)
		switch {
		case id == uuid.Nil || cu.CodeOf(err) == cu.CodeNotFound:
			v.Add(field, "not_found", "This consent does not exist.")
		case err != nil:
			return nil, cu.Internal(err)
		default:
			v.Add(field, "not_enabled", "This consent is not offered on this website.")
		}
	}
	for _, d := range enabled {
		if d.Mandatory && !slices.Contains(in.AcceptedConsentIDs, d.ID) {
			v.Addf("consents", "mandatory", "You must accept %q to register.", d.Name(in.LocalizationID))
		}
	}
	return v, nil
}

// Registered implements customeruser.RegistrationHook.
func (h registrationHook) Registered(ctx context.Context, u customeruser.User, in customeruser.RegisterInput) error {
	s := h.s
	if len(in.AcceptedConsentIDs) == 0 {
		return nil
	}
	actor := cu.CustomerUserActor(u.OrganizationID, u.ID, u.CustomerID, u.RoleIDs...)
	w, err := s.websiteOf(ctx, u.OrganizationID, u.WebsiteID)
	if err != nil {
		return err
	}
	var done []uuid.UUID
	for i, id := range in.AcceptedConsentIDs {
		if slices.Contains(done, id) {
			continue
		}
		done = append(done, id)
		d, err := s.lockDefinition(ctx, u.OrganizationID, id, false)
		if cu.CodeOf(err) == cu.CodeNotFound {
			return cu.FieldError(fmt.Sprintf("acceptedConsentIds[%d]", i), "not_found", "This consent does not exist.")
		}
		if err != nil {
			return err
		}
		if !d.EnabledFor(w) {
			return cu.FieldError(fmt.Sprintf("acceptedConsentIds[%d]", i), "not_enabled", "This consent is not offered on this website.")
		}
		e := s.newEntry(actor, KindAccept, u.ID, d, d.ContentVersion, d.ContentRef, SourceRegistration)
		if err := s.appendEntry(ctx, actor, e, d); err != nil {
			return err
		}
	}
	return nil
}

// DeleteHook keeps the consent ledger when a customer user is deleted; add
// it with customeruser.Service.AddDeleteHook (or WithDeleteHook). In the
// deleting transaction it appends
// a revocation with source "deletion" for every consent the user currently
// accepts, so that the ledger keeps every fact and ends with "not
// accepted". The entries keep the user id, which then resolves to no one.
func DeleteHook(s *Service) customeruser.DeleteHook {
	return func(ctx context.Context, actor cu.Actor, u customeruser.User) error {
		_, err := s.revokeAll(ctx, actor, u.OrganizationID, u.ID, SourceDeletion)
		return err
	}
}
