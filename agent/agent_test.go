package agent

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slices-ri/slices-agent/devportal"
	"github.com/slices-ri/slices-agent/ipc"
	"github.com/slices-ri/slices-agent/keyring"
	"github.com/slices-ri/slices-agent/portal"
	"github.com/slices-ri/slices-agent/token"
)

// world is an emulated portal and what an agent needs to run against it.
type world struct {
	t      testing.TB
	dp     *devportal.Server
	url    string
	store  keyring.Store
	state  string
	keys   *token.KeySet
	issuer string
	now    func() time.Time // the agent's clock; nil = time.Now
	wake   time.Duration    // the agent's longest sleep; 0 = default
}

func newWorld(t testing.TB, opts devportal.Options) *world {
	t.Helper()
	opts.AutoApprove = true
	dp, err := devportal.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(dp)
	t.Cleanup(ts.Close)
	return &world{t: t, dp: dp, url: ts.URL, store: keyring.NewMemory(), state: t.TempDir()}
}

// agent starts an agent on the world's keyring and state, as a restart would.
func (w *world) agent() *Agent {
	w.t.Helper()
	a := New(Options{
		PortalURL: w.url,
		StateDir:  w.state,
		Keyring:   w.store,
		Portal:    portal.New(w.url, "", portal.WithHTTPClient(&http.Client{Timeout: 5 * time.Second})),
		Now:       w.now,
	})
	if w.wake > 0 {
		a.wake = w.wake
	}
	w.t.Cleanup(a.Close)
	a.Load(testCtx(w.t))
	return a
}

