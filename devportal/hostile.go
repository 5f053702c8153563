package devportal

import (
	"encoding/json"
	"net/http"
	"slices"
)

// HostileProject is a project added by a test, typically with a name,
// description or role made to attack a terminal or a shell
// ("$(touch /tmp/x)", "\x1b]52;c;…\a", "\u202e").
type HostileProject struct {
	ID          string `json:"id,omitempty"` // derived from Name when empty
	Name        string `json:"name"`
	Description string `json:"description"`
	Role        string `json:"role"`
}

// AddProject adds p to the projects every user sees, and returns its id.
func (s *Server) AddProject(hp HostileProject) string {
	p := project{ID: hp.ID, Name: hp.Name, Description: hp.Description, Role: hp.Role, CreatedAt: s.now().UTC().Truncate(0)}
	if p.ID == "" {
		p.ID = projectID(p.Name)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	// Copy on write: handlers read the list and the index without the lock.
	list := append(slices.Clone(s.projects), p)
	byID := make(map[string]*project, len(list))
	for i := range list {
		byID[list[i].ID] = &list[i]
	}
	s.projects, s.byID = list, byID
	return p.ID
}

// SetUsername changes the preferred_username of the user tokens minted from now on.
func (s *Server) SetUsername(name string) {
	s.mu.Lock()
	s.user.username = name
	s.mu.Unlock()
}

// username is the demo user's preferred_username.
func (s *Server) username() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.user.username
}

// catalog returns the projects list and its index, as last replaced.
func (s *Server) catalog() ([]project, map[string]*project) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.projects, s.byID
}

// serveHostileDev answers the /_dev/ controls that serve hostile data:
// POST /_dev/projects adds a project ({"name","description","role"}), and
// POST /_dev/user sets the username ({"username"}). It reports whether the
// route was one of them.
func (s *Server) serveHostileDev(w http.ResponseWriter, r *http.Request, route string) bool {
	switch route {
	case "POST /_dev/projects":
		var hp HostileProject
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxFormBody)).Decode(&hp); err != nil || hp.Name == "" {
			writeJSON(w, http.StatusBadRequest, errorBody{Error: "bad_request", Description: `want {"name","description","role"}`})
			return true
		}
		writeJSON(w, http.StatusOK, map[string]any{"ok": true, "id": s.AddProject(hp)})
	case "POST /_dev/user":
		var u struct {
			Username string `json:"username"`
		}
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxFormBody)).Decode(&u); err != nil {
			writeJSON(w, http.StatusBadRequest, errorBody{Error: "bad_request", Description: `want {"username"}`})
			return true
		}
		s.SetUsername(u.Username)
		writeJSON(w, http.StatusOK, map[string]any{"ok": true})
	default:
		return false
	}
	return true
}
