package tui

import (
	"github.com/charmbracelet/bubbles/key"
)

// KeyMap holds every key binding of the TUI. Each screen takes the ones it
// answers to into a KeyMap of its own (listKeys, detailKeys, …), which is
// what the footer and the help screen show; the root answers to the global
// ones (GlobalHelp) on every screen.
type KeyMap struct {
	Up, Down, PageUp, PageDown, Home, End key.Binding
	Filter                                key.Binding
	Open, Back                            key.Binding
	CopyProject, CopyUser                 key.Binding
	Reveal, OneLine                       key.Binding
	Renew, Track, Untrack                 key.Binding
	Login, Retry, Yes, No                 key.Binding
	Reload                                key.Binding
	Warnings, UserClaims, TimeFormat      key.Binding
	Help, Quit                            key.Binding
}

// DefaultKeyMap returns the bindings shown in the help.
func DefaultKeyMap() KeyMap {
	return KeyMap{
		Up:          key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "up")),
		Down:        key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "down")),
		PageUp:      key.NewBinding(key.WithKeys("pgup", "b", "ctrl+u"), key.WithHelp("pgup/b", "page up")),
		PageDown:    key.NewBinding(key.WithKeys("pgdown", "f", " ", "ctrl+d"), key.WithHelp("pgdn/f", "page down")),
		Home:        key.NewBinding(key.WithKeys("home", "g"), key.WithHelp("g/home", "first")),
		End:         key.NewBinding(key.WithKeys("end", "G"), key.WithHelp("G/end", "last")),
		Filter:      key.NewBinding(key.WithKeys("/"), key.WithHelp("/", "filter")),
		Open:        key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "details")),
		Back:        key.NewBinding(key.WithKeys("esc", "backspace"), key.WithHelp("esc", "back")),
		CopyProject: key.NewBinding(key.WithKeys("c"), key.WithHelp("c", "copy token")),
		CopyUser:    key.NewBinding(key.WithKeys("u"), key.WithHelp("u", "copy user token")),
		Reveal:      key.NewBinding(key.WithKeys("v"), key.WithHelp("v", "reveal token")),
		OneLine:     key.NewBinding(key.WithKeys("V"), key.WithHelp("V", "token on one line")),
		Renew:       key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "renew now")),
		Track:       key.NewBinding(key.WithKeys("a"), key.WithHelp("a", "track")),
		Untrack:     key.NewBinding(key.WithKeys("d"), key.WithHelp("d", "untrack")),
		Login:       key.NewBinding(key.WithKeys("l"), key.WithHelp("l", "log in")),
		Retry:       key.NewBinding(key.WithKeys("l", "enter"), key.WithHelp("l", "try again")),
		Yes:         key.NewBinding(key.WithKeys("y", "Y"), key.WithHelp("y", "yes")),
		No:          key.NewBinding(key.WithKeys("n", "N", "esc"), key.WithHelp("n", "no")),
		Reload:      key.NewBinding(key.WithKeys("R", "ctrl+r"), key.WithHelp("R", "reload")),
		Warnings:    key.NewBinding(key.WithKeys("!", "w"), key.WithHelp("!", "warnings")),
		UserClaims:  key.NewBinding(key.WithKeys("i"), key.WithHelp("i", "user token claims")),
		TimeFormat:  key.NewBinding(key.WithKeys("t"), key.WithHelp("t", "local/UTC/epoch")),
		Help:        key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "help")),
		Quit:        key.NewBinding(key.WithKeys("q", "ctrl+c"), key.WithHelp("q", "quit")),
	}
}

// GlobalHelp is the column of keys the root answers to on every screen.
func (k KeyMap) GlobalHelp() []key.Binding {
	return []key.Binding{k.Login, k.CopyUser, k.UserClaims, k.Warnings, k.TimeFormat, k.Reload, k.Help, k.Quit}
}

// helpKeys is the help screen's KeyMap.
type helpKeys struct{ Back, Up, Down key.Binding }

// ShortHelp implements help.KeyMap.
func (k helpKeys) ShortHelp() []key.Binding { return []key.Binding{k.Back} }

// FullHelp implements help.KeyMap.
func (k helpKeys) FullHelp() [][]key.Binding { return [][]key.Binding{{k.Back, k.Up, k.Down}} }

// warningsKeys is the warnings screen's KeyMap.
type warningsKeys struct{ Back, Up, Down, Login key.Binding }

// ShortHelp implements help.KeyMap.
func (k warningsKeys) ShortHelp() []key.Binding { return []key.Binding{k.Back, k.Login} }

// FullHelp implements help.KeyMap.
func (k warningsKeys) FullHelp() [][]key.Binding { return [][]key.Binding{{k.Back, k.Up, k.Down}} }
