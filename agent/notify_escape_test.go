package agent

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A notification quoting the portal (a project name with escape sequences
// and markup) reaches notify-send with control characters escaped and the
// markup defused.
func TestNotificationsEscapePortalText(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	log := filepath.Join(dir, "args")
	script := filepath.Join(dir, "notify-send")
	if err := os.WriteFile(script, []byte("#!/bin/sh\nfor a in \"$@\"; do printf '%s\\n--\\n' \"$a\"; done >"+log+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	n := newNotifier(true)
	n.look = func(name string) (string, error) {
		if name == "notify-send" {
			return script, nil
		}
		return "", os.ErrNotExist
	}
	n.show("Slices project ending", "project evil\x1b]52;c;cm0gLXJmIH4=\x07\x1b[2J<a href=\"https://x\">click</a>\u202e ends soon")
	b, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	got := string(b)
	for _, bad := range []string{"\x1b", "\x07", "\u202e", "<a href"} {
		if strings.Contains(got, bad) {
			t.Errorf("notify-send got %q raw: %q", bad, got)
		}
	}
	for _, want := range []string{`\x1b]52;c;`, `\u202e`, "&lt;a href"} {
		if !strings.Contains(got, want) {
			t.Errorf("notify-send args lack %q: %q", want, got)
		}
	}
}
