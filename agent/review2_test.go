package agent

import (
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slices-ri/slices-agent/devportal"
	"github.com/slices-ri/slices-agent/ipc"
	"github.com/slices-ri/slices-agent/portal"
)

// Regression tests for a second review.

// A restart after the login has ended does not announce an end that passed.
func TestRestartAfterSessionEndedIsNotAnnounced(t *testing.T) {
	t.Parallel()
	w := newWorld(t, devportal.Options{UserTTL: time.Second, SessionTTL: 2 * time.Second})
	a := w.agent()
	login(t, a)
	a.Close()
	time.Sleep(3 * time.Second)
	b := New(Options{PortalURL: w.url, StateDir: w.state, Keyring: w.store,
		Portal: portal.New(w.url, "", portal.WithHTTPClient(&http.Client{Timeout: 5 * time.Second}))})
	t.Cleanup(b.Close)
	calls := standIn(t, b)
	ev := b.Subscribe(testCtx(t))
	b.Load(testCtx(t))
	time.Sleep(700 * time.Millisecond)
	var got []string
drain:
	for {
		select {
		case e := <-ev:
			got = append(got, e.Type+"/"+e.Cause+": "+e.Message)
		default:
			break drain
		}
	}
	for _, g := range got {
		if strings.Contains(g, CauseSessionEnds) {
			t.Errorf("announced an end that already passed: %s", g)
		}
	}
	for _, c := range calls() {
		if strings.Contains(c, "login_ending") {
			t.Errorf("a desktop notification for an end that passed: %s", c)
		}
	}
}

// After a restart whose stored access token expired and whose refresh is
// refused, the agent still knows whose login it was, so that another user's
// login drops the previous user's projects.
func TestSubjectKnownAfterRestart(t *testing.T) {
	t.Parallel()
	w := newWorld(t, devportal.Options{UserTTL: time.Second})
	a, p := w.holding()
	a.Close()
	time.Sleep(1500 * time.Millisecond)
	w.dp.RevokeRefreshTokens()
	b := w.agent()
	time.Sleep(500 * time.Millisecond)
	b.mu.Lock()
	subj, n, req := b.sess.subject, len(b.projects), b.sess.loginRequired
	b.mu.Unlock()
	t.Logf("subject=%q projects=%d loginRequired=%v (project %s)", subj, n, req, p.ID)
	if subj == "" && n > 0 {
		t.Errorf("subject unknown while %d projects of the previous login are tracked: a login by anyone keeps them", n)
	}
}

// A rotated refresh token is written beside the old access token with that
// token's verified_at, so a restart with the portal down can still serve it.
func TestRotationKeepsVerifiedAt(t *testing.T) {
	t.Parallel()
	w := newWorld(t, devportal.Options{})
	a := w.agent()
	login(t, a)
	s1, _ := a.vault.loadSession(testCtx(t))
	a.verify = &verifier{portal: portal.New("http://127.0.0.1:1", ""), now: time.Now} // keys unreachable
	_ = a.Refresh(testCtx(t), "")
	s2, _ := a.vault.loadSession(testCtx(t))
	t.Logf("before: verified_at=%v rt=%s; after: verified_at=%v rt changed=%v", s1.VerifiedAt, suffix(s1.RefreshToken), s2.VerifiedAt, s1.RefreshToken != s2.RefreshToken)
	if s1.RefreshToken != s2.RefreshToken && s2.VerifiedAt.IsZero() && s2.AccessToken == s1.AccessToken {
		t.Errorf("the stored access token lost its verified_at: a restart with the portal down will not serve it")
	}
}

// A logout racing the end of a login (a slow keyring makes the race likely):
// logged out means no user token in memory.
func TestLogoutRacingLoginEnd(t *testing.T) {
	t.Parallel()
	w := newWorld(t, devportal.Options{})
	a := w.agent()
	login(t, a)
	a.vault.store = &slowStore{Store: w.store, delay: 5 * time.Millisecond, entered: make(chan struct{})}
	ev := a.Subscribe(testCtx(t))
	bad, order := 0, 0
	for i := 0; i < 60; i++ {
		a.mu.Lock()
		rt := a.sess.refresh
		a.mu.Unlock()
		toks, err := a.portal.Refresh(testCtx(t), rt)
		if err != nil {
			t.Fatal(err)
		}
		if toks.RefreshToken == "" {
			toks.RefreshToken = rt
		}
		for len(ev) > 0 {
			<-ev
		}
		var wg sync.WaitGroup
		wg.Add(2)
		go func() { defer wg.Done(); _ = a.completeLogin(testCtx(t), toks) }()
		go func() { defer wg.Done(); time.Sleep(2 * time.Millisecond); _ = a.Logout(testCtx(t)) }()
		wg.Wait()
		a.mu.Lock()
		stale := !a.sess.loggedIn && a.user.raw != ""
		a.mu.Unlock()
		if stale {
			bad++
		}
		time.Sleep(20 * time.Millisecond)
		var types []string
		for len(ev) > 0 {
			types = append(types, (<-ev).Type)
		}
		if len(types) >= 2 && types[len(types)-1] == ipc.EventLogin && !stale {
			// login event after logout while logged out
			a.mu.Lock()
			if !a.sess.loggedIn {
				order++
			}
			a.mu.Unlock()
		}
		if err := a.completeLogin(testCtx(t), toks); err != nil {
			t.Fatal(err)
		}
	}
	if bad > 0 || order > 0 {
		t.Errorf("of 60 rounds: %d left the user token in memory after logout; %d more ended on a 'login' event while logged out", bad, order)
	}
}
