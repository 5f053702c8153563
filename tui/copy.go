package tui

import (
	"errors"
	"fmt"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/slices-ri/slices-agent/ipc"
	"github.com/slices-ri/slices-agent/token"
	"github.com/slices-ri/slices-agent/token/lifetime"
)

// DefaultClearAfter is how long a copied token stays on the clipboard.
const DefaultClearAfter = 45 * time.Second

// copiedMsg reports a copy to the clipboard.
type copiedMsg struct {
	what string // what was copied, for the footer
	id   string // project id; "" for the user token
	tok  ipc.Token
	res  Copied
	err  error
}

// clipDueMsg says that the time to clear copy gen has come.
type clipDueMsg struct{ gen int }

// clipClearedMsg reports the clear of copy gen.
type clipClearedMsg struct {
	gen     int
	cleared bool
	err     error
}

// pendingClip is the copy the clipboard is to be cleared of.
type pendingClip struct {
	gen  int    // counts copies: a timer of an older copy does nothing
	text string // the copied token; "" when no clear is pending
	what string
	due  time.Time
}

// copyCmd fetches a token from the agent, so that what is copied is exactly
// what the agent serves, and puts it on the clipboard.
func copyCmd(a Agent, cb Clipboard, id, what string) tea.Cmd {
	return func() tea.Msg {
		msg := tokenCmd(a, id)().(tokenMsg)
		if msg.err != nil {
			return copiedMsg{what: what, id: id, err: msg.err}
		}
		res, err := cb.Copy(msg.tok.Token)
		return copiedMsg{what: what, id: id, tok: msg.tok, res: res, err: err}
	}
}

// clearCmd clears the clipboard if it still holds text.
func clearCmd(cb Clipboard, gen int, text string) tea.Cmd {
	return func() tea.Msg {
		ok, err := cb.ClearIf(text)
		return clipClearedMsg{gen: gen, cleared: ok, err: err}
	}
}

// copied reports a copy and schedules the clear of the clipboard.
func (m Model) copied(msg copiedMsg) (Model, tea.Cmd) {
	if msg.err != nil {
		m.say(m.copyRow(msg.id), "cannot copy "+msg.what+": "+describeErr(msg.err), true)
		return m, nil
	}
	m.applyToken(msg.id, msg.tok, nil)
	s := fmt.Sprintf("copied %s (…%s) via %s", msg.what, token.Tail(msg.tok.Token), msg.res.Via)
	if msg.res.Sensitive {
		s += ", marked sensitive"
	}
	m.clip = pendingClip{gen: m.clip.gen + 1}
	var cmd tea.Cmd
	switch d := m.opts.ClearAfter; {
	case d <= 0:
	case !msg.res.Readable:
		s += "; it stays: OSC 52 cannot be read back to clear it safely"
	default:
		gen := m.clip.gen
		m.clip.text, m.clip.what, m.clip.due = msg.tok.Token, msg.what, m.c.now.Add(d)
		s += "; clipboard clears in " + lifetime.HumanDuration(d)
		cmd = tea.Tick(d, func(time.Time) tea.Msg { return clipDueMsg{gen: gen} })
	}
	m.say(m.copyRow(msg.id), s, false)
	return m, cmd
}

// clipDue starts the clear of the copy whose time has come, unless a newer
// copy replaced it.
func (m Model) clipDue(msg clipDueMsg) (Model, tea.Cmd) {
	if msg.gen != m.clip.gen || m.clip.text == "" || m.opts.Clipboard == nil {
		return m, nil
	}
	return m, clearCmd(m.opts.Clipboard, msg.gen, m.clip.text)
}

// clipCleared says what the clear did.
func (m *Model) clipCleared(msg clipClearedMsg) {
	if msg.gen != m.clip.gen {
		return
	}
	what := m.clip.what
	m.clip.text = ""
	switch {
	case msg.err != nil && errors.Is(msg.err, ErrUnreadable):
		m.say(nil, "left the clipboard: "+msg.err.Error(), true)
	case msg.err != nil:
		m.say(nil, "left the clipboard: cannot read it back: "+msg.err.Error(), true)
	case msg.cleared:
		m.say(nil, "cleared the clipboard of "+what, false)
	default:
		m.say(nil, "left the clipboard: it no longer holds "+what, false)
	}
}

// PendingClear says whether a copied token was still due to be cleared from
// the clipboard, and what it was, for a note when the user quits first.
func (m Model) PendingClear() (what string, pending bool) {
	return m.clip.what, m.clip.text != ""
}

// copyRow is the row a copy of project id was about; nil for the user token.
func (m Model) copyRow(id string) *row {
	if id == "" {
		return nil
	}
	return m.byID[id]
}
