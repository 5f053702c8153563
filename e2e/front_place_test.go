package e2e

import (
	"encoding/json"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeAgent is an agent-shaped listener in this test process: it counts
// connections and the bytes it hears, and answers each request it hears
// (when answer is set) with a 200 and a token-shaped body.
type fakeAgent struct {
	l     net.Listener
	mu    sync.Mutex
	conns int
	heard []byte
}

func listenFake(t *testing.T, sock string, answer bool) *fakeAgent {
	t.Helper()
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeAgent{l: l}
	var held []net.Conn
	t.Cleanup(func() {
		l.Close()
		f.mu.Lock()
		for _, c := range held {
			c.Close()
		}
		f.mu.Unlock()
	})
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			f.mu.Lock()
			f.conns++
			held = append(held, c)
			f.mu.Unlock()
			go func() {
				buf := make([]byte, 4096)
				for {
					n, err := c.Read(buf)
					f.mu.Lock()
					f.heard = append(f.heard, buf[:n]...)
					f.mu.Unlock()
					if err != nil {
						return
					}
					if answer {
						io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Type: application/jwt\r\nContent-Length: 17\r\n\r\nsquatter.got.you\n")
					}
				}
			}()
		}
	}()
	return f
}

func (f *fakeAgent) counts() (conns int, heard string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.conns, string(f.heard)
}

// A hung agent (it accepts and never answers) is waited for once: the
// front end gives up after its 5 s, hands the command over saying so, and
// the core reports it at once without dialling again.
func TestFrontWaitsForAHungAgentOnce(t *testing.T) {
	t.Parallel()
	sock := filepath.Join(t.TempDir(), "agent.sock")
	f := listenFake(t, sock, false)
	h := newHome(t, "http://127.0.0.1:1")

	r, took := runAs(bin("slices-agent"), []string{"slices-agent", "-a", sock, "token"}, h.env)
	t.Logf("token against a hung agent: %v in %v", r, took)
	if r.code != 3 || r.stdout != "" || !strings.Contains(r.stderr, sock) || !strings.Contains(r.stderr, "did not answer") {
		t.Errorf("token against a hung agent: %v, want exit 3 naming %s and that it did not answer", r, sock)
	}
	if took > 9*time.Second {
		t.Errorf("token against a hung agent took %v: waited twice?", took)
	}
	if conns, _ := f.counts(); conns != 1 {
		t.Errorf("the hung agent saw %d connections, want 1 (the front end's)", conns)
	}

	// A prompt never stalls on it.
	r, took = runAs(bin("slices-agent"), []string{"slices-agent", "-a", sock, "prompt"}, h.env)
	if r.code != 0 || r.stdout != "" || r.stderr != "" || took > 3*time.Second {
		t.Errorf("prompt against a hung agent: %v in %v, want nothing, at once", r, took)
	}
}

// What the front end tells the core is for the core alone: whatever the
// caller's environment held under that name, no command the core runs
// inherits it, and the core does not take it from a caller as its own.
func TestFrontHandoverIsNotInherited(t *testing.T) {
	t.Parallel()
	p := startPortal(t)
	h := newHome(t, p.url)
	h.eval(h.mustRun("env", "-s", "--keyring", "memory"))
	h.mustRun("login", "--no-browser")
	for _, v := range []string{"unresponsive", "something-else"} {
		env := append(append([]string{}, h.env...), "SLICES_AGENT_HANDOVER="+v)
		for _, path := range []string{bin("slices-agent"), bin("slices-agent-core")} {
			r, _ := runAs(path, []string{"slices-agent", "exec", "--", "env"}, env)
			if r.code != 0 || !strings.Contains(r.stdout, "\nSLICES_TOKEN=") {
				t.Errorf("%s exec -- env with SLICES_AGENT_HANDOVER=%s: %v", filepath.Base(path), v, r)
			}
			if strings.Contains(r.stdout, "SLICES_AGENT_HANDOVER") {
				t.Errorf("%s exec -- env with SLICES_AGENT_HANDOVER=%s: the command inherited it", filepath.Base(path), v)
			}
		}
		// The front end answers a token whatever the caller set, and what
		// it hands over carries only what it learned itself.
		r, _ := runAs(bin("slices-agent"), []string{"slices-agent", "token"}, env)
		if r.code != 0 {
			t.Errorf("token with SLICES_AGENT_HANDOVER=%s: %v", v, r)
		}
		r, _ = runAs(bin("slices-agent"), []string{"slices-agent", "token", "nope"}, env)
		if r.code != 1 || !strings.Contains(r.stderr, "nope") {
			t.Errorf("token nope with SLICES_AGENT_HANDOVER=%s: %v, want the unknown-project error", v, r)
		}
	}
}

