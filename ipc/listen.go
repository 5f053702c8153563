package ipc

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/slices-ri/slices-agent/internal/safedir"
	"github.com/slices-ri/slices-agent/ipc/wire"
)

// EnvSocket is the environment variable that names the agent's socket.
const EnvSocket = wire.EnvSocket

// EnvPID is the environment variable that holds the agent's pid.
const EnvPID = "SLICES_AGENT_PID"

// DefaultSocketPath is $XDG_RUNTIME_DIR/slices-agent/agent.sock, or
// ${TMPDIR:-/tmp}/slices-agent-$UID/agent.sock (wire.DefaultSocketPath).
func DefaultSocketPath() string { return wire.DefaultSocketPath() }

// DefaultSinkDir is where token files (sinks) named without a directory go:
// $XDG_RUNTIME_DIR/slices-agent/sinks, or ${TMPDIR:-/tmp}/slices-agent-$UID/sinks.
func DefaultSinkDir() string {
	return filepath.Join(filepath.Dir(DefaultSocketPath()), "sinks")
}

// ResolveSocket picks the socket path: flag if set, else $SLICES_AGENT_SOCK,
// else DefaultSocketPath (wire.ResolveSocket).
func ResolveSocket(flag string) string { return wire.ResolveSocket(flag) }

// LiveSocketError says that an agent already answers on Path.
type LiveSocketError struct {
	Path string
	PID  int // 0 when the listener did not say
}

// Error names the path and, when known, the pid.
func (e *LiveSocketError) Error() string {
	if e.PID > 0 {
		return fmt.Sprintf("an agent is already running on %s (pid %d)", e.Path, e.PID)
	}
	return fmt.Sprintf("something is already listening on %s", e.Path)
}

// probeTimeout bounds the check of an existing socket.
const probeTimeout = time.Second

// Listen listens on the Unix socket path: it creates the directory 0700 when
// missing, refuses a directory that is a symbolic link, is not the user's or
// that others may write to (*UntrustedError), refuses a socket something
// answers on (*LiveSocketError),
// replaces a stale one, and leaves the socket 0600.
func Listen(path string) (net.Listener, error) {
	if err := safedir.Ensure(filepath.Dir(path), "socket directory"); err != nil {
		return nil, err
	}
	unlock, err := lockDir(path)
	if err != nil {
		return nil, err
	}
	defer unlock()
	if err := clearStale(path); err != nil {
		return nil, err
	}
	l, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", path, errors.Unwrap(err))
	}
	if err := os.Chmod(path, 0o600); err != nil {
		l.Close()
		return nil, fmt.Errorf("socket %s: %w", path, err)
	}
	return l, nil
}

// lockDir serialises concurrent Listen calls on one path, so that two agents
// starting together do not both remove the socket and listen.
func lockDir(path string) (func(), error) {
	f, err := safedir.OpenFile(path+".lock", os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("socket lock: %w", err)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("socket lock %s: %w", f.Name(), err)
	}
	return func() {
		_ = unix.Flock(int(f.Fd()), unix.LOCK_UN)
		f.Close()
	}, nil
}

// clearStale removes a socket file nobody answers on and refuses a live one.
func clearStale(path string) error {
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if fi.Mode().Type() != fs.ModeSocket {
		return fmt.Errorf("%s exists and is not a socket", path)
	}
	conn, err := net.DialTimeout("unix", path, probeTimeout)
	if err == nil {
		conn.Close()
		return &LiveSocketError{Path: path, PID: probePID(path)}
	}
	if !errors.Is(err, syscall.ECONNREFUSED) {
		return fmt.Errorf("check socket %s: %w", path, errors.Unwrap(err))
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove stale socket: %w", err)
	}
	return nil
}

// probePID asks the agent on path for its pid; 0 when it does not answer.
func probePID(path string) int {
	c := NewClient(path)
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), probeTimeout)
	defer cancel()
	st, err := c.Status(ctx)
	if err != nil {
		return 0
	}
	return st.PID
}

// NewServer returns an http.Server for h with the socket's limits: header
// and body read timeouts, an idle timeout, 16 KiB of headers, no write
// timeout (the handler sets one per answer so that /v1/events can stream),
// peer credentials in each request's context (see PeerFromContext), and
// request contexts cancelled by Shutdown so that event streams end.
func NewServer(h http.Handler) *http.Server {
	base, cancel := context.WithCancel(context.Background())
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    16 << 10,
		BaseContext:       func(net.Listener) context.Context { return base },
		ConnContext:       connContext,
	}
	srv.RegisterOnShutdown(cancel)
	return srv
}
