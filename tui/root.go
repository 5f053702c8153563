package tui

import (
	"errors"
	"time"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/slices-ri/slices-agent/ipc"
)

// Update handles one message: the agent's answers and events here, keys
// through handleKey, the rest to the screen in front.
func (m Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	var cmd tea.Cmd
	m, cmd = m.update(msg)
	m.sync()
	return m, cmd
}

// update is Update without the final sync.
func (m Model) update(msg tea.Msg) (Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		return m, nil
	case tickMsg:
		m.c.now = m.opts.Now()
		return m, tickCmd(time.Time(msg))
	case tea.KeyMsg:
		return m.handleKey(msg)
	case intentMsg:
		return m.intent(msg)
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
	case oneLineDoneMsg:
		if msg.err != nil {
			m.say(nil, "cannot show the token alone: "+describeErr(msg.err), true)
		} else {
			m.say(nil, "the token was cleared from the terminal's screen", false)
		}
		return m, nil
	case loginStartedMsg:
		m.login, _ = m.login.Update(msg)
		if msg.err != nil {
			return m, nil
		}
		return m, pollLoginCmd(m.opts.Agent)
	case loginStateMsg:
		m.login, _ = m.login.Update(msg)
		if m.focus == focusLogin && m.login.state == ipc.LoginPending {
			return m, pollLoginCmd(m.opts.Agent)
		}
		if m.login.state == ipc.LoginDone && !m.loading {
			m.loading = true
			return m, loadCmd(m.opts.Agent)
		}
		return m, nil
	}
	return m, nil
}

// sync brings every screen up to date with the root: the shared state, the
// sizes, the rows, the detail pane beside the list.
func (m *Model) sync() {
	m.c.stale = m.conn == connLost
	m.c.locked = m.conn != connNone && m.status.Locked
	m.list.c, m.detail.c, m.login.c, m.warnPage.c, m.help.c = m.c, m.c, m.c, m.c, m.c
	m.list.empty = ""
	if m.conn == connLive && !m.status.User.LoggedIn {
		m.list.empty = " Log in to list yours: press l."
	}
	m.list.refresh()
	if m.wide() && m.focus == focusList {
		if r := m.list.selected(); r != m.detail.row {
			m.detail.Show(r, false)
		}
	}
	m.layout()
	m.detail.Refresh()
	if m.focus == focusWarnings {
		m.warnPage.SetContent(m.warningsBody(m.width))
	}
}

// handleKey answers to the global keys and passes the rest to the screen in front.
func (m Model) handleKey(msg tea.KeyMsg) (Model, tea.Cmd) {
	k := m.keys
	if msg.String() == "ctrl+c" {
		m.cancelOnEnd()
		return m, tea.Quit
	}
	if m.conn == connNone || m.conn == connStarting {
		if key.Matches(msg, k.Quit) {
			m.cancelOnEnd()
			return m, tea.Quit
		}
		m.say(nil, "no agent answers yet: nothing to do until one does (q quits)", true)
		return m, nil
	}
	// While a filter is typed, keys belong to it.
	if m.focus == focusList && m.list.Filtering() {
		return m.toFocused(msg)
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
		return m, tea.Sequence(cmds...)
	}
	switch {
	case key.Matches(msg, k.Quit):
		m.cancelOnEnd()
		return m, tea.Quit
	case key.Matches(msg, k.Help) && m.focus != focusHelp:
		m.openHelp()
		return m, nil
	case key.Matches(msg, k.Warnings):
		if m.focus == focusWarnings {
			m.focus = focusList
		} else {
			m.focus = focusWarnings
			m.warnPage.SetContent(m.warningsBody(m.width))
			m.warnPage.vp.GotoTop()
		}
		return m, nil
	case key.Matches(msg, k.TimeFormat):
		m.c.times = (m.c.times + 1) % timeFormats
		m.say(nil, "times in "+m.c.times.String(), false)
		return m, nil
	case key.Matches(msg, k.UserClaims):
		m.detail.Show(m.user, false)
		m.focus = focusDetail
		return m, nil
	case key.Matches(msg, k.Reload):
		if m.conn != connLive {
			m.busy(nil, "retrying to reach the agent…")
		} else {
			m.busy(nil, "reloading…")
		}
		return m, m.reload()
	case key.Matches(msg, k.CopyUser):
		return m.intent(intentMsg{kind: intentCopy, row: m.user})
	case key.Matches(msg, k.Login) && m.focus != focusLogin:
		return m.openLogin()
	}
	return m.toFocused(msg)
}

