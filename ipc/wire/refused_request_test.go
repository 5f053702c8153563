package wire

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"
)

// A request that cannot be written as HTTP/1.1 is a *ProtocolError, and not
// a byte of it reaches the agent: no smuggled header, no half a request.
func TestUnencodableRequestSendsNothing(t *testing.T) {
	cases := []struct {
		name string
		req  Request
		want string
	}{
		{"crlf in a value", Request{Method: "GET", Target: "/v1/status", Header: Header{"X-A": {"b\r\nX-Evil: 1"}}}, "bad value of header X-A"},
		{"lf in a value", Request{Method: "GET", Target: "/v1/status", Header: Header{"X-A": {"ok", "b\nc"}}}, "bad value of header X-A"},
		{"cr in a value", Request{Method: "GET", Target: "/v1/status", Header: Header{"X-A": {"b\rc"}}}, "bad value of header X-A"},
		{"nul in a value", Request{Method: "GET", Target: "/v1/status", Header: Header{"X-A": {"b\x00c"}}}, "bad value of header X-A"},
		{"space in a name", Request{Method: "GET", Target: "/v1/status", Header: Header{"X A": {"b"}}}, `bad header name "X A"`},
		{"colon in a name", Request{Method: "GET", Target: "/v1/status", Header: Header{"X-A:": {"b"}}}, `bad header name "X-A:"`},
		{"empty name", Request{Method: "GET", Target: "/v1/status", Header: Header{"": {"b"}}}, `bad header name ""`},
		{"crlf in a name", Request{Method: "GET", Target: "/v1/status", Header: Header{"X\r\nY": {"b"}}}, `bad header name "X\r\nY"`},
		{"space in the method", Request{Method: "GE T", Target: "/v1/status"}, `bad method "GE T"`},
		{"crlf in the method", Request{Method: "GET\r\n", Target: "/v1/status"}, `bad method "GET\r\n"`},
		{"no method", Request{Target: "/v1/status"}, `bad method ""`},
		{"target without slash", Request{Method: "GET", Target: "v1/status"}, `bad request target "v1/status"`},
		{"absolute target", Request{Method: "GET", Target: "http://agent/v1/status"}, `bad request target "http://agent/v1/status"`},
		{"space in the target", Request{Method: "GET", Target: "/v1/status HTTP/1.0\r\nX: y"}, "bad request target"},
		{"tab in the target", Request{Method: "GET", Target: "/v1/\tstatus"}, "bad request target"},
		{"nul in the target", Request{Method: "GET", Target: "/v1/\x00"}, "bad request target"},
		{"empty target", Request{Method: "POST", Target: "", Body: []byte("x")}, `bad request target ""`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := newRawAgent(t, "", silent)
			conn, err := Dial(a.path)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := conn.RoundTrip(ctxT(t), &c.req, 10*time.Second)
			if resp != nil {
				resp.Body.Close()
			}
			var pe *ProtocolError
			if !errors.As(err, &pe) || !strings.Contains(pe.Reason, c.want) {
				t.Fatalf("%v, want a *ProtocolError saying %q", err, c.want)
			}
			if got := a.waitEnded(t); len(got) != 0 {
				t.Errorf("the agent got %q, want nothing", got)
			}
			if _, err := conn.Read(make([]byte, 1)); !errors.Is(err, os.ErrClosed) {
				t.Errorf("after the refusal the connection reads %v, want it closed", err)
			}
		})
	}
}

// Header fields go out sorted by name, values in order, after Host, with
// Content-Length only where a body may be, and Connection: close last.
func TestRequestEncoding(t *testing.T) {
	cases := []struct {
		req  Request
		want string
	}{
		{Request{Method: "GET", Target: "/v1/status"}, "GET /v1/status HTTP/1.1\r\nHost: agent\r\nConnection: close\r\n\r\n"},
		{Request{Method: "DELETE", Target: "/v1/token?x=%20", Header: Header{"X-B": {"2", "3"}, "X-A": {""}}},
			"DELETE /v1/token?x=%20 HTTP/1.1\r\nHost: agent\r\nX-A: \r\nX-B: 2\r\nX-B: 3\r\nConnection: close\r\n\r\n"},
		{Request{Method: "POST", Target: "/v1/login"}, "POST /v1/login HTTP/1.1\r\nHost: agent\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"},
		{Request{Method: "PUT", Target: "/x", Body: []byte("a\r\n\r\nb")}, "PUT /x HTTP/1.1\r\nHost: agent\r\nContent-Length: 6\r\nConnection: close\r\n\r\na\r\n\r\nb"},
	}
	for _, c := range cases {
		got, err := c.req.encode()
		if err != nil || string(got) != c.want {
			t.Errorf("%s %s: %q, %v; want %q", c.req.Method, c.req.Target, got, err, c.want)
		}
	}
}
