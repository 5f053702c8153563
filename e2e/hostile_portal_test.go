package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// rawBytes are what must never reach a terminal as themselves.
var rawBytes = []string{"\x1b", "\x07", "\x9b", "\u202e", "\x00"}

// mustBeClean fails when out carries a raw control byte.
func mustBeClean(t *testing.T, what, out string) {
	t.Helper()
	for _, b := range rawBytes {
		if strings.Contains(out, b) {
			t.Errorf("%s printed %q raw: %q", what, b, out)
		}
	}
}

// Project names, descriptions, roles, the username and error text from the
// portal carry escape sequences and shell syntax; every command shows them
// escaped, and bash completion hands the names over quoted, running nothing.
func TestHostilePortalTextIsEscaped(t *testing.T) {
	t.Parallel()
	p := startPortal(t)
	h := newHome(t, p.url)
	mark := filepath.Join(h.dir, "pwned")
	names := []string{
		"$(touch " + mark + ")",
		"`touch " + mark + "2`",
		"evil\x1b]52;c;cm0gLXJmIH4=\x07\x1b[2J",
		"rtl\u202etxt.exe",
	}
	for i, n := range names {
		b, _ := json.Marshal(map[string]string{"name": n, "description": "desc\x1b[31m" + n, "role": []string{"lead", "admin\x1b[8m", "member", "viewer"}[i]})
		p.dev("POST", "/_dev/projects", string(b))
	}
	p.dev("POST", "/_dev/user", `{"username":"\u001b]0;owned\u0007demo"}`)
	h.eval(h.mustRun("env", "-s", "--keyring", "memory"))
	r := h.run("login", "--no-browser")
	mustBeClean(t, "login", r.stdout+r.stderr)
	if r.code != 0 || !strings.Contains(r.stdout, `Logged in as \x1b]0;owned\x07demo.`) {
		t.Errorf("login: %v, want the username escaped", r)
	}
	out := h.mustRun("projects")
	mustBeClean(t, "projects", out)
	if !strings.Contains(out, `evil\x1b]52;c;cm0gLXJmIH4=\x07\x1b[2J`) || !strings.Contains(out, `rtl\u202etxt.exe`) || !strings.Contains(out, `admin\x1b[8m`) {
		t.Errorf("projects does not show the names escaped: %q", out)
	}
	for _, n := range names {
		r := h.run("add", n)
		mustBeClean(t, "add", r.stdout+r.stderr)
		if r.code != 0 {
			t.Errorf("add %q: %v", n, r)
		}
	}
	for _, args := range [][]string{{"status"}, {"prompt", names[2]}, {"prompt", names[2], "--color", "bash"}, {"prompt"}} {
		r := h.run(args...)
		mustBeClean(t, strings.Join(args, " "), strings.ReplaceAll(strings.ReplaceAll(r.stdout, "\x01\x1b[32m\x02", ""), "\x01\x1b[0m\x02", "")+r.stderr)
		if r.code != 0 {
			t.Errorf("%v: %v", args, r)
		}
	}
	// Error text from the portal.
	p.dev("POST", "/_dev/faults", `{"path":"/apis/","status":500,"count":1,"body":"boom\u001b[2J\u0007 rm -rf"}`)
	r = h.run("projects")
	mustBeClean(t, "projects error", r.stdout+r.stderr)
	if r.code != 6 || !strings.Contains(r.stderr, `boom\x1b[2J\x07`) {
		t.Errorf("projects with a hostile error: %v", r)
	}

	// Bash completion, as bash runs it, with the agent's names.
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash")
	}
	complete := func(words ...string) []string {
		script := `source <(slices-agent completion bash)
COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
_slices_agent
printf '%s\n' "${COMPREPLY[@]}"`
		cmd := exec.Command(bash, append([]string{"-c", script, "bash"}, words...)...)
		cmd.Env = append(append([]string{}, h.env...), "PATH="+binDir+":/usr/bin:/bin")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("bash completion %q: %v %s", words, err, out)
		}
		return strings.Split(strings.TrimSpace(string(out)), "\n")
	}
	all := strings.Join(complete("slices-agent", "add", ""), "\n")
	withP := strings.Join(complete("slices-agent", "exec", "-p", "$("), "\n")
	for _, f := range []string{mark, mark + "2"} {
		if _, err := os.Stat(f); err == nil {
			t.Errorf("completion ran a project name: %s exists", f)
		}
	}
	if !strings.Contains(all, `\$\(touch\ `+mark+`\)`) || !strings.Contains(all, "\\`touch\\ ") || !strings.Contains(all, "ilabt-dev") {
		t.Errorf("completion of add: %q, want the names quoted for the shell", all)
	}
	mustBeClean(t, "completion", all)
	if withP != `\$\(touch\ `+mark+`\)` {
		t.Errorf("completion of exec -p '$(': %q, want only the one name, quoted", withP)
	}
	for _, sh := range []string{"zsh", "fish"} {
		if _, err := exec.LookPath(sh); err != nil {
			t.Logf("%s is not installed: its completion (compadd / fish's own quoting of command output) is not run here", sh)
		}
	}
}

