package tui

import (
	"errors"
	"fmt"
	"time"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/list"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/slices-ri/slices-agent/ipc"
)

// update is Update without the final sync.
func (m Model) update(msg tea.Msg) (Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.layout()
		return m, nil
	case tickMsg:
		m.now = m.opts.Now()
		return m, tickCmd(time.Time(msg))
	case tea.KeyMsg:
		return m.handleKey(msg)
	case tea.MouseMsg:
		return m.handleMouse(msg)
	case loadedMsg:
		return m.loaded(msg)
	case retryMsg:
		if m.loading || m.conn == connLive {
			return m, nil
		}
		m.loading = true
		return m, loadCmd(m.opts.Agent)
	case subscribedMsg:
		if msg.err != nil {
			return m.lost(msg.err)
		}
		m.events = msg.ch
		return m, waitEvent(msg.ch)
	case eventMsg:
		if msg.ch != m.events {
			return m, nil
		}
		cmd := m.handleEvent(msg.ev)
		return m, tea.Batch(cmd, waitEvent(msg.ch))
	case eventsClosedMsg:
		return m.lost(errors.New("the agent went away"))
	case statusMsg:
		if msg.err != nil {
			return m, nil
		}
		var cmds []tea.Cmd
		for _, id := range m.applyStatus(msg.status) {
			cmds = append(cmds, tokenCmd(m.opts.Agent, id))
		}
		return m, tea.Batch(cmds...)
	case tokenMsg:
		m.applyToken(msg.id, msg.tok, msg.err)
		return m, nil
	case copiedMsg:
		return m.copied(msg)
	case clipDueMsg:
		return m.clipDue(msg)
	case clipClearedMsg:
		m.clipCleared(msg)
		return m, nil
	case actionMsg:
		return m.actionDone(msg)
	case loginStartedMsg:
		m.login = m.login.Update(msg)
		if msg.err != nil {
			return m, nil
		}
		return m, pollLoginCmd(m.opts.Agent)
	case loginStateMsg:
		m.login = m.login.Update(msg)
		if m.screen == screenLogin && m.login.state == ipc.LoginPending {
			return m, pollLoginCmd(m.opts.Agent)
		}
		if m.login.state == ipc.LoginDone && !m.loading {
			m.loading = true
			return m, loadCmd(m.opts.Agent)
		}
		return m, nil
	}
	if m.screen == screenDetail {
		var cmd tea.Cmd
		m.detail, cmd = m.detail.Update(msg)
		return m, cmd
	}
	var cmd tea.Cmd
	m.list, cmd = m.list.Update(msg)
	return m, cmd
}

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
			m.setMessage("reload failed: "+m.lastErr, true)
			return m, nil
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
	m.layout()
	if was == connLive {
		return m, nil
	}
	if was == connLost {
		m.setMessage("reconnected to the agent", false)
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
	m.layout()
	if m.loading {
		return m, nil
	}
	return m, retryCmd(m.opts.Retry)
}

