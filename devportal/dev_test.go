package devportal

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func TestFaultStatusAndCount(t *testing.T) {
	h := newHarness(t, Options{})
	h.srv.InjectFault(Fault{Path: "/.well-known/", Status: http.StatusServiceUnavailable, Count: 2})
	for i := range 2 {
		r := h.get(pathJWKS, "", "")
		if r.status != http.StatusServiceUnavailable || r.errCode(t) != "injected_fault" {
			t.Fatalf("hit %d: %d %s", i, r.status, r.body)
		}
	}
	if r := h.get(pathJWKS, "", ""); r.status != http.StatusOK {
		t.Errorf("after the count ran out: %d", r.status)
	}
	if r := h.get("/_dev/faults", "", ""); !strings.Contains(string(r.body), `"faults":[]`) {
		t.Errorf("spent fault still listed: %s", r.body)
	}

	h.srv.InjectFault(Fault{Path: pathProjects, Status: http.StatusBadGateway, Body: "<html>bad gateway</html>"})
	for range 3 {
		r := h.get(pathProjects, "", "")
		if r.status != http.StatusBadGateway || string(r.body) != "<html>bad gateway</html>" {
			t.Fatalf("body fault: %d %s", r.status, r.body)
		}
	}
	if r := h.get(pathDiscovery, "", ""); r.status != http.StatusOK {
		t.Errorf("fault on another path hit discovery: %d", r.status)
	}
	if r := h.get("/_dev/stats", "", ""); r.status != http.StatusOK {
		t.Errorf("/_dev/ is not exempt: %d", r.status)
	}
	h.srv.ClearFaults()
	if r := h.get(pathProjects, "", ""); r.status != http.StatusUnauthorized {
		t.Errorf("after ClearFaults: %d", r.status)
	}
	h.srv.InjectFault(Fault{Status: http.StatusTeapot})
	if r := h.get("/_dev/stats", "", ""); r.status != http.StatusOK {
		t.Errorf("catch-all fault hit /_dev/: %d", r.status)
	}
	if r := h.get(pathDiscovery, "", ""); r.status != http.StatusTeapot {
		t.Errorf("catch-all fault missed discovery: %d", r.status)
	}
	if st := h.srv.Stats(); st.Faults != 6 || st.Requests["jwks"] != 3 {
		t.Errorf("stats = %+v", st)
	}
}

func TestFaultLatency(t *testing.T) {
	h := newHarness(t, Options{})
	h.srv.InjectFault(Fault{Path: pathDiscovery, Latency: time.Hour, Count: 1})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, h.ts.URL+pathDiscovery, nil)
	_, err := http.DefaultClient.Do(req)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("slow request: err %v, want deadline exceeded", err)
	}
	// A latency-only fault then lets the real answer through.
	h.srv.InjectFault(Fault{Path: pathDiscovery, Latency: 20 * time.Millisecond, Count: 1})
	start := time.Now()
	r := h.get(pathDiscovery, "", "")
	if r.status != http.StatusOK || time.Since(start) < 20*time.Millisecond {
		t.Errorf("latency fault: %d after %v", r.status, time.Since(start))
	}
}

func TestFaultJSON(t *testing.T) {
	tests := []struct {
		in   string
		want Fault
	}{
		{`{"path":"/oauth/token","status":500,"latency":"2s","count":3,"body":"x"}`, Fault{Path: "/oauth/token", Status: 500, Latency: 2 * time.Second, Count: 3, Body: "x"}},
		{`{"latency":0.25}`, Fault{Latency: 250 * time.Millisecond}},
		{`{"status":429}`, Fault{Status: 429}},
	}
	for _, tt := range tests {
		var f Fault
		if err := json.Unmarshal([]byte(tt.in), &f); err != nil || f != tt.want {
			t.Errorf("%s: %+v, %v", tt.in, f, err)
		}
	}
	var f Fault
	if err := json.Unmarshal([]byte(`{"latency":"soon"}`), &f); err == nil {
		t.Error("bad latency accepted")
	}
	b, _ := json.Marshal(Fault{Path: "/x", Latency: time.Second})
	if !strings.Contains(string(b), `"latency":"1s"`) {
		t.Errorf("marshal = %s", b)
	}
}

