package devportal

import (
	"encoding/json"
	"strings"
	"testing"
)

// The hostile-data controls serve what they were given, byte for byte: in
// the projects list, as a project token's name, and as the username.
func TestHostileProjectsAndUsername(t *testing.T) {
	h := newHarness(t, Options{AutoApprove: true})
	name := "$(touch /tmp/x)\x1b]52;c;aGk=\x07\u202e"
	b, _ := json.Marshal(map[string]string{"name": name, "description": "d\x1b[2J", "role": "lead\x1b[8m"})
	r := h.post("/_dev/projects", string(b))
	if r.status != 200 {
		t.Fatalf("POST /_dev/projects: %d %s", r.status, r.body)
	}
	id, _ := r.json(t)["id"].(string)
	if !strings.HasPrefix(id, projectIDPrefix) {
		t.Fatalf("id %q", id)
	}
	if r := h.post("/_dev/user", `{"username":"\u001b]0;owned\u0007"}`); r.status != 200 {
		t.Fatalf("POST /_dev/user: %d %s", r.status, r.body)
	}
	if r := h.post("/_dev/projects", `{"description":"no name"}`); r.status != 400 {
		t.Errorf("a project without a name: %d, want 400", r.status)
	}
	tok := h.login()
	if got := claimsOf(t, tok.AccessToken)["preferred_username"]; got != "\x1b]0;owned\x07" {
		t.Errorf("preferred_username %q", got)
	}
	list := h.get(pathProjects+"/", tok.AccessToken, "application/json")
	var pl struct {
		Projects []project `json:"projects"`
	}
	if err := json.Unmarshal(list.body, &pl); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, p := range pl.Projects {
		if p.ID == id {
			found = p.Name == name && p.Role == "lead\x1b[8m" && p.Description == "d\x1b[2J"
		}
	}
	if !found || len(pl.Projects) != 7 {
		t.Errorf("the list (%d projects) lacks the hostile one as given", len(pl.Projects))
	}
	pt := h.get(pathProjects+"/"+id, tok.AccessToken, "application/jwt")
	if pt.status != 200 || claimsOf(t, string(pt.body))["name"] != name {
		t.Errorf("project token of the hostile project: %d %s", pt.status, pt.body)
	}
}
