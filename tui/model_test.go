package tui

import (
	"os"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/muesli/termenv"
)

func TestMain(m *testing.M) {
	lipgloss.SetColorProfile(termenv.Ascii)
	time.Local = time.UTC
	os.Exit(m.Run())
}

// newTestModel returns a loaded model of w x h over f at t0.
func newTestModel(t testing.TB, f *fakeAgent, w, h int) (Model, *fakeClipboard) {
	t.Helper()
	cb := &fakeClipboard{}
	m := New(Options{Agent: f, Socket: "/tmp/x/agent.sock", Clipboard: cb, Now: func() time.Time { return t0 }, NoTick: true})
	next, _ := m.Update(tea.WindowSizeMsg{Width: w, Height: h})
	m = run(next.(Model), m.Init())
	return m, cb
}

func keyMsg(s string) tea.KeyMsg {
	switch s {
	case "enter":
		return tea.KeyMsg{Type: tea.KeyEnter}
	case "esc":
		return tea.KeyMsg{Type: tea.KeyEsc}
	case "down":
		return tea.KeyMsg{Type: tea.KeyDown}
	case "up":
		return tea.KeyMsg{Type: tea.KeyUp}
	}
	return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(s)}
}

// press sends keys one by one, running their commands.
func press(m Model, keys ...string) Model {
	for _, k := range keys {
		next, cmd := m.Update(keyMsg(k))
		m = run(next.(Model), cmd)
	}
	return m
}

func TestFrameFitsTerminal(t *testing.T) {
	for _, size := range [][2]int{{200, 40}, {160, 30}, {120, 35}, {80, 24}, {60, 15}, {40, 12}} {
		m, _ := newTestModel(t, newFakeAgent(6), size[0], size[1])
		for name, mm := range map[string]Model{"list": m, "detail": press(m, "enter"), "login": press(m, "l"), "warnings": press(m, "!"), "help": press(m, "?"), "revealed": press(m, "v")} {
			lines := strings.Split(mm.View(), "\n")
			if len(lines) != size[1] {
				t.Errorf("%dx%d %s: %d lines", size[0], size[1], name, len(lines))
			}
			for i, l := range lines {
				if w := ansi.StringWidth(l); w > size[0] {
					t.Errorf("%dx%d %s: line %d is %d wide: %q", size[0], size[1], name, i, w, l)
				}
				if strings.HasSuffix(l, "…") && strings.TrimSpace(strings.TrimSuffix(l, "…")) == "" {
					t.Errorf("%dx%d %s: line %d is an ellipsis alone", size[0], size[1], name, i)
				}
			}
		}
	}
}
