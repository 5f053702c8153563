package cli

import (
	"errors"

	"github.com/slices-ri/slices-agent/ipc"
)

// Exit codes of slices-agent's commands.
const (
	ExitOK                = 0
	ExitError             = 1
	ExitUsage             = 2
	ExitNoAgent           = 3
	ExitLoginRequired     = 4
	ExitLocked            = 5
	ExitPortalUnavailable = 6
)

// exitCode maps an error from an ipc.Client call to the contract's exit code:
// ipc.ErrNoAgent and *ipc.UntrustedError (a socket or directory that is not
// the user's own) 3, login_required 4, locked 5, portal_unavailable 6, others 1.
func exitCode(err error) int {
	if err == nil {
		return ExitOK
	}
	var untrusted *ipc.UntrustedError
	if errors.Is(err, ipc.ErrNoAgent) || errors.As(err, &untrusted) {
		return ExitNoAgent
	}
	if e, ok := ipc.AsError(err); ok {
		switch e.Code {
		case ipc.CodeLoginRequired:
			return ExitLoginRequired
		case ipc.CodeLocked:
			return ExitLocked
		case ipc.CodePortalUnavailable, ipc.CodeTokenUnavailable:
			// token_unavailable: renewal fails and the old token lapsed,
			// which is the portal not giving tokens.
			return ExitPortalUnavailable
		}
	}
	return ExitError
}
