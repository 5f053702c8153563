package agent

// Logouts and logins racing renewals and keyring writes.

import (
	"context"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/slices-ri/slices-agent/devportal"
	"github.com/slices-ri/slices-agent/ipc"
	"github.com/slices-ri/slices-agent/keyring"
)

// Token requests, renewals and a logout at once: run with -race.
func TestConcurrentTokensRefreshesAndLogout(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
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
	})
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
	synctest.Test(t, func(t *testing.T) {
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
	})
}

func TestLogoutDuringRenewalKeepsNothing(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
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
	})
}

// A logout racing the end of a login (a slow keyring makes the race likely):
// logged out means no user token in memory.
func TestLogoutRacingLoginEnd(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
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
	})
}
