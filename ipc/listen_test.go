package ipc

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestSocketResolution(t *testing.T) {
	uid := strconv.Itoa(os.Getuid())
	cases := []struct {
		flag, env, xdg, tmp string
		want                string
	}{
		{"/f.sock", "/e.sock", "/run/u", "/t", "/f.sock"},
		{"", "/e.sock", "/run/u", "/t", "/e.sock"},
		{"", "", "/run/u", "/t", "/run/u/slices-agent/agent.sock"},
		{"", "", "", "/t", "/t/slices-agent-" + uid + "/agent.sock"},
		{"", "", "", "", "/tmp/slices-agent-" + uid + "/agent.sock"},
	}
	for _, tc := range cases {
		t.Setenv(EnvSocket, tc.env)
		t.Setenv("XDG_RUNTIME_DIR", tc.xdg)
		t.Setenv("TMPDIR", tc.tmp)
		if got := ResolveSocket(tc.flag); got != tc.want {
			t.Errorf("ResolveSocket(%q) with env=%q xdg=%q tmp=%q = %q, want %q", tc.flag, tc.env, tc.xdg, tc.tmp, got, tc.want)
		}
	}
}

// shortDir is a temporary directory with a short path (socket paths are
// limited to 108 bytes).
func shortDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("/tmp", "ipc")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

func mode(t *testing.T, path string) os.FileMode {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Perm()
}

func TestListenCreatesPrivateDirAndSocket(t *testing.T) {
	path := filepath.Join(shortDir(t), "a", "b", "agent.sock")
	l, err := Listen(path)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if m := mode(t, filepath.Dir(path)); m != 0o700 {
		t.Errorf("directory mode %04o, want 0700", m)
	}
	if m := mode(t, path); m != 0o600 {
		t.Errorf("socket mode %04o, want 0600", m)
	}
	l.Close()
	if _, err := os.Lstat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("socket file left after Close: %v", err)
	}
}

func TestListenLiveSocket(t *testing.T) {
	path := serve(t, NewHandler(newFake(), HandlerOptions{}), nil)
	_, err := Listen(path)
	var live *LiveSocketError
	if !errors.As(err, &live) || live.PID != 4242 || live.Path != path {
		t.Fatalf("Listen on a live agent: %v, want LiveSocketError with pid 4242", err)
	}
	if want := "an agent is already running on " + path + " (pid 4242)"; err.Error() != want {
		t.Errorf("message %q, want %q", err, want)
	}
	// The refused Listen left the live socket alone.
	if _, err := NewClient(path).Status(ctxT(t)); err != nil {
		t.Errorf("live agent broken by the refused Listen: %v", err)
	}

	// Something that accepts but does not speak the API is live too.
	other := filepath.Join(shortDir(t), "o.sock")
	ol, err := net.Listen("unix", other)
	if err != nil {
		t.Fatal(err)
	}
	defer ol.Close()
	go func() {
		for {
			c, err := ol.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	_, err = Listen(other)
	if !errors.As(err, &live) || live.PID != 0 || !strings.Contains(err.Error(), other) {
		t.Errorf("Listen on a non-agent listener: %v, want LiveSocketError without pid", err)
	}
}

func TestListenReplacesStaleSocket(t *testing.T) {
	path := filepath.Join(shortDir(t), "agent.sock")
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	l.(*net.UnixListener).SetUnlinkOnClose(false)
	l.Close() // a socket file nobody answers on, as after kill -9
	l, err = Listen(path)
	if err != nil {
		t.Fatalf("Listen over a stale socket: %v", err)
	}
	defer l.Close()
	srv := NewServer(NewHandler(newFake(), HandlerOptions{}))
	go srv.Serve(l)
	defer srv.Close()
	if _, err := NewClient(path).Status(ctxT(t)); err != nil {
		t.Errorf("new agent does not answer: %v", err)
	}
}

func TestListenRefusesUnsafePlaces(t *testing.T) {
	dir := shortDir(t)
	open := filepath.Join(dir, "open")
	if err := os.Mkdir(open, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(open, 0o777); err != nil {
		t.Fatal(err)
	}
	if _, err := Listen(filepath.Join(open, "a.sock")); err == nil || !strings.Contains(err.Error(), "0777") {
		t.Errorf("directory mode 0777: %v, want a refusal naming the mode", err)
	}
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Listen(file); err == nil || !strings.Contains(err.Error(), "not a socket") {
		t.Errorf("regular file in place of the socket: %v", err)
	}
	if _, err := Listen(filepath.Join(file, "a.sock")); err == nil || !strings.Contains(err.Error(), "not a directory") {
		t.Errorf("file in place of the directory: %v", err)
	}
	// Readable by others but not writable (a home directory) is safe: the
	// socket itself is 0600 and nobody else can replace it.
	home := filepath.Join(dir, "home")
	if err := os.Mkdir(home, 0o755); err != nil {
		t.Fatal(err)
	}
	l, err := Listen(filepath.Join(home, "a.sock"))
	if err != nil {
		t.Errorf("directory mode 0755: %v", err)
	} else {
		l.Close()
	}
}

func TestListenRefusesOtherOwner(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to chown a directory to another user")
	}
	dir := filepath.Join(shortDir(t), "theirs")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(dir, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	_, err := Listen(filepath.Join(dir, "a.sock"))
	if err == nil || !strings.Contains(err.Error(), "owned by uid 65534") {
		t.Errorf("directory owned by nobody: %v, want a refusal", err)
	}
}

// TestListenConcurrent starts several Listen calls on one path at once:
// exactly one wins and the others see a live socket.
func TestListenConcurrent(t *testing.T) {
	path := filepath.Join(shortDir(t), "agent.sock")
	const n = 4
	type result struct {
		l   net.Listener
		err error
	}
	results := make(chan result, n)
	for range n {
		go func() {
			l, err := Listen(path)
			if err == nil {
				go NewServer(NewHandler(newFake(), HandlerOptions{})).Serve(l)
			}
			results <- result{l, err}
		}()
	}
	wins := 0
	for range n {
		select {
		case r := <-results:
			var live *LiveSocketError
			switch {
			case r.err == nil:
				wins++
				defer r.l.Close()
			case !errors.As(r.err, &live):
				t.Errorf("loser got %v, want LiveSocketError", r.err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("Listen calls did not finish within 10s")
		}
	}
	if wins != 1 {
		t.Errorf("%d Listen calls won, want 1", wins)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := NewClient(path).Status(ctx); err != nil {
		t.Errorf("winner does not answer: %v", err)
	}
}
