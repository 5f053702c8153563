package portal

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// errRedirectRefused ends a request the portal answered with a redirect that
// must not be followed.
var errRedirectRefused = errors.New("redirect not followed")

// maxRedirects bounds the redirects followed on the portal's GET endpoints.
const maxRedirects = 5

// checkRedirect is the portal client's redirect policy. A POST (the token
// and device endpoints, which carry refresh tokens, device codes and client
// secrets) is never redirected: a portal that answers one with a redirect
// gets an error, not the request body sent elsewhere. A GET may follow a
// redirect, but never carries the Authorization header to another origin
// (scheme, host and port): net/http compares host names only, so without this
// a redirect to another port or from https to http would carry the token.
func checkRedirect(req *http.Request, via []*http.Request) error {
	first := via[0]
	if first.Method != http.MethodGet && first.Method != http.MethodHead {
		return fmt.Errorf("%s %s answered with a redirect to %s: %w", first.Method, first.URL.Redacted(), req.URL.Redacted(), errRedirectRefused)
	}
	if len(via) >= maxRedirects {
		return fmt.Errorf("stopped after %d redirects: %w", maxRedirects, errRedirectRefused)
	}
	if origin(req) != origin(first) {
		req.Header.Del("Authorization")
	}
	return nil
}

// origin is a request's scheme, host and port, lower-cased, with the default port spelt out.
func origin(r *http.Request) string {
	scheme, host, port := strings.ToLower(r.URL.Scheme), strings.ToLower(r.URL.Hostname()), r.URL.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[scheme]
	}
	return scheme + "://" + host + ":" + port
}

// withRedirectPolicy returns a copy of hc that follows checkRedirect.
func withRedirectPolicy(hc *http.Client) *http.Client {
	c := *hc
	c.CheckRedirect = checkRedirect
	return &c
}
