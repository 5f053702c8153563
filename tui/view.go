package tui

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"

	"github.com/slices-ri/slices-agent/token/lifetime"
)

// startCommand is the command the no-agent screen tells the user to run.
const startCommand = `eval "$(slices-agent env)"`

// chrome is the lines around the body: header, banners, status line,
// message and short help.
func (m Model) chrome() (top, bottom []string) {
	top = []string{m.header()}
	if b := m.banner(); b != "" {
		lines := strings.Split(wrap(b, m.width), "\n")
		for _, l := range lines[:min(len(lines), 2)] {
			top = append(top, m.c.styles.Banner.Render(ansi.Truncate(l, m.width, "…")))
		}
	}
	if w := m.warningBanner(); w != "" {
		top = append(top, w)
	}
	bottom = []string{m.statusLine()}
	if msg, isErr := m.message(); msg != "" {
		s := m.c.styles.Status
		if isErr {
			s = m.c.styles.Error
		}
		lines := strings.Split(wrap(msg, m.width), "\n")
		if len(lines) > 3 {
			lines = append(lines[:2], ansi.Truncate(lines[2], m.width-1, "")+"…")
		}
		for _, l := range lines {
			bottom = append(bottom, s.Render(l))
		}
	}
	bottom = append(bottom, m.shortHelp())
	return top, bottom
}

// bodyHeight is what is left for the screen in front.
func (m Model) bodyHeight() int {
	top, bottom := m.chrome()
	return max(m.height-len(top)-len(bottom), 1)
}

// layout sizes the screens after a resize or a change of chrome.
func (m *Model) layout() {
	h := m.bodyHeight()
	lw, dw := m.width, m.width
	if m.wide() {
		lw = m.width * 45 / 100
		dw = m.width - lw - 3
	}
	if m.focus != focusList && m.focus != focusDetail {
		lw = m.width
	}
	m.list.SetSize(lw, h)
	m.detail.SetSize(dw, h)
	m.login.SetSize(m.width, h)
	m.warnPage.SetSize(m.width, h)
	m.help.SetSize(m.width, h)
}

// banner is the line under the header when the agent is away or locked.
func (m Model) banner() string {
	switch {
	case m.conn == connLost:
		return "agent unreachable (" + m.lastErr + "): reconnecting… · showing the last data, read only"
	case m.conn == connLive && m.status.Locked:
		return "the agent is locked: no token leaves it until 'slices-agent unlock'"
	case m.conn == connLive && m.projErr != "":
		return "cannot list the projects: " + m.projErr + " · showing what the agent tracks"
	}
	return ""
}

// focusedKeys is the KeyMap of the screen in front.
func (m Model) focusedKeys() []key.Binding {
	switch m.focus {
	case focusDetail:
		return m.detail.Keys().ShortHelp()
	case focusLogin:
		return m.login.Keys().ShortHelp()
	case focusWarnings:
		return m.warnPage.Keys().ShortHelp()
	case focusHelp:
		return m.help.Keys().ShortHelp()
	}
	return m.list.Keys().ShortHelp()
}

// shortHelp is the footer's help: the keys of the screen in front that do
// something now, as many as fit, and always "? help" and "q quit".
func (m Model) shortHelp() string {
	st := m.c.styles
	item := func(b key.Binding) string {
		return st.HelpKey.Render(b.Help().Key) + " " + st.HelpDesc.Render(b.Help().Desc)
	}
	sep := st.HelpDesc.Render(" • ")
	var tail []string
	if m.focus != focusHelp {
		tail = append(tail, item(m.keys.Help))
	}
	if !(m.focus == focusList && m.list.Filtering()) {
		tail = append(tail, item(m.keys.Quit))
	}
	var head []string
	if m.conn == connLive && !m.status.User.LoggedIn && !m.status.Locked && m.focus != focusLogin {
		head = append(head, item(m.keys.Login))
	}
	for _, b := range m.focusedKeys() {
		if b.Enabled() && b.Help().Key != "" {
			head = append(head, item(b))
		}
	}
	for {
		s := strings.Join(append(append([]string(nil), head...), tail...), sep)
		if lipgloss.Width(s) <= m.width || len(head) == 0 {
			return ansi.Truncate(s, m.width, "…")
		}
		head = head[:len(head)-1]
	}
}

