package tui

import (
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
)

// newClipModel is a loaded 80x24 model over f whose clipboard clears after d.
func newClipModel(t *testing.T, f *fakeAgent, cb *fakeClipboard, d time.Duration) Model {
	t.Helper()
	m := New(Options{Agent: f, Clipboard: cb, Now: func() time.Time { return t0 }, NoTick: true, ClearAfter: d})
	next, _ := m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	return run(next.(Model), m.Init())
}

// copyKey presses c on the selected row and returns the model and the
// command the copy's result scheduled (the clear timer).
func copyKey(m Model, keys ...string) (Model, tea.Cmd) {
	m = press(m, keys[:len(keys)-1]...)
	next, cmd := m.Update(keyMsg(keys[len(keys)-1]))
	m = next.(Model)
	msg := cmd()
	if _, ok := msg.(intentMsg); ok { // the list asks the root to copy
		next, cmd = m.Update(msg)
		m = next.(Model)
		msg = cmd()
	}
	// msg is copyCmd's: fetched and copied
	next, cmd = m.Update(msg)
	return next.(Model), cmd
}

func TestCopyThenClearWhenTheClipboardStillHoldsTheToken(t *testing.T) {
	f := newFakeAgent(6)
	cb := &fakeClipboard{readable: true}
	m := newClipModel(t, f, cb, 45*time.Second)
	m, timer := copyKey(m, "c")
	if !strings.Contains(m.flash.text, "copied the token of ilabt-dev") || !strings.Contains(m.flash.text, "clipboard clears in 45s") {
		t.Fatalf("footer %q", m.flash.text)
	}
	if timer == nil {
		t.Fatal("no clear scheduled")
	}
	if what, ok := m.PendingClear(); !ok || what != "the token of ilabt-dev" {
		t.Errorf("PendingClear %q %v", what, ok)
	}
	next, cmd := m.Update(clipDueMsg{gen: m.clip.gen})
	m = run(next.(Model), cmd)
	if cb.clears != 1 || cb.holds != "" {
		t.Errorf("clears %d, clipboard holds %q", cb.clears, cb.holds)
	}
	if m.flash.text != "cleared the clipboard of the token of ilabt-dev" {
		t.Errorf("footer %q", m.flash.text)
	}
	if _, ok := m.PendingClear(); ok {
		t.Error("a clear still pending after it happened")
	}
}

func TestClearLeavesWhatTheUserCopiedSince(t *testing.T) {
	f := newFakeAgent(6)
	cb := &fakeClipboard{readable: true}
	m := newClipModel(t, f, cb, 45*time.Second)
	m, _ = copyKey(m, "c")
	cb.set("the user's own text")
	next, cmd := m.Update(clipDueMsg{gen: m.clip.gen})
	m = run(next.(Model), cmd)
	if cb.clears != 0 || cb.holds != "the user's own text" {
		t.Errorf("clears %d, clipboard holds %q", cb.clears, cb.holds)
	}
	if m.flash.text != "left the clipboard: it no longer holds the token of ilabt-dev" {
		t.Errorf("footer %q", m.flash.text)
	}
}

func TestANewerCopyReplacesThePendingClear(t *testing.T) {
	f := newFakeAgent(6)
	cb := &fakeClipboard{readable: true}
	m := newClipModel(t, f, cb, 45*time.Second)
	m, _ = copyKey(m, "c")
	first := m.clip.gen
	m, _ = copyKey(m, "u")
	next, cmd := m.Update(clipDueMsg{gen: first}) // the first copy's timer
	m = run(next.(Model), cmd)
	if cb.clears != 0 || cb.holds != f.user.Token {
		t.Fatalf("the first timer cleared the second copy: clears %d", cb.clears)
	}
	next, cmd = m.Update(clipDueMsg{gen: m.clip.gen})
	m = run(next.(Model), cmd)
	if cb.clears != 1 || !strings.Contains(m.flash.text, "cleared the clipboard of the user token") {
		t.Errorf("clears %d, footer %q", cb.clears, m.flash.text)
	}
}

func TestNoClearWhereItCannotBeDoneSafely(t *testing.T) {
	tests := []struct {
		name     string
		readable bool
		after    time.Duration
		want     string
	}{
		{"OSC 52 alone", false, 45 * time.Second, "it stays: OSC 52 cannot be read back"},
		{"--clear-after 0", true, 0, "via OSC 52 + fake"},
	}
	for _, tc := range tests {
		cb := &fakeClipboard{readable: tc.readable}
		m := newClipModel(t, newFakeAgent(6), cb, tc.after)
		m, timer := copyKey(m, "c")
		if timer != nil {
			t.Errorf("%s: a clear was scheduled", tc.name)
		}
		if !strings.Contains(m.flash.text, tc.want) || strings.Contains(m.flash.text, "clears in") {
			t.Errorf("%s: footer %q, want %q", tc.name, m.flash.text, tc.want)
		}
		if _, ok := m.PendingClear(); ok {
			t.Errorf("%s: a clear is pending", tc.name)
		}
	}
}
