package portal_test

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/slices-ri/slices-agent/devportal"
	"github.com/slices-ri/slices-agent/portal"
)

// otherOrigin is another origin that notes what reaches it.
type otherOrigin struct {
	mu   sync.Mutex
	reqs []string // method path | authorization | body
	srv  *httptest.Server
}

func newOtherOrigin(t *testing.T) *otherOrigin {
	r := &otherOrigin{}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.reqs = append(r.reqs, req.Method+" "+req.URL.Path+" | "+req.Header.Get("Authorization")+" | "+string(b))
		r.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"projects":[]}`)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *otherOrigin) seen() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.reqs...)
}

// hostileFront proxies to the emulator, except that it redirects the paths
// in redirect (path → absolute URL) with the given status.
func hostileFront(t *testing.T, emulator string, status int, redirect map[string]string) string {
	target, _ := url.Parse(emulator)
	proxy := httputil.NewSingleHostReverseProxy(target)
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if to, ok := redirect[r.URL.Path]; ok {
			http.Redirect(w, r, to, status)
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(front.Close)
	return front.URL
}

// A portal that redirects the token endpoint (307 keeps the method and the
// body) gets an error, and the refresh token never reaches the other origin.
func TestTokenEndpointRedirectIsNotFollowed(t *testing.T) {
	_, direct := newPortal(t, devportal.Options{AutoApprove: true})
	toks := login(t, direct)
	rec := newOtherOrigin(t)
	for _, status := range []int{http.StatusTemporaryRedirect, http.StatusPermanentRedirect, http.StatusFound} {
		front := hostileFront(t, direct.URL(), status, map[string]string{"/oauth/token": rec.srv.URL + "/oauth/token"})
		c := portal.New(front, "test-client")
		_, err := c.Refresh(ctx(t), toks.RefreshToken)
		if !errors.Is(err, portal.ErrBadResponse) || !strings.Contains(err.Error(), "redirect") {
			t.Errorf("refresh through a %d redirect: %v, want a bad-response error about the redirect", status, err)
		}
	}
	if got := rec.seen(); len(got) != 0 {
		t.Errorf("the other origin received %q", got)
	}
}

// On the projects API a redirect to another origin (here: the same host on
// another port, which net/http alone treats as the same) is followed without
// the Authorization header; a redirect within the portal keeps it.
func TestProjectsRedirectDropsAuthorizationAcrossOrigins(t *testing.T) {
	_, direct := newPortal(t, devportal.Options{AutoApprove: true})
	toks := login(t, direct)
	rec := newOtherOrigin(t)
	list := portal.ProjectsPath
	front := hostileFront(t, direct.URL(), http.StatusFound, map[string]string{list: rec.srv.URL + list})
	if _, err := portal.New(front, "test-client").Projects(ctx(t), toks.AccessToken); err != nil {
		t.Fatalf("projects through a redirect: %v", err)
	}
	got := rec.seen()
	if len(got) != 1 || strings.Contains(got[0], "Bearer") || strings.Contains(got[0], toks.AccessToken[len(toks.AccessToken)-10:]) {
		t.Errorf("the other origin received %q, want one request without the token", got)
	}

	// Within the portal: /…/projects/ → /…/projects-moved/ → back on the
	// emulator's own list, token kept.
	var inner *httptest.Server
	inner = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == list {
			http.Redirect(w, r, inner.URL+"/moved"+list, http.StatusFound)
			return
		}
		target, _ := url.Parse(direct.URL())
		r.URL.Path = strings.TrimPrefix(r.URL.Path, "/moved")
		httputil.NewSingleHostReverseProxy(target).ServeHTTP(w, r)
	}))
	t.Cleanup(inner.Close)
	ps, err := portal.New(inner.URL, "test-client").Projects(ctx(t), toks.AccessToken)
	if err != nil || len(ps) == 0 {
		t.Errorf("same-origin redirect: %d projects, %v; want the list (token kept)", len(ps), err)
	}
}
