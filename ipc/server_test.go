package ipc

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// rawPair serves the real handler over a fake on a real socket and returns
// a plain HTTP client for it.
func rawPair(t *testing.T, opts HandlerOptions, tune func(*http.Server)) (*fakeService, *http.Client) {
	t.Helper()
	f := newFake()
	if opts.Now == nil {
		opts.Now = func() time.Time { return t0 }
	}
	path := serve(t, NewHandler(f, opts), tune)
	return f, unixHTTP(path)
}

// do sends a raw request and returns status, headers and body.
func do(t *testing.T, hc *http.Client, method, url string, hdr map[string]string, body io.Reader) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, "http://agent"+url, body)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading body: %v", method, url, err)
	}
	return resp.StatusCode, resp.Header, b
}

func TestRoutes(t *testing.T) {
	f, hc := rawPair(t, HandlerOptions{}, nil)
	cases := []struct {
		method, url, body string
		status            int
		code              string // error code, "" for success
		call              string // last call the service saw, "" for none checked
	}{
		{"GET", "/v1/status", "", 200, "", "Status"},
		{"HEAD", "/v1/status", "", 200, "", "Status"},
		{"GET", "/v1/token", "", 200, "", "UserToken"},
		{"GET", "/v1/projects", "", 200, "", "Projects"},
		{"GET", "/v1/projects/ilabt-dev/token", "", 200, "", "ProjectToken ilabt-dev"},
		{"GET", "/v1/projects/no-such-project/token", "", 404, CodeUnknownProject, ""},
		{"PUT", "/v1/projects/proj_9", "", 200, "", "Track proj_9"},
		{"DELETE", "/v1/projects/proj_9", "", 204, "", "Untrack proj_9"},
		{"DELETE", "/v1/projects/proj_9", "", 404, CodeUnknownProject, ""},
		{"POST", "/v1/projects/proj_1/refresh", "", 204, "", "Refresh proj_1"},
		{"POST", "/v1/refresh", "", 204, "", "Refresh "},
		{"POST", "/v1/login", "", 200, "", "StartLogin"},
		{"GET", "/v1/login", "", 200, "", "LoginStatus"},
		{"POST", "/v1/logout", "", 204, "", "Logout"},
		{"POST", "/v1/lock", `{"passphrase":"p"}`, 204, "", "Lock"},
		{"POST", "/v1/unlock", `{"passphrase":"p"}`, 204, "", "Unlock"},
		{"POST", "/v1/unlock", `garbage`, 400, CodeBadRequest, ""},
		{"POST", "/v1/unlock", ``, 400, CodeBadRequest, ""},
		{"POST", "/v1/lock", `{"passphrase":"p"} trailing`, 400, CodeBadRequest, ""},
		{"POST", "/v1/shutdown", "", 204, "", "Shutdown"},
		{"POST", "/v1/import", `{"access_token":"a","refresh_token":"r"}`, 204, "", "ImportLogin a r"},
		{"POST", "/v1/import", `{"access_token":"a"}`, 204, "", "ImportLogin a "},
		{"POST", "/v1/import", `{}`, 400, CodeBadRequest, ""},
		{"POST", "/v1/import", `nonsense`, 400, CodeBadRequest, ""},
		{"GET", "/v1/import", "", 405, CodeMethodNotAllowed, ""},
		{"GET", "/v1/token?min_valid=soon", "", 400, CodeBadRequest, ""},
		{"GET", "/v1/token?min_valid=-5s", "", 400, CodeBadRequest, ""},
		{"GET", "/v1/projects/proj_1/token?min_valid=-1", "", 400, CodeBadRequest, ""},
		{"GET", "/v2/status", "", 404, CodeNotFound, ""},
		{"GET", "/", "", 404, CodeNotFound, ""},
		{"GET", "/v1/projects/a/b/c", "", 404, CodeNotFound, ""},
		{"POST", "/v1/status", "", 405, CodeMethodNotAllowed, ""},
		{"DELETE", "/v1/token", "", 405, CodeMethodNotAllowed, ""},
		{"POST", "/v1/projects/x", "", 405, CodeMethodNotAllowed, ""},
		{"GET", "/v1/shutdown", "", 405, CodeMethodNotAllowed, ""},
	}
	for _, tc := range cases {
		f.mu.Lock()
		f.calls = nil
		f.mu.Unlock()
		status, hdr, body := do(t, hc, tc.method, tc.url, nil, strings.NewReader(tc.body))
		name := tc.method + " " + tc.url + " " + tc.body
		if status != tc.status {
			t.Errorf("%s: status %d, want %d (%s)", name, status, tc.status, body)
			continue
		}
		if tc.call != "" && f.lastCall() != tc.call {
			t.Errorf("%s: service saw %q, want %q", name, f.lastCall(), tc.call)
		}
		if tc.code == "" {
			if tc.code == "" && tc.status >= 400 {
				t.Errorf("%s: case lacks an error code", name)
			}
			continue
		}
		if ct := hdr.Get("Content-Type"); ct != "application/json" {
			t.Errorf("%s: error Content-Type %q", name, ct)
		}
		var eb struct {
			Error map[string]string `json:"error"`
		}
		if err := json.Unmarshal(body, &eb); err != nil || eb.Error["code"] != tc.code || eb.Error["message"] == "" {
			t.Errorf("%s: error body %s, want code %q and a message", name, body, tc.code)
		}
		if c := f.lastCall(); c != "" && tc.status == 400 {
			t.Errorf("%s: a bad request reached the service (%q)", name, c)
		}
		if tc.status == 405 && hdr.Get("Allow") == "" {
			t.Errorf("%s: 405 without Allow", name)
		}
		if tc.code == CodeUnknownProject && !strings.Contains(eb.Error["hint"], "slices-agent projects") {
			t.Errorf("%s: unknown_project hint %q", name, eb.Error["hint"])
		}
	}
}

