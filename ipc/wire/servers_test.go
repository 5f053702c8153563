package wire

import (
	"bufio"
	"context"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// shortDir is a private (0700) temporary directory with a short path:
// socket paths are limited to 108 bytes, and t.TempDir's can be longer.
func shortDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("/tmp", "wire")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	return dir
}

// ctxT is a context for one test's calls, with a deadline far beyond
// anything the test waits for.
func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// httpAgent serves h with net/http's server on a real Unix socket in a
// directory of its own, and returns the socket's path.
func httpAgent(t *testing.T, h http.Handler) string {
	t.Helper()
	path := filepath.Join(shortDir(t), "agent.sock")
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 30 * time.Second}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return path
}

// rawAgent is a hand-written server on a real Unix socket: for each
// connection it reads the request head, calls answer, then reads until
// the client closes. It records every byte received, per connection in
// the order they were accepted.
type rawAgent struct {
	path string
	// requests gets the head of each request once it is read in full,
	// before answer is called.
	requests chan string
	// ended gets each connection's bytes once the client has closed it.
	ended chan []byte

	mu    sync.Mutex
	conns []*rawConn
}

type rawConn struct {
	mu  sync.Mutex
	got []byte
}

func (r *rawConn) Write(b []byte) (int, error) { // the recorder of bytes received
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, b...)
	return len(b), nil
}

func (r *rawConn) bytes() []byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]byte(nil), r.got...)
}

// accepted returns the bytes each connection has sent so far, in the
// order the connections were accepted.
func (a *rawAgent) accepted() [][]byte {
	a.mu.Lock()
	defer a.mu.Unlock()
	var all [][]byte
	for _, c := range a.conns {
		all = append(all, c.bytes())
	}
	return all
}

// newRawAgent listens at dir/agent.sock (a fresh private directory when
// dir is "") and answers each request with answer.
func newRawAgent(t *testing.T, dir string, answer func(c net.Conn)) *rawAgent {
	t.Helper()
	if dir == "" {
		dir = shortDir(t)
	}
	a := &rawAgent{path: filepath.Join(dir, "agent.sock"), requests: make(chan string, 16), ended: make(chan []byte, 16)}
	l, err := net.Listen("unix", a.path)
	if err != nil {
		t.Fatal(err)
	}
	var open sync.Map
	t.Cleanup(func() {
		l.Close()
		open.Range(func(k, _ any) bool { k.(net.Conn).Close(); return true })
	})
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			open.Store(c, nil)
			rc := &rawConn{}
			a.mu.Lock()
			a.conns = append(a.conns, rc)
			a.mu.Unlock()
			go a.serve(c, rc, answer)
		}
	}()
	return a
}

func (a *rawAgent) serve(c net.Conn, rc *rawConn, answer func(c net.Conn)) {
	defer c.Close()
	br := bufio.NewReader(&teeConn{Conn: c, rec: rc})
	head := ""
	for {
		line, err := br.ReadString('\n')
		head += line
		if err != nil {
			a.ended <- rc.bytes()
			return
		}
		if line == "\r\n" {
			break
		}
	}
	a.requests <- head
	answer(c)
	for { // until the client closes
		if _, err := br.ReadByte(); err != nil {
			break
		}
	}
	a.ended <- rc.bytes()
}

// teeConn records what is read from the connection.
type teeConn struct {
	net.Conn
	rec *rawConn
}

func (t *teeConn) Read(b []byte) (int, error) {
	n, err := t.Conn.Read(b)
	t.rec.Write(b[:n])
	return n, err
}

// writeAll writes the answer's parts in turn, each in a write of its own,
// and ends the answer there (the client reads EOF after it).
func writeAll(parts ...string) func(c net.Conn) {
	return func(c net.Conn) {
		for _, p := range parts {
			if _, err := c.Write([]byte(p)); err != nil {
				return
			}
		}
		c.(*net.UnixConn).CloseWrite()
	}
}

// waitEnded returns the bytes of the next connection the client closed, or
// fails the test when none is closed within 10 s.
func (a *rawAgent) waitEnded(t *testing.T) []byte {
	t.Helper()
	select {
	case b := <-a.ended:
		return b
	case <-time.After(10 * time.Second):
		t.Fatal("the client did not close its connection within 10 s")
		return nil
	}
}

// roundTrip dials path and makes one request.
func roundTrip(ctx context.Context, path string, req *Request, answerWithin time.Duration) (*Response, error) {
	c, err := Dial(path)
	if err != nil {
		return nil, err
	}
	return c.RoundTrip(ctx, req, answerWithin)
}