// An agent-shaped socket in a directory that is not the user's own (open
// to everyone, or reached through a symbolic link) hears nothing from
// token or prompt: token exits 3 naming the path, as the core does, and
// prompt stays empty.
func TestFrontSendsNothingToASquatter(t *testing.T) {
	t.Parallel()
	open, err := os.MkdirTemp("/tmp", "fo")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(open) })
	if err := os.Chmod(open, 0o777); err != nil {
		t.Fatal(err)
	}
	real, links := t.TempDir(), t.TempDir()
	link := filepath.Join(links, "d")
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	h := newHome(t, "http://127.0.0.1:1")
	for _, c := range []struct{ name, dir, sock, listen string }{
		{"open directory", open, filepath.Join(open, "agent.sock"), filepath.Join(open, "agent.sock")},
		{"symlinked directory", link, filepath.Join(link, "agent.sock"), filepath.Join(real, "agent.sock")},
	} {
		f := listenFake(t, c.listen, true)
		argv := []string{"slices-agent", "-a", c.sock, "token"}
		r, _ := runAs(bin("slices-agent"), argv, h.env)
		core, _ := runAs(bin("slices-agent-core"), argv, h.env)
		if r.code != 3 || r.stdout != "" || !strings.Contains(r.stderr, c.dir) {
			t.Errorf("%s: token: %v, want exit 3 naming %s", c.name, r, c.dir)
		}
		if r != core {
			t.Errorf("%s: token: front %v, core %v", c.name, r, core)
		}
		for _, path := range []string{bin("slices-agent"), bin("slices-agent-core")} {
			r, _ = runAs(path, []string{"slices-agent", "-a", c.sock, "prompt"}, h.env)
			if r != (result{}) {
				t.Errorf("%s: %s prompt: %v, want nothing and exit 0", c.name, filepath.Base(path), r)
			}
		}
		if conns, heard := f.counts(); conns != 0 || heard != "" {
			t.Errorf("%s: the squatter got %d connections and heard %q", c.name, conns, heard)
		}
	}
}

// The same with another user (nobody) holding the default directory.
func TestFrontSendsNothingToAnotherUsersSquatter(t *testing.T) {
	needRoot(t)
	t.Parallel()
	h := newHome(t, "http://127.0.0.1:1")
	shared := sharedTmp(t)
	h.unsetenv("XDG_RUNTIME_DIR")
	h.setenv("TMPDIR", shared)
	dir := filepath.Join(shared, "slices-agent-"+strconv.Itoa(os.Geteuid()))
	sq := startSquatter(t, filepath.Join(dir, "agent.sock"))
	for _, args := range [][]string{{"token"}, {"token", "ilabt-dev"}, {"token", "--min-valid", "1m"}} {
		r := h.run(args...)
		if r.code != 3 || r.stdout != "" || !strings.Contains(r.stderr, "socket directory "+dir+" is owned by uid 65534 (nobody)") {
			t.Errorf("%v: %v, want exit 3 naming %s and its owner", args, r, dir)
		}
	}
	for _, args := range [][]string{{"prompt"}, {"prompt", "ilabt-dev"}} {
		if r := h.run(args...); r != (result{}) {
			t.Errorf("%v: %v, want nothing and exit 0", args, r)
		}
	}
	if got := sq.heard(); got != "" {
		t.Errorf("the squatter heard from the front end: %q", got)
	}
}

