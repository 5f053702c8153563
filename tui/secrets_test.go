package tui

import (
	"strings"
	"testing"

	"github.com/slices-ri/slices-agent/ipc"
)

// revealed opens ilabt-dev's token with v from the list and checks it shows.
func revealed(t *testing.T, f *fakeAgent) (Model, string) {
	t.Helper()
	m, _ := newTestModel(t, f, 100, 40)
	m = press(m, "v")
	raw := f.tokens[projID(1)].Token
	if m.focus != focusDetail || !m.detail.reveal || !strings.Contains(m.View(), raw[:40]) {
		t.Fatalf("v from the list does not show the token in view:\n%s", m.View())
	}
	return m, raw[:40]
}

func TestLockDropsEveryTokenAndARevealedOne(t *testing.T) {
	f := newFakeAgent(6)
	m, frag := revealed(t, f)
	f.status.Locked = true
	f.status.User.Name = ""
	m = event(m, ipc.Event{Type: ipc.EventLocked})
	v := m.View()
	if strings.Contains(v, frag) {
		t.Fatalf("the revealed token stays on screen under the lock:\n%s", v)
	}
	if m.user.tok != nil || m.byID[projID(1)].tok != nil {
		t.Error("tokens are still held for display after the lock")
	}
	if !strings.Contains(v, "Token           ⊘ locked") || strings.Contains(v, "expired") {
		t.Errorf("while locked the detail should say locked, not expired:\n%s", v)
	}
	m = press(m, "v")
	if m.detail.reveal || !strings.Contains(m.flash.text, "the agent is locked") {
		t.Errorf("v while locked: reveal %v, footer %q", m.detail.reveal, m.flash.text)
	}
	l := press(m, "esc").View()
	for _, line := range strings.Split(l, "\n") {
		if strings.Contains(line, "ilabt-dev") && (!strings.Contains(line, "⊘ ilabt-dev") || !strings.Contains(line, "locked") || strings.Contains(line, "ago")) {
			t.Errorf("tracked row while locked: %q", line)
		}
	}
}

func TestLogoutDropsARevealedToken(t *testing.T) {
	f := newFakeAgent(6)
	m, frag := revealed(t, f)
	f.status.User = ipc.UserStatus{}
	f.status.Projects = nil
	for i := range f.projects {
		f.projects[i].Tracked, f.projects[i].TokenExpiresAt = false, nil
	}
	m = event(m, ipc.Event{Type: ipc.EventLogout})
	if v := m.View(); strings.Contains(v, frag) || !strings.Contains(v, "not logged in") {
		t.Errorf("after logout:\n%s", v)
	}
	if m.detail.reveal {
		t.Error("the detail pane still reveals after logout")
	}
}

func TestPortalStringsAreEscaped(t *testing.T) {
	f := newFakeAgent(6)
	f.projects[0].Name = "evil\x1b]52;c;aGk=\x07"
	f.projects[0].Description = "desc\x1b[2J\u202e"
	f.projects[0].Role = "adm\rin"
	f.status.User.Name = "user\x1b[31m"
	m, _ := newTestModel(t, f, 120, 40)
	for name, v := range map[string]string{"list": m.View(), "detail": press(m, "down", "enter").View()} {
		if strings.ContainsAny(v, "\x07\r\u202e") || strings.Contains(v, "\x1b]52") || strings.Contains(v, "\x1b[2J") || strings.Contains(v, "\x1b[31m") {
			t.Errorf("%s draws a control sequence from the portal:\n%q", name, v)
		}
		if !strings.Contains(v, `evil\x1b]52;c;aGk=\x07`) {
			t.Errorf("%s does not show the escaped name:\n%s", name, v)
		}
	}
	if v := press(m, "down", "enter").View(); !strings.Contains(v, `desc\x1b[2J\u202e`) {
		t.Errorf("detail does not show the escaped description:\n%s", v)
	}
}
