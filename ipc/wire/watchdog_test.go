package wire

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

// silent accepts the request and says nothing until the client goes.
func silent(c net.Conn) { io.Copy(io.Discard, c) }

var status = &Request{Method: "GET", Target: "/v1/status"}

// An agent that takes the request and says nothing is ErrUnresponsive once
// answerWithin has passed, long before the call's own deadline, and its
// connection is closed.
func TestSilentAgentIsUnresponsive(t *testing.T) {
	a := newRawAgent(t, "", silent)
	start := time.Now()
	_, err := roundTrip(ctxT(t), a.path, status, 200*time.Millisecond)
	took := time.Since(start)
	if !errors.Is(err, ErrUnresponsive) {
		t.Fatalf("%v, want ErrUnresponsive", err)
	}
	if took < 200*time.Millisecond || took > 10*time.Second {
		t.Errorf("gave up after %v, want 200 ms or a little more, well before the 30 s deadline", took)
	}
	if got := a.waitEnded(t); !strings.HasPrefix(string(got), "GET /v1/status HTTP/1.1\r\n") {
		t.Errorf("the agent got %q", got)
	}
}

// A deadline that comes before answerWithin is the context's error, not
// ErrUnresponsive; with no watchdog at all, too.
func TestDeadlineBeforeWatchdog(t *testing.T) {
	for _, within := range []time.Duration{20 * time.Second, 0} {
		a := newRawAgent(t, "", silent)
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		start := time.Now()
		_, err := roundTrip(ctx, a.path, status, within)
		took := time.Since(start)
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, ErrUnresponsive) {
			t.Errorf("answerWithin %v: %v, want context.DeadlineExceeded", within, err)
		}
		if took < 300*time.Millisecond || took > 10*time.Second {
			t.Errorf("answerWithin %v: gave up after %v, want 300 ms or a little more", within, took)
		}
		a.waitEnded(t)
	}
}

// A context already done sends nothing.
func TestDoneContextSendsNothing(t *testing.T) {
	a := newRawAgent(t, "", silent)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := roundTrip(ctx, a.path, status, time.Second); !errors.Is(err, context.Canceled) {
		t.Errorf("%v, want context.Canceled", err)
	}
	if got := a.waitEnded(t); len(got) != 0 {
		t.Errorf("the agent got %q, want nothing", got)
	}
}

// Cancelling the context ends a read blocked waiting for the answer, for
// its head and for its body, with the context's error: a body that ends at
// EOF must not look whole.
func TestCancelEndsBlockedRead(t *testing.T) {
	cases := []struct {
		name   string
		answer func(c net.Conn)
		inBody bool
	}{
		{"no answer", silent, false},
		{"half a head", func(c net.Conn) { c.Write([]byte("HTTP/1.1 200 OK\r\nContent-Le")); silent(c) }, false},
		{"102 then nothing", func(c net.Conn) { c.Write([]byte("HTTP/1.1 102 Processing\r\n\r\n")); silent(c) }, false},
		{"half a content-length body", func(c net.Conn) {
			c.Write([]byte("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nsome"))
			silent(c)
		}, true},
		{"half a chunked body", func(c net.Conn) {
			c.Write([]byte("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nsome\r\n"))
			silent(c)
		}, true},
		{"half a body to eof", func(c net.Conn) { c.Write([]byte("HTTP/1.1 200 OK\r\n\r\nsome")); silent(c) }, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := newRawAgent(t, "", c.answer)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			conn, err := Dial(a.path)
			if err != nil {
				t.Fatal(err)
			}
			type result struct {
				err  error
				body string
				at   time.Time
			}
			done := make(chan result, 1)
			go func() {
				resp, err := conn.RoundTrip(ctx, status, 0)
				if err == nil {
					if !c.inBody {
						resp.Body.Close()
						done <- result{err: errors.New("answer " + resp.Status + " taken")}
						return
					}
					var b []byte
					b, err = io.ReadAll(resp.Body)
					resp.Body.Close()
					done <- result{err, string(b), time.Now()}
					return
				}
				done <- result{err: err, at: time.Now()}
			}()
			<-a.requests
			// Let the client reach its blocking read if it will: if it
			// does not in this time, the cancel still tests the path.
			select {
			case r := <-done:
				t.Fatalf("returned before the cancel: %v (body %q)", r.err, r.body)
			case <-time.After(100 * time.Millisecond):
			}
			cancelled := time.Now()
			cancel()
			select {
			case r := <-done:
				if !errors.Is(r.err, context.Canceled) {
					t.Errorf("%v (body %q), want context.Canceled", r.err, r.body)
				}
				if c.inBody && r.body != "some" {
					t.Errorf("body %q before the cancel, want %q", r.body, "some")
				}
				if d := r.at.Sub(cancelled); d > 5*time.Second {
					t.Errorf("returned %v after the cancel", d)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("still blocked 10 s after the cancel")
			}
			a.waitEnded(t)
		})
	}
}

// The watchdog is for the first byte: a 102 Processing within answerWithin
// keeps the call waiting for a final answer that comes after it; without the
// 102 the same wait is ErrUnresponsive.
func TestProcessingKeepsTheCallWaiting(t *testing.T) {
	const within = 2 * time.Second // the 102 is written at once: two seconds is ample on a loaded machine
	for _, processing := range []bool{true, false} {
		t.Run(map[bool]string{true: "102", false: "silent"}[processing], func(t *testing.T) {
			t.Parallel()
			a := newRawAgent(t, "", func(c net.Conn) {
				// The final answer comes three seconds after the watchdog's
				// time, counted from the accept: a client slowed by a loaded
				// machine still sets its watchdog well before that.
				if processing {
					c.Write([]byte("HTTP/1.1 102 Processing\r\n\r\n"))
				}
				<-time.After(within + 3*time.Second)
				c.Write([]byte("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nlate"))
				silent(c)
			})
			start := time.Now()
			resp, err := roundTrip(ctxT(t), a.path, status, within)
			if !processing {
				if !errors.Is(err, ErrUnresponsive) {
					t.Fatalf("%v, want ErrUnresponsive", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if b := readBody(t, resp); string(b) != "late" || resp.StatusCode != 200 {
				t.Errorf("answer %d %q", resp.StatusCode, b)
			}
			if took := time.Since(start); took < within+time.Second {
				t.Errorf("answered after %v: the final answer came before the watchdog's time", took)
			}
		})
	}
}

// A Deadline context, never done, ends the call at its deadline with
// ErrTimedOut; the watchdog still says ErrUnresponsive before it.
func TestDeadlineContext(t *testing.T) {
	a := newRawAgent(t, "", silent)
	start := time.Now()
	_, err := roundTrip(Deadline(start.Add(300*time.Millisecond)), a.path, status, 20*time.Second)
	if took := time.Since(start); !errors.Is(err, ErrTimedOut) || took < 300*time.Millisecond || took > 10*time.Second {
		t.Errorf("%v after %v, want ErrTimedOut after 300 ms or a little more", err, took)
	}
	a.waitEnded(t)
	_, err = roundTrip(Deadline(time.Now().Add(30*time.Second)), a.path, status, 200*time.Millisecond)
	if !errors.Is(err, ErrUnresponsive) {
		t.Errorf("%v, want ErrUnresponsive", err)
	}
	a.waitEnded(t)
}
