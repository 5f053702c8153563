package tui

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/slices-ri/slices-agent/ipc"
	"github.com/slices-ri/slices-agent/token/lifetime"
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
	warnPortalDown                     // renewals of several tokens fail: the portal does not answer
	warnExpired                        // a token lapsed while renewals failed
	warnRenewalFailing                 // renewals fail, the token still works until at
	warnSessionEnds                    // the login itself ends at: a new one is needed
	warnProjectEnds                    // the project ends at
)

// warning is one thing that will lapse, from an agent event or worked out
// from the status and the project list.
type warning struct {
	kind     warnKind
	project  string    // project id; "" for the user token or the login
	at       time.Time // when it lapses (or lapsed); zero when unknown
	detail   string    // the cause in words, escaped
	affected []string  // warnPortalDown: the tokens affected, by name
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
		w := warning{kind: k, project: ev.Project, detail: humanize(ev.Message)}
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
// that they show after a restart of the TUI too). Renewals failing because
// the portal does not answer are one warning, however many tokens they hit.
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
		put(warning{kind: warnLoginRequired, detail: humanize(u.LastError)})
	}
	if u.LoggedIn && u.SessionEndsAt != nil && u.SessionEndsAt.Sub(m.c.now) <= sessionEndsWithin {
		put(warning{kind: warnSessionEnds, at: *u.SessionEndsAt})
	}
	if u.LoggedIn && u.ExpiresAt != nil && !m.status.Locked {
		switch {
		case u.State == ipc.StateExpired:
			put(warning{kind: warnExpired, at: *u.ExpiresAt, detail: humanize(u.LastError)})
		case u.State == ipc.StateRenewing && u.LastError != "":
			put(warning{kind: warnRenewalFailing, at: *u.ExpiresAt, detail: humanize(u.LastError)})
		}
	}
	for _, r := range m.rows {
		if r.p.Tracked && !m.status.Locked {
			switch {
			case r.state == ipc.StateExpired:
				put(warning{kind: warnExpired, project: r.p.ID, at: r.expiresAt(), detail: r.lastErr})
			case r.state == ipc.StateRenewing && r.lastErr != "":
				put(warning{kind: warnRenewalFailing, project: r.p.ID, at: r.expiresAt(), detail: r.lastErr})
			}
		}
		if end := r.projectEnds(); !end.IsZero() && end.Sub(m.c.now) <= projectEndsWithin {
			put(warning{kind: warnProjectEnds, project: r.p.ID, at: end})
		}
	}
	out = m.groupPortalDown(out)
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

// groupPortalDown folds the renewal warnings whose cause is the portal not
// answering into one warning naming how many tokens it hits, when it hits
// more than one.
func (m Model) groupPortalDown(ws []warning) []warning {
	var down warning
	down.kind = warnPortalDown
	keep := ws[:0:0]
	hit := map[string]bool{} // a token can be both failing (event) and expired (status)
	for _, w := range ws {
		if (w.kind == warnExpired || w.kind == warnRenewalFailing) && isPortalDown(strings.ToLower(w.detail)) {
			if !hit[w.project] {
				hit[w.project] = true
				down.affected = append(down.affected, m.whose(w.project))
			}
			if down.at.IsZero() || (!w.at.IsZero() && w.at.Before(down.at)) {
				down.at = w.at
			}
			continue
		}
		keep = append(keep, w)
	}
	if len(down.affected) < 2 {
		return ws // one token: its own warning says more
	}
	sort.Strings(down.affected)
	return append(keep, down)
}

// whose names the token a warning is about, briefly.
func (m Model) whose(id string) string {
	if id == "" {
		return "user token"
	}
	return m.projectName(id)
}

// projectName is the name of project id (escaped), or the id when it is not listed.
func (m Model) projectName(id string) string {
	if r := m.byID[id]; r != nil && r.name != "" {
		return r.name
	}
	return safe(id)
}

// warningText is a warning in one line of words, its times seen at now,
// and the clock time it lapses at, which a narrow banner leaves out.
func (m Model) warningText(w warning) (text, clock string) {
	now := m.c.now
	switch w.kind {
	case warnLoginRequired:
		return "login required: tokens are not renewed until you log in (press l)", ""
	case warnPortalDown:
		n, user := len(w.affected), false
		for _, a := range w.affected {
			if a == "user token" {
				n, user = n-1, true
			}
		}
		what := fmt.Sprintf("%d projects", n)
		switch {
		case n == 1:
			what = "1 project"
		case n == 0:
			what = "the user token"
		}
		if user && n > 0 {
			what += " and the user token"
		}
		return "portal unreachable: " + what + " affected", ""
	case warnExpired:
		s := m.whose(w.project) + ": lapsed"
		if !w.at.IsZero() {
			s += " " + lifetime.When(w.at, now)
		}
		return s + ", renewals keep failing", ""
	case warnRenewalFailing:
		s := m.whose(w.project) + ": renewals fail"
		switch {
		case w.at.IsZero():
			return s, ""
		case !w.at.After(now):
			return s + ", lapsed " + lifetime.When(w.at, now), ""
		}
		return s + ", lapses in " + lifetime.HumanDuration(w.at.Sub(now)), "(" + m.c.clock(w.at, "15:04:05") + ")"
	case warnSessionEnds:
		if !w.at.After(now) {
			return "your login has ended: log in again (press l)", ""
		}
		return "your login ends in " + lifetime.HumanDuration(w.at.Sub(now)) + ": log in again before then (press l)", "(" + m.c.clock(w.at, "2006-01-02 15:04") + ")"
	}
	name := m.projectName(w.project)
	if !w.at.After(now) {
		return "project " + name + " has ended: its tokens stop", ""
	}
	return "project " + name + " ends in " + lifetime.HumanDuration(w.at.Sub(now)), "(" + m.c.clock(w.at, "2006-01-02 15:04") + ")"
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
		return m.c.styles.Warning.Render(ansi.Truncate(m.warningLine(ws[0], 1<<16)+suffix, m.width, "…"))
	}
	return m.c.styles.Warning.Render(m.warningLine(ws[0], room) + suffix)
}

// warningsBody is the text of the warnings screen: every warning with its
// cause, wrapped at width.
func (m Model) warningsBody(width int) string {
	ws, w, st := m.warnings(), max(width, 20), m.c.styles
	var b strings.Builder
	b.WriteString(st.Title.Render("Warnings") + "\n\n")
	if len(ws) == 0 {
		b.WriteString(st.Muted.Render("nothing will lapse: no warnings") + "\n")
	}
	for _, wn := range ws {
		text, clock := m.warningText(wn)
		if clock != "" {
			text += " " + clock
		}
		b.WriteString(st.Warning.Render(indent(wrap("⚠ "+text, w), "  ")) + "\n")
		var more []string
		if len(wn.affected) > 0 {
			more = append(more, "affected: "+strings.Join(wn.affected, ", "))
		}
		if wn.detail != "" && (wn.kind != warnPortalDown) {
			more = append(more, "cause: "+wn.detail)
		}
		if wn.kind == warnPortalDown {
			more = append(more, "the agent keeps retrying; tokens still valid keep working until they lapse")
		}
		for _, s := range more {
			b.WriteString(st.Muted.Render("  "+indent(wrap(s, w-2), "  ")) + "\n")
		}
	}
	return b.String()
}
