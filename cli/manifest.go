package cli

import (
	"context"
	"flag"
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
)

// Manifest is the Slices CLI plugin manifest printed by --cli-manifest: a
// slices-* executable on PATH that answers it becomes "slices agent …".
type Manifest struct {
	Type    string `json:"@type"`
	Version string `json:"version"`
	// Name is the subcommand the Slices CLI offers: "agent".
	Name string `json:"name"`
	Help string `json:"help"`
	// PluginVersion is this executable's release, as --version prints it.
	PluginVersion string `json:"plugin_version"`
	// Commands are the subcommands, for the Slices CLI's help.
	Commands []ManifestCommand `json:"commands"`
}

// ManifestCommand is one subcommand in the Manifest.
type ManifestCommand struct {
	Name  string `json:"name"`
	Usage string `json:"usage,omitempty"`
	Help  string `json:"help"`
}

// manifestHelp is the short help the Slices CLI shows for "slices agent".
const manifestHelp = "keep Slices tokens renewed in a background agent and hand them out, like ssh-agent"

func init() {
	register(&command{name: "cli-manifest", help: "print the Slices CLI plugin manifest",
		flags: func(fs *flag.FlagSet, e *env) { fs.Bool("cli-manifest", true, "print the plugin manifest") },
		run:   func(ctx context.Context, e *env) error { return writeJSON(e.stdout, manifest()) }})
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

func manifest() Manifest {
	m := Manifest{Type: "slices-cli:subcommand-metadata", Version: "1.0", Name: "agent", Help: manifestHelp, PluginVersion: Version}
	for _, n := range commandNames() {
		c := commands[n]
		m.Commands = append(m.Commands, ManifestCommand{Name: c.name, Usage: strings.TrimSpace(c.name + " " + c.args), Help: c.help})
	}
	return m
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
