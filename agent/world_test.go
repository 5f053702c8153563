package agent

import (
	"context"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slices-ri/slices-agent/devportal"
	"github.com/slices-ri/slices-agent/ipc"
	"github.com/slices-ri/slices-agent/keyring"
	"github.com/slices-ri/slices-agent/portal"
	"github.com/slices-ri/slices-agent/token"
)

// The agent's tests run an emulated portal in the same process, reached over
// an in-memory network (net.Pipe), so that they can run inside a
// testing/synctest bubble: there, time is virtual, every wait is decided by
// the clock and not by how busy the machine is, and a test of a one-hour
// token takes no longer than one of a one-second token.

// pipeNet is an in-memory network with one listener: every dial is a
// net.Pipe whose other end Accept returns.
type pipeNet struct {
	conns  chan net.Conn
	closed chan struct{}
	once   sync.Once
}

func newPipeNet() *pipeNet {
	return &pipeNet{conns: make(chan net.Conn), closed: make(chan struct{})}
}

func (n *pipeNet) Accept() (net.Conn, error) {
	select {
	case c := <-n.conns:
		return c, nil
	case <-n.closed:
		return nil, net.ErrClosed
	}
}

func (n *pipeNet) Close() error {
	n.once.Do(func() { close(n.closed) })
	return nil
}

func (n *pipeNet) Addr() net.Addr { return pipeAddr{} }

