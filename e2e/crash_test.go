package e2e

import (
	"os"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// kill -9 in the middle of renewals, then a restart: the login survives and
// no refresh token is ever used twice.
func TestKillDuringRenewal(t *testing.T) {
	t.Parallel()
	p := startPortal(t)
	h := newHome(t, p.url)
	backend := keyringBackend(t)
	_, pid := h.eval(h.mustRun("env", "-s", "--keyring", backend))
	h.mustRun("login", "--no-browser")
	id := projectID(t, h, "ilabt-dev")
	tok := strings.TrimSpace(h.mustRun("token", id))

	// Both renewals hang at the portal; the agent dies while they are in flight.
	p.dev("POST", "/_dev/faults", `{"path":"/oauth/token","latency":"3s","count":1}`)
	p.dev("POST", "/_dev/faults", `{"path":"/apis/","latency":"3s","count":1}`)
	done := make(chan result, 2)
	go func() { done <- h.run("refresh") }()
	go func() { done <- h.run("refresh", id) }()
	time.Sleep(700 * time.Millisecond)
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if r := <-done; r.code == 0 {
			t.Errorf("a refresh whose agent was killed reported success: %v", r)
		}
	}
	if waitGone(pid) != nil {
		t.Fatal("agent survived kill -9")
	}

	before := p.stats()
	_, pid2 := h.eval(h.mustRun("env", "-s", "--keyring", backend))
	if pid2 == pid {
		t.Fatal("no new agent")
	}
	if got := strings.TrimSpace(h.mustRun("token", id)); got != tok {
		t.Errorf("after kill -9 and restart the stored project token was not served")
	}
	h.mustRun("refresh") // the stored refresh token is still the live one
	h.mustRun("refresh", id)
	after := p.stats()
	if after.RefreshReuse != 0 {
		t.Errorf("the portal saw %d reuses of a rotated refresh token", after.RefreshReuse)
	}
	if after.Requests["device_authorization"] != before.Requests["device_authorization"] {
		t.Error("the restart needed a new login")
	}
	p.verify(h.mustRun("token", id), id)
}

// The daemon never dumps core: a core file would hold every token.
func TestNoCoreDumps(t *testing.T) {
	t.Parallel()
	p := startPortal(t)
	h := newHome(t, p.url)
	_, pid := h.eval(h.mustRun("env", "-s", "--keyring", "memory"))
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/limits")
	if err != nil {
		t.Skipf("no /proc here: %v", err)
	}
	m := regexp.MustCompile(`(?m)^Max core file size\s+(\S+)\s+(\S+)`).FindStringSubmatch(string(b))
	if m == nil || m[1] != "0" || m[2] != "0" {
		t.Errorf("agent core limit: %q, want 0 0", m)
	}
}
