package cli

import (
	"errors"
	"fmt"
	"testing"

	"github.com/slices-ri/slices-agent/ipc"
)

func TestExitCodeOfAgentErrors(t *testing.T) {
	for _, c := range []struct {
		err  error
		want int
	}{
		{nil, ExitOK},
		{fmt.Errorf("dialing: %w", ipc.ErrNoAgent), ExitNoAgent},
		{ipc.BadRequest("min_valid over the token lifetime", ""), ExitError},
		{ipc.LoginRequired("not logged in", ""), ExitLoginRequired},
		{ipc.UnknownProject("x"), ExitError},
		{ipc.Locked(), ExitLocked},
		{ipc.PortalUnavailable("portal answered 503", ""), ExitPortalUnavailable},
		{ipc.TokenUnavailable("renewal failing and the token expired", ""), ExitPortalUnavailable},
		{errors.New("disk on fire"), ExitError},
	} {
		if got := exitCode(c.err); got != c.want {
			t.Errorf("exitCode(%v) = %d, want %d", c.err, got, c.want)
		}
	}
}
