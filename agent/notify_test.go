package agent

// Warnings before a token, a project or the login ends.

import (
	"os"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/slices-ri/slices-agent/devportal"
	"github.com/slices-ri/slices-agent/ipc"
)

func TestFailingRenewalWarnsOnceBeforeExpiry(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t, devportal.Options{TokenTTL: 4 * time.Second})
		a := w.agent()
		calls := standIn(t, a)
		login(t, a)
		p := firstProject(t, a)
		tok, err := a.ProjectToken(testCtx(t), p.ID, 0)
		if err != nil {
			t.Fatal(err)
		}
		events := a.Subscribe(testCtx(t))
		w.dp.InjectFault(devportal.Fault{Path: "/apis/", Status: 503})

		var expiring, expired []ipc.Event
		deadline := time.After(time.Until(tok.ExpiresAt) + 3*time.Second)
	wait:
		for {
			select {
			case ev := <-events:
				switch ev.Type {
				case ipc.EventExpiring:
					expiring = append(expiring, ev)
				case ipc.EventExpired:
					expired = append(expired, ev)
					break wait
				}
			case <-deadline:
				break wait
			}
		}
		if len(expiring) != 1 || expiring[0].Cause != CauseRenewalFailing || expiring[0].Project != p.ID {
			t.Fatalf("expiring events before expiry: %+v", expiring)
		}
		if !expiring[0].Time.Before(tok.ExpiresAt) {
			t.Errorf("the warning came at %v, after the token lapsed at %v", expiring[0].Time, tok.ExpiresAt)
		}
		if len(expired) != 1 {
			t.Errorf("expired events: %+v", expired)
		}
		time.Sleep(200 * time.Millisecond) // the notifier runs in the background
		if c := calls(); len(c) != 1 || !strings.Contains(c[0], "renewal_failing") {
			t.Errorf("notify-send calls: %q, want exactly one warning", c)
		}

		// Healed, then failing again: a new episode is announced again.
		w.dp.ClearFaults()
		if err := a.Refresh(testCtx(t), p.ID); err != nil {
			t.Fatal(err)
		}
		w.dp.InjectFault(devportal.Fault{Path: "/apis/", Status: 503, Count: 1})
		_ = a.Refresh(testCtx(t), p.ID)
		time.Sleep(200 * time.Millisecond)
		if c := calls(); len(c) != 2 {
			t.Errorf("after healing and failing again: %d notifications, want 2", len(c))
		}
	})
}

func TestProjectEndingIsAnnouncedOnce(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t, devportal.Options{})
		a := w.agent()
		calls := standIn(t, a)
		login(t, a)
		events := a.Subscribe(testCtx(t))
		if _, err := a.ProjectToken(testCtx(t), "summer-school", 0); err != nil { // ends in 4 days
			t.Fatal(err)
		}
		if err := a.Refresh(testCtx(t), "summer-school"); err != nil {
			t.Fatal(err)
		}
		if _, err := a.ProjectToken(testCtx(t), "ilabt-dev", 0); err != nil { // ends in 2030
			t.Fatal(err)
		}
		ends := collect(events, time.Second, ipc.EventExpiring)
		if len(ends) != 1 || ends[0].Cause != CauseProjectEnds || !strings.Contains(ends[0].Message, "summer-school") {
			t.Fatalf("expiring events: %+v, want one for summer-school", ends)
		}
		if c := calls(); len(c) != 1 || !strings.Contains(c[0], "summer-school") {
			t.Errorf("notify-send calls: %q", c)
		}
	})
}

func TestLoginRequiredNotifiesOnce(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t, devportal.Options{})
		a := w.agent()
		calls := standIn(t, a)
		login(t, a)
		w.dp.RevokeRefreshTokens()
		for range 3 {
			_ = a.Refresh(testCtx(t), "")
		}
		time.Sleep(200 * time.Millisecond)
		if c := calls(); len(c) != 1 || !strings.Contains(c[0], "login") {
			t.Errorf("notify-send calls: %q, want one login warning", c)
		}
	})
}

