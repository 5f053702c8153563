package devportal

import (
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestDiscovery(t *testing.T) {
	h := newHarness(t, Options{})
	r := h.get(pathDiscovery, "", "")
	if r.status != http.StatusOK {
		t.Fatalf("status %d", r.status)
	}
	d := r.json(t)
	want := map[string]string{
		"issuer":                        DefaultIssuer,
		"device_authorization_endpoint": h.ts.URL + "/oauth/device",
		"token_endpoint":                h.ts.URL + "/oauth/token",
		"jwks_uri":                      h.ts.URL + "/.well-known/jwks.json",
		"userinfo_endpoint":             h.ts.URL + "/oauth/userinfo",
		"authorization_endpoint":        h.ts.URL + "/oauth/authorize",
	}
	for k, v := range want {
		if d[k] != v {
			t.Errorf("%s = %v, want %s", k, d[k], v)
		}
	}
	lists := map[string][]string{
		"scopes_supported":                      {"openid", "userinfo", "projects", "offline_access"},
		"token_endpoint_auth_methods_supported": {"none", "client_secret_basic", "client_secret_post"},
		"id_token_signing_alg_values_supported": {"ES256"},
		"grant_types_supported":                 {grantDeviceCode, grantRefresh},
		"response_types_supported":              {"code"},
	}
	for k, items := range lists {
		got, _ := json.Marshal(d[k])
		for _, it := range items {
			if !strings.Contains(string(got), `"`+it+`"`) {
				t.Errorf("%s = %s, lacks %q", k, got, it)
			}
		}
	}
	h2 := newHarness(t, Options{Issuer: "https://issuer.example"})
	if iss := h2.get(pathDiscovery, "", "").json(t)["issuer"]; iss != "https://issuer.example" {
		t.Errorf("custom issuer = %v", iss)
	}
}

func TestJWKSShape(t *testing.T) {
	h := newHarness(t, Options{})
	var set struct{ Keys []jwk }
	if err := json.Unmarshal(h.get(pathJWKS, "", "").body, &set); err != nil {
		t.Fatal(err)
	}
	if len(set.Keys) != 1 {
		t.Fatalf("%d keys, want 1", len(set.Keys))
	}
	k := set.Keys[0]
	if k.Kty != "EC" || k.Crv != "P-256" || k.Kid != "ec1" || k.Use != "sig" || k.Alg != "ES256" {
		t.Errorf("key = %+v", k)
	}
	if len(k.X) != 43 || len(k.Y) != 43 { // 32 bytes base64url without padding
		t.Errorf("coordinate lengths %d, %d, want 43", len(k.X), len(k.Y))
	}
}

func TestDeviceFlowApprovedThroughPage(t *testing.T) {
	clk := newClock()
	h := newHarness(t, Options{Now: clk.Now})
	d := h.startDevice()
	if !regexp.MustCompile(`^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$`).MatchString(d.UserCode) {
		t.Errorf("user code %q is not ABCD-EFGH shaped", d.UserCode)
	}
	if d.VerificationURI != h.ts.URL+"/oauth/authorize_device" ||
		d.VerificationURIComplete != d.VerificationURI+"?user_code="+d.UserCode ||
		d.ExpiresIn != 600 || d.Interval != 1 {
		t.Errorf("device answer = %+v", d)
	}
	if strings.ContainsAny(d.DeviceCode, "+%&=") {
		t.Errorf("device code %q has characters that need URL encoding", d.DeviceCode)
	}
	if got := h.pollDevice(d.DeviceCode).errCode(t); got != "authorization_pending" {
		t.Fatalf("first poll = %q, want authorization_pending", got)
	}

	page := h.get(pathApprove+"?user_code="+strings.ToLower(d.UserCode), "", "")
	if page.status != http.StatusOK || !strings.Contains(string(page.body), `value="`+d.UserCode+`"`) ||
		!strings.Contains(string(page.body), "Approve") || !strings.Contains(string(page.body), "Deny") {
		t.Fatalf("approval page %d lacks the form: %s", page.status, page.body)
	}
	bad := h.post(pathApprove, "user_code=ZZZZ-ZZZZ&action=approve")
	if bad.status != http.StatusBadRequest {
		t.Errorf("approving an unknown code answered %d", bad.status)
	}
	ok := h.post(pathApprove, "user_code="+d.UserCode+"&action=approve")
	if ok.status != http.StatusOK || !strings.Contains(string(ok.body), "approved") {
		t.Fatalf("approve POST: %d %s", ok.status, ok.body)
	}

	clk.Advance(time.Second)
	r := h.pollDevice(d.DeviceCode)
	if r.status != http.StatusOK {
		t.Fatalf("poll after approval: %d %s", r.status, r.body)
	}
	var tr tokenResponse
	_ = json.Unmarshal(r.body, &tr)
	if tr.TokenType != "Bearer" || tr.ExpiresIn != 3600 || tr.RefreshToken == "" || tr.Scope != userScope || tr.IDToken == "" {
		t.Errorf("token answer = %+v", tr)
	}
	if got := h.pollDevice(d.DeviceCode).errCode(t); got != "invalid_grant" {
		t.Errorf("a used device code answered %q, want invalid_grant", got)
	}
}

func TestDeviceFlowApprovedFromGo(t *testing.T) {
	clk := newClock()
	h := newHarness(t, Options{Now: clk.Now})
	d := h.startDevice()
	if err := h.srv.Approve(strings.ReplaceAll(strings.ToLower(d.UserCode), "-", "")); err != nil {
		t.Fatalf("Approve: %v", err)
	}
	if err := h.srv.Approve(d.UserCode); err == nil {
		t.Error("approving twice succeeded")
	}
	if r := h.pollDevice(d.DeviceCode); r.status != http.StatusOK {
		t.Fatalf("poll: %d %s", r.status, r.body)
	}
	if err := h.srv.Approve("BCDF-GHJK"); err == nil {
		t.Error("approving an unknown code succeeded")
	}
}

func TestDeviceFlowErrors(t *testing.T) {
	tests := []struct {
		name  string
		setup func(h *harness, clk *fakeClock, d deviceResponse)
		want  string
	}{
		{"slow_down", func(h *harness, clk *fakeClock, d deviceResponse) {
			h.pollDevice(d.DeviceCode)
			clk.Advance(400 * time.Millisecond) // under half the 1s interval
		}, "slow_down"},
		{"lenient at half the interval", func(h *harness, clk *fakeClock, d deviceResponse) {
			h.pollDevice(d.DeviceCode)
			clk.Advance(500 * time.Millisecond)
		}, "authorization_pending"},
		{"expired_token", func(h *harness, clk *fakeClock, d deviceResponse) {
			clk.Advance(10 * time.Minute)
		}, "expired_token"},
		{"access_denied via Deny", func(h *harness, clk *fakeClock, d deviceResponse) {
			if err := h.srv.Deny(d.UserCode); err != nil {
				t.Fatal(err)
			}
		}, "access_denied"},
		{"access_denied via page", func(h *harness, clk *fakeClock, d deviceResponse) {
			if r := h.post(pathApprove, "user_code="+d.UserCode+"&action=deny"); r.status != http.StatusOK {
				t.Fatalf("deny POST: %d", r.status)
			}
		}, "access_denied"},
		{"another client", func(h *harness, clk *fakeClock, d deviceResponse) {
			r := h.post(pathToken, "grant_type="+url.QueryEscape(grantDeviceCode)+"&client_id=other&device_code="+d.DeviceCode)
			if got := r.errCode(t); got != "invalid_grant" {
				t.Errorf("other client got %q", got)
			}
		}, "authorization_pending"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := newClock()
			h := newHarness(t, Options{Now: clk.Now})
			d := h.startDevice()
			tt.setup(h, clk, d)
			r := h.pollDevice(d.DeviceCode)
			if got := r.errCode(t); got != tt.want || r.status != http.StatusBadRequest {
				t.Errorf("poll = %d %q, want 400 %q", r.status, got, tt.want)
			}
		})
	}
}

