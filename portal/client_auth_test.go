package portal_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slices-ri/slices-agent/devportal"
	"github.com/slices-ri/slices-agent/portal"
)

// seen is what one request to an OAuth endpoint carried.
type seen struct {
	path, basicUser, basicPass string
	form                       url.Values
}

// recorder wraps the emulator and remembers how every OAuth request authenticated.
type recorder struct {
	h  http.Handler
	mu sync.Mutex
	rs []seen
}

func (rec *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPost && strings.HasPrefix(r.URL.Path, "/oauth/") {
		s := seen{path: r.URL.Path}
		s.basicUser, s.basicPass, _ = r.BasicAuth()
		_ = r.ParseForm()
		s.form = r.PostForm
		// hand the body on again, as it was
		r.Body = http.NoBody
		body := r.PostForm.Encode()
		r2 := r.Clone(r.Context())
		r2.Body = readCloser(body)
		r2.ContentLength = int64(len(body))
		r2.PostForm, r2.Form = nil, nil
		rec.mu.Lock()
		rec.rs = append(rec.rs, s)
		rec.mu.Unlock()
		rec.h.ServeHTTP(w, r2)
		return
	}
	rec.h.ServeHTTP(w, r)
}

func (rec *recorder) requests() []seen {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return slices.Clone(rec.rs)
}

func readCloser(s string) *stringBody { return &stringBody{strings.NewReader(s)} }

type stringBody struct{ *strings.Reader }

func (stringBody) Close() error { return nil }

func strictPortal(t *testing.T, o devportal.Options, clientID string, opts ...portal.Option) (*recorder, *portal.Client) {
	t.Helper()
	srv, err := devportal.New(o)
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{h: srv}
	ts := httptest.NewServer(rec)
	t.Cleanup(ts.Close)
	opts = append(opts, portal.WithHTTPClient(&http.Client{Timeout: 3 * time.Second}))
	return rec, portal.New(ts.URL, clientID, opts...)
}

func TestConfidentialClientAuthenticatesTheDeviceRequestWithBasic(t *testing.T) {
	rec, c := strictPortal(t, devportal.Options{AutoApprove: true, Clients: []devportal.Client{{ID: "agent", Secret: "s3:cr&t"}}},
		"agent", portal.WithClientSecret("s3:cr&t"))
	toks := login(t, c)
	if _, err := c.Refresh(ctx(t), toks.RefreshToken); err != nil {
		t.Fatalf("refresh: %v", err)
	}
	rs := rec.requests()
	if len(rs) < 3 {
		t.Fatalf("saw %d OAuth requests, want device, token, refresh", len(rs))
	}
	for _, r := range rs {
		if r.basicUser != "agent" || r.basicPass != url.QueryEscape("s3:cr&t") {
			t.Errorf("%s: HTTP Basic %q:%q, want the client's id and form-encoded secret", r.path, r.basicUser, r.basicPass)
		}
		if r.form.Has("client_secret") {
			t.Errorf("%s: client_secret also sent in the form", r.path)
		}
	}
	if rs[0].path != "/oauth/device" {
		t.Errorf("first request went to %s, want the device authorization endpoint", rs[0].path)
	}
}

func TestClientSecretPostWhenThePortalListsOnlyThat(t *testing.T) {
	rec, c := strictPortal(t, devportal.Options{AutoApprove: true, Clients: []devportal.Client{{ID: "agent", Secret: "pw"}},
		AuthMethods: []string{"client_secret_post"}}, "agent", portal.WithClientSecret("pw"))
	login(t, c)
	for _, r := range rec.requests() {
		if r.basicUser != "" || r.form.Get("client_id") != "agent" || r.form.Get("client_secret") != "pw" {
			t.Errorf("%s: basic %q, form client_id %q secret %t; want both in the form only",
				r.path, r.basicUser, r.form.Get("client_id"), r.form.Has("client_secret"))
		}
	}
}

func TestNoUsableAuthMethodIsRefusedBeforeAnyRequest(t *testing.T) {
	rec, c := strictPortal(t, devportal.Options{Clients: []devportal.Client{{ID: "agent"}}, AuthMethods: []string{"none"}},
		"agent", portal.WithClientSecret("pw"))
	_, err := c.StartDeviceLogin(ctx(t))
	if !errors.Is(err, portal.ErrRefused) || !strings.Contains(err.Error(), `"agent"`) {
		t.Fatalf("err = %v, want ErrRefused naming the client", err)
	}
	if n := len(rec.requests()); n != 0 {
		t.Errorf("%d OAuth requests sent with no way to send the secret", n)
	}
}

