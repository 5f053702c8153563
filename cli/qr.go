package cli

import (
	"fmt"
	"io"

	"github.com/slices-ri/slices-agent/internal/termqr"
)

// printQR prints link as a QR code.
func printQR(w io.Writer, link string) {
	s, err := termqr.Render(link)
	if err != nil {
		fmt.Fprintf(w, "(no QR code: %v)\n", err)
		return
	}
	fmt.Fprintln(w, s)
}
