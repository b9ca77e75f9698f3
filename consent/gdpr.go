package consent

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"

	cu "github.com/b2bkit/customerusers"
	"github.com/b2bkit/customerusers/customeruser"
)

// GDPR exports and erases the personal data of customer users (SPEC §5 ★):
// what package customeruser holds, the consent ledger, and what every
// registered PersonalDataSource holds. It is a type of its own, built after
// both services (see the package documentation for the wiring):
//
//	users := customeruser.NewService(customeruser.Deps{...})
//	consents := consent.NewService(consent.Deps{...})
//	users.AddRegistrationHook(consent.RegistrationHook(consents))
//	users.AddDeleteHook(consent.DeleteHook(consents))
//	gdpr := consent.NewGDPR(consents, users, sources...)
//
// The consent Service, the customeruser.Service and the sources must share
// one storage transactor, so that Erase is one transaction.
type GDPR struct {
	consents *Service
	users    *customeruser.Service
	sources  []PersonalDataSource
	redactor EventRedactor
	attempts AttemptEraser
}

// EventRedactor is an optional storage capability that Erase uses to take
// the personal data out of the event log: the user's history events and
// its notification requests carry e-mails, names and IP addresses in their
// payloads. storage/memory and storage/postgres implement it on their
// event log.
type EventRedactor interface {
	// RedactSubject replaces the payload of every event of the subject
	// (that has one) with {"redacted":true}, in the transaction of ctx. The
	// events themselves stay: types, times, actors and ids are facts, not
	// personal data.
	RedactSubject(ctx context.Context, org uuid.UUID, subjectType string, subjectID uuid.UUID) error
}

// AttemptEraser is an optional storage capability that Erase uses to take
// the personal data out of the login attempts (e-mail typed, IP address,
// user agent). storage/memory and storage/postgres implement it on their
// login attempt repository.
type AttemptEraser interface {
	// EraseForUser erases (blanks or deletes) the e-mail, IP address and
	// user agent of the user's login attempts and of those that matched no
	// user but were made with its e-mail, in the transaction of ctx. Erase
	// calls it before the user's e-mail is anonymised.
	EraseForUser(ctx context.Context, org, userID uuid.UUID) error
}

// GDPROption configures a GDPR (see With).
type GDPROption func(*GDPR)

// WithEventRedactor sets the event log redactor that Erase uses. By
// default NewGDPR uses the consent Service's event log (Deps.Events) when
// it implements EventRedactor; nil turns redaction off.
func WithEventRedactor(r EventRedactor) GDPROption { return func(g *GDPR) { g.redactor = r } }

// WithAttemptEraser sets the login attempt eraser that Erase uses (the
// storage's login attempt repository, when it implements AttemptEraser).
// Without one, login attempts keep their e-mail, IP address and user
// agent after an erasure.
func WithAttemptEraser(e AttemptEraser) GDPROption { return func(g *GDPR) { g.attempts = e } }

// NewGDPR returns the GDPR use cases over both services and the sources.
// It panics when two sources share a name or one has none: that is a
// wiring mistake, and an export must not silently lose a section. Erase
// redacts events with the consent Service's event log when it implements
// EventRedactor; With sets the AttemptEraser (or another redactor).
func NewGDPR(consents *Service, users *customeruser.Service, sources ...PersonalDataSource) *GDPR {
	seen := map[string]bool{}
	for _, src := range sources {
		n := src.Name()
		if n == "" || seen[n] {
			panic(fmt.Sprintf("consent: personal data source name %q is empty or used twice", n))
		}
		seen[n] = true
	}
	g := &GDPR{consents: consents, users: users, sources: append([]PersonalDataSource(nil), sources...)}
	if r, ok := consents.d.Events.(EventRedactor); ok {
		g.redactor = r
	}
	return g
}

// With returns a copy of g configured by opts (g itself is unchanged):
//
//	gdpr := consent.NewGDPR(consents, users, sources...).With(
//		consent.WithAttemptEraser(attempts))
func (g *GDPR) With(opts ...GDPROption) *GDPR {
	c := *g
	c.sources = append([]PersonalDataSource(nil), g.sources...)
	for _, o := range opts {
		o(&c)
	}
	return &c
}

// PersonalDataExport is the one JSON document of a GDPR export: everything
// the library and the registered sources hold about a customer user, and
// never a secret (password hash, token, client secret).
type PersonalDataExport struct {
	ExportedAt   time.Time                 `json:"exportedAt"`
	CustomerUser customeruser.PersonalData `json:"customerUser"`
	Consents     ConsentData               `json:"consents"`
	// Sources holds each PersonalDataSource's section by its name.
	Sources map[string]json.RawMessage `json:"sources"`
}

// ConsentData is the consent section of an export.
type ConsentData struct {
	// State is the current state of each consent enabled for the user's
	// website.
	State []State `json:"state"`
	// Ledger is every ledger entry of the user, in the order written.
	Ledger []Entry `json:"ledger"`
	// Names are the default names of the consents the ledger mentions
	// (absent for deleted definitions).
	Names map[uuid.UUID]string `json:"names"`
}

