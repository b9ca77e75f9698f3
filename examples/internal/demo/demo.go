// Package demo wires the library's services for the example programs and
// seeds the demo organization: a customer hierarchy, the seeded roles, a
// customer administrator and a buyer, two websites with two localizations,
// a mandatory consent and the storefront's first-party OAuth client.
package demo

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"regexp"
	"sync"
	"time"

	"github.com/google/uuid"

	cu "github.com/b2bkit/customerusers"
	"github.com/b2bkit/customerusers/consent"
	"github.com/b2bkit/customerusers/customeruser"
	"github.com/b2bkit/customerusers/oauthapp"
	"github.com/b2bkit/customerusers/role"
	"github.com/b2bkit/customerusers/storage/memory"
)

// Demo credentials printed by the examples. They exist only in the demo
// organization.
const (
	AdminEmail   = "admin@acme.example"
	BuyerEmail   = "buyer@acme-east.example"
	DemoPassword = "Demo-Passw0rd"
	// StorefrontClientID is the first-party OAuth client of the storefront
	// (a public client: no secret) that may use the password grant.
	StorefrontClientID = "storefront"
)

// The fixed ids of the demo organization and its host-side records.
var (
	OrgID            = uuid.MustParse("0190a0b0-0000-7000-8000-000000000001")
	BackOfficeUserID = uuid.MustParse("0190a0b0-0000-7000-8000-0000000000ad")
	StoreWebsiteID   = uuid.MustParse("0190a0b0-0000-7000-8000-0000000000a1")
	OutletWebsiteID  = uuid.MustParse("0190a0b0-0000-7000-8000-0000000000a2")
	EnglishID        = uuid.MustParse("0190a0b0-0000-7000-8000-0000000000e1")
	GermanID         = uuid.MustParse("0190a0b0-0000-7000-8000-0000000000e2")
)

// Options tune a Demo.
type Options struct {
	// Logger receives the e-mails the demo "sends" and the dispatcher's
	// errors; nil discards.
	Logger *slog.Logger
	// BaseURL prefixes the links of e-mails ("http://127.0.0.1:8080").
	BaseURL string
	// Argon2 overrides the password hashing parameters (tests make them
	// cheap); zero keeps the library's defaults.
	Argon2 customeruser.Argon2Params
	// SealKey is the 32-byte AES key that seals the one-time tokens of
	// e-mails waiting in the outbox. A key that stays the same across
	// starts lets e-mails left pending by a stopped server go out after
	// the next start; nil makes a random key per start (pending e-mails of
	// an earlier run then fail and end up dead).
	SealKey []byte
}

// Storage is what the demo runs on. The consent, OAuth and outbox parts
// are optional: without them the demo runs without consents, without OAuth
// applications and tokens, and e-mails are logged when requested instead
// of after commit.
type Storage struct {
	// Name is shown at start ("memory", "postgres").
	Name      string
	Tx        cu.Transactor
	Customers customeruser.CustomerRepository
	Hierarchy role.Hierarchy
	Users     customeruser.UserRepository
	Tokens    customeruser.TokenRepository
	Attempts  customeruser.LoginAttemptRepository
	Events    cu.EventLog
	Roles     role.Repository

	Consents     consent.DefinitionRepository
	Ledger       consent.LedgerRepository
	Apps         oauthapp.AppRepository
	AccessTokens oauthapp.TokenRepository
	Outbox       cu.Outbox
}

// MemoryStorage returns a new in-memory storage with every part.
func MemoryStorage() Storage {
	s := memory.New()
	return Storage{
		Name: "memory", Tx: s, Customers: s.Customers(), Hierarchy: s.Customers(), Users: s.Users(), Tokens: s.Tokens(),
		Attempts: s.LoginAttempts(), Events: s.Events(), Roles: s.Roles(), Consents: s.Consents(), Ledger: s.ConsentLedger(),
		Apps: s.OAuthApps(), AccessTokens: s.AccessTokens(), Outbox: s.Outbox(),
	}
}

// Missing names the optional parts the storage lacks, for the warning a
// program prints at start.
func (s Storage) Missing() []string {
	var out []string
	if s.Consents == nil || s.Ledger == nil {
		out = append(out, "consents")
	}
	if s.Apps == nil || s.AccessTokens == nil {
		out = append(out, "OAuth applications and access tokens")
	}
	if s.Outbox == nil {
		out = append(out, "the outbox")
	}
	return out
}

