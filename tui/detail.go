package tui

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/progress"
	"github.com/charmbracelet/bubbles/viewport"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"

	"github.com/slices-ri/slices-agent/token"
	"github.com/slices-ri/slices-agent/token/lifetime"
)

// detailKeys is the detail pane's KeyMap.
type detailKeys struct {
	Back, Up, Down, PageUp, PageDown, Home, End  key.Binding
	Reveal, OneLine, Copy, Renew, Track, Untrack key.Binding
}

// newDetailKeys takes the detail pane's bindings from k.
func newDetailKeys(k KeyMap) detailKeys {
	return detailKeys{Back: k.Back, Up: k.Up, Down: k.Down, PageUp: k.PageUp, PageDown: k.PageDown, Home: k.Home, End: k.End,
		Reveal: k.Reveal, OneLine: k.OneLine, Copy: k.CopyProject, Renew: k.Renew, Track: k.Track, Untrack: k.Untrack}
}

// ShortHelp implements help.KeyMap.
func (k detailKeys) ShortHelp() []key.Binding {
	return []key.Binding{k.Back, k.Reveal, k.OneLine, k.Copy, k.Renew, k.Track, k.Untrack, k.Home, k.End}
}

// FullHelp implements help.KeyMap.
func (k detailKeys) FullHelp() [][]key.Binding {
	return [][]key.Binding{{k.Up, k.Down, k.PageUp, k.PageDown, k.Home, k.End}, {k.Back, k.Reveal, k.OneLine, k.Copy, k.Renew, k.Track, k.Untrack}}
}

// detailModel is the pane showing one token (a project's or the user's),
// decoded, in a viewport.
type detailModel struct {
	c         common
	keys      detailKeys
	vp        viewport.Model
	row       *row
	reveal    bool
	tokenLine int  // the line of the content where the raw token starts
	toToken   bool // scroll to the token at the next refresh
}

// newDetail returns an empty pane.
func newDetail(c common, k KeyMap) detailModel {
	vp := viewport.New(80, 10)
	vp.KeyMap = viewport.KeyMap{} // keys are matched here, from detailKeys
	return detailModel{c: c, keys: newDetailKeys(k), vp: vp}
}

// Show puts r in the pane, from the top, its token hidden unless reveal.
func (d *detailModel) Show(r *row, reveal bool) {
	if d.row != r {
		d.vp.GotoTop()
	}
	d.row, d.reveal = r, false
	if reveal {
		d.Reveal()
	}
	d.Refresh()
}

// Reveal shows the token and scrolls it into view.
func (d *detailModel) Reveal() {
	d.reveal, d.toToken = true, true
}

// Hide hides a revealed token.
func (d *detailModel) Hide() { d.reveal = false }

// SetSize resizes the pane.
func (d *detailModel) SetSize(width, height int) {
	d.vp.Width, d.vp.Height = max(width, 1), max(height, 1)
	d.Refresh()
}

// canReveal tells whether there is a token to show, and why not.
func (d detailModel) canReveal() (bool, string) {
	switch {
	case d.row == nil:
		return false, ""
	case d.c.locked:
		return false, "the agent is locked: it shows no token until 'slices-agent unlock'"
	case d.row.tok == nil && d.row.user:
		return false, "no user token: press l to log in"
	case d.row.tok == nil && !d.row.p.Tracked:
		return false, d.row.name + " is not tracked: press a to track it, or c to copy (which tracks it)"
	case d.row.tok == nil:
		return false, "no token held for " + d.row.name + " yet"
	}
	return true, ""
}

// Update scrolls and handles the pane's keys.
func (d detailModel) Update(msg tea.Msg) (detailModel, tea.Cmd) {
	km, ok := msg.(tea.KeyMsg)
	if !ok || d.row == nil {
		return d, nil
	}
	k := d.keys
	switch {
	case key.Matches(km, k.Back):
		return d, ask(intentBack, d.row)
	case key.Matches(km, k.Up):
		d.vp.ScrollUp(1)
	case key.Matches(km, k.Down):
		d.vp.ScrollDown(1)
	case key.Matches(km, k.PageUp):
		d.vp.PageUp()
	case key.Matches(km, k.PageDown):
		d.vp.PageDown()
	case key.Matches(km, k.Home):
		d.vp.GotoTop()
	case key.Matches(km, k.End):
		d.vp.GotoBottom()
	case key.Matches(km, k.Reveal):
		if d.reveal {
			d.reveal = false
			break
		}
		if ok, why := d.canReveal(); !ok {
			return d, say(d.row, why, true)
		}
		d.Reveal()
	case key.Matches(km, k.OneLine):
		if ok, why := d.canReveal(); !ok {
			return d, say(d.row, why, true)
		}
		return d, ask(intentOneLine, d.row)
	case key.Matches(km, k.Copy):
		return d, ask(intentCopy, d.row)
	case key.Matches(km, k.Renew):
		return d, ask(intentRenew, d.row)
	case key.Matches(km, k.Track) && !d.row.user:
		return d, ask(intentTrack, d.row)
	case key.Matches(km, k.Untrack) && !d.row.user:
		return d, ask(intentUntrack, d.row)
	}
	d.Refresh()
	return d, nil
}

