package tui

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"

	"github.com/slices-ri/slices-agent/token"
)

// startCommand is the command the no-agent screen tells the user to run.
const startCommand = `eval "$(slices-agent env)"`

// chromeHeight is the number of lines around the body: header, banner, footer.
func (m Model) chromeHeight() int {
	h := 1 + 1 // header, status line
	if m.banner() != "" {
		h++
	}
	if m.warningBanner() != "" {
		h++
	}
	return h + lipgloss.Height(m.helpView())
}

// bodyHeight is what is left for the list or the detail pane.
func (m Model) bodyHeight() int { return max(m.height-m.chromeHeight(), 1) }

// layout sizes the components after a resize or a change of chrome.
func (m *Model) layout() {
	m.help.Width = m.width
	m.chrome = m.chromeHeight()
	h := m.bodyHeight()
	m.list.SetSize(m.width, h)
	m.detail.SetSize(m.width, h)
}

// banner is the line under the header when the agent is away or locked.
func (m Model) banner() string {
	switch {
	case m.conn == connLost:
		return "agent unreachable: " + m.lastErr + " · showing the last data · reconnecting…"
	case m.conn == connLive && m.status.Locked:
		return "the agent is locked: no token leaves it until 'slices-agent unlock'"
	case m.conn == connLive && m.projErr != "":
		return m.projErr
	}
	return ""
}

// helpView is the short or the full help.
func (m Model) helpView() string {
	if m.help.ShowAll {
		return m.help.FullHelpView(m.keys.FullHelp())
	}
	if m.screen == screenDetail {
		return m.help.ShortHelpView(m.keys.detailHelp())
	}
	return m.help.ShortHelpView(m.keys.ShortHelp())
}

// View renders the whole screen.
func (m Model) View() string {
	if m.conn == connNone || m.conn == connStarting {
		return fit(m.noAgentView(), m.width, m.height)
	}
	parts := []string{m.header()}
	if b := m.banner(); b != "" {
		parts = append(parts, m.styles.Banner.Render(ansi.Truncate(b, m.width, "…")))
	}
	if w := m.warningBanner(); w != "" {
		parts = append(parts, w)
	}
	body := ""
	switch m.screen {
	case screenDetail:
		body = m.detail.View()
	case screenLogin:
		body = m.login.View(m.width, m.bodyHeight(), m.now)
	case screenWarnings:
		body = m.warningsView()
	default:
		body = m.listView()
	}
	parts = append(parts, fit(body, m.width, m.bodyHeight()), m.footer(), m.helpView())
	return fit(strings.Join(parts, "\n"), m.width, m.height)
}

// listView is the list with the column names on its first line, which the
// list leaves blank unless a filter is being typed there.
func (m Model) listView() string {
	v := m.list.View()
	first, rest, _ := strings.Cut(v, "\n")
	if strings.TrimSpace(ansi.Strip(first)) != "" {
		return v
	}
	hd := headerLine(m.width)
	if m.conn == connLost {
		return m.styles.Stale.Render(hd) + "\n" + rest
	}
	return m.styles.Muted.Render(hd) + "\n" + rest
}

// header is the top line: who is logged in and the user token's countdown.
func (m Model) header() string {
	st := m.styles
	left := st.Header.Render("slices-tui")
	var user string
	switch {
	case !m.status.User.LoggedIn:
		user = st.Expired.Render("not logged in") + " · press l to log in"
	default:
		name := m.status.User.Name
		if name == "" {
			name = "logged in"
		}
		user = name
		if m.user != nil {
			lv := classify(true, m.user.iat, m.user.exp, m.now)
			s, glyph := st.level(lv)
			user += " · user token " + s.Render(glyph+" "+token.Relative(m.user.exp, m.now))
		}
	}
	right := st.Muted.Render(fmt.Sprintf("agent %s · keyring %s", m.status.Version, m.status.Keyring))
	line := left + "  " + user
	if lipgloss.Width(line)+2+lipgloss.Width(right) <= m.width {
		line += strings.Repeat(" ", m.width-lipgloss.Width(line)-lipgloss.Width(right)) + right
	}
	if m.conn == connLost {
		line = st.Stale.Render(ansi.Strip(line))
	}
	return ansi.Truncate(line, m.width, "…")
}

// footer is the status line: the result of the last action.
func (m Model) footer() string {
	if m.message == "" {
		return ""
	}
	s := m.styles.Status
	if m.msgError {
		s = m.styles.Error
	}
	return s.Render(ansi.Truncate(m.message, m.width, "…"))
}

// noAgentView explains how to start an agent while retrying.
func (m Model) noAgentView() string {
	st := m.styles
	if m.conn == connStarting {
		return lipgloss.Place(m.width, m.height, lipgloss.Center, lipgloss.Center, st.Muted.Render("connecting to the agent…"))
	}
	inner := max(m.width-6, 10)
	lines := []string{
		st.Title.Render("No slices-agent is running"),
		"",
		st.Muted.Render("nothing answers at " + m.opts.Socket),
		"",
		"Start one in your shell with",
		"",
		"  " + st.Key.Render(startCommand),
		"",
		fmt.Sprintf("This screen connects by itself once it answers (retrying every %s).", token.HumanDuration(m.opts.Retry)),
		st.Muted.Render("q to quit"),
	}
	for i, l := range lines {
		lines[i] = ansi.Truncate(l, inner, "…")
	}
	box := st.Box.Render(strings.Join(lines, "\n"))
	return lipgloss.Place(m.width, m.height, lipgloss.Center, lipgloss.Center, box)
}

// fit cuts s to width x height cells, marking cut lines with an ellipsis and
// padding short output with empty lines.
func fit(s string, width, height int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > height {
		lines = lines[:height]
	}
	for i, l := range lines {
		if ansi.StringWidth(l) > width {
			lines[i] = ansi.Truncate(l, width, "…")
		}
	}
	for len(lines) < height {
		lines = append(lines, "")
	}
	return strings.Join(lines, "\n")
}
