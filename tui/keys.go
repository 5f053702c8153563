package tui

import (
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/list"
)

// KeyMap holds the TUI's key bindings; it implements help.KeyMap.
type KeyMap struct {
	Up, Down, PageUp, PageDown, Home, End key.Binding
	Filter                                key.Binding
	Open, Back                            key.Binding
	CopyProject, CopyUser                 key.Binding
	Reveal                                key.Binding
	Renew, Track, Untrack                 key.Binding
	Login, Reload                         key.Binding
	Warnings                              key.Binding
	Help, Quit                            key.Binding
}

// DefaultKeyMap returns the bindings shown in the help.
func DefaultKeyMap() KeyMap {
	return KeyMap{
		Up:          key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "up")),
		Down:        key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "down")),
		PageUp:      key.NewBinding(key.WithKeys("pgup", "left", "b"), key.WithHelp("pgup/b", "page up")),
		PageDown:    key.NewBinding(key.WithKeys("pgdown", "right", "f", " "), key.WithHelp("pgdn/f", "page down")),
		Home:        key.NewBinding(key.WithKeys("home", "g"), key.WithHelp("g/home", "first")),
		End:         key.NewBinding(key.WithKeys("end", "G"), key.WithHelp("G/end", "last")),
		Filter:      key.NewBinding(key.WithKeys("/"), key.WithHelp("/", "filter")),
		Open:        key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "details")),
		Back:        key.NewBinding(key.WithKeys("esc", "backspace"), key.WithHelp("esc", "back")),
		CopyProject: key.NewBinding(key.WithKeys("c"), key.WithHelp("c", "copy token")),
		CopyUser:    key.NewBinding(key.WithKeys("u"), key.WithHelp("u", "copy user token")),
		Reveal:      key.NewBinding(key.WithKeys("v"), key.WithHelp("v", "reveal token")),
		Renew:       key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "renew now")),
		Track:       key.NewBinding(key.WithKeys("a"), key.WithHelp("a", "track")),
		Untrack:     key.NewBinding(key.WithKeys("d"), key.WithHelp("d", "untrack")),
		Login:       key.NewBinding(key.WithKeys("l"), key.WithHelp("l", "log in")),
		Reload:      key.NewBinding(key.WithKeys("R", "ctrl+r"), key.WithHelp("R", "reload")),
		Warnings:    key.NewBinding(key.WithKeys("!", "w"), key.WithHelp("!", "warnings")),
		Help:        key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "help")),
		Quit:        key.NewBinding(key.WithKeys("q", "ctrl+c"), key.WithHelp("q", "quit")),
	}
}

// ShortHelp is the one-line help of the footer.
func (k KeyMap) ShortHelp() []key.Binding {
	return []key.Binding{k.Open, k.Filter, k.CopyProject, k.Renew, k.Login, k.Help, k.Quit}
}

// FullHelp is the help shown by '?', in columns.
func (k KeyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{
		{k.Up, k.Down, k.PageUp, k.PageDown, k.Home, k.End},
		{k.Filter, k.Open, k.Back, k.Reveal, k.Reload},
		{k.CopyProject, k.CopyUser, k.Renew, k.Track, k.Untrack},
		{k.Login, k.Warnings, k.Help, k.Quit},
	}
}

// detailHelp is the short help while the detail pane is open.
func (k KeyMap) detailHelp() []key.Binding {
	return []key.Binding{k.Back, k.Reveal, k.CopyProject, k.Renew, k.Help, k.Quit}
}

// listKeyMap maps KeyMap onto the bubbles list, leaving letters the TUI uses
// (l, u, d, q, esc) to the TUI.
func (k KeyMap) listKeyMap() list.KeyMap {
	km := list.DefaultKeyMap()
	km.CursorUp = k.Up
	km.CursorDown = k.Down
	km.PrevPage = k.PageUp
	km.NextPage = k.PageDown
	km.GoToStart = k.Home
	km.GoToEnd = k.End
	km.Filter = k.Filter
	km.Quit.SetEnabled(false)
	km.ShowFullHelp.SetEnabled(false)
	km.CloseFullHelp.SetEnabled(false)
	km.ForceQuit.SetEnabled(false)
	return km
}
