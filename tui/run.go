package tui

import (
	"fmt"
	"io"
	"os"
	"time"

	tea "github.com/charmbracelet/bubbletea"

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
	p := tea.NewProgram(m, tea.WithAltScreen(), tea.WithMouseCellMotion(), tea.WithInput(in), tea.WithOutput(out))
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