func TestDevControlsOverHTTP(t *testing.T) {
	h := newHarness(t, Options{})
	post := func(path, body string) response {
		req, _ := http.NewRequest(http.MethodPost, h.ts.URL+path, strings.NewReader(body))
		return h.do(req)
	}
	if r := post("/_dev/faults", `{"path":"/oauth/token","status":503,"count":1}`); r.status != http.StatusOK {
		t.Fatalf("add fault: %d %s", r.status, r.body)
	}
	if r := h.post(pathToken, "client_id=test"); r.status != http.StatusServiceUnavailable {
		t.Errorf("fault from /_dev/faults not applied: %d", r.status)
	}
	post("/_dev/faults", `{"status":500}`)
	req, _ := http.NewRequest(http.MethodDelete, h.ts.URL+"/_dev/faults", nil)
	h.do(req)
	if r := h.get(pathDiscovery, "", ""); r.status != http.StatusOK {
		t.Errorf("DELETE /_dev/faults did not clear: %d", r.status)
	}
	if r := post("/_dev/faults", `{"latency":"forever"}`); r.status != http.StatusBadRequest {
		t.Errorf("bad fault accepted: %d", r.status)
	}

	d := h.startDevice()
	if r := post("/_dev/approve?user_code="+d.UserCode, ""); r.status != http.StatusOK {
		t.Fatalf("approve: %d %s", r.status, r.body)
	}
	if r := h.pollDevice(d.DeviceCode); r.status != http.StatusOK {
		t.Fatalf("poll after /_dev/approve: %d", r.status)
	}
	d2 := h.startDevice()
	post("/_dev/deny?user_code="+d2.UserCode, "")
	if got := h.pollDevice(d2.DeviceCode).errCode(t); got != "access_denied" {
		t.Errorf("after /_dev/deny: %q", got)
	}
	if r := post("/_dev/approve?user_code=XXXX-XXXX", ""); r.status != http.StatusBadRequest {
		t.Errorf("approving unknown code: %d", r.status)
	}

	if kid := post("/_dev/rotate-key", "").json(t)["kid"]; kid != "ec2" {
		t.Errorf("rotate-key kid = %v", kid)
	}
	if kid := post("/_dev/rotate-key?drop_old=1", "").json(t)["kid"]; kid != "ec3" {
		t.Errorf("hard rotate kid = %v", kid)
	}
	if n := strings.Count(string(h.get(pathJWKS, "", "").body), `"kid"`); n != 1 {
		t.Errorf("%d keys published after drop_old", n)
	}
	if r := post("/_dev/mode?token=garbage", ""); r.status != http.StatusOK || h.srv.modeNow() != ModeGarbage {
		t.Errorf("mode: %d %q", r.status, h.srv.modeNow())
	}
	if r := post("/_dev/mode?token=bogus", ""); r.status != http.StatusBadRequest {
		t.Errorf("unknown mode accepted: %d", r.status)
	}
	post("/_dev/mode?token=normal", "")
	if h.srv.modeNow() != ModeNormal {
		t.Errorf("mode not reset: %q", h.srv.modeNow())
	}

	var st Stats
	if err := json.Unmarshal(h.get("/_dev/stats", "", "").body, &st); err != nil {
		t.Fatal(err)
	}
	if st.Requests["device_authorization"] != 2 || st.Requests["token_device"] != 2 || st.Requests["discovery"] != 1 || st.Requests["dev"] != 0 {
		t.Errorf("stats = %+v", st)
	}
	post("/_dev/revoke", "")
	post("/_dev/stats/reset", "")
	if st := h.srv.Stats(); len(st.Requests) != 0 || st.Faults != 0 {
		t.Errorf("after reset: %+v", st)
	}
	if r := h.get("/_dev/nope", "", ""); r.status != http.StatusNotFound {
		t.Errorf("unknown control: %d", r.status)
	}
}