// verified checks that raw is a valid token of the portal for subject ("" = user token).
func (w *world) verified(raw, subject string) *token.Decoded {
	w.t.Helper()
	if w.keys == nil {
		c := portal.New(w.url, "")
		b, err := c.JWKS(testCtx(w.t))
		if err != nil {
			w.t.Fatal(err)
		}
		if w.keys, err = token.ParseKeySet(b); err != nil {
			w.t.Fatal(err)
		}
		d, _ := c.Discover(testCtx(w.t))
		w.issuer = d.Issuer
	}
	d, err := token.Verify(raw, w.keys, token.VerifyOptions{Issuer: w.issuer, Subject: subject})
	if err != nil {
		w.t.Fatalf("served token does not verify: %v", err)
	}
	return d
}

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// login runs a device login through the agent and waits until it is done.
func login(t testing.TB, a *Agent) {
	t.Helper()
	ctx := testCtx(t)
	if _, err := a.StartLogin(ctx); err != nil {
		t.Fatalf("start login: %v", err)
	}
	for {
		st, err := a.LoginStatus(ctx)
		if err != nil {
			t.Fatal(err)
		}
		switch st.State {
		case ipc.LoginDone:
			return
		case ipc.LoginFailed, ipc.LoginExpired:
			t.Fatalf("login %s: %s", st.State, st.Error)
		}
		select {
		case <-ctx.Done():
			t.Fatal("login did not finish")
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// holding starts an agent, logs in and fetches the first project's token.
func (w *world) holding() (*Agent, ipc.Project) {
	w.t.Helper()
	a := w.agent()
	login(w.t, a)
	p := firstProject(w.t, a)
	if _, err := a.ProjectToken(testCtx(w.t), p.ID, 0); err != nil {
		w.t.Fatal(err)
	}
	return a, p
}

func firstProject(t testing.TB, a *Agent) ipc.Project {
	t.Helper()
	ps, err := a.Projects(testCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) == 0 {
		t.Fatal("no projects")
	}
	return ps[0]
}

func code(err error) string {
	if e, ok := ipc.AsError(err); ok {
		return e.Code
	}
	if err == nil {
		return ""
	}
	return "untyped: " + err.Error()
}

func TestLoginTokensAndRestart(t *testing.T) {
	t.Parallel()
	w := newWorld(t, devportal.Options{})
	a := w.agent()
	if _, err := a.UserToken(testCtx(t), 0); code(err) != ipc.CodeLoginRequired {
		t.Fatalf("before login: %v, want login_required", err)
	}
	login(t, a)
	p := firstProject(t, a)

	byID, err := a.ProjectToken(testCtx(t), p.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	w.verified(byID.Token, p.ID)
	byName, err := a.ProjectToken(testCtx(t), p.Name, 0)
	if err != nil {
		t.Fatal(err)
	}
	if byName.Token != byID.Token {
		t.Errorf("by name and by id gave different tokens")
	}
	if byID.VerifiedAt.IsZero() || byID.ExpiresIn <= 0 {
		t.Errorf("token answer lacks verified_at or expires_in: %+v", byID)
	}
	user, err := a.UserToken(testCtx(t), 0)
	if err != nil {
		t.Fatal(err)
	}
	w.verified(user.Token, "")

	st, _ := a.Status(testCtx(t))
	if !st.User.LoggedIn || len(st.Projects) != 1 || st.Projects[0].State != ipc.StateValid {
		t.Fatalf("status after fetch: %+v", st)
	}
	before := w.dp.Stats()

	// A restart reloads from the keyring: same tokens, no login, no portal token calls.
	a.Close()
	b := w.agent()
	again, err := b.ProjectToken(testCtx(t), p.ID, 0)
	if err != nil {
		t.Fatalf("after restart: %v", err)
	}
	if again.Token != byID.Token {
		t.Errorf("after restart a different project token was served")
	}
	after := w.dp.Stats()
	if after.Requests["token_device"] != before.Requests["token_device"] {
		t.Errorf("restart ran a new device login")
	}
	if after.Requests["project_token"] != before.Requests["project_token"] {
		t.Errorf("restart fetched the project token again instead of reloading it")
	}
}

func TestRenewalKeepsTokensFreshOncePerLifetime(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("runs for 9 s")
	}
	const ttl = 3 * time.Second
	w := newWorld(t, devportal.Options{TokenTTL: ttl})
	a := w.agent()
	login(t, a)
	p := firstProject(t, a)
	w.dp.ResetStats()

	seen := map[string]bool{}
	deadline := time.Now().Add(9 * time.Second)
	for time.Now().Before(deadline) {
		tok, err := a.ProjectToken(testCtx(t), p.ID, 0)
		if err != nil {
			t.Fatalf("token: %v", err)
		}
		d := w.verified(tok.Token, p.ID)
		if !d.ExpiresAt.After(time.Now()) {
			t.Fatalf("served an expired token")
		}
		seen[tok.Token] = true
		time.Sleep(50 * time.Millisecond)
	}
	fetched := w.dp.Stats().ProjectTokens[p.ID]
	// exp is in whole seconds, so a token lives 2.5 s on average from when it is
	// fetched, and is renewed after 0.725 of that (a quarter left, minus up to
	// 5 % jitter): about 5 fetches in 9 s. A loop would make hundreds.
	if fetched < 3 || fetched > 7 {
		t.Errorf("portal issued %d project tokens in 9 s at a %v lifetime, want about 5", fetched, ttl)
	}
	if len(seen) != fetched {
		t.Errorf("served %d distinct tokens but the portal issued %d", len(seen), fetched)
	}
}

func TestPortalDownThenBack(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("runs for several seconds")
	}
	w := newWorld(t, devportal.Options{TokenTTL: 2 * time.Second})
	a, p := w.holding()
	w.dp.InjectFault(devportal.Fault{Path: "/apis/", Status: 503})
	time.Sleep(2500 * time.Millisecond) // the old token has expired meanwhile

	_, err := a.ProjectToken(testCtx(t), p.ID, 0)
	if code(err) != ipc.CodeTokenUnavailable {
		t.Fatalf("portal down, token expired: err = %v, want token_unavailable", err)
	}
	st, _ := a.Status(testCtx(t))
	if st.Projects[0].State != ipc.StateExpired || !strings.Contains(st.Projects[0].LastError, "503") {
		t.Errorf("status while down: %+v", st.Projects[0])
	}

	w.dp.ClearFaults()
	deadline := time.Now().Add(10 * time.Second)
	for {
		st, _ := a.Status(testCtx(t))
		if st.Projects[0].State == ipc.StateValid {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("agent did not recover by itself: %+v", st.Projects[0])
		}
		time.Sleep(100 * time.Millisecond)
	}
	tok, err := a.ProjectToken(testCtx(t), p.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	w.verified(tok.Token, p.ID)
}

func TestHostileTokensAreNeverStoredOrServed(t *testing.T) {
	t.Parallel()
	for _, mode := range []devportal.TokenMode{"garbage", "alg_none", "hs256_pubkey", "unknown_kid", "wrong_sub", "expired", "truncated"} {
		t.Run(string(mode), func(t *testing.T) {
			w := newWorld(t, devportal.Options{})
			a := w.agent()
			login(t, a)
			p := firstProject(t, a)
			good, err := a.ProjectToken(testCtx(t), p.ID, 0)
			if err != nil {
				t.Fatal(err)
			}
			stored, _ := w.store.Get(testCtx(t), a.vault.projectKey(p.ID))

			w.dp.SetMode(mode)
			err = a.Refresh(testCtx(t), p.ID)
			if err == nil {
				t.Fatalf("refresh with a %s token from the portal succeeded", mode)
			}
			// The old, good token is still what is served and stored.
			tok, err := a.ProjectToken(testCtx(t), p.ID, 0)
			if err != nil || tok.Token != good.Token {
				t.Fatalf("after a bad token the good one is no longer served: %v", err)
			}
			now, _ := w.store.Get(testCtx(t), a.vault.projectKey(p.ID))
			if string(now) != string(stored) {
				t.Errorf("the keyring entry changed after a %s token", mode)
			}
			st, _ := a.Status(testCtx(t))
			if st.Projects[0].LastError == "" {
				t.Errorf("status does not say why renewal failed")
			}
		})
	}
}

func TestRefusedRefreshMeansLoginRequired(t *testing.T) {
	t.Parallel()
	w := newWorld(t, devportal.Options{})
	a := w.agent()
	login(t, a)
	events := a.Subscribe(testCtx(t))
	w.dp.RevokeRefreshTokens()
	err := a.Refresh(testCtx(t), "")
	if code(err) != ipc.CodeLoginRequired {
		t.Fatalf("refresh after revoke: %v, want login_required", err)
	}
	if _, err := a.UserToken(testCtx(t), 0); code(err) != ipc.CodeLoginRequired {
		t.Fatalf("token after revoke: %v, want login_required", err)
	}
	st, _ := a.Status(testCtx(t))
	if st.User.LoggedIn || st.User.State != ipc.StateLoginRequired {
		t.Errorf("status: %+v", st.User)
	}
	if !waitEvent(t, events, ipc.EventLoginRequired) {
		t.Error("no login_required event")
	}
	// A new login clears it.
	login(t, a)
	if _, err := a.UserToken(testCtx(t), 0); err != nil {
		t.Fatal(err)
	}
}

func waitEvent(t *testing.T, ch <-chan ipc.Event, typ string) bool {
	t.Helper()
	timeout := time.After(5 * time.Second)
	for {
		select {
		case ev, ok := <-ch:
			if !ok {
				return false
			}
			if ev.Type == typ {
				return true
			}
		case <-timeout:
			return false
		}
	}
}

func TestRotatedRefreshTokenIsKeptBeforeUse(t *testing.T) {
	t.Parallel()
	w := newWorld(t, devportal.Options{})
	a := w.agent()
	login(t, a)
	for i := 0; i < 3; i++ {
		if err := a.Refresh(testCtx(t), ""); err != nil {
			t.Fatal(err)
		}
		saved, err := a.vault.loadSession(testCtx(t))
		if err != nil {
			t.Fatal(err)
		}
		a.mu.Lock()
		inMemory := a.sess.refresh
		a.mu.Unlock()
		if saved.RefreshToken != inMemory {
			t.Fatalf("after refresh %d the keyring holds another refresh token than the agent uses", i)
		}
	}
	// The keyring's refresh token is the live one: a restarted agent can refresh with it.
	a.Close()
	b := w.agent()
	if err := b.Refresh(testCtx(t), ""); err != nil {
		t.Fatalf("refresh after restart: %v", err)
	}
	if n := w.dp.Stats().RefreshReuse; n != 0 {
		t.Errorf("portal saw %d refresh-token reuses", n)
	}
}

func TestBadRequests(t *testing.T) {
	t.Parallel()
	w := newWorld(t, devportal.Options{TokenTTL: time.Minute})
	a := w.agent()
	login(t, a)
	p := firstProject(t, a)
	if _, err := a.ProjectToken(testCtx(t), "no-such-project", 0); code(err) != ipc.CodeUnknownProject {
		t.Errorf("unknown project: %v", err)
	}
	if _, err := a.ProjectToken(testCtx(t), p.ID, 2*time.Minute); code(err) != ipc.CodeBadRequest {
		t.Errorf("min_valid beyond the lifetime: %v", err)
	}
	if _, err := a.ProjectToken(testCtx(t), p.ID, 50*time.Second); code(err) != ipc.CodeBadRequest {
		t.Errorf("min_valid 50s of a 60s lifetime (over three quarters): %v, want bad_request", err)
	}
	w.dp.ResetStats()
	for range 3 {
		tok, err := a.ProjectToken(testCtx(t), p.ID, 40*time.Second)
		if err != nil || time.Until(tok.ExpiresAt) < 40*time.Second {
			t.Fatalf("min_valid 40s of 60s: %v, %v left", err, time.Until(tok.ExpiresAt))
		}
	}
	if n := w.dp.Stats().ProjectTokens[p.ID]; n > 1 {
		t.Errorf("three requests with min_valid 40s made %d portal calls, want at most one", n)
	}
}

func TestOneRenewalInFlight(t *testing.T) {
	t.Parallel()
	w := newWorld(t, devportal.Options{})
	a, p := w.holding()
	w.dp.ResetStats()
	w.dp.InjectFault(devportal.Fault{Path: "/apis/", Latency: 300 * time.Millisecond, Count: 1})
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- a.Refresh(testCtx(t), p.ID)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := w.dp.Stats().ProjectTokens[p.ID]; n < 1 || n > 2 {
		t.Errorf("20 concurrent refreshes made %d portal calls, want them coalesced", n)
	}
}

func TestLockRefusesTokens(t *testing.T) {
	t.Parallel()
	w := newWorld(t, devportal.Options{})
	a := w.agent()
	login(t, a)
	if err := a.Lock(testCtx(t), "secret"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.UserToken(testCtx(t), 0); code(err) != ipc.CodeLocked {
		t.Fatalf("locked: %v", err)
	}
	if err := a.Unlock(testCtx(t), "wrong"); err == nil {
		t.Fatal("wrong passphrase unlocked")
	}
	if err := a.Unlock(testCtx(t), "secret"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.UserToken(testCtx(t), 0); err != nil {
		t.Fatal(err)
	}
}

func TestLogoutForgetsEverything(t *testing.T) {
	t.Parallel()
	w := newWorld(t, devportal.Options{})
	a, p := w.holding()
	if err := a.Logout(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	keys, _ := w.store.List(testCtx(t))
	if len(keys) != 0 {
		t.Errorf("keyring still holds %v after logout", keys)
	}
	if _, err := a.ProjectToken(testCtx(t), p.ID, 0); code(err) != ipc.CodeLoginRequired {
		t.Errorf("after logout: %v", err)
	}
	a.Close()
	b := w.agent()
	if _, err := b.UserToken(testCtx(t), 0); code(err) != ipc.CodeLoginRequired {
		t.Errorf("after logout and restart: %v", err)
	}
}

func TestBackoff(t *testing.T) {
	t.Parallel()
	for n, want := range map[int][2]time.Duration{
		1: {500 * time.Millisecond, time.Second}, 2: {time.Second, 2 * time.Second},
		5: {8 * time.Second, 16 * time.Second}, 30: {backoffMax / 2, backoffMax},
	} {
		for range 50 {
			if d := backoff(n); d < want[0] || d > want[1] {
				t.Fatalf("backoff(%d) = %v, want in %v", n, d, want)
			}
		}
	}
}

func TestRestartWithPortalDownServesStoredTokens(t *testing.T) {
	t.Parallel()
	w := newWorld(t, devportal.Options{})
	a := w.agent()
	login(t, a)
	p := firstProject(t, a)
	tok, err := a.ProjectToken(testCtx(t), p.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	a.Close()

	w.dp.InjectFault(devportal.Fault{Status: 503})
	b := w.agent()
	again, err := b.ProjectToken(testCtx(t), p.ID, 0)
	if err != nil {
		t.Fatalf("portal down at restart: %v", err)
	}
	if again.Token != tok.Token || !again.VerifiedAt.Equal(tok.VerifiedAt) {
		t.Errorf("served %q verified at %v, want the stored token verified at %v", suffix(again.Token), again.VerifiedAt, tok.VerifiedAt)
	}

	// A stored token that fails verification is never trusted, portal up or down.
	w.dp.ClearFaults()
	b.Close()
	if err := w.store.Set(testCtx(t), b.vault.projectKey(p.ID), []byte(`{"token":"`+tamper(tok.Token)+`","verified_at":"2026-01-01T00:00:00Z"}`)); err != nil {
		t.Fatal(err)
	}
	c := w.agent()
	fresh, err := c.ProjectToken(testCtx(t), p.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	if fresh.Token == tamper(tok.Token) {
		t.Fatal("a tampered stored token was served")
	}
}

// tamper flips one character of a token's payload.
func tamper(tok string) string {
	i := strings.IndexByte(tok, '.') + 5
	b := []byte(tok)
	if b[i] == 'A' {
		b[i] = 'B'
	} else {
		b[i] = 'A'
	}
	return string(b)
}

func TestLogoutDuringRenewalKeepsNothing(t *testing.T) {
	t.Parallel()
	w := newWorld(t, devportal.Options{})
	a, p := w.holding()
	w.dp.InjectFault(devportal.Fault{Path: "/oauth/token", Latency: 400 * time.Millisecond, Count: 1})
	w.dp.InjectFault(devportal.Fault{Path: "/apis/", Latency: 400 * time.Millisecond, Count: 1})
	done := make(chan error, 2)
	go func() { done <- a.Refresh(testCtx(t), "") }()
	go func() { done <- a.Refresh(testCtx(t), p.ID) }()
	time.Sleep(100 * time.Millisecond)
	if err := a.Logout(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	<-done
	<-done
	if keys, _ := w.store.List(testCtx(t)); len(keys) != 0 {
		t.Errorf("renewals that ended after logout wrote %v to the keyring", keys)
	}
	if st, _ := a.Status(testCtx(t)); st.User.LoggedIn || len(st.Projects) != 0 {
		t.Errorf("status after logout: %+v", st)
	}
}
