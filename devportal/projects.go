package devportal

import (
	"crypto/sha256"
	"fmt"
	"math/big"
	"net/http"
	"strings"
	"time"
)

// Id prefixes of the real Slices account service.
const (
	userIDPrefix    = "user_account.ilabt.imec.be_"
	projectIDPrefix = "proj_account.ilabt.imec.be_"
)

// demoUser is the one researcher every login of the emulator signs in as.
type demoUser struct {
	sub, username, name, email string
}

func newDemoUser() demoUser {
	return demoUser{
		sub:      userIDPrefix + base36ID("user:demo-researcher"),
		username: "demo-researcher",
		name:     "Demo Researcher",
		email:    "demo-researcher@example.org",
	}
}

// project is one entry of the projects API, with the seed's field names and order.
type project struct {
	CreatedAt   time.Time  `json:"created_at"`
	Description string     `json:"description"`
	ExpiresAt   *time.Time `json:"expires_at"`
	ID          string     `json:"id"`
	Name        string     `json:"name"`
	Role        string     `json:"role"`
}

// projectClaims are the claims of a project token, in the seed guide's order.
type projectClaims struct {
	Iss     string     `json:"iss"`
	Iat     int64      `json:"iat"`
	Exp     int64      `json:"exp"`
	Sub     string     `json:"sub"`
	Name    string     `json:"name"`
	ProjExp *time.Time `json:"proj_exp"`
	Act     actor      `json:"act"`
}

// actor is the act claim: who acts in the project, and as what.
type actor struct {
	Sub  string `json:"sub"`
	Role string `json:"role"`
}

// base36ID is 26 lower-case base36 characters derived from seed, stable across runs.
func base36ID(seed string) string {
	h := sha256.Sum256([]byte(seed))
	s := new(big.Int).SetBytes(h[:]).Text(36)
	for len(s) < 26 {
		s = "0" + s
	}
	return s[:26]
}

func projectID(name string) string { return projectIDPrefix + base36ID("project:"+name) }

func date(y int, m time.Month, d int) *time.Time {
	t := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	return &t
}

// demoProjects covers every role, one project close to its end and one without an end.
func demoProjects(now time.Time) []project {
	soon := now.UTC().Add(4 * 24 * time.Hour).Truncate(time.Hour)
	ps := []project{
		{Name: "ilabt-dev", Role: "lead", Description: "Development of the iLab.t testbed tooling", CreatedAt: *date(2023, 2, 1), ExpiresAt: date(2030, 12, 15)},
		{Name: "gpu-cluster", Role: "admin", Description: "Shared GPU nodes for machine-learning experiments", CreatedAt: *date(2023, 9, 12), ExpiresAt: date(2029, 6, 30)},
		{Name: "wall2-experiments", Role: "member", Description: "Network experiments on the Virtual Wall 2", CreatedAt: *date(2022, 5, 3), ExpiresAt: nil},
		{Name: "testbed-ops", Role: "viewer", Description: "Operations dashboards of the testbeds", CreatedAt: *date(2024, 1, 8), ExpiresAt: date(2030, 12, 15)},
		{Name: "summer-school", Role: "member", Description: "Hands-on sessions of the Slices summer school", CreatedAt: *date(2025, 6, 1), ExpiresAt: &soon},
		{Name: "legacy-archive", Role: "viewer", Description: "Read-only archive of finished projects", CreatedAt: *date(2021, 3, 15), ExpiresAt: date(2030, 1, 31)},
	}
	for i := range ps {
		ps[i].ID = projectID(ps[i].Name)
	}
	return ps
}

var roles = []string{"lead", "admin", "member", "viewer"}

// generatedProjects makes n projects project-0001… with rotating roles, for large accounts.
func generatedProjects(n int) []project {
	ps := make([]project, n)
	created := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range ps {
		name := fmt.Sprintf("project-%04d", i+1)
		ps[i] = project{
			ID: projectID(name), Name: name, Role: roles[i%len(roles)],
			Description: "Generated project " + name,
			CreatedAt:   created.Add(time.Duration(i) * time.Hour),
			ExpiresAt:   date(2030, 12, 15),
		}
		if (i+1)%10 == 0 {
			ps[i].ExpiresAt = nil
		}
	}
	return ps
}

func acceptsJWT(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), "application/jwt")
}

func (s *Server) handleProjects(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		writeJSON(w, http.StatusMethodNotAllowed, errorBody{Error: "method_not_allowed", Description: "use GET"})
		return
	}
	if _, ok := s.authenticate(w, r, "projects"); !ok {
		return
	}
	list, _ := s.catalog()
	writeJSON(w, http.StatusOK, struct {
		Projects []project `json:"projects"`
	}{list})
}

// handleProject answers one project: its token with Accept: application/jwt, else its JSON.
func (s *Server) handleProject(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		writeJSON(w, http.StatusMethodNotAllowed, errorBody{Error: "method_not_allowed", Description: "use GET"})
		return
	}
	c, ok := s.authenticate(w, r, "projects")
	if !ok {
		return
	}
	id := strings.TrimPrefix(r.URL.Path, pathProjects+"/")
	_, byID := s.catalog()
	p, ok := byID[id]
	if !ok {
		writeJSON(w, http.StatusNotFound, errorBody{Error: "not_found", Description: "no project with id " + id})
		return
	}
	if !acceptsJWT(r) {
		writeJSON(w, http.StatusOK, p)
		return
	}
	tok, err := s.projectToken(p, c.Sub)
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, errorBody{Error: "server_error", Description: err.Error()})
		return
	}
	s.mu.Lock()
	s.stats.ProjectTokens[p.ID]++
	s.mu.Unlock()
	s.log.Debug("project token", "project", p.Name, "token", tail(tok))
	w.Header().Set("Content-Type", "application/jwt")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write([]byte(tok))
}

// projectToken mints a project token, misshaped as the current TokenMode says.
func (s *Server) projectToken(p *project, userSub string) (string, error) {
	now := s.now()
	s.mu.Lock()
	mode, key := s.mode, s.currentKey()
	s.mu.Unlock()
	c := projectClaims{
		Iss: s.opts.Issuer, Iat: now.Unix(), Exp: now.Add(s.opts.TokenTTL).Unix(),
		Sub: p.ID, Name: p.Name, ProjExp: p.ExpiresAt, Act: actor{Sub: userSub, Role: p.Role},
	}
	return mode.mint(key, c, s.opts.TokenTTL)
}