// Keys is the KeyMap as it stands.
func (d detailModel) Keys() detailKeys {
	k := d.keys
	r := d.row
	if r == nil {
		return detailKeys{}
	}
	can, _ := d.canReveal()
	k.Reveal.SetEnabled(can || d.reveal)
	k.OneLine.SetEnabled(can && !d.c.stale)
	if d.reveal {
		k.Reveal.SetHelp("v", "hide token")
	}
	k.Track.SetEnabled(!r.user && !r.p.Tracked)
	k.Untrack.SetEnabled(!r.user && r.p.Tracked)
	k.Renew.SetEnabled(r.user || r.p.Tracked)
	if d.c.locked || d.c.stale { // they would only say why they cannot
		for _, b := range []*key.Binding{&k.Copy, &k.Renew, &k.Track, &k.Untrack} {
			b.SetEnabled(false)
		}
	}
	scrolls := d.vp.TotalLineCount() > d.vp.Height
	for _, b := range []*key.Binding{&k.Home, &k.End, &k.Up, &k.Down, &k.PageUp, &k.PageDown} {
		b.SetEnabled(scrolls)
	}
	return k
}

// Status is the scroll position, for the status bar.
func (d detailModel) Status() string {
	total := d.vp.TotalLineCount()
	if total <= d.vp.Height {
		return "all shown"
	}
	first := d.vp.YOffset + 1
	last := min(d.vp.YOffset+d.vp.Height, total)
	return fmt.Sprintf("lines %d–%d of %d · %d%%", first, last, total, int(d.vp.ScrollPercent()*100+0.5))
}

// Refresh renders the content again, keeping the scroll position (or moving
// to the token after a reveal).
func (d *detailModel) Refresh() {
	if d.row == nil {
		d.vp.SetContent("")
		return
	}
	s := d.content()
	if d.c.stale {
		s = d.c.styles.Stale.Render(ansi.Strip(s))
	}
	d.vp.SetContent(s)
	d.vp.SetYOffset(d.vp.YOffset) // the content may have shrunk (a token dropped)
	if d.toToken && d.reveal {
		d.vp.SetYOffset(max(d.tokenLine-2, 0))
	}
	d.toToken = false
}

// View renders the pane.
func (d detailModel) View() string { return d.vp.View() }

