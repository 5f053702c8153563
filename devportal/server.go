// Package devportal is a local, faithful emulator of the Slices portal and its
// OIDC issuer, for the demo, tests and benchmarks.
//
// One Server answers, on one address, everything a Slices client talks to:
// OIDC discovery and the JWKS, the RFC 8628 device flow with a small approval
// page, the token endpoint (device-code and rotating refresh-token grants), the
// projects API and ES256 project tokens shaped exactly like the real ones. Base
// URLs come from the request's Host, so the same Server works behind
// httptest.NewServer and in the slices-devportal binary:
//
//	srv, _ := devportal.New(devportal.Options{AutoApprove: true, TokenTTL: 2 * time.Second})
//	ts := httptest.NewServer(srv)
//	defer ts.Close()
//
// Tests steer it from Go (InjectFault, RotateKey, RevokeRefreshTokens, SetMode,
// Stats) or over HTTP under /_dev/ (faults, rotate-key, revoke, approve, deny,
// mode, stats); /_dev/ itself is never faulted.
package devportal

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"
)

// DefaultIssuer is the iss of real Slices tokens: the account service, not the portal.
const DefaultIssuer = "https://account.ilabt.imec.be"

// Paths of the emulated endpoints.
const (
	pathDiscovery = "/.well-known/openid-configuration"
	pathJWKS      = "/.well-known/jwks.json"
	pathAuthorize = "/oauth/authorize"
	pathDevice    = "/oauth/device"
	pathApprove   = "/oauth/authorize_device"
	pathToken     = "/oauth/token"
	pathRevoke    = "/oauth/revoke"
	pathUserinfo  = "/oauth/userinfo"
	pathProjects  = "/apis/proj.slices-ri.eu/v1alpha1/projects"
)

// Options configures a Server; the zero value is a usable demo portal.
type Options struct {
	// Issuer is the iss of every token and discovery's issuer; default DefaultIssuer.
	Issuer string
	// TokenTTL is the project token lifetime; default 1h.
	TokenTTL time.Duration
	// UserTTL is the user (access) token lifetime; default 1h.
	UserTTL time.Duration
	// SessionTTL, when set, ends every login that long after it was made: its
	// refresh tokens then answer invalid_grant, and token answers carry
	// refresh_expires_in (as Keycloak does). 0 = logins never end.
	SessionTTL time.Duration
	// SessionIdle, when set, also ends a login that long after its last
	// refresh, and refresh_expires_in slides along with it (Keycloak's SSO
	// idle timeout). 0 = no idle timeout.
	SessionIdle time.Duration
	// AutoApprove makes device codes approve themselves on their first poll.
	AutoApprove bool
	// Projects is 0 for the demo set, or N>0 for N generated projects.
	Projects int
	// Interval is the device-flow poll interval; default 1s. Advertised rounded up to whole seconds.
	Interval time.Duration
	// DeviceCodeTTL is how long a device code stays valid; default 10m.
	DeviceCodeTTL time.Duration
	// Now is the clock for token times and device-code expiry; default time.Now.
	Now func() time.Time
	// Logger receives one debug line per request; nil discards.
	Logger *slog.Logger
	// Clients is the client registry; empty registers the public client
	// DefaultClientID. An unknown client or a wrong secret gets invalid_client.
	Clients []Client
	// ScopesSupported is discovery's scopes_supported, and the only scopes a
	// login may ask for (else invalid_scope); default DefaultScopesSupported.
	ScopesSupported []string
	// AuthMethods is discovery's token_endpoint_auth_methods_supported, and
	// the only ways a client may authenticate; default DefaultAuthMethods.
	AuthMethods []string
}

// Server is the emulated portal; it is an http.Handler and safe for concurrent use.
type Server struct {
	opts     Options
	now      func() time.Time
	log      *slog.Logger
	user     demoUser
	projects []project
	byID     map[string]*project
	clients  map[string]Client

	mu            sync.Mutex
	keys          []*signingKey // published in the JWKS; the last one signs
	keySeq        int
	devices       map[string]*deviceGrant // by device code
	userCodes     map[string]*deviceGrant // by user code
	refresh       map[string]*refreshEntry
	revokedAccess map[string]bool // sha256 of revoked access tokens
	faults        []*Fault
	mode          TokenMode
	stats         Stats
}

