package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/slices-ri/slices-agent/internal/testenv"
)

// keyringBackend is the system keyring when a throwaway one runs (scripts/with-keyring,
// always in CI), else file: a test never fills a desktop's real keyring.
func keyringBackend(t *testing.T) string {
	if testenv.Required("keyring") || os.Getenv("SLICES_TEST_PRIVATE_KEYRING") == "1" {
		testenv.SystemKeyring(t)
		return "system"
	}
	t.Log("no system keyring here: using the file backend for the restart checks")
	return "file"
}

// projectByName returns the id of a demo project.
func projectID(t *testing.T, h *home, name string) string {
	t.Helper()
	var list struct {
		Projects []struct{ ID, Name string }
	}
	if err := json.Unmarshal([]byte(h.mustRun("projects", "--json")), &list); err != nil {
		t.Fatal(err)
	}
	for _, p := range list.Projects {
		if p.Name == name {
			return p.ID
		}
	}
	t.Fatalf("no project %q in %v", name, list.Projects)
	return ""
}

func TestLoginTokenRestart(t *testing.T) {
	t.Parallel()
	p := startPortal(t)
	h := newHome(t, p.url)
	backend := keyringBackend(t)

	sock, pid := h.eval(h.mustRun("env", "-s", "--keyring", backend))
	if want := filepath.Join(h.dir, "run", "slices-agent", "agent.sock"); sock != want {
		t.Errorf("default socket %q, want %q", sock, want)
	}
	if fi, err := os.Stat(sock); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("socket mode: %v %v", fi.Mode(), err)
	}
	if fi, err := os.Stat(filepath.Dir(sock)); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("socket directory mode: %v %v", fi.Mode(), err)
	}
	// env is idempotent: a second eval finds the same agent.
	if _, pid2 := h.eval(h.mustRun("env", "-s")); pid2 != pid {
		t.Errorf("second env started another agent (%d, first %d)", pid2, pid)
	}

	if r := h.run("token"); r.code != 4 || !strings.Contains(r.stderr, "hint: run 'slices-agent login'") {
		t.Errorf("token before login: %v, want exit 4 with a hint", r)
	}
	out := h.mustRun("login", "--no-browser")
	if !strings.Contains(out, "/oauth/authorize_device?user_code=") || !strings.Contains(out, "Logged in") {
		t.Errorf("login output: %q", out)
	}
	id := projectID(t, h, "ilabt-dev")
	tok := strings.TrimSpace(h.mustRun("token", "ilabt-dev"))
	d := p.verify(tok, id)
	if d.Typ != "JWT+slices.eu/proj" {
		t.Errorf("typ %q", d.Typ)
	}
	if byID := strings.TrimSpace(h.mustRun("token", id)); byID != tok {
		t.Errorf("token by id differs from token by name")
	}
	code, body := socketGet(t, sock, "GET", "/v1/projects/"+id+"/token", map[string]string{"Accept": "application/jwt"}, nil)
	if code != 200 || body != tok {
		t.Errorf("socket GET gave %d and another token", code)
	}
	user := strings.TrimSpace(h.mustRun("token"))
	p.verify(user, "")

	before := p.stats()
	h.mustRun("stop")
	if waitGone(pid) != nil {
		t.Fatalf("agent %d still running after stop", pid)
	}
	_, pid3 := h.eval(h.mustRun("env", "-s", "--keyring", backend))
	if pid3 == pid {
		t.Fatal("no new agent after stop")
	}
	if again := strings.TrimSpace(h.mustRun("token", "ilabt-dev")); again != tok {
		t.Errorf("after restart the project token differs: not reloaded from the %s keyring", backend)
	}
	if againUser := strings.TrimSpace(h.mustRun("token")); againUser != user {
		t.Errorf("after restart the user token differs")
	}
	after := p.stats()
	if after.Requests["token_device"] != before.Requests["token_device"] || after.Requests["device_authorization"] != before.Requests["device_authorization"] {
		t.Errorf("restart needed a new login")
	}
	var st struct {
		Keyring string
		User    struct {
			LoggedIn bool `json:"logged_in"`
		}
	}
	json.Unmarshal([]byte(h.mustRun("status", "--json")), &st)
	if !st.User.LoggedIn || st.Keyring != backend {
		t.Errorf("status after restart: %+v", st)
	}
}

