package tui

import "github.com/slices-ri/slices-agent/internal/termqr"

// qrBlock renders link as a QR code, or "" when it cannot be encoded.
func qrBlock(link string) string {
	s, err := termqr.Render(link)
	if err != nil {
		return ""
	}
	return s
}
