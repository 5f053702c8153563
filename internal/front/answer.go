package front

import (
	"context"
	"errors"
	"io"
	"os"
	"time"

	"github.com/slices-ri/slices-agent/internal/segment"
	"github.com/slices-ri/slices-agent/ipc/wire"
)

// EnvPortal is the environment variable of the portal, as --portal
// (config.Env(config.KeyPortal); a test holds the two together).
const EnvPortal = "SLICES_PORTAL_URL"

// token prints the raw token the agent answers, as 'slices-agent-core
// token' does. Anything but a token (no agent, an error answer, a refused
// socket) is handed over with args, and the core answers it.
func token(c call, args []string) int {
	target := "/v1/token"
	if len(c.args) == 1 {
		target = "/v1/projects/" + wire.Escape(c.args[0]) + "/token"
	}
	if c.minValid != "" { // the agent parses it as the core does
		target += "?min_valid=" + wire.Escape(c.minValid)
	}
	h := wire.Header{"Accept": {wire.MediaTypeJWT}}
	if p := c.portalAsked(); p != "" {
		h[wire.PortalHeader] = []string{p}
	}
	body, err := get(wire.Deadline(time.Now().Add(wire.DefaultCallTimeout)), wire.ResolveSocket(c.socket), target, h)
	switch {
	case errors.Is(err, wire.ErrUnresponsive):
		return handOver(args, Unresponsive)
	case errors.Is(err, wire.ErrTimedOut):
		return handOver(args, TimedOut)
	}
	if err != nil {
		return handOver(args, "")
	}
	if _, err := os.Stdout.Write(append(body, '\n')); err != nil {
		os.Stderr.WriteString("slices-agent: writing the token: " + err.Error() + "\n")
		return 1
	}
	return 0
}

// portalAsked is the portal given by flag or environment, which the agent
// must be using: the config file does not count, as in the core.
func (c call) portalAsked() string {
	if c.portal != "" {
		return c.portal
	}
	return os.Getenv(EnvPortal)
}

// prompt prints the prompt segment as 'slices-agent-core prompt' does:
// nothing, at once, when there is no agent or it is slow to answer. Only a
// mistake on the command line is handed over, for the core's usage message.
func prompt(c call, args []string) int {
	if !segment.ValidColor(c.color) {
		return handOver(args, "")
	}
	body, err := get(wire.Deadline(time.Now().Add(segment.Timeout)), wire.ResolveSocket(c.socket), "/v1/status", nil)
	if err != nil {
		return 0 // no agent, or too slow: a prompt stays empty rather than stall
	}
	st, err := wire.DecodeStatus(body)
	if err != nil {
		return 0
	}
	ref := ""
	if len(c.args) == 1 {
		ref = c.args[0]
	}
	line, ok := segment.Line(st, ref, c.format, c.color, segment.UseColor(c.color, os.Stdout), time.Now())
	if ok {
		os.Stdout.WriteString(line + "\n")
	}
	return 0
}

// errAnswer is an answer other than 200 OK.
var errAnswer = errors.New("the agent did not answer 200 OK")

// get asks the agent at sock for target and returns the body of a 200 OK.
func get(ctx context.Context, sock, target string, h wire.Header) ([]byte, error) {
	conn, err := wire.DialContext(ctx, sock, wire.AnswerWithin)
	if err != nil {
		return nil, err
	}
	resp, err := conn.RoundTrip(ctx, &wire.Request{Method: "GET", Target: target, Header: h}, wire.AnswerWithin)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		return nil, errAnswer
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, wire.MaxAnswerBytes+1))
	if err == nil && len(b) > wire.MaxAnswerBytes {
		err = errors.New("answer too long")
	}
	return b, err
}
