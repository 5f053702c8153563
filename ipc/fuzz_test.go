package ipc

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Run a fuzzer for a minute with, for example:
//
//	go test -run '^$' -fuzz '^FuzzHandler$' -fuzztime 60s ./ipc/
//	go test -run '^$' -fuzz '^FuzzServer$' -fuzztime 60s ./ipc/
//
// Without -fuzz, plain go test runs the seeds below and those kept in
// testdata/fuzz/<name>/.

// handlerStatus lists every status the handler may answer with, and the
// error code that goes with each error status.
var handlerStatus = map[int][]string{
	200: nil,
	204: nil,
	400: {CodeBadRequest},
	401: {CodeLoginRequired},
	404: {CodeUnknownProject, CodeNotFound},
	405: {CodeMethodNotAllowed},
	413: {CodeTooLarge},
	423: {CodeLocked},
	502: {CodePortalUnavailable},
	503: {CodeTokenUnavailable},
}

// serverStatus adds what net/http answers itself before the handler runs.
var serverStatus = map[int]bool{
	http.StatusBadRequest:                  true,
	http.StatusRequestHeaderFieldsTooLarge: true,
	http.StatusNotImplemented:              true,
	http.StatusHTTPVersionNotSupported:     true,
	http.StatusExpectationFailed:           true,
}

// handlerSeeds are method, target, header lines and body.
var handlerSeeds = []struct{ method, target, header, body string }{
	{"GET", "/v1/status", "", ""},
	{"HEAD", "/v1/status", "", ""},
	{"GET", "/v1/token?min_valid=90s", "Accept: application/jwt", ""},
	{"GET", "/v1/token?min_valid=1e300", "", ""},
	{"GET", "/v1/token?min_valid=NaN", "", ""},
	{"GET", "/v1/projects/ilabt-dev/token?min_valid=-1", "Accept: text/html, application/jwt;q=0.1", ""},
	{"GET", "/v1/projects/a%20b%2Fc/token", "", ""},
	{"GET", "/v1/projects//token", "", ""},
	{"GET", "/v1/projects/../status", "", ""},
	{"PUT", "/v1/projects/proj_9", "Content-Type: application/json", `{"x":1}`},
	{"DELETE", "/v1/projects/proj_9", "", ""},
	{"POST", "/v1/projects/proj_1/refresh", "Transfer-Encoding: chunked", "5\r\nhello\r\n0\r\n\r\n"},
	{"POST", "/v1/lock", "", `{"passphrase":"p"}`},
	{"POST", "/v1/unlock", "", `{"passphrase":"\u0000"}`},
	{"POST", "/v1/import", "", `{"access_token":"a","refresh_token":"r"}`},
	{"POST", "/v1/import", "", `[`},
	{"POST", "/v1/login", "Expect: 100-continue", ""},
	{"GET", "/v1/events", "Accept: text/event-stream", ""},
	{"OPTIONS", "*", "", ""},
	{"CONNECT", "agent:80", "", ""},
	{"BREW", "/v1/coffee", "X-A: b\nX-A: c", "\xff\xfe"},
	{"GET", "http://other/v1/status", "", ""},
	{"GET", "/v1/status?" + strings.Repeat("a=b&", 200), "", ""},
}

// FuzzHandler feeds arbitrary requests through NewHandler over the fake
// service: no panic, no 500, a status of the contract, and a JSON error
// envelope on every error.
func FuzzHandler(f *testing.F) {
	for _, s := range handlerSeeds {
		f.Add(s.method, s.target, s.header, []byte(s.body))
	}
	h := NewHandler(newFake(), HandlerOptions{Now: func() time.Time { return t0 }, KeepAlive: time.Hour})
	f.Fuzz(func(t *testing.T, method, target, header string, body []byte) {
		raw := method + " " + target + " HTTP/1.1\r\nHost: agent\r\n"
		for _, line := range strings.Split(header, "\n") {
			if line = strings.TrimRight(line, "\r"); line != "" {
				raw += line + "\r\n"
			}
		}
		if !strings.Contains(strings.ToLower(header), "transfer-encoding") {
			raw += "Content-Length: " + strconv.Itoa(len(body)) + "\r\n"
		}
		req, err := http.ReadRequest(bufio.NewReader(strings.NewReader(raw + "\r\n" + string(body))))
		if err != nil {
			return // net/http refuses it before any handler; FuzzServer covers that
		}
		// Only /v1/events waits for the context: end it soon.
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		defer cancel()
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req.WithContext(ctx))
		checkAnswer(t, req, rec.Code, rec.Header(), rec.Body.Bytes())
	})
}

