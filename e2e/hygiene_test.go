package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// forged is JWT-shaped with a signature that verifies nowhere.
const forged = "eyJhbGciOiJFUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6ImVjMSJ9.eyJzdWIiOiJub2JvZHkiLCJleHAiOjQxMDI0NDQ4MDB9.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"

// jwtShape matches any whole JWT: logs and messages must never hold one.
var jwtShape = regexp.MustCompile(`eyJ[A-Za-z0-9_-]+\.eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+`)

// secrets collects every token seen during a scenario, and every text
// that must not contain one.
type secrets struct {
	t      *testing.T
	tokens map[string]string // token -> where it was seen
	texts  map[string]string // name -> text to scan
}

func (s *secrets) token(where, tok string) {
	if tok = strings.TrimSpace(tok); len(tok) >= 16 {
		s.tokens[tok] = where
	}
}

func (s *secrets) text(name, text string) {
	s.texts[name+" #"+strconv.Itoa(len(s.texts))] = text
}

// keyring reads the file keyring and collects every secret in it: the
// access, refresh and project tokens as the agent stores them.
func (s *secrets) keyring(path string) {
	b, err := os.ReadFile(path)
	if err != nil {
		s.t.Fatalf("reading the file keyring: %v", err)
	}
	var f struct{ Secrets map[string][]byte }
	if err := json.Unmarshal(b, &f); err != nil {
		s.t.Fatalf("file keyring: %v", err)
	}
	for name, v := range f.Secrets {
		var e map[string]any
		if json.Unmarshal(v, &e) != nil {
			continue
		}
		for k, x := range e {
			if str, ok := x.(string); ok && strings.Contains(k, "token") {
				s.token("keyring "+name+" "+k, str)
			}
		}
	}
}

// run runs a command and keeps its output for the scan.
func (s *secrets) run(h *home, args ...string) result {
	r := h.run(args...)
	s.text(strings.Join(args, " ")+" stdout", r.stdout)
	s.text(strings.Join(args, " ")+" stderr", r.stderr)
	return r
}

