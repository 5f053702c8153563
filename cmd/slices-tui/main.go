// Command slices-tui is a terminal UI over slices-agent: it lists the user's
// projects with live token countdowns, shows decoded claims and copies tokens.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/slices-ri/slices-agent/tui"
)

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
