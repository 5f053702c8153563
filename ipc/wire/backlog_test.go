//go:build linux

package wire

import (
	"errors"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// An agent that stopped accepting (stopped, frozen) fills its backlog; a
// connect then waits for it. Dial gives up within its bound and calls the
// agent unresponsive, instead of hanging a shell's prompt for good.
func TestDialGivesUpOnAFullBacklog(t *testing.T) {
	dir := t.TempDir()
	sock := filepath.Join(dir, "agent.sock")
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	if err := unix.Bind(fd, &unix.SockaddrUnix{Name: sock}); err != nil {
		t.Fatal(err)
	}
	if err := unix.Listen(fd, 1); err != nil { // and never accept
		t.Fatal(err)
	}
	unresponsive := 0
	for i := range 6 {
		start := time.Now()
		c, err := DialContext(t.Context(), sock, 200*time.Millisecond)
		took := time.Since(start)
		if took > 5*time.Second {
			t.Fatalf("dial %d took %v", i+1, took)
		}
		if err == nil {
			c.Close() // still queued in the backlog
			continue
		}
		if !errors.Is(err, ErrUnresponsive) {
			t.Fatalf("dial %d: %v, want ErrUnresponsive", i+1, err)
		}
		if took < 150*time.Millisecond {
			t.Errorf("dial %d gave up after %v, before its bound", i+1, took)
		}
		unresponsive++
	}
	if unresponsive == 0 {
		t.Fatal("six connects to a listener with a backlog of 1 that never accepts all succeeded")
	}
}
