package ipc

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// squatter listens on path like a foreign agent would and counts the
// connections it gets; a client that checks first never reaches it.
func squatter(t *testing.T, path string) *atomic.Int32 {
	t.Helper()
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	var n atomic.Int32
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			n.Add(1)
			c.Close()
		}
	}()
	return &n
}

// A client refuses a socket whose directory is a symbolic link or can be
// written by others, before it connects: the listener there sees nothing,
// and the error is an *UntrustedError (exit 3 in the CLI) naming the path.
func TestClientRefusesUntrustedSocketDirectory(t *testing.T) {
	root := shortDir(t)
	real := filepath.Join(root, "real")
	if err := os.Mkdir(real, 0o700); err != nil {
		t.Fatal(err)
	}
	hits := squatter(t, filepath.Join(real, "agent.sock"))
	link := filepath.Join(root, "link")
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	open := filepath.Join(root, "open")
	if err := os.Mkdir(open, 0o700); err != nil {
		t.Fatal(err)
	}
	openHits := squatter(t, filepath.Join(open, "agent.sock"))
	if err := os.Chmod(open, 0o777); err != nil {
		t.Fatal(err)
	}
	cases := []struct{ sock, dir, want string }{
		{filepath.Join(link, "agent.sock"), link, "is a symbolic link owned by uid "},
		{filepath.Join(open, "agent.sock"), open, "can be written by other users (mode 0777"},
	}
	for _, c := range cases {
		cl := NewClient(c.sock)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_, err := cl.Status(ctx)
		cancel()
		cl.Close()
		var ue *UntrustedError
		if !errors.As(err, &ue) || errors.Is(err, ErrNoAgent) ||
			!strings.HasPrefix(err.Error(), "socket directory "+c.dir+" ") || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an UntrustedError (not ErrNoAgent: nobody may start an agent there) naming %s and %q", c.sock, err, c.dir, c.want)
		}
	}
	if hits.Load() != 0 || openHits.Load() != 0 {
		t.Errorf("the listeners got %d and %d connections, want none", hits.Load(), openHits.Load())
	}
	// The real directory, reached by its own name, is fine: the check is
	// about the path the client was given.
	cl := NewClient(filepath.Join(real, "agent.sock"))
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := cl.Status(ctx); err == nil || errors.As(err, new(*UntrustedError)) {
		t.Errorf("own directory: %v, want the squatter's hang-up, not a refusal", err)
	}
}

// The agent refuses to listen in a symbolic link to a directory, even one of its own.
func TestListenRefusesSymlinkedDirectory(t *testing.T) {
	root := shortDir(t)
	real := filepath.Join(root, "real")
	if err := os.Mkdir(real, 0o700); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(root, "link")
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	l, err := Listen(filepath.Join(link, "agent.sock"))
	if err == nil {
		l.Close()
		t.Fatal("Listen accepted a symlinked directory")
	}
	var ue *UntrustedError
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), "socket directory "+link+" is a symbolic link") {
		t.Errorf("Listen: %v", err)
	}
	if _, err := os.Lstat(filepath.Join(real, "agent.sock")); err == nil {
		t.Error("a socket was created behind the link")
	}
}
