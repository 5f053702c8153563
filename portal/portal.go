// Package portal is the client of the Slices portal and its OIDC issuer: OIDC
// discovery, the device-code login (RFC 8628), refresh with rotated refresh
// tokens, the projects list and project tokens.
//
// Every call takes a context and returns a typed error the agent can act on:
// errors.Is(err, ErrLoginRequired) means the user must log in again,
// errors.Is(err, ErrUnavailable) means the portal could not be reached or
// failed (retry later), errors.Is(err, ErrBadResponse) means it answered
// something we cannot use.
package portal

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/slices-ri/slices-agent/token"
)

// DefaultURL is the production Slices portal.
const DefaultURL = "https://portal.slices-ri.eu"

// DefaultClientID is the OAuth2 client id the agent presents.
const DefaultClientID = "slices-agent"

// DefaultScope is the scope asked for at login, the scope of the portal's user
// tokens; offline_access is added when discovery lists it (see Client.Scope).
const DefaultScope = "openid userinfo projects"

// ProjectsPath is the portal's project API, relative to its URL.
const ProjectsPath = "/apis/proj.slices-ri.eu/v1alpha1/projects/"

// maxBody bounds what we read from the portal: tokens and lists, never megabytes.
const maxBody = 4 << 20

// Sentinel errors; the concrete error wraps one of them and says more.
var (
	ErrLoginRequired = errors.New("login required")
	ErrUnavailable   = errors.New("portal unavailable")
	ErrBadResponse   = errors.New("bad response from portal")
	ErrNotFound      = errors.New("not found on portal")
	// ErrRefused is the portal refusing this client's configuration: its id,
	// secret, grant or scope (invalid_client, unauthorized_client,
	// invalid_scope, unsupported_grant_type). A new login does not help; the
	// configuration, or the portal's registration of the client, must change.
	ErrRefused = errors.New("the portal refused the client")
)

