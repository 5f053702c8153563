// Command slices-agent keeps Slices tokens renewed and serves them over a
// Unix socket, like ssh-agent does for keys. See 'slices-agent help'.
//
// This is the front end: it answers token and prompt itself and hands every
// other command to slices-agent-core, installed beside it (internal/front).
package main

import (
	"os"

	"github.com/slices-ri/slices-agent/internal/front"
)

func main() { os.Exit(front.Main(os.Args[1:])) }
