package ipc

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"regexp"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/slices-ri/slices-agent/ipc/wire"
)

// MaxBodyBytes is the largest request body the handler reads; larger ones get 413.
const MaxBodyBytes = 64 << 10

// MediaTypeJWT is the Accept value that asks a token route for the raw token.
const MediaTypeJWT = wire.MediaTypeJWT

// HandlerOptions tunes NewHandler; the zero value is ready to use.
type HandlerOptions struct {
	// Logger receives panics and failed writes; nil discards them.
	Logger *slog.Logger
	// Now is the clock used for expires_in; nil means time.Now.
	Now func() time.Time
	// WriteTimeout bounds writing one answer on non-streaming routes; 0 means 10s.
	WriteTimeout time.Duration
	// KeepAlive is the interval of ": ping" comments on /v1/events; 0 means 15s.
	KeepAlive time.Duration
	// ProcessingAfter is when a busy handler sends 102 Processing; 0 means
	// the package's ProcessingAfter.
	ProcessingAfter time.Duration
	// Portal is the agent's portal URL: a request whose PortalHeader names
	// another one is refused with portal_mismatch. Empty accepts any.
	Portal string
}

// PortalHeader names the portal a client means; an agent on another portal
// refuses the request, so the check costs no extra round trip.
const PortalHeader = wire.PortalHeader

// handler serves the socket API on top of a Service.
type handler struct {
	svc   Service
	opts  HandlerOptions
	mux   *http.ServeMux
	watch *processingWatch // sends 102 Processing to answers slow to start
}

// route is one method and path of the API, its handler and how it is served.
type route struct {
	method, path string
	serve        func(http.ResponseWriter, *http.Request) error
	// readsBody: the handler reads the request body itself; every other
	// route has it read and discarded before it is served.
	readsBody bool
	// streams: the answer lasts as long as the client listens, so it has no
	// write deadline.
	streams bool
}

// NewHandler returns the HTTP handler of the socket API serving svc. Every
// route of the contract is served; unknown or non-canonical paths get 404
// not_found, wrong methods 405, bodies over MaxBodyBytes 413, and a panic in svc a 500.
func NewHandler(svc Service, opts HandlerOptions) http.Handler {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.WriteTimeout <= 0 {
		opts.WriteTimeout = 10 * time.Second
	}
	if opts.KeepAlive <= 0 {
		opts.KeepAlive = 15 * time.Second
	}
	if opts.ProcessingAfter <= 0 {
		opts.ProcessingAfter = ProcessingAfter
	}
	h := &handler{svc: svc, opts: opts, mux: http.NewServeMux(), watch: newProcessingWatch(opts.ProcessingAfter)}
	routes := []route{
		{method: "GET", path: "/v1/status", serve: h.status},
		{method: "GET", path: "/v1/token", serve: h.userToken},
		{method: "GET", path: "/v1/projects", serve: h.projects},
		{method: "GET", path: "/v1/projects/{ref}/token", serve: h.projectToken},
		{method: "PUT", path: "/v1/projects/{ref}", serve: h.track, readsBody: true},
		{method: "DELETE", path: "/v1/projects/{ref}", serve: h.untrack},
		{method: "POST", path: "/v1/projects/{ref}/refresh", serve: h.refreshProject},
		{method: "POST", path: "/v1/refresh", serve: h.refreshUser},
		{method: "POST", path: "/v1/login", serve: h.startLogin},
		{method: "GET", path: "/v1/login", serve: h.loginStatus},
		{method: "POST", path: "/v1/logout", serve: h.logout},
		{method: "POST", path: "/v1/lock", serve: h.lock, readsBody: true},
		{method: "POST", path: "/v1/unlock", serve: h.unlock, readsBody: true},
		{method: "POST", path: "/v1/import", serve: h.importLogin, readsBody: true},
		{method: "POST", path: "/v1/shutdown", serve: h.shutdown},
		{method: "GET", path: "/v1/events", serve: h.events, streams: true},
	}
	allowed := map[string][]string{} // path → its methods, in the order above
	var paths []string
	for _, rt := range routes {
		h.mux.Handle(rt.method+" "+rt.path, h.wrap(rt))
		if allowed[rt.path] == nil {
			paths = append(paths, rt.path)
		}
		allowed[rt.path] = append(allowed[rt.path], rt.method)
	}
	for _, path := range paths {
		allow := strings.Join(allowed[path], ", ")
		if slices.Contains(allowed[path], "GET") {
			allow += ", HEAD"
		}
		h.mux.Handle(path, h.wrap(route{path: path, serve: func(w http.ResponseWriter, r *http.Request) error {
			w.Header().Set("Allow", allow)
			return MethodNotAllowed(r.Method, r.URL.Path)
		}}))
	}
	h.mux.Handle("/", h.wrap(route{path: "/", serve: func(w http.ResponseWriter, r *http.Request) error {
		return NotFound(r.URL.Path)
	}}))
	return canonical(h.mux)
}