// Demo is the wired services of the demo organization.
type Demo struct {
	Storage Storage
	Sites   *customeruser.StaticSites
	Authz   *role.Authorizer
	Roles   *role.Service
	Users   *customeruser.Service
	// Consents is nil when the storage has no consent repositories.
	Consents *consent.Service
	// Apps is nil when the storage has no OAuth repositories.
	Apps *oauthapp.Service
	// Dispatcher delivers the outbox's e-mails; nil without an outbox
	// (e-mails then go out when requested).
	Dispatcher *cu.Dispatcher
	// Mailer logs and keeps every e-mail sent.
	Mailer *LogMailer
	// BackOffice is the demo's back-office user.
	BackOffice cu.Actor

	ids *seedIDs
}

// New wires the services on st and seeds the demo organization unless it
// already has customers (a database seeded by an earlier start).
func New(ctx context.Context, st Storage, o Options) (*Demo, error) {
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	d := &Demo{Storage: st, Sites: customeruser.NewStaticSites(), BackOffice: cu.BackOfficeActor(OrgID, BackOfficeUserID),
		Mailer: &LogMailer{log: log}, ids: &seedIDs{}}
	for _, w := range []customeruser.Website{
		{ID: StoreWebsiteID, Name: "ACME Store", Localizations: []uuid.UUID{EnglishID, GermanID}, DefaultLocalizationID: EnglishID},
		{ID: OutletWebsiteID, Name: "ACME Outlet", Localizations: []uuid.UUID{EnglishID, GermanID}, DefaultLocalizationID: EnglishID},
	} {
		d.Sites.Add(OrgID, w)
	}

	links := customeruser.DefaultLinkBuilder(o.BaseURL)
	var notifier customeruser.Notifier
	if st.Outbox != nil {
		key := o.SealKey
		if key == nil {
			key = make([]byte, 32)
			if _, err := rand.Read(key); err != nil {
				return nil, err
			}
		}
		sealer, err := customeruser.NewAESGCMSealer(key)
		if err != nil {
			return nil, err
		}
		notifier = customeruser.NewOutboxNotifier(st.Events, sealer)
		email := customeruser.NewEmailSubscriber(customeruser.EmailConfig{Mailer: d.Mailer, Sealer: sealer, Links: links,
			Sites: d.Sites, Logger: log})
		d.Dispatcher = cu.NewDispatcher(st.Outbox, []cu.Subscriber{email}, cu.WithDispatchLogger(log),
			cu.WithPollInterval(200*time.Millisecond))
	} else {
		notifier = &directNotifier{templates: customeruser.NewTemplates(), links: links, sites: d.Sites, mailer: d.Mailer}
	}

	d.Authz = role.NewAuthorizer(st.Roles, st.Hierarchy)
	d.Roles = role.NewService(role.Deps{Tx: st.Tx, Roles: st.Roles, Holders: st.Users, Hierarchy: st.Hierarchy,
		Events: st.Events, Authorizer: d.Authz, Registry: role.NewRegistry()}, role.WithIDs(d.ids.next))
	cfg := customeruser.DefaultConfig()
	if o.Argon2 != (customeruser.Argon2Params{}) {
		cfg.Argon2 = o.Argon2
	}
	d.Users = customeruser.NewService(customeruser.Deps{Tx: st.Tx, Customers: st.Customers, Users: st.Users,
		Tokens: st.Tokens, Attempts: st.Attempts, Events: st.Events, Roles: st.Roles, Authorizer: d.Authz,
		Sites: d.Sites, Notifier: notifier}, customeruser.WithConfig(cfg), customeruser.WithIDs(d.ids.next),
		customeruser.WithLogger(log))
	if st.Consents != nil && st.Ledger != nil {
		d.Consents = consent.NewService(consent.Deps{Tx: st.Tx, Definitions: st.Consents, Ledger: st.Ledger,
			Users: st.Users, Events: st.Events, Sites: d.Sites, Authorizer: d.Authz}, consent.WithIDs(d.ids.next),
			consent.WithLogger(log))
		d.Users.AddRegistrationHook(consent.RegistrationHook(d.Consents))
		d.Users.AddDeleteHook(consent.DeleteHook(d.Consents))
	}
	if st.Apps != nil && st.AccessTokens != nil {
		d.Apps = oauthapp.NewService(oauthapp.Deps{Tx: st.Tx, Apps: st.Apps, Tokens: st.AccessTokens, Users: st.Users,
			Authorizer: d.Authz, Events: st.Events, Notifier: notifier, Logins: d.Users},
			oauthapp.Config{FirstPartyClients: []oauthapp.FirstPartyClient{{ClientID: StorefrontClientID}}},
			oauthapp.WithIDs(d.ids.next), oauthapp.WithLogger(log))
		d.Users.AddDeleteHook(oauthapp.DeleteHook(d.Apps))
		d.Users.AddAccessRevokedHook(oauthapp.RevokeHook(d.Apps))
	}

	existing, err := d.Users.ListCustomers(ctx, d.BackOffice, customeruser.CustomerFilter{}, cu.Page{Limit: 1})
	if err != nil {
		return nil, fmt.Errorf("read the demo organization: %w", err)
	}
	if len(existing.Items) == 0 {
		if err := d.seed(ctx); err != nil {
			return nil, fmt.Errorf("seed the demo organization: %w", err)
		}
	}
	return d, nil
}

