package tui

import (
	"context"
	"strings"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"

	"github.com/slices-ri/slices-agent/ipc"
	"github.com/slices-ri/slices-agent/token"
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

// loginModel is the screen of a device-code login: URL, code and QR code.
type loginModel struct {
	styles  Styles
	start   ipc.LoginStart
	started bool
	state   string // an ipc.Login* value
	err     string
}

// link is the URL to open.
func (l loginModel) link() string {
	if l.start.VerificationURIComplete != "" {
		return l.start.VerificationURIComplete
	}
	return l.start.VerificationURI
}

// Update handles the login's own messages.
func (l loginModel) Update(msg tea.Msg) loginModel {
	switch msg := msg.(type) {
	case loginStartedMsg:
		if msg.err != nil {
			l.state, l.err = ipc.LoginFailed, describeErr(msg.err)
			return l
		}
		l.start, l.started, l.state = msg.start, true, ipc.LoginPending
	case loginStateMsg:
		if msg.err == nil && msg.state.State != ipc.LoginNone {
			l.state, l.err = msg.state.State, msg.state.Error
		}
	}
	return l
}

// View renders the screen in width x height cells at now.
func (l loginModel) View(width, height int, now time.Time) string {
	st := l.styles
	inner := max(width-4, 10)
	var lines []string
	add := func(s string) { lines = append(lines, ansi.Truncate(s, inner, "…")) }
	add(st.Title.Render("Log in to Slices"))
	add("")
	switch {
	case !l.started && l.err == "":
		add("Asking the agent for a login code…")
	case !l.started:
		add(st.Error.Render("cannot start the login: " + l.err))
	default:
		add("Open this page in a browser:")
		for _, s := range strings.Split(ansi.Hardwrap(l.link(), inner, false), "\n") {
			lines = append(lines, st.Key.Render(s))
		}
		add("and check that it shows the code " + st.Key.Render(l.start.UserCode))
		qr := qrBlock(l.link())
		qrH := strings.Count(qr, "\n") + 1
		if qr != "" && lipgloss.Width(qr) <= inner && len(lines)+qrH+6 <= height {
			lines = append(lines, "", qr)
		} else if qr != "" {
			add(st.Muted.Render("(enlarge the window to see a QR code)"))
		}
		add("")
		switch l.state {
		case ipc.LoginDone:
			add(st.Plenty.Render("Logged in."))
		case ipc.LoginExpired:
			add(st.Error.Render("The code expired before it was approved: press l to try again."))
		case ipc.LoginFailed:
			add(st.Error.Render("Login failed: " + l.err))
		default:
			add("Waiting for approval · the code expires " + token.Relative(l.start.ExpiresAt, now))
		}
	}
	add(st.Muted.Render("esc to close (the login goes on in the agent)"))
	box := st.Box.Render(strings.Join(lines, "\n"))
	return lipgloss.Place(width, height, lipgloss.Center, lipgloss.Center, box)
}