// DialContext connects to the listener; network and address are ignored.
func (n *pipeNet) DialContext(ctx context.Context, _, _ string) (net.Conn, error) {
	server, client := net.Pipe()
	select {
	case n.conns <- server:
		return client, nil
	case <-n.closed:
		return nil, &net.OpError{Op: "dial", Net: "pipe", Err: net.ErrClosed}
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

type pipeAddr struct{}

func (pipeAddr) Network() string { return "pipe" }
func (pipeAddr) String() string  { return "portal.test" }

// world is an emulated portal and what an agent needs to run against it.
type world struct {
	t      testing.TB
	dp     *devportal.Server
	url    string
	net    *pipeNet
	store  keyring.Store
	state  string
	keys   *token.KeySet
	issuer string
	now    func() time.Time // the agent's clock; nil = time.Now
	wake   time.Duration    // the agent's longest sleep; 0 = default
}

// newWorld starts an emulated portal on an in-memory network. Called inside
// synctest.Test, everything in the world runs on the bubble's virtual clock.
func newWorld(t testing.TB, opts devportal.Options) *world {
	t.Helper()
	opts.AutoApprove = true
	dp, err := devportal.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	pn := newPipeNet()
	srv := &http.Server{Handler: dp}
	go srv.Serve(pn)
	t.Cleanup(func() { srv.Close() })
	return &world{t: t, dp: dp, url: "http://portal.test", net: pn, store: keyring.NewMemory(), state: t.TempDir()}
}

// portal is a client of the world's portal.
func (w *world) portal() *portal.Client {
	tr := &http.Transport{DialContext: w.net.DialContext}
	w.t.Cleanup(tr.CloseIdleConnections)
	return portal.New(w.url, "", portal.WithHTTPClient(&http.Client{Transport: tr, Timeout: 5 * time.Second}))
}

// options are what an agent of this world is made with.
func (w *world) options() Options {
	return Options{PortalURL: w.url, StateDir: w.state, Keyring: w.store, Portal: w.portal(), Now: w.now}
}

// agent starts an agent on the world's keyring and state, as a restart would.
func (w *world) agent() *Agent {
	w.t.Helper()
	a := w.unloaded()
	a.Load(testCtx(w.t))
	return a
}

// unloaded makes an agent of this world without loading anything yet.
func (w *world) unloaded() *Agent {
	a := New(w.options())
	if w.wake > 0 {
		a.wake = w.wake
	}
	w.t.Cleanup(a.Close)
	return a
}

// verified checks that raw is a valid token of the portal for subject ("" = user token).
func (w *world) verified(raw, subject string) *token.Decoded {
	w.t.Helper()
	if w.keys == nil {
		k, err := w.portal().Keys(testCtx(w.t))
		if err != nil {
			w.t.Fatal(err)
		}
		w.keys, w.issuer = k.Set, k.Issuer
	}
	d, err := token.Verify(raw, w.keys, token.VerifyOptions{Issuer: w.issuer, Subject: subject})
	if err != nil {
		w.t.Fatalf("served token does not verify: %v", err)
	}
	return d
}

// holding starts an agent, logs in and fetches the first project's token.
func (w *world) holding() (*Agent, ipc.Project) {
	w.t.Helper()
	a := w.agent()
	login(w.t, a)
	p := firstProject(w.t, a)
	if _, err := a.ProjectToken(testCtx(w.t), p.ID, 0); err != nil {
		w.t.Fatal(err)
	}
	return a, p
}

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// login runs a device login through the agent and waits until it is done.
func login(t testing.TB, a *Agent) {
	t.Helper()
	if st := tryLogin(t, a); st.State != ipc.LoginDone {
		t.Fatalf("login %s: %s", st.State, st.Error)
	}
}

// tryLogin runs a device login and returns how it ended.
func tryLogin(t testing.TB, a *Agent) ipc.LoginState {
	t.Helper()
	ctx := testCtx(t)
	if _, err := a.StartLogin(ctx); err != nil {
		t.Fatalf("start login: %v", err)
	}
	for {
		st, err := a.LoginStatus(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if st.State != ipc.LoginPending {
			return st
		}
		select {
		case <-ctx.Done():
			t.Fatal("login did not finish")
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func firstProject(t testing.TB, a *Agent) ipc.Project {
	t.Helper()
	ps, err := a.Projects(testCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) == 0 {
		t.Fatal("no projects")
	}
	return ps[0]
}

// code is the ipc error code of err, "" for nil.
func code(err error) string {
	if e, ok := ipc.AsError(err); ok {
		return e.Code
	}
	if err == nil {
		return ""
	}
	return "untyped: " + err.Error()
}

// waitEvent reads ch until an event of type typ (true) or 5 s pass.
func waitEvent(t *testing.T, ch <-chan ipc.Event, typ string) bool {
	t.Helper()
	timeout := time.After(5 * time.Second)
	for {
		select {
		case ev, ok := <-ch:
			if !ok {
				return false
			}
			if ev.Type == typ {
				return true
			}
		case <-timeout:
			return false
		}
	}
}

// collect reads ch for d (virtual time in a bubble) and returns the events
// of type typ.
func collect(ch <-chan ipc.Event, d time.Duration, typ string) []ipc.Event {
	var got []ipc.Event
	timeout := time.After(d)
	for {
		select {
		case ev := <-ch:
			if ev.Type == typ {
				got = append(got, ev)
			}
		case <-timeout:
			return got
		}
	}
}

// standIn installs a notify-send stand-in that records its arguments, and
// returns a function reading the calls so far.
func standIn(t *testing.T, a *Agent) func() []string {
	dir := t.TempDir()
	log := filepath.Join(dir, "calls")
	script := filepath.Join(dir, "notify-send")
	if err := os.WriteFile(script, []byte("#!/bin/sh\nprintf '%s|' \"$@\" >>"+log+"\necho >>"+log+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	a.notify = newNotifier(true)
	a.notify.look = func(name string) (string, error) {
		if name == "notify-send" {
			return script, nil
		}
		return "", os.ErrNotExist
	}
	return func() []string {
		b, _ := os.ReadFile(log)
		return strings.Fields(strings.ReplaceAll(string(b), " ", "_"))
	}
}

// clock is a wall clock that tests can move, shared by the agent and the emulator.
type clock struct {
	mu  sync.Mutex
	off time.Duration
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.off)
}

func (c *clock) jump(d time.Duration) {
	c.mu.Lock()
	c.off += d
	c.mu.Unlock()
}

// tamper flips one character of a token's payload.
func tamper(tok string) string {
	i := strings.IndexByte(tok, '.') + 5
	b := []byte(tok)
	if b[i] == 'A' {
		b[i] = 'B'
	} else {
		b[i] = 'A'
	}
	return string(b)
}
