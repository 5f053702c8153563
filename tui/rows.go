package tui

import (
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"

	"github.com/slices-ri/slices-agent/ipc"
	"github.com/slices-ri/slices-agent/token"
	"github.com/slices-ri/slices-agent/token/lifetime"
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

// row is one project of the list, or the user token (user set). Rows are
// pointers shared by the root and the screens, so that a countdown or a
// state change shows without rebuilding anything.
type row struct {
	p       ipc.Project // as the agent gave it; p.ID and p.Name go back to the agent
	name    string      // p.Name escaped for the terminal, or the id when there is none
	key     string      // name in lower case, to sort and filter by
	desc    string      // p.Description escaped
	role    string      // p.Role escaped
	tok     *tokenInfo
	state   string
	lastErr string    // in words, escaped
	renewed time.Time // when the agent last said it renewed this token
	iat     time.Time // when the token's lifetime began, as the agent's status says
	user    bool      // the user token, not a project
}

// setProject takes the portal's description of the project.
func (r *row) setProject(p ipc.Project) {
	r.p = p
	r.name, r.desc, r.role = safe(p.Name), safe(p.Description), safe(p.Role)
	if r.name == "" {
		r.name = safe(p.ID)
	}
	r.key = strings.ToLower(r.name)
}

// signature is the signature state of the row's token.
func (r *row) signature() signature {
	if r.tok == nil {
		why := "no token held"
		if !r.p.Tracked && !r.user {
			why += ": the project is not tracked"
		}
		return signature{why: why}
	}
	return r.tok.sig
}

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
	if r.tok != nil && !r.tok.iat.IsZero() {
		return r.tok.iat
	}
	return r.iat
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
	levelLocked
)

// classify places a token expiring at exp (issued at iat, zero if unknown) on
// the scale, relative to its lifetime as lifetime.DefaultPolicy says.
func classify(tracked bool, iat, exp, now time.Time) level {
	switch {
	case !tracked:
		return levelUntracked
	case exp.IsZero():
		return levelPending
	}
	switch lifetime.DefaultPolicy.Stage(iat, exp, now) {
	case lifetime.StageExpired:
		return levelExpired
	case lifetime.StageCritical:
		return levelCritical
	case lifetime.StageExpiring:
		return levelLow
	}
	return levelPlenty
}

// levelOf is the row's level as c sees it: locked hides every token.
func (r *row) levelOf(c common) level {
	if c.locked && (r.p.Tracked || r.user) {
		return levelLocked
	}
	return classify(r.p.Tracked || r.user, r.issuedAt(), r.expiresAt(), c.now)
}

// level returns the style and glyph of a level.
func (s *Styles) level(l level) (lipgloss.Style, string) {
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
	case levelLocked:
		return s.Muted, "⊘"
	}
	return s.Untracked, "○"
}

// stateWord names a row's state in text, so that it reads without colour.
func stateWord(state string, l level) string {
	switch {
	case l == levelLocked:
		return "locked"
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
	case levelUntracked, levelPending, levelLocked:
		return "—"
	case levelExpired:
		return lifetime.HumanDuration(now.Sub(exp)) + " ago"
	}
	return lifetime.HumanDuration(exp.Sub(now))
}

// renewedCue is how long a row says "renewed" after a renewal.
const renewedCue = 3 * time.Second

// Column widths of a row.
const (
	colRole  = 7
	colState = 10
	colLeft  = 12
)

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

// line renders r in width cells: a full-width bar when selected, the
// characters of the name that matched the filter (at byte offsets in
// matched) underlined.
func (r *row) line(c common, width int, selected bool, matched []int) string {
	st := c.styles
	lv := r.levelOf(c)
	lst, glyph, state := r.look(st, lv)
	left := timeLeft(lv, r.expiresAt(), c.now)
	if !r.renewed.IsZero() && c.now.Sub(r.renewed) < renewedCue && c.now.Sub(r.renewed) >= 0 && !c.locked {
		glyph, state = "↻", "renewed"
	}
	cursor := "  "
	if selected {
		cursor = "▌ "
	}
	nameW, showRole := columns(width)
	base := lst
	switch {
	case c.stale:
		base, lst = st.Stale, st.Stale
	case selected:
		base, lst = st.Selected, st.Selected
	}
	var b strings.Builder
	b.WriteString(base.Render(cursor) + lst.Render(glyph) + base.Render(" "))
	b.WriteString(highlight(r.name, nameW, matched, base, base.Underline(true)))
	rest := ""
	if showRole {
		rest += " " + fmt.Sprintf("%-*s", colRole, ansi.Truncate(r.role, colRole, "…"))
	}
	rest += " " + fmt.Sprintf("%-*s", colState, state) + " " + fmt.Sprintf("%*s", colLeft, left)
	b.WriteString(base.Render(rest))
	return b.String()
}

// highlight writes name in w cells (cut with "…", padded with spaces), the
// bytes at matched in hi and the rest in base.
func highlight(name string, w int, matched []int, base, hi lipgloss.Style) string {
	cut := ansi.Truncate(name, w, "…")
	pad := strings.Repeat(" ", max(w-ansi.StringWidth(cut), 0))
	if len(matched) == 0 {
		return base.Render(cut + pad)
	}
	in := make(map[int]bool, len(matched))
	for _, i := range matched {
		in[i] = true
	}
	var b strings.Builder
	var run strings.Builder
	runHi := false
	flush := func() {
		if run.Len() == 0 {
			return
		}
		if runHi {
			b.WriteString(hi.Render(run.String()))
		} else {
			b.WriteString(base.Render(run.String()))
		}
		run.Reset()
	}
	for i, ch := range cut {
		h := in[i] && i < len(cut)
		if h != runHi {
			flush()
			runHi = h
		}
		run.WriteRune(ch)
	}
	flush()
	return b.String() + base.Render(pad)
}
