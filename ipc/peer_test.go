package ipc

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// servePeer serves h behind PeerCheckListener(uid) and returns the socket path.
func servePeer(t *testing.T, uid int, h http.Handler, log *slog.Logger) string {
	t.Helper()
	path := filepath.Join(shortDir(t), "agent.sock")
	l, err := Listen(path)
	if err != nil {
		t.Fatal(err)
	}
	srv := NewServer(h)
	go srv.Serve(PeerCheckListener(l, uid, log))
	t.Cleanup(func() { srv.Close() })
	return path
}

// TestPeerOtherUIDRefused expects a uid the test does not run as, so its own
// connection must be closed before any byte is written.
func TestPeerOtherUIDRefused(t *testing.T) {
	var logs syncBuffer
	served := make(chan struct{}, 1)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { served <- struct{}{} })
	path := servePeer(t, os.Getuid()+1, h, slog.New(slog.NewTextHandler(&logs, nil)))

	c, err := net.DialTimeout("unix", path, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	_, _ = io.WriteString(c, "GET /v1/status HTTP/1.1\r\nHost: agent\r\n\r\n")
	b, err := io.ReadAll(c)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatal("connection from another uid was left open")
	}
	if len(b) != 0 {
		t.Errorf("connection from another uid got %d bytes: %q", len(b), b)
	}
	select {
	case <-served:
		t.Error("handler ran for another uid")
	default:
	}
	want := "peer_uid=" + strconv.Itoa(os.Getuid())
	if !strings.Contains(logs.String(), "refused a connection from another user") || !strings.Contains(logs.String(), want) {
		t.Errorf("refusal not logged with %s: %q", want, logs.String())
	}

	// The Client sees an error, not ErrNoAgent: something is there but refuses us.
	_, err = NewClient(path).Status(ctxT(t))
	if err == nil || errors.Is(err, ErrNoAgent) {
		t.Errorf("Client against a refusing agent: %v", err)
	}
}

func TestPeerInContext(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, ok := PeerFromContext(r.Context())
		if !ok {
			http.Error(w, "no peer", 500)
			return
		}
		_ = json.NewEncoder(w).Encode(p)
	})
	path := servePeer(t, os.Getuid(), h, nil)
	resp, err := unixHTTP(path).Get("http://agent/")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var p Peer
	if err := json.NewDecoder(resp.Body).Decode(&p); err != nil {
		t.Fatalf("no peer in context: %v", err)
	}
	if want := (Peer{UID: os.Getuid(), GID: os.Getgid(), PID: os.Getpid()}); p != want {
		t.Errorf("peer %+v, want %+v", p, want)
	}
}

// TestPeerRealOtherUser connects as nobody through curl under setpriv (root
// only): the agent must close the connection unserved, and serve root.
func TestPeerRealOtherUser(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to run a client as another user")
	}
	setpriv, err1 := exec.LookPath("setpriv")
	curl, err2 := exec.LookPath("curl")
	if err1 != nil || err2 != nil {
		t.Skip("needs setpriv and curl")
	}
	var logs syncBuffer
	path := servePeer(t, os.Getuid(), NewHandler(newFake(), HandlerOptions{}), slog.New(slog.NewTextHandler(&logs, nil)))
	// Open the file system path to everyone so that only the peer check stands.
	if err := os.Chmod(filepath.Dir(path), 0o755); err != nil { // the test's own directory
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o666); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	args := []string{"-sS", "--max-time", "5", "--unix-socket", path, "http://agent/v1/status"}
	cmd := exec.CommandContext(ctx, setpriv, append([]string{"--reuid=65534", "--regid=65534", "--clear-groups", curl}, args...)...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	var ee *exec.ExitError
	// curl reports a connection closed at once as 7 (could not connect), 52
	// (empty reply) or 56 (reset), depending on timing.
	if !errors.As(err, &ee) || (ee.ExitCode() != 7 && ee.ExitCode() != 52 && ee.ExitCode() != 56) || len(out) != 0 {
		t.Errorf("curl as nobody: err %v, output %q, stderr %q; want the connection closed unserved", err, out, stderr.String())
	}
	if !strings.Contains(logs.String(), "peer_uid=65534") {
		t.Errorf("refusal of uid 65534 not logged: %q", logs.String())
	}
	out, err = exec.CommandContext(ctx, curl, args...).Output()
	if err != nil || !strings.Contains(string(out), `"pid":4242`) {
		t.Errorf("curl as root: %v %q", err, out)
	}
}