// wrap applies the body limit, the write deadline and panic recovery, and
// turns a returned error into a JSON error answer.
func (h *handler) wrap(rt route) http.Handler {
	pattern := strings.TrimSpace(rt.method + " " + rt.path)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				h.opts.Logger.Error("panic in socket API handler", "route", pattern,
					"panic", redact(fmt.Sprint(v)), "stack", string(debug.Stack()))
				h.writeError(w, Internal("internal error in the agent"))
			}
		}()
		if !rt.streams {
			if strings.EqualFold(r.Header.Get("Expect"), "100-continue") && r.ContentLength != 0 && r.ContentLength <= MaxBodyBytes {
				// Sent now, from this goroutine: net/http's own would be
				// written by the body read, racing a 102 from the watch.
				w.WriteHeader(http.StatusContinue)
			}
			// The write deadline starts when the answer does: a renewal
			// may keep the handler busy longer than a slow reader may take.
			aw := newAnswerWriter(w, h.opts.WriteTimeout, h.watch)
			defer aw.done()
			w = aw
		}
		if asked := r.Header.Get(PortalHeader); asked != "" && h.opts.Portal != "" && !SamePortal(asked, h.opts.Portal) {
			h.writeError(w, PortalMismatch(h.opts.Portal, asked, os.Getpid()))
			return
		}
		if r.ContentLength > MaxBodyBytes {
			// Answer without reading: the server closes the connection after.
			w.Header().Set("Connection", "close")
			h.writeError(w, TooLarge())
			return
		}
		if r.Body != http.NoBody { // a request without a body has nothing to bound or drain
			r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
			if !rt.readsBody {
				if err := drain(r); err != nil {
					h.writeError(w, err)
					return
				}
			}
		}
		start := time.Now()
		err := rt.serve(w, r)
		if err != nil {
			h.writeError(w, err)
		}
		if h.opts.Logger.Enabled(r.Context(), slog.LevelDebug) {
			h.logRequest(r, pattern, err, time.Since(start))
		}
	})
}

// logRequest writes one debug line per request: never a token, at most its tail.
func (h *handler) logRequest(r *http.Request, pattern string, err error, took time.Duration) {
	attrs := []any{"method", r.Method, "path", redact(r.URL.Path), "route", pattern, "took", took.Round(time.Microsecond)}
	if p, ok := PeerFromContext(r.Context()); ok {
		attrs = append(attrs, "peer_pid", p.PID)
	}
	if e, ok := AsError(err); ok {
		attrs = append(attrs, "status", e.Status, "code", e.Code)
	} else if err != nil {
		attrs = append(attrs, "err", redact(err.Error()))
	}
	h.opts.Logger.Debug("request", attrs...)
}