// Export gathers the personal data of a customer user (back office and
// system only). A failing source fails the export (internal error): a
// partial export must not pass for a complete one.
func (g *GDPR) Export(ctx context.Context, actor cu.Actor, userID uuid.UUID) (PersonalDataExport, error) {
	s := g.consents
	if err := trustedOnly(actor, "personal data export"); err != nil {
		return PersonalDataExport{}, err
	}
	pd, err := g.users.PersonalData(ctx, actor, userID)
	if err != nil {
		return PersonalDataExport{}, err
	}
	u, err := s.loadUser(ctx, actor.OrganizationID, userID)
	if err != nil {
		return PersonalDataExport{}, err
	}
	out := PersonalDataExport{ExportedAt: s.now(), CustomerUser: pd, Sources: map[string]json.RawMessage{}}
	if out.Consents.State, err = s.state(ctx, u); err != nil {
		return PersonalDataExport{}, err
	}
	if out.Consents.Ledger, err = s.allEntries(ctx, u.OrganizationID, LedgerFilter{UserID: u.ID}); err != nil {
		return PersonalDataExport{}, err
	}
	out.Consents.Names = map[uuid.UUID]string{}
	for _, e := range out.Consents.Ledger {
		if _, ok := out.Consents.Names[e.ConsentID]; ok {
			continue
		}
		d, err := s.d.Definitions.Get(ctx, u.OrganizationID, e.ConsentID)
		switch {
		case err == nil:
			out.Consents.Names[e.ConsentID] = d.DefaultName
		case cu.CodeOf(err) != cu.CodeNotFound:
			return PersonalDataExport{}, cu.Internal(err)
		}
	}
	for _, src := range g.sources {
		v, err := src.Export(ctx, u.OrganizationID, u.ID)
		if err != nil {
			return PersonalDataExport{}, sourceError(src, "export", err)
		}
		b, err := json.Marshal(v)
		if err != nil {
			return PersonalDataExport{}, sourceError(src, "export", err)
		}
		out.Sources[src.Name()] = b
	}
	return out, nil
}

// sourceError flattens a source's error into an internal one, so that a
// source's own not-found or forbidden is never mistaken for ours.
func sourceError(src PersonalDataSource, op string, err error) error {
	return &cu.Error{Code: cu.CodeInternal, Message: "personal data " + op + " failed",
		Err: fmt.Errorf("personal data source %q: %s", src.Name(), err)}
}

// Erase anonymises a customer user while keeping the consent ledger's
// facts (back office and system only), in one transaction: it erases the
// personal data of the user's login attempts (with an AttemptEraser) and
// redacts the payloads of its history events and notification requests
// (with an EventRedactor), anonymises the user
// (customeruser.Service.Anonymize: personal fields gone, disabled, unusable
// password, tokens dead), appends a revocation
// with source "erasure" for every consent the user accepts, calls every
// source's Erase, and appends consent.user_erased (subject: the user) with
// the number of revocations and the sources erased. Any failure undoes it
// all. The user record and its id remain, so that the ledger and the
// host's records still point at something, which no longer names anyone.
func (g *GDPR) Erase(ctx context.Context, actor cu.Actor, userID uuid.UUID) error {
	s := g.consents
	if err := trustedOnly(actor, "personal data erasure"); err != nil {
		return err
	}
	return s.d.Tx.InTx(ctx, func(ctx context.Context) error {
		if err := g.erasePersonalTraces(ctx, actor, userID); err != nil {
			return err
		}
		u, err := g.users.Anonymize(ctx, actor, userID)
		if err != nil {
			return err
		}
		n, err := s.revokeAll(ctx, actor, u.OrganizationID, u.ID, SourceErasure)
		if err != nil {
			return err
		}
		names := []string{}
		for _, src := range g.sources {
			if err := src.Erase(ctx, actor, u.OrganizationID, u.ID); err != nil {
				return sourceError(src, "erasure", err)
			}
			names = append(names, src.Name())
		}
		payload := map[string]any{"revocations": n, "sources": names}
		return cu.Internal(s.record(ctx, actor, EventUserErased, customeruser.SubjectCustomerUser, u.ID, payload))
	})
}

// erasePersonalTraces erases the login attempts of the user and redacts
// its events, before Anonymize (which needs the user's e-mail gone only
// after the attempts made with it were found). The events appended by the
// erasure itself come after the redaction and hold no personal data. An
// unknown user is left to Anonymize to report.
func (g *GDPR) erasePersonalTraces(ctx context.Context, actor cu.Actor, userID uuid.UUID) error {
	if g.attempts == nil && g.redactor == nil {
		return nil
	}
	org := actor.OrganizationID
	if _, err := g.consents.d.Users.Get(ctx, org, userID); err != nil {
		if cu.CodeOf(err) == cu.CodeNotFound {
			return nil
		}
		return cu.Internal(err)
	}
	if g.attempts != nil {
		if err := g.attempts.EraseForUser(ctx, org, userID); err != nil {
			return cu.Internal(err)
		}
	}
	if g.redactor != nil {
		for _, subject := range []string{customeruser.SubjectCustomerUser, customeruser.SubjectNotification} {
			if err := g.redactor.RedactSubject(ctx, org, subject, userID); err != nil {
				return cu.Internal(err)
			}
		}
	}
	return nil
}
