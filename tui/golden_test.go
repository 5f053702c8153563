package tui

import (
	"bytes"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/charmbracelet/x/exp/teatest"

	"github.com/slices-ri/slices-agent/ipc"
)

// goldenFrame runs the TUI over f in a w x h teatest terminal, waits for
// ready on screen, sends keys (waiting for each one's text to appear), and
// compares the final frame with testdata/<test name>.golden (-update rewrites it).
func goldenFrame(t *testing.T, f *fakeAgent, w, h int, ready string, steps ...step) {
	t.Helper()
	m := New(Options{Agent: f, Socket: "/tmp/x/agent.sock", Clipboard: &fakeClipboard{},
		Now: func() time.Time { return t0 }, NoTick: true, Retry: time.Hour})
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(w, h))
	waitText(t, tm, ready)
	for _, s := range steps {
		tm.Send(s.key)
		waitText(t, tm, s.want)
	}
	if err := tm.Quit(); err != nil {
		t.Fatal(err)
	}
	fm := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(Model)
	golden.RequireEqual(t, []byte(fm.View()))
}

// step is a key and the text that shows it took effect.
type step struct {
	key  tea.Msg
	want string
}

func waitText(t *testing.T, tm *teatest.TestModel, want string) {
	t.Helper()
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, []byte(want)) },
		teatest.WithDuration(5*time.Second), teatest.WithCheckInterval(10*time.Millisecond))
}

// The four main screens at 60, 100 and 200 columns.
var goldenWidths = []struct {
	name string
	w, h int
}{{"60", 60, 20}, {"100", 100, 30}, {"200", 200, 40}}

func TestGoldenScreens(t *testing.T) {
	for _, sz := range goldenWidths {
		t.Run("list/"+sz.name, func(t *testing.T) {
			goldenFrame(t, newFakeAgent(6), sz.w, sz.h, "wall2-experiments")
		})
		t.Run("detail/"+sz.name, func(t *testing.T) {
			goldenFrame(t, newFakeAgent(6), sz.w, sz.h, "wall2-experiments", step{keyMsg("enter"), "Signature"})
		})
		t.Run("warnings/"+sz.name, func(t *testing.T) {
			goldenFrame(t, portalDownAgent(), sz.w, sz.h, "portal unreachable", step{keyMsg("!"), "Warnings"})
		})
		t.Run("help/"+sz.name, func(t *testing.T) {
			goldenFrame(t, newFakeAgent(6), sz.w, sz.h, "wall2-experiments", step{keyMsg("?"), "Everywhere"})
		})
	}
}

// portalDownAgent has three tracked projects whose renewals fail because
// the portal does not answer, and testbed-ops ending in three days.
func portalDownAgent() *fakeAgent {
	f := newFakeAgent(6)
	f.track(0, t0.Add(-50*time.Minute), nil)
	f.track(5, t0.Add(-61*time.Minute), nil)
	soon := t0.Add(76 * time.Hour)
	f.projects[4].ExpiresAt = &soon
	for i, p := range f.status.Projects {
		p.LastError = "project token: portal unavailable (http 503): injected_fault: injected fault: status 503"
		p.State = ipc.StateRenewing
		if p.ID == projID(5) {
			p.State = ipc.StateExpired
		}
		f.status.Projects[i] = p
	}
	return f
}

func TestGoldenListFiltered(t *testing.T) {
	goldenFrame(t, newFakeAgent(6), 80, 16, "wall2-experiments",
		step{keyMsg("/"), "Filter:"}, step{keyMsg("dev"), "1/1 matching"}, step{keyMsg("enter"), "enter details"})
}

func TestGoldenDetailRevealed(t *testing.T) {
	goldenFrame(t, newFakeAgent(6), 80, 50, "wall2-experiments",
		step{keyMsg("enter"), "proj_exp"}, step{keyMsg("v"), "c2lnbmF0dXJl"})
}

func TestGoldenDetailUntracked(t *testing.T) {
	goldenFrame(t, newFakeAgent(6), 80, 20, "wall2-experiments", step{keyMsg("down"), "▌ ○ gpu-cluster"}, step{keyMsg("enter"), "not tracked"})
}

func TestGoldenLogin(t *testing.T) {
	goldenFrame(t, newFakeAgent(6), 100, 45, "wall2-experiments", step{keyMsg("l"), "Start a new login?"}, step{keyMsg("y"), "ABCD-EFGH"})
}

func TestGoldenLoginSmall(t *testing.T) {
	goldenFrame(t, newFakeAgent(6), 60, 15, "gpu-cluster", step{keyMsg("l"), "Start a new login?"})
}

func TestGoldenNoAgent(t *testing.T) {
	f := newFakeAgent(6)
	f.down = true
	goldenFrame(t, f, 80, 20, "No slices-agent is running")
}

// detailOf opens ilabt-dev (tracked, second row) and waits for its signature line.
var detailOf = []step{{keyMsg("enter"), "Signature"}}

func TestGoldenSignatureVerified(t *testing.T) {
	goldenFrame(t, newFakeAgent(6), 100, 16, "wall2-experiments", detailOf...)
}

func TestGoldenSignatureNotChecked(t *testing.T) {
	f := newFakeAgent(6)
	tok := f.tokens[projID(1)]
	tok.VerifiedAt = time.Time{}
	f.tokens[projID(1)] = tok
	goldenFrame(t, f, 100, 16, "wall2-experiments", detailOf...)
}

func TestGoldenSignatureInvalid(t *testing.T) {
	f := newFakeAgent(6)
	tok := f.tokens[projID(1)]
	tok.Token = makeJWT(map[string]any{"alg": "none", "typ": "JWT+slices.eu/proj"},
		map[string]any{"iss": issuer, "sub": projID(1), "iat": t0.Add(-18 * time.Minute).Unix(), "exp": tok.ExpiresAt.Unix()})
	f.tokens[projID(1)] = tok
	goldenFrame(t, f, 100, 16, "wall2-experiments", step{keyMsg("enter"), "Signature"})
}

// warnedAgent has ilabt-dev's renewals failing (an event waiting on the
// stream) and testbed-ops ending in three days (from the project list alone).
func warnedAgent() *fakeAgent {
	f := newFakeAgent(6)
	soon, lapse := t0.Add(76*time.Hour), t0.Add(8*time.Minute+12*time.Second)
	f.projects[4].ExpiresAt = &soon
	f.events <- ipc.Event{Type: ipc.EventExpiring, Cause: causeRenewalFailing, Project: projID(1), ExpiresAt: &lapse,
		Message: "renewing the project token of ilabt-dev fails (portal unavailable); it lapses at 03:12:17 unless the portal answers again"}
	return f
}

func TestGoldenWarningBanner(t *testing.T) {
	goldenFrame(t, warnedAgent(), 100, 16, "(+1 more, ! to list)")
}

func TestGoldenWarningBannerNarrow(t *testing.T) {
	goldenFrame(t, warnedAgent(), 60, 15, "(+1 more)")
}

func TestGoldenWarningList(t *testing.T) {
	goldenFrame(t, warnedAgent(), 80, 16, "(+1 more, ! to list)", step{keyMsg("!"), "Warnings"})
}
