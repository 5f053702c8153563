package tui

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/slices-ri/slices-agent/ipc"
)

// BenchmarkFrame1000 measures one countdown tick (Update) and the frame it
// draws (View) with 1,000 projects, every tenth one tracked. Target: under 2 ms.
func BenchmarkFrame1000(b *testing.B) { benchFrame(b, account(1000)) }

// account is a fake agent with n projects, every tenth one tracked.
func account(n int) *fakeAgent {
	f := newFakeAgent(n)
	for i := 0; i < n; i += 10 {
		if i != 1 {
			f.track(i, t0.Add(-time.Duration(i%3600)*time.Second), nil)
		}
	}
	return f
}

// benchFrame runs one countdown tick plus every other key press, and draws
// the frame, against f.
func benchFrame(b *testing.B, f *fakeAgent) {
	now := t0
	m := New(Options{Agent: f, Now: func() time.Time { return now }, NoTick: true})
	next, _ := m.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
	m = run(next.(Model), m.Init())
	if len(m.rows) != len(f.projects) {
		b.Fatalf("%d rows, want %d", len(m.rows), len(f.projects))
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

// serviceFake serves fakeAgent as an ipc.Service; methods the TUI's first
// frame does not need fall through to the nil embedded Service (a 500).
type serviceFake struct {
	ipc.Service
	f *fakeAgent
}

func (s serviceFake) Status(ctx context.Context) (ipc.Status, error) { return s.f.Status(ctx) }
func (s serviceFake) Projects(ctx context.Context) ([]ipc.Project, error) {
	return s.f.Projects(ctx)
}
func (s serviceFake) UserToken(ctx context.Context, d time.Duration) (ipc.Token, error) {
	return s.f.UserToken(ctx, d)
}
func (s serviceFake) ProjectToken(ctx context.Context, ref string, d time.Duration) (ipc.Token, error) {
	return s.f.ProjectToken(ctx, ref, d)
}
func (s serviceFake) Subscribe(ctx context.Context) <-chan ipc.Event {
	ch := make(chan ipc.Event)
	go func() { <-ctx.Done(); close(ch) }()
	return ch
}

// serveFake serves f on a Unix socket and returns its path.
func serveFake(tb testing.TB, f *fakeAgent) string {
	dir, err := os.MkdirTemp("/tmp", "tui")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { os.RemoveAll(dir) })
	path := filepath.Join(dir, "agent.sock")
	l, err := net.Listen("unix", path)
	if err != nil {
		tb.Fatal(err)
	}
	srv := ipc.NewServer(ipc.NewHandler(serviceFake{f: f}, ipc.HandlerOptions{}))
	go srv.Serve(l)
	tb.Cleanup(func() { srv.Close() })
	return path
}

// BenchmarkStartToFirstFrame measures, with an agent answering on a Unix
// socket, a new client and model, the first load (status, user token,
// projects, tracked tokens) and the first frame. Target: under 100 ms.
func BenchmarkStartToFirstFrame(b *testing.B) { benchFirstFrame(b, newFakeAgent(6)) }

// benchFirstFrame makes a new client and model against f served on a Unix
// socket, loads and draws the first frame.
func benchFirstFrame(b *testing.B, f *fakeAgent) {
	path := serveFake(b, f)
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

// TestFirstFrameOverSocket is BenchmarkStartToFirstFrame's path as a test.
func TestFirstFrameOverSocket(t *testing.T) {
	f := newFakeAgent(6)
	path := serveFake(t, f)
	c := ipc.NewClient(path)
	defer c.Close()
	m := New(Options{Agent: c, Socket: path, Now: func() time.Time { return t0 }, NoTick: true})
	next, _ := m.Update(tea.WindowSizeMsg{Width: 120, Height: 35})
	m = run(next.(Model), m.Init())
	v := m.View()
	if m.conn != connLive || !strings.Contains(v, "wall2-experiments") || !strings.Contains(v, "42m") {
		t.Errorf("conn %v, frame:\n%s", m.conn, v)
	}
}
