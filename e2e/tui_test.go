package e2e

import (
	"fmt"
	"os"
	"os/exec"
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

func tail(s string) string {
	if len(s) < 6 {
		return s
	}
	return s[len(s)-6:]
}
