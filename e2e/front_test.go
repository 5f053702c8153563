package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// runAs runs the program at path with argv (the program name first) in
// env, bounded in time, and returns what it did and how long it took.
func runAs(path string, argv, env []string) (result, time.Duration) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, path)
	cmd.Args = argv
	cmd.Env = env
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	err := cmd.Run()
	took := time.Since(start)
	code := 0
	if err != nil {
		code = -1
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		}
	}
	return result{out.String(), errb.String(), code}, took
}

// frontAlone copies the front end, and nothing else, into a directory of
// its own: what it answers there it answered without the core, and what it
// hands over fails with "cannot run slices-agent-core".
func frontAlone(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	copyExe(t, bin("slices-agent"), filepath.Join(dir, "slices-agent"))
	return filepath.Join(dir, "slices-agent")
}

// copyExe copies an executable.
func copyExe(t *testing.T, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, 0o755); err != nil {
		t.Fatal(err)
	}
}

// handedOver reports whether r is the front end alone failing to hand over.
func handedOver(r result) bool {
	return r.code == 1 && r.stdout == "" && strings.HasPrefix(r.stderr, "slices-agent: cannot run slices-agent-core: ") &&
		strings.Contains(r.stderr, "\nhint: ")
}

// frontCase is one command line run through the front end and the core.
type frontCase struct {
	name string
	args []string
	env  []string // added to the home's environment (later entries win)
	code int      // the exit status both must give
	// self: the front end answers it without the core; otherwise it must
	// hand it over (and the copy without a core then fails).
	self bool
	// clock: the output shows time left in minutes, which may tick between
	// two runs: compare again (up to twice) before calling it a difference.
	clock bool
	check func(t *testing.T, r result) // more about the answer, or nil
}

// sameAnswers runs each case through the front end, the core (argv[0]
// "slices-agent", as the front end execs it) and the front end without a
// core beside it, and requires the same bytes and exit status from the
// first two, and from the third the same (self) or a hand-over.
func sameAnswers(t *testing.T, h *home, alone string, cases []frontCase) {
	t.Helper()
	for _, c := range cases {
		env := append(append([]string{}, h.env...), c.env...)
		argv := append([]string{"slices-agent"}, c.args...)
		var front, core result
		for try := 0; ; try++ {
			front, _ = runAs(bin("slices-agent"), argv, env)
			core, _ = runAs(bin("slices-agent-core"), argv, env)
			if front == core || !c.clock || try == 2 {
				break
			}
		}
		if front != core {
			t.Errorf("%s: %q\n front: %v\n core:  %v", c.name, c.args, front, core)
			continue
		}
		if core.code != c.code {
			t.Errorf("%s: %q: %v, want exit %d", c.name, c.args, core, c.code)
		}
		if c.check != nil {
			c.check(t, core)
		}
		solo, _ := runAs(alone, argv, env)
		switch {
		case c.self && solo != core && !c.clock:
			t.Errorf("%s: %q: the front end alone gave %v, the core %v: it did not answer it itself", c.name, c.args, solo, core)
		case c.self && c.clock && solo.code != core.code:
			t.Errorf("%s: %q: the front end alone gave %v, the core %v", c.name, c.args, solo, core)
		case !c.self && !handedOver(solo):
			t.Errorf("%s: %q: the front end alone gave %v, want it handed over to the core", c.name, c.args, solo)
		}
	}
}

// hasToken is a check that stdout is one JWT for subject ("" the user).
func hasToken(p *portalProc, subject string) func(*testing.T, result) {
	return func(t *testing.T, r result) {
		t.Helper()
		if !strings.HasSuffix(r.stdout, "\n") || strings.Count(r.stdout, "\n") != 1 || r.stderr != "" {
			t.Errorf("token output %q, stderr %q: want one line", r.stdout, r.stderr)
			return
		}
		p.verify(r.stdout, subject)
	}
}

