package tui

import (
	"slices"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/slices-ri/slices-agent/ipc"
)

func TestFilterNarrowsByNameOrID(t *testing.T) {
	m, _ := newTestModel(t, newFakeAgent(6), 80, 24)
	if n := len(m.list.visible); n != 6 {
		t.Fatalf("%d rows before filtering, want 6", n)
	}
	for _, tc := range []struct{ term, want string }{
		{"dev", "ilabt-dev"},
		{"DEV", "ilabt-dev"},
		{projID(4)[20:], "testbed-ops"}, // part of the id
	} {
		m2 := press(m, "/", tc.term)
		var names []string
		for _, it := range m2.list.visible {
			names = append(names, it.p.Name)
		}
		if len(names) != 1 || names[0] != tc.want {
			t.Errorf("filter %q shows %v, want [%s]", tc.term, names, tc.want)
		}
		if m3 := press(m2, "esc"); len(m3.list.visible) != 6 {
			t.Errorf("esc after filter %q leaves %d rows", tc.term, len(m3.list.visible))
		}
	}
}

func TestOpenDetailAndBack(t *testing.T) {
	m, _ := newTestModel(t, newFakeAgent(6), 80, 60)
	m = press(m, "enter")
	if m.focus != focusDetail || m.detail.row.p.Name != "ilabt-dev" {
		t.Fatalf("screen %v row %v after enter", m.focus, m.detail.row)
	}
	v := m.View()
	for _, want := range []string{"proj_exp", "user_account.ilabt.imec.be_0123456789abcdefghijklmnop", "Acting as       lead", "in 42m", "hidden (…"} {
		if !strings.Contains(v, want) {
			t.Errorf("detail lacks %q", want)
		}
	}
	raw := m.detail.row.tok.raw
	if strings.Contains(v, raw) {
		t.Error("raw token shown before v")
	}
	if m2 := press(m, "v"); !strings.Contains(strings.ReplaceAll(m2.View(), "\n", ""), raw[:60]) {
		t.Error("v does not reveal the raw token")
	}
	if m2 := press(m, "esc"); m2.focus != focusList {
		t.Errorf("esc leaves screen %v", m2.focus)
	}
}

func TestCopyPutsTheAgentsTokenOnTheClipboard(t *testing.T) {
	f := newFakeAgent(6)
	m, cb := newTestModel(t, f, 80, 24)
	m = press(m, "c")
	if want := f.tokens[projID(1)].Token; len(cb.copied) != 1 || cb.copied[0] != want {
		t.Fatalf("copied %q, want the agent's token", cb.copied)
	}
	if !strings.Contains(m.flash.text, "copied the token of ilabt-dev") || !strings.Contains(m.flash.text, "via OSC 52") {
		t.Errorf("footer says %q", m.flash.text)
	}
	m = press(m, "u")
	if len(cb.copied) != 2 || cb.copied[1] != f.user.Token {
		t.Errorf("u copied %q, want the user token", cb.copied[1:])
	}
}

func TestActionKeys(t *testing.T) {
	tests := []struct {
		keys     []string
		wantCall string
		wantMsg  string
	}{
		{[]string{"r"}, "Refresh " + projID(1), "renewed ilabt-dev"},
		{[]string{"down", "r"}, "", "gpu-cluster is not tracked"},
		{[]string{"down", "a"}, "Track " + projID(0), "tracking gpu-cluster"},
		{[]string{"d"}, "Untrack " + projID(1), "stopped tracking ilabt-dev"},
		{[]string{"enter", "r"}, "Refresh " + projID(1), "renewed ilabt-dev"},
		{[]string{"l", "y"}, "StartLogin", ""},
		{[]string{"down", "ad"}, "Untrack " + projID(0), "stopped tracking gpu-cluster"}, // keys read together
	}
	for _, tc := range tests {
		f := newFakeAgent(6)
		m, _ := newTestModel(t, f, 80, 24)
		before := len(f.callLog())
		m = press(m, tc.keys...)
		calls := f.callLog()[before:]
		if tc.wantCall != "" && !slices.Contains(calls, tc.wantCall) {
			t.Errorf("%v: calls %v, want %q", tc.keys, calls, tc.wantCall)
		}
		if tc.wantCall == "" && slices.ContainsFunc(calls, func(c string) bool { return strings.HasPrefix(c, "Refresh") }) {
			t.Errorf("%v: calls %v, want no refresh", tc.keys, calls)
		}
		if !strings.Contains(m.flash.text, tc.wantMsg) {
			t.Errorf("%v: footer %q, want %q", tc.keys, m.flash.text, tc.wantMsg)
		}
	}
}

