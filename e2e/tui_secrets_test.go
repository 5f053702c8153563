package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A token revealed in the TUI leaves the screen when the agent is locked,
// v shows none while it stays locked, and the same holds for a logout.
func TestTUILockAndLogoutHideARevealedToken(t *testing.T) {
	tm := newTmux(t)
	t.Parallel()
	p := startPortal(t)
	h, id := startTUI(t, tm, p, nil)
	pass := filepath.Join(h.dir, "pass")
	if err := os.WriteFile(pass, []byte("a passphrase\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	reveal := func() string {
		t.Helper()
		tok := strings.TrimSpace(h.mustRun("token", id))
		frag := tok[:20]
		tm.must("send-keys", "-t", "s", "v") // from the list: ilabt-dev, the tracked one, is first
		tm.waitText(frag)
		return frag
	}

	frag := reveal()
	h.mustRun("lock", "--passphrase-file", pass)
	scr := tm.waitFor("the token to leave the screen after lock", func(scr string) bool {
		return !strings.Contains(scr, frag) && strings.Contains(scr, "locked")
	})
	if strings.Contains(scr, "ago") && strings.Contains(scr, "expired") {
		t.Errorf("while locked a row claims a token expired:\n%s", scr)
	}
	tm.must("send-keys", "-t", "s", "v")
	scr = tm.waitText("the agent is locked: it shows no token")
	if strings.Contains(scr, frag) {
		t.Errorf("v showed the token while locked:\n%s", scr)
	}

	h.mustRun("unlock", "--passphrase-file", pass)
	tm.waitText("the agent was unlocked")
	tm.must("send-keys", "-t", "s", "Escape")
	tm.waitText("1/6 projects")
	frag = reveal()
	h.mustRun("logout")
	tm.waitFor("the token to leave the screen after logout", func(scr string) bool {
		return !strings.Contains(scr, frag) && strings.Contains(scr, "not logged in")
	})
}

// Keys pressed while the agent is away say so; the last data still opens.
func TestTUIKeysWhileTheAgentIsUnreachable(t *testing.T) {
	tm := newTmux(t)
	t.Parallel()
	p := startPortal(t)
	h, id := startTUI(t, tm, p, nil)
	h.mustRun("stop")
	tm.waitText("agent unreachable")

	for _, k := range []struct{ key, want string }{
		{"c", "the agent is unreachable: cannot copy"},
		{"r", "the agent is unreachable: cannot renew"},
		{"l", "the agent is unreachable: cannot log in"},
	} {
		tm.must("send-keys", "-t", "s", k.key)
		tm.waitText(k.want)
	}
	// The detail of the last data opens, read only.
	tm.must("send-keys", "-t", "s", "Enter")
	tm.waitText("Project id      " + id)
	tm.must("send-keys", "-t", "s", "r")
	tm.waitText("the agent is unreachable: cannot renew")
}

// V shows the token alone on the terminal as one line the terminal wraps
// itself (so a selection copies one line); a lock clears it from the screen
// and the scrollback.
func TestTUITokenOnOneLineGoesWithTheLock(t *testing.T) {
	tm := newTmux(t)
	t.Parallel()
	p := startPortal(t)
	h, id := startTUI(t, tm, p, nil)
	pass := filepath.Join(h.dir, "pass")
	if err := os.WriteFile(pass, []byte("a passphrase\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tok := strings.TrimSpace(h.mustRun("token", id))
	joined := func() string { out, _ := tm.run("capture-pane", "-p", "-J", "-S", "-200", "-t", "s"); return out }
	oneLine := func() bool {
		for _, l := range strings.Split(joined(), "\n") {
			if strings.TrimRight(l, " ") == tok {
				return true
			}
		}
		return false
	}
	open := func() {
		t.Helper()
		tm.must("send-keys", "-t", "s", "Enter")
		tm.waitText("Project id")
		tm.must("send-keys", "-t", "s", "V")
		deadline := time.Now().Add(10 * time.Second)
		for !oneLine() {
			if time.Now().After(deadline) {
				t.Fatalf("V did not show the token as one line; joined screen:\n%s", joined())
			}
			time.Sleep(50 * time.Millisecond)
		}
	}

	open()
	tm.must("send-keys", "-t", "s", "Enter")
	tm.waitText("the token was cleared from the terminal's screen")
	if strings.Contains(joined(), tok[:40]) {
		t.Errorf("the token stays on the screen or in its history after Enter:\n%s", joined())
	}

	tm.must("send-keys", "-t", "s", "Escape")
	tm.waitText("1/6 projects")
	open()
	h.mustRun("lock", "--passphrase-file", pass)
	tm.waitFor("the lock to clear the token and show the locked list", func(scr string) bool {
		return strings.Contains(scr, "⊘ locked") && !strings.Contains(joined(), tok[:40])
	})
}
