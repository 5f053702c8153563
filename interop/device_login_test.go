package interop

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

var jsonUnmarshal = json.Unmarshal

// agentBin is the slices-agent built from the parent module for this run.
var agentBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "interop-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	agentBin = filepath.Join(dir, "slices-agent")
	// The front end and the whole program it hands most commands to.
	build := exec.Command("go", "build", "-o", dir+"/", "./cmd/slices-agent", "./cmd/slices-agent-core")
	build.Dir = ".."
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building slices-agent: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// agent is one slices-agent on its own socket, home and file keyring.
type agent struct {
	t     *testing.T
	sock  string
	state string
	env   []string
}

// startAgent starts a background agent the ssh-agent way, against the
// provider as its portal, with the given extra flags.
func startAgent(t *testing.T, p *provider, flags ...string) *agent {
	t.Helper()
	run, err := os.MkdirTemp("", "ia")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(run) })
	if err := os.Chmod(run, 0o700); err != nil {
		t.Fatal(err)
	}
	home := t.TempDir()
	a := &agent{t: t, sock: filepath.Join(run, "a.sock"), state: filepath.Join(home, "state")}
	a.env = append(os.Environ(), "HOME="+home, "XDG_RUNTIME_DIR="+run, "XDG_STATE_HOME="+a.state,
		"XDG_CONFIG_HOME="+filepath.Join(home, "config"), "SLICES_PORTAL_URL=", "SLICES_AGENT_SOCK=", "SLICES_CLIENT_ID=",
		"SLICES_CLIENT_SECRET_FILE=", "SLICES_SCOPE=", "SLICES_KEYRING=")
	args := append([]string{"--portal", p.issuer, "--keyring", "file", "--no-notify", "-s"}, flags...)
	if out, err := a.cmd(args...).CombinedOutput(); err != nil {
		t.Fatalf("starting the agent: %v\n%s", err, out)
	}
	t.Cleanup(func() { _ = a.cmd("stop").Run() })
	return a
}

func (a *agent) cmd(args ...string) *exec.Cmd {
	c := exec.Command(agentBin, append([]string{"-a", a.sock}, args...)...)
	c.Env = a.env
	return c
}

// run runs a client command and returns its stdout; it fails the test on a non-zero exit.
func (a *agent) run(args ...string) string {
	a.t.Helper()
	var stderr strings.Builder
	c := a.cmd(args...)
	c.Stderr = &stderr
	out, err := c.Output()
	if err != nil {
		a.t.Fatalf("slices-agent %s: %v\n%s%s", strings.Join(args, " "), err, out, stderr.String())
	}
	return string(out)
}

var (
	linkRE = regexp.MustCompile(`open (\S+)`)
	codeRE = regexp.MustCompile(`shows the code (\S+)`)
)

// login runs `slices-agent login --no-browser`, approves the code on the
// provider's pages as a person would, and returns the command's output and
// its exit error.
func (a *agent) login(p *provider, approve bool) (string, error) {
	a.t.Helper()
	c := a.cmd("login", "--no-browser")
	var stderr strings.Builder
	c.Stderr = &stderr
	out, err := c.StdoutPipe()
	if err != nil {
		a.t.Fatal(err)
	}
	if err := c.Start(); err != nil {
		a.t.Fatal(err)
	}
	var text strings.Builder
	sc := bufio.NewScanner(out)
	var link, code string
	for (link == "" || code == "") && sc.Scan() {
		line := sc.Text()
		text.WriteString(line + "\n")
		if m := linkRE.FindStringSubmatch(line); m != nil {
			link = m[1]
		}
		if m := codeRE.FindStringSubmatch(line); m != nil {
			code = m[1]
		}
	}
	if approve && link != "" && code != "" {
		p.approve(a.t, link, code)
	}
	rest, _ := io.ReadAll(out)
	text.Write(rest)
	done := make(chan error, 1)
	go func() { done <- c.Wait() }()
	select {
	case err = <-done:
	case <-time.After(90 * time.Second):
		_ = c.Process.Kill()
		a.t.Fatalf("login did not end within 90 s: %s", text.String())
	}
	return text.String() + stderr.String(), err
}

