package tui

import (
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/slices-ri/slices-agent/ipc"
)

// event feeds one agent event to m as the event stream would.
func event(m Model, ev ipc.Event) Model {
	next, cmd := m.Update(eventMsg{ev: ev, ch: m.events})
	return run(next.(Model), cmd)
}

// bannerLine is the warning banner as shown, or "" when there is none.
func bannerLine(m Model) string {
	for _, l := range strings.Split(m.View(), "\n") {
		if strings.HasPrefix(l, "⚠") {
			return l
		}
	}
	return ""
}

func TestWarningsComeAndGoWithEvents(t *testing.T) {
	f := newFakeAgent(6)
	m, _ := newTestModel(t, f, 100, 24)
	if b := bannerLine(m); b != "" {
		t.Fatalf("banner with nothing to warn about: %q", b)
	}
	lapse := t0.Add(8*time.Minute + 12*time.Second)
	m = event(m, ipc.Event{Type: ipc.EventExpiring, Cause: causeRenewalFailing, Project: projID(1), ExpiresAt: &lapse,
		Message: "renewing the project token of ilabt-dev fails (portal: 502)"})
	want := "⚠ ilabt-dev: renewals fail, lapses in 8m 12s (03:12:17)"
	if b := bannerLine(m); strings.TrimSpace(b) != want {
		t.Errorf("banner %q, want %q", b, want)
	}

	// A login being required outranks it.
	m = event(m, ipc.Event{Type: ipc.EventLoginRequired, Cause: causeLoginRequired, Message: "the portal refused the stored login"})
	if b := bannerLine(m); !strings.HasPrefix(b, "⚠ login required") || !strings.Contains(b, "(+1 more, ! to list)") {
		t.Errorf("banner %q, want the login first and one more", b)
	}
	if v := press(m, "!").View(); !strings.Contains(v, "cause: renewing the project token of ilabt-dev fails (portal: 502)") ||
		!strings.Contains(v, "cause: the portal refused the stored login") {
		t.Errorf("! does not list both warnings with the agent's words:\n%s", v)
	}

	// Each clears when its cause does.
	m = event(m, ipc.Event{Type: ipc.EventLogin})
	if b := bannerLine(m); strings.TrimSpace(b) != want {
		t.Errorf("after login: banner %q, want %q", b, want)
	}
	m = event(m, ipc.Event{Type: ipc.EventRenewed, Project: projID(1)})
	if b := bannerLine(m); b != "" {
		t.Errorf("after renewed: banner %q", b)
	}
}

func TestRenewedClearsOnlyItsOwnToken(t *testing.T) {
	m, _ := newTestModel(t, newFakeAgent(6), 100, 24)
	lapse := t0.Add(5 * time.Minute)
	m = event(m, ipc.Event{Type: ipc.EventExpiring, Cause: causeRenewalFailing, ExpiresAt: &lapse})
	m = event(m, ipc.Event{Type: ipc.EventRenewed, Project: projID(1)})
	if b := bannerLine(m); !strings.Contains(b, "user token: renewals fail, lapses in 5m") {
		t.Errorf("banner %q, want the user token's warning kept", b)
	}
	lapsed := t0.Add(-2 * time.Minute)
	m = event(m, ipc.Event{Type: ipc.EventExpired, ExpiresAt: &lapsed})
	if b := bannerLine(m); !strings.Contains(b, "user token: lapsed 2m ago, renewals keep failing") || strings.Contains(b, "more") {
		t.Errorf("after expired: banner %q", b)
	}
	m = event(m, ipc.Event{Type: ipc.EventRenewed})
	if b := bannerLine(m); b != "" {
		t.Errorf("after the user token renewed: banner %q", b)
	}
}