// writeError writes err as a JSON error answer; see writeJSONError.
func (h *handler) writeError(w http.ResponseWriter, err error) {
	e, ok := AsError(err)
	if !ok {
		if errors.Is(err, context.Canceled) {
			return // the client went away; nobody reads the answer
		}
		h.opts.Logger.Warn("socket API error", "err", redact(err.Error()))
		e = Internal(err.Error())
	}
	if e.Status == 0 {
		e = &Error{Status: http.StatusInternalServerError, Code: e.Code, Message: e.Message, Hint: e.Hint}
	}
	writeJSONError(w, e)
}

// writeJSON writes v as a JSON answer with the given status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		b, status = []byte(`{"error":{"code":"internal","message":"cannot encode the answer"}}`), http.StatusInternalServerError
	}
	hd := w.Header()
	hd.Set("Content-Type", "application/json")
	hd.Set("Content-Length", strconv.Itoa(len(b)+1))
	w.WriteHeader(status)
	b = append(b, '\n')
	_, _ = w.Write(b)
}

// drain reads and discards a body the route does not use, so that an
// oversized one is answered with 413 before the service is called.
func drain(r *http.Request) error {
	if _, err := io.Copy(io.Discard, r.Body); err != nil {
		return bodyError(err)
	}
	return nil
}

// bodyError maps a body read error to an API error.
func bodyError(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return TooLarge()
	}
	return BadRequest("cannot read the request body: "+err.Error(), "")
}

// ref returns the {ref} path value, refusing an empty one.
func ref(r *http.Request) (string, error) {
	v := r.PathValue("ref")
	if v == "" {
		return "", BadRequest("empty project reference", "give a project id or name")
	}
	return v, nil
}

func (h *handler) status(w http.ResponseWriter, r *http.Request) error {
	st, err := h.svc.Status(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, st)
	return nil
}

func (h *handler) userToken(w http.ResponseWriter, r *http.Request) error {
	return h.token(w, r, "")
}

func (h *handler) projectToken(w http.ResponseWriter, r *http.Request) error {
	p, err := ref(r)
	if err != nil {
		return err
	}
	return h.token(w, r, p)
}

// token serves both token routes; project is empty for the user token.
func (h *handler) token(w http.ResponseWriter, r *http.Request, project string) error {
	var mv string
	if r.URL.RawQuery != "" { // most token requests have none: no map to make
		mv = r.URL.Query().Get("min_valid")
	}
	minValid, err := ParseMinValid(mv)
	if err != nil {
		return err
	}
	var t Token
	if project == "" {
		t, err = h.svc.UserToken(r.Context(), minValid)
	} else {
		t, err = h.svc.ProjectToken(r.Context(), project, minValid)
	}
	if err != nil {
		return err
	}
	hd := w.Header()
	hd["Cache-Control"] = noStore
	if strings.Contains(r.Header.Get("Accept"), MediaTypeJWT) {
		hd["Content-Type"] = jwtType
		hd["Content-Length"] = []string{strconv.Itoa(len(t.Token))}
		w.WriteHeader(http.StatusOK)
		_, _ = io.WriteString(w, t.Token)
		return nil
	}
	if !t.ExpiresAt.IsZero() {
		t.ExpiresIn = max(0, int64(t.ExpiresAt.Sub(h.opts.Now())/time.Second))
	}
	writeJSON(w, http.StatusOK, t)
	return nil
}

// Header values of every token answer, shared: net/http only reads them.
var (
	noStore = []string{"no-store"}
	jwtType = []string{MediaTypeJWT}
)

func (h *handler) projects(w http.ResponseWriter, r *http.Request) error {
	ps, err := h.svc.Projects(r.Context())
	if err != nil {
		return err
	}
	if ps == nil {
		ps = []Project{}
	}
	writeJSON(w, http.StatusOK, ProjectList{Projects: ps})
	return nil
}

