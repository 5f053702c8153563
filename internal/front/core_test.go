package front

import (
	"os"
	"path/filepath"
	"testing"
)

// The core, and the directory it is in, are trusted only as far as this
// executable: nothing writable by others is run.
func TestCoreOnlyAsTrustedAsTheFrontEnd(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	core := filepath.Join(dir, CoreName)
	if err := os.WriteFile(core, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		path string
		mode os.FileMode
		want bool
	}{
		{dir, 0o755, true}, {core, 0o755, true},
		{dir, 0o777, false}, {dir, 0o775, false}, {core, 0o777, false}, {core, 0o757, false},
	} {
		if err := os.Chmod(c.path, c.mode); err != nil {
			t.Fatal(err)
		}
		if got := asTrusted(c.path, self); got != c.want {
			t.Errorf("asTrusted(%s, mode %o) = %v, want %v", c.path, c.mode, got, c.want)
		}
		os.Chmod(c.path, 0o755)
	}
	if asTrusted(filepath.Join(dir, "missing"), self) {
		t.Error("a missing file is trusted")
	}
}
