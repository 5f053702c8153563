// Package tui is slices-tui: a Bubble Tea terminal UI over the agent's
// socket. It lists the user's projects with a live countdown per token, shows
// a token's decoded header and claims, copies tokens to the clipboard and
// drives renewals, tracking and the device-code login. It talks only to the
// agent, through package ipc: its status, its tokens and its event stream.
//
// Each screen is a component of its own, in the way of the bubbles
// components: the list (list.go), the detail pane (detail.go), the warnings
// and help pages (pages.go) and the login (login.go) each have a model with
// Update, View and SetSize and a KeyMap that the footer's help is built
// from. The root model (this file, root.go for keys and intents, data.go for
// the agent's answers and events, view.go for the layout) answers to the
// global keys, holds the connection to the agent and lays the screens out;
// from about 140 columns the list and the detail pane stand side by side.
// Screens ask the root for what needs the agent with intent messages
// (intent.go). Every call to the agent runs in a tea.Cmd and comes back as a
// message, so Update never blocks. The mouse is left to the terminal, so
// that selecting text with it works.
//
// Nothing secret outlives the agent's say-so: on lock and logout every token
// held for display is dropped, a revealed one with it.
package tui

import (
	"context"
	"time"

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

// focus is the screen in front, which gets the keys.
type focus int

const (
	focusList focus = iota
	focusDetail
	focusLogin
	focusWarnings
	focusHelp
)

// wideAt is the width from which the list and the detail pane stand side by side.
const wideAt = 140

// Model is the root model of slices-tui.
type Model struct {
	opts Options
	keys KeyMap
	c    common

	width, height int

	conn    conn
	loading bool
	lastErr string
	status  ipc.Status
	user    *row // the user token, as a row the detail pane can show
	projErr string
	rows    []*row
	byID    map[string]*row

	focus    focus
	helpFrom focus // the screen the help was opened from
	list     listModel
	detail   detailModel
	login    loginModel
	warnPage warningsModel
	help     helpModel

	flash flash
	warns map[string]warning // warnings from agent events, by key
	clip  pendingClip        // the copy to clear from the clipboard

	events      <-chan ipc.Event
	eventsCtx   context.Context
	cancelOnEnd context.CancelFunc
}

// New returns a Model; run it with tea.NewProgram(m, tea.WithAltScreen()).
// The mouse is left to the terminal, so that drag-select works.
func New(opts Options) Model {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Retry <= 0 {
		opts.Retry = 2 * time.Second
	}
	keys := DefaultKeyMap()
	styles := DefaultStyles()
	c := common{styles: &styles, now: opts.Now()}
	ctx, cancel := context.WithCancel(context.Background())
	m := Model{
		opts: opts, keys: keys, c: c,
		width: 80, height: 24,
		user: &row{user: true},
		byID: map[string]*row{}, warns: map[string]warning{},
		list: newList(c, keys), detail: newDetail(c, keys), login: newLogin(c, keys, ""),
		warnPage: warningsModel{newPage(c, keys)}, help: helpModel{pageModel: newPage(c, keys)},
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
		cmds = append(cmds, tickCmd(m.c.now))
	}
	return tea.Batch(cmds...)
}

// wide tells whether the list and the detail pane stand side by side. A
// revealed token takes the whole width, so that selecting its lines in the
// terminal takes nothing else.
func (m Model) wide() bool {
	return m.width >= wideAt && (m.focus == focusList || m.focus == focusDetail) && !m.detail.reveal
}

// selected is the project (or user token) the keys are about: the detail
// pane's when it is in front, else the one under the list's cursor.
func (m Model) selected() *row {
	if m.focus == focusDetail && m.detail.row != nil {
		return m.detail.row
	}
	return m.list.selected()
}

// Close ends the event subscription; the program calls it through quit.
func (m Model) Close() {
	m.cancelOnEnd()
}