// applyToken stores a fetched token in its row or as the user token.
func (m *Model) applyToken(id string, t ipc.Token, err error) {
	if id == "" {
		if err == nil {
			m.user = newTokenInfo(t, "")
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
		return tea.Batch(tokenCmd(a, ev.Project), statusCmd(a))
	case ipc.EventLogin:
		if m.screen == screenLogin {
			m.screen = screenList
			m.login.state = ipc.LoginDone
		}
		m.setMessage("logged in", false)
		return m.reload()
	case ipc.EventLogout, ipc.EventLoginRequired, ipc.EventLocked, ipc.EventUnlocked:
		m.setMessage("agent: "+eventText(ev), ev.Type != ipc.EventUnlocked)
		return m.reload()
	case ipc.EventError:
		m.setMessage("agent: "+eventText(ev), true)
		return statusCmd(a)
	case ipc.EventTracked:
		return tea.Batch(tokenCmd(a, ev.Project), statusCmd(a))
	}
	return statusCmd(a)
}

// eventText describes an event in a few words.
func eventText(ev ipc.Event) string {
	s := ev.Type
	if s == ipc.EventLoginRequired {
		s = "login required (press l)"
	}
	if ev.Message != "" {
		s += ": " + ev.Message
	}
	return s
}

// reload starts a full load unless one is in flight.
func (m *Model) reload() tea.Cmd {
	if m.loading {
		return nil
	}
	m.loading = true
	return loadCmd(m.opts.Agent)
}

// actionDone reports a finished track, untrack or refresh.
func (m Model) actionDone(msg actionMsg) (Model, tea.Cmd) {
	what := msg.name
	if what == "" {
		what = "the user token"
	}
	if msg.err != nil {
		m.setMessage(fmt.Sprintf("cannot %s %s: %s", msg.verb, what, describeErr(msg.err)), true)
		return m, nil
	}
	past := map[string]string{"track": "tracking", "untrack": "stopped tracking", "refresh": "renewed"}[msg.verb]
	m.setMessage(past+" "+what, false)
	cmds := []tea.Cmd{statusCmd(m.opts.Agent)}
	if msg.verb != "untrack" {
		cmds = append(cmds, tokenCmd(m.opts.Agent, msg.id))
	}
	return m, tea.Batch(cmds...)
}

// handleMouse scrolls the list or the detail pane with the wheel.
func (m Model) handleMouse(msg tea.MouseMsg) (Model, tea.Cmd) {
	if m.screen == screenDetail {
		var cmd tea.Cmd
		m.detail, cmd = m.detail.Update(msg)
		return m, cmd
	}
	if m.screen == screenList && msg.Action == tea.MouseActionPress {
		switch msg.Button {
		case tea.MouseButtonWheelUp:
			m.list.CursorUp()
		case tea.MouseButtonWheelDown:
			m.list.CursorDown()
		}
	}
	return m, nil
}

// handleKey dispatches a key press.
func (m Model) handleKey(msg tea.KeyMsg) (Model, tea.Cmd) {
	k := m.keys
	if msg.String() == "ctrl+c" {
		m.cancelOnEnd()
		return m, tea.Quit
	}
	// While typing a filter, keys belong to the filter input.
	if m.screen == screenList && m.list.FilterState() == list.Filtering {
		var cmd tea.Cmd
		m.list, cmd = m.list.Update(msg)
		return m, cmd
	}
	// Keys typed faster than the terminal is read arrive together ("?d"):
	// outside a text input each one is a command of its own.
	if msg.Type == tea.KeyRunes && len(msg.Runes) > 1 && !msg.Paste {
		var cmds []tea.Cmd
		for _, r := range msg.Runes {
			var cmd tea.Cmd
			m, cmd = m.handleKey(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}})
			cmds = append(cmds, cmd)
		}
		return m, tea.Batch(cmds...)
	}
	switch {
	case key.Matches(msg, k.Quit):
		m.cancelOnEnd()
		return m, tea.Quit
	case key.Matches(msg, k.Help):
		m.help.ShowAll = !m.help.ShowAll
		m.layout()
		return m, nil
	}
	if m.conn != connLive {
		if key.Matches(msg, k.Reload) {
			m.setMessage("retrying…", false)
			return m, m.reload()
		}
		return m.navigate(msg)
	}
	if key.Matches(msg, k.Warnings) && m.screen != screenLogin {
		if m.screen == screenWarnings {
			m.screen = screenList
		} else {
			m.screen = screenWarnings
		}
		return m, nil
	}
	if m.screen == screenWarnings {
		if key.Matches(msg, k.Back) {
			m.screen = screenList
		}
		return m, nil
	}
	if m.screen == screenLogin {
		switch {
		case key.Matches(msg, k.Back):
			m.screen = screenList
		case key.Matches(msg, k.Login) && (m.login.state == ipc.LoginExpired || m.login.state == ipc.LoginFailed):
			m.login = loginModel{styles: m.styles}
			return m, startLoginCmd(m.opts.Agent)
		}
		return m, nil
	}
	a, r := m.opts.Agent, m.selected()
	switch {
	case key.Matches(msg, k.Login):
		m.login = loginModel{styles: m.styles}
		m.screen = screenLogin
		return m, startLoginCmd(a)
	case key.Matches(msg, k.Reload):
		m.setMessage("reloading…", false)
		return m, m.reload()
	case key.Matches(msg, k.CopyUser):
		if m.opts.Clipboard == nil {
			return m, nil
		}
		return m, copyCmd(a, m.opts.Clipboard, "", "the user token")
	}
	if r == nil {
		return m.navigate(msg)
	}
	switch {
	case key.Matches(msg, k.CopyProject):
		if m.opts.Clipboard == nil {
			return m, nil
		}
		m.setMessage("fetching the token of "+r.p.Name+"…", false)
		return m, copyCmd(a, m.opts.Clipboard, r.p.ID, "the token of "+r.p.Name)
	case key.Matches(msg, k.Renew):
		if !r.p.Tracked {
			m.setMessage(r.p.Name+" is not tracked: press a to track it", true)
			return m, nil
		}
		m.setMessage("renewing "+r.p.Name+"…", false)
		return m, actionCmd(a, "refresh", r.p.ID, r.p.Name)
	case key.Matches(msg, k.Track):
		return m, actionCmd(a, "track", r.p.ID, r.p.Name)
	case key.Matches(msg, k.Untrack):
		return m, actionCmd(a, "untrack", r.p.ID, r.p.Name)
	case m.screen == screenList && key.Matches(msg, k.Open):
		m.screen = screenDetail
		m.detail = newDetail(r, m.styles, m.width, m.bodyHeight())
		if r.p.Tracked && r.tok == nil {
			return m, tokenCmd(a, r.p.ID)
		}
		return m, nil
	case m.screen == screenDetail && key.Matches(msg, k.Reveal):
		m.detail.reveal = !m.detail.reveal
		return m, nil
	}
	return m.navigate(msg)
}

// navigate passes a key to the list or the detail pane, handling Back.
func (m Model) navigate(msg tea.KeyMsg) (Model, tea.Cmd) {
	var cmd tea.Cmd
	switch m.screen {
	case screenDetail:
		if key.Matches(msg, m.keys.Back) {
			m.screen = screenList
			return m, nil
		}
		m.detail, cmd = m.detail.Update(msg)
	case screenLogin:
		if key.Matches(msg, m.keys.Back) {
			m.screen = screenList
		}
	default:
		m.list, cmd = m.list.Update(msg)
	}
	return m, cmd
}
