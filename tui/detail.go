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
)

// detailModel is the pane showing one project's decoded token in a viewport.
type detailModel struct {
	vp     viewport.Model
	styles Styles
	row    *row
	reveal bool
}

// newDetail returns a detail pane for r.
func newDetail(r *row, styles Styles, width, height int) detailModel {
	vp := viewport.New(width, height)
	vp.KeyMap.HalfPageUp = key.NewBinding(key.WithKeys("ctrl+u"))
	vp.KeyMap.HalfPageDown = key.NewBinding(key.WithKeys("ctrl+d"))
	vp.KeyMap.Left.SetEnabled(false)
	vp.KeyMap.Right.SetEnabled(false)
	return detailModel{vp: vp, styles: styles, row: r}
}

// Update scrolls the viewport (keys and mouse wheel).
func (d detailModel) Update(msg tea.Msg) (detailModel, tea.Cmd) {
	var cmd tea.Cmd
	d.vp, cmd = d.vp.Update(msg)
	return d, cmd
}

// SetSize resizes the pane.
func (d *detailModel) SetSize(width, height int) {
	d.vp.Width, d.vp.Height = width, height
}

// Refresh renders the content again at now, keeping the scroll position.
func (d *detailModel) Refresh(now time.Time, stale bool) {
	s := d.content(now)
	if stale {
		s = d.styles.Stale.Render(ansi.Strip(s))
	}
	d.vp.SetContent(s)
}

// View renders the pane.
func (d detailModel) View() string { return d.vp.View() }

// content is the text of the pane at the viewport's width.
func (d detailModel) content(now time.Time) string {
	r, st, w := d.row, d.styles, max(d.vp.Width, 20)
	var b strings.Builder
	field := func(label, value string) {
		lw := lipgloss.Width(st.Label.Render(label))
		b.WriteString(st.Label.Render(label) + ansi.Truncate(value, max(w-lw, 4), "…") + "\n")
	}
	b.WriteString(st.Title.Render(ansi.Truncate(r.p.Name, w, "…")) + "\n")
	if r.p.Description != "" {
		b.WriteString(st.Muted.Render(ansi.Truncate(r.p.Description, w, "…")) + "\n")
	}
	b.WriteString("\n")
	field("Project id", r.p.ID)
	field("Role", r.p.Role)

	exp := r.expiresAt()
	lv := classify(r.p.Tracked, r.issuedAt(), exp, now)
	lst, glyph, word := r.look(st, lv)
	switch {
	case !r.p.Tracked:
		field("Token", lst.Render(glyph+" not tracked")+" · a to track, c to copy (tracks it)")
	case exp.IsZero():
		field("Token", lst.Render(glyph+" "+word)+" · no token yet")
	default:
		field("Token", lst.Render(glyph+" "+word)+" · expires "+token.Relative(exp, now))
	}
	field("Signature", r.signature().render(st, now))
	if r.lastErr != "" {
		field("Last error", st.Error.Render(r.lastErr))
	}
	if !exp.IsZero() {
		iat := r.issuedAt()
		if iat.IsZero() {
			iat = exp.Add(-time.Hour) // unknown lifetime: as token.Policy.Stage assumes
		}
		frac := token.FractionLeft(iat, exp, now)
		bar := d.bar(lv, max(min(w-16, 50), 10)).ViewAs(frac)
		field("Lifetime left", bar)
	}

	var pc token.ProjectClaims
	dec := (*token.Decoded)(nil)
	if r.tok != nil {
		dec = r.tok.dec
	}
	if dec != nil {
		pc, _ = dec.Project()
		if pc.Act.Role != "" {
			field("Acting as", pc.Act.Role)
		}
		if pc.Act.Sub != "" {
			field("User (act.sub)", pc.Act.Sub)
		}
		field("Issuer", dec.Issuer)
		field("Issued (iat)", stamp(dec.IssuedAt, token.When(dec.IssuedAt, now)))
		field("Expires (exp)", stamp(dec.ExpiresAt, token.Relative(dec.ExpiresAt, now)))
	}
	switch {
	case dec != nil && pc.ProjExp != nil:
		field("Project expires", stamp(*pc.ProjExp, token.Relative(*pc.ProjExp, now))+" (proj_exp)")
	case dec != nil:
		field("Project expires", "never (proj_exp: null)")
	case r.p.ExpiresAt != nil:
		field("Project expires", stamp(*r.p.ExpiresAt, token.Relative(*r.p.ExpiresAt, now)))
	default:
		field("Project expires", "never")
	}
	if dec == nil {
		return b.String()
	}
	b.WriteString("\n" + st.Section.Render("Header") + "\n")
	b.WriteString(prettyJSON(dec.HeaderJSON, w))
	b.WriteString("\n" + st.Section.Render("Claims") + "\n")
	b.WriteString(prettyJSON(dec.ClaimsJSON, w))
	b.WriteString("\n" + st.Section.Render("Raw token") + "\n")
	if d.reveal {
		b.WriteString(ansi.Hardwrap(r.tok.raw, w, false) + "\n")
	} else {
		b.WriteString(st.Muted.Render(ansi.Truncate("hidden (…"+token.Tail(r.tok.raw)+") · v to reveal, c to copy", w, "…")) + "\n")
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

// stamp prints t in local time with a relative description.
func stamp(t time.Time, rel string) string {
	if t.IsZero() {
		return "—"
	}
	return t.Local().Format("2006-01-02 15:04:05 MST") + " · " + rel
}

// prettyJSON indents raw JSON (keeping its order) and wraps it at width.
func prettyJSON(raw []byte, width int) string {
	var buf bytes.Buffer
	if err := json.Indent(&buf, raw, "", "  "); err != nil {
		return fmt.Sprintf("(not JSON: %v)\n", err)
	}
	return ansi.Hardwrap(buf.String(), width, true) + "\n"
}