func TestAutoApproveFirstPoll(t *testing.T) {
	h := newHarness(t, Options{AutoApprove: true, UserTTL: 90 * time.Second})
	d := h.startDevice()
	r := h.pollDevice(d.DeviceCode)
	if r.status != http.StatusOK {
		t.Fatalf("first poll: %d %s", r.status, r.body)
	}
	if got := r.json(t)["expires_in"]; got != 90.0 {
		t.Errorf("expires_in = %v, want 90", got)
	}
}

func TestRefreshRotationAndReuse(t *testing.T) {
	h := newHarness(t, Options{AutoApprove: true})
	first := h.login()
	r := h.refresh(first.RefreshToken)
	if r.status != http.StatusOK {
		t.Fatalf("refresh: %d %s", r.status, r.body)
	}
	var second tokenResponse
	_ = json.Unmarshal(r.body, &second)
	if second.RefreshToken == "" || second.RefreshToken == first.RefreshToken || second.AccessToken == "" {
		t.Fatalf("refresh did not rotate: %+v", second)
	}
	if second.IDToken != "" {
		t.Error("refresh answered an id_token")
	}
	// Reusing the rotated token is refused and revokes the newer one too.
	if r := h.refresh(first.RefreshToken); r.status != http.StatusBadRequest || r.errCode(t) != "invalid_grant" {
		t.Fatalf("reuse: %d %s", r.status, r.body)
	}
	if got := h.refresh(second.RefreshToken).errCode(t); got != "invalid_grant" {
		t.Errorf("newer token of a revoked family answered %q", got)
	}
	st := h.srv.Stats()
	if st.Refreshes != 1 || st.RefreshReuse != 1 || st.Requests["token_refresh"] != 3 {
		t.Errorf("stats = %+v", st)
	}
	// Another login is unaffected.
	if r := h.refresh(h.login().RefreshToken); r.status != http.StatusOK {
		t.Errorf("fresh login cannot refresh: %d", r.status)
	}
}

