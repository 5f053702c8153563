package tui

import (
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/slices-ri/slices-agent/ipc"
)

// scaleAgent is an account with 10,000 projects, every tenth one tracked.
func scaleAgent() *fakeAgent {
	f := newFakeAgent(10000)
	for i := 0; i < 10000; i += 10 {
		if i != 1 {
			f.track(i, t0.Add(-time.Duration(i%3600)*time.Second), nil)
		}
	}
	return f
}

// BenchmarkFrame10000 is BenchmarkFrame1000 with 10,000 projects (1,000
// tracked): one countdown tick plus every other key press, and the frame
// drawn. Target: under 2 ms.
func BenchmarkFrame10000(b *testing.B) {
	f := scaleAgent()
	now := t0
	m := New(Options{Agent: f, Now: func() time.Time { return now }, NoTick: true})
	next, _ := m.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
	m = run(next.(Model), m.Init())
	if len(m.rows) != 10000 {
		b.Fatalf("%d rows", len(m.rows))
	}
	down := keyMsg("down")
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		now = now.Add(time.Second)
		next, _ := m.Update(tickMsg(now))
		if i%2 == 0 {
			next, _ = next.(Model).Update(down)
		}
		m = next.(Model)
		_ = m.View()
	}
}

// BenchmarkStartToFirstFrame10000 is BenchmarkStartToFirstFrame against an
// agent with 10,000 projects (1,000 tracked) on a Unix socket: new client
// and model, the first load, the first frame. Target: under 100 ms.
func BenchmarkStartToFirstFrame10000(b *testing.B) {
	path := serveFake(b, scaleAgent())
	b.ReportAllocs()
	for b.Loop() {
		c := ipc.NewClient(path)
		m := New(Options{Agent: c, Socket: path})
		next, _ := m.Update(tea.WindowSizeMsg{Width: 120, Height: 35})
		next, _ = next.(Model).Update(loadCmd(c)())
		if v := next.(Model).View(); !strings.Contains(v, "ilabt-dev") {
			b.Fatalf("first frame lacks the projects:\n%s", v)
		}
		c.Close()
	}
}
