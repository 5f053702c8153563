package cli

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/slices-ri/slices-agent/config"
	"github.com/slices-ri/slices-agent/internal/front"
	"github.com/slices-ri/slices-agent/ipc"
)

// The front end reads the portal from the same variable as the core.
func TestFrontReadsThePortalVariableOfTheCore(t *testing.T) {
	if front.EnvPortal != config.Env(config.KeyPortal) {
		t.Fatalf("front.EnvPortal = %q, the core reads %q", front.EnvPortal, config.Env(config.KeyPortal))
	}
}

// What the front end learned is reported for token only, as the hung agent
// it met, with the exit status of an agent that cannot be reached.
func TestHandedOverUnresponsiveIsAHungAgent(t *testing.T) {
	e := &env{socket: "/run/x/agent.sock"}
	err := handedOver(front.Unresponsive, "token", e)
	var hung *ipc.UnresponsiveError
	if !errors.As(err, &hung) || hung.Path != e.socket || hung.After != ipc.AnswerWithin || exitCode(err) != ExitNoAgent {
		t.Fatalf("handedOver(unresponsive, token) = %v (exit %d)", err, exitCode(err))
	}
	if err := handedOver(front.TimedOut, "token", e); !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), e.socket) {
		t.Errorf("handedOver(timed-out, token) = %v, want the socket and a deadline", err)
	}
	for _, c := range []struct{ learned, name string }{{front.Unresponsive, "status"}, {front.TimedOut, "prompt"}, {"", "token"}, {"other", "token"}} {
		if err := handedOver(c.learned, c.name, e); err != nil {
			t.Errorf("handedOver(%q, %q) = %v, want nil", c.learned, c.name, err)
		}
	}
}
