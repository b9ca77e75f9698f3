// Command server is the demo of the customerusers library: the three HTTP
// handler sets of package httpadapter on one listener, over a seeded demo
// organization.
//
//	go run ./examples/server [-addr 127.0.0.1:8080] [-admin-token TOKEN] [-dsn postgres://...]
//		[-log-level info] [-pprof 127.0.0.1:6060]
//
// It serves the back-office API at /admin/api (Authorization: Bearer with
// the admin token, random unless -admin-token is given, printed at start),
// the storefront API at /api/account (Authorization: Bearer with an access
// token of POST /api/oauth2/token) and the public endpoints at /api. Each
// serves its OpenAPI document at /openapi.json.
//
// Storage is in memory by default: the demo organization is seeded at
// every start, and the outbox dispatcher runs in the background, logging
// every e-mail (subject, link and token) so that confirmation and reset
// links can be followed. With -dsn (or DATABASE_URL) everything lives in
// PostgreSQL instead: customers, users, roles, consents, OAuth
// applications and tokens, login attempts and the events with their
// outbox (migrations run at start, the demo organization is seeded into an
// empty one). E-mails still go out through the outbox dispatcher; their
// one-time tokens are sealed with the -seal-key (or $SEAL_KEY) key, or
// without one with a key made at each start, so that e-mails left pending
// by an earlier run fail and end up dead. It logs every
// request (successful GET and HEAD requests at debug level, the others at
// info, so that a read-heavy load at the default level writes no line per
// read) and shuts down gracefully on SIGINT and SIGTERM. With -pprof it
// serves net/http/pprof on a listener of its own (off by default: the
// profiles expose the process's internals, so bind it to loopback).
package main

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	cu "github.com/b2bkit/customerusers"
	"github.com/b2bkit/customerusers/customeruser"
	"github.com/b2bkit/customerusers/examples/internal/demo"
	"github.com/b2bkit/customerusers/httpadapter"
	"github.com/b2bkit/customerusers/storage/postgres"
)

// The mount points of the three handler sets.
const (
	backOfficePrefix = "/admin/api"
	storefrontPrefix = "/api/account"
	publicPrefix     = "/api"
)

// shutdownTimeout bounds how long in-flight requests may take to finish
// once a signal came.
const shutdownTimeout = 10 * time.Second

// argon2 overrides the password hashing parameters (the tests make them
// cheap); zero keeps the library's defaults.
var argon2 customeruser.Argon2Params

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "server:", err)
		}
		os.Exit(1)
	}
}

// run parses the flags, serves until ctx is cancelled, then shuts down:
// in-flight requests get shutdownTimeout to finish and the outbox
// dispatcher stops. Everything it prints and logs goes to stdout.
func run(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("server", flag.ContinueOnError)
	fs.SetOutput(stdout)
	addr := fs.String("addr", "127.0.0.1:8080", "address to listen on")
	dsn := fs.String("dsn", os.Getenv("DATABASE_URL"), "PostgreSQL DSN (default $DATABASE_URL); empty: in-memory storage")
	adminToken := fs.String("admin-token", "", "bearer token of the back office (default: random, printed at start)")
	logLevel := fs.String("log-level", "info", "log level: debug, info, warn or error (successful GET and HEAD requests log at debug)")
	sealKey := fs.String("seal-key", os.Getenv("SEAL_KEY"),
		"64 hex digits (32 bytes, default $SEAL_KEY) sealing e-mail tokens in the outbox, so pending e-mails survive a restart; empty: random per start")
	pprofAddr := fs.String("pprof", "", "serve net/http/pprof at /debug/pprof/ on this address (e.g. 127.0.0.1:6060); empty: off")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	level, err := parseLevel(*logLevel)
	if err != nil {
		return err
	}
	var key []byte
	if *sealKey != "" {
		if key, err = hex.DecodeString(*sealKey); err != nil || len(key) != 32 {
			return errors.New("-seal-key must be 64 hexadecimal digits (32 bytes)")
		}
	}
	if *adminToken == "" {
		*adminToken = rand.Text()
	}
	log := slog.New(slog.NewTextHandler(stdout, &slog.HandlerOptions{Level: level}))

	st := demo.MemoryStorage()
	if *dsn != "" {
		db, err := postgres.Open(ctx, *dsn)
		if err != nil {
			return fmt.Errorf("open PostgreSQL: %w", err)
		}
		defer db.Close()
		if err := postgres.Migrate(ctx, db); err != nil {
			return fmt.Errorf("migrate PostgreSQL: %w", err)
		}
		st = demo.PostgresStorage(postgres.New(db))
	}
	if missing := st.Missing(); len(missing) > 0 {
		log.Warn("the storage lacks parts of the demo, which runs without them", "missing", strings.Join(missing, ", "))
	}

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	defer ln.Close()
	base := "http://" + ln.Addr().String()
	if *pprofAddr != "" {
		stopPprof, err := servePprof(*pprofAddr, log)
		if err != nil {
			return err
		}
		defer stopPprof()
	}

	d, err := demo.New(ctx, st, demo.Options{Logger: log, BaseURL: base, Argon2: argon2, SealKey: key})
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           logRequests(log, newHandler(d, *adminToken, log)),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelError),
	}
	if err := printBanner(ctx, stdout, d, base, *adminToken); err != nil {
		return err
	}

	dispatchCtx, stopDispatch := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { d.RunDispatcher(dispatchCtx) })
	defer func() {
		stopDispatch()
		wg.Wait()
	}()

	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	log.Info("listening", "addr", ln.Addr().String(), "storage", st.Name)
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	log.Info("stopped")
	return nil
}

