package tui

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/list"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"

	"github.com/slices-ri/slices-agent/ipc"
	"github.com/slices-ri/slices-agent/token"
)

// tokenInfo is a token held for display.
type tokenInfo struct {
	raw        string
	dec        *token.Decoded // nil when the token does not decode
	decErr     error          // why it does not decode
	iat, exp   time.Time
	verifiedAt time.Time
	projExp    time.Time // proj_exp of a project token; zero when null or absent
	sig        signature
}

// newTokenInfo decodes t, held for project id ("" for the user token), for display.
func newTokenInfo(t ipc.Token, id string) *tokenInfo {
	ti := &tokenInfo{raw: t.Token, exp: t.ExpiresAt, verifiedAt: t.VerifiedAt}
	if d, err := token.Decode(t.Token); err == nil {
		ti.dec = d
		ti.iat = d.IssuedAt
		if d.HasExpiry() {
			ti.exp = d.ExpiresAt
		}
		if pc, err := d.Project(); err == nil && pc.ProjExp != nil {
			ti.projExp = *pc.ProjExp
		}
	} else {
		ti.decErr = err
	}
	ti.sig = signatureOf(ti, id)
	return ti
}

// row is one project of the list. Rows are pointers so that a countdown or a
// state change shows without rebuilding the list's items.
type row struct {
	p       ipc.Project
	tok     *tokenInfo
	state   string
	lastErr string
}

// signature is the signature state of the row's token.
func (r *row) signature() signature {
	if r.tok == nil {
		why := "no token held"
		if !r.p.Tracked {
			why += ": the project is not tracked"
		}
		return signature{why: why}
	}
	return r.tok.sig
}

// FilterValue is what '/' matches: the name and the id.
func (r *row) FilterValue() string { return r.p.Name + " " + r.p.ID }

// expiresAt is when the row's token expires; zero when there is none.
func (r *row) expiresAt() time.Time {
	if r.tok != nil {
		return r.tok.exp
	}
	if r.p.TokenExpiresAt != nil {
		return *r.p.TokenExpiresAt
	}
	return time.Time{}
}

// projectEnds is when the project ends: expires_at from the portal's list,
// else the token's proj_exp; zero when it never does.
func (r *row) projectEnds() time.Time {
	if r.p.ExpiresAt != nil {
		return *r.p.ExpiresAt
	}
	if r.tok != nil {
		return r.tok.projExp
	}
	return time.Time{}
}

// issuedAt is when the row's token was issued; zero when unknown.
func (r *row) issuedAt() time.Time {
	if r.tok != nil {
		return r.tok.iat
	}
	return time.Time{}
}

// level is how much time a token has left, for colour and glyph.
type level int

const (
	levelUntracked level = iota
	levelPending
	levelPlenty
	levelLow
	levelCritical
	levelExpired
)

// classify places a token expiring at exp (issued at iat, zero if unknown) on
// the scale, relative to its lifetime as token.DefaultPolicy says.
func classify(tracked bool, iat, exp, now time.Time) level {
	switch {
	case !tracked:
		return levelUntracked
	case exp.IsZero():
		return levelPending
	}
	switch token.DefaultPolicy.Stage(iat, exp, now) {
	case token.StageExpired:
		return levelExpired
	case token.StageCritical:
		return levelCritical
	case token.StageExpiring:
		return levelLow
	}
	return levelPlenty
}

// style returns the style and glyph of a level.
func (s Styles) level(l level) (lipgloss.Style, string) {
	switch l {
	case levelPending:
		return s.Muted, "…"
	case levelPlenty:
		return s.Plenty, "●"
	case levelLow:
		return s.Low, "◐"
	case levelCritical:
		return s.Critical, "◔"
	case levelExpired:
		return s.Expired, "✗"
	}
	return s.Untracked, "○"
}

// stateWord names a row's state in text, so that it reads without colour.
func stateWord(state string, l level) string {
	switch {
	case l == levelUntracked:
		return "untracked"
	case l == levelExpired:
		return "expired"
	case state == ipc.StateLoginRequired:
		return "login req."
	case state == ipc.StateRenewing:
		return "renewing"
	case l == levelPending || state == ipc.StatePending:
		return "pending"
	case l == levelCritical, l == levelLow:
		return "expiring"
	}
	return "valid"
}