func waitGone(pid int) error {
	for range 100 {
		if !alive(pid) {
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return os.ErrExist
}

// With a 5 s lifetime, 30 s of token calls never see an expired token and the
// portal issues one token per renewal, not more.
func TestNeverExpiredUnderRenewal(t *testing.T) {
	if testing.Short() {
		t.Skip("runs for 30 s")
	}
	t.Parallel()
	const ttl = 5 * time.Second
	p := startPortal(t, "--token-ttl", ttl.String())
	h := newHome(t, p.url)
	h.eval(h.mustRun("env", "-s", "--keyring", "memory"))
	h.mustRun("login", "--no-browser")
	id := projectID(t, h, "gpu-cluster")
	h.mustRun("add", id)
	p.dev("POST", "/_dev/stats/reset", "")

	seen := map[string]bool{}
	start := time.Now()
	for time.Since(start) < 30*time.Second {
		r := h.run("token", "gpu-cluster", "--min-valid", "1s")
		if r.code != 0 {
			t.Fatalf("token during renewal: %v", r)
		}
		tok := strings.TrimSpace(r.stdout)
		d := p.verify(tok, id)
		if left := time.Until(d.ExpiresAt); left < time.Second {
			t.Fatalf("served a token with %v left despite --min-valid 1s", left)
		}
		seen[tok] = true
		time.Sleep(100 * time.Millisecond)
	}
	elapsed := time.Since(start)
	issued := p.stats().ProjectTokens[id]
	// A token lives ttl-0.5 s on average from when it is fetched (exp is in whole
	// seconds) and is renewed after 0.725 of that (a quarter left, minus up to
	// 5 % jitter).
	want := float64(elapsed) / (0.725 * float64(ttl-time.Second/2))
	if float64(issued) < want-2 || float64(issued) > want+2 {
		t.Errorf("portal issued %d tokens in %v at a %v lifetime, want about %.1f", issued, elapsed.Round(time.Second), ttl, want)
	}
	// The client may also see the one token issued before the stats were reset.
	if len(seen) > issued+1 {
		t.Errorf("saw %d distinct tokens but the portal issued %d", len(seen), issued)
	}
	t.Logf("%d tokens issued in %v, %d seen by the client", issued, elapsed.Round(time.Second), len(seen))
}

func TestPortalOutageLongerThanALifetime(t *testing.T) {
	if testing.Short() {
		t.Skip("runs for several seconds")
	}
	t.Parallel()
	p := startPortal(t, "--token-ttl", "3s")
	h := newHome(t, p.url)
	h.eval(h.mustRun("env", "-s", "--keyring", "memory"))
	h.mustRun("login", "--no-browser")
	id := projectID(t, h, "ilabt-dev")
	h.mustRun("token", "ilabt-dev")

	p.dev("POST", "/_dev/faults", `{"path":"/apis/","status":503}`)
	time.Sleep(3500 * time.Millisecond)
	r := h.run("token", "ilabt-dev")
	if r.code == 0 {
		t.Fatalf("served a token with the portal down for longer than its lifetime: %v", r)
	}
	if !strings.Contains(r.stderr, "no valid token") || !strings.Contains(r.stderr, "hint:") {
		t.Errorf("outage error: %v", r)
	}
	code, body := socketGet(t, h.getenv("SLICES_AGENT_SOCK"), "GET", "/v1/projects/ilabt-dev/token", nil, nil)
	if code != 503 || !strings.Contains(body, `"token_unavailable"`) {
		t.Errorf("socket during outage: %d %s", code, body)
	}

	p.dev("DELETE", "/_dev/faults", "")
	deadline := time.Now().Add(15 * time.Second)
	for {
		if r := h.run("token", "ilabt-dev"); r.code == 0 {
			p.verify(r.stdout, id)
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the agent did not recover after the portal came back")
		}
		time.Sleep(250 * time.Millisecond)
	}
}
