package tui

import (
	"strings"

	"rsc.io/qr"
)

// qrBlock renders link as a QR code with two modules per character cell,
// light modules drawn as blocks so that it scans on dark and light terminals.
// It returns "" when the link cannot be encoded.
func qrBlock(link string) string {
	code, err := qr.Encode(link, qr.L)
	if err != nil {
		return ""
	}
	const quiet = 2
	n := code.Size
	light := func(x, y int) bool {
		if x < 0 || y < 0 || x >= n || y >= n {
			return true
		}
		return !code.Black(x, y)
	}
	var b strings.Builder
	for y := -quiet; y < n+quiet; y += 2 {
		if y > -quiet {
			b.WriteByte('\n')
		}
		for x := -quiet; x < n+quiet; x++ {
			top, bottom := light(x, y), light(x, y+1)
			switch {
			case top && bottom:
				b.WriteString("█")
			case top:
				b.WriteString("▀")
			case bottom:
				b.WriteString("▄")
			default:
				b.WriteString(" ")
			}
		}
	}
	return b.String()
}