// session is the login the agent keeps in its file keyring.
func (a *agent) session() (access, refresh string) {
	a.t.Helper()
	b, err := os.ReadFile(filepath.Join(a.state, "slices-agent", "keyring.json"))
	if err != nil {
		a.t.Fatal(err)
	}
	var f struct {
		Secrets map[string][]byte `json:"secrets"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		a.t.Fatal(err)
	}
	for k, v := range f.Secrets {
		if strings.HasSuffix(k, "/user") {
			var s struct {
				Access  string `json:"access_token"`
				Refresh string `json:"refresh_token"`
			}
			if err := json.Unmarshal(v, &s); err != nil {
				a.t.Fatal(err)
			}
			return s.Access, s.Refresh
		}
	}
	a.t.Fatalf("no login in the keyring: keys %v", keys(f.Secrets))
	return "", ""
}

func keys(m map[string][]byte) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// verifyJWT checks raw's signature against the provider's key set, on our
// side, with go-jose rather than the agent's code, and returns its claims.
func verifyJWT(t *testing.T, p *provider, raw string) map[string]any {
	t.Helper()
	var disc struct {
		JWKSURI string `json:"jwks_uri"`
	}
	getJSON(t, p.issuer+"/.well-known/openid-configuration", &disc)
	var set jose.JSONWebKeySet
	getJSON(t, disc.JWKSURI, &set)
	sig, err := jose.ParseSignedCompact(raw, []jose.SignatureAlgorithm{jose.RS256, jose.ES256})
	if err != nil {
		t.Fatalf("the token is no JWS: %v", err)
	}
	kid := sig.Signatures[0].Header.KeyID
	keys := set.Key(kid)
	if len(keys) == 0 {
		t.Fatalf("no key %q in the provider's key set", kid)
	}
	payload, err := sig.Verify(keys[0])
	if err != nil {
		t.Fatalf("the signature does not verify: %v", err)
	}
	var claims map[string]any
	if err := json.Unmarshal(payload, &claims); err != nil {
		t.Fatal(err)
	}
	return claims
}

func getJSON(t *testing.T, u string, v any) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("%s: %v", u, err)
	}
}

// claimsOf decodes a JWT's claims without checking it.
func claimsOf(raw string) map[string]any {
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		return nil
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return nil
	}
	var c map[string]any
	_ = json.Unmarshal(b, &c)
	return c
}

// loginServeRenew is the whole exchange: a device login approved on the
// provider's pages, the user token served and verified, then a renewal that
// rotates the refresh token.
func loginServeRenew(t *testing.T, p *provider, a *agent, clientID string) {
	out, err := a.login(p, true)
	if err != nil {
		t.Fatalf("login: %v\n%s", err, out)
	}
	tok1 := strings.TrimSpace(a.run("token"))
	claims := verifyJWT(t, p, tok1)
	if claims["iss"] != p.issuer || claims["client_id"] != clientID {
		t.Errorf("user token iss %v client_id %v, want %s and %s", claims["iss"], claims["client_id"], p.issuer, clientID)
	}
	if got := a.run("inspect", "--verify", tok1); !strings.Contains(got, "verified") {
		t.Errorf("inspect --verify (keys of the agent's portal) does not say verified:\n%s", got)
	}
	if st := a.run("status"); !strings.Contains(st, clientID) || !strings.Contains(st, "user token") {
		t.Errorf("status does not show the login and the client:\n%s", st)
	}
	_, rt1 := a.session()
	if rt1 == "" {
		t.Fatal("no refresh token kept: the agent asked for offline_access, which the provider lists")
	}

	a.run("refresh")
	tok2 := strings.TrimSpace(a.run("token"))
	_, rt2 := a.session()
	if tok2 == tok1 {
		t.Error("refresh served the same user token")
	}
	verifyJWT(t, p, tok2)
	if rt2 == "" || rt2 == rt1 {
		t.Fatalf("the refresh token did not rotate (before …%s, after …%s)", tail(rt1), tail(rt2))
	}
	if c1, c2 := claimsOf(tok1), claimsOf(tok2); c1["sub"] != c2["sub"] {
		t.Errorf("renewed token for %v, not %v", c2["sub"], c1["sub"])
	}
	t.Logf("%s: logged in as %v, served and verified the user token, refresh rotated …%s → …%s", clientID, claims["sub"], tail(rt1), tail(rt2))
}

func tail(s string) string {
	if len(s) < 6 {
		return s
	}
	return s[len(s)-6:]
}

func TestConfidentialClientWithClientSecretBasic(t *testing.T) {
	p := startProvider(t)
	secret := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(secret, []byte(confidentialPW+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	a := startAgent(t, p, "--client-id", confidentialID, "--client-secret-file", secret)
	loginServeRenew(t, p, a, confidentialID)

	var device, poll, refresh int
	for _, r := range p.requests() {
		if r.basicUser != confidentialID || r.formSecret {
			t.Errorf("%s (grant %q): HTTP Basic user %q, client_secret in the form %t; want client_secret_basic only",
				r.path, r.grant, r.basicUser, r.formSecret)
		}
		switch {
		case strings.Contains(r.path, "device_authorization"):
			device++
		case r.grant == "urn:ietf:params:oauth:grant-type:device_code":
			poll++
		case r.grant == "refresh_token":
			refresh++
		}
	}
	if device != 1 || poll < 1 || refresh != 1 {
		t.Errorf("saw %d device authorization, %d device token and %d refresh requests; want 1, ≥1, 1", device, poll, refresh)
	}
	t.Logf("client_secret_basic on every request: %d device authorization, %d device token polls, %d refresh", device, poll, refresh)
}

func TestRotatedRefreshTokenIsSpentAtTheProvider(t *testing.T) {
	p := startProvider(t)
	secret := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(secret, []byte(confidentialPW), 0o600); err != nil {
		t.Fatal(err)
	}
	a := startAgent(t, p, "--client-id", confidentialID, "--client-secret-file", secret)
	if out, err := a.login(p, true); err != nil {
		t.Fatalf("login: %v\n%s", err, out)
	}
	_, rt1 := a.session()
	a.run("refresh")
	if code := p.refreshWith(t, rt1); code == "" {
		t.Fatal("the provider still accepts the refresh token the agent rotated away")
	} else {
		t.Logf("the rotated-away refresh token is refused: %s", code)
	}
	// The agent's own, current login goes on working.
	a.run("refresh")
	verifyJWT(t, p, strings.TrimSpace(a.run("token")))
}

func TestPublicClient(t *testing.T) {
	p := startProvider(t)
	a := startAgent(t, p, "--client-id", publicID)
	loginServeRenew(t, p, a, publicID)
	for _, r := range p.requests() {
		if r.basicUser != "" || r.formSecret || r.formClient != publicID {
			t.Errorf("%s: basic %q, secret in form %t, form client_id %q: want the client_id alone (method none)",
				r.path, r.basicUser, r.formSecret, r.formClient)
		}
	}
}

func TestConfidentialClientWithoutItsSecretIsExplained(t *testing.T) {
	p := startProvider(t)
	a := startAgent(t, p, "--client-id", confidentialID)
	out, err := a.login(p, true)
	if err == nil {
		t.Fatalf("login without the client secret succeeded:\n%s", out)
	}
	if !strings.Contains(out, `client "`+confidentialID+`"`) || !strings.Contains(out, "invalid_client") || !strings.Contains(out, "hint: ") {
		t.Errorf("the failure should name the client, the provider's invalid_client and what to do:\n%s", out)
	}
	t.Logf("without the secret: %v: %s", err, strings.TrimSpace(out[strings.LastIndex(out, "slices-agent:"):]))
}