// A portal in front of the emulator that redirects the token endpoint and
// the projects list to another origin (same host, another port) gets neither
// the refresh token nor the user token there.
func TestTokensOnlyGoWhereTheyBelong(t *testing.T) {
	t.Parallel()
	p := startPortal(t)
	var mu sync.Mutex
	var seen []string
	rec := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		seen = append(seen, r.Method+" "+r.URL.Path+" auth="+r.Header.Get("Authorization")+" body="+string(b))
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"projects":[]}`)
	}))
	t.Cleanup(rec.Close)
	target, _ := url.Parse(p.url)
	proxy := httputil.NewSingleHostReverseProxy(target)
	var hostile atomic.Bool
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hostile.Load() {
			switch {
			case r.URL.Path == "/oauth/token":
				http.Redirect(w, r, rec.URL+r.URL.Path, http.StatusTemporaryRedirect)
				return
			case strings.HasSuffix(r.URL.Path, "/projects/"):
				http.Redirect(w, r, rec.URL+r.URL.Path, http.StatusFound)
				return
			}
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(front.Close)

	h := newHome(t, front.URL)
	h.eval(h.mustRun("env", "-s", "--keyring", "memory"))
	h.mustRun("login", "--no-browser")
	h.mustRun("token", "ilabt-dev")
	hostile.Store(true)
	if r := h.run("refresh"); r.code == 0 || !strings.Contains(r.stderr, "redirect") {
		t.Errorf("refresh through a redirected token endpoint: %v, want a failure naming the redirect", r)
	}
	h.run("projects")
	mu.Lock()
	defer mu.Unlock()
	for _, s := range seen {
		if strings.Contains(s, "Bearer") || strings.Contains(s, "refresh_token") {
			t.Errorf("the other origin got a token: %.200s", s)
		}
	}
	t.Logf("the other origin saw: %q", seen)
}

// A portal restarted with a new signing key under the same kid: the next
// login works without restarting the agent (the keys are fetched again).
func TestLoginAfterPortalRestartsWithANewKey(t *testing.T) {
	t.Parallel()
	p := startPortal(t)
	h := newHome(t, p.url)
	h.eval(h.mustRun("env", "-s", "--keyring", "memory"))
	h.mustRun("login", "--no-browser")
	h.mustRun("token", "ilabt-dev")
	p.cmd.Process.Kill()
	p.cmd.Wait()
	u, _ := url.Parse(p.url)
	p2 := startPortal(t, "--addr", u.Host)
	if p2.url != p.url {
		t.Fatalf("restarted portal at %s, not %s", p2.url, p.url)
	}
	r := h.run("login", "--no-browser")
	if r.code == 6 {
		// A keep-alive connection to the old process can fail the first
		// request (a POST is not retried by net/http): unreachable, once.
		t.Logf("first login after the restart: %v; again", r)
		r = h.run("login", "--no-browser")
	}
	if r.code != 0 {
		t.Fatalf("login after the portal restarted with a new key: %v", r)
	}
	// The user token of the new login, and a project token fetched with
	// it, are the new portal's. (The old project token, still valid and
	// verified when it was fetched, may be served until it is renewed.)
	p2.verify(h.mustRun("token"), "")
	h.mustRun("refresh", "ilabt-dev")
	p2.verify(h.mustRun("token", "ilabt-dev"), "")
}
