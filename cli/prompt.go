package cli

import (
	"context"
	"flag"
	"io"
	"os"
	"strings"
	"time"

	"github.com/slices-ri/slices-agent/ipc"
	"github.com/slices-ri/slices-agent/token/lifetime"
)

// promptTimeout is how long a prompt waits for the agent before it gives up
// and prints nothing: a prompt must never stall a shell.
const promptTimeout = 50 * time.Millisecond

// defaultPromptFormat is "slices:ilabt-dev 42m".
const defaultPromptFormat = "slices:%n %l"

func init() {
	var format, color string
	register(&command{name: "prompt", args: "[PROJECT] [--format FMT] [--color WHEN]",
		help: "a short segment for shell prompts; empty when there is nothing to show",
		flags: func(fs *flag.FlagSet, e *env) {
			fs.StringVar(&format, "format", defaultPromptFormat, "`FMT`: %n name, %l time left, %s state, %r role, %% a percent sign")
			fs.StringVar(&color, "color", "auto", "`WHEN` to colour: auto (when stdout is a terminal), always, never, bash or zsh (escapes wrapped for PS1/PROMPT)")
		},
		run: func(ctx context.Context, e *env) error { return prompt(ctx, e, format, color) }})
}

// segment is what a prompt shows of one token.
type segment struct {
	name, role, state string
	left              time.Duration // 0 when unknown
	known             bool
	stage             lifetime.Stage // by the renewal policy, when known
}

func prompt(ctx context.Context, e *env, format, color string) error {
	ref, err := oneOptional(e)
	if err != nil {
		return err
	}
	switch color {
	case "auto", "always", "never", "bash", "zsh":
	default:
		return usagef("--color %q: want auto, always, never, bash or zsh", color)
	}
	if _, err := os.Stat(e.socket); err != nil {
		return nil // no agent: nothing to show, at once
	}
	ctx, cancel := context.WithTimeout(ctx, promptTimeout)
	defer cancel()
	c := client(e)
	defer c.Close()
	st, err := c.Status(ctx)
	if err != nil {
		return nil // no agent, or too slow: a prompt stays empty rather than stall
	}
	seg, ok := pick(st, ref, time.Now())
	if !ok {
		return nil
	}
	if color == "zsh" {
		// zsh reads % sequences in what a PROMPT substitution prints.
		seg.name, seg.role = strings.ReplaceAll(seg.name, "%", "%%"), strings.ReplaceAll(seg.role, "%", "%%")
	}
	out := expand(format, seg)
	if useColor(color, e.stdout) {
		out = paint(out, seg, color)
	}
	_, err = io.WriteString(e.stdout, out+"\n")
	return err
}

// pick finds what to show: the user token, or a tracked project by id or name.
func pick(st ipc.Status, ref string, now time.Time) (segment, bool) {
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
	s := segment{name: esc(name), role: esc(role), state: esc(state)}
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

// useColor decides whether to colour: never with NO_COLOR set, else as asked.
func useColor(when string, w io.Writer) bool {
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
	case s.state == "locked" || s.state == ipc.StateExpired || (s.known && s.stage >= lifetime.StageCritical):
		code = "31"
	case s.state == ipc.StateRenewing || (s.known && s.stage == lifetime.StageExpiring):
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
