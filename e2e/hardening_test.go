package e2e

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// lockedBuffer collects a process's output while tests read it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// agentProc is an agent started in the foreground by a test, its stderr kept.
type agentProc struct {
	pid  int
	sock string
	log  *lockedBuffer
	done chan struct{}
}

// startAgent runs 'slices-agent -a sock MODE args...' (MODE -D or -d) in
// the home, waits until it answers, and stops it at the end of the test.
func startAgent(t *testing.T, h *home, sock, mode string, args ...string) *agentProc {
	t.Helper()
	cmd := exec.Command(bin("slices-agent"), append([]string{"-a", sock, mode}, args...)...)
	cmd.Env = h.env
	a := &agentProc{sock: sock, log: &lockedBuffer{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = a.log, a.log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	a.pid = cmd.Process.Pid
	go func() { cmd.Wait(); close(a.done) }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-a.done:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-a.done
		}
	})
	for deadline := time.Now().Add(10 * time.Second); ; {
		if code, _ := socketGet(t, sock, "GET", "/v1/status", nil, nil); code == 200 {
			return a
		}
		select {
		case <-a.done:
			t.Fatalf("the agent exited while starting: %s", a.log.String())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("the agent did not answer on %s: %s", sock, a.log.String())
		}
	}
}

// wait waits for the agent to exit after a stop, for at most 10 s.
func (a *agentProc) wait(t *testing.T) {
	t.Helper()
	select {
	case <-a.done:
	case <-time.After(10 * time.Second):
		t.Fatalf("agent %d still running 10 s after stop", a.pid)
	}
}

// procStatus reads one numeric field (in kB for sizes) of /proc/PID/status.
func procStatus(t *testing.T, pid int, field string) int {
	t.Helper()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		t.Fatalf("reading the agent's status: %v", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			n, _ := strconv.Atoi(strings.Fields(v)[0])
			return n
		}
	}
	t.Fatalf("no %s in /proc/%d/status", field, pid)
	return 0
}

// openFDs counts the agent's open file descriptors.
func openFDs(t *testing.T, pid int) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/" + strconv.Itoa(pid) + "/fd")
	if err != nil {
		t.Fatalf("listing the agent's fds: %v", err)
	}
	return len(ents)
}

// rawExchange writes raw on a new connection, half-closes it and returns
// everything the agent answers within timeout.
func rawExchange(t *testing.T, sock string, raw []byte, timeout time.Duration) []byte {
	t.Helper()
	c, err := net.DialTimeout("unix", sock, timeout)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(timeout))
	go func() {
		_, _ = c.Write(raw)
		_ = c.(*net.UnixConn).CloseWrite()
	}()
	out, err := io.ReadAll(c)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("no end of answer within %v to %.60q; got %.200q", timeout, raw, out)
	}
	return out
}

