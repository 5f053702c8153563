// Package termqr draws QR codes with text characters, for a verification
// link shown in a terminal.
package termqr

import (
	"strings"

	"rsc.io/qr"
)

// Render draws text as a QR code with two modules per character cell, light
// modules as blocks so that it scans on dark and light terminals alike, with
// a quiet zone of two modules. Lines are separated by "\n", with none at the end.
func Render(text string) (string, error) {
	code, err := qr.Encode(text, qr.L)
	if err != nil {
		return "", err
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
	return b.String(), nil
}
