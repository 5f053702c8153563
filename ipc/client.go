package ipc

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/slices-ri/slices-agent/ipc/wire"
)

// ErrNoAgent is matched (errors.Is) by Client errors when nothing listens on the socket.
var ErrNoAgent = errors.New("no agent is listening")

// NoAgentError says that no agent answers at Path.
type NoAgentError struct {
	Path string
	Err  error
}

// Error names the socket path.
func (e *NoAgentError) Error() string {
	return fmt.Sprintf("no agent is listening on %s", e.Path)
}

// Unwrap returns the dial error.
func (e *NoAgentError) Unwrap() error { return e.Err }

// Is matches ErrNoAgent.
func (e *NoAgentError) Is(target error) bool { return target == ErrNoAgent }

// DefaultCallTimeout bounds one Client call other than Events.
const DefaultCallTimeout = wire.DefaultCallTimeout

// AnswerWithin is how long an agent may take to start answering: a live one
// answers, or says it is working (102 Processing, after ProcessingAfter),
// well within it. One that accepts a connection and says nothing is hung.
const AnswerWithin = wire.AnswerWithin

// UnresponsiveError says that the agent at Path took the connection, or
// left it queued with its backlog full, but did not start answering within
// AnswerWithin. It matches ErrNoAgent: no agent that works is reachable there.
type UnresponsiveError struct {
	Path  string
	After time.Duration
}

// Error names the socket and how long the agent was given.
func (e *UnresponsiveError) Error() string {
	return fmt.Sprintf("the agent at %s did not answer within %s", e.Path, e.After)
}

// Is matches ErrNoAgent.
func (e *UnresponsiveError) Is(target error) bool { return target == ErrNoAgent }

// errUnresponsive is the cause of a request given up by the watchdog.
var errUnresponsive = errors.New("agent unresponsive")

// Client talks to an agent over its Unix socket. It is safe for concurrent
// use and keeps its connection alive between calls. Besides Service it has
// TokenRaw (the fast path of the token command) and Events.
type Client struct {
	path         string
	timeout      time.Duration
	answerWithin time.Duration
	oneShot      bool   // see NewOneShotClient
	portal       string // sent as PortalHeader; see ExpectPortal
	tr           *http.Transport
	hc           *http.Client
}

var _ Service = (*Client)(nil)

// NewClient returns a Client for the agent at socketPath.
func NewClient(socketPath string) *Client {
	tr := &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return dialTrusted(ctx, socketPath)
		},
		MaxIdleConns:          16,
		MaxIdleConnsPerHost:   16,
		IdleConnTimeout:       50 * time.Second, // below the server's idle timeout
		ResponseHeaderTimeout: 0,
		DisableCompression:    true,
	}
	return &Client{
		path:         socketPath,
		timeout:      DefaultCallTimeout,
		answerWithin: AnswerWithin,
		tr:           tr,
		hc:           &http.Client{Transport: tr},
	}
}

// ExpectPortal makes every request name portalURL (PortalHeader): an agent on
// another portal refuses it with portal_mismatch.
func (c *Client) ExpectPortal(portalURL string) { c.portal = portalURL }

// Path returns the socket path the Client dials.
func (c *Client) Path() string { return c.path }

// Close releases idle connections.
func (c *Client) Close() error {
	c.tr.CloseIdleConnections()
	return nil
}

// agentURL is the scheme and host of every request; the host is ignored.
const agentURL = "http://agent"

// newRequest builds a request for the escaped path (with an optional raw
// query) without parsing a URL string.
func newRequest(ctx context.Context, method, path, rawQuery string, body io.Reader) *http.Request {
	req, _ := http.NewRequestWithContext(ctx, method, agentURL, body)
	req.URL.Path = path
	if strings.IndexByte(path, '%') >= 0 {
		req.URL.RawPath = path
		req.URL.Path, _ = url.PathUnescape(path)
	}
	req.URL.RawQuery = rawQuery
	return req
}