func TestRevokeRefreshTokens(t *testing.T) {
	h := newHarness(t, Options{AutoApprove: true})
	tr := h.login()
	h.srv.RevokeRefreshTokens()
	if got := h.refresh(tr.RefreshToken).errCode(t); got != "invalid_grant" {
		t.Errorf("revoked refresh answered %q", got)
	}
	if r := h.get(pathProjects+"/", tr.AccessToken, ""); r.status != http.StatusOK {
		t.Errorf("access token stopped working after refresh revocation: %d", r.status)
	}
	if r := h.refresh(h.login().RefreshToken); r.status != http.StatusOK {
		t.Errorf("a login after the revocation cannot refresh: %d", r.status)
	}
	if got := h.refresh("no-such-token").errCode(t); got != "invalid_grant" {
		t.Errorf("unknown refresh token answered %q", got)
	}
}

func TestRevocationEndpoint(t *testing.T) {
	h := newHarness(t, Options{AutoApprove: true})
	a, b := h.login(), h.login()
	if r := h.post(pathRevoke, "client_id=test&token="+b.AccessToken); r.status != http.StatusOK {
		t.Fatalf("revoke access token: %d", r.status)
	}
	if r := h.get(pathProjects, b.AccessToken, ""); r.status != http.StatusUnauthorized {
		t.Errorf("revoked access token answered %d", r.status)
	}
	h.post(pathRevoke, "client_id=test&token="+a.RefreshToken) // a logout
	if r := h.get(pathProjects, a.AccessToken, ""); r.status != http.StatusUnauthorized {
		t.Errorf("access token of a logged-out session answered %d", r.status)
	}
	if got := h.refresh(a.RefreshToken).errCode(t); got != "invalid_grant" {
		t.Errorf("logged-out refresh answered %q", got)
	}
}

func TestLenientFormsAndClientAuth(t *testing.T) {
	h := newHarness(t, Options{AutoApprove: true})
	tests := []struct {
		name, body, user string
		want             int
	}{
		{"literal space in scope", "client_id=test&scope=openid offline_access", "", http.StatusOK},
		{"invalid percent escape", "client_id=test&state=100%zz&scope=openid&x", "", http.StatusOK},
		{"basic auth, no form client", "scope=openid offline_access", "bench", http.StatusOK},
		{"no client at all", "scope=openid", "", http.StatusUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPost, h.ts.URL+pathDevice, strings.NewReader(tt.body))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			if tt.user != "" {
				req.SetBasicAuth(tt.user, "secret")
			}
			if r := h.do(req); r.status != tt.want {
				t.Errorf("status %d, want %d: %s", r.status, tt.want, r.body)
			} else if tt.want == http.StatusUnauthorized && r.errCode(t) != "invalid_client" {
				t.Errorf("error %q, want invalid_client", r.errCode(t))
			}
		})
	}
	// oidc-agent's shape end to end: Basic auth, unencoded grant type and scope.
	req, _ := http.NewRequest(http.MethodPost, h.ts.URL+pathDevice, strings.NewReader("scope=openid offline_access"))
	req.SetBasicAuth("bench", "secret")
	r := h.do(req)
	var d deviceResponse
	if err := json.Unmarshal(r.body, &d); err != nil || d.DeviceCode == "" {
		t.Fatalf("oidc-agent style device request: %d %s", r.status, r.body)
	}
	req, _ = http.NewRequest(http.MethodPost, h.ts.URL+pathToken,
		strings.NewReader("grant_type="+grantDeviceCode+"&device_code="+d.DeviceCode+"&scope=openid offline_access"))
	req.SetBasicAuth("bench", "secret")
	if r := h.do(req); r.status != http.StatusOK {
		t.Errorf("oidc-agent style token request: %d %s", r.status, r.body)
	}
}

func TestParseQueryLenient(t *testing.T) {
	v := parseQueryLenient("a=1 2&b=%zz&c=x%20y&d")
	want := map[string]string{"a": "1 2", "b": "%zz", "c": "x y", "d": ""}
	for k, w := range want {
		if got := v.Get(k); got != w {
			t.Errorf("%s = %q, want %q", k, got, w)
		}
	}
}

func TestTokenEndpointErrors(t *testing.T) {
	h := newHarness(t, Options{})
	tests := []struct{ body, want string }{
		{"client_id=test", "invalid_request"},
		{"client_id=test&grant_type=password", "unsupported_grant_type"},
		{"client_id=test&grant_type=refresh_token", "invalid_request"},
		{"client_id=test&grant_type=" + grantDeviceCode + "&device_code=nope", "invalid_grant"},
	}
	for _, tt := range tests {
		if got := h.post(pathToken, tt.body).errCode(t); got != tt.want {
			t.Errorf("%s: error %q, want %q", tt.body, got, tt.want)
		}
	}
}
