package e2e

import (
	"bufio"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// A locked agent answers status (without names), events and unlock; every
// other request, shutdown included, gets 423. Killed and started again, it
// is still locked, with the same passphrase.
func TestLockHoldsThroughShutdownAndKill(t *testing.T) {
	t.Parallel()
	p := startPortal(t)
	h := newHome(t, p.url)
	sock, pid := h.eval(h.mustRun("env", "-s", "--keyring", "file"))
	h.mustRun("login", "--no-browser")
	tok := strings.TrimSpace(h.mustRun("token", "ilabt-dev"))
	pass := filepath.Join(h.dir, "pass")
	os.WriteFile(pass, []byte("open sesame\n"), 0o600)
	h.mustRun("lock", "--passphrase-file", pass)

	refused := []struct{ method, path, body string }{
		{"POST", "/v1/shutdown", ""}, {"POST", "/v1/logout", ""}, {"POST", "/v1/login", ""}, {"GET", "/v1/login", ""},
		{"DELETE", "/v1/projects/ilabt-dev", ""}, {"PUT", "/v1/projects/gpu-cluster", ""},
		{"POST", "/v1/refresh", ""}, {"POST", "/v1/projects/ilabt-dev/refresh", ""},
		{"POST", "/v1/import", `{"refresh_token":"rt-of-the-attacker"}`},
		{"GET", "/v1/token", ""}, {"GET", "/v1/projects/ilabt-dev/token", ""}, {"GET", "/v1/projects", ""},
	}
	for _, r := range refused {
		code, body := socketGet(t, sock, r.method, r.path, map[string]string{"Content-Type": "application/json"}, strings.NewReader(r.body))
		if code != 423 || strings.Contains(body, tok) {
			t.Errorf("%s %s while locked: %d %.120s, want 423", r.method, r.path, code, body)
		}
	}
	code, body := socketGet(t, sock, "GET", "/v1/status", nil, nil)
	if code != 200 || !strings.Contains(body, `"locked":true`) {
		t.Errorf("status while locked: %d %s", code, body)
	}
	for _, secret := range []string{"demo-researcher", "ilabt-dev", "user_account.", "proj_account."} {
		if strings.Contains(body, secret) {
			t.Errorf("status while locked shows %q: %s", secret, body)
		}
	}
	if r := h.run("stop"); r.code != 5 || !alive(pid) {
		t.Errorf("stop while locked: %v (agent alive: %v), want exit 5 and the agent running", r, alive(pid))
	}

	// Killed without a chance to save anything, and started again.
	syscall.Kill(pid, syscall.SIGKILL)
	for i := 0; alive(pid) && i < 200; i++ {
		time.Sleep(10 * time.Millisecond)
	}
	_, pid2 := h.eval(h.mustRun("env", "-s", "--keyring", "file"))
	if pid2 == pid {
		t.Fatal("no new agent")
	}
	if st := h.mustRun("status", "--json"); !strings.Contains(st, `"locked": true`) {
		t.Fatalf("restarted after a kill, not locked: %s", st)
	}
	if r := h.run("token", "ilabt-dev"); r.code != 5 || r.stdout != "" {
		t.Errorf("token after the restart: %v, want exit 5", r)
	}
	wrong := filepath.Join(h.dir, "wrong")
	os.WriteFile(wrong, []byte("not it\n"), 0o600)
	if r := h.run("unlock", "--passphrase-file", wrong); r.code != 1 || !strings.Contains(r.stderr, "wrong passphrase") {
		t.Errorf("unlock with a wrong passphrase: %v", r)
	}
	h.mustRun("unlock", "--passphrase-file", pass) // waits out the penalty of the wrong guess
	if got := strings.TrimSpace(h.mustRun("token", "ilabt-dev")); got != tok {
		t.Error("after unlock the restarted agent serves another token than the one it kept")
	}
}

// guess sends one unlock attempt with a wrong passphrase on its own
// connection and hangs up after wait, answered or not.
func guess(sock string, wait time.Duration) {
	c, err := net.Dial("unix", sock)
	if err != nil {
		return
	}
	defer c.Close()
	body := `{"passphrase":"guess"}`
	c.Write([]byte("POST /v1/unlock HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nContent-Length: " +
		strconv.Itoa(len(body)) + "\r\n\r\n" + body))
	c.SetReadDeadline(time.Now().Add(wait))
	bufio.NewReader(c).ReadString('\n')
}

// Hanging up 30 ms after each guess, from four connections at once, does
// not buy guesses: in three seconds the agent looks at three or four of them
// (at 0, 1 and 3 s), where it once looked at every one. The passphrase then
// still unlocks.
func TestUnlockGuessesAreSlowWhateverTheClientDoes(t *testing.T) {
	t.Parallel()
	p := startPortal(t)
	h := newHome(t, p.url)
	sock := filepath.Join(h.dir, "run", "a.sock")
	a := startAgent(t, h, sock, "-D", "--keyring", "memory", "--no-notify")
	pass := filepath.Join(h.dir, "pass")
	os.WriteFile(pass, []byte("open sesame\n"), 0o600)
	h.mustRun("-a", sock, "lock", "--passphrase-file", pass)

	var sent atomic.Int32
	deadline := time.Now().Add(3 * time.Second)
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) {
				guess(sock, 30*time.Millisecond)
				sent.Add(1)
			}
		}()
	}
	wg.Wait()
	time.Sleep(200 * time.Millisecond) // a guess looked at just before the end is logged
	looked := strings.Count(a.log.String(), "unlock with a wrong passphrase")
	t.Logf("%d guesses sent in 3 s, %d looked at", sent.Load(), looked)
	if looked < 1 || looked > 4 {
		t.Errorf("%d of %d guesses looked at in 3 s, want 1 to 4", looked, sent.Load())
	}
	if sent.Load() < 40 {
		t.Errorf("only %d guesses sent: the test did not hammer", sent.Load())
	}
	start := time.Now()
	h.mustRun("-a", sock, "unlock", "--passphrase-file", pass)
	t.Logf("the right passphrase unlocked after %v", time.Since(start).Round(time.Millisecond))
	if st := h.mustRun("-a", sock, "status", "--json"); !strings.Contains(st, `"locked": false`) {
		t.Errorf("not unlocked: %s", st)
	}
}