// Error is a failed portal call: which operation, what kind, and the cause.
type Error struct {
	Op     string // e.g. "refresh", "project token"
	Kind   error  // one of the sentinel errors
	Status int    // HTTP status when there was one
	Err    error  // underlying cause, may be nil
	// Code is the OAuth error code the portal answered, e.g. "invalid_client".
	Code string
	// Message, when set, replaces the generic text after Op: it says what
	// the portal refused, naming the client id.
	Message string
	// Hint says what to do about it, e.g. what to ask the portal's operators for.
	Hint string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Op)
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
		return b.String()
	}
	b.WriteString(": ")
	b.WriteString(e.Kind.Error())
	if e.Status != 0 {
		fmt.Fprintf(&b, " (http %d)", e.Status)
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Is reports the error's kind, so errors.Is(err, ErrUnavailable) works.
func (e *Error) Is(target error) bool { return target == e.Kind }

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Discovery is the part of the issuer's OpenID configuration the agent uses.
type Discovery struct {
	Issuer                      string `json:"issuer"`
	DeviceAuthorizationEndpoint string `json:"device_authorization_endpoint"`
	TokenEndpoint               string `json:"token_endpoint"`
	JWKSURI                     string `json:"jwks_uri"`
	UserinfoEndpoint            string `json:"userinfo_endpoint,omitempty"`
	// ScopesSupported decides whether offline_access is asked for.
	ScopesSupported []string `json:"scopes_supported,omitempty"`
	// TokenEndpointAuthMethodsSupported decides how a client with a secret
	// authenticates; OpenID Discovery's default is client_secret_basic.
	TokenEndpointAuthMethodsSupported []string `json:"token_endpoint_auth_methods_supported,omitempty"`
	// GrantTypesSupported is shown in errors about refused grants.
	GrantTypesSupported []string `json:"grant_types_supported,omitempty"`
}

// Tokens is what a login or a refresh hands back. RefreshToken is the rotated
// refresh token when the portal rotated it: the caller must store it before
// using it, because the old one is now spent.
type Tokens struct {
	AccessToken  string
	RefreshToken string
	Expiry       time.Time
	Scope        string
	// SessionEnd is when the login itself ends (refresh_expires_in, where the
	// issuer says); zero when it does not say.
	SessionEnd time.Time
}

// Project is one entry of the portal's projects list.
type Project struct {
	ID          string     `json:"id"`
	Name        string     `json:"name"`
	Description string     `json:"description"`
	Role        string     `json:"role"`
	CreatedAt   *time.Time `json:"created_at"`
	ExpiresAt   *time.Time `json:"expires_at"`
}

// Client talks to one portal. It is safe for concurrent use.
type Client struct {
	base     string
	clientID string
	secret   string   // "" for a public client
	scope    []string // nil: DefaultScope, plus offline_access when listed
	http     *http.Client

	mu   sync.Mutex
	disc *Discovery
}

// Option configures a Client.
type Option func(*Client)

// WithHTTPClient sets the HTTP client (for tests, proxies, custom timeouts).
func WithHTTPClient(h *http.Client) Option { return func(c *Client) { c.http = h } }

// WithClientSecret makes the client confidential: it authenticates with
// secret, by the method discovery's token_endpoint_auth_methods_supported
// allows (client_secret_basic, else client_secret_post).
func WithClientSecret(secret string) Option { return func(c *Client) { c.secret = secret } }

// WithScope sets the scope asked for at login (space-separated), instead of
// DefaultScope plus offline_access where the portal lists it. Empty keeps the default.
func WithScope(scope string) Option {
	return func(c *Client) { c.scope = strings.Fields(scope) }
}

// New returns a client of the portal at baseURL (e.g. DefaultURL).
func New(baseURL, clientID string, opts ...Option) *Client {
	if clientID == "" {
		clientID = DefaultClientID
	}
	c := &Client{
		base:     strings.TrimRight(baseURL, "/"),
		clientID: clientID,
		http: &http.Client{
			Timeout: 20 * time.Second,
			Transport: &http.Transport{
				Proxy:                 http.ProxyFromEnvironment,
				DialContext:           (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
				TLSHandshakeTimeout:   5 * time.Second,
				ResponseHeaderTimeout: 15 * time.Second,
				MaxIdleConnsPerHost:   4,
				IdleConnTimeout:       90 * time.Second,
			},
		},
	}
	for _, o := range opts {
		o(c)
	}
	c.http = withRedirectPolicy(c.http)
	return c
}

// URL is the portal's base URL.
func (c *Client) URL() string { return c.base }

// ClientID is the OAuth2 client id this client presents.
func (c *Client) ClientID() string { return c.clientID }

// Confidential reports whether the client has a secret.
func (c *Client) Confidential() bool { return c.secret != "" }

// Discover fetches the issuer's OpenID configuration from the portal. A
// successful answer is cached; Forget drops it (e.g. after a key rotation).
func (c *Client) Discover(ctx context.Context) (*Discovery, error) {
	c.mu.Lock()
	d := c.disc
	c.mu.Unlock()
	if d != nil {
		return d, nil
	}
	var nd Discovery
	if err := c.getJSON(ctx, "discovery", c.base+"/.well-known/openid-configuration", "", &nd); err != nil {
		return nil, err
	}
	if nd.Issuer == "" || nd.TokenEndpoint == "" || nd.JWKSURI == "" {
		return nil, &Error{Op: "discovery", Kind: ErrBadResponse, Err: errors.New("issuer, token_endpoint or jwks_uri missing")}
	}
	c.mu.Lock()
	c.disc = &nd
	c.mu.Unlock()
	return &nd, nil
}

// Forget drops the cached discovery document.
func (c *Client) Forget() {
	c.mu.Lock()
	c.disc = nil
	c.mu.Unlock()
}

// JWKS fetches the portal's key set as raw JSON.
func (c *Client) JWKS(ctx context.Context) ([]byte, error) {
	d, err := c.Discover(ctx)
	if err != nil {
		return nil, err
	}
	b, _, err := c.get(ctx, "jwks", d.JWKSURI, "", "application/json")
	return b, err
}

// Keys is what the portal says verifies its tokens: discovery's issuer and
// the key set published at its jwks_uri.
type Keys struct {
	Issuer string
	URI    string // discovery's jwks_uri
	Set    *token.KeySet
}

// Keys fetches discovery (unless cached; see Forget), then the JWKS it names,
// and parses it: the one way the agent and the CLI learn the portal's keys.
func (c *Client) Keys(ctx context.Context) (*Keys, error) {
	d, err := c.Discover(ctx)
	if err != nil {
		return nil, err
	}
	b, _, err := c.get(ctx, "jwks", d.JWKSURI, "", "application/json")
	if err != nil {
		return nil, err
	}
	ks, err := token.ParseKeySet(b)
	if err != nil {
		return nil, &Error{Op: "jwks", Kind: ErrBadResponse, Err: err}
	}
	return &Keys{Issuer: d.Issuer, URI: d.JWKSURI, Set: ks}, nil
}

// Projects lists the user's projects.
func (c *Client) Projects(ctx context.Context, accessToken string) ([]Project, error) {
	var out struct {
		Projects []Project `json:"projects"`
	}
	if err := c.getJSON(ctx, "projects", c.base+ProjectsPath, accessToken, &out); err != nil {
		return nil, err
	}
	return out.Projects, nil
}

// ProjectToken fetches the JWT of project id with the user's access token.
// The token is returned as received; the caller verifies it.
func (c *Client) ProjectToken(ctx context.Context, accessToken, id string) (string, error) {
	if id == "" || strings.ContainsAny(id, "/?#") {
		return "", &Error{Op: "project token", Kind: ErrNotFound, Err: fmt.Errorf("invalid project id %q", id)}
	}
	b, ct, err := c.get(ctx, "project token", c.base+ProjectsPath+url.PathEscape(id), accessToken, "application/jwt")
	if err != nil {
		return "", err
	}
	tok := strings.TrimSpace(string(b))
	if !strings.HasPrefix(ct, "application/jwt") && strings.HasPrefix(tok, "{") {
		return "", &Error{Op: "project token", Kind: ErrBadResponse, Err: fmt.Errorf("got %s instead of application/jwt", ct)}
	}
	return tok, nil
}

func (c *Client) getJSON(ctx context.Context, op, u, bearer string, v any) error {
	b, _, err := c.get(ctx, op, u, bearer, "application/json")
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return &Error{Op: op, Kind: ErrBadResponse, Err: fmt.Errorf("decoding json: %w", err)}
	}
	return nil
}

// get performs one GET and classifies its failure.
func (c *Client) get(ctx context.Context, op, u, bearer, accept string) ([]byte, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, "", &Error{Op: op, Kind: ErrBadResponse, Err: err}
	}
	req.Header.Set("Accept", accept)
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		kind := ErrUnavailable
		if errors.Is(err, errRedirectRefused) {
			kind = ErrBadResponse
		}
		return nil, "", &Error{Op: op, Kind: kind, Err: transportError(err)}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return nil, "", &Error{Op: op, Kind: ErrUnavailable, Status: resp.StatusCode, Err: fmt.Errorf("reading body: %w", transportError(err))}
	}
	if len(b) > maxBody {
		return nil, "", &Error{Op: op, Kind: ErrBadResponse, Status: resp.StatusCode, Err: errors.New("body too large")}
	}
	if err := statusError(op, resp.StatusCode, b); err != nil {
		return nil, "", err
	}
	return b, resp.Header.Get("Content-Type"), nil
}

