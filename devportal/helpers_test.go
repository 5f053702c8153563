package devportal

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeClock is an injectable clock for Options.Now.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *fakeClock { return &fakeClock{t: time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// harness is a Server behind httptest with a few request helpers.
type harness struct {
	t   *testing.T
	srv *Server
	ts  *httptest.Server
}

// testClients is the registry of a harness unless its Options name one: two
// public clients and a confidential one (oidc-agent's shape in the benchmarks).
var testClients = []Client{{ID: "test"}, {ID: "other"}, {ID: "bench", Secret: "secret"}}

func newHarness(t *testing.T, o Options) *harness {
	t.Helper()
	if o.Clients == nil {
		o.Clients = testClients
	}
	srv, err := New(o)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return &harness{t: t, srv: srv, ts: ts}
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("response %d is not a JSON object: %v: %s", r.status, err, r.body)
	}
	return m
}

func (r response) errCode(t *testing.T) string {
	t.Helper()
	s, _ := r.json(t)["error"].(string)
	return s
}

func (h *harness) do(req *http.Request) response {
	h.t.Helper()
	c := &http.Client{Timeout: 10 * time.Second}
	resp, err := c.Do(req)
	if err != nil {
		h.t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		h.t.Fatalf("read body: %v", err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

// post sends a raw form body (not re-encoded) with client_id=test unless body names another.
func (h *harness) post(path, body string) response {
	h.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, h.ts.URL+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return h.do(req)
}

func (h *harness) get(path, bearer, accept string) response {
	h.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, h.ts.URL+path, nil)
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	return h.do(req)
}

// startDevice begins a device flow for client "test" and returns the answer.
func (h *harness) startDevice() deviceResponse {
	h.t.Helper()
	r := h.post(pathDevice, "client_id=test&scope=openid offline_access")
	if r.status != http.StatusOK {
		h.t.Fatalf("device authorization: %d %s", r.status, r.body)
	}
	var d deviceResponse
	if err := json.Unmarshal(r.body, &d); err != nil {
		h.t.Fatalf("device answer: %v", err)
	}
	return d
}

func (h *harness) pollDevice(deviceCode string) response {
	h.t.Helper()
	return h.post(pathToken, "grant_type="+url.QueryEscape(grantDeviceCode)+"&client_id=test&device_code="+deviceCode)
}

func (h *harness) refresh(rt string) response {
	h.t.Helper()
	return h.post(pathToken, "grant_type=refresh_token&client_id=test&refresh_token="+rt)
}

// login runs a device flow on an AutoApprove server and returns the token answer.
func (h *harness) login() tokenResponse {
	h.t.Helper()
	d := h.startDevice()
	if err := h.srv.Approve(d.UserCode); err != nil && !h.srv.opts.AutoApprove {
		h.t.Fatalf("approve: %v", err)
	}
	r := h.pollDevice(d.DeviceCode)
	if r.status != http.StatusOK {
		h.t.Fatalf("device token: %d %s", r.status, r.body)
	}
	var tr tokenResponse
	if err := json.Unmarshal(r.body, &tr); err != nil {
		h.t.Fatalf("token answer: %v", err)
	}
	return tr
}

// segment decodes one base64url part of a compact JWT.
func segment(t *testing.T, tok string, i int) string {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("token has %d parts, want 3", len(parts))
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[i])
	if err != nil {
		t.Fatalf("segment %d: %v", i, err)
	}
	return string(b)
}

func claimsOf(t *testing.T, tok string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(segment(t, tok, 1)), &m); err != nil {
		t.Fatalf("claims: %v", err)
	}
	return m
}
