package tui

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/slices-ri/slices-agent/ipc"
	"github.com/slices-ri/slices-agent/token"
)

// Causes the agent gives on expiring and login_required events.
const (
	causeRenewalFailing = "renewal_failing"
	causeProjectEnds    = "project_ends"
	causeLoginRequired  = "login_required"
	causeSessionEnds    = "session_ends"
)

// projectEndsWithin is how close a project's end must be to be warned about,
// as the agent does.
const projectEndsWithin = 7 * 24 * time.Hour

// sessionEndsWithin is how close the login's end must be to be warned about
// without an event from the agent (which may warn earlier for short logins).
const sessionEndsWithin = 24 * time.Hour

// warnKind is what will lapse; kinds are ordered from the most urgent.
type warnKind int

const (
	warnLoginRequired  warnKind = iota // nothing renews until the user logs in
	warnExpired                        // a token lapsed while renewals failed
	warnRenewalFailing                 // renewals fail, the token still works until at
	warnSessionEnds                    // the login itself ends at: a new one is needed
	warnProjectEnds                    // the project ends at
)

// warning is one thing that will lapse, from an agent event or worked out
// from the status and the project list.
type warning struct {
	kind    warnKind
	project string    // project id; "" for the user token or the login
	at      time.Time // when it lapses (or lapsed); zero when unknown
	detail  string    // the agent's message, shown in the list of warnings
}

// key identifies a warning, so that an event and the status do not show the
// same one twice and an event can clear it.
func (w warning) key() string { return fmt.Sprint(int(w.kind), "/", w.project) }

// noteEvent records or clears warnings for one agent event.
func (m *Model) noteEvent(ev ipc.Event) {
	if m.warns == nil {
		m.warns = map[string]warning{}
	}
	add := func(k warnKind, at *time.Time) {
		w := warning{kind: k, project: ev.Project, detail: ev.Message}
		if at != nil {
			w.at = *at
		}
		m.warns[w.key()] = w
	}
	drop := func(project string, kinds ...warnKind) {
		for _, k := range kinds {
			delete(m.warns, warning{kind: k, project: project}.key())
		}
	}
	switch ev.Type {
	case ipc.EventExpiring:
		switch ev.Cause {
		case causeProjectEnds:
			add(warnProjectEnds, ev.ExpiresAt)
		case causeLoginRequired:
			ev.Project = ""
			add(warnLoginRequired, nil)
		case causeSessionEnds:
			ev.Project = ""
			add(warnSessionEnds, ev.ExpiresAt)
		default: // renewal_failing, or an agent that gives no cause
			add(warnRenewalFailing, ev.ExpiresAt)
		}
	case ipc.EventExpired:
		drop(ev.Project, warnRenewalFailing)
		add(warnExpired, ev.ExpiresAt)
	case ipc.EventLoginRequired:
		ev.Project = ""
		add(warnLoginRequired, nil)
	case ipc.EventRenewed, ipc.EventUntracked:
		drop(ev.Project, warnRenewalFailing, warnExpired)
	case ipc.EventLogin:
		drop("", warnLoginRequired, warnRenewalFailing, warnExpired, warnSessionEnds)
	case ipc.EventLogout:
		clear(m.warns)
	}
}

// warnings lists what will lapse, the most urgent first: the warnings from
// events, and those the status and the project list show by themselves (so
// that they show after a restart of the TUI too).
func (m Model) warnings() []warning {
	if m.conn != connLive {
		return nil
	}
	seen := make(map[string]bool, len(m.warns))
	var out []warning
	put := func(w warning) {
		if k := w.key(); !seen[k] {
			seen[k] = true
			out = append(out, w)
		}
	}
	for _, w := range m.warns {
		put(w)
	}
	u := m.status.User
	if u.State == ipc.StateLoginRequired {
		put(warning{kind: warnLoginRequired, detail: u.LastError})
	}
	if u.LoggedIn && u.SessionEndsAt != nil && u.SessionEndsAt.Sub(m.now) <= sessionEndsWithin {
		put(warning{kind: warnSessionEnds, at: *u.SessionEndsAt})
	}
	if u.LoggedIn && u.ExpiresAt != nil {
		switch {
		case u.State == ipc.StateExpired:
			put(warning{kind: warnExpired, at: *u.ExpiresAt, detail: u.LastError})
		case u.State == ipc.StateRenewing && u.LastError != "":
			put(warning{kind: warnRenewalFailing, at: *u.ExpiresAt, detail: u.LastError})
		}
	}
	for _, r := range m.rows {
		if r.p.Tracked {
			switch {
			case r.state == ipc.StateExpired:
				put(warning{kind: warnExpired, project: r.p.ID, at: r.expiresAt(), detail: r.lastErr})
			case r.state == ipc.StateRenewing && r.lastErr != "":
				put(warning{kind: warnRenewalFailing, project: r.p.ID, at: r.expiresAt(), detail: r.lastErr})
			}
		}
		if end := r.projectEnds(); !end.IsZero() && end.Sub(m.now) <= projectEndsWithin {
			put(warning{kind: warnProjectEnds, project: r.p.ID, at: end})
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.kind != b.kind {
			return a.kind < b.kind
		}
		if !a.at.Equal(b.at) {
			return a.at.Before(b.at)
		}
		return a.project < b.project
	})
	return out
}

