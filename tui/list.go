package tui

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
)

// listKeys is the list screen's KeyMap.
type listKeys struct {
	Up, Down, PageUp, PageDown, Home, End key.Binding
	Filter, ClearFilter, Accept           key.Binding
	Open, Reveal, Copy                    key.Binding
	Renew, Track, Untrack                 key.Binding
}

// newListKeys takes the list's bindings from k.
func newListKeys(k KeyMap) listKeys {
	return listKeys{Up: k.Up, Down: k.Down, PageUp: k.PageUp, PageDown: k.PageDown, Home: k.Home, End: k.End,
		Filter: k.Filter, ClearFilter: key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "clear filter")),
		Accept: key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "apply filter")),
		Open:   k.Open, Reveal: k.Reveal, Copy: k.CopyProject, Renew: k.Renew, Track: k.Track, Untrack: k.Untrack}
}

// ShortHelp implements help.KeyMap: the keys that do something now.
func (k listKeys) ShortHelp() []key.Binding {
	return []key.Binding{k.Accept, k.ClearFilter, k.Open, k.Filter, k.Copy, k.Renew, k.Track, k.Untrack, k.Reveal}
}

// FullHelp implements help.KeyMap.
func (k listKeys) FullHelp() [][]key.Binding {
	return [][]key.Binding{
		{k.Up, k.Down, k.PageUp, k.PageDown, k.Home, k.End},
		{k.Filter, k.ClearFilter, k.Open, k.Reveal},
		{k.Copy, k.Renew, k.Track, k.Untrack},
	}
}

// listModel is the list of projects: sorted, filtered, with a cursor that
// stays on its project when rows move.
type listModel struct {
	c         common
	keys      listKeys
	all       []*row
	visible   []*row
	matched   map[*row][]int
	cursor    int
	selID     string
	offset    int
	width     int
	height    int
	input     textinput.Model
	filtering bool // typing a filter
	q         query
	empty     string // said after "No projects." (how to get some)
}

// newList returns an empty list.
func newList(c common, k KeyMap) listModel {
	in := textinput.New()
	in.Prompt = "Filter: "
	in.Placeholder = "name, role:lead, state:expiring"
	return listModel{c: c, keys: newListKeys(k), input: in, width: 80, height: 10}
}

// SetSize sets the cells the list draws in.
func (l *listModel) SetSize(w, h int) {
	l.width, l.height = w, max(h, 2)
	l.input.Width = max(w-lipgloss.Width(l.input.Prompt)-5, 4)
	l.scroll()
}

// SetRows replaces the rows (shared with the root) and keeps the cursor on its project.
func (l *listModel) SetRows(rows []*row) {
	l.all = rows
	l.refresh()
}

// refresh sorts and filters the rows again, as their states change.
func (l *listModel) refresh() {
	sortRows(l.all)
	// New slices and maps: a copy of the model (Update works on values)
	// keeps its own.
	l.visible = make([]*row, 0, len(l.all))
	l.matched = nil
	for _, r := range l.all {
		if ok, idx := l.q.match(r, l.c); ok {
			l.visible = append(l.visible, r)
			if idx != nil {
				if l.matched == nil {
					l.matched = make(map[*row][]int)
				}
				l.matched[r] = idx
			}
		}
	}
	l.cursor = 0
	for i, r := range l.visible {
		if r.p.ID == l.selID {
			l.cursor = i
		}
	}
	l.setCursor(l.cursor)
}

// setCursor moves the cursor to i (clamped) and scrolls it into view.
func (l *listModel) setCursor(i int) {
	l.cursor = min(max(i, 0), max(len(l.visible)-1, 0))
	if r := l.selected(); r != nil {
		l.selID = r.p.ID
	}
	l.scroll()
}

// scroll keeps the cursor within the rows shown.
func (l *listModel) scroll() {
	rows := l.rowsShown()
	if l.cursor < l.offset {
		l.offset = l.cursor
	}
	if l.cursor >= l.offset+rows {
		l.offset = l.cursor - rows + 1
	}
	l.offset = max(min(l.offset, len(l.visible)-rows), 0)
}

// rowsShown is how many rows fit under the column names.
func (l listModel) rowsShown() int { return max(l.height-1, 1) }

// selected is the project under the cursor, or nil.
func (l listModel) selected() *row {
	if l.cursor < len(l.visible) {
		return l.visible[l.cursor]
	}
	return nil
}

// Filtering tells whether keys go to the filter being typed.
func (l listModel) Filtering() bool { return l.filtering }