func TestRotateKey(t *testing.T) {
	h := newHarness(t, Options{AutoApprove: true})
	old := h.login()
	if kid := h.srv.RotateKey(); kid != "ec2" {
		t.Fatalf("kid = %s", kid)
	}
	fresh := h.login()
	if got := segment(t, fresh.AccessToken, 0); got != `{"alg":"ES256","typ":"JWT","kid":"ec2"}` {
		t.Errorf("header after rotation = %s", got)
	}
	kf := jwksKeyfunc(t, h)
	for _, tok := range []string{old.AccessToken, fresh.AccessToken} {
		if _, err := jwt.Parse(tok, kf); err != nil {
			t.Errorf("graceful rotation: %v", err)
		}
	}
	if r := h.get(pathProjects, old.AccessToken, ""); r.status != http.StatusOK {
		t.Errorf("old-key user token refused after graceful rotation: %d", r.status)
	}
	h.srv.RotateKeyHard()
	if r := h.get(pathProjects, fresh.AccessToken, ""); r.status != http.StatusUnauthorized {
		t.Errorf("token of a dropped key accepted: %d", r.status)
	}
	if _, err := jwt.Parse(fresh.AccessToken, jwksKeyfunc(t, h)); err == nil {
		t.Error("dropped key still in the JWKS")
	}
}

func TestTokenModes(t *testing.T) {
	h := newHarness(t, Options{AutoApprove: true, TokenTTL: time.Hour})
	at := h.login().AccessToken
	id := projectID("ilabt-dev")
	kf := jwksKeyfunc(t, h)
	verify := func(tok string) (jwt.MapClaims, error) {
		c := jwt.MapClaims{}
		_, err := jwt.ParseWithClaims(tok, c, kf, jwt.WithValidMethods([]string{"ES256"}))
		return c, err
	}
	tests := []struct {
		mode  TokenMode
		check func(tok string) string // "" when the token is as the mode says
	}{
		{ModeNormal, func(tok string) string {
			if _, err := verify(tok); err != nil {
				return err.Error()
			}
			return ""
		}},
		{ModeGarbage, func(tok string) string {
			if strings.Count(tok, ".") == 2 {
				return "looks like a JWT"
			}
			return ""
		}},
		{ModeAlgNone, func(tok string) string {
			if segment(t, tok+"x", 0) != `{"alg":"none","typ":"JWT+slices.eu/proj"}` || !strings.HasSuffix(tok, ".") {
				return "not an unsigned alg none token"
			}
			return ""
		}},
		{ModeHS256PubKey, func(tok string) string {
			_, err := jwt.Parse(tok, func(*jwt.Token) (any, error) { return h.srv.firstKey().publicPEM(), nil },
				jwt.WithValidMethods([]string{"HS256"}))
			if err != nil {
				return "not HMAC-signed with the public key PEM: " + err.Error()
			}
			return ""
		}},
		{ModeUnknownKid, func(tok string) string {
			if _, err := verify(tok); err == nil || !strings.Contains(err.Error(), "not in the JWKS") {
				return "kid found in the JWKS"
			}
			return ""
		}},
		{ModeWrongSub, func(tok string) string {
			c, err := verify(tok)
			if err != nil || c["sub"] == id || !strings.HasPrefix(c["sub"].(string), "proj_") {
				return "sub is not another well-formed project"
			}
			return ""
		}},
		{ModeExpired, func(tok string) string {
			if _, err := verify(tok); !errors.Is(err, jwt.ErrTokenExpired) {
				return "not expired"
			}
			return ""
		}},
		{ModeExpMillis, func(tok string) string {
			c := claimsOf(t, tok)
			if c["exp"].(float64) != (c["iat"].(float64)+3600)*1000 {
				return "exp is not in milliseconds"
			}
			return ""
		}},
		{ModeTruncated, func(tok string) string {
			if _, err := verify(tok); err == nil || strings.Count(tok, ".") != 2 {
				return "not a JWT with a broken signature"
			}
			return ""
		}},
	}
	for _, tt := range tests {
		t.Run(string(tt.mode)+"_", func(t *testing.T) {
			h.srv.SetMode(tt.mode)
			r := h.get(pathProjects+"/"+id, at, "application/jwt")
			if r.status != http.StatusOK {
				t.Fatalf("status %d", r.status)
			}
			if msg := tt.check(string(r.body)); msg != "" {
				t.Errorf("mode %q: %s", tt.mode, msg)
			}
		})
	}
	if len(tests) != len(TokenModes) {
		t.Errorf("%d modes tested, %d exist", len(tests), len(TokenModes))
	}
}

func (s *Server) modeNow() TokenMode {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.mode
}

func (s *Server) firstKey() *signingKey {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.keys[0]
}
