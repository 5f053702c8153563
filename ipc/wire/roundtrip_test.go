package wire

import (
	"bytes"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"testing"
	"time"
)

// seen is what net/http's server saw of a request.
type seen struct {
	method, requestURI, rawPath, host, project, minValid string
	header                                               http.Header
	contentLength                                        int64
	transferEncoding                                     []string
	close                                                bool
	body                                                 []byte
	bodyErr                                              error
}

// recorder is a handler that records each request on a channel and
// answers with answer.
func recorder(answer http.HandlerFunc) (http.Handler, <-chan seen) {
	ch := make(chan seen, 4)
	mux := http.NewServeMux()
	record := func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		ch <- seen{method: r.Method, requestURI: r.RequestURI, rawPath: r.URL.RawPath, host: r.Host,
			project: r.PathValue("project"), minValid: r.URL.Query().Get("min_valid"),
			header: r.Header, contentLength: r.ContentLength, transferEncoding: r.TransferEncoding,
			close: r.Close, body: body, bodyErr: err}
		answer(w, r)
	}
	mux.HandleFunc("/v1/projects/{project}/token", record)
	mux.HandleFunc("/", record)
	return mux, ch
}

// next is the request the server saw, within 10 s.
func next(t *testing.T, got <-chan seen) seen {
	t.Helper()
	select {
	case s := <-got:
		return s
	case <-time.After(10 * time.Second):
		t.Fatal("the server saw no request within 10 s")
		return seen{}
	}
}

func ok(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("ok")) }

func readBody(t *testing.T, resp *Response) []byte {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading the body: %v (read %d bytes)", err, len(b))
	}
	if err := resp.Body.Close(); err != nil {
		t.Errorf("closing the body: %v", err)
	}
	return b
}

