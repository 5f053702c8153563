package tui

import (
	"context"
	"io"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/muesli/cancelreader"
)

// Escapes that clear the screen and its scrollback, cursor home.
const clearAll = "\x1b[2J\x1b[3J\x1b[H"

// How long the token stays alone on the terminal at most, and how often the
// agent is asked whether it may.
const (
	oneLineFor  = 2 * time.Minute
	oneLinePoll = 500 * time.Millisecond
)

// oneLine shows a token alone on the terminal's own screen, written as one
// line that the terminal wraps itself, so that a selection copies it as one
// line (a frame of the UI is cut at its width, line by line). It is a
// tea.ExecCommand: the program lends it the terminal and takes it back.
// The screen and its scrollback are cleared when the user presses Enter,
// after oneLineFor, or as soon as allowed says the agent no longer shows
// tokens (locked, logged out, gone).
type oneLine struct {
	token, what string
	allowed     func(context.Context) bool
	forAtMost   time.Duration
	poll        time.Duration
	in          io.Reader
	out         io.Writer
}

// SetStdin implements tea.ExecCommand.
func (o *oneLine) SetStdin(r io.Reader) { o.in = r }

// SetStdout implements tea.ExecCommand.
func (o *oneLine) SetStdout(w io.Writer) { o.out = w }

// SetStderr implements tea.ExecCommand.
func (o *oneLine) SetStderr(io.Writer) {}

// Run shows the token until Enter, the time limit or the agent's say-so.
func (o *oneLine) Run() error {
	if _, err := io.WriteString(o.out, clearAll+safe(o.what)+" — select the line below, then press Enter\r\n\r\n"+
		safe(o.token)+"\r\n\r\n(Enter returns and clears it from the screen)\r\n"); err != nil {
		return err
	}
	defer io.WriteString(o.out, clearAll)
	cr, err := cancelreader.NewReader(o.in)
	if err != nil {
		return err
	}
	enter := make(chan struct{})
	go func() {
		defer close(enter)
		b := make([]byte, 1)
		for {
			n, err := cr.Read(b)
			if err != nil || (n == 1 && (b[0] == '\n' || b[0] == '\r')) {
				return
			}
		}
	}()
	defer func() { cr.Cancel(); <-enter; cr.Close() }()
	limit := time.NewTimer(o.forAtMost)
	defer limit.Stop()
	tick := time.NewTicker(o.poll)
	defer tick.Stop()
	for {
		select {
		case <-enter:
			return nil
		case <-limit.C:
			return nil
		case <-tick.C:
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			ok := o.allowed(ctx)
			cancel()
			if !ok {
				return nil
			}
		}
	}
}

// oneLineDoneMsg says the token left the terminal's screen.
type oneLineDoneMsg struct{ err error }

// showOneLine lends the terminal to a oneLine for r's token.
func showOneLine(a Agent, r *row) tea.Cmd {
	what := "the token of " + r.name
	if r.user {
		what = "the user token"
	}
	o := &oneLine{token: r.tok.raw, what: what, forAtMost: oneLineFor, poll: oneLinePoll,
		allowed: func(ctx context.Context) bool {
			st, err := a.Status(ctx)
			// An agent that is slow to answer has said nothing: the time limit bounds that.
			return err != nil || (!st.Locked && st.User.LoggedIn)
		}}
	return tea.Exec(o, func(err error) tea.Msg { return oneLineDoneMsg{err: err} })
}
