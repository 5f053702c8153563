package e2e

import (
	"bytes"
	"strings"
	"testing"
)

// Bad input of every kind gets a clear error and a non-zero exit, and the
// agent goes on serving the token it had.
func TestBadInputKeepsServing(t *testing.T) {
	t.Parallel()
	p := startPortal(t)
	h := newHome(t, p.url)
	sock, _ := h.eval(h.mustRun("env", "-s", "--keyring", "memory"))
	h.mustRun("login", "--no-browser")
	id := projectID(t, h, "ilabt-dev")
	tok := strings.TrimSpace(h.mustRun("token", "ilabt-dev"))

	cases := []struct {
		args   []string
		code   int
		stderr []string
	}{
		{[]string{"token", "no-such-project"}, 1, []string{"unknown project \"no-such-project\"", "hint: run 'slices-agent projects'"}},
		{[]string{"token", "a", "b"}, 2, []string{"too many arguments"}},
		{[]string{"frobnicate"}, 2, []string{"unknown command", "hint:"}},
		{[]string{"token", "--min-valid", "soon"}, 2, []string{"invalid value"}},
		{[]string{"token", "ilabt-dev", "--min-valid", "3h"}, 1, []string{"longer than the portal's token lifetime", "hint:"}},
		{[]string{"-a", h.dir + "/none.sock", "token"}, 3, []string{"no agent is listening on " + h.dir + "/none.sock", `hint: start one with: eval "$(slices-agent env)"`}},
	}
	for _, c := range cases {
		r := h.run(c.args...)
		if r.code != c.code {
			t.Errorf("slices-agent %s: exit %d, want %d (%v)", strings.Join(c.args, " "), r.code, c.code, r)
		}
		for _, want := range c.stderr {
			if !strings.Contains(r.stderr, want) {
				t.Errorf("slices-agent %s: stderr %q lacks %q", strings.Join(c.args, " "), r.stderr, want)
			}
		}
		if strings.Contains(r.stderr, "panic") || strings.Contains(r.stderr, tok) {
			t.Errorf("slices-agent %s: stderr shows a panic or a token", strings.Join(c.args, " "))
		}
	}

	// Raw requests on the socket.
	if code, body := socketGet(t, sock, "POST", "/v1/unlock", nil, strings.NewReader("{not json")); code != 400 || !strings.Contains(body, `"bad_request"`) {
		t.Errorf("garbage body: %d %s", code, body)
	}
	big := bytes.Repeat([]byte("x"), 10<<20)
	if code, _ := socketGet(t, sock, "POST", "/v1/projects/"+id+"/refresh", nil, bytes.NewReader(big)); code != 413 && code != 0 {
		t.Errorf("10 MB body: %d, want 413", code)
	}
	if code, body := socketGet(t, sock, "GET", "/v1/nothing", nil, nil); code != 404 || !strings.Contains(body, `"hint"`) && !strings.Contains(body, `"code"`) {
		t.Errorf("unknown route: %d %s", code, body)
	}

	// A portal that hands out bad tokens: refused, and the good one is kept.
	for _, mode := range []string{"garbage", "unknown_kid", "alg_none", "wrong_sub"} {
		p.dev("POST", "/_dev/mode?token="+mode, "")
		r := h.run("refresh", "ilabt-dev")
		if r.code == 0 || !strings.Contains(r.stderr, "slices-agent:") {
			t.Errorf("refresh with a %s token from the portal: %v", mode, r)
		}
		if got := strings.TrimSpace(h.mustRun("token", "ilabt-dev")); got != tok {
			t.Errorf("after a %s token the agent no longer serves the good one", mode)
		}
	}
	p.dev("POST", "/_dev/mode?token=normal", "")
	h.mustRun("refresh", "ilabt-dev")
	fresh := strings.TrimSpace(h.mustRun("token", "ilabt-dev"))
	if fresh == tok {
		t.Error("refresh with the portal healed did not renew")
	}
	p.verify(fresh, id)
}

// The ssh-agent style start: shell syntaxes, -k, and a second agent refused.
func TestStartStopShells(t *testing.T) {
	t.Parallel()
	p := startPortal(t)
	h := newHome(t, p.url)
	sock := h.dir + "/a.sock"
	out := h.mustRun("-a", sock, "-s", "--keyring", "memory")
	if !strings.Contains(out, "SLICES_AGENT_SOCK="+sock+"; export SLICES_AGENT_SOCK;") || !strings.Contains(out, "echo Agent pid") {
		t.Errorf("-s output: %q", out)
	}
	_, pid := h.eval(out)
	if out := h.mustRun("-a", sock, "env", "-c"); !strings.Contains(out, "setenv SLICES_AGENT_SOCK "+sock+";") || !strings.Contains(out, "setenv SLICES_AGENT_PID ") {
		t.Errorf("-c output: %q", out)
	}
	if out := h.mustRun("-a", sock, "env", "--fish"); !strings.Contains(out, "set -gx SLICES_AGENT_SOCK "+sock+";") {
		t.Errorf("--fish output: %q", out)
	}
	r := h.run("-a", sock, "-D", "--keyring", "memory")
	if r.code != 1 || !strings.Contains(r.stderr, "already running") || !strings.Contains(r.stderr, "pid") {
		t.Errorf("second agent on a live socket: %v", r)
	}
	out = h.mustRun("-a", sock, "-k")
	if !strings.Contains(out, "unset SLICES_AGENT_SOCK;") || !strings.Contains(out, "killed") {
		t.Errorf("-k output: %q", out)
	}
	if waitGone(pid) != nil {
		t.Errorf("agent %d still alive after -k", pid)
	}
	if r := h.run("-a", sock, "status"); r.code != 3 {
		t.Errorf("status after -k: %v, want exit 3", r)
	}
}