func TestTokenForms(t *testing.T) {
	_, hc := rawPair(t, HandlerOptions{}, nil)
	for _, url := range []string{"/v1/token", "/v1/projects/proj_1/token"} {
		status, hdr, body := do(t, hc, "GET", url, map[string]string{"Accept": "application/jwt"}, nil)
		if status != 200 || string(body) != testJWT {
			t.Errorf("%s raw: status %d body %.20q, want exactly the token with no newline", url, status, body)
		}
		if hdr.Get("Content-Type") != MediaTypeJWT || hdr.Get("Cache-Control") != "no-store" {
			t.Errorf("%s raw: headers %v", url, hdr)
		}
		status, hdr, body = do(t, hc, "GET", url, nil, nil)
		var tok map[string]any
		if err := json.Unmarshal(body, &tok); status != 200 || err != nil {
			t.Fatalf("%s json: status %d %v", url, status, err)
		}
		if tok["token"] != testJWT || tok["expires_at"] != "2030-01-02T04:04:05Z" || tok["expires_in"] != float64(3600) {
			t.Errorf("%s json: %v", url, tok)
		}
		if hdr.Get("Cache-Control") != "no-store" || hdr.Get("Content-Type") != "application/json" {
			t.Errorf("%s json: headers %v", url, hdr)
		}
	}
}

func TestMinValid(t *testing.T) {
	f, hc := rawPair(t, HandlerOptions{}, nil)
	cases := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"", 0, true}, {"0", 0, true}, {"90", 90 * time.Second, true}, {"90s", 90 * time.Second, true},
		{"5m", 5 * time.Minute, true}, {"1.5", 1500 * time.Millisecond, true}, {"1m30s", 90 * time.Second, true},
		{"-1", 0, false}, {"-2s", 0, false}, {"abc", 0, false}, {"NaN", 0, false}, {"1e300", 0, false}, {"5 m", 0, false},
	}
	for _, tc := range cases {
		got, err := ParseMinValid(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParseMinValid(%q) = %v, %v", tc.in, got, err)
		}
		if err != nil && !HasCode(err, CodeBadRequest) {
			t.Errorf("ParseMinValid(%q) error %v is not bad_request", tc.in, err)
		}
		if !tc.ok || tc.in == "" {
			continue
		}
		for _, url := range []string{"/v1/token", "/v1/projects/proj_1/token"} {
			status, _, _ := do(t, hc, "GET", url+"?min_valid="+tc.in, nil, nil)
			if status != 200 || f.getMinValid() != tc.want {
				t.Errorf("%s?min_valid=%s: status %d, service got %v, want %v", url, tc.in, status, f.getMinValid(), tc.want)
			}
		}
	}
}

// TestBodyLimit sends 10 MB bodies, with and without a length, and checks the
// answer is 413 (or the connection closed while still sending), that the
// service is never called, and that the server keeps serving.
func TestBodyLimit(t *testing.T) {
	f, hc := rawPair(t, HandlerOptions{}, nil)
	big := bytes.Repeat([]byte("x"), 10<<20)
	for _, url := range []string{"/v1/projects/proj_1/refresh", "/v1/unlock", "/v1/status"} {
		for _, chunked := range []bool{false, true} {
			var body io.Reader = bytes.NewReader(big)
			if chunked {
				body = io.MultiReader(body) // hides the length
			}
			req, _ := http.NewRequest("POST", "http://agent"+url, body)
			resp, err := hc.Do(req)
			if err == nil {
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 413 || !bytes.Contains(b, []byte(`"code":"too_large"`)) {
					t.Errorf("%s chunked=%v: %d %s, want 413 too_large", url, chunked, resp.StatusCode, b)
				}
			}
			if c := f.lastCall(); c != "" {
				t.Errorf("%s chunked=%v: service was called (%q)", url, chunked, c)
			}
		}
	}
	// Just under the limit is fine.
	ok := `{"passphrase":"` + strings.Repeat("p", MaxBodyBytes-100) + `"}`
	if status, _, b := do(t, hc, "POST", "/v1/lock", nil, strings.NewReader(ok)); status != 204 {
		t.Errorf("lock with a %d byte body: %d %s", len(ok), status, b)
	}
	if status, _, _ := do(t, hc, "GET", "/v1/status", nil, nil); status != 200 {
		t.Errorf("status after big bodies: %d", status)
	}
}

