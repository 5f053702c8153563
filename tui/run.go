package tui

import (
	"fmt"
	"io"
	"os"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/slices-ri/slices-agent/ipc"
)

// Run starts slices-tui on the terminal for the agent at socket (resolved
// like the agent's: flag, $SLICES_AGENT_SOCK, then the default path) and
// returns when the user quits.
func Run(socket string, in io.Reader, out *os.File) error {
	path := ipc.ResolveSocket(socket)
	client := ipc.NewClient(path)
	defer client.Close()
	m := New(Options{
		Agent:     client,
		Socket:    path,
		Clipboard: TermClipboard{Out: out},
	})
	p := tea.NewProgram(m, tea.WithAltScreen(), tea.WithMouseCellMotion(), tea.WithInput(in), tea.WithOutput(out))
	final, err := p.Run()
	if fm, ok := final.(Model); ok {
		fm.Close()
	}
	if err != nil {
		return fmt.Errorf("slices-tui: %w", err)
	}
	return nil
}
