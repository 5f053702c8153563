package tui

import (
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/slices-ri/slices-agent/ipc"
)

// clocked returns a loaded model whose clock is *now.
func clocked(t *testing.T, f *fakeAgent, now *time.Time) Model {
	t.Helper()
	m := New(Options{Agent: f, Socket: "/tmp/x/agent.sock", Clipboard: &fakeClipboard{}, Now: func() time.Time { return *now }, NoTick: true})
	next, _ := m.Update(tea.WindowSizeMsg{Width: 100, Height: 30})
	return run(next.(Model), m.Init())
}

// tick moves the clock to now.
func tick(m Model, now time.Time) Model {
	next, _ := m.Update(tickMsg(now))
	return next.(Model)
}

func TestMessagesExpireAndBelongToTheirProject(t *testing.T) {
	now := t0
	m := clocked(t, newFakeAgent(6), &now)
	m = press(m, "r") // renew ilabt-dev
	if msg, _ := m.message(); msg != "renewed ilabt-dev" {
		t.Fatalf("message %q", msg)
	}
	if msg, _ := press(m, "down").message(); msg != "" {
		t.Errorf("the message about ilabt-dev shows on gpu-cluster: %q", msg)
	}
	if msg, _ := press(m, "down", "up").message(); msg != "renewed ilabt-dev" {
		t.Errorf("back on ilabt-dev the message is %q", msg)
	}
	now = t0.Add(flashFor)
	if msg, _ := tick(m, now).message(); msg != "" {
		t.Errorf("message still shown after %v: %q", flashFor, msg)
	}
}

func TestReloadingEnds(t *testing.T) {
	m, _ := newTestModel(t, newFakeAgent(6), 100, 30)
	next, cmd := m.Update(keyMsg("R"))
	m = next.(Model)
	if msg, _ := m.message(); msg != "reloading…" {
		t.Fatalf("after R: %q", msg)
	}
	m = run(m, cmd)
	if msg, _ := m.message(); msg != "reloaded" || m.loading {
		t.Errorf("after the load: %q, loading %v", msg, m.loading)
	}
}

func TestKeysWhileTheAgentIsAwaySaySo(t *testing.T) {
	f := newFakeAgent(6)
	m, _ := newTestModel(t, f, 100, 30)
	f.down = true
	next, cmd := m.Update(eventsClosedMsg{})
	m = run(next.(Model), cmd)
	before := len(f.callLog())
	for _, tc := range []struct{ keys, want string }{
		{"c", "the agent is unreachable: cannot copy"},
		{"r", "the agent is unreachable: cannot renew"},
		{"d", "the agent is unreachable: cannot untrack"},
		{"u", "the agent is unreachable: cannot copy"},
		{"l", "the agent is unreachable: cannot log in"},
	} {
		if m2 := press(m, tc.keys); !strings.HasPrefix(m2.flash.text, tc.want) {
			t.Errorf("%s while away: %q, want %q", tc.keys, m2.flash.text, tc.want)
		}
	}
	if calls := f.callLog()[before:]; len(calls) != 0 {
		t.Errorf("keys while away called the agent: %v", calls)
	}
	d := press(m, "enter")
	if d.focus != focusDetail || !strings.Contains(d.View(), "Project id") {
		t.Errorf("the last data does not open:\n%s", d.View())
	}
}

func TestNoAgentScreenAnswersKeys(t *testing.T) {
	f := newFakeAgent(6)
	f.down = true
	m, _ := newTestModel(t, f, 100, 30)
	m = press(m, "c")
	if v := m.View(); !strings.Contains(v, "no agent answers yet") {
		t.Errorf("a key on the no-agent screen says nothing:\n%s", v)
	}
}

func TestRenewalShowsABriefCueOnItsRow(t *testing.T) {
	now := t0
	f := newFakeAgent(6)
	m := clocked(t, f, &now)
	m = event(m, ipc.Event{Type: ipc.EventRenewed, Project: projID(1)})
	if l := rowLine(m, "ilabt-dev"); !strings.Contains(l, "↻ ilabt-dev") || !strings.Contains(l, "renewed") {
		t.Errorf("row after renewed: %q", l)
	}
	now = now.Add(renewedCue)
	m = tick(m, now)
	if l := rowLine(m, "ilabt-dev"); strings.Contains(l, "renewed") {
		t.Errorf("row %v after renewed: %q", renewedCue, l)
	}
}

// rowLine is the line of the view that shows name.
func rowLine(m Model, name string) string {
	for _, l := range strings.Split(m.View(), "\n") {
		if strings.Contains(l, " "+name+" ") {
			return l
		}
	}
	return ""
}