// content is the text of the pane at the viewport's width; it notes where
// the raw token starts.
func (d *detailModel) content() string {
	r, c, st, w := d.row, d.c, d.c.styles, max(d.vp.Width, 20)
	var b strings.Builder
	lines := 0
	write := func(s string) {
		b.WriteString(s)
		lines += strings.Count(s, "\n")
	}
	field := func(label, value string) {
		lw := lipgloss.Width(st.Label.Render(label))
		v := indent(wrap(value, max(w-lw, 8)), strings.Repeat(" ", lw))
		write(st.Label.Render(label) + v + "\n")
	}
	title := r.name
	if r.user {
		title = "User token"
	}
	write(st.Title.Render(ansi.Truncate(title, w, "…")) + "\n")
	if r.desc != "" {
		write(st.Muted.Render(wrap(r.desc, w)) + "\n")
	}
	write("\n")
	if r.user {
		field("User", r.name)
		field("Subject", safe(r.p.ID))
	} else {
		field("Project id", safe(r.p.ID))
		field("Role", r.role)
	}

	exp := r.expiresAt()
	lv := r.levelOf(c)
	lst, glyph, word := r.look(st, lv)
	switch {
	case lv == levelLocked:
		field("Token", lst.Render(glyph+" locked")+" · the agent shows no token until 'slices-agent unlock'")
	case r.user && r.tok == nil && r.p.ID == "":
		field("Token", st.Expired.Render("not logged in")+" · press l to log in")
	case !r.p.Tracked && !r.user:
		field("Token", lst.Render(glyph+" not tracked")+" · a to track, c to copy (tracks it)")
	case exp.IsZero():
		field("Token", lst.Render(glyph+" "+word)+" · no token yet")
	case !exp.After(c.now):
		field("Token", lst.Render(glyph+" "+word)+" · "+lifetime.Relative(exp, c.now))
	default:
		field("Token", lst.Render(glyph+" "+word)+" · expires "+lifetime.Relative(exp, c.now))
	}
	if lv != levelLocked {
		field("Signature", r.signature().render(c))
	}
	if r.lastErr != "" {
		field("Last error", st.Error.Render(r.lastErr))
	}
	if !exp.IsZero() && lv != levelLocked {
		iat := r.issuedAt()
		if iat.IsZero() {
			iat = exp.Add(-time.Hour) // unknown lifetime: as lifetime.Policy.Stage assumes
		}
		frac := lifetime.FractionLeft(iat, exp, c.now)
		field("Lifetime left", d.bar(lv, max(min(w-16, 50), 10)).ViewAs(frac))
	}

	var pc token.ProjectClaims
	var dec *token.Decoded
	if r.tok != nil {
		dec = r.tok.dec
	}
	if dec != nil {
		if !r.user {
			pc, _ = dec.Project()
			if pc.Act.Role != "" {
				field("Acting as", safe(pc.Act.Role))
			}
			if pc.Act.Sub != "" {
				field("User (act.sub)", safe(pc.Act.Sub))
			}
		}
		field("Issuer", safe(dec.Issuer))
		field("Issued (iat)", c.stamp(dec.IssuedAt, lifetime.When(dec.IssuedAt, c.now)))
		field("Expires (exp)", c.stamp(dec.ExpiresAt, lifetime.Relative(dec.ExpiresAt, c.now)))
	}
	if !r.user {
		switch {
		case dec != nil && pc.ProjExp != nil:
			field("Project expires", c.stamp(*pc.ProjExp, lifetime.Relative(*pc.ProjExp, c.now))+" (proj_exp)")
		case dec != nil:
			field("Project expires", "never (proj_exp: null)")
		case r.p.ExpiresAt != nil:
			field("Project expires", c.stamp(*r.p.ExpiresAt, lifetime.Relative(*r.p.ExpiresAt, c.now)))
		default:
			field("Project expires", "never")
		}
	}
	if dec == nil {
		return b.String()
	}
	write("\n" + st.Section.Render("Header") + "\n")
	write(prettyJSON(dec.HeaderJSON, w))
	write("\n" + st.Section.Render("Claims") + "\n")
	write(prettyJSON(dec.ClaimsJSON, w))
	write("\n" + st.Section.Render("Raw token") + "\n")
	if d.reveal {
		write(st.Muted.Render(ansi.Truncate(fmt.Sprintf("%d characters · c copies it · V shows it alone, one line to select · v hides it", len(r.tok.raw)), w, "…")) + "\n")
		d.tokenLine = lines
		// No indent and no margin: the lines are the token, cut only at the
		// width of the pane.
		write(ansi.Hardwrap(safe(r.tok.raw), d.vp.Width, false) + "\n")
	} else {
		write(st.Muted.Render(ansi.Truncate("hidden (…"+safe(token.Tail(r.tok.raw))+") · v to reveal, c to copy", w, "…")) + "\n")
	}
	return b.String()
}

// bar is the lifetime progress bar in the colour of lv.
func (d detailModel) bar(lv level, width int) progress.Model {
	colours := map[level]string{levelPlenty: "#5fd787", levelLow: "#ffd75f", levelCritical: "#ff8700", levelExpired: "#ff5f5f"}
	c, ok := colours[lv]
	if !ok {
		c = "#6c6c6c"
	}
	return progress.New(progress.WithSolidFill(c), progress.WithWidth(width),
		progress.WithColorProfile(lipgloss.ColorProfile()))
}

// prettyJSON indents raw JSON (keeping its order), escapes what a terminal
// would act on and wraps it at width.
func prettyJSON(raw []byte, width int) string {
	var buf bytes.Buffer
	if err := json.Indent(&buf, raw, "", "  "); err != nil {
		return safe(fmt.Sprintf("(not JSON: %v)", err)) + "\n"
	}
	lines := strings.Split(buf.String(), "\n")
	for i, l := range lines {
		lines[i] = safe(l)
	}
	return ansi.Hardwrap(strings.Join(lines, "\n"), width, true) + "\n"
}
