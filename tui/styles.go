package tui

import "github.com/charmbracelet/lipgloss"

// Styles holds every style the TUI renders with. Colours follow lipgloss's
// colour profile, so NO_COLOR (and a dumb terminal) turns them off; every
// state is also spelled out in text, so nothing relies on colour alone.
type Styles struct {
	App       lipgloss.Style
	Header    lipgloss.Style
	Title     lipgloss.Style
	Muted     lipgloss.Style
	Stale     lipgloss.Style // rows kept while the agent is away
	Selected  lipgloss.Style // the full-width bar of the row under the cursor
	Status    lipgloss.Style
	Error     lipgloss.Style
	Banner    lipgloss.Style
	Warning   lipgloss.Style // the banner of things about to lapse
	Label     lipgloss.Style
	Section   lipgloss.Style
	Key       lipgloss.Style
	Box       lipgloss.Style
	Plenty    lipgloss.Style // fresh: its renewal is not due (lifetime.StageFresh)
	Low       lipgloss.Style // its renewal is due (lifetime.StageExpiring)
	Critical  lipgloss.Style // about to lapse (lifetime.StageCritical)
	Expired   lipgloss.Style
	Untracked lipgloss.Style
	HelpKey   lipgloss.Style // a key in the footer's help
	HelpDesc  lipgloss.Style // what it does
}

// DefaultStyles returns the house styles.
func DefaultStyles() Styles {
	subtle := lipgloss.AdaptiveColor{Light: "#8a8a8a", Dark: "#6c6c6c"}
	accent := lipgloss.AdaptiveColor{Light: "#5a3fc0", Dark: "#a48bff"}
	return Styles{
		App:       lipgloss.NewStyle(),
		Header:    lipgloss.NewStyle().Bold(true),
		Title:     lipgloss.NewStyle().Bold(true).Foreground(accent),
		Muted:     lipgloss.NewStyle().Foreground(subtle),
		Stale:     lipgloss.NewStyle().Faint(true).Foreground(subtle),
		Selected:  lipgloss.NewStyle().Bold(true).Foreground(lipgloss.AdaptiveColor{Light: "#1a1a1a", Dark: "#ffffff"}).Background(lipgloss.AdaptiveColor{Light: "#dcd3ff", Dark: "#3c2f78"}),
		Status:    lipgloss.NewStyle().Foreground(subtle),
		Error:     lipgloss.NewStyle().Foreground(lipgloss.AdaptiveColor{Light: "#c0392b", Dark: "#ff6b6b"}),
		Banner:    lipgloss.NewStyle().Bold(true).Reverse(true),
		Warning:   lipgloss.NewStyle().Bold(true).Foreground(lipgloss.AdaptiveColor{Light: "#d35400", Dark: "#ff8700"}),
		Label:     lipgloss.NewStyle().Foreground(subtle).Width(16),
		Section:   lipgloss.NewStyle().Bold(true).Underline(true),
		Key:       lipgloss.NewStyle().Bold(true),
		Box:       lipgloss.NewStyle().Border(lipgloss.RoundedBorder()).Padding(0, 1),
		Plenty:    lipgloss.NewStyle().Foreground(lipgloss.AdaptiveColor{Light: "#1e8449", Dark: "#5fd787"}),
		Low:       lipgloss.NewStyle().Foreground(lipgloss.AdaptiveColor{Light: "#b7950b", Dark: "#ffd75f"}),
		Critical:  lipgloss.NewStyle().Bold(true).Foreground(lipgloss.AdaptiveColor{Light: "#d35400", Dark: "#ff8700"}),
		Expired:   lipgloss.NewStyle().Bold(true).Foreground(lipgloss.AdaptiveColor{Light: "#c0392b", Dark: "#ff5f5f"}),
		Untracked: lipgloss.NewStyle().Foreground(subtle),
		HelpKey:   lipgloss.NewStyle().Foreground(lipgloss.AdaptiveColor{Light: "#909090", Dark: "#626262"}),
		HelpDesc:  lipgloss.NewStyle().Foreground(lipgloss.AdaptiveColor{Light: "#B2B2B2", Dark: "#4A4A4A"}),
	}
}
