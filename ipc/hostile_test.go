package ipc

import (
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// Requests that http.ServeMux would answer in plain text or with a
// redirect get the API's JSON errors over the real server.
func TestNonCanonicalRequests(t *testing.T) {
	_, hc := rawPair(t, HandlerOptions{}, nil)
	sock := socketOf(t, hc)
	cases := []struct{ raw, status, code string }{
		{"GET //v1/status HTTP/1.1\r\nHost: a\r\n\r\n", "404", CodeNotFound},
		{"GET /v1/projects/../status HTTP/1.1\r\nHost: a\r\n\r\n", "404", CodeNotFound},
		{"GET /v1/./status HTTP/1.1\r\nHost: a\r\n\r\n", "404", CodeNotFound},
		// Escaped, a segment is one opaque reference, dots and slashes
		// included: no step up the path, just a project nobody has.
		{"GET /v1/projects/a%2F..%2F..%2Fstatus/token HTTP/1.1\r\nHost: a\r\n\r\n", "404", CodeUnknownProject},
		{"GET /v1/projects/%2E%2E/token HTTP/1.1\r\nHost: a\r\n\r\n", "404", CodeUnknownProject},
		{"CONNECT agent:80 HTTP/1.1\r\nHost: agent:80\r\n\r\n", "405", CodeMethodNotAllowed},
		{"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "400", CodeBadRequest},
	}
	for _, c := range cases {
		conn, err := net.Dial("unix", sock)
		if err != nil {
			t.Fatal(err)
		}
		conn.SetDeadline(time.Now().Add(5 * time.Second))
		conn.Write([]byte(c.raw))
		conn.(*net.UnixConn).CloseWrite()
		out, _ := io.ReadAll(conn)
		conn.Close()
		s := string(out)
		if !strings.HasPrefix(s, "HTTP/1.1 "+c.status+" ") || !strings.Contains(s, "Content-Type: application/json") ||
			!strings.Contains(s, `{"error":{"code":"`+c.code+`"`) || strings.Contains(s, "Location:") {
			t.Errorf("%q: %q, want %s %s as JSON", c.raw, s, c.status, c.code)
		}
	}
}

func isTimeout(err error) bool {
	ne, ok := err.(net.Error)
	return ok && ne.Timeout()
}

// socketOf finds the socket path a unixHTTP client dials.
func socketOf(t *testing.T, hc *http.Client) string {
	t.Helper()
	c, err := hc.Transport.(*http.Transport).DialContext(t.Context(), "unix", "")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.RemoteAddr().String()
}

// Half-open connections are closed at the header timeout, while honest
// requests on other connections are served meanwhile.
func TestHalfOpenClosedAtHeaderTimeout(t *testing.T) {
	_, hc := rawPair(t, HandlerOptions{}, func(srv *http.Server) { srv.ReadHeaderTimeout = 300 * time.Millisecond })
	sock := socketOf(t, hc)
	var silent []net.Conn
	for i := range 50 {
		c, err := net.Dial("unix", sock)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if i%2 == 0 {
			c.Write([]byte("GET /v1/status HTTP/1.1\r\nHost: a\r\nX-Slow: ")) // never finished
		}
		silent = append(silent, c)
	}
	for i := range 10 {
		if st, _, body := do(t, hc, "GET", "/v1/token", nil, nil); st != 200 {
			t.Fatalf("honest request %d among half-open connections: %d %s", i, st, body)
		}
	}
	for i, c := range silent {
		c.SetReadDeadline(time.Now().Add(3 * time.Second))
		if _, err := io.ReadAll(c); isTimeout(err) {
			t.Fatalf("half-open connection %d still open after 3 s", i)
		}
	}
}

// A token pasted where a project reference or a duration goes comes back
// in the error as its last 6 characters only.
func TestErrorsDoNotEchoTokens(t *testing.T) {
	_, hc := rawPair(t, HandlerOptions{}, nil)
	for _, url := range []string{"/v1/projects/" + testJWT + "/token", "/v1/token?min_valid=" + testJWT} {
		st, _, body := do(t, hc, "GET", url, nil, nil)
		if st != 400 && st != 404 || strings.Contains(string(body), testJWT[:40]) || !strings.Contains(string(body), "…"+testJWT[len(testJWT)-6:]) {
			t.Errorf("GET %.40s…: %d %s", url, st, body)
		}
	}
}