// parseLevel reads the -log-level flag.
func parseLevel(s string) (slog.Level, error) {
	switch strings.ToLower(s) {
	case "debug":
		return slog.LevelDebug, nil
	case "info":
		return slog.LevelInfo, nil
	case "warn":
		return slog.LevelWarn, nil
	case "error":
		return slog.LevelError, nil
	}
	return 0, fmt.Errorf("-log-level %q: want debug, info, warn or error", s)
}

// servePprof serves the profiles of net/http/pprof under /debug/pprof/ on
// a listener of its own, apart from the API, so that they are reachable
// only where the operator chose; the returned function closes it.
func servePprof(addr string, log *slog.Logger) (func(), error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("-pprof: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second,
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelError)}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			log.Error("pprof server stopped", "err", err)
		}
	}()
	log.Info("pprof listening", "addr", ln.Addr().String())
	return func() {
		srv.Close()
		<-done
	}, nil
}

// newHandler mounts the three handler sets of the demo.
func newHandler(d *demo.Demo, adminToken string, log *slog.Logger) http.Handler {
	cfg := httpadapter.Config{
		Users: d.Users, Roles: d.Roles, Consents: d.Consents, OAuth: d.Apps,
		Authenticate:   bearerAuth(adminToken, d.BackOffice),
		OrganizationID: demo.OrgID,
		Logger:         log,
	}
	mux := http.NewServeMux()
	mux.Handle(backOfficePrefix+"/", http.StripPrefix(backOfficePrefix, httpadapter.NewBackOffice(cfg)))
	if d.Apps != nil {
		// The storefront's users authenticate with the library's own
		// tokens only (password grant of the storefront client, or an
		// OAuth application's client_credentials).
		sf := cfg
		sf.Authenticate = nil
		mux.Handle(storefrontPrefix+"/", http.StripPrefix(storefrontPrefix, httpadapter.NewStorefront(sf)))
	}
	mux.Handle(publicPrefix+"/", http.StripPrefix(publicPrefix, httpadapter.NewPublic(cfg)))
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintf(w, "customerusers demo\n\nback office: %s/openapi.json\nstorefront:  %s/openapi.json\npublic:      %s/openapi.json\n",
			backOfficePrefix, storefrontPrefix, publicPrefix)
	})
	return mux
}

// bearerAuth is the demo's back-office authentication: one static bearer
// token standing for one back-office user.
func bearerAuth(token string, actor cu.Actor) func(*http.Request) (cu.Actor, error) {
	want := []byte("Bearer " + token)
	return func(r *http.Request) (cu.Actor, error) {
		if subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), want) != 1 {
			return cu.Actor{}, errors.New("not the admin token")
		}
		return actor, nil
	}
}

func printBanner(ctx context.Context, out io.Writer, d *demo.Demo, base, adminToken string) error {
	fmt.Fprintf(out, "customerusers demo server\n\n")
	fmt.Fprintf(out, "  back office  %s%s    Authorization: Bearer $ADMIN_TOKEN\n", base, backOfficePrefix)
	if d.Apps != nil {
		fmt.Fprintf(out, "  storefront   %s%s  Authorization: Bearer <access_token of POST %s/oauth2/token>\n", base, storefrontPrefix, publicPrefix)
	} else {
		fmt.Fprintf(out, "  storefront   (off: needs the storage's OAuth access tokens)\n")
	}
	fmt.Fprintf(out, "  public       %s%s\n", base, publicPrefix)
	fmt.Fprintf(out, "  OpenAPI      <each of the above>/openapi.json\n\n")
	fmt.Fprintf(out, "  export ADMIN_TOKEN=%s\n\n", adminToken)
	if err := d.Report(ctx, out); err != nil {
		return err
	}
	fmt.Fprintln(out)
	return nil
}

// logRequests logs every request with its status, size and duration
// (never its headers or body): successful reads (GET and HEAD answered
// below 400) at debug level, since they change nothing and can come by
// thousands a second, everything else at info.
func logRequests(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(sw, r)
		level := slog.LevelInfo
		if (r.Method == http.MethodGet || r.Method == http.MethodHead) && sw.status < http.StatusBadRequest {
			level = slog.LevelDebug
		}
		ctx := r.Context()
		if !log.Enabled(ctx, level) {
			return
		}
		log.Log(ctx, level, "request", "method", r.Method, "path", r.URL.Path, "status", sw.status,
			"bytes", sw.bytes, "duration", time.Since(start).Round(time.Microsecond))
	})
}

// statusWriter records the status and size of an answer.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (w *statusWriter) WriteHeader(status int) {
	w.status = status
	w.ResponseWriter.WriteHeader(status)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	n, err := w.ResponseWriter.Write(b)
	w.bytes += n
	return n, err
}

// Unwrap lets http.ResponseController reach the connection.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
