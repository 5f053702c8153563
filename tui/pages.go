package tui

import (
	"strings"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/viewport"
	tea "github.com/charmbracelet/bubbletea"
)

// pageModel is a scrolling page of text: the warnings screen and the help
// screen are each one, with a KeyMap of their own.
type pageModel struct {
	c    common
	vp   viewport.Model
	back key.Binding
	up   key.Binding
	down key.Binding
}

// newPage returns an empty page answering to k's Back, Up and Down.
func newPage(c common, k KeyMap) pageModel {
	vp := viewport.New(80, 10)
	vp.KeyMap = viewport.KeyMap{}
	return pageModel{c: c, vp: vp, back: k.Back, up: k.Up, down: k.Down}
}

// SetSize resizes the page.
func (p *pageModel) SetSize(w, h int) { p.vp.Width, p.vp.Height = max(w, 1), max(h, 1) }

// SetContent replaces the text, keeping the scroll position where it can.
func (p *pageModel) SetContent(s string) {
	p.vp.SetContent(s)
	p.vp.SetYOffset(p.vp.YOffset)
}

// Update scrolls, and asks the root to close the page on Back.
func (p pageModel) Update(msg tea.Msg) (pageModel, tea.Cmd) {
	km, ok := msg.(tea.KeyMsg)
	if !ok {
		return p, nil
	}
	switch {
	case key.Matches(km, p.back):
		return p, ask(intentBack, nil)
	case key.Matches(km, p.up):
		p.vp.ScrollUp(1)
	case key.Matches(km, p.down):
		p.vp.ScrollDown(1)
	}
	return p, nil
}

// View draws the page.
func (p pageModel) View() string { return p.vp.View() }

// warningsModel is the screen listing every warning.
type warningsModel struct{ pageModel }

// Keys is the warnings screen's KeyMap.
func (w warningsModel) Keys() warningsKeys {
	return warningsKeys{Back: w.back, Up: w.up, Down: w.down, Login: key.NewBinding(key.WithDisabled())}
}

// Update handles the screen's keys.
func (w warningsModel) Update(msg tea.Msg) (warningsModel, tea.Cmd) {
	var cmd tea.Cmd
	w.pageModel, cmd = w.pageModel.Update(msg)
	return w, cmd
}

// helpModel is the screen listing every key of the screen it was opened
// from, and the global ones.
type helpModel struct {
	pageModel
	title string
}

// Keys is the help screen's KeyMap.
func (h helpModel) Keys() helpKeys { return helpKeys{Back: h.back, Up: h.up, Down: h.down} }

// Update handles the screen's keys; '?' closes it too.
func (h helpModel) Update(msg tea.Msg) (helpModel, tea.Cmd) {
	if km, ok := msg.(tea.KeyMsg); ok && km.String() == "?" {
		return h, ask(intentBack, nil)
	}
	var cmd tea.Cmd
	h.pageModel, cmd = h.pageModel.Update(msg)
	return h, cmd
}

// Show fills the page with the keys of a screen (titled) and the global keys.
func (h *helpModel) Show(title string, screen help.KeyMap, global []key.Binding) {
	st := h.c.styles
	hm := help.New()
	hm.Width = h.vp.Width
	var b strings.Builder
	b.WriteString(st.Title.Render("Keys: "+title) + "\n\n")
	b.WriteString(hm.FullHelpView(screen.FullHelp()) + "\n\n")
	b.WriteString(st.Title.Render("Everywhere") + "\n\n")
	b.WriteString(hm.FullHelpView(splitColumns(global, 4)) + "\n\n")
	b.WriteString(st.Muted.Render(wrap("Filter the list with words of a name or id, role:ROLE and state:STATE "+
		"(fresh, expiring, critical, expired, tracked, untracked, failing, locked), e.g. “role:lead state:expiring dev”.", h.vp.Width)) + "\n")
	h.title = title
	h.SetContent(b.String())
	h.vp.GotoTop()
}

// splitColumns cuts bindings into columns of at most n.
func splitColumns(bs []key.Binding, n int) [][]key.Binding {
	var out [][]key.Binding
	for len(bs) > n {
		out = append(out, bs[:n])
		bs = bs[n:]
	}
	return append(out, bs)
}