// toFocused passes a key to the screen in front.
func (m Model) toFocused(msg tea.KeyMsg) (Model, tea.Cmd) {
	var cmd tea.Cmd
	switch m.focus {
	case focusDetail:
		m.detail, cmd = m.detail.Update(msg)
	case focusLogin:
		m.login, cmd = m.login.Update(msg)
	case focusWarnings:
		m.warnPage, cmd = m.warnPage.Update(msg)
	case focusHelp:
		m.help, cmd = m.help.Update(msg)
	default:
		m.list, cmd = m.list.Update(msg)
	}
	return m, cmd
}

// openHelp puts the help of the screen in front on the screen.
func (m *Model) openHelp() {
	m.helpFrom = m.focus
	// Every key of the screen, not only those that do something this moment.
	var keys help.KeyMap = m.list.keys
	title := "project list"
	switch m.focus {
	case focusDetail:
		title, keys = "detail", m.detail.keys
	case focusLogin:
		title, keys = "login", m.login.keys
	case focusWarnings:
		title, keys = "warnings", m.warnPage.Keys()
	}
	m.layout()
	m.help.Show(title, keys, m.keys.GlobalHelp())
	m.focus = focusHelp
}

// openLogin starts a login, or asks first when one is held.
func (m Model) openLogin() (Model, tea.Cmd) {
	if m.conn != connLive {
		m.say(nil, "the agent is unreachable: cannot log in until it is back (reconnecting…)", true)
		return m, nil
	}
	if m.status.Locked {
		m.say(nil, "the agent is locked: run 'slices-agent unlock' first", true)
		return m, nil
	}
	who := ""
	if m.status.User.LoggedIn {
		who = m.user.name
		if who == "" {
			who = "an unnamed user"
		}
	}
	m.login = newLogin(m.c, m.keys, who)
	m.focus = focusLogin
	if who != "" {
		return m, nil
	}
	return m, startLoginCmd(m.opts.Agent)
}

// intent does what a screen asked for.
func (m Model) intent(msg intentMsg) (Model, tea.Cmd) {
	r, a := msg.row, m.opts.Agent
	switch msg.kind {
	case intentSay:
		m.say(r, msg.text, msg.err)
		return m, nil
	case intentBack:
		switch {
		case m.focus == focusHelp:
			m.focus = m.helpFrom
		default:
			m.detail.Hide() // a token shown stays only while its pane is in front
			m.focus = focusList
		}
		return m, nil
	case intentOpen, intentReveal:
		m.detail.Show(r, false)
		m.focus = focusDetail
		if msg.kind == intentReveal {
			if ok, why := m.detail.canReveal(); !ok {
				m.say(r, why, true)
			} else {
				m.detail.Reveal()
			}
		}
		if m.conn == connLive && !m.status.Locked && r.p.Tracked && r.tok == nil {
			return m, tokenCmd(a, r.p.ID)
		}
		return m, nil
	case intentOneLine:
		if m.conn != connLive || m.status.Locked || r.tok == nil {
			m.say(r, "no token to show: the agent is not answering or is locked", true)
			return m, nil
		}
		return m, showOneLine(a, r)
	case intentLogin:
		m.login = newLogin(m.c, m.keys, "")
		m.focus = focusLogin
		return m, startLoginCmd(a)
	}
	// What is left needs the agent.
	verb := map[intentKind]string{intentCopy: "copy", intentRenew: "renew", intentTrack: "track", intentUntrack: "untrack"}[msg.kind]
	switch {
	case m.conn != connLive:
		m.say(r, "the agent is unreachable: cannot "+verb+" until it is back (reconnecting…); what is shown is the last data", true)
		return m, nil
	case m.status.Locked:
		m.say(r, "the agent is locked: cannot "+verb+" until 'slices-agent unlock'", true)
		return m, nil
	}
	switch msg.kind {
	case intentCopy:
		if m.opts.Clipboard == nil {
			m.say(r, "no clipboard to copy to", true)
			return m, nil
		}
		if r.user {
			m.busy(nil, "fetching the user token…")
			return m, copyCmd(a, m.opts.Clipboard, "", "the user token")
		}
		m.busy(r, "fetching the token of "+r.name+"…")
		return m, copyCmd(a, m.opts.Clipboard, r.p.ID, "the token of "+r.name)
	case intentRenew:
		if r.user {
			m.busy(nil, "renewing the user token…")
			return m, actionCmd(a, "refresh", "", "")
		}
		if !r.p.Tracked {
			m.say(r, r.name+" is not tracked: press a to track it", true)
			return m, nil
		}
		m.busy(r, "renewing "+r.name+"…")
		return m, actionCmd(a, "refresh", r.p.ID, r.name)
	case intentTrack:
		m.busy(r, "tracking "+r.name+"…")
		return m, actionCmd(a, "track", r.p.ID, r.name)
	case intentUntrack:
		m.busy(r, "untracking "+r.name+"…")
		return m, actionCmd(a, "untrack", r.p.ID, r.name)
	}
	return m, nil
}
