package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slices-ri/slices-agent/internal/testenv"
)

var (
	tuiOnce sync.Once
	tuiErr  error
)

// buildTUI builds slices-tui next to the other binaries, once per run.
func buildTUI(t *testing.T) string {
	t.Helper()
	tuiOnce.Do(func() {
		cmd := exec.Command("go", "build", "-o", binDir+"/", "./cmd/slices-tui")
		cmd.Dir = ".."
		out, err := cmd.CombinedOutput()
		if err != nil {
			tuiErr = fmt.Errorf("building slices-tui: %v\n%s", err, out)
		}
	})
	if tuiErr != nil {
		t.Fatal(tuiErr)
	}
	return bin("slices-tui")
}

// tmuxServer is a private tmux server (-L) with no configuration file.
type tmuxServer struct {
	t    *testing.T
	path string
	name string
}

func newTmux(t *testing.T) *tmuxServer {
	t.Helper()
	path := testenv.Tmux(t)
	s := &tmuxServer{t: t, path: path, name: fmt.Sprintf("slices-e2e-%d-%d", os.Getpid(), time.Now().UnixNano()%1e6)}
	t.Cleanup(func() { exec.Command(path, "-L", s.name, "kill-server").Run() })
	return s
}

// run runs one tmux command against the private server.
func (s *tmuxServer) run(args ...string) (string, error) {
	cmd := exec.Command(s.path, append([]string{"-L", s.name, "-f", "/dev/null"}, args...)...)
	cmd.Env = append(os.Environ(), "TMUX=")
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func (s *tmuxServer) must(args ...string) string {
	s.t.Helper()
	out, err := s.run(args...)
	if err != nil {
		s.t.Fatalf("tmux %s: %v: %s", strings.Join(args, " "), err, out)
	}
	return out
}

func (s *tmuxServer) screen() string { out, _ := s.run("capture-pane", "-p", "-t", "s"); return out }

// waitFor polls the screen until cond holds, for at most 10 s.
func (s *tmuxServer) waitFor(what string, cond func(screen string) bool) string {
	s.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		scr := s.screen()
		if cond(scr) {
			return scr
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("waiting for %s; screen:\n%s", what, scr)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (s *tmuxServer) waitText(text string) string {
	s.t.Helper()
	return s.waitFor(fmt.Sprintf("%q", text), func(scr string) bool { return strings.Contains(scr, text) })
}

func TestTUIInTmux(t *testing.T) {
	tm := newTmux(t)
	t.Parallel()
	tui := buildTUI(t)
	p := startPortal(t)
	h := newHome(t, p.url)
	sock, _ := h.eval(h.mustRun("env", "-s", "--keyring", "memory"))
	h.mustRun("login", "--no-browser")
	id := projectID(t, h, "ilabt-dev")
	h.mustRun("add", "ilabt-dev")

	start := time.Now()
	tm.must("new-session", "-d", "-s", "s", "-x", "120", "-y", "35",
		fmt.Sprintf("env SLICES_AGENT_SOCK=%s TERM=xterm-256color %s", sock, tui))
	tm.must("set-option", "-g", "set-clipboard", "on")
	tm.must("set-option", "-g", "remain-on-exit", "on")
	tm.waitText("wall2-experiments")
	t.Logf("slices-tui: process start to full list in %v (includes tmux polling)", time.Since(start).Round(time.Millisecond))

	// Filtering narrows the list.
	tm.must("send-keys", "-t", "s", "/")
	tm.waitText("Filter:")
	tm.must("send-keys", "-t", "s", "-l", "ilabt-d") // ids hold "ilabt" too, never "-"
	tm.waitFor("the filter to hide other projects", func(scr string) bool {
		return strings.Contains(scr, "ilabt-dev") && !strings.Contains(scr, "wall2-experiments") && !strings.Contains(scr, "gpu-cluster")
	})

	// Accept the filter, open the only project: its id (sub) and role show.
	tm.must("send-keys", "-t", "s", "Enter")
	tm.waitText("“ilabt-d”")
	tm.must("send-keys", "-t", "s", "Enter")
	scr := tm.waitText("proj_exp")
	if !strings.Contains(scr, "Project id      "+id) {
		t.Errorf("detail does not show the project's sub %s:\n%s", id, scr)
	}
	if !strings.Contains(scr, "Role            lead") || !strings.Contains(scr, "Acting as       lead") {
		t.Errorf("detail does not show the role lead:\n%s", scr)
	}
	if !strings.Contains(scr, "Signature       ✓ verified by the agent with key ") {
		t.Errorf("detail does not say the agent verified the token:\n%s", scr)
	}

	// A countdown moves between two captures.
	first := tm.screen()
	tm.waitFor("the countdown to move", func(scr string) bool { return scr != first })

	// 'c' puts exactly the token the agent serves into tmux's buffer.
	tm.must("send-keys", "-t", "s", "c")
	tm.waitText("copied the token of ilabt-dev")
	buf := tm.must("show-buffer")
	served := strings.TrimSpace(h.mustRun("token", id))
	if buf != served {
		t.Errorf("tmux buffer holds %d bytes ending …%s, agent serves …%s", len(buf), tail(buf), tail(served))
	}
	p.verify(buf, id)

	// Resize to 60x15: still alive, still drawing.
	tm.must("resize-window", "-t", "s", "-x", "60", "-y", "15")
	tm.waitFor("a frame at 60 columns", func(scr string) bool {
		lines := strings.Split(strings.TrimRight(scr, "\n"), "\n")
		return len(lines) <= 15 && strings.Contains(scr, "slices-tui")
	})

	tm.must("send-keys", "-t", "s", "q")
	deadline := time.Now().Add(5 * time.Second)
	for strings.TrimSpace(tm.must("display-message", "-p", "-t", "s", "#{pane_dead}")) != "1" {
		if time.Now().After(deadline) {
			t.Fatal("'q' did not quit")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestTUINoAgentThenAgent(t *testing.T) {
	tm := newTmux(t)
	t.Parallel()
	tui := buildTUI(t)
	p := startPortal(t)
	h := newHome(t, p.url)
	sock := h.dir + "/run/slices-agent/agent.sock"
	tm.must("new-session", "-d", "-s", "s", "-x", "100", "-y", "30",
		fmt.Sprintf("env SLICES_AGENT_SOCK=%s TERM=xterm-256color %s", sock, tui))
	tm.waitText(`eval "$(slices-agent env)"`)

	// Once an agent answers, the screen connects by itself.
	h.eval(h.mustRun("env", "-s", "--keyring", "memory"))
	tm.waitText("not logged in")
}

// startTUI logs in, tracks ilabt-dev and runs slices-tui (with args) in a
// 120x35 tmux pane whose environment adds env; it returns once the list shows.
func startTUI(t *testing.T, tm *tmuxServer, p *portalProc, env []string, args ...string) (*home, string) {
	t.Helper()
	tui := buildTUI(t)
	h := newHome(t, p.url)
	sock, _ := h.eval(h.mustRun("env", "-s", "--keyring", "memory"))
	h.mustRun("login", "--no-browser")
	id := projectID(t, h, "ilabt-dev")
	h.mustRun("add", "ilabt-dev")
	cmd := append([]string{"env", "-u", "WAYLAND_DISPLAY", "-u", "DISPLAY", "SLICES_AGENT_SOCK=" + sock, "TERM=xterm-256color"}, env...)
	cmd = append(append(cmd, tui), args...)
	tm.must("new-session", "-d", "-s", "s", "-x", "120", "-y", "35", strings.Join(cmd, " "))
	tm.must("set-option", "-g", "remain-on-exit", "on")
	tm.waitText("wall2-experiments")
	return h, id
}

// The banner warns while renewals of a token fail, and goes once one succeeds.
func TestTUIWarningBanner(t *testing.T) {
	tm := newTmux(t)
	t.Parallel()
	p := startPortal(t)
	h, _ := startTUI(t, tm, p, nil)
	// The emulator has a project close to its end: the list alone shows it.
	tm.waitText("⚠ project summer-school ends in")

	p.dev("POST", "/_dev/faults", `{"path":"/apis/","status":503}`)
	if r := h.run("refresh", "ilabt-dev"); r.code == 0 {
		t.Fatalf("refresh succeeded through the fault: %v", r)
	}
	scr := tm.waitText("⚠ ilabt-dev: renewals fail, lapses in")
	if lines := strings.Split(scr, "\n"); len(lines) < 2 || !strings.HasPrefix(lines[1], "⚠ ilabt-dev") ||
		!strings.Contains(lines[1], "(+1 more, ! to list)") {
		t.Errorf("the line under the header is not the most urgent warning and a count:\n%s", scr)
	}

	p.dev("DELETE", "/_dev/faults", "")
	h.mustRun("refresh", "ilabt-dev")
	tm.waitFor("the warning to clear after the renewal", func(scr string) bool {
		return !strings.Contains(scr, "renewals fail") && strings.Contains(scr, "⚠ project summer-school")
	})
}

// With a clipboard that can be read back (a stand-in xclip), a copied token
// is cleared after --clear-after, but only while the clipboard still holds it.
func TestTUIClearsTheClipboard(t *testing.T) {
	tm := newTmux(t)
	t.Parallel()
	p := startPortal(t)
	dir := t.TempDir()
	clip := filepath.Join(dir, "clip")
	xclip := "#!/bin/sh\ncase \"$*\" in *-o*) cat '" + clip + "'; exit 0;; esac\ncat > '" + clip + "'\n"
	if err := os.WriteFile(filepath.Join(dir, "xclip"), []byte(xclip), 0o755); err != nil {
		t.Fatal(err)
	}
	h, id := startTUI(t, tm, p, []string{"DISPLAY=:99", "PATH=" + dir + ":" + os.Getenv("PATH")}, "--clear-after", "2s")
	tm.waitText("▌ ● ilabt-dev") // the tracked one, listed first

	tm.must("send-keys", "-t", "s", "c")
	tm.waitText("via OSC 52 + xclip; clipboard clears in 2s")
	served := strings.TrimSpace(h.mustRun("token", id))
	if b, _ := os.ReadFile(clip); string(b) != served {
		t.Fatalf("the stand-in clipboard holds %d bytes ending …%s, the agent serves …%s", len(b), tail(string(b)), tail(served))
	}
	tm.waitText("cleared the clipboard of the token of ilabt-dev")
	if b, _ := os.ReadFile(clip); len(b) != 0 {
		t.Errorf("the clipboard still holds %q after the clear", b)
	}

	// Copy again, then the user copies something else: it stays.
	tm.must("send-keys", "-t", "s", "c")
	tm.waitText("clipboard clears in 2s")
	if err := os.WriteFile(clip, []byte("the user's own text"), 0o644); err != nil {
		t.Fatal(err)
	}
	tm.waitText("left the clipboard: it no longer holds the token of ilabt-dev")
	if b, _ := os.ReadFile(clip); string(b) != "the user's own text" {
		t.Errorf("the clear threw away what the user copied: clipboard holds %q", b)
	}
}

func tail(s string) string {
	if len(s) < 6 {
		return s
	}
	return s[len(s)-6:]
}
