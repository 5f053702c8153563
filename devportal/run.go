package devportal

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"
)

// Run is the slices-devportal command: it parses args (without the program name),
// serves until ctx ends, and prints SLICES_PORTAL_URL=… as its first stdout line once
// it listens. A usage error is returned wrapped around flag.ErrHelp or as *UsageError.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("slices-devportal", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:0", "address to listen on")
	var o Options
	fs.DurationVar(&o.TokenTTL, "token-ttl", time.Hour, "project token lifetime")
	fs.DurationVar(&o.UserTTL, "user-ttl", time.Hour, "user (access) token lifetime")
	fs.DurationVar(&o.SessionTTL, "session-ttl", 0, "end every login this long after it was made (0 = never)")
	fs.DurationVar(&o.SessionIdle, "session-idle", 0, "also end a login this long after its last refresh (0 = never)")
	fs.BoolVar(&o.AutoApprove, "auto-approve", false, "device codes approve themselves on their first poll")
	fs.IntVar(&o.Projects, "projects", 0, "0 = the demo projects; N = N generated projects")
	fs.StringVar(&o.Issuer, "issuer", DefaultIssuer, "iss of the tokens and discovery's issuer")
	fs.DurationVar(&o.Interval, "interval", time.Second, "device-flow poll interval")
	fs.Func("client", "register the OAuth client `ID[:SECRET]` (repeatable; a secret makes it confidential; default: the public client "+DefaultClientID+")",
		func(v string) error {
			c, err := ParseClient(v)
			if err == nil {
				o.Clients = append(o.Clients, c)
			}
			return err
		})
	fs.Func("scopes-supported", "discovery's scopes_supported, the only scopes a login may ask for (space-separated `list`)",
		func(v string) error { o.ScopesSupported = splitList(v); return nil })
	fs.Func("auth-methods", "discovery's token_endpoint_auth_methods_supported, the only ways clients may authenticate (`list` of none, client_secret_basic, client_secret_post)",
		func(v string) error { o.AuthMethods = splitList(v); return nil })
	verbose := fs.Bool("v", false, "debug log of every request on stderr")
	for _, a := range args {
		if a == "-cli-manifest" || a == "--cli-manifest" {
			// A slices-* executable on PATH is asked this by the Slices CLI:
			// answering with an error keeps the emulator out of its commands.
			return &UsageError{Err: errors.New("not a Slices CLI plugin: slices-devportal is the emulated portal for tests and the demo")}
		}
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return &UsageError{Err: err, Reported: true}
	}
	if fs.NArg() > 0 {
		return &UsageError{Err: fmt.Errorf("unexpected argument %q", fs.Arg(0))}
	}
	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	o.Logger = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	srv, err := New(o)
	if err != nil {
		return &UsageError{Err: err}
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", *addr, err)
	}
	url := "http://" + ln.Addr().String()
	if _, err := fmt.Fprintf(stdout, "%s%s\n", URLPrefix, url); err != nil {
		ln.Close()
		return fmt.Errorf("write portal url: %w", err)
	}
	if f, ok := stdout.(interface{ Sync() error }); ok {
		_ = f.Sync()
	}
	approve := "approve at " + url + pathApprove
	if o.AutoApprove {
		approve = "device codes approve themselves"
	}
	fmt.Fprintf(stderr, "slices-devportal: serving %d projects at %s (issuer %s; %s; clients %s)\n",
		len(srv.projects), url, srv.opts.Issuer, approve, srv.clientList())

	hs := &http.Server{
		Handler:           srv,
		ReadHeaderTimeout: 10 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return ctx },
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		return fmt.Errorf("shut down: %w", err)
	}
	return nil
}

// splitList reads a list given as words separated by spaces or commas.
func splitList(v string) []string {
	return strings.FieldsFunc(v, func(r rune) bool { return r == ' ' || r == ',' || r == '\t' })
}

// UsageError is a bad command line; the binary exits 2 on it.
type UsageError struct {
	Err error
	// Reported is true when the flag package already printed the error and the usage.
	Reported bool
}

// Error returns the message of the underlying error.
func (e *UsageError) Error() string { return e.Err.Error() }

// Unwrap returns the underlying error.
func (e *UsageError) Unwrap() error { return e.Err }

// URLPrefix starts the first stdout line of slices-devportal.
const URLPrefix = "SLICES_PORTAL_URL="

// ReadURL reads the portal's URL from the first line of a slices-devportal's
// stdout, waiting at most timeout, and keeps draining the rest so that the
// emulator never blocks on a full pipe.
func ReadURL(stdout io.Reader, timeout time.Duration) (string, error) {
	first := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		if sc.Scan() {
			first <- sc.Text()
		}
		close(first)
		for sc.Scan() {
		}
	}()
	select {
	case line, ok := <-first:
		if !ok {
			return "", errors.New("slices-devportal exited before printing its URL")
		}
		url, found := strings.CutPrefix(strings.TrimSpace(line), URLPrefix)
		if !found {
			return "", fmt.Errorf("slices-devportal printed %q first, not %s…", line, URLPrefix)
		}
		return url, nil
	case <-time.After(timeout):
		return "", fmt.Errorf("slices-devportal printed no URL within %s", timeout)
	}
}
