package ipc

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A one-shot call blocked on a silent agent ends when its context is
// cancelled, well before the watchdog, with the context's error.
func TestOneShotCancelled(t *testing.T) {
	path, accepted := silentAgent(t)
	c := NewOneShotClient(path)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { _, err := c.TokenRaw(ctx, "", 0); done <- err }()
	<-accepted
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled call: %v, want context.Canceled", err)
		}
	case <-time.After(AnswerWithin - time.Second):
		t.Fatal("a cancelled call did not return before the watchdog")
	}
}

// A one-shot client sends nothing to a socket whose directory others may
// write to (someone could have swapped the socket): it fails with a
// UntrustedError naming the directory, before it connects.
func TestOneShotRefusesAnOpenDirectory(t *testing.T) {
	dir, err := os.MkdirTemp("/tmp", "os")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "agent.sock")
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	got := make(chan struct{}, 1)
	go func() {
		if c, err := l.Accept(); err == nil {
			got <- struct{}{}
			c.Close()
		}
	}()
	_, err = NewOneShotClient(path).Status(ctxT(t))
	var ue *UntrustedError
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), "socket directory "+dir) {
		t.Fatalf("status through an open directory: %v, want an UntrustedError naming %s", err, dir)
	}
	l.Close()
	select {
	case <-got:
		t.Fatal("the client connected anyway")
	default:
	}
}
