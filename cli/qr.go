package cli

import (
	"fmt"
	"io"
	"strings"

	"rsc.io/qr"
)

// printQR prints link as a QR code, two modules per character cell, light
// modules drawn as blocks so it scans on dark and light terminals alike.
func printQR(w io.Writer, link string) {
	code, err := qr.Encode(link, qr.M)
	if err != nil {
		fmt.Fprintf(w, "(no QR code: %v)\n", err)
		return
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
		b.WriteString("\n")
	}
	io.WriteString(w, b.String())
}