func (h *handler) track(w http.ResponseWriter, r *http.Request) error {
	p, err := ref(r)
	if err != nil {
		return err
	}
	b, err := io.ReadAll(r.Body)
	if err != nil {
		return bodyError(err)
	}
	var tr TrackRequest
	if len(bytes.TrimSpace(b)) > 0 && json.Unmarshal(b, &tr) != nil {
		return BadRequest("request body is not a JSON object", `send nothing, or {"sink":"/path/to/file"}`)
	}
	var proj Project
	if tr.Sink != "" {
		ss, ok := h.svc.(SinkService)
		if !ok {
			return BadRequest("this agent keeps no token files", "")
		}
		proj, err = ss.TrackSink(r.Context(), p, tr.Sink)
	} else {
		proj, err = h.svc.Track(r.Context(), p)
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, proj)
	return nil
}

// noContent wraps a Service call that answers nothing: 204 on success.
func (h *handler) noContent(w http.ResponseWriter, r *http.Request, call func(context.Context) error) error {
	if err := drain(r); err != nil {
		return err
	}
	if err := call(r.Context()); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *handler) untrack(w http.ResponseWriter, r *http.Request) error {
	p, err := ref(r)
	if err != nil {
		return err
	}
	return h.noContent(w, r, func(ctx context.Context) error { return h.svc.Untrack(ctx, p) })
}

func (h *handler) refreshProject(w http.ResponseWriter, r *http.Request) error {
	p, err := ref(r)
	if err != nil {
		return err
	}
	return h.noContent(w, r, func(ctx context.Context) error { return h.svc.Refresh(ctx, p) })
}

func (h *handler) refreshUser(w http.ResponseWriter, r *http.Request) error {
	return h.noContent(w, r, func(ctx context.Context) error { return h.svc.Refresh(ctx, "") })
}

func (h *handler) startLogin(w http.ResponseWriter, r *http.Request) error {
	ls, err := h.svc.StartLogin(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, ls)
	return nil
}

func (h *handler) loginStatus(w http.ResponseWriter, r *http.Request) error {
	ls, err := h.svc.LoginStatus(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, ls)
	return nil
}

func (h *handler) logout(w http.ResponseWriter, r *http.Request) error {
	return h.noContent(w, r, h.svc.Logout)
}

func (h *handler) shutdown(w http.ResponseWriter, r *http.Request) error {
	return h.noContent(w, r, h.svc.Shutdown)
}

// Passphrase is the JSON body of POST /v1/lock and POST /v1/unlock.
type Passphrase struct {
	Passphrase string `json:"passphrase"`
}

// readPassphrase decodes a Passphrase body, refusing anything else.
func readPassphrase(r *http.Request) (string, error) {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		return "", bodyError(err)
	}
	var p Passphrase
	if err := json.Unmarshal(b, &p); err != nil {
		return "", BadRequest("request body is not a JSON object with a passphrase", `send {"passphrase":"..."}`)
	}
	return p.Passphrase, nil
}

func (h *handler) lock(w http.ResponseWriter, r *http.Request) error {
	pass, err := readPassphrase(r)
	if err != nil {
		return err
	}
	return h.noContent(w, r, func(ctx context.Context) error { return h.svc.Lock(ctx, pass) })
}

func (h *handler) unlock(w http.ResponseWriter, r *http.Request) error {
	pass, err := readPassphrase(r)
	if err != nil {
		return err
	}
	return h.noContent(w, r, func(ctx context.Context) error { return h.svc.Unlock(ctx, pass) })
}

// jwtPattern finds JWT-shaped strings so that logs never carry a whole token.
var jwtPattern = regexp.MustCompile(`[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{6,}`)

// Redact replaces every JWT-shaped string in s with "…" and its last 6
// characters, for messages that quote what a user typed or sent.
func Redact(s string) string { return redact(s) }

// redact replaces every JWT-shaped string in s with "…" and its last 6 characters.
func redact(s string) string {
	return jwtPattern.ReplaceAllStringFunc(s, func(t string) string { return "…" + t[len(t)-6:] })
}
