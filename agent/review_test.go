package agent

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/slices-ri/slices-agent/devportal"
	"github.com/slices-ri/slices-agent/ipc"
	"github.com/slices-ri/slices-agent/keyring"
)

// Regression tests for problems a review found.

// A portal clock 50 min behind the agent's, 1 h tokens: every token arrives
// with 10 min left by the agent's clock. That must not renew in a loop.
func TestPortalClockBehindDoesNotHammer(t *testing.T) {
	t.Parallel()
	w := newWorld(t, devportal.Options{Now: func() time.Time { return time.Now().Add(-50 * time.Minute) }})
	w.holding()
	w.dp.ResetStats()
	time.Sleep(1500 * time.Millisecond)
	st := w.dp.Stats()
	if st.Requests["project_token"] > 0 || st.Refreshes > 0 {
		t.Errorf("with the portal's clock behind, 1.5 s brought %d project tokens and %d refreshes", st.Requests["project_token"], st.Refreshes)
	}
}

// min_valid equal to the lifetime can never be met: 400 at once, no portal calls.
func TestMinValidOfTheWholeLifetime(t *testing.T) {
	t.Parallel()
	w := newWorld(t, devportal.Options{})
	a, p := w.holding()
	w.dp.ResetStats()
	for range 5 {
		if _, err := a.ProjectToken(testCtx(t), p.ID, time.Hour); code(err) != ipc.CodeBadRequest {
			t.Fatalf("min_valid 1h of a 1h token: %v, want bad_request", err)
		}
	}
	if n := w.dp.Stats().Requests["project_token"]; n != 0 {
		t.Errorf("5 impossible requests made %d portal calls", n)
	}
}

// Token requests, renewals and a logout at once: run with -race.
func TestConcurrentTokensRefreshesAndLogout(t *testing.T) {
	t.Parallel()
	w := newWorld(t, devportal.Options{})
	a := w.agent()
	login(t, a)
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(2)
		go func() { defer wg.Done(); _, _ = a.UserToken(context.Background(), 0) }()
		go func() { defer wg.Done(); _ = a.Refresh(context.Background(), "") }()
	}
	if err := a.Logout(context.Background()); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	if _, err := a.UserToken(testCtx(t), 0); code(err) != ipc.CodeLoginRequired {
		t.Errorf("after logout: %v", err)
	}
	if keys, _ := w.store.List(testCtx(t)); len(keys) != 0 {
		t.Errorf("keyring after logout: %v", keys)
	}
}

// slowStore delays every write, signalling when the first one starts.
type slowStore struct {
	keyring.Store
	delay   time.Duration
	entered chan struct{}
	once    sync.Once
}

func (s *slowStore) Set(ctx context.Context, k string, v []byte) error {
	s.once.Do(func() { close(s.entered) })
	time.Sleep(s.delay)
	return s.Store.Set(ctx, k, v)
}

// A logout that lands while a renewal writes the keyring wins: nothing of the
// session is left for a restarted agent.
func TestLogoutDuringKeyringWrite(t *testing.T) {
	t.Parallel()
	w := newWorld(t, devportal.Options{})
	a := w.agent()
	login(t, a)
	ss := &slowStore{Store: w.store, delay: 300 * time.Millisecond, entered: make(chan struct{})}
	a.vault.store = ss
	done := make(chan error, 1)
	go func() { done <- a.Refresh(context.Background(), "") }()
	<-ss.entered
	if err := a.Logout(context.Background()); err != nil {
		t.Fatal(err)
	}
	<-done
	if _, err := w.store.Get(testCtx(t), a.vault.userKey()); err == nil {
		st, _ := w.agent().Status(testCtx(t))
		t.Errorf("after logout the keyring still holds the session; a restarted agent: logged_in=%v", st.User.LoggedIn)
	}
}

// A portal that hangs at start-up costs Load a few seconds, not its whole
// budget, and the stored login is served meanwhile.
func TestLoadWithHangingPortal(t *testing.T) {
	t.Parallel()
	w := newWorld(t, devportal.Options{})
	a, p := w.holding()
	a.Close()
	w.dp.InjectFault(devportal.Fault{Latency: time.Minute})
	defer w.dp.ClearFaults()
	start := time.Now()
	b := w.agent()
	if took := time.Since(start); took > 6*time.Second {
		t.Errorf("Load took %v with a hanging portal", took.Round(time.Second))
	}
	if _, err := b.ProjectToken(testCtx(t), p.ID, 0); err != nil {
		t.Errorf("stored token not served with a hanging portal: %v", err)
	}
}

// A renewal slower than the socket's write timeout still gets its answer out:
// the deadline starts when the answer does.
func TestSlowRenewalStillAnswered(t *testing.T) {
	t.Parallel()
	w := newWorld(t, devportal.Options{})
	a := w.agent()
	login(t, a)
	p := firstProject(t, a)
	dir, err := os.MkdirTemp("/tmp", "rs")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	sock := filepath.Join(dir, "s")
	l, err := ipc.Listen(sock)
	if err != nil {
		t.Fatal(err)
	}
	srv := ipc.NewServer(ipc.NewHandler(a, ipc.HandlerOptions{WriteTimeout: 300 * time.Millisecond}))
	go srv.Serve(l)
	defer srv.Close()
	w.dp.InjectFault(devportal.Fault{Path: "/apis/", Latency: time.Second, Count: 1})
	c := ipc.NewClient(sock)
	defer c.Close()
	tok, err := c.TokenRaw(testCtx(t), p.ID, 0)
	if err != nil {
		t.Fatalf("a renewal taking 1 s with a 300 ms write timeout: %v", err)
	}
	w.verified(tok, p.ID)
}
