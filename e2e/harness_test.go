// Package e2e drives the real slices-agent and slices-devportal binaries the
// way a user does: in a throwaway home, over real Unix sockets, with the
// system keyring when one answers.
package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/slices-ri/slices-agent/devportal"
	"github.com/slices-ri/slices-agent/portal"
	"github.com/slices-ri/slices-agent/token"
)

var binDir string

func TestMain(m *testing.M) {
	if os.Getenv(squatterSock) != "" {
		os.Exit(runSquatter())
	}
	dir, err := os.MkdirTemp("", "slices-e2e-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	build := exec.Command("go", "build", "-o", dir+"/", "./cmd/slices-agent", "./cmd/slices-agent-core", "./cmd/slices-devportal")
	build.Dir = ".."
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building the binaries:", err)
		os.Exit(1)
	}
	binDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func bin(name string) string { return filepath.Join(binDir, name) }

// portalProc is a running slices-devportal.
type portalProc struct {
	t   *testing.T
	url string
	cmd *exec.Cmd
}

func startPortal(t *testing.T, args ...string) *portalProc {
	t.Helper()
	cmd := exec.Command(bin("slices-devportal"), append([]string{"--addr", "127.0.0.1:0", "--auto-approve"}, args...)...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	url, err := devportal.ReadURL(out, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	return &portalProc{t: t, url: url, cmd: cmd}
}

// dev calls one of the emulator's /_dev/ controls.
func (p *portalProc) dev(method, path, body string) {
	p.t.Helper()
	req, _ := http.NewRequest(method, p.url+path, strings.NewReader(body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		p.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		p.t.Fatalf("%s %s: %s", method, path, resp.Status)
	}
}

func (p *portalProc) stats() devportal.Stats {
	p.t.Helper()
	resp, err := http.Get(p.url + "/_dev/stats")
	if err != nil {
		p.t.Fatal(err)
	}
	defer resp.Body.Close()
	var s devportal.Stats
	if err := json.NewDecoder(resp.Body).Decode(&s); err != nil {
		p.t.Fatal(err)
	}
	return s
}

// verify checks raw against the emulator's key set; subject "" is the user token.
func (p *portalProc) verify(raw, subject string) *token.Decoded {
	p.t.Helper()
	c := portal.New(p.url, "")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	d, err := c.Discover(ctx)
	if err != nil {
		p.t.Fatal(err)
	}
	b, err := c.JWKS(ctx)
	if err != nil {
		p.t.Fatal(err)
	}
	ks, err := token.ParseKeySet(b)
	if err != nil {
		p.t.Fatal(err)
	}
	dec, err := token.Verify(strings.TrimSpace(raw), ks, token.VerifyOptions{Issuer: d.Issuer, Subject: subject})
	if err != nil {
		p.t.Fatalf("token does not verify: %v", err)
	}
	return dec
}

// home is a throwaway user environment: HOME, XDG dirs, no SLICES_* variables.
type home struct {
	t   *testing.T
	dir string
	env []string
}

func newHome(t *testing.T, portalURL string) *home {
	t.Helper()
	// Unix socket paths are limited to 108 bytes: keep it short.
	dir, err := os.MkdirTemp("/tmp", "sa")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	run := filepath.Join(dir, "run")
	if err := os.Mkdir(run, 0o700); err != nil {
		t.Fatal(err)
	}
	h := &home{t: t, dir: dir}
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "SLICES_") || strings.HasPrefix(k, "XDG_") || k == "HOME" {
			continue
		}
		h.env = append(h.env, kv)
	}
	h.env = append(h.env, "HOME="+dir, "XDG_RUNTIME_DIR="+run, "XDG_STATE_HOME="+filepath.Join(dir, "state"),
		"SLICES_PORTAL_URL="+portalURL)
	t.Cleanup(h.stopAgent)
	return h
}

// stopAgent stops the home's agent: with 'stop', and with signals when
// that is refused (a locked agent answers 423) or the agent hangs.
func (h *home) stopAgent() {
	h.run("stop")
	pid, _ := strconv.Atoi(h.getenv("SLICES_AGENT_PID"))
	if pid <= 0 || syscall.Kill(pid, 0) != nil {
		return
	}
	syscall.Kill(pid, syscall.SIGTERM)
	for i := 0; i < 300 && syscall.Kill(pid, 0) == nil; i++ {
		time.Sleep(10 * time.Millisecond)
	}
	syscall.Kill(pid, syscall.SIGKILL)
}

// setenv adds or replaces a variable, as an eval of the agent's output would.
func (h *home) setenv(k, v string) {
	for i, kv := range h.env {
		if strings.HasPrefix(kv, k+"=") {
			h.env[i] = k + "=" + v
			return
		}
	}
	h.env = append(h.env, k+"="+v)
}

func (h *home) getenv(k string) string {
	for _, kv := range h.env {
		if v, ok := strings.CutPrefix(kv, k+"="); ok {
			return v
		}
	}
	return ""
}

// result is what one command did.
type result struct {
	stdout, stderr string
	code           int
}

func (r result) String() string {
	return fmt.Sprintf("exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
}

// run runs slices-agent with args in the home, bounded in time.
func (h *home) run(args ...string) result {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin("slices-agent"), args...)
	cmd.Env = h.env
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if err != nil {
		code = -1
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		}
	}
	return result{out.String(), errb.String(), code}
}

// mustRun runs a command that must succeed and returns its stdout.
func (h *home) mustRun(args ...string) string {
	h.t.Helper()
	r := h.run(args...)
	if r.code != 0 {
		h.t.Fatalf("slices-agent %s: %v", strings.Join(args, " "), r)
	}
	return r.stdout
}

// eval applies the sh output of 'slices-agent env -s' to the home's environment.
func (h *home) eval(out string) (sock string, pid int) {
	h.t.Helper()
	for _, stmt := range strings.Split(out, ";") {
		stmt = strings.TrimSpace(stmt)
		if k, v, ok := strings.Cut(stmt, "="); ok && !strings.Contains(k, " ") {
			h.setenv(k, strings.Trim(v, "'"))
		}
	}
	sock = h.getenv("SLICES_AGENT_SOCK")
	pid, _ = strconv.Atoi(h.getenv("SLICES_AGENT_PID"))
	if sock == "" || pid == 0 {
		h.t.Fatalf("env output sets no socket or pid: %q", out)
	}
	return sock, pid
}

// socketGet makes a plain HTTP request on the agent's socket, as curl --unix-socket would.
func socketGet(t *testing.T, sock, method, path string, header map[string]string, body io.Reader) (int, string) {
	t.Helper()
	c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", sock)
		}}}
	req, _ := http.NewRequest(method, "http://agent"+path, body)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// alive reports whether a process exists.
func alive(pid int) bool { return syscall.Kill(pid, 0) == nil }
