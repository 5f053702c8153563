package tui

import (
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"golang.org/x/term"

	"github.com/slices-ri/slices-agent/ipc"
)

// Run starts slices-tui on the terminal for the agent at socket (resolved
// like the agent's: flag, $SLICES_AGENT_SOCK, then the default path) and
// returns when the user quits. A copied token is cleared from the clipboard
// after clearAfter if the clipboard still holds it (0 never clears).
func Run(socket string, clearAfter time.Duration, in io.Reader, out *os.File) error {
	path := ipc.ResolveSocket(socket)
	client := ipc.NewClient(path)
	defer client.Close()
	m := New(Options{
		Agent:      client,
		Socket:     path,
		Clipboard:  TermClipboard{Out: out},
		ClearAfter: clearAfter,
	})
	p := tea.NewProgram(m, tea.WithAltScreen(), tea.WithInput(in), tea.WithOutput(out))
	final, err := p.Run()
	if fm, ok := final.(Model); ok {
		fm.Close()
		if what, pending := fm.PendingClear(); pending {
			// Quitting does not clear it: copy, quit, paste is the common case.
			fmt.Fprintf(os.Stderr, "slices-tui: %s is still on the clipboard (it was to be cleared in %s)\n",
				what, max(time.Until(fm.clip.due), 0).Round(time.Second))
		}
	}
	if err != nil {
		return fmt.Errorf("slices-tui: %w", err)
	}
	return nil
}

// ErrNoTerminal says slices-tui was started without a terminal to draw on.
var ErrNoTerminal = errors.New("needs a terminal")

// CheckTerminal returns an error wrapping ErrNoTerminal, naming which of in
// and out is not a terminal, when one of them is not.
func CheckTerminal(in, out *os.File) error {
	var not []string
	if in == nil || !term.IsTerminal(int(in.Fd())) {
		not = append(not, "standard input")
	}
	if out == nil || !term.IsTerminal(int(out.Fd())) {
		not = append(not, "standard output")
	}
	if len(not) == 0 {
		return nil
	}
	what := not[0] + " is not one"
	if len(not) == 2 {
		what = "neither standard input nor standard output is one"
	}
	return fmt.Errorf("%w: %s", ErrNoTerminal, what)
}
