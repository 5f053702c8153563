package devportal

import (
	"crypto/subtle"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// DefaultClientID is the client the emulator registers when none is given:
// a public client, like the one slices-agent presents by default.
const DefaultClientID = "slices-agent"

// Client is one registered OAuth client. A client with a Secret is
// confidential and must authenticate (client_secret_basic or
// client_secret_post); one without is public (method none).
type Client struct {
	ID     string
	Secret string
}

// ParseClient reads ID[:SECRET], the form of slices-devportal's --client.
func ParseClient(s string) (Client, error) {
	id, secret, _ := strings.Cut(s, ":")
	if id == "" {
		return Client{}, fmt.Errorf("client %q: want ID or ID:SECRET", s)
	}
	return Client{ID: id, Secret: secret}, nil
}

// Token endpoint authentication methods.
const (
	authNone   = "none"
	authBasic  = "client_secret_basic"
	authPost   = "client_secret_post"
	scopeOffln = "offline_access"
)

// DefaultScopesSupported is what discovery lists unless Options says otherwise.
var DefaultScopesSupported = []string{"openid", "userinfo", "projects", scopeOffln, "profile", "email"}

// DefaultAuthMethods is discovery's token_endpoint_auth_methods_supported
// unless Options says otherwise.
var DefaultAuthMethods = []string{authNone, authBasic, authPost}

// checkOptions fills in the registry defaults and rejects what cannot work.
func checkOptions(o *Options) error {
	if len(o.Clients) == 0 {
		o.Clients = []Client{{ID: DefaultClientID}}
	}
	seen := map[string]bool{}
	for _, c := range o.Clients {
		if c.ID == "" {
			return fmt.Errorf("a client without an id")
		}
		if seen[c.ID] {
			return fmt.Errorf("client %q registered twice", c.ID)
		}
		seen[c.ID] = true
	}
	if len(o.ScopesSupported) == 0 {
		o.ScopesSupported = DefaultScopesSupported
	}
	if len(o.AuthMethods) == 0 {
		o.AuthMethods = DefaultAuthMethods
	}
	for _, m := range o.AuthMethods {
		if m != authNone && m != authBasic && m != authPost {
			return fmt.Errorf("auth method %q: the emulator knows %s, %s and %s", m, authNone, authBasic, authPost)
		}
	}
	return nil
}

// authError is a refused client authentication: the OAuth error to answer.
type authError struct {
	status int
	code   string
	desc   string
}

// authenticateClient finds the client of an OAuth request and checks its
// credentials like a real portal: the client must be registered, a
// confidential one must send its secret by a method discovery lists, a
// public one must send none, and only one method may be used (RFC 6749 §2.3).
func (s *Server) authenticateClient(r *http.Request) (string, *authError) {
	user, pass, basic := r.BasicAuth()
	if basic {
		// RFC 6749 §2.3.1: id and secret are form-encoded before Basic.
		if u, err := url.QueryUnescape(user); err == nil {
			user = u
		}
		if p, err := url.QueryUnescape(pass); err == nil {
			pass = p
		}
	}
	formID, formSecret := r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	var id, secret, method string
	switch {
	case basic && formSecret != "":
		return "", &authError{http.StatusBadRequest, "invalid_request", "client credentials both in HTTP Basic and in the form"}
	case basic:
		if formID != "" && formID != user {
			return "", &authError{http.StatusBadRequest, "invalid_request", "client_id in the form differs from HTTP Basic"}
		}
		id, secret, method = user, pass, authBasic
	case formSecret != "":
		id, secret, method = formID, formSecret, authPost
	default:
		id, method = formID, authNone
	}
	if id == "" {
		return "", &authError{http.StatusUnauthorized, "invalid_client", "no client_id (form or HTTP Basic)"}
	}
	c, ok := s.clients[id]
	switch {
	case !ok:
		return "", &authError{http.StatusUnauthorized, "invalid_client", "unknown client " + id}
	case !slices.Contains(s.opts.AuthMethods, method):
		return "", &authError{http.StatusUnauthorized, "invalid_client", "authentication method " + method + " is not supported here"}
	case c.Secret == "" && method != authNone:
		return "", &authError{http.StatusUnauthorized, "invalid_client", "client " + id + " is public: it has no secret to send"}
	case c.Secret != "" && method == authNone:
		return "", &authError{http.StatusUnauthorized, "invalid_client", "client " + id + " is confidential: it must authenticate"}
	case c.Secret != "" && subtle.ConstantTimeCompare([]byte(c.Secret), []byte(secret)) != 1:
		return "", &authError{http.StatusUnauthorized, "invalid_client", "wrong secret for client " + id}
	}
	return id, nil
}

// writeAuthError answers a refused client authentication.
func writeAuthError(w http.ResponseWriter, e *authError) {
	writeOAuthError(w, e.status, e.code, e.desc)
}

// checkScope answers invalid_scope unless every scope asked for is supported.
func (s *Server) checkScope(scope string) (string, bool) {
	for _, sc := range strings.Fields(scope) {
		if !slices.Contains(s.opts.ScopesSupported, sc) {
			return "scope " + sc + " is not supported (supported: " + strings.Join(s.opts.ScopesSupported, " ") + ")", false
		}
	}
	return "", true
}

// clientList describes the registry for the start-up line, without secrets.
func (s *Server) clientList() string {
	var parts []string
	for _, c := range s.opts.Clients {
		kind := "public"
		if c.Secret != "" {
			kind = "confidential"
		}
		parts = append(parts, c.ID+" ("+kind+")")
	}
	return strings.Join(parts, ", ")
}
