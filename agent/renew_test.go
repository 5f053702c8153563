package agent

// Renewal: once per lifetime, through outages, hostile answers and clock jumps.

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/slices-ri/slices-agent/devportal"
	"github.com/slices-ri/slices-agent/ipc"
)

func TestRenewalKeepsTokensFreshOncePerLifetime(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
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
	})
}

func TestPortalDownThenBack(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
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
	})
}

func TestHostileTokensAreNeverStoredOrServed(t *testing.T) {
	t.Parallel()
	for _, mode := range []devportal.TokenMode{"garbage", "alg_none", "hs256_pubkey", "unknown_kid", "wrong_sub", "expired", "truncated"} {
		t.Run(string(mode), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
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
		})
	}
}

func TestOneRenewalInFlight(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
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
	})
}

// A portal clock 50 min behind the agent's, 1 h tokens: every token arrives
// with 10 min left by the agent's clock. That must not renew in a loop.
func TestPortalClockBehindDoesNotHammer(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t, devportal.Options{Now: func() time.Time { return time.Now().Add(-50 * time.Minute) }})
		w.holding()
		w.dp.ResetStats()
		time.Sleep(1500 * time.Millisecond)
		st := w.dp.Stats()
		if st.Requests["project_token"] > 0 || st.Refreshes > 0 {
			t.Errorf("with the portal's clock behind, 1.5 s brought %d project tokens and %d refreshes", st.Requests["project_token"], st.Refreshes)
		}
	})
}

// clockWorld is a world whose portal and agent share a movable clock, as on a
// laptop that suspends: both see the wall clock jump.
func clockWorld(t *testing.T) (*world, *clock, *Agent, string) {
	clk := &clock{}
	w := newWorld(t, devportal.Options{Now: clk.Now})
	w.now, w.wake = clk.Now, 50*time.Millisecond
	a, p := w.holding()
	return w, clk, a, p.ID
}

// waitFor polls cond for up to d.
func waitFor(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if cond() {
			return true
		}
		time.Sleep(20 * time.Millisecond)
	}
	return cond()
}

func TestClockJumpForwardRenewsAtOnce(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		w, clk, a, id := clockWorld(t)
		w.dp.ResetStats()
		clk.jump(50 * time.Minute) // a suspend: the 1 h token has 10 min left

		if !waitFor(3*time.Second, func() bool { return w.dp.Stats().ProjectTokens[id] == 1 }) {
			t.Fatalf("after a 50 min jump the project token was not renewed (issued %d)", w.dp.Stats().ProjectTokens[id])
		}
		tok, err := a.ProjectToken(testCtx(t), id, 0)
		if err != nil {
			t.Fatal(err)
		}
		if left := tok.ExpiresAt.Sub(clk.Now()); left < 55*time.Minute {
			t.Errorf("after the jump the served token has %v left, want a fresh one", left)
		}
		time.Sleep(500 * time.Millisecond)
		if n := w.dp.Stats().ProjectTokens[id]; n != 1 {
			t.Errorf("renewed %d times after one jump: a renewal loop", n)
		}
	})
}

func TestClockJumpBackwardIsHarmless(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		w, clk, a, id := clockWorld(t)
		w.dp.ResetStats()
		clk.jump(-2 * time.Hour)
		time.Sleep(500 * time.Millisecond)
		if n := w.dp.Stats().ProjectTokens[id]; n != 0 {
			t.Errorf("a backward jump caused %d renewals", n)
		}
		if _, err := a.ProjectToken(testCtx(t), id, 0); err != nil {
			t.Fatalf("after a backward jump: %v", err)
		}
	})
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

// When the portal answers again, every failing token is retried at once, not
// at the end of its backoff: status stops showing an outage that is over.
func TestRecoveryReachesEveryFailingToken(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t, devportal.Options{})
		a := w.agent()
		login(t, a)
		ps, err := a.Projects(testCtx(t))
		if err != nil || len(ps) < 2 {
			t.Fatalf("projects: %v, %d", err, len(ps))
		}
		one, two := ps[0].ID, ps[1].ID
		for _, id := range []string{one, two} {
			if _, err := a.ProjectToken(testCtx(t), id, 0); err != nil {
				t.Fatal(err)
			}
		}
		w.dp.InjectFault(devportal.Fault{Path: "/apis/", Status: 503})
		for range 6 { // six failures: the next retry of two is half a minute or more away
			_ = a.Refresh(testCtx(t), two)
			time.Sleep(2 * time.Second)
		}
		a.mu.Lock()
		wait := a.projects[two].retryAt.Sub(a.now())
		a.mu.Unlock()
		if wait < 10*time.Second {
			t.Fatalf("after six failures the next retry is only %v away", wait)
		}
		w.dp.ClearFaults()
		if err := a.Refresh(testCtx(t), one); err != nil {
			t.Fatal(err)
		}
		time.Sleep(2 * time.Second)
		st, _ := a.Status(testCtx(t))
		for _, p := range st.Projects {
			if p.LastError != "" || p.State != ipc.StateValid {
				t.Errorf("2 s after the portal answered again, %s: %s, last error %q", p.ID, p.State, p.LastError)
			}
		}
	})
}
