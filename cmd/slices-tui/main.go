// Command slices-tui is a terminal UI over slices-agent: it lists the user's
// projects with live token countdowns, shows decoded claims and copies tokens.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/slices-ri/slices-agent/tui"
)

func main() {
	fs := flag.NewFlagSet("slices-tui", flag.ContinueOnError)
	socket := fs.String("a", "", "agent socket (default $SLICES_AGENT_SOCK, then the per-user default)")
	clearAfter := fs.Duration("clear-after", tui.DefaultClearAfter,
		"clear a copied token from the clipboard after this long, if it still holds it (0 = never)")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: slices-tui [-a SOCKET] [--clear-after DURATION]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(os.Args[1:]); err != nil {
		if err == flag.ErrHelp {
			os.Exit(0)
		}
		os.Exit(2)
	}
	if fs.NArg() > 0 || *clearAfter < 0 {
		fs.Usage()
		os.Exit(2)
	}
	if err := tui.Run(*socket, *clearAfter, os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
