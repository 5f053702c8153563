package tui

import (
	"slices"
	"testing"
	"time"

	"github.com/slices-ri/slices-agent/ipc"
)

// names lists the visible rows' names in order.
func names(m Model) []string {
	var out []string
	for _, r := range m.list.visible {
		out = append(out, r.p.Name)
	}
	return out
}

func TestTrackedProjectsComeFirstThenByName(t *testing.T) {
	f := newFakeAgent(6)
	f.track(5, t0.Add(-10*time.Minute), nil) // wall2-experiments
	m, _ := newTestModel(t, f, 100, 30)
	want := []string{"ilabt-dev", "wall2-experiments", "gpu-cluster", "legacy-archive", "summer-school", "testbed-ops"}
	if got := names(m); !slices.Equal(got, want) {
		t.Errorf("order %v, want %v", got, want)
	}
}

func TestFilterByRoleStateAndName(t *testing.T) {
	f := newFakeAgent(6)
	f.track(0, t0.Add(-50*time.Minute), nil)                // gpu-cluster: 10m of 1h left, under a quarter: expiring
	f.track(3, t0.Add(-59*time.Minute-30*time.Second), nil) // summer-school: 30s left: critical
	m, _ := newTestModel(t, f, 100, 30)
	for _, tc := range []struct {
		query string
		want  []string
	}{
		{"role:lead", []string{"ilabt-dev"}},
		{"role:view", []string{"legacy-archive", "testbed-ops"}},
		{"state:expiring", []string{"gpu-cluster", "summer-school"}},
		{"state:critical", []string{"summer-school"}},
		{"state:fresh", []string{"ilabt-dev"}},
		{"state:untracked role:viewer", []string{"legacy-archive", "testbed-ops"}},
		{"state:expiring role:admin gpu", []string{"gpu-cluster"}},
		{"state:expiring dev", nil},
		{"role:", []string{"gpu-cluster", "ilabt-dev", "summer-school", "legacy-archive", "testbed-ops", "wall2-experiments"}},
	} {
		m2 := press(m, "/", tc.query)
		if got := names(m2); !slices.Equal(got, tc.want) {
			t.Errorf("%q shows %v, want %v", tc.query, got, tc.want)
		}
	}
}

func TestFilterMarksTheMatchedCharacters(t *testing.T) {
	m, _ := newTestModel(t, newFakeAgent(6), 100, 30)
	m = press(m, "/", "clu")
	r := m.byID[projID(0)]
	if got := m.list.matched[r]; !slices.Equal(got, []int{4, 5, 6}) {
		t.Errorf("matched bytes %v of %q, want [4 5 6]", got, r.name)
	}
}

func TestPositionIndicatorFollowsTheCursor(t *testing.T) {
	f := newFakeAgent(200)
	m, _ := newTestModel(t, f, 100, 30)
	if s := m.list.Status(); s != "1/200 projects · 1 tracked" {
		t.Errorf("status %q", s)
	}
	m = press(m, "G")
	if s := m.list.Status(); s != "200/200 projects · 1 tracked" {
		t.Errorf("after G: status %q", s)
	}
	m = press(m, "/", "project-01")
	if s := m.list.Status(); s != "1/100 matching “project-01” · 200 projects · esc clears" {
		t.Errorf("filtered: status %q", s)
	}
}

func TestCursorStaysOnItsProjectWhenRowsMove(t *testing.T) {
	f := newFakeAgent(6)
	m, _ := newTestModel(t, f, 100, 30)
	m = press(m, "down", "down") // legacy-archive
	if r := m.list.selected(); r.p.Name != "legacy-archive" {
		t.Fatalf("selected %s", r.p.Name)
	}
	f.track(2, t0, nil)
	next, cmd := m.Update(eventMsg{ev: ipc.Event{Type: ipc.EventTracked, Project: projID(2)}, ch: m.events})
	m = run(next.(Model), cmd)
	if r := m.list.selected(); r.p.Name != "legacy-archive" || m.list.cursor != 1 {
		t.Errorf("after tracking it moved up: selected %s at %d", r.p.Name, m.list.cursor)
	}
}
