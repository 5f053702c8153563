package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
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
