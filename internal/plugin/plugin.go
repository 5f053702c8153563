// Package plugin is the Slices CLI plugin protocol: the `slices` command
// scans PATH for executables named slices-*, asks each for --cli-manifest and
// offers those that answer with the right metadata as its own subcommands
// (slices-agent becomes `slices agent`, slices-tui `slices tui`). A plugin
// also answers --version with its version alone, starting with v, and
// installs its shell completion with the option its manifest names.
package plugin

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// InstallOption is the option that installs a plugin's completion; the
// manifest names it.
const InstallOption = "--install-completion"

// Manifest is the answer to --cli-manifest, field for field as the Slices
// CLI expects it. Version is the manifest format's version, not the plugin's.
type Manifest struct {
	Type                       string   `json:"@type"`
	Version                    string   `json:"version"`
	ShortHelp                  string   `json:"short_help"`
	TabCompletionSupported     bool     `json:"tab_completion_supported"`
	TabCompletionInstallOption string   `json:"tab_completion_install_option"`
	VisibleAliases             []string `json:"visible_aliases"`
	HiddenAliases              []string `json:"hidden_aliases"`
}

// NewManifest is the manifest of a plugin with the given short help; it
// supports tab completion through InstallOption and has no aliases.
func NewManifest(shortHelp string) Manifest {
	return Manifest{
		Type:                       "slices-cli:subcommand-metadata",
		Version:                    "1.0",
		ShortHelp:                  shortHelp,
		TabCompletionSupported:     true,
		TabCompletionInstallOption: InstallOption,
		VisibleAliases:             []string{},
		HiddenAliases:              []string{},
	}
}

// JSON is the manifest as printed: one line of JSON and a newline.
func (m Manifest) JSON() []byte {
	b, _ := json.Marshal(m) // plain strings, bools and slices: cannot fail
	return append(b, '\n')
}

// Shells are the shells a completion can be installed for.
var Shells = []string{"bash", "zsh", "fish"}

// ShellOf is the user's shell from $SHELL: bash, zsh or fish, else "".
func ShellOf(shellVar string) string {
	base := filepath.Base(shellVar)
	for _, s := range Shells {
		if base == s {
			return s
		}
	}
	return ""
}

// CompletionPath is where the completion of prog for shell is installed so
// that the shell loads it by itself: bash-completion's per-user directory
// ($XDG_DATA_HOME/bash-completion/completions/prog), fish's
// ($XDG_CONFIG_HOME/fish/completions/prog.fish), and ~/.zfunc/_prog for zsh
// (which needs that directory on its fpath).
func CompletionPath(prog, shell string) (string, error) {
	home, err := os.UserHomeDir()
	if err != nil {
		return "", err
	}
	xdg := func(env, def string) string {
		if d := os.Getenv(env); d != "" && filepath.IsAbs(d) {
			return d
		}
		return filepath.Join(home, def)
	}
	switch shell {
	case "bash":
		return filepath.Join(xdg("XDG_DATA_HOME", ".local/share"), "bash-completion", "completions", prog), nil
	case "zsh":
		return filepath.Join(home, ".zfunc", "_"+prog), nil
	case "fish":
		return filepath.Join(xdg("XDG_CONFIG_HOME", ".config"), "fish", "completions", prog+".fish"), nil
	}
	return "", fmt.Errorf("no completion for the shell %q (bash, zsh and fish have one)", shell)
}

// InstallCompletion writes script, the completion of prog for shell, where
// the shell finds it (CompletionPath), atomically, and returns the path and
// a note on what else the shell needs, if anything.
func InstallCompletion(prog, shell, script string) (path, note string, err error) {
	path, err = CompletionPath(prog, shell)
	if err != nil {
		return "", "", err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return "", "", err
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return "", "", err
	}
	defer os.Remove(f.Name())
	if _, err := f.WriteString(script); err != nil {
		f.Close()
		return "", "", err
	}
	if err := f.Chmod(0o644); err != nil {
		f.Close()
		return "", "", err
	}
	if err := f.Close(); err != nil {
		return "", "", err
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return "", "", err
	}
	switch shell {
	case "bash":
		note = "new bash shells load it (with the bash-completion package); in this one: source " + path
	case "zsh":
		note = "zsh loads it when ~/.zfunc is on its fpath: in ~/.zshrc, before compinit: fpath+=(~/.zfunc)"
	case "fish":
		note = "new fish shells load it"
	}
	return path, note, nil
}

