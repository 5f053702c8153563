package wire

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/slices-ri/slices-agent/internal/safedir"
)

// Dial refuses a socket whose directory is a symbolic link or writable by
// others with a *safedir.Error, before it connects: the agent listening
// there gets no connection, let alone a byte.
func TestDialRefusesUntrustedDirectory(t *testing.T) {
	cases := []struct {
		name string
		// setup returns the socket path to dial, the directory named in the
		// error, and the agent actually listening.
		setup func(t *testing.T, root string) (sock, dir string, a *rawAgent)
		want  string
	}{
		{"writable by others", func(t *testing.T, root string) (string, string, *rawAgent) {
			a := newRawAgent(t, root, writeAll("HTTP/1.1 204 No Content\r\n\r\n"))
			if err := os.Chmod(root, 0o777); err != nil {
				t.Fatal(err)
			}
			return a.path, root, a
		}, "can be written by other users (mode 0777"},
		{"writable by the group", func(t *testing.T, root string) (string, string, *rawAgent) {
			a := newRawAgent(t, root, writeAll("HTTP/1.1 204 No Content\r\n\r\n"))
			if err := os.Chmod(root, 0o770); err != nil {
				t.Fatal(err)
			}
			return a.path, root, a
		}, "can be written by other users (mode 0770"},
		{"symbolic link", func(t *testing.T, root string) (string, string, *rawAgent) {
			real := filepath.Join(root, "real")
			if err := os.Mkdir(real, 0o700); err != nil {
				t.Fatal(err)
			}
			a := newRawAgent(t, real, writeAll("HTTP/1.1 204 No Content\r\n\r\n"))
			link := filepath.Join(root, "link")
			if err := os.Symlink(real, link); err != nil {
				t.Fatal(err)
			}
			return filepath.Join(link, "agent.sock"), link, a
		}, "is a symbolic link"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			root := shortDir(t)
			sock, dir, a := c.setup(t, root)
			conn, err := Dial(sock)
			if err == nil {
				conn.Close()
			}
			var se *safedir.Error
			if !errors.As(err, &se) || se.What != "socket directory" || se.Path != dir || !strings.Contains(se.Reason, c.want) {
				t.Errorf("%v, want a *safedir.Error on socket directory %s saying %q", err, dir, c.want)
			}
			// Reach the same agent by a trusted path: connections are
			// accepted in the order they were made, so had the refused
			// Dial connected, the agent would hold two by the answer.
			if err := os.Chmod(root, 0o700); err != nil {
				t.Fatal(err)
			}
			resp, err := roundTrip(ctxT(t), a.path, &Request{Method: "GET", Target: "/after-the-refusal"}, 10*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			readBody(t, resp)
			a.waitEnded(t)
			if got := a.accepted(); len(got) != 1 || !strings.HasPrefix(string(got[0]), "GET /after-the-refusal ") {
				t.Errorf("the agent accepted %q, want only the request made by the trusted path", got)
			}
		})
	}
}

// A socket nobody listens on is an *os.PathError naming it: ENOENT when it
// or its directory is missing, ECONNREFUSED when it is left over.
func TestDialWithoutAgent(t *testing.T) {
	dir := shortDir(t)
	stale := filepath.Join(dir, "stale.sock")
	l, err := net.Listen("unix", stale)
	if err != nil {
		t.Fatal(err)
	}
	l.(*net.UnixListener).SetUnlinkOnClose(false)
	l.Close()
	for path, want := range map[string]error{
		filepath.Join(dir, "agent.sock"):            syscall.ENOENT,
		filepath.Join(dir, "missing", "agent.sock"): syscall.ENOENT,
		stale: syscall.ECONNREFUSED,
	} {
		conn, err := Dial(path)
		if err == nil {
			conn.Close()
		}
		var pe *os.PathError
		if !errors.Is(err, want) || !errors.As(err, &pe) || pe.Op != "dial" || pe.Path != path {
			t.Errorf("Dial(%s): %v, want %v in an *os.PathError naming the path", path, err, want)
		}
	}
}

