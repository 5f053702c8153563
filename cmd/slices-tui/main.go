// Command slices-tui is a terminal UI over slices-agent: it lists the user's
// projects with live token countdowns, shows decoded claims and copies tokens.
// It is also a Slices CLI plugin: `slices tui`.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/slices-ri/slices-agent/internal/plugin"
	"github.com/slices-ri/slices-agent/tui"
)

// version is the release, set at build time with -ldflags "-X main.version=v1.2.3".
var version = "v0.1.0-dev"

// shortHelp is what the Slices CLI shows for "slices tui".
const shortHelp = "browse your Slices tokens held by slices-agent, with live countdowns; copy them"

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run is slices-tui with its arguments and streams; it returns the exit code.
func run(args []string, stdin, stdout *os.File, stderr io.Writer) int {
	fs := flag.NewFlagSet("slices-tui", flag.ContinueOnError)
	fs.SetOutput(stderr)
	socket := fs.String("a", "", "agent socket (default $SLICES_AGENT_SOCK, then the per-user default)")
	clearAfter := fs.Duration("clear-after", tui.DefaultClearAfter,
		"clear a copied token from the clipboard after this long, if it still holds it (0 = never)")
	showVersion := fs.Bool("version", false, "print the version (v…) and exit")
	manifest := fs.Bool("cli-manifest", false, "print the Slices CLI plugin manifest and exit")
	install := fs.Bool("install-completion", false, "install the shell completion for the shell in $SHELL and exit")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: slices-tui [-a SOCKET] [--clear-after DURATION]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	switch {
	case *showVersion:
		fmt.Fprintln(stdout, version)
		return 0
	case *manifest:
		stdout.Write(plugin.NewManifest(shortHelp).JSON())
		return 0
	case *install:
		return installCompletion(fs)
	}
	if fs.NArg() > 0 || *clearAfter < 0 {
		fs.Usage()
		return 2
	}
	if err := tui.CheckTerminal(stdin, stdout); err != nil {
		fmt.Fprintf(stderr, "slices-tui: %v\n", err)
		fmt.Fprintln(stderr, "hint: run it in a terminal; scripts get tokens with 'slices-agent token' and 'slices-agent status'")
		return 2
	}
	if err := tui.Run(*socket, *clearAfter, stdin, stdout); err != nil {
		fmt.Fprintln(stderr, err)
		if errors.Is(err, tui.ErrNoTerminal) {
			return 2
		}
		return 1
	}
	return 0
}

// installCompletion installs the completion of slices-tui's flags for the
// shell in $SHELL (or the one named as the argument) and returns the exit status.
func installCompletion(fs *flag.FlagSet) int {
	shell := plugin.ShellOf(os.Getenv("SHELL"))
	if fs.NArg() == 1 {
		shell = fs.Arg(0)
	}
	if shell == "" {
		fmt.Fprintf(os.Stderr, "slices-tui: %v\nhint: name it: slices-tui --install-completion bash|zsh|fish\n", plugin.ErrNoShell)
		return 1
	}
	var flags []plugin.Flag
	fs.VisitAll(func(f *flag.Flag) {
		_, isBool := f.Value.(interface{ IsBoolFlag() bool })
		flags = append(flags, plugin.Flag{Name: f.Name, Usage: f.Usage, TakesValue: !isBool, Files: f.Name == "a"})
	})
	script, err := plugin.FlagsCompletion("slices-tui", shell, flags)
	if err == nil {
		var path, note string
		if path, note, err = plugin.InstallCompletion("slices-tui", shell, script); err == nil {
			fmt.Printf("installed the %s completion of slices-tui in %s\n%s\n", shell, path, note)
			return 0
		}
	}
	fmt.Fprintf(os.Stderr, "slices-tui: installing the completion: %v\n", err)
	return 1
}