// New returns a Server with a fresh ES256 signing key ("ec1") and its projects.
func New(opts Options) (*Server, error) {
	if opts.Issuer == "" {
		opts.Issuer = DefaultIssuer
	}
	if opts.TokenTTL <= 0 {
		opts.TokenTTL = time.Hour
	}
	if opts.UserTTL <= 0 {
		opts.UserTTL = time.Hour
	}
	if opts.Interval <= 0 {
		opts.Interval = time.Second
	}
	if opts.DeviceCodeTTL <= 0 {
		opts.DeviceCodeTTL = 10 * time.Minute
	}
	if err := checkOptions(&opts); err != nil {
		return nil, err
	}
	if opts.Projects < 0 {
		return nil, fmt.Errorf("projects must be 0 (demo set) or positive, not %d", opts.Projects)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	s := &Server{
		opts:          opts,
		now:           opts.Now,
		log:           log,
		user:          newDemoUser(),
		devices:       map[string]*deviceGrant{},
		userCodes:     map[string]*deviceGrant{},
		refresh:       map[string]*refreshEntry{},
		revokedAccess: map[string]bool{},
		stats:         newStats(),
		clients:       map[string]Client{},
	}
	for _, c := range opts.Clients {
		s.clients[c.ID] = c
	}
	if opts.Projects == 0 {
		s.projects = demoProjects(opts.Now())
	} else {
		s.projects = generatedProjects(opts.Projects)
	}
	s.byID = make(map[string]*project, len(s.projects))
	for i := range s.projects {
		s.byID[s.projects[i].ID] = &s.projects[i]
	}
	if _, err := s.addKey(); err != nil {
		return nil, err
	}
	return s, nil
}

// ServeHTTP routes a request, counts it, applies injected faults and answers it.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
	name := "dev"
	if strings.HasPrefix(r.URL.Path, "/_dev/") {
		s.serveDev(rec, r)
	} else {
		if r.Method == http.MethodPost && strings.HasPrefix(r.URL.Path, "/oauth/") {
			if err := parseFormLenient(r); err != nil {
				writeOAuthError(rec, http.StatusBadRequest, "invalid_request", err.Error())
				s.logRequest(r, "bad_form", rec.status, start)
				return
			}
		}
		var h http.HandlerFunc
		name, h = s.route(r)
		s.count(name)
		if !s.applyFault(rec, r) {
			h(rec, r)
		}
	}
	s.logRequest(r, name, rec.status, start)
}

// route names the endpoint a request is for (the Stats key) and picks its handler.
func (s *Server) route(r *http.Request) (string, http.HandlerFunc) {
	p := r.URL.Path
	switch {
	case p == pathDiscovery:
		return "discovery", s.handleDiscovery
	case p == pathJWKS:
		return "jwks", s.handleJWKS
	case p == pathDevice:
		return "device_authorization", s.handleDeviceAuthorization
	case p == pathApprove:
		return "approve_page", s.handleApprovePage
	case p == pathToken:
		switch r.Form.Get("grant_type") {
		case grantDeviceCode:
			return "token_device", s.handleToken
		case grantRefresh:
			return "token_refresh", s.handleToken
		}
		return "token", s.handleToken
	case p == pathRevoke:
		return "revoke", s.handleRevoke
	case p == pathUserinfo:
		return "userinfo", s.handleUserinfo
	case p == pathAuthorize:
		return "authorize", s.handleAuthorize
	case p == pathProjects || p == pathProjects+"/":
		return "projects", s.handleProjects
	case strings.HasPrefix(p, pathProjects+"/"):
		if acceptsJWT(r) {
			return "project_token", s.handleProject
		}
		return "project", s.handleProject
	}
	return "not_found", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusNotFound, errorBody{Error: "not_found", Description: "no such endpoint: " + r.URL.Path})
	}
}

func (s *Server) logRequest(r *http.Request, name string, status int, start time.Time) {
	s.log.LogAttrs(r.Context(), slog.LevelDebug, "request",
		slog.String("method", r.Method), slog.String("path", r.URL.Path),
		slog.String("endpoint", name), slog.Int("status", status),
		slog.Duration("took", time.Since(start)))
}

// baseURL is the portal's own URL as the client reached it.
func baseURL(r *http.Request) string {
	if r.TLS != nil {
		return "https://" + r.Host
	}
	return "http://" + r.Host
}

// statusRecorder remembers the status code for the request log.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (w *statusRecorder) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

// errorBody is the OAuth-style error every non-/_dev/ endpoint answers with.
type errorBody struct {
	Error       string `json:"error"`
	Description string `json:"error_description,omitempty"`
}

func writeOAuthError(w http.ResponseWriter, status int, code, desc string) {
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Basic realm="slices-devportal"`)
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, status, errorBody{Error: code, Description: desc})
}

// sleepCtx waits d or until ctx ends, whichever is first.
func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

var errUnknownUserCode = errors.New("unknown user code")