func TestNotificationsOff(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		n := newNotifier(false)
		looked := false
		n.look = func(string) (string, error) { looked = true; return "", os.ErrNotExist }
		n.once("k", "t", "b")
		time.Sleep(50 * time.Millisecond)
		if looked {
			t.Error("a disabled notifier looked for notify-send")
		}
	})
}

func TestSessionEndIsAnnouncedOnceBeforeItEnds(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t, devportal.Options{UserTTL: 3 * time.Second, SessionTTL: 9 * time.Second})
		a := w.agent()
		calls := standIn(t, a)
		events := a.Subscribe(testCtx(t))
		login(t, a)
		st, _ := a.Status(testCtx(t))
		if st.User.SessionEndsAt == nil {
			t.Fatal("status has no session_ends_at")
		}
		end := *st.User.SessionEndsAt

		var warnings []ipc.Event
		required := false
		timeout := time.After(time.Until(end) + 4*time.Second)
	loop:
		for {
			select {
			case ev := <-events:
				switch {
				case ev.Type == ipc.EventExpiring && ev.Cause == CauseSessionEnds:
					warnings = append(warnings, ev)
				case ev.Type == ipc.EventLoginRequired:
					required = true
					break loop
				}
			case <-timeout:
				break loop
			}
		}
		if len(warnings) != 1 || !warnings[0].Time.Before(end) {
			t.Fatalf("session_ends warnings: %+v, want one before %v", warnings, end)
		}
		if !required {
			t.Error("no login_required once the session ended")
		}
		time.Sleep(200 * time.Millisecond)
		var ends int
		for _, c := range calls() {
			if strings.Contains(c, "login_ending") {
				ends++
			}
		}
		if ends != 1 {
			t.Errorf("notify-send calls %q: want one 'login ending'", calls())
		}
	})
}

// A restart after the login has ended does not announce an end that passed.
func TestRestartAfterSessionEndedIsNotAnnounced(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t, devportal.Options{UserTTL: time.Second, SessionTTL: 2 * time.Second})
		a := w.agent()
		login(t, a)
		a.Close()
		time.Sleep(3 * time.Second)
		b := w.unloaded()
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
	})
}

// An idle timeout that slides along with each refresh (Keycloak's SSO idle) is
// not an end to warn about; the hard end of the login, once the sliding end
// reaches it, is — once.
func TestSlidingSessionEndWarnsOnlyForTheHardEnd(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		count := func(sessionTTL time.Duration, watch time.Duration) (warnings int, loggedIn bool) {
			w := newWorld(t, devportal.Options{UserTTL: 2 * time.Second, SessionIdle: 3 * time.Second, SessionTTL: sessionTTL})
			a := w.agent()
			events := a.Subscribe(testCtx(t))
			login(t, a)
			timeout := time.After(watch)
			for {
				select {
				case ev := <-events:
					if ev.Type == ipc.EventExpiring && ev.Cause == CauseSessionEnds {
						warnings++
					}
				case <-timeout:
					st, _ := a.Status(testCtx(t))
					return warnings, st.User.LoggedIn
				}
			}
		}
		var slidingWarnings, hardWarnings int
		var slidingLoggedIn bool
		done := make(chan struct{})
		go func() {
			defer close(done)
			hardWarnings, _ = count(6*time.Second, 7500*time.Millisecond)
		}()
		// Announcing a sliding end would warn once the login is twice the idle time old.
		slidingWarnings, slidingLoggedIn = count(time.Hour, 7500*time.Millisecond)
		<-done
		if slidingWarnings != 0 || !slidingLoggedIn {
			t.Errorf("a sliding 3 s idle end, refreshed every second: %d warnings, logged in %v; want none, still logged in", slidingWarnings, slidingLoggedIn)
		}
		if hardWarnings != 1 {
			t.Errorf("a 6 s login with a 3 s idle end: %d warnings before its end, want 1", hardWarnings)
		}
	})
}
