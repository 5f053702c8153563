package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/slices-ri/slices-agent/internal/front"
	"github.com/slices-ri/slices-agent/ipc"
)

// Core runs slices-agent-core with argv (the program name first) and
// returns the exit status. The front end runs it as "slices-agent", with
// what it learned in front.EnvHandover, which Core takes out of the
// environment before anything else can inherit it. Run under its own name,
// it answers every command too, but is no Slices CLI plugin: the CLI finds
// slices-agent.
func Core(argv []string) int {
	learned := os.Getenv(front.EnvHandover)
	os.Unsetenv(front.EnvHandover)
	args := argv[1:]
	if filepath.Base(argv[0]) != "slices-agent" {
		learned = "" // only the front end hands over
		for _, a := range args {
			if a == "--cli-manifest" || a == "-cli-manifest" {
				os.Stderr.WriteString("slices-agent-core: not a Slices CLI plugin\nhint: the plugin is slices-agent, installed beside it\n")
				return ExitUsage
			}
		}
	}
	return mainWith(args, learned)
}

// handedOver is the error the front end already met, given as
// front.EnvHandover, for the command name at e; nil when there is none.
func handedOver(learned, name string, e *env) error {
	if name != "token" {
		return nil
	}
	switch learned {
	case front.Unresponsive:
		return &ipc.UnresponsiveError{Path: e.socket, After: ipc.AnswerWithin}
	case front.TimedOut: // as the client reports a call that ran out of time
		return fmt.Errorf("agent at %s: %w", e.socket, context.DeadlineExceeded)
	}
	return nil
}
