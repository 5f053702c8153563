// Package termtext makes text from outside (the portal, a token, a socket
// peer) safe to show on a terminal or to hand to a shell: every control and
// non-printable character is escaped, so no escape sequence, carriage return,
// bidirectional override or invalid UTF-8 reaches the terminal as itself.
package termtext

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Escape returns s with every character that is not printable (by
// unicode.IsPrint: control and format characters, bidi overrides, line and
// paragraph separators, newlines, tabs) written as a Go escape such as \x1b,
// \n or \u202e, and every byte of invalid UTF-8 as \xNN. A backslash is kept
// as it is. Printable text, including non-ASCII letters, is unchanged.
func Escape(s string) string {
	if Safe(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case unicode.IsPrint(r):
			b.WriteString(s[i : i+n])
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x100:
			fmt.Fprintf(&b, `\x%02x`, r)
		case r < 0x10000:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			fmt.Fprintf(&b, `\U%08x`, r)
		}
		i += n
	}
	return b.String()
}

// Safe reports whether s is valid UTF-8 made of printable characters only,
// so that Escape would return it unchanged.
func Safe(s string) bool {
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && n == 1) || !unicode.IsPrint(r) {
			return false
		}
		i += n
	}
	return true
}
