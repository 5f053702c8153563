package ipc

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net/http"
	"time"
)

// NewOneShotClient returns a Client for a process that makes a call or two
// and exits: the command line. Each call opens its own connection, writes
// one HTTP/1.1 request and reads the answer on the calling goroutine, with
// net/http's request writer and response reader but without its Transport
// (no connection pool, no background goroutines, no timers beyond the
// call's). The socket checks, the first-byte watchdog (AnswerWithin, 102
// Processing) and the errors are those of NewClient. Events streams over
// the Transport as with NewClient.
func NewOneShotClient(socketPath string) *Client {
	c := NewClient(socketPath)
	c.oneShot = true
	return c
}

// roundTrip performs req on a blocking connection of its own, read and
// written on the calling thread: a process that exits after the answer
// gains nothing from the network poller, and pays for every hand-off
// between threads. The answer's body closes the connection.
func (c *Client) roundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	conn, err := dialBlocking(c.path)
	if err != nil {
		return nil, err
	}
	// A cancelled context ends a read or write in progress.
	stop := context.AfterFunc(ctx, conn.shutdown)
	fail := func(err error) (*http.Response, error) {
		stop()
		conn.Close()
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, ctxErr
		}
		return nil, err
	}
	end := time.Time{}
	if d, ok := ctx.Deadline(); ok {
		end = d
	}
	if err := conn.setTimeouts(end); err != nil {
		return fail(err)
	}
	req.Close = true // one request per connection: the agent closes it after answering
	bw := bufio.NewWriterSize(conn, 512)
	if err := req.Write(bw); err != nil {
		return fail(err)
	}
	if err := bw.Flush(); err != nil {
		return fail(err)
	}
	// The watchdog: the first byte of an answer (a 102 Processing counts)
	// must come within answerWithin; after it only the call's deadline holds.
	first := time.Now().Add(c.answerWithin)
	if !end.IsZero() && end.Before(first) {
		first = end
	}
	if err := conn.setReadTimeout(first); err != nil {
		return fail(err)
	}
	br := bufio.NewReaderSize(conn, 1024)
	if _, err := br.Peek(1); err != nil {
		watchdogFirst := end.IsZero() || first.Before(end)
		if errors.Is(err, errTimedOut) && watchdogFirst && ctx.Err() == nil {
			stop()
			conn.Close()
			return nil, errUnresponsive
		}
		return fail(err)
	}
	if err := conn.setReadTimeout(end); err != nil {
		return fail(err)
	}
	for {
		resp, err := http.ReadResponse(br, req)
		if err != nil {
			return fail(err)
		}
		// 1xx answers (102 Processing) come before the real one.
		if resp.StatusCode >= 100 && resp.StatusCode < 200 && resp.StatusCode != http.StatusSwitchingProtocols {
			continue
		}
		resp.Body = &connBody{ReadCloser: resp.Body, conn: conn, stop: stop}
		return resp, nil
	}
}

// connBody is an answer's body that closes its connection when closed.
type connBody struct {
	io.ReadCloser
	conn io.Closer
	stop func() bool
}

// Close closes the body and the connection.
func (b *connBody) Close() error {
	b.stop()
	err := b.ReadCloser.Close()
	if cerr := b.conn.Close(); err == nil {
		err = cerr
	}
	return err
}
