package devportal

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Fault is an injected misbehaviour for requests whose path starts with Path.
type Fault struct {
	// Path is a URL path prefix; "" matches every request (except /_dev/).
	Path string `json:"path"`
	// Status, when not 0, is answered instead of the real handler.
	Status int `json:"status"`
	// Latency delays the answer (cut short when the request is cancelled).
	Latency time.Duration `json:"-"`
	// Count is how many requests the fault hits; 0 = until cleared.
	Count int `json:"count"`
	// Body is the raw body answered with Status; empty = an OAuth-style JSON error.
	Body string `json:"body,omitempty"`
}

// faultWire is Fault as JSON: latency is a Go duration string ("2s") or seconds.
type faultWire struct {
	Path    string          `json:"path"`
	Status  int             `json:"status"`
	Latency json.RawMessage `json:"latency,omitempty"`
	Count   int             `json:"count"`
	Body    string          `json:"body,omitempty"`
}

// MarshalJSON writes Latency as a Go duration string.
func (f Fault) MarshalJSON() ([]byte, error) {
	lat, _ := json.Marshal(f.Latency.String())
	return json.Marshal(faultWire{Path: f.Path, Status: f.Status, Latency: lat, Count: f.Count, Body: f.Body})
}

// UnmarshalJSON reads Latency as a Go duration string ("250ms") or a number of seconds.
func (f *Fault) UnmarshalJSON(b []byte) error {
	var w faultWire
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*f = Fault{Path: w.Path, Status: w.Status, Count: w.Count, Body: w.Body}
	if len(w.Latency) == 0 || string(w.Latency) == "null" {
		return nil
	}
	var str string
	if err := json.Unmarshal(w.Latency, &str); err == nil {
		d, err := time.ParseDuration(str)
		if err != nil {
			return fmt.Errorf("fault latency: %w", err)
		}
		f.Latency = d
		return nil
	}
	var sec float64
	if err := json.Unmarshal(w.Latency, &sec); err != nil {
		return fmt.Errorf("fault latency must be a duration string or seconds, not %s", w.Latency)
	}
	f.Latency = time.Duration(sec * float64(time.Second))
	return nil
}

// Stats counts what the portal was asked, for tests and benchmarks.
type Stats struct {
	// Requests counts requests by endpoint: discovery, jwks, device_authorization,
	// token_device, token_refresh, token, revoke, projects, project, project_token,
	// userinfo, approve_page, authorize, not_found. Faulted requests count too.
	Requests map[string]int `json:"requests"`
	// ProjectTokens counts project tokens handed out, by project id.
	ProjectTokens map[string]int `json:"project_tokens"`
	// Refreshes counts successful refresh grants.
	Refreshes int `json:"refreshes"`
	// RefreshReuse counts refused reuses of rotated refresh tokens.
	RefreshReuse int `json:"refresh_reuse"`
	// Faults counts requests answered or delayed by an injected fault.
	Faults int `json:"faults"`
}

func newStats() Stats {
	return Stats{Requests: map[string]int{}, ProjectTokens: map[string]int{}}
}

// Stats returns a copy of the counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stats
	st.Requests = maps.Clone(s.stats.Requests)
	st.ProjectTokens = maps.Clone(s.stats.ProjectTokens)
	return st
}

// ResetStats sets every counter back to zero.
func (s *Server) ResetStats() {
	s.mu.Lock()
	s.stats = newStats()
	s.mu.Unlock()
}

func (s *Server) count(name string) {
	s.mu.Lock()
	s.stats.Requests[name]++
	s.mu.Unlock()
}

// InjectFault appends a fault; the first matching fault applies to each request.
func (s *Server) InjectFault(f Fault) {
	s.mu.Lock()
	s.faults = append(s.faults, &f)
	s.mu.Unlock()
}

// ClearFaults removes every injected fault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	s.faults = nil
	s.mu.Unlock()
}