// Update handles a key; what needs the agent goes to the root as an intent.
func (l listModel) Update(msg tea.Msg) (listModel, tea.Cmd) {
	km, ok := msg.(tea.KeyMsg)
	if !ok {
		return l, nil
	}
	k := l.keys
	if l.filtering {
		switch {
		case km.Type == tea.KeyEsc:
			l.filtering, l.q = false, query{}
			l.input.SetValue("")
			l.input.Blur()
		case km.Type == tea.KeyEnter:
			l.filtering = false
			l.input.Blur()
		default:
			var cmd tea.Cmd
			l.input, cmd = l.input.Update(km)
			l.q = parseQuery(l.input.Value())
			l.refresh()
			return l, cmd
		}
		l.refresh()
		return l, nil
	}
	r := l.selected()
	switch {
	case key.Matches(km, k.Up):
		l.setCursor(l.cursor - 1)
	case key.Matches(km, k.Down):
		l.setCursor(l.cursor + 1)
	case key.Matches(km, k.PageUp):
		l.setCursor(l.cursor - l.rowsShown())
	case key.Matches(km, k.PageDown):
		l.setCursor(l.cursor + l.rowsShown())
	case key.Matches(km, k.Home):
		l.setCursor(0)
	case key.Matches(km, k.End):
		l.setCursor(len(l.visible) - 1)
	case key.Matches(km, k.Filter):
		l.filtering = true
		return l, l.input.Focus()
	case key.Matches(km, k.ClearFilter) && !l.q.empty():
		l.q = query{}
		l.input.SetValue("")
		l.refresh()
	case r == nil:
	case key.Matches(km, k.Open):
		return l, ask(intentOpen, r)
	case key.Matches(km, k.Reveal):
		return l, ask(intentReveal, r)
	case key.Matches(km, k.Copy):
		return l, ask(intentCopy, r)
	case key.Matches(km, k.Renew):
		return l, ask(intentRenew, r)
	case key.Matches(km, k.Track):
		return l, ask(intentTrack, r)
	case key.Matches(km, k.Untrack):
		return l, ask(intentUntrack, r)
	}
	return l, nil
}

// Keys is the KeyMap as it stands: only keys that do something now are enabled.
func (l listModel) Keys() listKeys {
	k := l.keys
	has := l.selected() != nil
	for _, b := range []*key.Binding{&k.Open, &k.Reveal, &k.Copy, &k.Renew, &k.Track, &k.Untrack} {
		b.SetEnabled(has && !l.filtering)
	}
	if r := l.selected(); r != nil {
		k.Track.SetEnabled(!r.p.Tracked && !l.filtering)
		k.Untrack.SetEnabled(r.p.Tracked && !l.filtering)
		k.Renew.SetEnabled(r.p.Tracked && !l.filtering)
	}
	if l.c.locked || l.c.stale { // they would only say why they cannot
		for _, b := range []*key.Binding{&k.Reveal, &k.Copy, &k.Renew, &k.Track, &k.Untrack} {
			b.SetEnabled(false)
		}
	}
	k.Accept.SetEnabled(l.filtering)
	k.ClearFilter.SetEnabled(l.filtering || !l.q.empty())
	for _, b := range []*key.Binding{&k.Up, &k.Down, &k.PageUp, &k.PageDown, &k.Home, &k.End, &k.Filter} {
		b.SetEnabled(!l.filtering)
	}
	return k
}

// Status is the list's line for the status bar: the position ("12/200") and
// the filter.
func (l listModel) Status() string {
	n, total := len(l.visible), len(l.all)
	pos := 0
	if n > 0 {
		pos = l.cursor + 1
	}
	tracked := 0
	for _, r := range l.all {
		if r.p.Tracked {
			tracked++
		}
	}
	if l.q.empty() {
		return fmt.Sprintf("%d/%d projects · %d tracked", pos, total, tracked)
	}
	return fmt.Sprintf("%d/%d matching “%s” · %d projects · esc clears", pos, n, strings.TrimSpace(safe(l.input.Value())), total)
}

// View draws the column names (or the filter being typed) and the rows.
func (l listModel) View() string {
	st := l.c.styles
	var lines []string
	switch {
	case l.filtering:
		lines = append(lines, "  "+l.input.View())
	case l.c.stale:
		lines = append(lines, st.Stale.Render(headerLine(l.width)))
	default:
		lines = append(lines, st.Muted.Render(headerLine(l.width)))
	}
	switch {
	case len(l.all) == 0:
		lines = append(lines, st.Muted.Render("  No projects."+l.empty))
	case len(l.visible) == 0:
		lines = append(lines, st.Muted.Render(ansi.Truncate("  No project matches “"+safe(l.input.Value())+"”: esc clears the filter", l.width, "…")))
	}
	end := min(l.offset+l.rowsShown(), len(l.visible))
	for i := l.offset; i < end; i++ {
		r := l.visible[i]
		lines = append(lines, r.line(l.c, l.width, i == l.cursor, l.matched[r]))
	}
	return strings.Join(lines, "\n")
}
