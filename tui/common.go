package tui

import (
	"strconv"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/slices-ri/slices-agent/internal/termtext"
)

// common is what every screen reads and only the root changes: the styles,
// the clock, the time format and what is known of the agent. The root copies
// it into each screen after every message, as soft-serve's common.Common is
// shared.
type common struct {
	styles *Styles // a pointer: common is copied into every screen after every message
	now    time.Time
	times  timeFormat
	stale  bool // the agent went away: rows and detail are the last data, greyed
	locked bool // the agent is locked: it holds tokens but shows none
}

// timeFormat is how absolute times are written; t cycles through them.
type timeFormat int

const (
	timeLocal timeFormat = iota
	timeUTC
	timeEpoch
	timeFormats // how many there are
)

// String names the format, for the footer.
func (f timeFormat) String() string {
	switch f {
	case timeUTC:
		return "UTC"
	case timeEpoch:
		return "epoch seconds"
	}
	return "local time"
}

// stamp writes t in the format, with a relative description after it.
func (c common) stamp(t time.Time, rel string) string {
	if t.IsZero() {
		return "—"
	}
	s := c.clock(t, "2006-01-02 15:04:05 MST")
	if rel == "" {
		return s
	}
	return s + " · " + rel
}

// clock writes t with layout in local time or UTC, or as epoch seconds.
func (c common) clock(t time.Time, layout string) string {
	switch c.times {
	case timeUTC:
		return t.UTC().Format(layout)
	case timeEpoch:
		return strconv.FormatInt(t.Unix(), 10)
	}
	return t.Local().Format(layout)
}

// safe makes a string from outside (the portal, a token, the agent's error
// text) harmless to draw: control characters, bidi overrides and invalid
// UTF-8 are escaped.
func safe(s string) string { return termtext.Escape(s) }

// wrap breaks s into lines of at most width cells, at spaces where it can and
// inside a word only when a word is longer than a line (a project id).
func wrap(s string, width int) string {
	return ansi.Wrap(s, max(width, 1), " -")
}

// indent prefixes every line of s but the first with pad.
func indent(s, pad string) string {
	return strings.ReplaceAll(s, "\n", "\n"+pad)
}
