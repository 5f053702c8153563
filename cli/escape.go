package cli

import (
	"strings"

	"github.com/slices-ri/slices-agent/internal/termtext"
)

// esc makes a string from outside (the portal, a token, the agent's answer)
// safe to print: control and non-printable characters escaped.
func esc(s string) string { return termtext.Escape(s) }

// escLines escapes each line of s and keeps the line breaks, for multi-line
// text such as indented JSON.
func escLines(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = termtext.Escape(l)
	}
	return strings.Join(lines, "\n")
}
