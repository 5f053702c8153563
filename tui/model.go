// Package tui is slices-tui: a Bubble Tea terminal UI over the agent's
// socket. It lists the user's projects with a live countdown per token, shows
// a token's decoded header and claims, copies tokens to the clipboard and
// drives renewals, tracking and the device-code login. It talks only to the
// agent, through package ipc: its status, its tokens and its event stream.
//
// A banner under the header warns of what will lapse (renewals failing, a
// project ending within a week, a login required); the detail pane tells a
// token the agent verified from one nobody checked and from an invalid one;
// a copied token is cleared from the clipboard after a while, if it is still
// there.
//
// Each component (rows of the list, the detail pane, the login screen) is a
// model of its own; every call to the agent runs in a tea.Cmd and comes back
// as a message, so Update never blocks.
package tui

import (
	"context"
	"time"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/list"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/slices-ri/slices-agent/ipc"
)

// Options configures a Model.
type Options struct {
	// Agent is the agent's client, usually ipc.NewClient(ipc.ResolveSocket(flag)).
	Agent Agent
	// Socket is the socket path, named on the no-agent screen.
	Socket string
	// Clipboard receives copied tokens; nil disables copying.
	Clipboard Clipboard
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Retry is how often to try again while no agent answers; 0 means 2s.
	Retry time.Duration
	// NoTick stops the once-a-second tick (for tests that drive the clock).
	NoTick bool
	// ClearAfter is how long a copied token stays on the clipboard before it
	// is cleared (only if the clipboard still holds it); 0 never clears.
	ClearAfter time.Duration
}

// conn is the state of the connection to the agent.
type conn int

const (
	connStarting conn = iota // first load in flight
	connNone                 // no agent answered yet
	connLive                 // connected, events streaming
	connLost                 // was connected: showing the last data greyed out
)

// screen is what the body shows.
type screen int

const (
	screenList screen = iota
	screenDetail
	screenLogin
	screenWarnings
)

// Model is the root model of slices-tui.
type Model struct {
	opts   Options
	keys   KeyMap
	styles Styles
	help   help.Model

	width, height int
	now           time.Time

	conn     conn
	loading  bool
	lastErr  string
	status   ipc.Status
	user     *tokenInfo
	projErr  string
	rows     []*row
	byID     map[string]*row
	list     list.Model
	screen   screen
	detail   detailModel
	login    loginModel
	message  string // one line in the footer: what the last action did
	msgError bool
	warns    map[string]warning // warnings from agent events, by key
	clip     pendingClip        // the copy to clear from the clipboard
	chrome   int                // chromeHeight at the last layout

	events      <-chan ipc.Event
	eventsCtx   context.Context
	cancelOnEnd context.CancelFunc
}

// New returns a Model; run it with tea.NewProgram(m, tea.WithAltScreen(), tea.WithMouseCellMotion()).
func New(opts Options) Model {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Retry <= 0 {
		opts.Retry = 2 * time.Second
	}
	keys, styles := DefaultKeyMap(), DefaultStyles()
	l := list.New(nil, rowDelegate{styles: styles}, 80, 20)
	l.KeyMap = keys.listKeyMap()
	l.Filter = substringFilter
	l.SetShowHelp(false)
	l.DisableQuitKeybindings()
	l.SetStatusBarItemName("project", "projects")
	l.SetShowTitle(false)
	l.Styles.TitleBar = l.Styles.TitleBar.Padding(0, 0, 0, 2)
	l.Styles.StatusBar = l.Styles.StatusBar.Padding(0, 0, 0, 2)
	l.Styles.NoItems = styles.Muted.Padding(0, 0, 0, 2)
	l.FilterInput.Prompt = "Filter: "
	ctx, cancel := context.WithCancel(context.Background())
	m := Model{
		opts: opts, keys: keys, styles: styles, help: help.New(),
		width: 80, height: 24, now: opts.Now(),
		byID: map[string]*row{}, list: l, warns: map[string]warning{},
		login:     loginModel{styles: styles},
		eventsCtx: ctx, cancelOnEnd: cancel,
		loading: true,
	}
	m.layout()
	return m
}

// Init loads the first data and starts the clock.
func (m Model) Init() tea.Cmd {
	cmds := []tea.Cmd{loadCmd(m.opts.Agent)}
	if !m.opts.NoTick {
		cmds = append(cmds, tickCmd(m.now))
	}
	return tea.Batch(cmds...)
}

// selected is the row under the cursor, or the row of the detail pane.
func (m Model) selected() *row {
	if m.screen == screenDetail && m.detail.row != nil {
		return m.detail.row
	}
	if r, ok := m.list.SelectedItem().(*row); ok {
		return r
	}
	return nil
}

// apply merges a full load into the model.
func (m *Model) apply(msg loadedMsg) {
	m.status = msg.status
	m.user = nil
	if msg.user != nil {
		m.user = newTokenInfo(*msg.user, "")
	}
	m.projErr = describeErr(msg.projErr)
	old := m.byID
	m.byID = make(map[string]*row, len(msg.projects))
	m.rows = m.rows[:0]
	for _, p := range msg.projects {
		r := old[p.ID]
		if r == nil {
			r = &row{}
		}
		r.p, r.state, r.lastErr = p, p.State, ""
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
	items := make([]list.Item, len(m.rows))
	for i, r := range m.rows {
		items[i] = r
	}
	m.list.SetItems(items)
	m.list.SetShowStatusBar(len(items) > 0)
	if m.screen == screenDetail {
		if r := m.byID[m.detail.row.p.ID]; r != nil {
			m.detail.row = r
		}
	}
}

// applyStatus merges a status into the rows and returns the ids whose token
// changed and should be fetched again.
func (m *Model) applyStatus(st ipc.Status) []string {
	m.status = st
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
		r.p.Tracked, r.state, r.lastErr = true, ps.State, ps.LastError
		if ps.Role != "" {
			r.p.Role = ps.Role
		}
		r.p.TokenExpiresAt = ps.ExpiresAt
		if ps.ExpiresAt != nil && !st.Locked && (r.tok == nil || !r.tok.exp.Equal(*ps.ExpiresAt)) {
			refetch = append(refetch, r.p.ID)
		}
	}
	if !st.User.LoggedIn {
		m.user = nil
	}
	return refetch
}

// Update handles one message.
func (m Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	var cmd tea.Cmd
	m, cmd = m.update(msg)
	m.sync()
	return m, cmd
}

// sync brings the list's delegate and the detail pane up to date with the clock.
func (m *Model) sync() {
	stale := m.conn == connLost
	m.list.SetDelegate(rowDelegate{styles: m.styles, now: m.now, stale: stale})
	if m.screen == screenDetail {
		m.detail.Refresh(m.now, stale)
	}
	if m.chromeHeight() != m.chrome {
		m.layout() // a warning came or went
	}
}

// setMessage sets the footer line.
func (m *Model) setMessage(s string, isErr bool) {
	m.message, m.msgError = s, isErr
}

// Close ends the event subscription; the program calls it through quit.
func (m Model) Close() {
	m.cancelOnEnd()
}
