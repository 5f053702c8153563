// Command slices-agent-core is the whole of slices-agent: the daemon and
// every client command. People run slices-agent, whose front end answers
// token and prompt itself and hands everything else to this program by
// exec (internal/front).
package main

import (
	"os"

	"github.com/slices-ri/slices-agent/cli"
)

func main() { os.Exit(cli.Core(os.Args)) }
