package ipc

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// Error codes carried in the "code" field of an error answer.
const (
	CodeBadRequest        = "bad_request"
	CodeLoginRequired     = "login_required"
	CodeUnknownProject    = "unknown_project"
	CodeNotFound          = "not_found"
	CodeMethodNotAllowed  = "method_not_allowed"
	CodeTooLarge          = "too_large"
	CodeLocked            = "locked"
	CodeInternal          = "internal"
	CodePortalUnavailable = "portal_unavailable"
	CodeTokenUnavailable  = "token_unavailable"
	// CodePortalRefused is the portal refusing the agent's client: its id,
	// secret, grant or scope. Configuration must change, not the login.
	CodePortalRefused = "portal_refused"
	// CodePortalMismatch is a request that names another portal (the
	// PortalHeader) than the agent's.
	CodePortalMismatch = "portal_mismatch"
)

// Error is an API error: the HTTP status, a stable code, a lower-case message
// and, when the user can act, a hint. On the wire it is
// {"error":{"code":...,"message":...,"hint":...}}.
type Error struct {
	Status  int    `json:"-"`
	Code    string `json:"code"`
	Message string `json:"message"`
	Hint    string `json:"hint,omitempty"`
}

// Error returns the message.
func (e *Error) Error() string { return e.Message }

// Is reports whether target is an *Error with the same code, so that
// errors.Is(err, &ipc.Error{Code: ipc.CodeLocked}) works on wrapped errors.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code != "" && t.Code == e.Code
}

// errorBody is the JSON envelope of an error answer.
type errorBody struct {
	Error *Error `json:"error"`
}

// AsError finds an *Error in err's chain.
func AsError(err error) (*Error, bool) {
	var e *Error
	if errors.As(err, &e) {
		return e, true
	}
	return nil, false
}

// HasCode reports whether err carries an *Error with the given code.
func HasCode(err error, code string) bool {
	e, ok := AsError(err)
	return ok && e.Code == code
}

// BadRequest is a 400 bad_request error.
func BadRequest(msg, hint string) *Error {
	return &Error{Status: http.StatusBadRequest, Code: CodeBadRequest, Message: msg, Hint: hint}
}

// LoginRequired is a 401 login_required error; an empty hint becomes
// "run 'slices-agent login'".
func LoginRequired(msg, hint string) *Error {
	if hint == "" {
		hint = "run 'slices-agent login'"
	}
	return &Error{Status: http.StatusUnauthorized, Code: CodeLoginRequired, Message: msg, Hint: hint}
}

// UnknownProject is a 404 unknown_project error for the project reference ref.
func UnknownProject(ref string) *Error {
	return &Error{
		Status:  http.StatusNotFound,
		Code:    CodeUnknownProject,
		Message: fmt.Sprintf("unknown project %q", ref),
		Hint:    "run 'slices-agent projects' to list your projects",
	}
}

// NotFound is a 404 not_found error for a path the API does not have.
func NotFound(path string) *Error {
	return &Error{Status: http.StatusNotFound, Code: CodeNotFound, Message: fmt.Sprintf("no such endpoint %s", path)}
}

// MethodNotAllowed is a 405 method_not_allowed error.
func MethodNotAllowed(method, path string) *Error {
	return &Error{
		Status:  http.StatusMethodNotAllowed,
		Code:    CodeMethodNotAllowed,
		Message: fmt.Sprintf("method %s not allowed on %s", method, path),
	}
}

// TooLarge is a 413 too_large error for a request body over MaxBodyBytes.
func TooLarge() *Error {
	return &Error{
		Status:  http.StatusRequestEntityTooLarge,
		Code:    CodeTooLarge,
		Message: fmt.Sprintf("request body over %d bytes", MaxBodyBytes),
	}
}

// Locked is a 423 locked error: the agent hands out no token while locked.
func Locked() *Error {
	return &Error{
		Status:  http.StatusLocked,
		Code:    CodeLocked,
		Message: "the agent is locked",
		Hint:    "run 'slices-agent unlock'",
	}
}

// Internal is a 500 internal error.
func Internal(msg string) *Error {
	return &Error{Status: http.StatusInternalServerError, Code: CodeInternal, Message: msg}
}

// PortalUnavailable is a 502 portal_unavailable error.
func PortalUnavailable(msg, hint string) *Error {
	return &Error{Status: http.StatusBadGateway, Code: CodePortalUnavailable, Message: msg, Hint: hint}
}

// PortalRefused is a 502 portal_refused error: the portal refused the
// agent's client (invalid_client, unauthorized_client, invalid_scope,
// unsupported_grant_type).
func PortalRefused(msg, hint string) *Error {
	return &Error{Status: http.StatusBadGateway, Code: CodePortalRefused, Message: msg, Hint: hint}
}

// PortalMismatch is a 409 portal_mismatch error: the client asked for the
// portal asked, and the agent (pid) uses its own.
func PortalMismatch(own, asked string, pid int) *Error {
	return &Error{Status: http.StatusConflict, Code: CodePortalMismatch,
		Message: fmt.Sprintf("(pid %d) uses the portal %s, not %s", pid, own, asked)}
}

// SamePortal compares portal URLs, ignoring a trailing slash and the case of
// the scheme and host.
func SamePortal(a, b string) bool {
	norm := func(u string) string {
		u = strings.TrimRight(u, "/")
		if scheme, rest, ok := strings.Cut(u, "://"); ok {
			host, path, _ := strings.Cut(rest, "/")
			u = strings.ToLower(scheme) + "://" + strings.ToLower(host)
			if path != "" {
				u += "/" + path
			}
		}
		return u
	}
	return norm(a) == norm(b)
}

// TokenUnavailable is a 503 token_unavailable error: renewal is failing and the
// old token has expired.
func TokenUnavailable(msg, hint string) *Error {
	return &Error{Status: http.StatusServiceUnavailable, Code: CodeTokenUnavailable, Message: msg, Hint: hint}
}
