package tui

import (
	"errors"
	"fmt"
	"testing"

	"github.com/slices-ri/slices-agent/ipc"
)

func TestErrorsReadAsWords(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"refresh: portal unavailable (http 503): injected_fault: injected fault: status 503", "the portal is unreachable (http 503)"},
		{"project token: portal unavailable (http 503): injected_fault: injected fault: status 503", "the portal is unreachable (http 503)"},
		{`Get "http://127.0.0.1:1/apis/": dial tcp 127.0.0.1:1: connect: connection refused`, "the portal is unreachable"},
		{"refresh: invalid_grant: refresh token revoked", "the login ended: press l to log in again"},
		{"renewing the project token of ilabt-dev fails (portal: 502)", "renewing the project token of ilabt-dev fails (portal: 502)"},
		{"verify: token signature: crypto/ecdsa: verification error", "token signature: crypto/ecdsa"},
		{"name\x1b]52;c;evil\x07", `name\x1b]52;c;evil\x07`},
		{"", ""},
	} {
		if got := humanize(tc.in); got != tc.want {
			t.Errorf("humanize(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestDescribeErr(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{&ipc.NoAgentError{Path: "/x", Err: ipc.ErrNoAgent}, "no agent is running"},
		{ipc.LoginRequired("no login", ""), "not logged in: press l to log in"},
		{&ipc.Error{Code: ipc.CodeLocked, Message: "locked"}, "the agent is locked: run 'slices-agent unlock'"},
		{&ipc.Error{Code: ipc.CodePortalUnavailable, Message: "portal unavailable (http 502): bad gateway"}, "the portal is unreachable"},
		{fmt.Errorf("copy: %w", errors.New("xclip: exit status 1")), "copy: xclip"},
		{ipc.BadRequest("min_valid\x1b[2J too long", "ask for less"), `min_valid\x1b[2J too long (ask for less)`},
	} {
		if got := describeErr(tc.err); got != tc.want {
			t.Errorf("describeErr(%v) = %q, want %q", tc.err, got, tc.want)
		}
	}
}
