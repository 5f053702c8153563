package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// unsetenv removes a variable from the home's environment.
func (h *home) unsetenv(k string) {
	out := h.env[:0]
	for _, kv := range h.env {
		if !strings.HasPrefix(kv, k+"=") {
			out = append(out, kv)
		}
	}
	h.env = out
}

// Without XDG_RUNTIME_DIR the socket falls back to $TMPDIR/slices-agent-$UID.
// Another user who made that directory first, and serves an agent-shaped
// socket in it, gets nothing from any client command: each exits 3 naming
// the directory and its owner, before a byte is sent.
func TestSquattedSocketDirectoryIsRefused(t *testing.T) {
	needRoot(t)
	t.Parallel()
	p := startPortal(t)
	h := newHome(t, p.url)
	shared := sharedTmp(t)
	h.unsetenv("XDG_RUNTIME_DIR")
	h.setenv("TMPDIR", shared)
	dir := filepath.Join(shared, "slices-agent-"+strconv.Itoa(os.Geteuid()))
	sq := startSquatter(t, filepath.Join(dir, "agent.sock"))

	passFile := filepath.Join(h.dir, "pass")
	os.WriteFile(passFile, []byte("my secret passphrase\n"), 0o600)
	authFile := filepath.Join(h.dir, "auth.json")
	os.WriteFile(authFile, []byte(`{"refresh_token":"rt-victim-secret"}`), 0o600)
	cmds := [][]string{
		{"env", "-s"}, {"status"}, {"token"}, {"login", "--no-browser"},
		{"lock", "--passphrase-file", passFile}, {"import-cli", "--file", authFile}, {"projects"},
	}
	for _, args := range cmds {
		r := h.run(args...)
		if r.code != 3 || r.stdout != "" ||
			!strings.Contains(r.stderr, "socket directory "+dir+" is owned by uid 65534 (nobody), not by you") {
			t.Errorf("%v: %v, want exit 3 naming %s and its owner", args, r, dir)
		}
	}
	// Completion asks quietly; it gets nothing either.
	if r := h.run("__projects"); r.code == 0 || r.stdout != "" {
		t.Errorf("__projects: %v", r)
	}
	if got := sq.heard(); got != "" {
		t.Errorf("the squatter heard from the victim: %q", got)
	}
	// The victim's own agent refuses that directory too.
	if r := h.run("-D", "--keyring", "memory"); r.code != 3 || !strings.Contains(r.stderr, "socket directory "+dir+" is owned by uid 65534") {
		t.Errorf("-D in a squatted directory: %v", r)
	}
}

// The same with the directory made a symbolic link to the attacker's own.
func TestSymlinkedSocketDirectoryIsRefused(t *testing.T) {
	needRoot(t)
	t.Parallel()
	p := startPortal(t)
	h := newHome(t, p.url)
	shared := sharedTmp(t)
	h.unsetenv("XDG_RUNTIME_DIR")
	h.setenv("TMPDIR", shared)
	theirs := filepath.Join(shared, "theirs")
	sq := startSquatter(t, filepath.Join(theirs, "agent.sock"))
	link := filepath.Join(shared, "slices-agent-"+strconv.Itoa(os.Geteuid()))
	if out, err := asNobody(t, nil, "ln", "-s", theirs, link).CombinedOutput(); err != nil {
		t.Fatalf("ln -s as nobody: %v %s", err, out)
	}
	for _, args := range [][]string{{"env", "-s"}, {"status"}, {"-D", "--keyring", "memory"}} {
		r := h.run(args...)
		if r.code != 3 || r.stdout != "" || !strings.Contains(r.stderr, "socket directory "+link+" is a symbolic link owned by uid 65534 (nobody)") {
			t.Errorf("%v: %v, want exit 3 naming the link and its owner", args, r)
		}
	}
	if got := sq.heard(); got != "" {
		t.Errorf("the squatter heard from the victim: %q", got)
	}
}

// A socket in the user's own private directory, but served by another uid
// (here moved there by root, the one way it can happen): the client reads
// the peer's uid right after connecting and hangs up before sending.
func TestForeignPeerOnOwnSocketIsRefused(t *testing.T) {
	needRoot(t)
	t.Parallel()
	p := startPortal(t)
	h := newHome(t, p.url)
	shared := sharedTmp(t)
	sq := startSquatter(t, filepath.Join(shared, "n", "agent.sock"))
	own := filepath.Join(h.dir, "run", "slices-agent")
	if err := os.Mkdir(own, 0o700); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(own, "agent.sock")
	if err := os.Rename(sq.sock, sock); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"status"}, {"env", "-s"}, {"lock", "--passphrase-file", "-"}} {
		cmd := exec.Command(bin("slices-agent"), args...)
		cmd.Env = h.env
		cmd.Stdin = strings.NewReader("my secret passphrase\n")
		out, err := cmd.CombinedOutput()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		}
		if code != 3 || !strings.Contains(string(out), "agent socket "+sock+" is served by uid 65534 (nobody)") {
			t.Errorf("%v: exit %d, %q; want exit 3 naming the socket and the peer's uid", args, code, out)
		}
	}
	if got := sq.heard(); strings.Contains(got, "request") {
		t.Errorf("the foreign peer got a request: %q", got)
	}
}