// Another user cannot reach the agent: their client refuses a socket in a
// directory that is not theirs, and when the socket is opened up and reached
// anyway (curl) the agent closes their connection before writing a single
// byte.
func TestOtherUserRefused(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to run a client as another user (setpriv --reuid=nobody)")
	}
	setpriv, err := exec.LookPath("setpriv")
	if err != nil {
		t.Skip("setpriv is not installed")
	}
	t.Parallel()
	p := startPortal(t)
	h := newHome(t, p.url)
	// A directory others may enter (0755, which the agent accepts: it is
	// not writable by them). Another user's client refuses it before it
	// connects (not the user's own directory); behind that stand the
	// socket's own mode and the agent's peer check.
	dir := filepath.Join(h.dir, "o")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	os.Chmod(h.dir, 0o755)
	sock := filepath.Join(dir, "agent.sock")
	a := startAgent(t, h, sock, "-D", "--keyring", "memory")
	h.mustRun("-a", sock, "login", "--no-browser")
	tok := strings.TrimSpace(h.mustRun("-a", sock, "token", "ilabt-dev"))

	fi, err := os.Stat(sock)
	if err != nil || fi.Mode().Perm() != 0o600 || fi.Sys().(*syscall.Stat_t).Uid != 0 {
		t.Fatalf("socket %v mode %v: want 0600 owned by root", err, fi.Mode())
	}
	// A copy of the client (the front end and the core it hands over to)
	// that nobody may execute.
	cli := filepath.Join(h.dir, "x", "slices-agent")
	os.MkdirAll(filepath.Dir(cli), 0o755)
	for _, name := range []string{"slices-agent", "slices-agent-core"} {
		if b, err := os.ReadFile(bin(name)); err != nil || os.WriteFile(filepath.Join(h.dir, "x", name), b, 0o755) != nil {
			t.Fatalf("copying the client: %v", err)
		}
	}
	asNobody := func(args ...string) result {
		cmd := exec.Command(setpriv, append([]string{"--reuid=nobody", "--regid=nogroup", "--clear-groups", "--"}, args...)...)
		cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=/nonexistent", "SLICES_AGENT_SOCK=" + sock}
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatalf("setpriv: %v", err)
		}
		return result{out.String(), errb.String(), code}
	}

	// 1. The client's own check: the socket's directory is root's, so
	// nobody's client refuses it before connecting (exit 3, naming the owner).
	r := asNobody(cli, "token", "ilabt-dev")
	if r.code != 3 || r.stdout != "" || !strings.Contains(r.stderr, "socket directory "+dir+" is owned by uid 0 (root), not by you (uid 65534") {
		t.Errorf("nobody on root's socket: %v, want exit 3 naming the directory's owner", r)
	}
	// 2. The peer check: with the socket opened to all, the connection is
	// accepted by the kernel and closed by the agent unserved.
	if err := os.Chmod(sock, 0o666); err != nil {
		t.Fatal(err)
	}
	r = asNobody(cli, "token", "ilabt-dev")
	if r.code == 0 || r.stdout != "" || strings.Contains(r.stderr, tok) {
		t.Errorf("nobody on an open socket got served: %v", r)
	}
	if curl, err := exec.LookPath("curl"); err == nil {
		// curl exit 52 "empty reply", 56 "connection reset" or 7 (closed before
		// curl saw the connection up), depending on the race:
		// (the agent closes with the request unread): not one byte came back.
		r = asNobody(curl, "-sS", "--max-time", "5", "--unix-socket", sock, "-w", "%{size_header}+%{size_download}",
			"http://agent/v1/projects/ilabt-dev/token")
		if (r.code != 7 && r.code != 52 && r.code != 56) || r.stdout != "0+0" || strings.Contains(r.stderr, "denied") {
			t.Errorf("curl as nobody: %v, want exit 7, 52 or 56 and 0+0 bytes", r)
		}
	} else {
		t.Log("no curl: the byte-level check is skipped")
	}
	if log := a.log.String(); !strings.Contains(log, "refused a connection from another user") || !strings.Contains(log, "peer_uid=65534") {
		t.Errorf("the agent's log does not record the refusal: %q", log)
	}
	// The owner is still served, with the same token.
	if got := strings.TrimSpace(h.mustRun("-a", sock, "token", "ilabt-dev")); got != tok {
		t.Error("the owner lost the token after the refused connections")
	}
}

// A socket directory that is not the user's, or that others may write to,
// makes the agent refuse to start, with the reason and exit 3, and creates
// no socket.
func TestSocketDirRefused(t *testing.T) {
	t.Parallel()
	p := startPortal(t)
	h := newHome(t, p.url)
	file := filepath.Join(h.dir, "file")
	os.WriteFile(file, nil, 0o600)
	cases := []struct {
		name  string
		mode  os.FileMode
		owner int // -1 keeps ours
		want  string
	}{
		{"world-writable", 0o777, -1, "can be written by other users (mode 0777, owner uid 0"},
		{"group-writable", 0o770, -1, "can be written by other users (mode 0770, owner uid 0"},
		{"sticky-world", 0o1777, -1, "can be written by other users"},
		{"other-owner", 0o700, 65534, "is owned by uid 65534 (nobody), not by you (uid 0"},
	}
	for _, c := range cases {
		if c.owner >= 0 && os.Geteuid() != 0 {
			t.Logf("%s: needs root to chown, skipped", c.name)
			continue
		}
		dir := filepath.Join(h.dir, c.name)
		os.Mkdir(dir, 0o700)
		if err := os.Chmod(dir, c.mode); err != nil {
			t.Fatal(err)
		}
		if c.owner >= 0 {
			if err := os.Chown(dir, c.owner, -1); err != nil {
				t.Fatal(err)
			}
		}
		for _, mode := range [][]string{{"-D"}, {"env", "-s"}} {
			sock := filepath.Join(dir, "agent.sock")
			r := h.run(append([]string{"-a", sock, "--keyring", "memory"}, mode...)...)
			if r.code != 3 || !strings.Contains(r.stderr, "socket directory "+dir+" ") || !strings.Contains(r.stderr, c.want) {
				t.Errorf("%s, %v: %v, want exit 3 and %q", c.name, mode, r, c.want)
			}
			if _, err := os.Lstat(sock); err == nil {
				t.Errorf("%s, %v: a socket was created", c.name, mode)
			}
		}
	}
	r := h.run("-a", filepath.Join(file, "agent.sock"), "-D", "--keyring", "memory")
	if r.code != 3 || !strings.Contains(r.stderr, "slices-agent: socket directory") {
		t.Errorf("socket directory that is a file: %v", r)
	}
}

