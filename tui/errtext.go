package tui

import (
	"errors"
	"regexp"
	"strings"

	"github.com/slices-ri/slices-agent/ipc"
)

// portalDown is what a renewal's error says when the portal did not answer.
const portalDown = "the portal is unreachable"

// describeErr turns an error from the agent into one line for a person: no
// chain of Go error prefixes, the agent's hint in words, text from outside
// escaped.
func describeErr(err error) string {
	if err == nil {
		return ""
	}
	switch {
	case errors.Is(err, ipc.ErrNoAgent):
		return "no agent is running"
	case ipc.HasCode(err, ipc.CodeLoginRequired):
		return "not logged in: press l to log in"
	case ipc.HasCode(err, ipc.CodeLocked):
		return "the agent is locked: run 'slices-agent unlock'"
	case ipc.HasCode(err, ipc.CodePortalUnavailable):
		return portalDown
	}
	if e, ok := ipc.AsError(err); ok {
		s := humanize(e.Message)
		if e.Hint != "" {
			s += " (" + safe(e.Hint) + ")"
		}
		return s
	}
	return humanize(err.Error())
}

// operation prefixes the agent puts before a cause ("refresh: …").
var operation = regexp.MustCompile(`^(refresh|project token|user token|renew(ing)?[a-z ]*|fetch(ing)?[a-z ]*|get [^:]*|post [^:]*|dial [^:]*|read [^:]*|write [^:]*|decode[a-z ]*|verify(ing)?[a-z ]*|[a-z]+ [a-z_]+\.[a-z]+)$`)

// httpStatus finds "(http 503)" in an error.
var httpStatus = regexp.MustCompile(`\(http [0-9]{3}\)`)

// humanize rewrites an error chain such as "refresh: portal unavailable
// (http 503): injected_fault: injected fault: status 503" as the few words a
// person needs ("the portal is unreachable (http 503)"), escaped.
func humanize(s string) string {
	s = strings.TrimSpace(s)
	low := strings.ToLower(s)
	switch {
	case s == "":
		return ""
	case isPortalDown(low):
		if m := httpStatus.FindString(low); m != "" {
			return portalDown + " " + m
		}
		return portalDown
	case strings.Contains(low, "login_required") || strings.Contains(low, "login required") || strings.Contains(low, "invalid_grant"):
		return "the login ended: press l to log in again"
	case strings.Contains(low, "context deadline exceeded") || strings.Contains(low, "timeout"):
		return "no answer in time"
	}
	parts := splitChain(s)
	for len(parts) > 1 && operation.MatchString(strings.ToLower(parts[0])) {
		parts = parts[1:]
	}
	// The first cause is the one a person can act on; the rest repeat it.
	out := parts[0]
	if len(parts) > 1 && len(out) < 24 {
		out += ": " + parts[1]
	}
	return safe(out)
}

// isPortalDown tells whether an error (lower case) says the portal did not
// answer or answered with a server error.
func isPortalDown(low string) bool {
	for _, s := range []string{"portal unavailable", "portal_unavailable", "portal unreachable", "portal is unreachable", "connection refused",
		"no such host", "network is unreachable", "(http 502)", "(http 503)", "(http 504)"} {
		if strings.Contains(low, s) {
			return true
		}
	}
	return false
}

// splitChain splits an error chain at ": " outside parentheses.
func splitChain(s string) []string {
	var parts []string
	depth, start := 0, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '(':
			depth++
		case ')':
			depth = max(depth-1, 0)
		case ':':
			if depth == 0 && i+1 < len(s) && s[i+1] == ' ' {
				parts = append(parts, s[start:i])
				start = i + 2
			}
		}
	}
	return append(parts, s[start:])
}
