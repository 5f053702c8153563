package ipc

import (
	"errors"
	"io"
	"net/http"

	"github.com/slices-ri/slices-agent/ipc/wire"
)

// NewOneShotClient returns a Client for a process that makes a call or two
// and exits: the command line. Each call opens its own connection, and
// package wire writes one HTTP/1.1 request and reads the answer on the
// calling goroutine, without net/http's Transport (no connection pool, no
// background goroutines, no timers beyond the call's). The socket checks,
// the first-byte watchdog (AnswerWithin, 102 Processing) and the errors are
// those of NewClient. Events streams over the Transport as with NewClient.
func NewOneShotClient(socketPath string) *Client {
	c := NewClient(socketPath)
	c.oneShot = true
	return c
}

// roundTrip performs req on a blocking connection of its own with package
// wire, read and written on the calling thread: a process that exits after
// the answer gains nothing from the network poller, and pays for every
// hand-off between threads. The answer's body closes the connection.
func (c *Client) roundTrip(req *http.Request) (*http.Response, error) {
	wreq := &wire.Request{Method: req.Method, Target: req.URL.RequestURI(), Header: wire.Header(req.Header)}
	if req.Body != nil {
		b, err := io.ReadAll(io.LimitReader(req.Body, MaxBodyBytes+1))
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		wreq.Body = b
	}
	conn, err := wire.DialContext(req.Context(), c.path, c.answerWithin)
	if errors.Is(err, wire.ErrUnresponsive) {
		return nil, errUnresponsive
	}
	if err != nil {
		return nil, err
	}
	resp, err := conn.RoundTrip(req.Context(), wreq, c.answerWithin)
	if errors.Is(err, wire.ErrUnresponsive) {
		return nil, errUnresponsive
	}
	if err != nil {
		return nil, err
	}
	return &http.Response{
		Status:        resp.Status,
		StatusCode:    resp.StatusCode,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        http.Header(resp.Header),
		Body:          resp.Body,
		ContentLength: resp.ContentLength,
		Close:         true,
		Request:       req,
	}, nil
}
