package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/slices-ri/slices-agent/token"
)

// The emulator fails renewals: a stand-in notify-send on PATH receives exactly
// one warning, before the token lapses.
func TestWarningBeforeExpiry(t *testing.T) {
	t.Parallel()
	calls, d := failRenewals(t)
	b, _ := os.ReadFile(calls)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 2 {
		t.Fatalf("notify-send was called %d times, want once: %q", len(lines)/2, b)
	}
	if !strings.Contains(lines[1], "renewal failing") || !strings.Contains(lines[1], "ilabt-dev") {
		t.Errorf("the warning does not say what fails: %q", lines[1])
	}
	var at float64
	if _, err := fmt.Sscan(lines[0], &at); err != nil {
		t.Fatal(err)
	}
	if when := time.Unix(0, int64(at*1e9)); !when.Before(d.ExpiresAt) {
		t.Errorf("warned at %v, after the token lapsed at %v", when, d.ExpiresAt)
	}
}

func TestNoNotify(t *testing.T) {
	t.Parallel()
	calls, _ := failRenewals(t, "--no-notify")
	if b, err := os.ReadFile(calls); err == nil {
		t.Errorf("--no-notify, yet notify-send was called: %q", b)
	}
}

// failRenewals starts an agent (with agentFlags) whose notify-send is a
// stand-in recording its calls, then fails every project-token renewal until
// the token has lapsed. It returns the stand-in's record and the lapsed token.
func failRenewals(t *testing.T, agentFlags ...string) (string, *token.Decoded) {
	p := startPortal(t, "--token-ttl", "4s")
	h := newHome(t, p.url)
	stand := filepath.Join(h.dir, "bin")
	calls := filepath.Join(h.dir, "notify-calls")
	if err := os.Mkdir(stand, 0o755); err != nil {
		t.Fatal(err)
	}
	script := "#!/bin/sh\n{ date +%s.%N; printf '%s|' \"$@\"; echo; } >>" + calls + "\n"
	if err := os.WriteFile(filepath.Join(stand, "notify-send"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	h.setenv("PATH", stand+":"+h.getenv("PATH"))
	h.eval(h.mustRun(append([]string{"env", "-s", "--keyring", "memory"}, agentFlags...)...))
	h.mustRun("login", "--no-browser")
	id := projectID(t, h, "ilabt-dev")
	d := p.verify(h.mustRun("token", id), id)

	p.dev("POST", "/_dev/faults", `{"path":"/apis/","status":503}`)
	time.Sleep(time.Until(d.ExpiresAt) + 2*time.Second)
	return calls, d
}
