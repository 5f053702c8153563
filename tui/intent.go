package tui

import tea "github.com/charmbracelet/bubbletea"

// intentKind is what a screen asks the root to do: screens know keys, the
// root knows the agent and which screen is in front.
type intentKind int

const (
	intentOpen    intentKind = iota // open the detail of row
	intentReveal                    // open the detail of row with its token shown
	intentOneLine                   // show row's token alone on the terminal, one line
	intentBack                      // close the screen in front
	intentCopy                      // copy row's token
	intentRenew                     // renew row's token now
	intentTrack                     // track row
	intentUntrack                   // stop tracking row
	intentLogin                     // start a device-code login
	intentSay                       // show text in the footer
)

// intentMsg carries an intent from a screen to the root.
type intentMsg struct {
	kind intentKind
	row  *row   // the project (or the user token) it is about; nil for none
	text string // intentSay: what to say
	err  bool   // intentSay: as an error
}

// ask returns a command that delivers an intent to the root.
func ask(kind intentKind, r *row) tea.Cmd {
	return func() tea.Msg { return intentMsg{kind: kind, row: r} }
}

// say returns a command that puts text in the footer, about r (nil: about nothing in particular).
func say(r *row, text string, isErr bool) tea.Cmd {
	return func() tea.Msg { return intentMsg{kind: intentSay, row: r, text: text, err: isErr} }
}
