package plugin

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestManifestIsExactlyWhatTheSlicesCLIExpects(t *testing.T) {
	// The example answer of the Slices CLI's plugin documentation, with our short help.
	want := `{"@type": "slices-cli:subcommand-metadata", "version": "1.0", "short_help": "Hello World Demo",
	 "tab_completion_supported": true, "tab_completion_install_option": "--install-completion",
	 "visible_aliases": [], "hidden_aliases": []}`
	got := NewManifest("Hello World Demo").JSON()
	var g, w map[string]any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("%v: %s", err, got)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("manifest\n got %s\nwant %s", got, want)
	}
	if !strings.HasPrefix(string(got), `{"@type":"slices-cli:subcommand-metadata","version":"1.0",`) || strings.Count(string(got), "\n") != 1 {
		t.Errorf("manifest should be one line in the documented key order: %s", got)
	}
}

func TestCompletionInstallsWhereTheShellLooks(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_DATA_HOME", filepath.Join(home, "data"))
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, "cfg"))
	want := map[string]string{
		"bash": filepath.Join(home, "data", "bash-completion", "completions", "slices-x"),
		"zsh":  filepath.Join(home, ".zfunc", "_slices-x"),
		"fish": filepath.Join(home, "cfg", "fish", "completions", "slices-x.fish"),
	}
	flags := []Flag{{Name: "a", Usage: "socket", TakesValue: true, Files: true}, {Name: "clear-after", Usage: "it's a [duration]", TakesValue: true},
		{Name: "version", Usage: "print the version"}}
	for shell, path := range want {
		script, err := FlagsCompletion("slices-x", shell, flags)
		if err != nil {
			t.Fatal(err)
		}
		got, note, err := InstallCompletion("slices-x", shell, script)
		if err != nil || got != path || note == "" {
			t.Fatalf("%s: installed at %q (%v), want %q with a note", shell, got, err, path)
		}
		b, err := os.ReadFile(path)
		if err != nil || string(b) != script {
			t.Errorf("%s: file holds %q, %v", shell, b, err)
		}
		// the shell itself reads the script
		check := map[string][]string{"bash": {"bash", "-n", path}, "zsh": {"zsh", "-n", path}, "fish": {"fish", "--no-execute", path}}[shell]
		if _, err := exec.LookPath(check[0]); err == nil {
			if out, err := exec.Command(check[0], check[1:]...).CombinedOutput(); err != nil {
				t.Errorf("%s rejects the script: %v: %s\n%s", shell, err, out, script)
			}
		}
	}
	if _, _, err := InstallCompletion("slices-x", "tcsh", ""); err == nil {
		t.Error("tcsh: no error")
	}
}

func TestBashCompletionCompletesFlags(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("no bash")
	}
	script, err := FlagsCompletion("slices-x", "bash", []Flag{{Name: "clear-after", TakesValue: true}, {Name: "cli-manifest"}})
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("bash", "-c", script+`COMP_WORDS=(slices-x --cl); COMP_CWORD=1; _slices_x; echo "${COMPREPLY[*]}"`).CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "--clear-after --cli-manifest" {
		t.Errorf("completing --cl: %q, %v", out, err)
	}
}

func TestShellOf(t *testing.T) {
	for in, want := range map[string]string{"/bin/bash": "bash", "/usr/bin/zsh": "zsh", "/usr/local/bin/fish": "fish", "/bin/sh": "", "": ""} {
		if got := ShellOf(in); got != want {
			t.Errorf("ShellOf(%q) = %q, want %q", in, got, want)
		}
	}
}
