// Package ipc is the wire between slices-agent and its clients: the request and
// response types, the HTTP handler the agent serves on its Unix socket, and a
// Client that the CLI, the TUI and other Go tools use.
//
// The protocol is plain HTTP/1.1 with JSON bodies over a Unix socket, so any
// tool can speak it with curl:
//
//	curl --unix-socket "$SLICES_AGENT_SOCK" -H 'Accept: application/jwt' \
//	    http://agent/v1/projects/ilabt-dev/token
package ipc

import (
	"context"
	"time"

	"github.com/slices-ri/slices-agent/ipc/wire"
)

// The answer of GET /v1/status lives in package wire, beside the lean
// client that reads it for the prompt.
type (
	// Status is the answer of GET /v1/status.
	Status = wire.Status
	// Setting is one setting of the agent and where it came from.
	Setting = wire.Setting
	// UserStatus describes the login held by the agent.
	UserStatus = wire.UserStatus
	// ProjectStatus is one tracked project in Status.
	ProjectStatus = wire.ProjectStatus
)

// Token states reported in status and project lists.
const (
	StateValid         = wire.StateValid
	StateRenewing      = wire.StateRenewing
	StateExpired       = wire.StateExpired
	StatePending       = wire.StatePending
	StateLoginRequired = wire.StateLoginRequired
	StateUntracked     = wire.StateUntracked
)

// Token is the JSON form of GET /v1/token and GET /v1/projects/{ref}/token.
type Token struct {
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expires_at"`
	// ExpiresIn is the whole number of seconds left when the answer was made.
	ExpiresIn int64 `json:"expires_in"`
	// VerifiedAt is when the agent checked the token's signature against the portal's key set.
	VerifiedAt time.Time `json:"verified_at,omitzero"`
	Project    string    `json:"project,omitempty"`
}

// Project is one entry of GET /v1/projects.
type Project struct {
	ID             string     `json:"id"`
	Name           string     `json:"name"`
	Description    string     `json:"description"`
	Role           string     `json:"role"`
	CreatedAt      *time.Time `json:"created_at,omitempty"`
	ExpiresAt      *time.Time `json:"expires_at,omitempty"`
	Tracked        bool       `json:"tracked"`
	TokenExpiresAt *time.Time `json:"token_expires_at,omitempty"`
	State          string     `json:"state,omitempty"`
}

// ProjectList is the answer of GET /v1/projects.
type ProjectList struct {
	Projects []Project `json:"projects"`
}

// LoginStart is the answer of POST /v1/login.
type LoginStart struct {
	VerificationURI         string    `json:"verification_uri"`
	VerificationURIComplete string    `json:"verification_uri_complete,omitempty"`
	UserCode                string    `json:"user_code"`
	ExpiresAt               time.Time `json:"expires_at"`
}

// Login flow states reported by GET /v1/login.
const (
	LoginNone    = "none"
	LoginPending = "pending"
	LoginDone    = "done"
	LoginFailed  = "failed"
	LoginExpired = "expired"
)

// LoginState is the answer of GET /v1/login.
type LoginState struct {
	State string `json:"state"`
	Error string `json:"error,omitempty"`
	// Hint says what to do about a failed login, when there is something.
	Hint string `json:"hint,omitempty"`
	LoginStart
}

// Event types sent on GET /v1/events.
const (
	EventRenewed       = "renewed"
	EventExpiring      = "expiring"
	EventExpired       = "expired"
	EventLogin         = "login"
	EventLoginRequired = "login_required"
	EventLogout        = "logout"
	EventLocked        = "locked"
	EventUnlocked      = "unlocked"
	EventError         = "error"
	EventTracked       = "tracked"
	EventUntracked     = "untracked"
)

// Event is one Server-Sent Event of GET /v1/events; the SSE "event:" field
// carries Type and the "data:" field the whole object as JSON.
type Event struct {
	Type      string     `json:"type"`
	Time      time.Time  `json:"time"`
	Project   string     `json:"project,omitempty"` // project id; empty for the user token
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
	Message   string     `json:"message,omitempty"`
	// Cause says why, for expiring and login_required events: renewal_failing,
	// project_ends, session_ends or login_required.
	Cause string `json:"cause,omitempty"`
}

// Service is what the agent implements and the handler serves. Methods return
// an *Error to choose the HTTP status and code; any other error is a 500.
type Service interface {
	Status(ctx context.Context) (Status, error)
	// UserToken returns the user token with at least minValid left, renewing first if needed.
	// A minValid longer than the token lifetime should be refused with BadRequest.
	UserToken(ctx context.Context, minValid time.Duration) (Token, error)
	Projects(ctx context.Context) ([]Project, error)
	// ProjectToken returns a project's token (ref is an id or a unique name), tracking it if it was not.
	ProjectToken(ctx context.Context, ref string, minValid time.Duration) (Token, error)
	Track(ctx context.Context, ref string) (Project, error)
	Untrack(ctx context.Context, ref string) error
	// Refresh renews now: the user token when ref is empty, else that project's token.
	Refresh(ctx context.Context, ref string) error
	StartLogin(ctx context.Context) (LoginStart, error)
	LoginStatus(ctx context.Context) (LoginState, error)
	Logout(ctx context.Context) error
	Lock(ctx context.Context, passphrase string) error
	Unlock(ctx context.Context, passphrase string) error
	// ImportLogin adopts a login made elsewhere (the Slices CLI's): the access
	// token is verified, or renewed with refreshToken when missing or expired.
	ImportLogin(ctx context.Context, accessToken, refreshToken string) error
	// Shutdown asks the agent to stop after the answer is sent.
	Shutdown(ctx context.Context) error
	// Subscribe delivers events until ctx ends; the channel is closed then.
	Subscribe(ctx context.Context) <-chan Event
}

// TrackRequest is the optional JSON body of PUT /v1/projects/{ref}.
type TrackRequest struct {
	// Sink asks the agent to keep this file (an absolute path) holding the
	// project's token; empty keeps what was asked before.
	Sink string `json:"sink,omitempty"`
}

// SinkService is a Service that keeps token files (sinks): the handler
// passes a PUT /v1/projects/{ref} with a sink to TrackSink, and answers 400
// when the Service does not implement it.
type SinkService interface {
	// TrackSink tracks the project ref and keeps the file at sink holding
	// its token, rewritten on every renewal.
	TrackSink(ctx context.Context, ref, sink string) (Project, error)
}