// Two agents on one state directory (and so one keyring) would rotate one
// refresh token between them until the portal revokes the login: the second
// refuses, naming the first one's pid and socket. Once the first stops, the
// directory is free again.
func TestOneAgentPerStateDirectory(t *testing.T) {
	t.Parallel()
	p := startPortal(t)
	h := newHome(t, p.url)
	sock1 := filepath.Join(h.dir, "run", "one.sock")
	sock2 := filepath.Join(h.dir, "run", "two.sock")
	first := startAgent(t, h, sock1, "-D", "--keyring", "memory", "--no-notify")
	want := "another agent (pid " + strconv.Itoa(first.pid) + ", socket " + sock1 + ") already uses the state directory"
	r := h.run("-a", sock2, "-D", "--keyring", "memory", "--no-notify")
	if r.code != 1 || !strings.Contains(r.stderr, want) || !strings.Contains(r.stderr, "hint: use that agent (SLICES_AGENT_SOCK="+sock1+")") {
		t.Errorf("second agent in the foreground: %v, want exit 1, %q and a hint", r, want)
	}
	if r := h.run("-a", sock2, "env", "-s", "--keyring", "memory"); r.code == 0 || !strings.Contains(r.stderr, want) {
		t.Errorf("second agent from env: %v, want a failure naming the first", r)
	}
	if _, err := os.Lstat(sock2); err == nil {
		t.Error("the second agent left a socket behind")
	}
	h.mustRun("-a", sock1, "stop")
	first.wait(t)
	startAgent(t, h, sock2, "-D", "--keyring", "memory", "--no-notify")
}

// At most 256 event streams: the next gets 503 until one ends.
func TestEventStreamsAreBounded(t *testing.T) {
	t.Parallel()
	p := startPortal(t)
	h := newHome(t, p.url)
	sock := filepath.Join(h.dir, "run", "a.sock")
	startAgent(t, h, sock, "-D", "--keyring", "memory", "--no-notify")
	open := func() (net.Conn, string) {
		c, err := net.Dial("unix", sock)
		if err != nil {
			t.Fatal(err)
		}
		c.Write([]byte("GET /v1/events HTTP/1.1\r\nHost: a\r\n\r\n"))
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		line, _ := bufio.NewReader(c).ReadString('\n')
		c.SetReadDeadline(time.Time{})
		return c, strings.TrimSpace(line)
	}
	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for i := range 256 {
		c, status := open()
		conns = append(conns, c)
		if status != "HTTP/1.1 200 OK" {
			t.Fatalf("stream %d: %q", i+1, status)
		}
	}
	c, status := open()
	c.Close()
	if status != "HTTP/1.1 503 Service Unavailable" {
		t.Fatalf("stream 257: %q, want 503", status)
	}
	conns[0].Close()
	conns = conns[1:]
	for deadline := time.Now().Add(10 * time.Second); ; {
		c, status := open()
		if status == "HTTP/1.1 200 OK" {
			conns = append(conns, c)
			break
		}
		c.Close()
		if time.Now().After(deadline) {
			t.Fatalf("after one stream ended: %q", status)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
