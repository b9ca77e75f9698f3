// Command hostmux shows a host application that mounts the customerusers
// handlers into its own http.ServeMux, next to its own routes, with its
// own authentication:
//
//   - staff call the back office at /staff/api with the header
//     X-Staff-Key (one key per back-office user);
//   - customer users sign in with the host's own POST /login, which sets a
//     session cookie; the storefront at /shop/api/account takes that
//     cookie, and also the library's bearer tokens (POST
//     /shop/api/oauth2/token), tried first;
//   - the public self-service endpoints are at /shop/api.
//
// Run it with
//
//	go run ./examples/hostmux [-addr 127.0.0.1:8081]
//
// and try, for instance:
//
//	curl -s -H 'X-Staff-Key: staff-demo-key' http://127.0.0.1:8081/staff/api/customers
//	curl -s -c jar -d email=buyer@acme-east.example -d password=Demo-Passw0rd http://127.0.0.1:8081/login
//	curl -s -b jar http://127.0.0.1:8081/shop/api/account/me
package main

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/google/uuid"

	cu "github.com/b2bkit/customerusers"
	"github.com/b2bkit/customerusers/customeruser"
	"github.com/b2bkit/customerusers/examples/internal/demo"
	"github.com/b2bkit/customerusers/httpadapter"
)

// StaffKey is the demo's one back-office key.
const StaffKey = "staff-demo-key"

// sessionCookie names the host's session cookie.
const sessionCookie = "sid"

// argon2 overrides the password hashing parameters (tests); zero keeps the
// library's defaults.
var argon2 customeruser.Argon2Params

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "hostmux:", err)
		}
		os.Exit(1)
	}
}

// run serves the host application until ctx is cancelled.
func run(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("hostmux", flag.ContinueOnError)
	fs.SetOutput(stdout)
	addr := fs.String("addr", "127.0.0.1:8081", "address to listen on")
	if err := fs.Parse(args); err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stdout, nil))
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	defer ln.Close()
	h, err := newHost(ctx, log, "http://"+ln.Addr().String())
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: h.mux, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	log.Info("listening", "addr", ln.Addr().String(), "staffKey", StaffKey, "login", demo.BuyerEmail, "password", demo.DemoPassword)
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return err
	}
	<-served
	log.Info("stopped")
	return nil
}

// host is the host application: its ServeMux, its sessions, and the
// library's services of the demo organization.
type host struct {
	mux   *http.ServeMux
	demo  *demo.Demo
	staff map[string]uuid.UUID // staff key -> back-office user id

	mu       sync.Mutex
	sessions map[string]uuid.UUID // session id -> customer user id
}

func newHost(ctx context.Context, log *slog.Logger, baseURL string) (*host, error) {
	d, err := demo.New(ctx, demo.MemoryStorage(), demo.Options{Logger: log, BaseURL: baseURL + "/shop", Argon2: argon2})
	if err != nil {
		return nil, err
	}
	h := &host{mux: http.NewServeMux(), demo: d, staff: map[string]uuid.UUID{StaffKey: demo.BackOfficeUserID},
		sessions: map[string]uuid.UUID{}}

	// The host's own routes.
	h.mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, "Welcome to the ACME shop.")
	})
	h.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
	h.mux.HandleFunc("POST /login", h.login)
	h.mux.HandleFunc("POST /logout", h.logout)

	// The library's handlers, each under its prefix. One Config serves all
	// three: the back office and the storefront call Authenticate, which
	// tells them apart by the credentials it finds.
	cfg := httpadapter.Config{
		Users: d.Users, Roles: d.Roles, Consents: d.Consents, OAuth: d.Apps,
		Authenticate:   h.authenticate,
		OrganizationID: demo.OrgID,
		Logger:         log,
	}
	h.mux.Handle("/staff/api/", http.StripPrefix("/staff/api", httpadapter.NewBackOffice(cfg)))
	h.mux.Handle("/shop/api/account/", http.StripPrefix("/shop/api/account", httpadapter.NewStorefront(cfg)))
	h.mux.Handle("/shop/api/", http.StripPrefix("/shop/api", httpadapter.NewPublic(cfg)))
	return h, nil
}

// authenticate is the host's authentication: a staff key is a back-office
// user, a session cookie a customer user, read afresh at each request so
// that its current roles count and a disabled user is refused at once.
func (h *host) authenticate(r *http.Request) (cu.Actor, error) {
	if key := r.Header.Get("X-Staff-Key"); key != "" {
		for k, id := range h.staff {
			if subtle.ConstantTimeCompare([]byte(k), []byte(key)) == 1 {
				return cu.BackOfficeActor(demo.OrgID, id), nil
			}
		}
		return cu.Actor{}, errors.New("unknown staff key")
	}
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return cu.Actor{}, errors.New("no session")
	}
	h.mu.Lock()
	userID, ok := h.sessions[c.Value]
	h.mu.Unlock()
	if !ok {
		return cu.Actor{}, errors.New("unknown session")
	}
	u, err := h.demo.Users.GetUser(r.Context(), cu.SystemActor(demo.OrgID), userID)
	if err != nil || h.demo.Users.CheckLogin(u) != nil {
		return cu.Actor{}, errors.New("the session's user may no longer log in")
	}
	return cu.CustomerUserActor(u.OrganizationID, u.ID, u.CustomerID, u.RoleIDs...), nil
}

// login is the host's own sign-in form: the library checks the password
// (with its lockout), the host keeps the session.
func (h *host) login(w http.ResponseWriter, r *http.Request) {
	u, err := h.demo.Users.Authenticate(r.Context(), demo.OrgID, customeruser.Credentials{
		Email: r.PostFormValue("email"), Password: r.PostFormValue("password"), Source: "host_login",
		IP: r.RemoteAddr, UserAgent: r.UserAgent(),
	})
	if err != nil {
		status := http.StatusUnauthorized
		if cu.CodeOf(err) == cu.CodeRateLimited {
			status = http.StatusTooManyRequests
		}
		http.Error(w, "Sign-in failed.", status)
		return
	}
	sid := rand.Text()
	h.mu.Lock()
	h.sessions[sid] = u.ID
	h.mu.Unlock()
	// SameSite=Lax keeps other sites' forms and scripts from writing with
	// the cookie (CSRF); a real host adds Secure behind HTTPS.
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: sid, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode})
	fmt.Fprintf(w, "Signed in as %s.\n", u.Email)
}

func (h *host) logout(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(sessionCookie); err == nil {
		h.mu.Lock()
		delete(h.sessions, c.Value)
		h.mu.Unlock()
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1})
	w.WriteHeader(http.StatusNoContent)
}
