// Command slices-agent keeps Slices tokens renewed and serves them over a
// Unix socket, like ssh-agent does for keys. See 'slices-agent help'.
package main

import (
	"os"

	"github.com/slices-ri/slices-agent/cli"
)

func main() { os.Exit(cli.Main(os.Args[1:])) }