// statusError maps a non-2xx answer to a typed error.
func statusError(op string, status int, body []byte) error {
	switch {
	case status >= 200 && status < 300:
		return nil
	case status == http.StatusUnauthorized:
		return &Error{Op: op, Kind: ErrLoginRequired, Status: status, Err: bodyMessage(body)}
	case status == http.StatusNotFound:
		return &Error{Op: op, Kind: ErrNotFound, Status: status, Err: bodyMessage(body)}
	case status == http.StatusTooManyRequests || status >= 500:
		return &Error{Op: op, Kind: ErrUnavailable, Status: status, Err: bodyMessage(body)}
	default:
		return &Error{Op: op, Kind: ErrBadResponse, Status: status, Err: bodyMessage(body)}
	}
}

// bodyMessage extracts a short, printable reason from an error body.
func bodyMessage(body []byte) error {
	var e struct {
		Error       any    `json:"error"`
		Description string `json:"error_description"`
		Message     string `json:"message"`
	}
	if json.Unmarshal(body, &e) == nil {
		switch v := e.Error.(type) {
		case string:
			if e.Description != "" {
				return fmt.Errorf("%s: %s", v, e.Description)
			}
			return errors.New(v)
		case map[string]any:
			if m, ok := v["message"].(string); ok {
				return errors.New(m)
			}
		}
		if e.Message != "" {
			return errors.New(e.Message)
		}
	}
	s := strings.TrimSpace(string(body))
	if len(s) > 120 {
		s = s[:120] + "…"
	}
	if s == "" {
		return nil
	}
	return errors.New(strings.ToValidUTF8(s, "?"))
}

// transportError shortens the errors of net/http into something a person reads.
func transportError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return errors.New("timed out")
	}
	return err
}