// A GET carries its header fields, Host and Connection: close, and no body.
func TestGetReachesNetHTTPServer(t *testing.T) {
	h, got := recorder(ok)
	path := httpAgent(t, h)
	req := &Request{Method: "GET", Target: "/v1/status", Header: Header{
		"X-Slices-Test": {"one", "two"}, "Accept": {"application/json"}}}
	resp, err := roundTrip(ctxT(t), path, req, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if b := readBody(t, resp); string(b) != "ok" || resp.StatusCode != 200 || resp.Status != "200 OK" || resp.ContentLength != 2 {
		t.Errorf("answer %d %q, length %d, body %q; want 200 OK, 2, \"ok\"", resp.StatusCode, resp.Status, resp.ContentLength, b)
	}
	s := next(t, got)
	if s.method != "GET" || s.requestURI != "/v1/status" || s.host != "agent" || !s.close {
		t.Errorf("server saw %s %s, host %q, close %v", s.method, s.requestURI, s.host, s.close)
	}
	if v := s.header["X-Slices-Test"]; !slices.Equal(v, []string{"one", "two"}) {
		t.Errorf("X-Slices-Test arrived as %q", v)
	}
	if v := s.header.Get("Accept"); v != "application/json" {
		t.Errorf("Accept arrived as %q", v)
	}
	if s.contentLength != 0 || s.transferEncoding != nil || len(s.body) != 0 || s.header.Get("Content-Length") != "" {
		t.Errorf("a GET arrived with length %d, encoding %q, body %q", s.contentLength, s.transferEncoding, s.body)
	}
}

// A POST's body arrives whole with its exact Content-Length, an empty one
// included.
func TestPostBodyReachesNetHTTPServer(t *testing.T) {
	h, got := recorder(ok)
	path := httpAgent(t, h)
	for _, body := range [][]byte{[]byte(`{"min_valid":"90s"}`), nil, bytes.Repeat([]byte{0, '\r', '\n', 0xff}, 40000)} {
		resp, err := roundTrip(ctxT(t), path, &Request{Method: "POST", Target: "/v1/login", Body: body}, 10*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		readBody(t, resp)
		s := next(t, got)
		if s.method != "POST" || s.contentLength != int64(len(body)) || !bytes.Equal(s.body, body) || s.bodyErr != nil ||
			s.header.Get("Content-Length") != strconv.Itoa(len(body)) {
			t.Errorf("a POST of %d bytes arrived as %s with length %d (header %q), %d bytes, %v",
				len(body), s.method, s.contentLength, s.header.Get("Content-Length"), len(s.body), s.bodyErr)
		}
	}
}

// An escaped path and its query reach the server as written.
func TestEscapedTargetArrivesUnchanged(t *testing.T) {
	h, got := recorder(ok)
	path := httpAgent(t, h)
	const target = "/v1/projects/a%2Fb/token?min_valid=90"
	resp, err := roundTrip(ctxT(t), path, &Request{Method: "GET", Target: target}, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	readBody(t, resp)
	s := next(t, got)
	if s.requestURI != target || s.rawPath != "/v1/projects/a%2Fb/token" || s.project != "a/b" || s.minValid != "90" {
		t.Errorf("server saw target %q, raw path %q, project %q, min_valid %q", s.requestURI, s.rawPath, s.project, s.minValid)
	}
}

// Escape's path segments and query values reach net/http's server as they
// were given, whatever bytes they hold.
func TestEscapeRoundTrips(t *testing.T) {
	h, got := recorder(ok)
	path := httpAgent(t, h)
	for _, v := range []string{"ilabt-dev", "a/b", "a b+c", "%2F", "?#&=;", "é\x00\xff\r\n", "~_.-", "." + "x", ".", ".."} {
		target := "/v1/projects/" + Escape(v) + "/token?min_valid=" + Escape(v)
		resp, err := roundTrip(ctxT(t), path, &Request{Method: "GET", Target: target}, 10*time.Second)
		if err != nil {
			t.Fatalf("%q: %v", v, err)
		}
		readBody(t, resp)
		if s := next(t, got); s.project != v || s.minValid != v || s.requestURI != target {
			t.Errorf("%q arrived as project %q, min_valid %q (target %q)", v, s.project, s.minValid, s.requestURI)
		}
	}
}

// The answers net/http's server writes are read whole: by Content-Length,
// chunked, large, empty, and after 1xx interim answers.
func TestAnswersOfNetHTTPServer(t *testing.T) {
	big := make([]byte, 1<<20)
	for i := range big {
		big[i] = byte(rand.Uint32())
	}
	cases := []struct {
		name    string
		answer  http.HandlerFunc
		code    int
		status  string
		length  int64
		body    []byte
		headers map[string]string // want, by any spelling of the key
	}{
		{"content-length", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"ok":true}`))
		}, 200, "200 OK", 11, []byte(`{"ok":true}`), map[string]string{"content-type": "application/json", "CONTENT-LENGTH": "11"}},
		{"chunked", func(w http.ResponseWriter, _ *http.Request) {
			for _, p := range []string{"first ", "second ", "third"} {
				w.Write([]byte(p))
				w.(http.Flusher).Flush()
			}
		}, 200, "200 OK", -1, []byte("first second third"), map[string]string{"transfer-encoding": "chunked", "Content-Length": ""}},
		{"1 MiB", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Length", strconv.Itoa(len(big)))
			w.Write(big)
		}, 200, "200 OK", 1 << 20, big, nil},
		{"1 MiB chunked", func(w http.ResponseWriter, _ *http.Request) {
			for i := 0; i < len(big); i += 100000 {
				w.Write(big[i:min(i+100000, len(big))])
				w.(http.Flusher).Flush()
			}
		}, 200, "200 OK", -1, big, nil},
		{"204", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(204) },
			204, "204 No Content", 0, nil, nil},
		{"102 then 200", func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(102)
			w.WriteHeader(102)
			w.Header().Set("X-Final", "yes")
			w.WriteHeader(201)
			w.Write([]byte("made"))
		}, 201, "201 Created", 4, []byte("made"), map[string]string{"x-final": "yes"}},
		{"error", func(w http.ResponseWriter, _ *http.Request) {
			http.Error(w, "no such project", http.StatusNotFound)
		}, 404, "404 Not Found", 16, []byte("no such project\n"), map[string]string{"X-Content-Type-Options": "nosniff"}},
		{"lower-case keys", func(w http.ResponseWriter, _ *http.Request) {
			w.Header()["x-slices-lower"] = []string{"a"} // written as is, not canonical
			w.Header()["X-SLICES-UPPER"] = []string{"b", "c"}
		}, 200, "200 OK", 0, nil, map[string]string{"X-sLICES-lower": "a", "x-slices-upper": "b"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := httpAgent(t, c.answer)
			resp, err := roundTrip(ctxT(t), path, &Request{Method: "GET", Target: "/"}, 10*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			body := readBody(t, resp)
			if resp.StatusCode != c.code || resp.Status != c.status || resp.ContentLength != c.length {
				t.Errorf("answer %d %q, length %d; want %d %q, %d", resp.StatusCode, resp.Status, resp.ContentLength, c.code, c.status, c.length)
			}
			if !bytes.Equal(body, c.body) {
				t.Errorf("body of %d bytes, want %d bytes (%.40q, want %.40q)", len(body), len(c.body), body, c.body)
			}
			for k, v := range c.headers {
				if got := resp.Header.Get(k); got != v {
					t.Errorf("header %s: %q, want %q", k, got, v)
				}
			}
			for k := range resp.Header {
				if k != CanonicalKey(k) {
					t.Errorf("header key %q is not canonical", k)
				}
			}
		})
	}
}

// CanonicalKey agrees with net/http's for valid field names.
func TestCanonicalKey(t *testing.T) {
	for key, want := range map[string]string{
		"content-length": "Content-Length", "CONTENT-LENGTH": "Content-Length", "x-sLiCeS-pORTAL": "X-Slices-Portal",
		"a": "A", "-a-": "-A-", "x--y": "X--Y", "1st-key": "1st-Key", "www-authenticate": "Www-Authenticate", "": "",
	} {
		if got := CanonicalKey(key); got != want {
			t.Errorf("CanonicalKey(%q) = %q, want %q", key, got, want)
		}
		if key != "" && http.CanonicalHeaderKey(key) != want {
			t.Errorf("net/http writes %q as %q, not %q", key, http.CanonicalHeaderKey(key), want)
		}
	}
	h := Header{"Content-Type": {"text/plain", "ignored"}}
	if h.Get("content-TYPE") != "text/plain" || h.Get("Content-Length") != "" {
		t.Errorf("Get: %q %q", h.Get("content-TYPE"), h.Get("Content-Length"))
	}
}