// send performs req, mapping dial failures to NoAgentError and error answers to *Error.
//
// A watchdog gives up on an agent that has not sent the first byte of an
// answer within AnswerWithin (see UnresponsiveError).
func (c *Client) send(req *http.Request) (*http.Response, error) {
	if c.portal != "" {
		req.Header[PortalHeader] = []string{c.portal}
	}
	var resp *http.Response
	var err error
	if c.oneShot && req.Header.Get("Accept") != "text/event-stream" {
		resp, err = c.roundTrip(req)
	} else {
		resp, err = c.sendTransport(req)
	}
	if err != nil {
		var ue *UntrustedError
		if errors.As(err, &ue) {
			return nil, ue
		}
		if errors.Is(err, errUnresponsive) {
			return nil, &UnresponsiveError{Path: c.path, After: c.answerWithin}
		}
		if errors.Is(err, syscall.ENOENT) || errors.Is(err, syscall.ECONNREFUSED) {
			return nil, &NoAgentError{Path: c.path, Err: err}
		}
		if errors.Is(err, syscall.EACCES) || errors.Is(err, syscall.EPERM) {
			// Not ErrNoAgent: nobody may start another agent on a socket that is someone else's.
			return nil, fmt.Errorf("cannot connect to the agent at %s: %w (the socket is not yours)", c.path, syscall.EACCES)
		}
		if ctxErr := req.Context().Err(); ctxErr != nil {
			return nil, fmt.Errorf("agent at %s: %w", c.path, ctxErr)
		}
		return nil, fmt.Errorf("agent at %s: %w", c.path, unwrapURL(err))
	}
	if resp.StatusCode >= 300 {
		defer resp.Body.Close()
		return nil, decodeError(resp)
	}
	return resp, nil
}

// sendTransport performs req over the keep-alive Transport, with the
// first-byte watchdog: a request given up by it fails with errUnresponsive.
func (c *Client) sendTransport(req *http.Request) (*http.Response, error) {
	ctx, cancel := context.WithCancelCause(req.Context())
	watchdog := time.AfterFunc(c.answerWithin, func() { cancel(errUnresponsive) })
	trace := &httptrace.ClientTrace{GotFirstResponseByte: func() { watchdog.Stop() }}
	resp, err := c.hc.Do(req.WithContext(httptrace.WithClientTrace(ctx, trace)))
	watchdog.Stop()
	if err != nil {
		cancel(nil)
		if errors.Is(context.Cause(ctx), errUnresponsive) {
			return nil, errUnresponsive
		}
		return nil, err
	}
	return resp, nil
}

// unwrapURL drops the *url.Error layer, whose message repeats the fake URL.
func unwrapURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// decodeError reads an error answer into an *Error.
func decodeError(resp *http.Response) error {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, MaxBodyBytes))
	var eb errorBody
	if json.Unmarshal(b, &eb) == nil && eb.Error != nil && eb.Error.Code != "" {
		eb.Error.Status = resp.StatusCode
		return eb.Error
	}
	return &Error{
		Status:  resp.StatusCode,
		Code:    "http_" + strconv.Itoa(resp.StatusCode),
		Message: fmt.Sprintf("agent answered %s", resp.Status),
	}
}

// call sends a request with an optional JSON body and decodes a JSON answer into out (if non-nil).
func (c *Client) call(ctx context.Context, method, path, query string, in, out any) error {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req := newRequest(ctx, method, path, query, body)
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.send(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if out == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("agent at %s: bad answer to %s %s: %w", c.path, method, path, err)
	}
	return nil
}

// projectPath is /v1/projects/{ref} plus suffix, with ref escaped.
func projectPath(ref, suffix string) string {
	return "/v1/projects/" + wire.Escape(ref) + suffix
}

// Status returns the agent's status.
func (c *Client) Status(ctx context.Context) (Status, error) {
	var st Status
	err := c.call(ctx, "GET", "/v1/status", "", nil, &st)
	return st, err
}

// UserToken returns the user token with at least minValid left.
func (c *Client) UserToken(ctx context.Context, minValid time.Duration) (Token, error) {
	var t Token
	err := c.call(ctx, "GET", "/v1/token", minValidQuery(minValid), nil, &t)
	return t, err
}

// Projects returns the user's projects.
func (c *Client) Projects(ctx context.Context) ([]Project, error) {
	var pl ProjectList
	err := c.call(ctx, "GET", "/v1/projects", "", nil, &pl)
	return pl.Projects, err
}

// ProjectToken returns the token of the project ref (id or unique name) with at least minValid left.
func (c *Client) ProjectToken(ctx context.Context, ref string, minValid time.Duration) (Token, error) {
	var t Token
	err := c.call(ctx, "GET", projectPath(ref, "/token"), minValidQuery(minValid), nil, &t)
	return t, err
}

