package testenv

import (
	"fmt"
	"strings"
	"testing"
)

// fakeTB records how Require ended a test instead of ending it.
type fakeTB struct {
	testing.TB
	fatal, skip string
}

func (f *fakeTB) Helper()                           {}
func (f *fakeTB) Fatalf(format string, args ...any) { f.fatal = fmt.Sprintf(format, args...) }
func (f *fakeTB) Skipf(format string, args ...any)  { f.skip = fmt.Sprintf(format, args...) }

func TestRequire(t *testing.T) {
	tests := []struct {
		name      string
		env       string
		available bool
		want      string // "", "skip" or "fatal"
	}{
		{"available", "keyring", true, ""},
		{"missing, not required", "", false, "skip"},
		{"missing, other feature required", "tmux", false, "skip"},
		{"missing, required", "keyring", false, "fatal"},
		{"missing, required in a list", " tmux , keyring ", false, "fatal"},
		{"missing, prefix is not a match", "keyrings", false, "skip"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(RequireEnv, tt.env)
			f := &fakeTB{}
			Require(f, "keyring", tt.available, "no bus")
			got := ""
			switch {
			case f.fatal != "" && f.skip != "":
				t.Fatalf("both fatal %q and skip %q", f.fatal, f.skip)
			case f.fatal != "":
				got = "fatal"
			case f.skip != "":
				got = "skip"
			}
			if got != tt.want {
				t.Fatalf("Require ended with %q, want %q (fatal=%q skip=%q)", got, tt.want, f.fatal, f.skip)
			}
			if msg := f.fatal + f.skip; got != "" && !strings.Contains(msg, "no bus") {
				t.Errorf("message %q does not give the reason", msg)
			}
		})
	}
}

func TestTmuxReturnsAPath(t *testing.T) {
	path := Tmux(t)
	if path == "" {
		t.Fatal("Tmux returned an empty path without skipping")
	}
}

func TestSystemKeyringProbe(t *testing.T) {
	SystemKeyring(t)
	// Reaching here means the probe round trip worked; a second call reuses it.
	SystemKeyring(t)
}