func TestNoExpiresExpired(t *testing.T) {
	f := newFakeAgent(6)
	f.track(0, t0.Add(-61*time.Minute), nil) // gpu-cluster expired a minute ago
	m, _ := newTestModel(t, f, 100, 40)
	v := press(m, "enter").View() // tracked gpu-cluster is now first
	if strings.Contains(v, "expires expired") || !strings.Contains(v, "expired 1m ago") {
		t.Errorf("detail of an expired token:\n%s", v)
	}
}

func TestSecondLoginAsksFirst(t *testing.T) {
	f := newFakeAgent(6)
	m, _ := newTestModel(t, f, 100, 40)
	before := len(f.callLog())
	m = press(m, "l")
	if !strings.Contains(m.View(), "You are logged in as demo-researcher") {
		t.Fatalf("l when logged in does not ask:\n%s", m.View())
	}
	if n := press(m, "n"); n.focus != focusList {
		t.Errorf("n leaves focus %v", n.focus)
	}
	if calls := f.callLog()[before:]; len(calls) != 0 {
		t.Errorf("asking called the agent: %v", calls)
	}
	if y := press(m, "y"); !strings.Contains(y.View(), "ABCD-EFGH") {
		t.Errorf("y does not start the login:\n%s", y.View())
	}
}

func TestFailedLoginSaysHowToRetry(t *testing.T) {
	f := newFakeAgent(6)
	f.status.User = ipc.UserStatus{}
	m, _ := newTestModel(t, f, 100, 40)
	m = press(m, "l")
	next, _ := m.Update(loginStateMsg{state: ipc.LoginState{State: ipc.LoginFailed, Error: "access_denied: the user refused"}})
	m = next.(Model)
	if v := m.View(); !strings.Contains(v, "Login failed") || !strings.Contains(v, "Press l to try again") {
		t.Errorf("failed login:\n%s", v)
	}
	before := len(f.callLog())
	press(m, "l")
	if calls := f.callLog()[before:]; len(calls) == 0 || calls[0] != "StartLogin" {
		t.Errorf("l after a failed login calls %v", calls)
	}
}

func TestTimeFormatToggles(t *testing.T) {
	m, _ := newTestModel(t, newFakeAgent(6), 100, 40)
	m = press(m, "enter")
	for _, want := range []string{"2030-01-02 03:46:05 UTC", "2030-01-02 03:46:05 UTC", "1893555965", "2030-01-02 03:46:05 UTC"} {
		if v := m.View(); !strings.Contains(v, "Expires (exp)   "+want) {
			t.Errorf("times as %v: want %q in\n%s", m.c.times, want, v)
		}
		m = press(m, "t")
	}
}

func TestUserTokenClaimsOpen(t *testing.T) {
	m, _ := newTestModel(t, newFakeAgent(6), 100, 50)
	v := press(m, "i").View()
	for _, want := range []string{"User token", "demo-researcher", `"preferred_username": "demo-researcher"`, "Expires (exp)"} {
		if !strings.Contains(v, want) {
			t.Errorf("user token detail lacks %q:\n%s", want, v)
		}
	}
}

func TestDetailHomeAndEnd(t *testing.T) {
	m, _ := newTestModel(t, newFakeAgent(6), 80, 16)
	m = press(m, "enter", "G")
	if m.detail.vp.YOffset == 0 || !m.detail.vp.AtBottom() {
		t.Fatalf("G does not go to the end: offset %d", m.detail.vp.YOffset)
	}
	if m = press(m, "g"); m.detail.vp.YOffset != 0 {
		t.Errorf("g does not go to the top: offset %d", m.detail.vp.YOffset)
	}
}

func TestTheLoginQuestionAnswersTheFootersKeys(t *testing.T) {
	m, _ := newTestModel(t, newFakeAgent(6), 100, 40)
	m = press(m, "l")
	if h := press(m, "?"); h.focus != focusHelp {
		t.Errorf("? on the login question: focus %v", h.focus)
	}
	_, cmd := m.Update(keyMsg("q"))
	if cmd == nil {
		t.Fatal("q on the login question does nothing")
	}
	if _, ok := cmd().(tea.QuitMsg); !ok {
		t.Error("q on the login question does not quit")
	}
}

func TestUserTokenDetailWhenLoggedOut(t *testing.T) {
	f := newFakeAgent(6)
	f.status.User = ipc.UserStatus{}
	m, _ := newTestModel(t, f, 100, 40)
	if v := press(m, "i").View(); !strings.Contains(v, "Token           not logged in · press l to log in") {
		t.Errorf("user token detail when logged out:\n%s", v)
	}
}
