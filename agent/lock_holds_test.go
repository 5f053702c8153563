package agent

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/slices-ri/slices-agent/devportal"
	"github.com/slices-ri/slices-agent/ipc"
)

// While locked, everything but status, events and unlock answers 423; status
// and events say nothing about who the user is or what they work on.
func TestLockedAgentAnswersOnlyStatusEventsAndUnlock(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t, devportal.Options{})
		a, p := w.holding()
		// The first fetch's renewed event is told after its token is
		// served: let it go out before subscribing, so that every event
		// the subscriber sees was made while locked.
		synctest.Wait()
		ctx := testCtx(t)
		evCtx, stopEvents := context.WithCancel(ctx)
		defer stopEvents()
		events := a.Subscribe(evCtx)
		if err := a.Lock(ctx, "secret"); err != nil {
			t.Fatal(err)
		}
		refused := map[string]error{}
		refused["shutdown"] = a.Shutdown(ctx)
		refused["logout"] = a.Logout(ctx)
		_, refused["login"] = a.StartLogin(ctx)
		_, refused["login status"] = a.LoginStatus(ctx)
		refused["untrack"] = a.Untrack(ctx, p.ID)
		_, refused["track"] = a.Track(ctx, p.ID)
		refused["refresh"] = a.Refresh(ctx, "")
		refused["refresh project"] = a.Refresh(ctx, p.ID)
		refused["import"] = a.ImportLogin(ctx, "", "a-refresh-token")
		_, refused["projects"] = a.Projects(ctx)
		_, refused["user token"] = a.UserToken(ctx, 0)
		_, refused["project token"] = a.ProjectToken(ctx, p.ID, 0)
		refused["lock again"] = a.Lock(ctx, "other")
		for what, err := range refused {
			if code(err) != ipc.CodeLocked {
				t.Errorf("%s while locked: %v, want locked (423)", what, err)
			}
		}
		select {
		case <-a.ShutdownRequested():
			t.Error("a locked agent accepted a shutdown")
		default:
		}

		st, err := a.Status(ctx)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(st)
		if !st.Locked || !st.User.LoggedIn || len(st.Projects) != 1 {
			t.Errorf("locked status lost the shape of things: %s", b)
		}
		for _, secret := range []string{"demo-researcher", "user_account.", p.ID, p.Name} {
			if strings.Contains(string(b), secret) {
				t.Errorf("locked status shows %q: %s", secret, b)
			}
		}
		// An event made while locked (here: a renewal) names no project.
		if err := a.renew(ctx, a.projects[p.ID], false); err != nil {
			t.Fatal(err)
		}
		renewed := collect(events, time.Second, ipc.EventRenewed)
		if len(renewed) == 0 {
			t.Error("no renewed event while locked")
		}
		for _, ev := range renewed {
			if ev.Project != "" || ev.Message != "" {
				t.Errorf("event while locked: %+v, want no project and no message", ev)
			}
		}
		if err := a.Unlock(ctx, "secret"); err != nil {
			t.Fatal(err)
		}
		if _, err := a.ProjectToken(ctx, p.ID, 0); err != nil {
			t.Errorf("after unlock: %v", err)
		}
	})
}

// An agent that stopped (or was killed) while locked comes back locked, with
// the same passphrase, which is not stored in plain text; an unlock removes
// the lock for the next start too.
func TestLockSurvivesRestart(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t, devportal.Options{})
		a, p := w.holding()
		const pass = "correct horse battery staple"
		if err := a.Lock(testCtx(t), pass); err != nil {
			t.Fatal(err)
		}
		raw, err := os.ReadFile(filepath.Join(w.state, "lock.json"))
		if err != nil {
			t.Fatalf("no lock file: %v", err)
		}
		if strings.Contains(string(raw), pass) || strings.Contains(string(raw), "horse") {
			t.Fatalf("the lock file holds the passphrase: %s", raw)
		}
		fi, _ := os.Stat(filepath.Join(w.state, "lock.json"))
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("lock file mode %v, want 0600", fi.Mode().Perm())
		}
		a.Close() // as if stopped or killed: nothing more is written at exit

		b := w.agent()
		if st, _ := b.Status(testCtx(t)); !st.Locked {
			t.Fatal("the restarted agent is not locked")
		}
		if _, err := b.ProjectToken(testCtx(t), p.ID, 0); code(err) != ipc.CodeLocked {
			t.Fatalf("restarted agent serves a token: %v", err)
		}
		if err := b.Unlock(testCtx(t), "another passphrase"); code(err) != "bad_passphrase" {
			t.Fatalf("restarted agent, wrong passphrase: %v", err)
		}
		b.Close()

		// The failure and its penalty survive a restart too.
		c := w.agent()
		c.mu.Lock()
		failures, notBefore := c.lock.failures, c.lock.notBefore
		c.mu.Unlock()
		if failures != 1 || notBefore.IsZero() {
			t.Errorf("after a restart: %d failures, not before %v; want 1 and a time", failures, notBefore)
		}
		if err := c.Unlock(testCtx(t), pass); err != nil {
			t.Fatalf("the same passphrase after restarts: %v", err)
		}
		if _, err := c.ProjectToken(testCtx(t), p.ID, 0); err != nil {
			t.Fatal(err)
		}
		c.Close()
		if _, err := os.Stat(filepath.Join(w.state, "lock.json")); !os.IsNotExist(err) {
			t.Errorf("lock file after unlock: %v", err)
		}
		d := w.agent()
		if st, _ := d.Status(testCtx(t)); st.Locked {
			t.Error("unlocked, restarted, and locked again")
		}
	})
}

// A lock file that cannot be understood keeps the agent locked: it is never
// read as "unlocked".
func TestCorruptLockFileStaysLocked(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t, devportal.Options{})
		if err := os.WriteFile(filepath.Join(w.state, "lock.json"), []byte("{not json"), 0o600); err != nil {
			t.Fatal(err)
		}
		a := w.agent()
		if st, _ := a.Status(testCtx(t)); !st.Locked {
			t.Fatal("a corrupt lock file unlocked the agent")
		}
		if err := a.Unlock(testCtx(t), ""); err == nil {
			t.Fatal("an empty passphrase opened a corrupt lock")
		}
	})
}