// timeLeft is the countdown column.
func timeLeft(l level, exp, now time.Time) string {
	switch l {
	case levelUntracked, levelPending:
		return "—"
	case levelExpired:
		return token.HumanDuration(now.Sub(exp)) + " ago"
	}
	return token.HumanDuration(exp.Sub(now))
}

// rowDelegate renders rows on one line each; it is rebuilt when the clock or
// the connection changes.
type rowDelegate struct {
	styles Styles
	now    time.Time
	stale  bool
}

// Height is one line per row.
func (d rowDelegate) Height() int { return 1 }

// Spacing is no blank line between rows.
func (d rowDelegate) Spacing() int { return 0 }

// Update does nothing: keys are handled by the model.
func (d rowDelegate) Update(tea.Msg, *list.Model) tea.Cmd { return nil }

// Column widths of a row.
const (
	colRole  = 7
	colState = 10
	colLeft  = 12
)

// Render writes one row, fitted to the list's width.
func (d rowDelegate) Render(w io.Writer, m list.Model, index int, item list.Item) {
	r, ok := item.(*row)
	if !ok {
		return
	}
	io.WriteString(w, d.line(r, m.Width(), index == m.Index()))
}

// line renders r in width cells.
func (d rowDelegate) line(r *row, width int, selected bool) string {
	exp := r.expiresAt()
	lv := classify(r.p.Tracked, r.issuedAt(), exp, d.now)
	st, glyph, state := r.look(d.styles, lv)
	cursor := "  "
	if selected {
		cursor = "▌ "
	}
	role, left := r.p.Role, timeLeft(lv, exp, d.now)
	nameW, showRole := columns(width)
	name := ansi.Truncate(r.p.Name, nameW, "…")
	var b strings.Builder
	b.WriteString(fmt.Sprintf("%-*s", nameW, name))
	if showRole {
		b.WriteString(" " + fmt.Sprintf("%-*s", colRole, ansi.Truncate(role, colRole, "…")))
	}
	b.WriteString(" " + fmt.Sprintf("%-*s", colState, state))
	b.WriteString(" " + fmt.Sprintf("%*s", colLeft, left))
	body := b.String()
	switch {
	case d.stale:
		return d.styles.Stale.Render(cursor + glyph + " " + body)
	case selected:
		return d.styles.Selected.Render(cursor) + st.Render(glyph) + " " + d.styles.Selected.Render(body)
	}
	return cursor + st.Render(glyph) + " " + st.Render(body)
}

// columns returns the width of the name column and whether the role column
// fits in a row of width cells.
func columns(width int) (nameW int, showRole bool) {
	fixed := 2 + 2 + 1 + colState + 1 + colLeft
	showRole = width-fixed-colRole-1 >= 12
	if showRole {
		fixed += colRole + 1
	}
	return max(width-fixed, 4), showRole
}

// headerLine names the columns of rows width cells wide, aligned with them.
func headerLine(width int) string {
	nameW, showRole := columns(width)
	s := "    " + fmt.Sprintf("%-*s", nameW, "NAME")
	if showRole {
		s += " " + fmt.Sprintf("%-*s", colRole, "ROLE")
	}
	return s + " " + fmt.Sprintf("%-*s", colState, "STATE") + " " + fmt.Sprintf("%*s", colLeft, "TIME LEFT")
}

// substringFilter matches rows whose name or id contains the term, ignoring
// case; unlike fuzzy matching it never shows a row the user did not type.
func substringFilter(term string, targets []string) []list.Rank {
	term = strings.ToLower(term)
	var out []list.Rank
	for i, t := range targets {
		j := strings.Index(strings.ToLower(t), term)
		if j < 0 {
			continue
		}
		idx := make([]int, 0, len(term))
		for k := range len(term) {
			idx = append(idx, j+k)
		}
		out = append(out, list.Rank{Index: i, MatchedIndexes: idx})
	}
	return out
}