// RunDispatcher delivers the outbox's e-mails until ctx ends; it returns at
// once when there is no outbox.
func (d *Demo) RunDispatcher(ctx context.Context) {
	if d.Dispatcher == nil {
		return
	}
	_ = d.Dispatcher.Run(ctx)
}

// seed creates the demo organization. Its records get fixed ids (see
// seedIDs), so that every start prints the same ids.
func (d *Demo) seed(ctx context.Context) error {
	d.ids.start()
	defer d.ids.stop()
	seeded, err := d.Roles.Seed(ctx, OrgID)
	if err != nil {
		return fmt.Errorf("roles: %w", err)
	}
	var adminRole, buyerRole role.Role
	for _, r := range seeded {
		switch r.Code {
		case role.AdministratorRoleCode:
			adminRole = r
		case role.DefaultRoleCode:
			buyerRole = r
		}
	}
	parent, err := d.Users.CreateCustomer(ctx, d.BackOffice, customeruser.CustomerInput{Name: "ACME Holding"})
	if err != nil {
		return err
	}
	east, err := d.Users.CreateCustomer(ctx, d.BackOffice, customeruser.CustomerInput{Name: "ACME East", ParentID: parent.ID})
	if err != nil {
		return err
	}
	if _, err := d.Users.CreateCustomer(ctx, d.BackOffice, customeruser.CustomerInput{Name: "ACME West", ParentID: parent.ID}); err != nil {
		return err
	}
	for _, u := range []customeruser.CreateUserInput{
		{CustomerID: parent.ID, Email: AdminEmail, FirstName: "Alice", LastName: "Admin", RoleIDs: []uuid.UUID{adminRole.ID},
			Password: DemoPassword, WebsiteID: StoreWebsiteID},
		{CustomerID: east.ID, Email: BuyerEmail, FirstName: "Bob", LastName: "Buyer", RoleIDs: []uuid.UUID{buyerRole.ID},
			Password: DemoPassword, WebsiteID: StoreWebsiteID},
	} {
		if _, err := d.Users.CreateUser(ctx, d.BackOffice, u); err != nil {
			return err
		}
	}
	if d.Consents != nil {
		if _, err := d.Consents.CreateDefinition(ctx, d.BackOffice, consent.DefinitionInput{
			DefaultName: "Terms of sale", Names: map[uuid.UUID]string{GermanID: "Verkaufsbedingungen"},
			ContentRef: "https://shop.example/terms", WebsiteIDs: []uuid.UUID{StoreWebsiteID, OutletWebsiteID},
		}); err != nil {
			return err
		}
	}
	return nil
}

