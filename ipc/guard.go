package ipc

import (
	"fmt"
	"net/http"
	"path"
	"strings"
)

// canonical answers the requests that http.ServeMux would otherwise answer
// itself in plain text or HTML — CONNECT, a target that is not a path
// ("OPTIONS *"), a path that is not clean ("//", "..", which the mux
// redirects) — with the API's JSON errors, and passes the rest to next.
// Cleanliness is judged on the path as sent, as the mux judges it: a
// project named ".." is asked for as %2E%2E and is no step up.
func canonical(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		switch {
		case r.Method == http.MethodConnect:
			writeJSONError(w, MethodNotAllowed(r.Method, r.RequestURI))
		case !strings.HasPrefix(p, "/"):
			writeJSONError(w, BadRequest(fmt.Sprintf("request target %q is not a path", r.RequestURI), "use a path such as /v1/status"))
		case cleanPath(r.URL.EscapedPath()) != r.URL.EscapedPath():
			writeJSONError(w, NotFound(p))
		default:
			next.ServeHTTP(w, r)
		}
	})
}

// writeJSONError writes e as a JSON error answer. Messages often quote the
// request (a project reference, a min_valid value): a token pasted there by
// mistake comes back as its last 6 characters, so that it does not end up
// in a terminal's scrollback or a CI log.
func writeJSONError(w http.ResponseWriter, e *Error) {
	if m, h := redact(e.Message), redact(e.Hint); m != e.Message || h != e.Hint {
		e = &Error{Status: e.Status, Code: e.Code, Message: m, Hint: h}
	}
	writeJSON(w, e.Status, errorBody{Error: e})
}

// cleanPath is p as http.ServeMux cleans it: no "//", "." or "..", the
// trailing slash kept.
func cleanPath(p string) string {
	np := path.Clean(p)
	if strings.HasSuffix(p, "/") && np != "/" {
		np += "/"
	}
	return np
}