// whose names the token a warning is about, briefly.
func (m Model) whose(id string) string {
	if id == "" {
		return "user token"
	}
	return m.projectName(id)
}

// projectName is the name of project id, or the id when it is not listed.
func (m Model) projectName(id string) string {
	if r := m.byID[id]; r != nil && r.p.Name != "" {
		return r.p.Name
	}
	return id
}

// warningText is a warning in one line of words, its times seen at now,
// and the clock time it lapses at, which a narrow banner leaves out.
func (m Model) warningText(w warning) (text, clock string) {
	switch w.kind {
	case warnLoginRequired:
		return "login required: tokens are not renewed until you log in (press l)", ""
	case warnExpired:
		s := m.whose(w.project) + ": lapsed"
		if !w.at.IsZero() {
			s += " " + token.When(w.at, m.now)
		}
		return s + ", renewals keep failing", ""
	case warnRenewalFailing:
		s := m.whose(w.project) + ": renewals fail"
		switch {
		case w.at.IsZero():
			return s, ""
		case !w.at.After(m.now):
			return s + ", lapsed " + token.When(w.at, m.now), ""
		}
		return s + ", lapses in " + token.HumanDuration(w.at.Sub(m.now)), "(" + w.at.Local().Format("15:04:05") + ")"
	case warnSessionEnds:
		if !w.at.After(m.now) {
			return "your login has ended: log in again (press l)", ""
		}
		return "your login ends in " + token.HumanDuration(w.at.Sub(m.now)) + ": log in again before then (press l)", "(" + w.at.Local().Format("2006-01-02 15:04") + ")"
	}
	name := m.projectName(w.project)
	if !w.at.After(m.now) {
		return "project " + name + " has ended: its tokens stop", ""
	}
	return "project " + name + " ends in " + token.HumanDuration(w.at.Sub(m.now)), "(" + w.at.Local().Format("2006-01-02 15:04") + ")"
}

// warningLine is a warning with its clock time if it fits in width cells.
func (m Model) warningLine(w warning, width int) string {
	text, clock := m.warningText(w)
	text = "⚠ " + text
	if clock != "" && ansi.StringWidth(text)+1+ansi.StringWidth(clock) <= width {
		text += " " + clock
	}
	return ansi.Truncate(text, width, "…")
}

// warningBanner is the line under the header: the most urgent warning and
// how many more there are, truncated to the width; "" when all is well.
func (m Model) warningBanner() string {
	ws := m.warnings()
	if len(ws) == 0 {
		return ""
	}
	suffix := ""
	if len(ws) > 1 {
		suffix = fmt.Sprintf(" (+%d more, ! to list)", len(ws)-1)
		if m.width < 80 {
			suffix = fmt.Sprintf(" (+%d more)", len(ws)-1)
		}
	}
	room := m.width - ansi.StringWidth(suffix)
	if room < 12 {
		return m.styles.Warning.Render(ansi.Truncate(m.warningLine(ws[0], 1<<16)+suffix, m.width, "…"))
	}
	return m.styles.Warning.Render(m.warningLine(ws[0], room) + suffix)
}

// warningsView is the body listing every warning with the agent's words.
func (m Model) warningsView() string {
	ws, w, st := m.warnings(), max(m.width, 20), m.styles
	var b strings.Builder
	b.WriteString(st.Title.Render("Warnings") + "\n\n")
	if len(ws) == 0 {
		b.WriteString(st.Muted.Render("nothing will lapse: no warnings") + "\n")
	}
	for _, wn := range ws {
		b.WriteString(st.Warning.Render(m.warningLine(wn, w)) + "\n")
		if wn.detail != "" {
			wrapped := ansi.Wordwrap("agent: "+wn.detail, max(w-2, 10), " ")
			b.WriteString(st.Muted.Render("  "+strings.ReplaceAll(wrapped, "\n", "\n  ")) + "\n")
		}
	}
	b.WriteString("\n" + st.Muted.Render("esc to go back"))
	return b.String()
}
