package tui

import (
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/slices-ri/slices-agent/ipc"
)

// loaded handles the result of a full load.
func (m Model) loaded(msg loadedMsg) (Model, tea.Cmd) {
	m.loading = false
	if msg.err != nil {
		m.lastErr = describeErr(msg.err)
		if m.conn == connStarting {
			m.conn = connNone
		}
		if m.conn == connLive {
			// A reload failed while the stream is up: say so, keep the data.
			m.say(nil, "reload failed: "+m.lastErr, true)
			return m, nil
		}
		if m.flash.until.IsZero() && m.flash.text != "" {
			m.say(nil, "the agent still does not answer: "+m.lastErr, true)
		}
		return m, retryCmd(m.opts.Retry)
	}
	was := m.conn
	if was != connLive {
		// Events were missed meanwhile: keep only what the status shows.
		clear(m.warns)
	}
	m.apply(msg)
	m.lastErr = ""
	m.conn = connLive
	if m.flash.until.IsZero() && m.flash.text != "" && m.flash.project == "" {
		m.say(nil, "reloaded", false) // ends "reloading…"
	}
	if was == connLive {
		return m, nil
	}
	if was == connLost {
		m.say(nil, "reconnected to the agent", false)
	}
	return m, subscribeCmd(m.eventsCtx, m.opts.Agent)
}

// lost marks the agent as gone and starts reconnecting.
func (m Model) lost(err error) (Model, tea.Cmd) {
	m.events = nil
	m.lastErr = describeErr(err)
	if m.conn == connLive {
		m.conn = connLost
	}
	if m.loading {
		return m, nil
	}
	return m, retryCmd(m.opts.Retry)
}

// apply merges a full load into the model. When the agent could not list
// the projects (locked, portal down, logged out) the rows it showed before
// stay, with what the status says of them.
func (m *Model) apply(msg loadedMsg) {
	m.status = msg.status
	m.user.setProject(ipc.Project{ID: msg.status.User.Subject, Name: msg.status.User.Name})
	m.user.tok = nil
	if msg.user != nil {
		m.user.tok = newTokenInfo(*msg.user, "")
	}
	m.projErr = ""
	if msg.projErr != nil && !ipc.HasCode(msg.projErr, ipc.CodeLoginRequired) && !ipc.HasCode(msg.projErr, ipc.CodeLocked) {
		// (a login required and a lock have their own lines)
		m.projErr = describeErr(msg.projErr)
	}
	old := m.byID
	projects := msg.projects
	if msg.projErr != nil {
		listed := make(map[string]bool, len(projects))
		for _, p := range projects {
			listed[p.ID] = true
		}
		for _, r := range m.rows {
			if !listed[r.p.ID] {
				p := r.p
				p.Tracked, p.TokenExpiresAt, p.State = false, nil, ipc.StateUntracked
				projects = append(projects, p)
			}
		}
	}
	m.byID = make(map[string]*row, len(projects))
	m.rows = m.rows[:0:0]
	for _, p := range projects {
		r := old[p.ID]
		if r == nil {
			r = &row{}
		}
		if msg.projErr != nil && r.p.ID == p.ID {
			// The status knows less of a project than the list did.
			keep := r.p
			keep.Tracked, keep.TokenExpiresAt, keep.State = p.Tracked, p.TokenExpiresAt, p.State
			if p.Name != "" {
				keep.Name = p.Name
			}
			p = keep
		}
		r.setProject(p)
		r.state, r.lastErr = p.State, ""
		if !p.Tracked {
			r.tok = nil
		}
		if t, ok := msg.tokens[p.ID]; ok {
			r.tok = newTokenInfo(t, p.ID)
		}
		m.rows = append(m.rows, r)
		m.byID[p.ID] = r
	}
	m.applyStatus(msg.status)
	m.list.SetRows(m.rows)
	if m.detail.row != nil && !m.detail.row.user {
		if r := m.byID[m.detail.row.p.ID]; r != nil {
			m.detail.row = r
		}
	}
}