// The state directory falls back to $TMPDIR/slices-agent-state-$UID without
// a home. Another user's directory there, open to all and holding agent.log
// as a link to a file of the victim's, is refused (exit 3, naming it and its
// owner), and the file is not touched. A link planted in the victim's own
// state directory is not followed either.
func TestHostileStateDirectoryIsRefused(t *testing.T) {
	needRoot(t)
	t.Parallel()
	p := startPortal(t)
	h := newHome(t, p.url)
	shared := sharedTmp(t)
	h.unsetenv("HOME")
	h.unsetenv("XDG_STATE_HOME")
	h.setenv("TMPDIR", shared)
	precious := filepath.Join(h.dir, "precious")
	os.WriteFile(precious, []byte("keep me\n"), 0o600)
	state := filepath.Join(shared, "slices-agent-state-"+strconv.Itoa(os.Geteuid()))
	script := "mkdir -m 777 " + state + " && ln -s " + precious + " " + state + "/agent.log"
	if out, err := asNobody(t, nil, "sh", "-c", script).CombinedOutput(); err != nil {
		t.Fatalf("as nobody: %v %s", err, out)
	}
	for _, args := range [][]string{{"env", "-s", "--keyring", "memory"}, {"-D", "--keyring", "memory"}} {
		r := h.run(args...)
		if r.code != 3 || r.stdout != "" || !strings.Contains(r.stderr, "state directory "+state+" is owned by uid 65534 (nobody)") {
			t.Errorf("%v: %v, want exit 3 naming the state directory and its owner", args, r)
		}
	}
	if b, _ := os.ReadFile(precious); string(b) != "keep me\n" {
		t.Errorf("the link's target was written: %q", b)
	}
	if _, err := os.Lstat(h.getenv("XDG_RUNTIME_DIR") + "/slices-agent/agent.sock"); err == nil {
		t.Error("an agent was started")
	}

	// The user's own state directory, with agent.log a link: not followed.
	h2 := newHome(t, p.url)
	own := filepath.Join(h2.dir, "state", "slices-agent")
	os.MkdirAll(own, 0o700)
	os.Symlink(precious, filepath.Join(own, "agent.log"))
	r := h2.run("env", "-s", "--keyring", "memory")
	if r.code != 3 || !strings.Contains(r.stderr, "file "+own+"/agent.log is a symbolic link") {
		t.Errorf("agent.log a link in the own state directory: %v", r)
	}
	if b, _ := os.ReadFile(precious); string(b) != "keep me\n" {
		t.Errorf("the link's target was written: %q", b)
	}
}

// The daemon is not dumpable: another process of the same user can read
// neither its environment nor its memory through /proc.
func TestAgentMemoryIsNotReadableBySameUser(t *testing.T) {
	needRoot(t)
	t.Parallel()
	p := startPortal(t)
	home := sharedTmp(t) // nobody's home for this test
	run := filepath.Join(home, "run")
	agentBin := nobodyCopy(t, bin("slices-agent"), bin("slices-agent-core")) // the front end hands -D to the core
	env := []string{"HOME=" + home, "XDG_RUNTIME_DIR=" + run, "XDG_STATE_HOME=" + filepath.Join(home, "state"), "SLICES_PORTAL_URL=" + p.url}
	if out, err := asNobody(t, nil, "mkdir", "-m", "700", run).CombinedOutput(); err != nil {
		t.Fatalf("mkdir as nobody: %v %s", err, out)
	}
	daemon := asNobody(t, env, agentBin, "-D", "--keyring", "memory", "--no-notify")
	if err := daemon.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { daemon.Process.Kill(); daemon.Wait() })
	sock := filepath.Join(run, "slices-agent", "agent.sock")
	for deadline := time.Now().Add(10 * time.Second); ; {
		if _, err := os.Stat(sock); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("nobody's agent did not start")
		}
		time.Sleep(50 * time.Millisecond)
	}
	// setpriv execs the agent: the pid is the daemon's.
	pid := strconv.Itoa(daemon.Process.Pid)
	for _, f := range []string{"environ", "mem", "maps"} {
		out, err := asNobody(t, nil, "head", "-c", "64", "/proc/"+pid+"/"+f).CombinedOutput()
		if err == nil {
			t.Errorf("nobody read /proc/%s/%s of its own agent: %q", pid, f, out)
		} else if !strings.Contains(string(out), "Permission denied") {
			t.Errorf("reading /proc/%s/%s: %v %q, want permission denied", pid, f, err, out)
		}
	}
	// The same user's other processes are readable: the refusal is the agent's doing.
	if out, err := asNobody(t, nil, "sh", "-c", "head -c 8 /proc/$$/environ >/dev/null && echo readable").CombinedOutput(); err != nil || !strings.Contains(string(out), "readable") {
		t.Errorf("control: a plain process of nobody: %v %q", err, out)
	}
}