// The front end finds the core under ../libexec/slices-agent/ or beside
// itself, after resolving a symbolic link to itself, and nowhere else (not
// through $PATH); alone, it still answers a token, and every command it
// hands over fails with a hint.
func TestFrontFindsTheCore(t *testing.T) {
	t.Parallel()
	p := startPortal(t)
	h := newHome(t, p.url)
	h.eval(h.mustRun("env", "-s", "--keyring", "memory"))
	h.mustRun("login", "--no-browser")
	h.mustRun("add", "ilabt-dev")
	id := projectID(t, h, "ilabt-dev")

	alone := frontAlone(t)
	withPath := append(append([]string{}, h.env...), "PATH="+binDir+string(os.PathListSeparator)+os.Getenv("PATH"))
	for _, args := range [][]string{{"status"}, {"token", "nope"}, {"token", "-h"}, {"--version"}} {
		if r, _ := runAs(alone, append([]string{"slices-agent"}, args...), withPath); !handedOver(r) {
			t.Errorf("front end alone, %v: %v, want exit 1 'cannot run slices-agent-core' and a hint", args, r)
		}
	}
	r, _ := runAs(alone, []string{"slices-agent", "token", "ilabt-dev"}, h.env)
	if r.code != 0 {
		t.Errorf("front end alone, token: %v", r)
	} else {
		p.verify(r.stdout, id)
	}

	prefix := t.TempDir()
	front := filepath.Join(prefix, "bin", "slices-agent")
	copyExe(t, bin("slices-agent"), front)
	copyExe(t, bin("slices-agent-core"), filepath.Join(prefix, "libexec", "slices-agent", "slices-agent-core"))
	linkDir := t.TempDir()
	link := filepath.Join(linkDir, "slices-agent")
	if err := os.Symlink(bin("slices-agent"), link); err != nil {
		t.Fatal(err)
	}
	prefixLink := filepath.Join(linkDir, "sa")
	if err := os.Symlink(front, prefixLink); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{front, link, prefixLink} {
		if r, _ := runAs(path, []string{"slices-agent", "status"}, h.env); r.code != 0 || !strings.Contains(r.stdout, "ilabt-dev") {
			t.Errorf("%s status: %v", path, r)
		}
		if r, _ := runAs(path, []string{"slices-agent", "token", "nope"}, h.env); r.code != 1 || !strings.Contains(r.stderr, "nope") || handedOver(r) {
			t.Errorf("%s token nope: %v, want the core's unknown-project error", path, r)
		}
	}
}

// Only slices-agent is a Slices CLI plugin: the core run under its own
// name refuses --cli-manifest, and the front end hands it to the core,
// which prints the manifest as it always did.
func TestFrontIsTheOnlyPlugin(t *testing.T) {
	t.Parallel()
	env := newHome(t, "http://127.0.0.1:1").env
	for _, flag := range []string{"--cli-manifest", "-cli-manifest"} {
		r, _ := runAs(bin("slices-agent-core"), []string{bin("slices-agent-core"), flag}, env)
		if r.code != 2 || r.stdout != "" || strings.Contains(r.stderr, "{") || !strings.Contains(r.stderr, "hint:") {
			t.Errorf("slices-agent-core %s: %v, want exit 2, no manifest, a hint", flag, r)
		}
	}
	front, _ := runAs(bin("slices-agent"), []string{"slices-agent", "--cli-manifest"}, env)
	core, _ := runAs(bin("slices-agent-core"), []string{"slices-agent", "--cli-manifest"}, env)
	if front != core || front.code != 0 || front.stderr != "" {
		t.Errorf("--cli-manifest: front %v, core as slices-agent %v", front, core)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(front.stdout), &m); err != nil || m["@type"] != "slices-cli:subcommand-metadata" || m["version"] != "1.0" {
		t.Errorf("manifest %q: %v", front.stdout, err)
	}
	fv, _ := runAs(bin("slices-agent"), []string{"slices-agent", "--version"}, env)
	cv, _ := runAs(bin("slices-agent-core"), []string{"slices-agent", "--version"}, env)
	if fv != cv || fv.code != 0 || !strings.HasPrefix(fv.stdout, "v") {
		t.Errorf("--version: front %v, core %v", fv, cv)
	}
}