// applyFault runs the first fault matching r; it reports whether it answered the request.
func (s *Server) applyFault(w http.ResponseWriter, r *http.Request) bool {
	s.mu.Lock()
	var f Fault
	found := false
	for i, cand := range s.faults {
		if !strings.HasPrefix(r.URL.Path, cand.Path) {
			continue
		}
		f, found = *cand, true
		if cand.Count > 0 {
			cand.Count--
			if cand.Count == 0 {
				s.faults = append(s.faults[:i:i], s.faults[i+1:]...)
			}
		}
		s.stats.Faults++
		break
	}
	s.mu.Unlock()
	if !found {
		return false
	}
	if err := sleepCtx(r.Context(), f.Latency); err != nil {
		return true // the client gave up; nobody reads an answer
	}
	if f.Status == 0 {
		return false
	}
	if f.Body != "" {
		ct := "text/plain; charset=utf-8"
		if b := strings.TrimSpace(f.Body); strings.HasPrefix(b, "{") || strings.HasPrefix(b, "[") {
			ct = "application/json"
		}
		w.Header().Set("Content-Type", ct)
		w.WriteHeader(f.Status)
		_, _ = w.Write([]byte(f.Body))
		return true
	}
	writeJSON(w, f.Status, errorBody{Error: "injected_fault",
		Description: fmt.Sprintf("injected fault: status %d", f.Status)})
	return true
}

// serveDev answers the /_dev/ controls; they are never faulted.
func (s *Server) serveDev(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	ok := map[string]any{"ok": true}
	route := r.Method + " " + strings.TrimSuffix(r.URL.Path, "/")
	switch route {
	case "POST /_dev/faults":
		var f Fault
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxFormBody)).Decode(&f); err != nil {
			writeJSON(w, http.StatusBadRequest, errorBody{Error: "bad_request", Description: "fault: " + err.Error()})
			return
		}
		s.InjectFault(f)
		writeJSON(w, http.StatusOK, ok)
	case "GET /_dev/faults":
		s.mu.Lock()
		fs := make([]Fault, 0, len(s.faults))
		for _, f := range s.faults {
			fs = append(fs, *f)
		}
		s.mu.Unlock()
		writeJSON(w, http.StatusOK, map[string]any{"faults": fs})
	case "DELETE /_dev/faults":
		s.ClearFaults()
		writeJSON(w, http.StatusOK, ok)
	case "POST /_dev/rotate-key":
		var kid string
		if drop, _ := strconv.ParseBool(q.Get("drop_old")); drop {
			kid = s.RotateKeyHard()
		} else {
			kid = s.RotateKey()
		}
		writeJSON(w, http.StatusOK, map[string]any{"ok": true, "kid": kid})
	case "POST /_dev/revoke":
		s.RevokeRefreshTokens()
		writeJSON(w, http.StatusOK, ok)
	case "POST /_dev/approve", "POST /_dev/deny":
		var err error
		if strings.HasSuffix(route, "approve") {
			err = s.Approve(q.Get("user_code"))
		} else {
			err = s.Deny(q.Get("user_code"))
		}
		if err != nil {
			writeJSON(w, http.StatusBadRequest, errorBody{Error: "bad_request", Description: err.Error()})
			return
		}
		writeJSON(w, http.StatusOK, ok)
	case "POST /_dev/mode":
		m, err := ParseTokenMode(q.Get("token"))
		if err != nil {
			writeJSON(w, http.StatusBadRequest, errorBody{Error: "bad_request", Description: err.Error()})
			return
		}
		s.SetMode(m)
		writeJSON(w, http.StatusOK, map[string]any{"ok": true, "token": string(m)})
	case "GET /_dev/stats":
		writeJSON(w, http.StatusOK, s.Stats())
	case "POST /_dev/stats/reset":
		s.ResetStats()
		writeJSON(w, http.StatusOK, ok)
	default:
		if s.serveHostileDev(w, r, route) {
			return
		}
		writeJSON(w, http.StatusNotFound, errorBody{Error: "not_found", Description: "no dev control " + route})
	}
}