// A whole scenario with the agent in debug mode — login, tokens, renewals
// of user and project tokens, errors, bad input, portal faults, lock, a
// restart, logout — and not one token in the agent's log, in any output
// other than the token itself, or in any error answer.
func TestNoTokenInLogsOrMessages(t *testing.T) {
	if testing.Short() {
		t.Skip("runs for about 10 s")
	}
	t.Parallel()
	p := startPortal(t, "--token-ttl", "3s", "--user-ttl", "5s")
	h := newHome(t, p.url)
	sock := filepath.Join(h.dir, "a.sock")
	h.setenv("SLICES_AGENT_SOCK", sock)
	kr := filepath.Join(h.dir, "state", "slices-agent", "keyring.json")
	s := &secrets{t: t, tokens: map[string]string{}, texts: map[string]string{}}
	a := startAgent(t, h, sock, "-d", "--keyring", "file")
	if b, err := os.ReadFile("/proc/" + strconv.Itoa(a.pid) + "/limits"); err != nil || !regexp.MustCompile(`Max core file size\s+0\s+0`).Match(b) {
		t.Errorf("core dumps are not disabled in the daemon: %s", b)
	}

	s.run(h, "login", "--no-browser")
	s.keyring(kr)
	for _, args := range [][]string{{"token"}, {"token", "ilabt-dev"}, {"token", "gpu-cluster", "--min-valid", "1s"}} {
		r := h.run(args...)
		s.token(strings.Join(args, " "), r.stdout)
		s.text(strings.Join(args, " ")+" stderr", r.stderr)
	}
	_, body := socketGet(t, sock, "GET", "/v1/projects/ilabt-dev/token", nil, nil)
	var ans tokenAnswer
	json.Unmarshal([]byte(body), &ans)
	s.token("socket", ans.Token)
	for _, args := range [][]string{{"status"}, {"status", "--json"}, {"projects"}, {"projects", "--json"},
		{"add", "gpu-cluster"}, {"refresh", "ilabt-dev"}, {"refresh"}, {"prompt", "ilabt-dev"},
		{"exec", "-p", "ilabt-dev", "--", "sh", "-c", "echo ran"}} {
		s.run(h, args...)
	}
	// Renewals of both kinds happen meanwhile: 3 s project, 5 s user tokens.
	time.Sleep(6 * time.Second)
	s.keyring(kr)
	s.run(h, "status", "--json")

	// Errors and bad input.
	s.token("forged", forged)
	for _, args := range [][]string{{"token", "no-such"}, {"token", "ilabt-dev", "--min-valid", "3h"},
		{"remove", "no-such"}, {"inspect", "--verify", forged}, {"frobnicate"}, {"token", forged}, {"add", forged},
		{"frobnicate", forged}} {
		if r := s.run(h, args...); r.code == 0 {
			t.Errorf("slices-agent %s succeeded", strings.Join(args, " "))
		}
	}
	for _, req := range []struct{ method, path, body string }{
		{"POST", "/v1/unlock", "{not json " + forged},
		{"POST", "/v1/import", `{"access_token":"` + forged + `","refresh_token":"` + forged + `"}`},
		{"GET", "/v1/projects/" + forged + "/token", ""},
		{"PUT", "/v1/projects/" + forged, ""},
		{"GET", "/v1/token?min_valid=" + forged, ""},
	} {
		_, out := socketGet(t, sock, req.method, req.path, nil, strings.NewReader(req.body))
		s.text("socket "+req.method+" "+req.path[:min(len(req.path), 20)], out)
	}
	// Portal faults and bad tokens from the portal.
	p.dev("POST", "/_dev/faults", `{"path":"/apis/","status":503,"count":2}`)
	s.run(h, "refresh", "ilabt-dev")
	p.dev("DELETE", "/_dev/faults", "")
	for _, mode := range []string{"garbage", "alg_none", "wrong_sub", "unknown_kid"} {
		p.dev("POST", "/_dev/mode?token="+mode, "")
		s.run(h, "refresh", "ilabt-dev")
	}
	p.dev("POST", "/_dev/mode?token=normal", "")
	pass := filepath.Join(h.dir, "pass")
	os.WriteFile(pass, []byte("sesame\n"), 0o600)
	s.run(h, "lock", "--passphrase-file", pass)
	s.run(h, "token", "ilabt-dev")
	s.run(h, "unlock", "--passphrase-file", pass)
	s.keyring(kr)

	// A restart: the new agent serves from the keyring.
	s.run(h, "stop")
	a.wait(t)
	log1 := a.log.String()
	s.text("agent log 1", log1)
	a = startAgent(t, h, sock, "-d", "--keyring", "file")
	r := h.run("token", "ilabt-dev")
	if r.code != 0 {
		t.Errorf("no token after the restart: %v", r)
	}
	s.token("token after restart", r.stdout)
	s.run(h, "status")
	s.keyring(kr)
	s.run(h, "logout")
	s.run(h, "token")
	s.run(h, "stop")
	a.wait(t)
	s.text("agent log 2", a.log.String())

	if n := strings.Count(log1, "\n"); n < 5 {
		t.Errorf("the first agent's log has %d lines: %q", n, log1)
	}
	refresh := 0
	for _, where := range s.tokens {
		if strings.Contains(where, "refresh_token") {
			refresh++
		}
	}
	t.Logf("%d tokens collected (%d refresh tokens), %d texts scanned", len(s.tokens), refresh, len(s.texts))
	if refresh < 2 {
		t.Errorf("only %d refresh tokens collected: the user token did not renew?", refresh)
	}
	for name, text := range s.texts {
		if m := jwtShape.FindString(text); m != "" {
			t.Errorf("%s holds a whole JWT ending …%s", name, m[len(m)-6:])
		}
		for tok, where := range s.tokens {
			if strings.Contains(text, tok) {
				t.Errorf("%s holds the token from %s, ending …%s", name, where, tok[len(tok)-6:])
			}
		}
	}
}

// A token pasted as a flag's value by mistake is not echoed whole in the
// usage error (Go's flag package quotes the value it refused).
func TestUsageErrorsDoNotEchoTokens(t *testing.T) {
	t.Parallel()
	h := newHome(t, "http://127.0.0.1:1")
	for _, args := range [][]string{
		{"token", "ilabt-dev", "--min-valid", forged},
		{"token", "--min-valid=" + forged},
		{"--keyring", forged, "status"},
		{forged},
	} {
		r := h.run(args...)
		if r.code == 0 || strings.Contains(r.stdout+r.stderr, forged) || jwtShape.MatchString(r.stdout+r.stderr) {
			t.Errorf("slices-agent %.40s…: %v", strings.Join(args, " "), r)
		}
	}
}