func TestLoginScreenWaitsForTheLoginEvent(t *testing.T) {
	f := newFakeAgent(6)
	f.status.User = ipc.UserStatus{}
	m, _ := newTestModel(t, f, 100, 45)
	if !strings.Contains(m.View(), "not logged in") {
		t.Error("header does not say not logged in")
	}
	m = press(m, "l")
	if m.focus != focusLogin || !strings.Contains(m.View(), "ABCD-EFGH") || !strings.Contains(m.View(), "▀") {
		t.Fatalf("login screen lacks the code or the QR code:\n%s", m.View())
	}
	f.status.User = ipc.UserStatus{LoggedIn: true, Name: "demo-researcher"}
	next, cmd := m.Update(eventMsg{ev: ipc.Event{Type: ipc.EventLogin}, ch: m.events})
	m = run(next.(Model), cmd)
	if m.focus != focusList || !strings.Contains(m.View(), "demo-researcher") {
		t.Errorf("after the login event: screen %v\n%s", m.focus, m.View())
	}
}

func TestRenewedEventUpdatesTheRow(t *testing.T) {
	f := newFakeAgent(6)
	m, _ := newTestModel(t, f, 80, 24)
	f.tokens[projID(1)] = projectToken(projID(1), "ilabt-dev", "lead", t0, nil)
	next, cmd := m.Update(eventMsg{ev: ipc.Event{Type: ipc.EventRenewed, Project: projID(1)}, ch: m.events})
	m = run(next.(Model), cmd)
	if got := m.byID[projID(1)].tok.iat; !got.Equal(t0) {
		t.Errorf("row's token issued at %v after renewed, want %v", got, t0)
	}
	if !strings.Contains(m.View(), "1h") {
		t.Errorf("list does not show the renewed hour:\n%s", m.View())
	}
}

func TestAgentGoesAwayAndComesBack(t *testing.T) {
	f := newFakeAgent(6)
	m, _ := newTestModel(t, f, 80, 24)
	f.down = true
	next, cmd := m.Update(eventsClosedMsg{})
	m = run(next.(Model), cmd)
	if m.conn != connLost || !strings.Contains(m.View(), "reconnecting") || !strings.Contains(m.View(), "ilabt-dev") {
		t.Fatalf("after the agent left: conn %v\n%s", m.conn, m.View())
	}
	next, cmd = m.Update(retryMsg{})
	m = run(next.(Model), cmd)
	if m.conn != connLost {
		t.Fatalf("conn %v while the agent is still down", m.conn)
	}
	f.down = false
	next, cmd = m.Update(retryMsg{})
	m = run(next.(Model), cmd)
	if m.conn != connLive || !strings.Contains(m.flash.text, "reconnected") {
		t.Errorf("conn %v, footer %q after the agent came back", m.conn, m.flash.text)
	}
}

func TestNoAgentAtStart(t *testing.T) {
	f := newFakeAgent(6)
	f.down = true
	m, _ := newTestModel(t, f, 80, 24)
	if m.conn != connNone || !strings.Contains(m.View(), `eval "$(slices-agent env)"`) {
		t.Fatalf("conn %v:\n%s", m.conn, m.View())
	}
	if m2 := press(m, "c", "enter"); m2.conn != connNone {
		t.Error("keys changed the no-agent screen")
	}
	f.down = false
	next, cmd := m.Update(retryMsg{})
	m = run(next.(Model), cmd)
	if m.conn != connLive || !strings.Contains(m.View(), "wall2-experiments") {
		t.Errorf("no list once the agent answers:\n%s", m.View())
	}
}

func TestTickMovesTheCountdown(t *testing.T) {
	f := newFakeAgent(6)
	now := t0
	m := New(Options{Agent: f, Now: func() time.Time { return now }, NoTick: true})
	next, _ := m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	m = run(next.(Model), m.Init())
	a := m.View()
	now = t0.Add(time.Second)
	next, _ = m.Update(tickMsg(now))
	if b := next.(Model).View(); a == b || !strings.Contains(b, "41m 59s") {
		t.Errorf("tick did not move the countdown:\n%s", b)
	}
}

func TestQuitKeys(t *testing.T) {
	for _, k := range []tea.KeyMsg{keyMsg("q"), {Type: tea.KeyCtrlC}} {
		m, _ := newTestModel(t, newFakeAgent(2), 80, 24)
		_, cmd := m.Update(k)
		if cmd == nil {
			t.Fatalf("%v: no command", k)
		}
		if _, ok := cmd().(tea.QuitMsg); !ok {
			t.Errorf("%v does not quit", k)
		}
	}
}

func TestClassify(t *testing.T) {
	iat := t0.Add(-time.Hour)
	tests := []struct {
		name    string
		tracked bool
		iat     time.Time
		exp     time.Time
		want    level
	}{
		{"untracked", false, iat, t0.Add(time.Hour), levelUntracked},
		{"no token yet", true, time.Time{}, time.Time{}, levelPending},
		{"plenty", true, t0.Add(-10 * time.Minute), t0.Add(50 * time.Minute), levelPlenty},
		{"under a quarter", true, t0.Add(-50 * time.Minute), t0.Add(10 * time.Minute), levelLow},
		{"under a minute", true, iat, t0.Add(30 * time.Second), levelCritical},
		{"expired", true, iat, t0, levelExpired},
		{"unknown iat assumes an hour", true, time.Time{}, t0.Add(10 * time.Minute), levelLow},
	}
	for _, tc := range tests {
		if got := classify(tc.tracked, tc.iat, tc.exp, t0); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}