// TokenRaw returns the raw JWT of project ref, or the user token when ref is
// empty, asking for Accept: application/jwt. It is the hot path of the token command.
func (c *Client) TokenRaw(ctx context.Context, ref string, minValid time.Duration) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	path := "/v1/token"
	if ref != "" {
		path = projectPath(ref, "/token")
	}
	req := newRequest(ctx, "GET", path, minValidQuery(minValid), nil)
	req.Header["Accept"] = acceptJWT
	resp, err := c.send(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	if n := resp.ContentLength; n > 0 && n <= wire.MaxAnswerBytes {
		b := make([]byte, n)
		if _, err := io.ReadFull(resp.Body, b); err != nil {
			return "", fmt.Errorf("agent at %s: reading the token: %w", c.path, err)
		}
		return string(b), nil
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, wire.MaxAnswerBytes+1))
	if err != nil {
		return "", fmt.Errorf("agent at %s: reading the token: %w", c.path, err)
	}
	if len(b) > wire.MaxAnswerBytes {
		return "", fmt.Errorf("agent at %s: the token is longer than %d bytes", c.path, wire.MaxAnswerBytes)
	}
	return string(b), nil
}

var acceptJWT = []string{MediaTypeJWT}

// Track starts keeping the project ref renewed.
func (c *Client) Track(ctx context.Context, ref string) (Project, error) {
	var p Project
	err := c.call(ctx, "PUT", projectPath(ref, ""), "", nil, &p)
	return p, err
}

// TrackSink tracks the project ref and has the agent keep the file at sink
// (an absolute path) holding its token.
func (c *Client) TrackSink(ctx context.Context, ref, sink string) (Project, error) {
	var p Project
	err := c.call(ctx, "PUT", projectPath(ref, ""), "", TrackRequest{Sink: sink}, &p)
	return p, err
}

var _ SinkService = (*Client)(nil)

// Untrack stops keeping the project ref and deletes its token.
func (c *Client) Untrack(ctx context.Context, ref string) error {
	return c.call(ctx, "DELETE", projectPath(ref, ""), "", nil, nil)
}

// Refresh renews now: the user token when ref is empty, else that project's token.
func (c *Client) Refresh(ctx context.Context, ref string) error {
	if ref == "" {
		return c.call(ctx, "POST", "/v1/refresh", "", nil, nil)
	}
	return c.call(ctx, "POST", projectPath(ref, "/refresh"), "", nil, nil)
}

// StartLogin starts a device-code login.
func (c *Client) StartLogin(ctx context.Context) (LoginStart, error) {
	var ls LoginStart
	err := c.call(ctx, "POST", "/v1/login", "", nil, &ls)
	return ls, err
}

// LoginStatus reports the state of the current device-code login.
func (c *Client) LoginStatus(ctx context.Context) (LoginState, error) {
	var ls LoginState
	err := c.call(ctx, "GET", "/v1/login", "", nil, &ls)
	return ls, err
}

// Logout forgets the user and project tokens.
func (c *Client) Logout(ctx context.Context) error {
	return c.call(ctx, "POST", "/v1/logout", "", nil, nil)
}

// Lock locks the agent with passphrase.
func (c *Client) Lock(ctx context.Context, passphrase string) error {
	return c.call(ctx, "POST", "/v1/lock", "", Passphrase{passphrase}, nil)
}

// Unlock unlocks the agent with passphrase.
func (c *Client) Unlock(ctx context.Context, passphrase string) error {
	return c.call(ctx, "POST", "/v1/unlock", "", Passphrase{passphrase}, nil)
}

// Shutdown asks the agent to stop.
func (c *Client) Shutdown(ctx context.Context) error {
	return c.call(ctx, "POST", "/v1/shutdown", "", nil, nil)
}

// Events subscribes to the agent's events. The channel is closed when the
// stream ends: ctx is done (check ctx.Err()) or the agent went away.
func (c *Client) Events(ctx context.Context) (<-chan Event, error) {
	req := newRequest(ctx, "GET", "/v1/events", "", nil)
	req.Header.Set("Accept", "text/event-stream")
	resp, err := c.send(req)
	if err != nil {
		return nil, err
	}
	ch := make(chan Event, 16)
	go readEvents(ctx, resp.Body, ch)
	return ch, nil
}

// Subscribe is Events for the Service interface: when the subscription
// cannot be made, the returned channel is closed at once.
func (c *Client) Subscribe(ctx context.Context) <-chan Event {
	ch, err := c.Events(ctx)
	if err != nil {
		closed := make(chan Event)
		close(closed)
		return closed
	}
	return ch
}
