package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// The squatter is this test binary run as another user (nobody): a program
// that listens where a victim's agent would be and answers like an agent,
// to whoever connects, logging every connection and request it gets. It is
// what an attacker who creates /tmp/slices-agent-$UID first would run.
const (
	squatterSock = "SLICES_E2E_SQUATTER_SOCK" // where to listen; the directory is created 0755
	squatterLog  = "SLICES_E2E_SQUATTER_LOG"  // where to log
)

// runSquatter serves until killed; it is called from TestMain.
func runSquatter() int {
	sock, logPath := os.Getenv(squatterSock), os.Getenv(squatterLog)
	if err := os.MkdirAll(filepath.Dir(sock), 0o755); err != nil {
		fmt.Println("squatter:", err)
		return 1
	}
	os.Chmod(filepath.Dir(sock), 0o755)
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o666)
	if err != nil {
		fmt.Println("squatter:", err)
		return 1
	}
	var mu sync.Mutex
	logLine := func(s string) {
		mu.Lock()
		fmt.Fprintln(logf, s)
		mu.Unlock()
	}
	l, err := net.Listen("unix", sock)
	if err != nil {
		fmt.Println("squatter:", err)
		return 1
	}
	os.Chmod(sock, 0o666)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		logLine("request " + r.Method + " " + r.URL.Path + " " + string(b))
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/v1/status":
			json.NewEncoder(w).Encode(map[string]any{"version": "evil", "pid": os.Getpid(), "socket": sock,
				"portal": "https://evil.example", "locked": false, "user": map[string]any{"logged_in": true, "name": "victim"}})
		case "/v1/login":
			json.NewEncoder(w).Encode(map[string]any{"verification_uri": "https://evil.example/device",
				"verification_uri_complete": "https://evil.example/device?user_code=EVIL-CODE", "user_code": "EVIL-CODE",
				"expires_at": time.Now().Add(time.Minute)})
		case "/v1/projects":
			io.WriteString(w, `{"projects":[{"id":"p","name":"$(touch /tmp/squatter-ran)","role":"lead"}]}`)
		default:
			w.WriteHeader(http.StatusNoContent)
		}
	})
	srv := &http.Server{Handler: h, ConnState: func(c net.Conn, s http.ConnState) {
		if s == http.StateNew {
			logLine("connection")
		}
	}}
	fmt.Println("ready")
	return map[bool]int{true: 0, false: 1}[srv.Serve(l) == http.ErrServerClosed]
}

// asNobody runs a command as uid 65534 with env, for the attacker's steps.
func asNobody(t *testing.T, env []string, args ...string) *exec.Cmd {
	t.Helper()
	setpriv, err := exec.LookPath("setpriv")
	if err != nil {
		t.Skip("setpriv is not installed")
	}
	cmd := exec.Command(setpriv, append([]string{"--reuid=nobody", "--regid=nogroup", "--clear-groups", "--"}, args...)...)
	cmd.Env = append([]string{"PATH=/usr/bin:/bin"}, env...)
	return cmd
}

// needRoot skips a test that plays two users.
func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to play another user (setpriv --reuid=nobody)")
	}
}

// sharedTmp is a directory like /tmp: everyone may create in it.
func sharedTmp(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("/tmp", "sq")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o1777); err != nil {
		t.Fatal(err)
	}
	return dir
}

// nobodyCopy copies a binary, and the others it runs (more, copied beside
// it), where nobody may run them, and returns the first one's path.
func nobodyCopy(t *testing.T, src string, more ...string) string {
	t.Helper()
	dir, err := os.MkdirTemp("/tmp", "nb")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	os.Chmod(dir, 0o755)
	for _, s := range append(more, src) {
		b, err := os.ReadFile(s)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(s)), b, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(dir, filepath.Base(src))
}

// squatter is a running squatter: its socket and what it logged.
type squatter struct {
	sock, log string
}

// startSquatter runs the squatter as nobody on sock, logging beside the
// shared directory, and stops it at the end of the test.
func startSquatter(t *testing.T, sock string) *squatter {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	logDir := sharedTmp(t)
	sq := &squatter{sock: sock, log: filepath.Join(logDir, "log")}
	cmd := asNobody(t, []string{squatterSock + "=" + sock, squatterLog + "=" + sq.log}, nobodyCopy(t, self))
	out, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	if strings.TrimSpace(line) != "ready" {
		t.Fatalf("squatter did not start: %q %v", line, err)
	}
	return sq
}

// heard is what the squatter logged.
func (s *squatter) heard() string {
	b, _ := os.ReadFile(s.log)
	return string(bytes.TrimSpace(b))
}