// checkAnswer asserts that one answer of the handler is well-formed.
func checkAnswer(t *testing.T, req *http.Request, status int, hd http.Header, body []byte) {
	t.Helper()
	codes, ok := handlerStatus[status]
	if !ok {
		t.Fatalf("%s %q: status %d is not in the contract (body %q)", req.Method, req.RequestURI, status, body)
	}
	if req.Method == http.MethodHead {
		return // the server drops the body of a HEAD answer
	}
	if cl := hd.Get("Content-Length"); cl != "" && cl != strconv.Itoa(len(body)) {
		t.Fatalf("%s %q: Content-Length %s for a %d-byte body", req.Method, req.RequestURI, cl, len(body))
	}
	ct := hd.Get("Content-Type")
	switch {
	case status == 204:
		if len(body) != 0 {
			t.Fatalf("%s %q: 204 with a body %q", req.Method, req.RequestURI, body)
		}
	case status == 200 && ct == MediaTypeJWT:
		if string(body) != testJWT {
			t.Fatalf("%s %q: raw token answer %q", req.Method, req.RequestURI, body)
		}
	case status == 200 && ct == "text/event-stream":
		if req.URL.Path != "/v1/events" {
			t.Fatalf("%s %q: an event stream outside /v1/events", req.Method, req.RequestURI)
		}
	case status == 200:
		if ct != "application/json" || !json.Valid(body) {
			t.Fatalf("%s %q: 200 with %q body %q", req.Method, req.RequestURI, ct, body)
		}
	default:
		var e struct {
			Error *Error `json:"error"`
		}
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.DisallowUnknownFields()
		if ct != "application/json" || dec.Decode(&e) != nil || e.Error == nil {
			t.Fatalf("%s %q: %d without a JSON error envelope: %q %q", req.Method, req.RequestURI, status, ct, body)
		}
		if e.Error.Message == "" || !contains(codes, e.Error.Code) {
			t.Fatalf("%s %q: %d with code %q message %q", req.Method, req.RequestURI, status, e.Error.Code, e.Error.Message)
		}
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// pairListener hands out the server ends of socket pairs, so that the real
// server with the peer check runs without a file on disk.
type pairListener struct {
	conns  chan net.Conn
	done   chan struct{}
	closed sync.Once
}

func newPairListener() *pairListener {
	return &pairListener{conns: make(chan net.Conn), done: make(chan struct{})}
}

func (l *pairListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *pairListener) Close() error {
	l.closed.Do(func() { close(l.done) })
	return nil
}

func (l *pairListener) Addr() net.Addr { return &net.UnixAddr{Name: "pair", Net: "unix"} }

// dial returns the client end of a new socket pair whose other end the
// listener accepts.
func (l *pairListener) dial() (*net.UnixConn, error) {
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
	if err != nil {
		return nil, err
	}
	conns := make([]*net.UnixConn, 2)
	for i, fd := range fds {
		f := os.NewFile(uintptr(fd), "pair")
		c, err := net.FileConn(f)
		f.Close()
		if err != nil {
			return nil, err
		}
		conns[i] = c.(*net.UnixConn)
	}
	select {
	case l.conns <- conns[1]:
		return conns[0], nil
	case <-l.done:
		conns[0].Close()
		conns[1].Close()
		return nil, net.ErrClosed
	}
}

// serverSeeds are whole connections' worth of bytes.
var serverSeeds = []string{
	"GET /v1/status HTTP/1.1\r\nHost: agent\r\n\r\n",
	"GET /v1/token HTTP/1.1\r\nHost: a\r\nAccept: application/jwt\r\n\r\nGET /v1/projects HTTP/1.1\r\nHost: a\r\n\r\n",
	"GET /v1/token\r\n\r\n",
	"GET /v1/token HTTP/0.9\r\n\r\n",
	"GET /v1/token HTTP/2.0\r\nHost: a\r\n\r\n",
	"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",
	"POST /v1/unlock HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\n{\"pass",
	"POST /v1/lock HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
	"POST /v1/logout HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!",
	"GET /v1/status HTTP/1.1\r\nHost: a\r\nX: " + strings.Repeat("a", 20<<10) + "\r\n\r\n",
	"GET /v1/status HTTP/1.1\r\n" + strings.Repeat("X-Flood: 1\r\n", 3000) + "\r\n",
	"GET /v1/events HTTP/1.1\r\nHost: a\r\n\r\n",
	"PUT /v1/projects/%zz HTTP/1.1\r\nHost: a\r\n\r\n",
	"\r\n\r\n\r\n",
}

// FuzzServer writes arbitrary bytes to a connection of the real server
// (NewServer, peer check, NewHandler over the fake), half-closes it and
// reads everything back: the server never hangs and answers only
// well-formed HTTP responses with statuses from the contract or net/http's
// refusals.
func FuzzServer(f *testing.F) {
	for _, s := range serverSeeds {
		f.Add([]byte(s))
	}
	l := newPairListener()
	srv := NewServer(NewHandler(newFake(), HandlerOptions{Now: func() time.Time { return t0 }, KeepAlive: time.Hour}))
	go srv.Serve(PeerCheckListener(l, os.Getuid(), slog.New(slog.DiscardHandler)))
	defer srv.Close()
	f.Fuzz(func(t *testing.T, raw []byte) {
		c, err := l.dial()
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(3 * time.Second))
		go func() {
			_, _ = c.Write(raw)
			_ = c.CloseWrite()
		}()
		out, err := io.ReadAll(c)
		if err != nil && !errors.Is(err, syscall.ECONNRESET) {
			t.Fatalf("reading the answer to %q: %v (read %q)", raw, err, out)
		}
		br := bufio.NewReader(bytes.NewReader(out))
		for n := 0; ; n++ {
			if _, err := br.Peek(1); err == io.EOF {
				return
			}
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				t.Fatalf("answer %d to %q is not HTTP: %v (all: %q)", n, raw, err, out)
			}
			body, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil {
				t.Fatalf("answer %d to %q: body: %v", n, raw, err)
			}
			if _, ok := handlerStatus[resp.StatusCode]; !ok && !serverStatus[resp.StatusCode] {
				t.Fatalf("answer %d to %q: status %d not expected (body %q)", n, raw, resp.StatusCode, body)
			}
		}
	})
}