// Report prints what a visitor of the demo needs: customers, roles,
// credentials, websites, consents and the OAuth client.
func (d *Demo) Report(ctx context.Context, out io.Writer) error {
	fmt.Fprintf(out, "Demo organization %s (storage: %s)\n\nCustomers:\n", OrgID, d.Storage.Name)
	customers, err := d.Users.ListCustomers(ctx, d.BackOffice, customeruser.CustomerFilter{}, cu.Page{Limit: cu.MaxPageLimit})
	if err != nil {
		return err
	}
	for _, c := range customers.Items {
		parent := "-"
		if c.ParentID != uuid.Nil {
			parent = c.ParentID.String()
		}
		fmt.Fprintf(out, "  %-14s id=%s parent=%s\n", c.Name, c.ID, parent)
	}
	fmt.Fprintln(out, "\nRoles:")
	roles, err := d.Roles.List(ctx, d.BackOffice, role.Filter{}, cu.Page{Limit: cu.MaxPageLimit})
	if err != nil {
		return err
	}
	for _, r := range roles.Items {
		fmt.Fprintf(out, "  %-14s id=%s code=%s\n", r.Label, r.ID, r.Code)
	}
	fmt.Fprintln(out, "\nCustomer users (demo credentials):")
	users, err := d.Users.ListUsers(ctx, d.BackOffice, customeruser.UserFilter{}, cu.Page{Limit: 10, Sort: cu.Sort{Field: customeruser.SortEmail}})
	if err != nil {
		return err
	}
	for _, u := range users.Items {
		fmt.Fprintf(out, "  %-24s password=%s id=%s customer=%s\n", u.Email, DemoPassword, u.ID, u.CustomerID)
	}
	fmt.Fprintln(out, "\nWebsites:")
	for _, id := range []uuid.UUID{StoreWebsiteID, OutletWebsiteID} {
		w, err := d.Sites.Website(ctx, OrgID, id)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "  %-14s id=%s localizations=%v\n", w.Name, w.ID, w.Localizations)
	}
	if d.Consents != nil {
		fmt.Fprintln(out, "\nConsents (pass the mandatory ones as acceptedConsentIds to POST /api/register):")
		defs, err := d.Consents.ListDefinitions(ctx, d.BackOffice, consent.DefinitionFilter{}, cu.Page{Limit: cu.MaxPageLimit})
		if err != nil {
			return err
		}
		for _, c := range defs.Items {
			fmt.Fprintf(out, "  %-14s id=%s mandatory=%t\n", c.DefaultName, c.ID, c.Mandatory)
		}
	}
	if d.Apps != nil {
		fmt.Fprintf(out, "\nStorefront OAuth client (password grant, public: no secret): client_id=%s\n", StorefrontClientID)
	}
	return nil
}

// seedIDs hands out fixed ids (a counter) while the demo is seeded, so
// that the seeded records have the same ids at every start and the ids
// the README's commands use stay true; otherwise fresh UUIDv7s.
type seedIDs struct {
	mu      sync.Mutex
	seeding bool
	n       int
}

func (g *seedIDs) start() { g.mu.Lock(); g.seeding, g.n = true, 0; g.mu.Unlock() }
func (g *seedIDs) stop()  { g.mu.Lock(); g.seeding = false; g.mu.Unlock() }

func (g *seedIDs) next() uuid.UUID {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.seeding {
		return cu.NewID()
	}
	g.n++
	return uuid.MustParse(fmt.Sprintf("0190a0b0-0000-7000-8000-%012x", 0x1000+g.n))
}

// LogMailer is the demo's Mailer: it logs each message's recipient,
// subject and link (with its one-time token: this is a demo) so that a
// person can follow confirmation and reset links, and keeps the messages.
type LogMailer struct {
	customeruser.MemoryMailer
	log *slog.Logger
}

var linkRE = regexp.MustCompile(`https?://\S+|/customer/user/\S+`)

// Send logs and keeps msg.
func (m *LogMailer) Send(ctx context.Context, msg customeruser.Message) error {
	link := linkRE.FindString(msg.Text)
	attrs := []any{"to", msg.To, "subject", msg.Subject, "link", link}
	if u, err := url.Parse(link); err == nil && u.Query().Get("token") != "" {
		attrs = append(attrs, "token", u.Query().Get("token"))
	}
	m.log.InfoContext(ctx, "e-mail sent", attrs...)
	return m.MemoryMailer.Send(ctx, msg)
}

// directNotifier renders and sends each notification when it is
// requested, for storages without an outbox: simple, but an e-mail is
// sent even when the change that asked for it rolls back afterwards.
type directNotifier struct {
	templates *customeruser.Templates
	links     customeruser.LinkBuilder
	sites     customeruser.Sites
	mailer    customeruser.Mailer
}

func (n *directNotifier) Notify(ctx context.Context, x customeruser.Notification) error {
	data := customeruser.TemplateData{Template: x.Template, Name: x.Name, Email: x.Email, Link: n.links(x), Data: x.Data}
	if w, err := n.sites.Website(ctx, x.OrganizationID, x.WebsiteID); err == nil {
		data.WebsiteName = w.Name
	}
	msg, err := n.templates.Render(x.Template, x.LocalizationID, data)
	if err != nil {
		return err
	}
	msg.To = x.Email
	return n.mailer.Send(ctx, msg)
}
