package tui

import (
	"context"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"

	"github.com/slices-ri/slices-agent/ipc"
	"github.com/slices-ri/slices-agent/token/lifetime"
)

// loginStartedMsg is the answer to starting a device-code login.
type loginStartedMsg struct {
	start ipc.LoginStart
	err   error
}

// loginStateMsg is one poll of the login in progress.
type loginStateMsg struct {
	state ipc.LoginState
	err   error
}

// loginPoll is how often the login screen asks the agent, besides waiting
// for its login event, so that a refused or expired code shows too.
const loginPoll = 2 * time.Second

// startLoginCmd asks the agent to start a device-code login.
func startLoginCmd(a Agent) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
		defer cancel()
		ls, err := a.StartLogin(ctx)
		return loginStartedMsg{start: ls, err: err}
	}
}

// pollLoginCmd asks for the login state after loginPoll.
func pollLoginCmd(a Agent) tea.Cmd {
	return tea.Tick(loginPoll, func(time.Time) tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
		defer cancel()
		st, err := a.LoginStatus(ctx)
		return loginStateMsg{state: st, err: err}
	})
}

// loginKeys is the login screen's KeyMap.
type loginKeys struct{ Back, Retry, Yes, No key.Binding }

// ShortHelp implements help.KeyMap.
func (k loginKeys) ShortHelp() []key.Binding { return []key.Binding{k.Yes, k.No, k.Retry, k.Back} }

// FullHelp implements help.KeyMap.
func (k loginKeys) FullHelp() [][]key.Binding { return [][]key.Binding{k.ShortHelp()} }

// loginModel is the screen of a device-code login: URL, code and QR code;
// when a login is held it first asks whether to start another.
type loginModel struct {
	c       common
	keys    loginKeys
	width   int
	height  int
	asking  string // "": no question; else who is logged in, asked before a new login
	start   ipc.LoginStart
	started bool
	state   string // an ipc.Login* value
	err     string
}

// newLogin returns the screen, asking first when who ("" if nobody) is logged in.
func newLogin(c common, k KeyMap, who string) loginModel {
	l := loginModel{c: c, keys: loginKeys{Back: key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "close")),
		Retry: k.Retry, Yes: k.Yes, No: k.No}, width: 80, height: 20}
	l.asking = who
	return l
}

// SetSize sets the cells the screen draws in.
func (l *loginModel) SetSize(w, h int) { l.width, l.height = w, h }

// link is the URL to open.
func (l loginModel) link() string {
	if l.start.VerificationURIComplete != "" {
		return l.start.VerificationURIComplete
	}
	return l.start.VerificationURI
}

// failed tells whether the login ended without success.
func (l loginModel) failed() bool {
	return l.asking == "" && (l.state == ipc.LoginFailed || l.state == ipc.LoginExpired)
}

// Keys is the KeyMap as it stands.
func (l loginModel) Keys() loginKeys {
	k := l.keys
	k.Yes.SetEnabled(l.asking != "")
	k.No.SetEnabled(l.asking != "")
	k.Retry.SetEnabled(l.failed())
	k.Back.SetEnabled(l.asking == "")
	return k
}

// Update handles the login's own messages and keys.
func (l loginModel) Update(msg tea.Msg) (loginModel, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.KeyMsg:
		k := l.Keys()
		switch {
		case key.Matches(msg, k.Yes):
			l.asking = ""
			return l, ask(intentLogin, nil)
		case key.Matches(msg, k.No), key.Matches(msg, k.Back):
			return l, ask(intentBack, nil)
		case key.Matches(msg, k.Retry):
			return l, ask(intentLogin, nil)
		}
	case loginStartedMsg:
		if msg.err != nil {
			l.state, l.err = ipc.LoginFailed, describeErr(msg.err)
			return l, nil
		}
		l.start, l.started, l.state, l.err = msg.start, true, ipc.LoginPending, ""
	case loginStateMsg:
		if msg.err == nil && msg.state.State != ipc.LoginNone {
			l.state, l.err = msg.state.State, humanize(msg.state.Error)
		}
	}
	return l, nil
}

// View renders the screen.
func (l loginModel) View() string {
	st := l.c.styles
	inner := max(l.width-4, 10)
	var lines []string
	add := func(s string) { lines = append(lines, strings.Split(wrap(s, inner), "\n")...) }
	add(st.Title.Render("Log in to Slices"))
	add("")
	switch {
	case l.asking != "":
		add("You are logged in as " + l.asking + ".")
		add("Start a new login? It replaces this one once approved.")
		add("")
		add(st.Key.Render("y") + " start a new login · " + st.Key.Render("n") + " keep this one")
	case !l.started && l.err == "":
		add("Asking the agent for a login code…")
	case !l.started:
		add(st.Error.Render("Cannot start the login: " + l.err))
		add("Press l to try again, or esc to close.")
	default:
		add("Open this page in a browser:")
		for _, s := range strings.Split(ansi.Hardwrap(safe(l.link()), inner, false), "\n") {
			lines = append(lines, st.Key.Render(s))
		}
		add("and check that it shows the code " + st.Key.Render(safe(l.start.UserCode)))
		qr := qrBlock(l.link())
		qrH := strings.Count(qr, "\n") + 1
		if qr != "" && lipgloss.Width(qr) <= inner && len(lines)+qrH+6 <= l.height {
			lines = append(lines, "", qr)
		} else if qr != "" {
			add(st.Muted.Render("(enlarge the window to see a QR code)"))
		}
		add("")
		switch l.state {
		case ipc.LoginDone:
			add(st.Plenty.Render("Logged in."))
		case ipc.LoginExpired:
			add(st.Error.Render("The code expired before it was approved.") + " Press l to get a new one, or esc to close.")
		case ipc.LoginFailed:
			why := l.err
			if why == "" {
				why = "the portal refused it"
			}
			add(st.Error.Render("Login failed: "+why+".") + " Press l to try again, or esc to close.")
		default:
			add("Waiting for approval · the code expires " + lifetime.Relative(l.start.ExpiresAt, l.c.now))
		}
	}
	if l.asking == "" {
		add(st.Muted.Render("esc to close (a login goes on in the agent)"))
	}
	box := st.Box.Render(strings.Join(lines, "\n"))
	return lipgloss.Place(l.width, l.height, lipgloss.Center, lipgloss.Center, box)
}
