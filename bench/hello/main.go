// Command hello is the floor of any Go command: a static binary that
// prints one line. It measures the Go runtime's start on this machine.
package main

import "os"

func main() { os.Stdout.WriteString("hello\n") }