// says is a check that stderr holds every one of parts.
func says(parts ...string) func(*testing.T, result) {
	return func(t *testing.T, r result) {
		t.Helper()
		for _, s := range parts {
			if !strings.Contains(r.stderr, s) {
				t.Errorf("stderr %q does not say %q", r.stderr, s)
			}
		}
	}
}

// outputIs is a check of the whole of stdout.
func outputIs(want string) func(*testing.T, result) {
	return func(t *testing.T, r result) {
		t.Helper()
		if r.stdout != want {
			t.Errorf("stdout %q, want %q", r.stdout, want)
		}
	}
}

// The front end answers token and prompt itself and hands every other
// command line over; either way a user sees exactly what the core prints,
// byte for byte and exit status for exit status, in every flag order, for
// hostile names, while locked and with no agent.
func TestFrontAnswersAsTheCore(t *testing.T) {
	t.Parallel()
	p := startPortal(t)
	hostile := []string{"two words", "a/b", "50%25", "q?x#y&z=1", ".."}
	ids := map[string]string{}
	for _, n := range hostile {
		b, _ := json.Marshal(map[string]string{"name": n, "description": "d", "role": "member"})
		p.dev("POST", "/_dev/projects", string(b))
	}
	for _, n := range []string{"-dash", "twin", "twin"} {
		p.dev("POST", "/_dev/projects", `{"name":"`+n+`","role":"viewer"}`)
	}
	h := newHome(t, p.url)
	sock, _ := h.eval(h.mustRun("env", "-s", "--keyring", "memory"))
	h.mustRun("login", "--no-browser")
	const P = "ilabt-dev"
	id := projectID(t, h, P)
	for _, n := range append(hostile, "-dash") {
		ids[n] = projectID(t, h, n)
	}
	h.mustRun("add", P)
	alone := frontAlone(t)
	wrongSock := "SLICES_AGENT_SOCK=" + filepath.Join(h.dir, "run", "nothing-here.sock")
	other := "http://127.0.0.1:1"

	// A config file names another portal (the running agent's is what
	// counts for token and prompt), or is not TOML at all.
	otherConf, badConf := filepath.Join(h.dir, "conf1"), filepath.Join(h.dir, "conf2")
	os.MkdirAll(filepath.Join(otherConf, "slices-agent"), 0o700)
	os.MkdirAll(filepath.Join(badConf, "slices-agent"), 0o700)
	os.WriteFile(filepath.Join(otherConf, "slices-agent", "config.toml"), []byte("portal = \"http://127.0.0.1:1\"\n"), 0o600)
	os.WriteFile(filepath.Join(badConf, "slices-agent", "config.toml"), []byte("portal = [[[\n"), 0o600)

	cases := []frontCase{
		{name: "config other portal", args: []string{"token", P}, env: []string{"XDG_CONFIG_HOME=" + otherConf}, self: true, check: hasToken(p, id)},
		{name: "config broken", args: []string{"token", P}, env: []string{"XDG_CONFIG_HOME=" + badConf}, self: true, check: hasToken(p, id)},
		{name: "config broken prompt", args: []string{"prompt", "--format", "%n", P}, env: []string{"XDG_CONFIG_HOME=" + badConf}, self: true, check: outputIs(P + "\n")},
		{name: "project", args: []string{"token", P}, self: true, check: hasToken(p, id)},
		{name: "user", args: []string{"token"}, self: true, check: hasToken(p, "")},
		{name: "by id", args: []string{"token", id}, self: true, check: hasToken(p, id)},
		{name: "-a first", args: []string{"-a", sock, "token", P}, env: []string{wrongSock}, self: true, check: hasToken(p, id)},
		{name: "-a after command", args: []string{"token", "-a", sock, P}, env: []string{wrongSock}, self: true, check: hasToken(p, id)},
		{name: "-a= last", args: []string{"token", P, "-a=" + sock}, env: []string{wrongSock}, self: true, check: hasToken(p, id)},
		{name: "--a", args: []string{"--a", sock, "token", P}, env: []string{wrongSock}, self: true, check: hasToken(p, id)},
		{name: "-a twice", args: []string{"-a", "/nonexistent/x.sock", "token", "-a", sock, P}, env: []string{wrongSock}, self: true, check: hasToken(p, id)},
		{name: "wrong socket", args: []string{"token", P}, env: []string{wrongSock}, code: 3, check: says("nothing-here.sock")},
		{name: "min-valid", args: []string{"token", "--min-valid", "60s", P}, self: true, check: hasToken(p, id)},
		{name: "min-valid=secs", args: []string{"token", "--min-valid=90", P}, self: true, check: hasToken(p, id)},
		{name: "-min-valid after", args: []string{"token", P, "-min-valid", "5m"}, self: true, check: hasToken(p, id)},
		{name: "min-valid negative", args: []string{"token", "--min-valid", "-5s", P}, code: 2, check: says("hint:")},
		{name: "min-valid empty", args: []string{"token", "--min-valid=", P}, check: hasToken(p, id)},
		{name: "min-valid garbage", args: []string{"token", "--min-valid", "soon", P}, code: 2},
		{name: "min-valid too long", args: []string{"token", "--min-valid", "3h", P}, code: 1, check: says("3h0m0s", "hint:")},
		{name: "min-valid missing", args: []string{"token", P, "--min-valid"}, code: 2},
		{name: "--", args: []string{"token", "--", P}, self: true, check: hasToken(p, id)},
		{name: "unknown project", args: []string{"token", "nope"}, code: 1, check: says("nope", "hint:")},
		{name: "two operands", args: []string{"token", "a", "b"}, code: 2, check: says("too many arguments")},
		{name: "-h", args: []string{"token", "-h"}, code: 0},
		{name: "--json", args: []string{"token", "--json", P}, code: 2},
		{name: "same portal", args: []string{"--portal", p.url, "token", P}, self: true, check: hasToken(p, id)},
		{name: "daemon flags", args: []string{"--client-id", "slices-agent", "--scope", "openid", "token", P}, self: true, check: hasToken(p, id)},
		{name: "keyring not used", args: []string{"--keyring", "bogus", "token", P}, self: true, check: hasToken(p, id)},
		{name: "other portal", args: []string{"token", P}, env: []string{"SLICES_PORTAL_URL=" + other}, code: 1, check: says(other, p.url)},
		{name: "other portal flag", args: []string{"token", "--portal", other, P}, code: 1, check: says(other, p.url)},
		// A config file that cannot be read does not make the portal asked for forgotten.
		{name: "other portal, config broken", args: []string{"token", P}, env: []string{"SLICES_PORTAL_URL=" + other, "XDG_CONFIG_HOME=" + badConf}, code: 1, check: says(other, p.url)},
		{name: "other portal flag, config broken", args: []string{"token", "--portal", other, P}, env: []string{"XDG_CONFIG_HOME=" + badConf}, code: 1, check: says(other, p.url)},
		{name: "empty portal env", args: []string{"token", P}, env: []string{"SLICES_PORTAL_URL="}, self: true, check: hasToken(p, id)},
		{name: "empty socket env", args: []string{"token", P}, env: []string{"SLICES_AGENT_SOCK="}, self: true, check: hasToken(p, id)},
		{name: "portal with a slash", args: []string{"--portal", p.url + "/", "token", P}, self: true, check: hasToken(p, id)},
		{name: "min-valid twice", args: []string{"token", "--min-valid", "3h", "--min-valid", "1m", P}, self: true, check: hasToken(p, id)},
		{name: "empty operand", args: []string{"token", ""}, code: 2, check: says("empty PROJECT")}, // not the user token: 'token "$P"' with P unset
		{name: "dash operand", args: []string{"token", "-"}, code: 1},
		{name: "dash project", args: []string{"token", "--", "-dash"}, self: true, check: hasToken(p, ids["-dash"])},
		{name: "twins", args: []string{"token", "twin"}, code: 1, check: says("twin")},
		{name: "prompt", args: []string{"prompt"}, self: true, clock: true, check: func(t *testing.T, r result) {
			if !strings.HasPrefix(r.stdout, "slices:") || !strings.HasSuffix(r.stdout, "m\n") {
				t.Errorf("prompt %q, want a segment with time left", r.stdout)
			}
		}},
		{name: "prompt format", args: []string{"prompt", P, "--format", "%n|%s|%r"}, self: true, check: outputIs(P + "|valid|lead\n")},
		{name: "prompt format by id", args: []string{"prompt", "--format=%n %r", id}, self: true, check: outputIs(P + " lead\n")},
		{name: "prompt color never", args: []string{"prompt", "--color", "never", P}, self: true, clock: true},
		{name: "prompt color always", args: []string{"prompt", "--color=always", "--format", "%n", P}, self: true},
		{name: "prompt color bogus", args: []string{"prompt", "--color", "bogus"}, code: 2},
		{name: "prompt unknown", args: []string{"prompt", "nope"}, self: true, check: outputIs("")},
		{name: "prompt two operands", args: []string{"prompt", "a", "b"}, code: 2},
		{name: "prompt -a", args: []string{"prompt", "-a", sock, "--format", "%n", P}, env: []string{wrongSock}, self: true, check: outputIs(P + "\n")},
		{name: "prompt wrong socket", args: []string{"prompt"}, env: []string{wrongSock}, self: true, check: outputIs("")},
	}
	for _, n := range hostile {
		cases = append(cases, frontCase{name: "hostile " + n, args: []string{"token", n}, self: true, check: hasToken(p, ids[n])})
		cases = append(cases,
			frontCase{name: "hostile by id " + n, args: []string{"token", ids[n]}, self: true, check: hasToken(p, ids[n])},
			frontCase{name: "hostile prompt " + n, args: []string{"prompt", "--format", "%n %r", n}, self: true, check: outputIs(n + " member\n")})
	}
	sameAnswers(t, h, alone, cases)

	pass := filepath.Join(h.dir, "pass")
	os.WriteFile(pass, []byte("a long passphrase\n"), 0o600)
	h.mustRun("lock", "--passphrase-file", pass)
	sameAnswers(t, h, alone, []frontCase{
		{name: "locked token", args: []string{"token", P}, code: 5, check: says("locked", "hint:")},
		{name: "locked user token", args: []string{"token"}, code: 5},
		{name: "locked prompt", args: []string{"prompt"}, self: true, check: func(t *testing.T, r result) {
			if !strings.Contains(r.stdout, "locked") {
				t.Errorf("prompt while locked: %q, want it to say locked", r.stdout)
			}
		}},
	})
	h.mustRun("unlock", "--passphrase-file", pass)
	h.mustRun("stop")
	stale := filepath.Join(h.dir, "run", "stale.sock")
	l, err := net.Listen("unix", stale)
	if err != nil {
		t.Fatal(err)
	}
	l.(*net.UnixListener).SetUnlinkOnClose(false)
	l.Close()
	staleEnv := []string{"SLICES_AGENT_SOCK=" + stale}
	sameAnswers(t, h, alone, []frontCase{
		{name: "stale socket token", args: []string{"token", P}, env: staleEnv, code: 3, check: says(stale)},
		{name: "stale socket prompt", args: []string{"prompt"}, env: staleEnv, self: true, check: outputIs("")},
		{name: "no agent token", args: []string{"token", P}, code: 3, check: says(sock, "hint:")},
		{name: "no agent user token", args: []string{"token"}, code: 3, check: says(sock)},
		{name: "no agent prompt", args: []string{"prompt"}, self: true, check: outputIs("")},
		{name: "no agent prompt project", args: []string{"prompt", P}, self: true, check: outputIs("")},
	})
}