// applyStatus merges a status into the rows and returns the ids whose token
// changed and should be fetched again.
func (m *Model) applyStatus(st ipc.Status) []string {
	m.status = st
	if st.Locked {
		m.forgetTokens()
	}
	if !st.User.LoggedIn {
		m.user.tok = nil
	}
	m.user.iat = time.Time{}
	if st.User.IssuedAt != nil {
		m.user.iat = *st.User.IssuedAt
	}
	var refetch []string
	tracked := make(map[string]ipc.ProjectStatus, len(st.Projects))
	for _, p := range st.Projects {
		tracked[p.ID] = p
	}
	for _, r := range m.rows {
		ps, ok := tracked[r.p.ID]
		if !ok {
			r.p.Tracked, r.p.TokenExpiresAt, r.tok, r.state, r.lastErr = false, nil, nil, ipc.StateUntracked, ""
			continue
		}
		r.p.Tracked, r.state, r.lastErr = true, ps.State, humanize(ps.LastError)
		if ps.Role != "" {
			r.p.Role, r.role = ps.Role, safe(ps.Role)
		}
		r.p.TokenExpiresAt = ps.ExpiresAt
		r.iat = time.Time{}
		if ps.IssuedAt != nil {
			r.iat = *ps.IssuedAt
		}
		if ps.ExpiresAt != nil && !st.Locked && (r.tok == nil || !r.tok.exp.Equal(*ps.ExpiresAt)) {
			refetch = append(refetch, r.p.ID)
		}
	}
	return refetch
}

// forgetTokens drops every token held for display, and hides a revealed
// one: after lock or logout nothing secret stays on the screen.
func (m *Model) forgetTokens() {
	for _, r := range m.rows {
		r.tok = nil
	}
	m.user.tok = nil
	m.detail.Hide()
}

// applyToken stores a fetched token in its row or as the user token.
func (m *Model) applyToken(id string, t ipc.Token, err error) {
	if m.status.Locked {
		return // an answer that crossed the lock
	}
	if id == "" {
		if err == nil {
			m.user.tok = newTokenInfo(t, "")
		}
		return
	}
	r := m.byID[id]
	if r == nil {
		return
	}
	if err != nil {
		r.lastErr = describeErr(err)
		return
	}
	r.tok = newTokenInfo(t, id)
	r.p.Tracked = true
	exp := r.tok.exp
	r.p.TokenExpiresAt = &exp
	if r.state == "" || r.state == ipc.StateUntracked || r.state == ipc.StatePending {
		r.state = ipc.StateValid
	}
}

// handleEvent updates the model for one agent event and returns what to fetch.
func (m *Model) handleEvent(ev ipc.Event) tea.Cmd {
	a := m.opts.Agent
	m.noteEvent(ev)
	switch ev.Type {
	case ipc.EventRenewed:
		if r := m.byID[ev.Project]; r != nil {
			r.renewed = m.c.now
		}
		return tea.Batch(tokenCmd(a, ev.Project), statusCmd(a))
	case ipc.EventLogin:
		if m.focus == focusLogin {
			m.focus = focusList
			m.login.state = ipc.LoginDone
		}
		m.say(nil, "logged in", false)
		return m.reload()
	case ipc.EventLocked:
		m.status.Locked = true
		m.forgetTokens()
		m.say(nil, "the agent was locked: tokens are hidden until 'slices-agent unlock'", true)
		return m.reload()
	case ipc.EventLogout:
		m.forgetTokens()
		m.status.User.LoggedIn = false
		m.say(nil, "logged out: the agent forgot every token (press l to log in)", true)
		return m.reload()
	case ipc.EventUnlocked:
		m.say(nil, "the agent was unlocked", false)
		return m.reload()
	case ipc.EventLoginRequired:
		m.say(nil, "login required: press l to log in", true)
		return m.reload()
	case ipc.EventError:
		m.say(m.byID[ev.Project], "agent: "+humanize(ev.Message), true)
		return statusCmd(a)
	case ipc.EventTracked:
		return tea.Batch(tokenCmd(a, ev.Project), statusCmd(a))
	}
	return statusCmd(a)
}

// reload starts a full load unless one is in flight, whose end does as well.
func (m *Model) reload() tea.Cmd {
	if m.loading {
		return nil
	}
	m.loading = true
	return loadCmd(m.opts.Agent)
}

// actionDone reports a finished track, untrack or refresh.
func (m Model) actionDone(msg actionMsg) (Model, tea.Cmd) {
	r := m.byID[msg.id]
	what := msg.name
	if what == "" {
		what = "the user token"
	}
	if msg.err != nil {
		m.say(r, "cannot "+msg.verb+" "+what+": "+describeErr(msg.err), true)
		return m, nil
	}
	past := map[string]string{"track": "tracking", "untrack": "stopped tracking", "refresh": "renewed"}[msg.verb]
	m.say(r, past+" "+what, false)
	cmds := []tea.Cmd{statusCmd(m.opts.Agent)}
	if msg.verb != "untrack" {
		cmds = append(cmds, tokenCmd(m.opts.Agent, msg.id))
	}
	return m, tea.Batch(cmds...)
}