// The peer of a connection is the process serving it; CheckPeer passes the
// user's own uid only.
func TestPeer(t *testing.T) {
	a := newRawAgent(t, "", silent)
	conn, err := Dial(a.path)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	p, err := PeerOfFD(conn.fd)
	if want := (Peer{UID: os.Geteuid(), GID: os.Getegid(), PID: os.Getpid()}); err != nil || p != want {
		t.Errorf("peer %+v, %v; want %+v", p, err, want)
	}
	var se *safedir.Error
	if err := CheckPeer("/s", Peer{UID: os.Geteuid() + 1, PID: 7}, nil); !errors.As(err, &se) || se.UID != os.Geteuid()+1 ||
		se.What != "agent socket" || !strings.Contains(se.Reason, "(pid 7), not by you") {
		t.Errorf("a peer of another uid: %v", err)
	}
	if err := CheckPeer("/s", Peer{}, errors.New("no credentials")); !errors.As(err, &se) || se.UID != -1 ||
		!strings.Contains(se.Reason, "no credentials") {
		t.Errorf("unreadable credentials: %v", err)
	}
	if err := CheckPeer("/s", Peer{UID: os.Geteuid()}, nil); err != nil {
		t.Errorf("the user's own peer: %v", err)
	}
}

// helperEnv names the socket a foreign agent (this test binary run as
// another user) listens on.
const helperEnv = "WIRE_TEST_FOREIGN_AGENT"

// TestMain runs the foreign agent when helperEnv names its socket, and the
// tests otherwise.
func TestMain(m *testing.M) {
	if path := os.Getenv(helperEnv); path != "" {
		os.Exit(foreignAgent(path))
	}
	os.Exit(m.Run())
}

// foreignAgent listens on path, says "ready", and says how many bytes its
// one connection got.
func foreignAgent(path string) int {
	l, err := net.Listen("unix", path)
	if err != nil {
		fmt.Println("listen:", err)
		return 1
	}
	fmt.Println("ready")
	c, err := l.Accept()
	if err != nil {
		fmt.Println("accept:", err)
		return 1
	}
	c.SetDeadline(time.Now().Add(20 * time.Second))
	n, err := io.Copy(io.Discard, c)
	fmt.Printf("got %d %v\n", n, err)
	return 0
}

// Dial refuses an agent that runs as another user (root only: the agent
// runs as nobody under setpriv), before it sends a byte.
func TestDialRefusesForeignAgent(t *testing.T) {
	setpriv, err := exec.LookPath("setpriv")
	if os.Geteuid() != 0 || err != nil {
		t.Skip("needs root and setpriv to run an agent as another user")
	}
	// The test binary, where nobody can run it; a directory where nobody
	// can bind.
	open := shortDir(t)
	if err := os.Chmod(open, 0o777); err != nil {
		t.Fatal(err)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(open, "wire.test")
	if b, err := os.ReadFile(self); err != nil || os.WriteFile(bin, b, 0o755) != nil {
		t.Fatal("copying the test binary:", err)
	}
	cmd := exec.Command(setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", bin)
	cmd.Env = append(os.Environ(), helperEnv+"="+filepath.Join(open, "agent.sock"))
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	lines := bufio.NewScanner(out)
	if !lines.Scan() || lines.Text() != "ready" {
		t.Fatalf("the foreign agent said %q, %v", lines.Text(), lines.Err())
	}
	// Move its socket into a directory of the user's own, so that only the
	// peer check stands in the way.
	sock := filepath.Join(shortDir(t), "agent.sock")
	if err := os.Rename(filepath.Join(open, "agent.sock"), sock); err != nil {
		t.Fatal(err)
	}
	conn, err := Dial(sock)
	if err == nil {
		conn.RoundTrip(ctxT(t), status, time.Second)
	}
	var se *safedir.Error
	if !errors.As(err, &se) || se.What != "agent socket" || se.UID != 65534 || !strings.Contains(se.Reason, "is served by") {
		t.Errorf("%v, want a *safedir.Error on the agent socket served by uid 65534", err)
	}
	if !lines.Scan() || lines.Text() != "got 0 <nil>" {
		t.Errorf("the foreign agent said %q, want that it got nothing", lines.Text())
	}
}
