package agent

// Logging in, logging out, locking and what survives a restart.

import (
	"net/http"
	"testing"
	"testing/synctest"
	"time"

	"github.com/slices-ri/slices-agent/devportal"
	"github.com/slices-ri/slices-agent/ipc"
	"github.com/slices-ri/slices-agent/keyring"
	"github.com/slices-ri/slices-agent/portal"
)

func TestLoginTokensAndRestart(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
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
	})
}

func TestRefusedRefreshMeansLoginRequired(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
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
	})
}

func TestRotatedRefreshTokenIsKeptBeforeUse(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
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
	})
}

// A rotated refresh token is written beside the old access token with that
// token's verified_at, so a restart with the portal down can still serve it.
func TestRotationKeepsVerifiedAt(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t, devportal.Options{})
		a := w.agent()
		login(t, a)
		s1, _ := a.vault.loadSession(testCtx(t))
		dead := newPipeNet()
		dead.Close()
		a.verify = &verifier{portal: portal.New(w.url, "", portal.WithHTTPClient(&http.Client{Transport: &http.Transport{DialContext: dead.DialContext}})), now: time.Now} // keys unreachable
		_ = a.Refresh(testCtx(t), "")
		s2, _ := a.vault.loadSession(testCtx(t))
		t.Logf("before: verified_at=%v rt=%s; after: verified_at=%v rt changed=%v", s1.VerifiedAt, suffix(s1.RefreshToken), s2.VerifiedAt, s1.RefreshToken != s2.RefreshToken)
		if s1.RefreshToken != s2.RefreshToken && s2.VerifiedAt.IsZero() && s2.AccessToken == s1.AccessToken {
			t.Errorf("the stored access token lost its verified_at: a restart with the portal down will not serve it")
		}
	})
}

func TestLockRefusesTokens(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
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
	})
}

func TestLogoutForgetsEverything(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
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
	})
}

func TestRestartWithPortalDownServesStoredTokens(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
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
	})
}

// A portal that hangs at start-up costs Load a few seconds, not its whole
// budget, and the stored login is served meanwhile.
func TestLoadWithHangingPortal(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
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
	})
}

// After a restart whose stored access token expired and whose refresh is
// refused, the agent still knows whose login it was, so that another user's
// login drops the previous user's projects.
func TestSubjectKnownAfterRestart(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
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
	})
}

// A keyring that forgets (memory) loses the login at a restart, not the
// tracked projects: they wait in the state file for the same user's next login.
func TestTrackedProjectsSurviveAForgetfulKeyring(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t, devportal.Options{})
		a, p := w.holding()
		a.Close()
		w.store = keyring.NewMemory() // a restart with the memory keyring: nothing kept
		b := w.agent()
		st, _ := b.Status(testCtx(t))
		if len(st.Projects) != 1 || st.Projects[0].ID != p.ID || st.Projects[0].State != ipc.StateLoginRequired {
			t.Fatalf("after a restart without a login: %+v, want %s tracked, waiting for a login", st.Projects, p.ID)
		}
		login(t, b)
		tok, err := b.ProjectToken(testCtx(t), p.ID, 0)
		if err != nil {
			t.Fatal(err)
		}
		w.verified(tok.Token, p.ID)
		ts, err := b.vault.loadTracked(w.url)
		if err != nil || len(ts.Tracked) != 1 || ts.Subject == "" {
			t.Errorf("state file after the login: %+v, %v; want the project and whose it is", ts, err)
		}
	})
}