// Malformed HTTP, oversized headers and bodies get net/http's or the API's
// refusal on every connection; the agent's memory stays put and it goes on
// serving the token it had.
func TestHostileSocketInput(t *testing.T) {
	t.Parallel()
	p := startPortal(t)
	h := newHome(t, p.url)
	sock, pid := h.eval(h.mustRun("env", "-s", "--keyring", "memory"))
	h.mustRun("login", "--no-browser")
	tok := strings.TrimSpace(h.mustRun("token", "ilabt-dev"))
	rss0 := procStatus(t, pid, "VmRSS")

	const req = "GET /v1/projects/ilabt-dev/token HTTP/1.1\r\nHost: agent\r\n"
	tenMB := strings.Repeat("x", 10<<20)
	chunked := func(path string) string {
		return "POST " + path + " HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n" +
			strings.Repeat(strconv.FormatInt(1<<20, 16)+"\r\n"+tenMB[:1<<20]+"\r\n", 10) + "0\r\n\r\n"
	}
	cases := []struct{ name, raw, want string }{
		{"garbage", "\x00\x01\x02\xff\xfe\r\n\r\n", "HTTP/1.1 400 "},
		{"tls client hello", "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + strings.Repeat("\x00", 64), "HTTP/1.1 400 "},
		{"request line without version", "GET /v1/token\r\n\r\n", "HTTP/1.1 400 "},
		{"HTTP/0.9 simple request", "GET /v1/token\n", "HTTP/1.1 400 "},
		{"HTTP/0.9 version", "GET /v1/token HTTP/0.9\r\n\r\n", "HTTP/1.1 505 "},
		{"HTTP/2 preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "HTTP/1.1 400 "},
		{"control byte in method", "G\x00T /v1/token HTTP/1.1\r\nHost: a\r\n\r\n", "HTTP/1.1 400 "},
		{"no Host", "GET /v1/status HTTP/1.1\r\n\r\n", "HTTP/1.1 400 "},
		{"1 MB header", req + "X-Big: " + tenMB[:1<<20] + "\r\n\r\n", "HTTP/1.1 431 "},
		{"1 MB URL", "GET /v1/projects/" + tenMB[:1<<20] + "/token HTTP/1.1\r\nHost: a\r\n\r\n", "HTTP/1.1 431 "},
		{"header flood 100k", req + strings.Repeat("X-F: 1\r\n", 100000) + "\r\n", "HTTP/1.1 431 "},
		{"300 headers within the limit", req + strings.Repeat("X-F: 1\r\n", 300) + "\r\n", "HTTP/1.1 200 "},
		{"10 MB body with a length", "POST /v1/refresh HTTP/1.1\r\nHost: a\r\nContent-Length: 10485760\r\n\r\n" + tenMB, "HTTP/1.1 413 "},
		{"10 MB chunked body", chunked("/v1/refresh"), "HTTP/1.1 413 "},
		{"10 MB passphrase", chunked("/v1/unlock"), "HTTP/1.1 413 "},
		{"10 MB import", chunked("/v1/import"), "HTTP/1.1 413 "},
		{"conflicting lengths", "POST /v1/logout HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", "HTTP/1.1 400 "},
		{"bad chunk size", "POST /v1/logout HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "HTTP/1.1 400 "},
		{"non-canonical path", "GET /v1/projects/../token HTTP/1.1\r\nHost: a\r\n\r\n", "HTTP/1.1 404 "},
		{"OPTIONS *", "OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", "HTTP/1.1 200 "},
		{"CONNECT", "CONNECT agent:80 HTTP/1.1\r\nHost: agent:80\r\n\r\n", "HTTP/1.1 405 "},
	}
	for _, c := range cases {
		start := time.Now()
		out := string(rawExchange(t, sock, []byte(c.raw), 10*time.Second))
		if !strings.HasPrefix(out, c.want) {
			t.Errorf("%s: answer %.120q, want %q", c.name, out, c.want)
		}
		if c.want != "HTTP/1.1 200 " && strings.Contains(out, tok) {
			t.Errorf("%s: a refusal carries the token", c.name)
		}
		if strings.Contains(c.want, " 404 ") || strings.Contains(c.want, " 405 ") || strings.Contains(c.want, " 413 ") {
			if !strings.Contains(out, "Content-Type: application/json") || !strings.Contains(out, `{"error":{"code":"`) {
				t.Errorf("%s: not a JSON error: %.300q", c.name, out)
			}
		}
		t.Logf("%-30s %-30.30q in %v", c.name, out, time.Since(start).Round(time.Millisecond))
	}
	rss1 := procStatus(t, pid, "VmRSS")
	t.Logf("agent VmRSS %d kB before, %d kB after %d hostile requests (%d MB of bodies sent)", rss0, rss1, len(cases), 40)
	// Bodies are discarded, not buffered: 40 MB sent must not show.
	if rss1-rss0 > 16<<10 {
		t.Errorf("VmRSS grew by %d kB", rss1-rss0)
	}
	if got := strings.TrimSpace(h.mustRun("token", "ilabt-dev")); got != tok {
		t.Error("the agent no longer serves the token it had")
	}
	if st := h.mustRun("status", "--json"); !strings.Contains(st, `"logged_in": true`) {
		t.Errorf("logged out by hostile input: %s", st)
	}
}