func TestProjectEndWarnsFromTheListAlone(t *testing.T) {
	f := newFakeAgent(6)
	soon, later := t0.Add(3*24*time.Hour+4*time.Hour), t0.Add(8*24*time.Hour)
	f.projects[3].ExpiresAt = &later // summer-school: beyond a week
	f.projects[4].ExpiresAt = &soon  // testbed-ops
	m, _ := newTestModel(t, f, 100, 24)
	ws := m.warnings()
	if len(ws) != 1 || ws[0].kind != warnProjectEnds || ws[0].project != projID(4) {
		t.Fatalf("warnings %+v, want testbed-ops ending", ws)
	}
	if b := bannerLine(m); strings.TrimSpace(b) != "⚠ project testbed-ops ends in 3d 4h (2030-01-05 07:04)" {
		t.Errorf("banner %q", b)
	}
	// The event for the same project does not make a second warning.
	m = event(m, ipc.Event{Type: ipc.EventExpiring, Cause: causeProjectEnds, Project: projID(4), ExpiresAt: &soon})
	if n := len(m.warnings()); n != 1 {
		t.Errorf("%d warnings after the event, want 1", n)
	}
}

func TestWarningsFromTheStatus(t *testing.T) {
	f := newFakeAgent(6)
	f.status.Projects[0].State, f.status.Projects[0].LastError = ipc.StateRenewing, "portal unavailable"
	f.status.User.State = ipc.StateLoginRequired
	m, _ := newTestModel(t, f, 100, 24)
	ws := m.warnings()
	if len(ws) != 2 || ws[0].kind != warnLoginRequired || ws[1].kind != warnRenewalFailing || ws[1].project != projID(1) {
		t.Fatalf("warnings %+v", ws)
	}
	if b := bannerLine(m); !strings.Contains(b, "login required") || !strings.Contains(b, "(+1 more") {
		t.Errorf("banner %q", b)
	}
}

func TestBannerFitsNarrowTerminals(t *testing.T) {
	f := newFakeAgent(6)
	f.projects[0].Name = "gpu-cluster-of-the-summer-school-experiments"
	m, _ := newTestModel(t, f, 60, 15)
	lapse := t0.Add(8 * time.Minute)
	for i := range 3 {
		m = event(m, ipc.Event{Type: ipc.EventExpiring, Cause: causeRenewalFailing, Project: projID(i), ExpiresAt: &lapse})
	}
	b := bannerLine(m)
	if w := ansi.StringWidth(b); w > 60 || !strings.HasSuffix(strings.TrimRight(b, " "), "… (+2 more)") {
		t.Errorf("banner %q (%d wide), want truncated with the count kept", b, w)
	}
	lines := strings.Split(m.View(), "\n")
	if len(lines) != 15 || !strings.Contains(m.View(), "wall2-experiments") {
		t.Errorf("frame of %d lines with the banner:\n%s", len(lines), m.View())
	}
}

func TestSessionEndingWarning(t *testing.T) {
	m, _ := newTestModel(t, newFakeAgent(6), 100, 24)
	end := t0.Add(20 * time.Minute)
	m = event(m, ipc.Event{Type: ipc.EventExpiring, Cause: causeSessionEnds, ExpiresAt: &end, Message: "your Slices login ends in 20m"})
	if b := bannerLine(m); !strings.Contains(b, "your login ends in 20m") || !strings.Contains(b, "press l") {
		t.Errorf("banner after a session_ends event: %q", b)
	}
	m = event(m, ipc.Event{Type: ipc.EventLogin})
	if b := bannerLine(m); b != "" {
		t.Errorf("a new login left the banner %q", b)
	}
}

func TestOnePortalOutageIsOneWarning(t *testing.T) {
	f := portalDownAgent()
	m, _ := newTestModel(t, f, 100, 30)
	// The agent also said, by event, that two of them fail: still counted once.
	lapse := t0.Add(time.Minute)
	for _, id := range []string{projID(0), projID(5)} {
		m = event(m, ipc.Event{Type: ipc.EventExpiring, Cause: causeRenewalFailing, Project: id, ExpiresAt: &lapse,
			Message: "renewing the project token fails (portal unavailable); it lapses at 03:05:05 unless the portal answers again"})
	}
	ws := m.warnings()
	var down []warning
	for _, w := range ws {
		if w.kind == warnPortalDown {
			down = append(down, w)
		}
		if w.kind == warnRenewalFailing || w.kind == warnExpired {
			t.Errorf("a renewal warning beside the outage: %+v", w)
		}
	}
	if len(down) != 1 || len(down[0].affected) != 3 {
		t.Fatalf("outage warnings %+v, want one with 3 projects", down)
	}
	if b := bannerLine(m); !strings.HasPrefix(b, "⚠ portal unreachable: 3 projects affected") {
		t.Errorf("banner %q", b)
	}
}
