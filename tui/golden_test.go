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

func TestGoldenList(t *testing.T) {
	goldenFrame(t, newFakeAgent(6), 100, 20, "wall2-experiments")
}

func TestGoldenListNarrow(t *testing.T) {
	goldenFrame(t, newFakeAgent(6), 60, 15, "gpu-cluster")
}

func TestGoldenListFiltered(t *testing.T) {
	goldenFrame(t, newFakeAgent(6), 80, 16, "wall2-experiments",
		step{keyMsg("/"), "Filter:"}, step{keyMsg("dev"), "5 filtered"}, step{keyMsg("enter"), "“dev”"})
}

func TestGoldenDetail(t *testing.T) {
	goldenFrame(t, newFakeAgent(6), 100, 45, "wall2-experiments",
		step{keyMsg("down"), "▌ ● ilabt-dev"}, step{keyMsg("enter"), "proj_exp"})
}

func TestGoldenDetailRevealed(t *testing.T) {
	goldenFrame(t, newFakeAgent(6), 80, 50, "wall2-experiments",
		step{keyMsg("down"), "▌ ● ilabt-dev"}, step{keyMsg("enter"), "proj_exp"}, step{keyMsg("v"), "c2lnbmF0dXJl"})
}

func TestGoldenDetailUntracked(t *testing.T) {
	goldenFrame(t, newFakeAgent(6), 80, 20, "wall2-experiments", step{keyMsg("enter"), "not tracked"})
}

func TestGoldenLogin(t *testing.T) {
	goldenFrame(t, newFakeAgent(6), 100, 45, "wall2-experiments", step{keyMsg("l"), "ABCD-EFGH"})
}

func TestGoldenLoginSmall(t *testing.T) {
	goldenFrame(t, newFakeAgent(6), 60, 15, "gpu-cluster", step{keyMsg("l"), "ABCD-EFGH"})
}

func TestGoldenNoAgent(t *testing.T) {
	f := newFakeAgent(6)
	f.down = true
	goldenFrame(t, f, 80, 20, "No slices-agent is running")
}

// detailOf opens ilabt-dev (tracked, second row) and waits for its signature line.
var detailOf = []step{{keyMsg("down"), "▌ ● ilabt-dev"}, {keyMsg("enter"), "Signature"}}

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
	goldenFrame(t, f, 100, 16, "wall2-experiments", step{keyMsg("down"), "▌ ✗ ilabt-dev"}, step{keyMsg("enter"), "Signature"})
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