func TestPanicRecovered(t *testing.T) {
	var logBuf syncBuffer
	f, hc := rawPair(t, HandlerOptions{Logger: slog.New(slog.NewTextHandler(&logBuf, nil))}, nil)
	f.mu.Lock()
	f.panicOn = "UserToken"
	f.mu.Unlock()
	status, _, body := do(t, hc, "GET", "/v1/token", nil, nil)
	if status != 500 || !bytes.Contains(body, []byte(`"code":"internal"`)) {
		t.Errorf("panic answered %d %s, want 500 internal", status, body)
	}
	logs := logBuf.String()
	if !strings.Contains(logs, "panic") || !strings.Contains(logs, "xyzabc") {
		t.Errorf("panic not logged with the token's tail: %s", logs)
	}
	if strings.Contains(logs, testJWT[:60]) || strings.Contains(logs, testJWT[len(testJWT)-20:]) {
		t.Errorf("log contains token contents: %s", logs)
	}
	if status, _, _ := do(t, hc, "GET", "/v1/status", nil, nil); status != 200 {
		t.Errorf("status after a panic: %d", status)
	}
}

// readSSE reads raw SSE lines from r until n blank-line-terminated blocks arrived.
func readSSE(t *testing.T, r *bufio.Reader, n int) []string {
	t.Helper()
	var blocks []string
	var cur strings.Builder
	for len(blocks) < n {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("after %d blocks: %v", len(blocks), err)
		}
		if line == "\n" {
			blocks = append(blocks, cur.String())
			cur.Reset()
			continue
		}
		cur.WriteString(line)
	}
	return blocks
}

func TestEventsWire(t *testing.T) {
	f, hc := rawPair(t, HandlerOptions{KeepAlive: 50 * time.Millisecond}, func(s *http.Server) {
		s.ReadTimeout = 200 * time.Millisecond // the stream must outlive it
	})
	hold := make(chan struct{})
	f.mu.Lock()
	f.hold = hold
	f.events = []Event{{Type: EventRenewed, Time: t0, Project: "proj_1"}, {Type: EventLogout, Time: t0}}
	f.mu.Unlock()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", "http://agent/v1/events", nil)
	hc.Timeout = 0
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); resp.StatusCode != 200 || ct != "text/event-stream" {
		t.Fatalf("events: %d %q", resp.StatusCode, ct)
	}
	time.AfterFunc(600*time.Millisecond, func() { close(hold) })
	timer := time.AfterFunc(10*time.Second, cancel)
	defer timer.Stop()
	br := bufio.NewReader(resp.Body)
	var evs []string
	pings := 0
	for len(evs) < 2 {
		b := readSSE(t, br, 1)[0]
		if b == ": ping\n" {
			pings++
			continue
		}
		evs = append(evs, b)
	}
	want := []string{
		"event: renewed\ndata: {\"type\":\"renewed\",\"time\":\"2030-01-02T03:04:05Z\",\"project\":\"proj_1\"}\n",
		"event: logout\ndata: {\"type\":\"logout\",\"time\":\"2030-01-02T03:04:05Z\"}\n",
	}
	for i := range want {
		if evs[i] != want[i] {
			t.Errorf("event %d:\n%q\nwant\n%q", i, evs[i], want[i])
		}
	}
	if pings < 3 {
		t.Errorf("%d keep-alive pings in 600ms at a 50ms interval", pings)
	}
}

func TestShutdownEndsEvents(t *testing.T) {
	f := newFake()
	path := filepath.Join(t.TempDir(), "a.sock")
	l, err := Listen(path)
	if err != nil {
		t.Fatal(err)
	}
	srv := NewServer(NewHandler(f, HandlerOptions{}))
	go srv.Serve(l)
	c := NewClient(path)
	ch, err := c.Events(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown with an open event stream: %v", err)
	}
	select {
	case _, ok := <-ch:
		if ok {
			t.Error("event after shutdown")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("client stream not closed within 5s of shutdown")
	}
}
