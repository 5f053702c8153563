package termqr

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestRender(t *testing.T) {
	out, err := Render("http://127.0.0.1:8080/oauth/authorize_device?user_code=ABCD-EFGH")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(out, "\n")
	width := utf8.RuneCountInString(lines[0])
	// A version-4 code is 33 modules; with the quiet zone 37 wide, 19 lines of two modules.
	if width < 25 || len(lines) != (width+1)/2 {
		t.Fatalf("%d lines of %d cells: not a square code with a quiet zone", len(lines), width)
	}
	for i, l := range lines {
		if utf8.RuneCountInString(l) != width {
			t.Fatalf("line %d is %d cells, want %d", i, utf8.RuneCountInString(l), width)
		}
		if strings.Trim(l, "█▀▄ ") != "" {
			t.Fatalf("line %d has other characters: %q", i, l)
		}
	}
	if lines[0] != strings.Repeat("█", width) {
		t.Errorf("the quiet zone is not light: %q", lines[0])
	}
	if _, err := Render(strings.Repeat("x", 5000)); err == nil {
		t.Error("a text too long for a QR code was accepted")
	}
}