func TestPublicClientWhereTheRegistryWantsASecret(t *testing.T) {
	_, c := strictPortal(t, devportal.Options{Clients: []devportal.Client{{ID: "slices-agent", Secret: "s3cret"}}}, "")
	_, err := c.StartDeviceLogin(ctx(t))
	var pe *portal.Error
	if !errors.As(err, &pe) || !errors.Is(err, portal.ErrRefused) || pe.Code != "invalid_client" {
		t.Fatalf("err = %#v, want ErrRefused with code invalid_client", err)
	}
	if !strings.Contains(err.Error(), `client "slices-agent"`) || !strings.Contains(pe.Hint, "--client-secret-file") {
		t.Errorf("message %q / hint %q: want the client id named and --client-secret-file suggested", err, pe.Hint)
	}
}

func TestScopeFollowsDiscovery(t *testing.T) {
	for _, tt := range []struct {
		name      string
		supported []string
		override  string
		want      string
	}{
		{"offline_access listed", nil, "", "openid userinfo projects offline_access"},
		{"offline_access not listed", []string{"openid", "userinfo", "projects"}, "", "openid userinfo projects"},
		{"override", nil, "openid projects", "openid projects"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rec, c := strictPortal(t, devportal.Options{AutoApprove: true, ScopesSupported: tt.supported}, "", portal.WithScope(tt.override))
			login(t, c)
			if got := rec.requests()[0].form.Get("scope"); got != tt.want {
				t.Errorf("device request scope %q, want %q", got, tt.want)
			}
		})
	}
}

func TestScopeOutsideScopesSupportedIsExplained(t *testing.T) {
	_, c := strictPortal(t, devportal.Options{ScopesSupported: []string{"openid", "userinfo", "projects"}}, "", portal.WithScope("openid offline_access"))
	_, err := c.StartDeviceLogin(ctx(t))
	var pe *portal.Error
	if !errors.As(err, &pe) || pe.Code != "invalid_scope" || !errors.Is(err, portal.ErrRefused) {
		t.Fatalf("err = %v, want ErrRefused invalid_scope", err)
	}
	if !strings.Contains(err.Error(), `"slices-agent"`) || !strings.Contains(pe.Hint, "--scope") {
		t.Errorf("message %q hint %q", err, pe.Hint)
	}
}

// refusingPortal answers discovery and then every OAuth request with one error code.
func refusingPortal(t *testing.T, code string, status int) *portal.Client {
	t.Helper()
	var ts *httptest.Server
	ts = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path == "/.well-known/openid-configuration" {
			_ = json.NewEncoder(w).Encode(map[string]any{"issuer": "https://iss", "jwks_uri": ts.URL + "/jwks",
				"token_endpoint": ts.URL + "/token", "device_authorization_endpoint": ts.URL + "/device"})
			return
		}
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": "said the portal"})
	}))
	t.Cleanup(ts.Close)
	return portal.New(ts.URL, "my-client")
}

func TestEachRefusalHasItsOwnMessageNamingTheClient(t *testing.T) {
	hints := map[string]string{}
	for _, tt := range []struct {
		code   string
		status int
		words  string
	}{
		{"invalid_client", 401, "does not accept client"},
		{"unauthorized_client", 400, "may not use the device grant"},
		{"invalid_scope", 400, "refuses the scope"},
		{"unsupported_grant_type", 400, "does not support the grant"},
	} {
		t.Run(tt.code, func(t *testing.T) {
			_, err := refusingPortal(t, tt.code, tt.status).StartDeviceLogin(ctx(t))
			var pe *portal.Error
			if !errors.As(err, &pe) || !errors.Is(err, portal.ErrRefused) {
				t.Fatalf("err = %v, want ErrRefused", err)
			}
			msg := err.Error()
			if !strings.Contains(msg, `"my-client"`) || !strings.Contains(msg, tt.words) || !strings.Contains(msg, tt.code) {
				t.Errorf("message %q: want the client id, %q and the code", msg, tt.words)
			}
			if pe.Hint == "" || !strings.Contains(pe.Hint, "docs/PORTAL.md") {
				t.Errorf("hint %q: want what to do, pointing at docs/PORTAL.md", pe.Hint)
			}
			hints[tt.code] = pe.Hint
		})
	}
	if len(hints) == 4 && (hints["invalid_client"] == hints["invalid_scope"] || hints["unauthorized_client"] == hints["invalid_client"]) {
		t.Errorf("the hints are not specific: %q", hints)
	}
}

func TestRefreshRefusalIsNotLoginRequired(t *testing.T) {
	_, err := refusingPortal(t, "invalid_client", 401).Refresh(ctx(t), "rt")
	if errors.Is(err, portal.ErrLoginRequired) || !errors.Is(err, portal.ErrRefused) {
		t.Errorf("err = %v: a refused client is a configuration problem, not a lost login", err)
	}
	_, err = refusingPortal(t, "invalid_grant", 400).Refresh(ctx(t), "rt")
	if !errors.Is(err, portal.ErrLoginRequired) {
		t.Errorf("invalid_grant: err = %v, want ErrLoginRequired", err)
	}
}