// ErrNoShell is $SHELL naming no shell with a completion.
var ErrNoShell = errors.New("cannot tell the shell from $SHELL (bash, zsh and fish have a completion)")

// Flag is one flag of a flags-only command, for its completion.
type Flag struct {
	Name       string // without dashes
	Usage      string
	TakesValue bool
	Files      bool // the value is a file name
}

func (f Flag) dashed() string {
	if len(f.Name) == 1 {
		return "-" + f.Name
	}
	return "--" + f.Name
}

// FlagsCompletion is the completion script, for shell, of prog, a command
// that takes flags only (like slices-tui).
func FlagsCompletion(prog, shell string, flags []Flag) (string, error) {
	fn := "_" + strings.NewReplacer("-", "_", ".", "_").Replace(prog)
	var names, fileFlags, valueFlags []string
	for _, f := range flags {
		names = append(names, f.dashed())
		if f.Files {
			fileFlags = append(fileFlags, f.dashed())
		} else if f.TakesValue {
			valueFlags = append(valueFlags, f.dashed())
		}
	}
	var b strings.Builder
	switch shell {
	case "bash":
		fmt.Fprintf(&b, "# bash completion for %s\n%s() {\n    local cur=\"${COMP_WORDS[COMP_CWORD]}\" prev=\"${COMP_WORDS[COMP_CWORD-1]}\"\n", prog, fn)
		if len(fileFlags) > 0 {
			fmt.Fprintf(&b, "    case \"$prev\" in %s) COMPREPLY=($(compgen -f -- \"$cur\")); return ;; esac\n", strings.Join(fileFlags, "|"))
		}
		if len(valueFlags) > 0 {
			fmt.Fprintf(&b, "    case \"$prev\" in %s) return ;; esac\n", strings.Join(valueFlags, "|"))
		}
		fmt.Fprintf(&b, "    COMPREPLY=($(compgen -W %q -- \"$cur\"))\n}\ncomplete -F %s %s\n", strings.Join(names, " "), fn, prog)
	case "zsh":
		fmt.Fprintf(&b, "#compdef %s\n# zsh completion for %s\n_arguments \\\n", prog, prog)
		for _, f := range flags {
			spec := "'" + f.dashed() + "[" + zshEscape(f.Usage) + "]"
			if f.Files {
				spec += ":file:_files"
			} else if f.TakesValue {
				spec += ":value: "
			}
			b.WriteString("  " + spec + "' \\\n")
		}
		b.WriteString("  && return 0\n")
	case "fish":
		fmt.Fprintf(&b, "# fish completion for %s\ncomplete -c %s -f\n", prog, prog)
		for _, f := range flags {
			opt := "-l " + f.Name
			if len(f.Name) == 1 {
				opt = "-s " + f.Name
			}
			if f.Files {
				opt += " -r -F"
			} else if f.TakesValue {
				opt += " -r"
			}
			fmt.Fprintf(&b, "complete -c %s %s -d '%s'\n", prog, opt, strings.NewReplacer(`\`, `\\`, "'", `\'`).Replace(f.Usage))
		}
	default:
		return "", fmt.Errorf("no completion for the shell %q (bash, zsh and fish have one)", shell)
	}
	return b.String(), nil
}

func zshEscape(s string) string {
	return strings.NewReplacer("'", `'\''`, "[", `\[`, "]", `\]`, ":", `\:`).Replace(s)
}
