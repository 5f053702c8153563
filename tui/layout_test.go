package tui

import (
	"strings"
	"testing"
)

// lastLine is the last line of the view.
func lastLine(v string) string {
	lines := strings.Split(v, "\n")
	return lines[len(lines)-1]
}

func TestNarrowFooterKeepsHelpAndQuit(t *testing.T) {
	for _, w := range []int{40, 50, 60, 69} {
		m, _ := newTestModel(t, newFakeAgent(6), w, 20)
		for name, mm := range map[string]Model{"list": m, "detail": press(m, "enter"), "warnings": press(m, "!")} {
			if l := lastLine(mm.View()); !strings.Contains(l, "? help") || !strings.Contains(l, "q quit") {
				t.Errorf("%d columns, %s: footer %q", w, name, l)
			}
		}
	}
}

func TestFooterOffersOnlyKeysThatWork(t *testing.T) {
	m, _ := newTestModel(t, newFakeAgent(6), 200, 30)
	if l := lastLine(press(m, "!").View()); strings.Contains(l, "copy token") || strings.Contains(l, "renew") {
		t.Errorf("warnings footer offers project keys: %q", l)
	}
	f := newFakeAgent(0)
	m, _ = newTestModel(t, f, 120, 30)
	v := m.View()
	if !strings.Contains(v, "No projects.") || strings.Contains(lastLine(v), "copy token") || strings.Contains(lastLine(v), "details") {
		t.Errorf("an empty list offers project keys:\n%s", v)
	}
	if l := lastLine(press(newModelAt(t, 120), "down").View()); !strings.Contains(l, "a track") || strings.Contains(l, "d untrack") {
		t.Errorf("untracked row's footer: %q", l)
	}
}

func newModelAt(t *testing.T, w int) Model {
	m, _ := newTestModel(t, newFakeAgent(6), w, 30)
	return m
}

func TestMessagesWrapAtWords(t *testing.T) {
	m, _ := newTestModel(t, newFakeAgent(6), 60, 20)
	m.say(nil, "the agent is unreachable: cannot renew until it is back (reconnecting…); what is shown is the last data", true)
	var lines []string
	for _, l := range strings.Split(m.View(), "\n") {
		if strings.Contains(l, "unreachable") || strings.Contains(l, "shown is") {
			lines = append(lines, strings.TrimSpace(l))
		}
	}
	if len(lines) != 2 || !strings.HasSuffix(lines[0], "back") && !strings.HasSuffix(lines[0], "until") && !strings.HasSuffix(lines[0], "it is") {
		t.Errorf("message not wrapped at a word: %q", lines)
	}
	for _, l := range lines {
		if strings.HasSuffix(l, "…") && !strings.HasSuffix(l, "(reconnecting…") {
			t.Errorf("message cut: %q", l)
		}
	}
}

func TestProjectIDWrapsInsteadOfBeingCut(t *testing.T) {
	m, _ := newTestModel(t, newFakeAgent(6), 60, 30)
	v := press(m, "enter").View()
	joined := strings.Join(strings.Fields(v), "")
	if !strings.Contains(joined, "Projectid"+projID(1)) {
		t.Errorf("the project id is cut at 60 columns:\n%s", v)
	}
}

func TestWideTerminalsShowListAndDetailSideBySide(t *testing.T) {
	m, _ := newTestModel(t, newFakeAgent(6), 160, 30)
	v := m.View()
	if !strings.Contains(v, "wall2-experiments") || !strings.Contains(v, "Project id") || !strings.Contains(v, "│") {
		t.Fatalf("at 160 columns no detail beside the list:\n%s", v)
	}
	m = press(m, "down")
	if v := m.View(); !strings.Contains(v, "Project gpu-cluster") {
		t.Errorf("the detail does not follow the cursor:\n%s", v)
	}
	if n := press(m, "enter"); n.focus != focusDetail || !strings.Contains(lastLine(n.View()), "esc back") {
		t.Errorf("enter does not move the keys to the detail pane: focus %v", n.focus)
	}
	if v := newModelAt(t, 139).View(); strings.Contains(v, "Project id") {
		t.Errorf("at 139 columns the detail stands beside the list:\n%s", v)
	}
}

func TestRevealTakesTheWholeWidthAndBackHidesIt(t *testing.T) {
	f := newFakeAgent(6)
	m, _ := newTestModel(t, f, 160, 40)
	m = press(m, "v")
	raw := f.tokens[projID(1)].Token
	v := m.View()
	if strings.Contains(v, "│") || strings.Contains(v, "┃") || !strings.Contains(v, raw[:150]) {
		t.Errorf("a revealed token at 160 columns is not on lines of its own, full width:\n%s", v)
	}
	m = press(m, "esc")
	if m.detail.reveal || strings.Contains(m.View(), raw[:40]) {
		t.Errorf("esc leaves the token revealed:\n%s", m.View())
	}
	if v := m.View(); !strings.Contains(v, "│") {
		t.Errorf("back on the list the detail no longer stands beside it:\n%s", v)
	}
}
