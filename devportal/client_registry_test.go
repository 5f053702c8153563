package devportal

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// deviceRequest posts to the device authorization endpoint with the client's
// credentials sent as basic (HTTP Basic), post (form) or none (client_id only).
func (h *harness) deviceRequest(id, secret, how, scope string) response {
	h.t.Helper()
	form := url.Values{"scope": {scope}}
	switch how {
	case "post":
		form.Set("client_id", id)
		form.Set("client_secret", secret)
	case "none":
		form.Set("client_id", id)
	}
	req, _ := http.NewRequest(http.MethodPost, h.ts.URL+pathDevice, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if how == "basic" {
		req.SetBasicAuth(url.QueryEscape(id), url.QueryEscape(secret))
	}
	return h.do(req)
}

func TestClientRegistryRefusesLikeARealPortal(t *testing.T) {
	h := newHarness(t, Options{Clients: []Client{{ID: "slices-agent", Secret: "s3cret"}, {ID: "public"}}})
	tests := []struct {
		name, id, secret, how string
		status                int
		code                  string
	}{
		{"confidential with basic", "slices-agent", "s3cret", "basic", 200, ""},
		{"confidential with post", "slices-agent", "s3cret", "post", 200, ""},
		{"confidential without its secret", "slices-agent", "", "none", 401, "invalid_client"},
		{"wrong secret", "slices-agent", "nope", "basic", 401, "invalid_client"},
		{"unknown client", "stranger", "", "none", 401, "invalid_client"},
		{"public client", "public", "", "none", 200, ""},
		{"public client sending a secret", "public", "x", "basic", 401, "invalid_client"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := h.deviceRequest(tt.id, tt.secret, tt.how, "openid userinfo projects")
			if r.status != tt.status {
				t.Fatalf("status %d, want %d: %s", r.status, tt.status, r.body)
			}
			if tt.code != "" && r.errCode(t) != tt.code {
				t.Errorf("error %q, want %q", r.errCode(t), tt.code)
			}
		})
	}
}

func TestCredentialsBothInHeaderAndFormAreRefused(t *testing.T) {
	h := newHarness(t, Options{Clients: []Client{{ID: "c", Secret: "s"}}})
	req, _ := http.NewRequest(http.MethodPost, h.ts.URL+pathDevice, strings.NewReader("client_id=c&client_secret=s&scope=openid"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth("c", "s")
	if r := h.do(req); r.status != http.StatusBadRequest || r.errCode(t) != "invalid_request" {
		t.Errorf("two methods at once: %d %s, want 400 invalid_request", r.status, r.body)
	}
}

func TestAuthMethodsShapeDiscoveryAndAreEnforced(t *testing.T) {
	h := newHarness(t, Options{Clients: []Client{{ID: "c", Secret: "s"}}, AuthMethods: []string{"client_secret_basic"}})
	d := h.get(pathDiscovery, "", "").json(t)
	if got := d["token_endpoint_auth_methods_supported"]; len(got.([]any)) != 1 || got.([]any)[0] != "client_secret_basic" {
		t.Errorf("discovery lists %v, want only client_secret_basic", got)
	}
	if r := h.deviceRequest("c", "s", "post", "openid"); r.status != http.StatusUnauthorized || r.errCode(t) != "invalid_client" {
		t.Errorf("client_secret_post where only basic is listed: %d %s, want 401 invalid_client", r.status, r.body)
	}
	if r := h.deviceRequest("c", "s", "basic", "openid"); r.status != http.StatusOK {
		t.Errorf("client_secret_basic: %d %s", r.status, r.body)
	}
}

func TestScopesSupportedShapeDiscoveryAndAreEnforced(t *testing.T) {
	h := newHarness(t, Options{AutoApprove: true, ScopesSupported: []string{"openid", "userinfo", "projects"}})
	d := h.get(pathDiscovery, "", "").json(t)
	for _, s := range d["scopes_supported"].([]any) {
		if s == "offline_access" {
			t.Errorf("discovery lists offline_access: %v", d["scopes_supported"])
		}
	}
	r := h.deviceRequest("test", "", "none", "openid userinfo projects offline_access")
	if r.status != http.StatusBadRequest || r.errCode(t) != "invalid_scope" {
		t.Errorf("offline_access where it is not supported: %d %s, want 400 invalid_scope", r.status, r.body)
	}
	if r := h.deviceRequest("test", "", "none", "openid userinfo projects"); r.status != http.StatusOK {
		t.Errorf("supported scopes: %d %s", r.status, r.body)
	}
}

func TestRefreshNeedsTheSameClientCredentials(t *testing.T) {
	h := newHarness(t, Options{AutoApprove: true, Clients: []Client{{ID: "c", Secret: "s"}}})
	r := h.deviceRequest("c", "s", "basic", "openid")
	var d deviceResponse
	mustJSON(t, r.body, &d)
	poll := func(secret string) response {
		req, _ := http.NewRequest(http.MethodPost, h.ts.URL+pathToken,
			strings.NewReader("grant_type="+url.QueryEscape(grantDeviceCode)+"&device_code="+d.DeviceCode))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth("c", secret)
		return h.do(req)
	}
	if r := poll("wrong"); r.status != http.StatusUnauthorized {
		t.Fatalf("poll with a wrong secret: %d %s", r.status, r.body)
	}
	r = poll("s")
	var tok tokenResponse
	mustJSON(t, r.body, &tok)
	if tok.RefreshToken == "" {
		t.Fatalf("no refresh token: %s", r.body)
	}
	if r := h.post(pathToken, "grant_type=refresh_token&client_id=c&refresh_token="+tok.RefreshToken); r.errCode(t) != "invalid_client" {
		t.Errorf("refresh without the secret: %d %s, want invalid_client", r.status, r.body)
	}
	if r := h.post(pathToken, "grant_type=refresh_token&client_id=c&client_secret=s&refresh_token="+tok.RefreshToken); r.status != http.StatusOK {
		t.Errorf("refresh with the secret in the form: %d %s", r.status, r.body)
	}
}

func TestRunTakesTheRegistryFlags(t *testing.T) {
	var out, errb bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	done := make(chan error, 1)
	pr, pw := io.Pipe()
	go func() {
		done <- Run(ctx, []string{"--client", "a:x", "--client", "b", "--scopes-supported", "openid projects",
			"--auth-methods", "none,client_secret_post"}, pw, &errb)
	}()
	u, err := ReadURL(pr, 5*time.Second)
	if err != nil {
		t.Fatalf("%v: %s", err, errb.String())
	}
	resp, err := http.Get(u + pathDiscovery)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out.ReadFrom(resp.Body)
	for _, want := range []string{`"scopes_supported":["openid","projects"]`, `"token_endpoint_auth_methods_supported":["none","client_secret_post"]`} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("discovery lacks %s: %s", want, out.String())
		}
	}
	cancel()
	<-done
	if strings.Contains(errb.String(), ":x") || !strings.Contains(errb.String(), "a (confidential), b (public)") {
		t.Errorf("start-up line should list the clients without secrets: %q", errb.String())
	}
}

func mustJSON(t *testing.T, b []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
}

func TestRunRefusesToBeASlicesCLIPlugin(t *testing.T) {
	err := Run(context.Background(), []string{"--cli-manifest"}, &bytes.Buffer{}, &bytes.Buffer{})
	if err == nil {
		t.Fatal("--cli-manifest succeeded: the Slices CLI would list the emulator as a plugin")
	}
}
