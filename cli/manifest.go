package cli

import (
	"context"
	"flag"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/slices-ri/slices-agent/internal/plugin"
)

// manifestHelp is the short help the Slices CLI shows for "slices agent".
const manifestHelp = "keep Slices tokens renewed in a background agent and hand them out, like ssh-agent"

func init() {
	register(&command{name: "cli-manifest", help: "print the Slices CLI plugin manifest",
		flags: func(fs *flag.FlagSet, e *env) { fs.Bool("cli-manifest", true, "print the plugin manifest") },
		run: func(ctx context.Context, e *env) error {
			_, err := e.stdout.Write(plugin.NewManifest(manifestHelp).JSON())
			return err
		}})
	register(&command{name: "install-completion", help: "install the shell completion for your shell ($SHELL)",
		flags: func(fs *flag.FlagSet, e *env) {
			fs.Bool("install-completion", true, "install the completion for the shell in $SHELL")
		},
		run: installCompletion})
	var short bool
	register(&command{name: "version", help: "print the version and build information (--version: the version alone)",
		flags: func(fs *flag.FlagSet, e *env) {
			fs.BoolVar(&short, "version", false, "print only the version, v<semver> (Slices CLI plugin protocol)")
			jsonFlag(fs, e)
		},
		run: func(ctx context.Context, e *env) error {
			if short {
				fmt.Fprintln(e.stdout, Version)
				return nil
			}
			bi := buildInfo()
			if e.json {
				return writeJSON(e.stdout, bi)
			}
			fmt.Fprintf(e.stdout, "slices-agent %s\n", Version)
			for _, kv := range [][2]string{{"go", bi.Go}, {"platform", bi.Platform}, {"module", bi.Module},
				{"revision", bi.Revision}, {"commit time", bi.Time}} {
				if kv[1] != "" {
					fmt.Fprintf(e.stdout, "%-12s %s\n", kv[0]+":", kv[1])
				}
			}
			if bi.Modified {
				fmt.Fprintf(e.stdout, "%-12s %s\n", "modified:", "yes (built from a work tree with changes)")
			}
			return nil
		}})
}

// installCompletion writes the completion for the user's shell where the
// shell loads it by itself (the Slices CLI plugin protocol's install option).
func installCompletion(ctx context.Context, e *env) error {
	shell := plugin.ShellOf(os.Getenv("SHELL"))
	if len(e.args) == 1 {
		shell = e.args[0]
	} else if len(e.args) > 1 {
		return usagef("install-completion: too many arguments")
	}
	if shell == "" {
		return &hinted{err: plugin.ErrNoShell, hint: "name it: slices-agent install-completion bash|zsh|fish"}
	}
	var b strings.Builder
	var err error
	switch shell {
	case "bash":
		err = bashCompletion(&b)
	case "zsh":
		err = zshCompletion(&b)
	case "fish":
		err = fishCompletion(&b)
	default:
		return usagef("install-completion: unknown shell %q (want bash, zsh or fish)", shell)
	}
	if err != nil {
		return err
	}
	path, note, err := plugin.InstallCompletion("slices-agent", shell, b.String())
	if err != nil {
		return fmt.Errorf("installing the %s completion: %w", shell, err)
	}
	fmt.Fprintf(e.stdout, "installed the %s completion of slices-agent in %s\n%s\n", shell, path, note)
	return nil
}

// BuildInfo is what version shows about the build.
type BuildInfo struct {
	Version  string `json:"version"`
	Go       string `json:"go"`
	Platform string `json:"platform"`
	Module   string `json:"module,omitempty"`
	Revision string `json:"revision,omitempty"`
	Time     string `json:"time,omitempty"`
	Modified bool   `json:"modified,omitempty"`
}

func buildInfo() BuildInfo {
	bi := BuildInfo{Version: Version, Go: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return bi
	}
	bi.Module = info.Main.Path
	if v := info.Main.Version; v != "" && v != "(devel)" {
		bi.Module += "@" + v
	}
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			bi.Revision = s.Value
		case "vcs.time":
			bi.Time = s.Value
		case "vcs.modified":
			bi.Modified = s.Value == "true"
		}
	}
	return bi
}