// statusLine is the line under the body: the position in the list or the
// pane, and the time format when it is not the default.
func (m Model) statusLine() string {
	var left string
	switch m.focus {
	case focusDetail:
		left = "detail · " + m.detail.Status()
		if m.wide() {
			left = m.list.Status() + " · " + left
		}
	case focusList:
		left = m.list.Status()
	case focusWarnings:
		left = fmt.Sprintf("%d warnings", len(m.warnings()))
		if len(m.warnings()) == 1 {
			left = "1 warning"
		}
	case focusHelp:
		left = "help · " + m.help.title
	case focusLogin:
		left = "login"
	}
	right := ""
	if m.loading && m.conn == connLive {
		right = "loading…"
	}
	if m.c.times != timeLocal {
		right = strings.TrimSpace(right + " times: " + m.c.times.String())
	}
	s := "  " + left
	if right != "" && lipgloss.Width(s)+2+lipgloss.Width(right) <= m.width {
		s += strings.Repeat(" ", m.width-lipgloss.Width(s)-lipgloss.Width(right)) + right
	}
	return m.c.styles.Muted.Render(ansi.Truncate(s, m.width, "…"))
}

// View renders the whole screen.
func (m Model) View() string {
	if m.conn == connNone || m.conn == connStarting {
		return fit(m.noAgentView(), m.width, m.height)
	}
	top, bottom := m.chrome()
	h := max(m.height-len(top)-len(bottom), 1)
	var body string
	switch m.focus {
	case focusLogin:
		body = m.login.View()
	case focusWarnings:
		body = m.warnPage.View()
	case focusHelp:
		body = m.help.View()
	case focusDetail:
		body = m.detail.View()
		if m.wide() {
			body = m.sideBySide(h)
		}
	default:
		body = m.list.View()
		if m.wide() {
			body = m.sideBySide(h)
		}
	}
	parts := append(top, fit(body, m.width, h))
	parts = append(parts, bottom...)
	return fit(strings.Join(parts, "\n"), m.width, m.height)
}

// sideBySide is the list and the detail pane of its selected project, in h lines.
func (m Model) sideBySide(h int) string {
	lw := m.width * 45 / 100
	left := fit(m.list.View(), lw, h)
	right := ""
	if m.detail.row != nil {
		right = m.detail.View()
	}
	right = fit(right, m.width-lw-3, h)
	sep := m.c.styles.Muted.Render(" │ ")
	if m.focus == focusDetail {
		sep = m.c.styles.Title.Render(" ┃ ")
	}
	ll, rl := strings.Split(left, "\n"), strings.Split(right, "\n")
	out := make([]string, h)
	for i := range h {
		l := ll[i]
		out[i] = l + strings.Repeat(" ", max(lw-ansi.StringWidth(l), 0)) + sep + rl[i]
	}
	return strings.Join(out, "\n")
}

// header is the top line: who is logged in and the user token's countdown.
func (m Model) header() string {
	st := m.c.styles
	left := st.Header.Render("slices-tui")
	var user string
	switch {
	case m.status.Locked && m.conn == connLive:
		user = st.Muted.Render("⊘ locked")
	case !m.status.User.LoggedIn:
		user = st.Expired.Render("not logged in") + " · press l to log in"
	default:
		name := m.user.name
		if name == "" {
			name = "logged in"
		}
		user = name
		if m.user.tok != nil {
			lv := m.user.levelOf(m.c)
			s, glyph := st.level(lv)
			user += " · user token " + s.Render(glyph+" "+lifetime.Relative(m.user.tok.exp, m.c.now))
		}
	}
	right := st.Muted.Render(fmt.Sprintf("agent %s · keyring %s", safe(m.status.Version), safe(m.status.Keyring)))
	line := left + "  " + user
	if lipgloss.Width(line)+2+lipgloss.Width(right) <= m.width {
		line += strings.Repeat(" ", m.width-lipgloss.Width(line)-lipgloss.Width(right)) + right
	}
	if m.conn == connLost {
		line = st.Stale.Render(ansi.Strip(line))
	}
	return ansi.Truncate(line, m.width, "…")
}

// noAgentView explains how to start an agent while retrying.
func (m Model) noAgentView() string {
	st := m.c.styles
	if m.conn == connStarting {
		return lipgloss.Place(m.width, m.height, lipgloss.Center, lipgloss.Center, st.Muted.Render("connecting to the agent…"))
	}
	inner := max(m.width-6, 10)
	lines := []string{
		st.Title.Render("No slices-agent is running"),
		"",
		st.Muted.Render("nothing answers at " + safe(m.opts.Socket)),
		"",
		"Start one in your shell with",
		"",
		"  " + st.Key.Render(startCommand),
		"",
		fmt.Sprintf("This screen connects by itself once it answers (retrying every %s).", lifetime.HumanDuration(m.opts.Retry)),
		st.Muted.Render("q to quit"),
	}
	if msg, _ := m.message(); msg != "" {
		lines = append(lines, "", st.Error.Render(msg))
	}
	var out []string
	for _, l := range lines {
		out = append(out, strings.Split(wrap(l, inner), "\n")...)
	}
	box := st.Box.Render(strings.Join(out, "\n"))
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
