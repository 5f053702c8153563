package tui

import (
	"bytes"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// fakeTools writes stand-in clipboard programs into a directory: they keep
// the clipboard in the file "clip" there and log their arguments to "calls".
// The returned LookPath finds only them.
func fakeTools(t *testing.T, scripts map[string]string) (dir string, look func(string) (string, error)) {
	t.Helper()
	dir = t.TempDir()
	for name, body := range scripts {
		s := "#!/bin/sh\nd='" + dir + "'\necho \"" + name + " $*\" >> \"$d/calls\"\n" + body + "\n"
		if err := os.WriteFile(filepath.Join(dir, name), []byte(s), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	look = func(name string) (string, error) {
		p := filepath.Join(dir, name)
		if _, err := os.Stat(p); err != nil {
			return "", errors.New(name + ": not found")
		}
		return p, nil
	}
	return dir, look
}

// skipOnDarwin skips tests of the Linux clipboard programs on macOS, where
// pbcopy is always chosen.
func skipOnDarwin(t *testing.T) {
	if runtime.GOOS == "darwin" {
		t.Skip("macOS always uses pbcopy")
	}
}

// wlScripts are wl-copy and wl-paste; wl-copy lists --sensitive in its help
// when the file "sensitive" exists (wl-clipboard 2.3 and later).
var wlScripts = map[string]string{
	"wl-copy": `case "$1" in
--help) echo "Usage: wl-copy [options] text..."; [ -f "$d/sensitive" ] && echo "  -s, --sensitive"; exit 0;;
--clear) rm -f "$d/clip"; exit 0;;
esac
cat > "$d/clip"`,
	"wl-paste": `[ -f "$d/clip" ] || { echo "Nothing is copied" >&2; exit 1; }
cat "$d/clip"`,
}

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	return string(b)
}

func TestTermClipboardOSC52Only(t *testing.T) {
	var out bytes.Buffer
	_, look := fakeTools(t, nil)
	cb := TermClipboard{Out: &out, Getenv: func(k string) string { return map[string]string{"DISPLAY": ":0"}[k] }, LookPath: look}
	res, err := cb.Copy("tok.en.value")
	if err != nil || res != (Copied{Via: "OSC 52"}) {
		t.Fatalf("copy: %+v, %v", res, err)
	}
	if want := "\x1b]52;c;" + base64.StdEncoding.EncodeToString([]byte("tok.en.value")) + "\x07"; out.String() != want {
		t.Errorf("wrote %q, want %q", out.String(), want)
	}
	out.Reset()
	if ok, err := cb.ClearIf("tok.en.value"); ok || !errors.Is(err, ErrUnreadable) {
		t.Errorf("ClearIf over OSC 52 alone: %v, %v; want ErrUnreadable", ok, err)
	}
	if out.Len() != 0 {
		t.Errorf("ClearIf wrote %q to the terminal: it must not clear blindly", out.String())
	}
}

func TestTermClipboardWayland(t *testing.T) {
	skipOnDarwin(t)
	for _, sensitive := range []bool{true, false} {
		dir, look := fakeTools(t, wlScripts)
		if sensitive {
			os.WriteFile(filepath.Join(dir, "sensitive"), nil, 0o644)
		}
		cb := TermClipboard{Getenv: func(k string) string { return map[string]string{"WAYLAND_DISPLAY": "wayland-0"}[k] }, LookPath: look}
		res, err := cb.Copy("tok.one")
		if err != nil || res.Via != "wl-copy" || !res.Readable || res.Sensitive != sensitive {
			t.Fatalf("sensitive=%v: copy %+v, %v", sensitive, res, err)
		}
		if got := read(t, filepath.Join(dir, "clip")); got != "tok.one" {
			t.Fatalf("clipboard holds %q", got)
		}
		calls := read(t, filepath.Join(dir, "calls"))
		if strings.Contains(calls, "wl-copy --sensitive") != sensitive {
			t.Errorf("sensitive=%v, calls:\n%s", sensitive, calls)
		}
	}
}

func TestTermClipboardClearsOnlyItsOwnCopy(t *testing.T) {
	skipOnDarwin(t)
	xclip := map[string]string{"xclip": `case "$*" in *-o*) cat "$d/clip"; exit 0;; esac
cat > "$d/clip"`}
	tests := []struct {
		name     string
		env      string
		scripts  map[string]string
		meantime string // what the user copied since; "" for nothing
		want     bool
		left     string // what the clipboard holds afterwards
	}{
		{"wayland, untouched", "WAYLAND_DISPLAY", wlScripts, "", true, ""},
		{"wayland, copied over", "WAYLAND_DISPLAY", wlScripts, "my notes", false, "my notes"},
		{"x11, untouched", "DISPLAY", xclip, "", true, ""},
		{"x11, copied over", "DISPLAY", xclip, "other", false, "other"},
	}
	for _, tc := range tests {
		dir, look := fakeTools(t, tc.scripts)
		cb := TermClipboard{Getenv: func(k string) string {
			if k == tc.env {
				return "x"
			}
			return ""
		}, LookPath: look}
		if _, err := cb.Copy("tok.secret"); err != nil {
			t.Fatalf("%s: copy: %v", tc.name, err)
		}
		if tc.meantime != "" {
			os.WriteFile(filepath.Join(dir, "clip"), []byte(tc.meantime), 0o644)
		}
		ok, err := cb.ClearIf("tok.secret")
		if err != nil || ok != tc.want {
			t.Errorf("%s: ClearIf %v, %v; want %v", tc.name, ok, err, tc.want)
		}
		if got := read(t, filepath.Join(dir, "clip")); got != tc.left {
			t.Errorf("%s: clipboard holds %q afterwards, want %q", tc.name, got, tc.left)
		}
	}
}

func TestNativeCopierPrefersXclipThenXsel(t *testing.T) {
	skipOnDarwin(t)
	_, look := fakeTools(t, map[string]string{"xsel": ""})
	tool, ok := nativeCopier(func(k string) string { return map[string]string{"DISPLAY": ":0"}[k] }, look)
	if !ok || strings.Join(tool.copy, " ") != "xsel --clipboard --input" || strings.Join(tool.paste, " ") != "xsel --clipboard --output" {
		t.Errorf("native copier %+v, %v; want xsel", tool, ok)
	}
	if _, ok := nativeCopier(func(string) string { return "" }, look); ok {
		t.Error("a copier chosen with no display")
	}
}
