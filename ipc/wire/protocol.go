package wire

import "time"

// MediaTypeJWT is the Accept value that asks a token route for the raw token.
const MediaTypeJWT = "application/jwt"

// MaxAnswerBytes is the most a command-line client reads of a token or
// status answer: a longer one is refused, never cut short.
const MaxAnswerBytes = 1 << 20

// DefaultCallTimeout bounds one call to the agent other than an events stream.
const DefaultCallTimeout = 30 * time.Second

// AnswerWithin is how long an agent may take to start answering: a live one
// answers, or says it is working (102 Processing), well within it. One that
// accepts a connection and says nothing is hung.
const AnswerWithin = 5 * time.Second

// PortalHeader names the portal a client means; an agent on another portal
// refuses the request, so the check costs no extra round trip.
const PortalHeader = "Slices-Portal"

// Status is the answer of GET /v1/status.
type Status struct {
	Version string `json:"version"`
	PID     int    `json:"pid"`
	Socket  string `json:"socket"`
	Portal  string `json:"portal"`
	Keyring string `json:"keyring"`
	// KeyringNote says why the backend is what it is, e.g. why auto fell back to memory.
	KeyringNote string          `json:"keyring_note,omitempty"`
	Locked      bool            `json:"locked"`
	User        UserStatus      `json:"user"`
	Projects    []ProjectStatus `json:"projects"`
	// ClientID is the OAuth2 client the agent presents to the portal.
	ClientID string `json:"client_id,omitempty"`
	// Settings are the agent's settings and where each came from.
	Settings []Setting `json:"settings,omitempty"`
}

// Setting is one setting of the agent (portal, client_id,
// client_secret_file, scope, keyring): its value and where it came from —
// flag, env, file or default — never a secret itself.
type Setting struct {
	Key    string `json:"key"`
	Value  string `json:"value"`
	Source string `json:"source"`
	// From names the flag, variable or config file.
	From string `json:"from,omitempty"`
}

// UserStatus describes the login held by the agent.
type UserStatus struct {
	LoggedIn  bool       `json:"logged_in"`
	Subject   string     `json:"subject,omitempty"`
	Name      string     `json:"name,omitempty"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
	// IssuedAt is when the token's lifetime began, as the agent counts it
	// for renewal (when it was fetched).
	IssuedAt    *time.Time `json:"issued_at,omitempty"`
	Refreshable bool       `json:"refreshable"`
	// SessionEndsAt is when the login itself ends and a new one is needed,
	// when the portal says so.
	SessionEndsAt *time.Time `json:"session_ends_at,omitempty"`
	// State is one of the TokenState values, or "login_required".
	State     string `json:"state"`
	LastError string `json:"last_error,omitempty"`
}

// Token states reported in status and project lists.
const (
	StateValid         = "valid"          // held and not near expiry
	StateRenewing      = "renewing"       // renewal in flight or retrying, old token still valid
	StateExpired       = "expired"        // renewal failing and the old token expired
	StatePending       = "pending"        // tracked, no token fetched yet
	StateLoginRequired = "login_required" // the refresh token was refused or there is no login
	StateUntracked     = "untracked"      // in the portal's list, not kept by the agent
)

// ProjectStatus is one tracked project in Status.
type ProjectStatus struct {
	ID        string     `json:"id"`
	Name      string     `json:"name"`
	Role      string     `json:"role,omitempty"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
	// IssuedAt is when the token's lifetime began, as the agent counts it.
	IssuedAt  *time.Time `json:"issued_at,omitempty"`
	State     string     `json:"state"`
	LastError string     `json:"last_error,omitempty"`
	// Sink is the file the agent keeps holding the project's token, if any.
	Sink string `json:"sink,omitempty"`
}
