// Package segment is the text of 'slices-agent prompt': a short segment
// for a shell prompt ("slices:ilabt-dev 42m"), drawn from the agent's
// status and coloured by the renewal policy. It is shared by the command
// line and by the slices-agent front end, which answers prompt without
// linking the rest of the program, so it imports only the standard library,
// the status types of package wire, the policy and termtext.
package segment

import (
	"io"
	"os"
	"strings"
	"time"

	"github.com/slices-ri/slices-agent/internal/termtext"
	"github.com/slices-ri/slices-agent/ipc/wire"
	"github.com/slices-ri/slices-agent/token/lifetime"
)

// Timeout is how long a prompt waits for the agent before it gives up and
// prints nothing: a prompt must never stall a shell.
const Timeout = 50 * time.Millisecond

// DefaultFormat is "slices:ilabt-dev 42m".
const DefaultFormat = "slices:%n %l"

// FormatHelp and ColorHelp describe --format and --color.
const (
	FormatHelp = "`FMT`: %n name, %l time left, %s state, %r role, %% a percent sign"
	ColorHelp  = "`WHEN` to colour: auto (when stdout is a terminal), always, never, bash or zsh (escapes wrapped for PS1/PROMPT)"
)

// ValidColor reports whether when is a --color value: auto, always, never,
// bash or zsh.
func ValidColor(when string) bool {
	switch when {
	case "auto", "always", "never", "bash", "zsh":
		return true
	}
	return false
}

// Line is what the prompt prints for st: the user token, or the tracked
// project ref (id or name), expanded into format and, when colored, painted
// for the shell named by color. ok is false when there is nothing to show.
func Line(st wire.Status, ref, format, color string, colored bool, now time.Time) (line string, ok bool) {
	seg, ok := pick(st, ref, now)
	if !ok {
		return "", false
	}
	if color == "zsh" {
		// zsh reads % sequences in what a PROMPT substitution prints.
		seg.name, seg.role = strings.ReplaceAll(seg.name, "%", "%%"), strings.ReplaceAll(seg.role, "%", "%%")
	}
	out := expand(format, seg)
	if colored {
		out = paint(out, seg, color)
	}
	return out, true
}

// segment is what a prompt shows of one token.
type segment struct {
	name, role, state string
	left              time.Duration // 0 when unknown
	known             bool
	stage             lifetime.Stage // by the renewal policy, when known
}

// pick finds what to show: the user token, or a tracked project by id or name.
func pick(st wire.Status, ref string, now time.Time) (segment, bool) {
	if st.Locked {
		return segment{name: "locked", state: "locked"}, true
	}
	if !st.User.LoggedIn {
		return segment{}, false
	}
	if ref == "" {
		name := st.User.Name
		if name == "" {
			name = "user"
		}
		return newSegment(name, "", st.User.State, st.User.IssuedAt, st.User.ExpiresAt, now), true
	}
	for _, p := range st.Projects {
		if p.ID == ref || p.Name == ref {
			return newSegment(p.Name, p.Role, p.State, p.IssuedAt, p.ExpiresAt, now), true
		}
	}
	return segment{}, false
}

// newSegment builds a segment from the agent's status; names and roles came
// from the portal and are escaped before a prompt shows them.
func newSegment(name, role, state string, iat, exp *time.Time, now time.Time) segment {
	s := segment{name: termtext.Escape(name), role: termtext.Escape(role), state: termtext.Escape(state)}
	if exp != nil {
		var issued time.Time // unknown to an older agent
		if iat != nil {
			issued = *iat
		}
		s.left, s.known = exp.Sub(now), true
		s.stage = lifetime.DefaultPolicy.Stage(issued, *exp, now)
	}
	return s
}

// expand fills in the format's verbs.
func expand(format string, s segment) string {
	var b strings.Builder
	for i := 0; i < len(format); i++ {
		if format[i] != '%' || i+1 == len(format) {
			b.WriteByte(format[i])
			continue
		}
		i++
		switch format[i] {
		case 'n':
			b.WriteString(s.name)
		case 'l':
			b.WriteString(s.leftText())
		case 's':
			b.WriteString(s.state)
		case 'r':
			b.WriteString(s.role)
		case '%':
			b.WriteByte('%')
		default:
			b.WriteByte('%')
			b.WriteByte(format[i])
		}
	}
	return strings.TrimSpace(b.String())
}

func (s segment) leftText() string {
	switch {
	case s.state == "locked":
		return ""
	case !s.known:
		return s.state
	case s.left <= 0:
		return "expired"
	}
	return lifetime.ShortDuration(s.left)
}

// UseColor decides whether to colour: never with NO_COLOR set, else as asked.
func UseColor(when string, w io.Writer) bool {
	if os.Getenv("NO_COLOR") != "" || when == "never" {
		return false
	}
	if when != "auto" {
		return true
	}
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// paint colours by the token's stage under the renewal policy: green while
// fresh, yellow once its renewal is due or under way, red when it is about
// to lapse or something is wrong. bash and zsh get their non-printing
// markers so that the shell measures the prompt right.
func paint(text string, s segment, when string) string {
	code := "32" // green
	switch {
	case s.state == "locked" || s.state == wire.StateExpired || (s.known && s.stage >= lifetime.StageCritical):
		code = "31"
	case s.state == wire.StateRenewing || (s.known && s.stage == lifetime.StageExpiring):
		code = "33"
	}
	on, off := "\x1b["+code+"m", "\x1b[0m"
	switch when {
	case "bash":
		on, off = "\x01"+on+"\x02", "\x01"+off+"\x02"
	case "zsh":
		on, off = "%{"+on+"%}", "%{"+off+"%}"
	}
	return on + text + off
}
