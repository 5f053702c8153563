package devportal

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// jwksKeyfunc verifies tokens against the JWKS the server publishes right now.
func jwksKeyfunc(t *testing.T, h *harness) jwt.Keyfunc {
	t.Helper()
	var set struct{ Keys []jwk }
	if err := json.Unmarshal(h.get(pathJWKS, "", "").body, &set); err != nil {
		t.Fatal(err)
	}
	return func(tok *jwt.Token) (any, error) {
		for _, k := range set.Keys {
			if k.Kid == tok.Header["kid"] {
				x, _ := base64.RawURLEncoding.DecodeString(k.X)
				y, _ := base64.RawURLEncoding.DecodeString(k.Y)
				return ecdsa.ParseUncompressedPublicKey(elliptic.P256(), append(append([]byte{4}, x...), y...))
			}
		}
		return nil, fmt.Errorf("kid %v not in the JWKS", tok.Header["kid"])
	}
}

type listed struct {
	CreatedAt   time.Time  `json:"created_at"`
	Description string     `json:"description"`
	ExpiresAt   *time.Time `json:"expires_at"`
	ID          string     `json:"id"`
	Name        string     `json:"name"`
	Role        string     `json:"role"`
}

func (h *harness) list(token string) []listed {
	h.t.Helper()
	r := h.get(pathProjects+"/", token, "")
	if r.status != http.StatusOK {
		h.t.Fatalf("projects: %d %s", r.status, r.body)
	}
	var l struct{ Projects []listed }
	if err := json.Unmarshal(r.body, &l); err != nil {
		h.t.Fatal(err)
	}
	return l.Projects
}

func TestUserToken(t *testing.T) {
	h := newHarness(t, Options{AutoApprove: true})
	tr := h.login()
	if got := segment(t, tr.AccessToken, 0); got != `{"alg":"ES256","typ":"JWT","kid":"ec1"}` {
		t.Errorf("header = %s", got)
	}
	claims := jwt.MapClaims{}
	if _, err := jwt.ParseWithClaims(tr.AccessToken, claims, jwksKeyfunc(t, h), jwt.WithValidMethods([]string{"ES256"})); err != nil {
		t.Fatalf("user token does not verify: %v", err)
	}
	if !regexp.MustCompile(`^user_account\.ilabt\.imec\.be_[0-9a-z]{26}$`).MatchString(claims["sub"].(string)) {
		t.Errorf("sub = %v", claims["sub"])
	}
	if claims["iss"] != DefaultIssuer || claims["aud"] != "test" || claims["scope"] != "openid userinfo projects" ||
		claims["preferred_username"] != "demo-researcher" || claims["exp"].(float64)-claims["iat"].(float64) != 3600 ||
		claims["auth_time"] == nil {
		t.Errorf("claims = %v", claims)
	}
	if h.login().AccessToken == tr.AccessToken {
		t.Error("two logins got the same access token")
	}
	ui := h.get(pathUserinfo, tr.AccessToken, "").json(t)
	if ui["sub"] != claims["sub"] || ui["preferred_username"] != "demo-researcher" {
		t.Errorf("userinfo = %v", ui)
	}
}

func TestProjectsNeedAValidToken(t *testing.T) {
	clk := newClock()
	h := newHarness(t, Options{AutoApprove: true, Now: clk.Now})
	tr := h.login()
	alien, _ := newSigningKey("ec1")
	forged, _ := signJWT(alien, typUser, claimsOf(t, tr.AccessToken))
	tests := []struct{ name, token, path string }{
		{"no token", "", pathProjects + "/"},
		{"no token, no slash", "", pathProjects},
		{"garbage", "not-a-jwt", pathProjects + "/"},
		{"forged with the right kid", forged, pathProjects + "/"},
		{"id token as access token", tr.IDToken, pathProjects + "/"},
		{"no token for a project", "", pathProjects + "/" + projectID("ilabt-dev")},
	}
	for _, tt := range tests {
		r := h.get(tt.path, tt.token, "application/jwt")
		if r.status != http.StatusUnauthorized || r.header.Get("Content-Type") != "application/json" {
			t.Errorf("%s: %d %s", tt.name, r.status, r.header.Get("Content-Type"))
		}
	}
	if r := h.get(pathProjects, tr.AccessToken, ""); r.status != http.StatusOK {
		t.Errorf("list without slash: %d", r.status)
	}
	clk.Advance(time.Hour)
	if r := h.get(pathProjects+"/", tr.AccessToken, ""); r.status != http.StatusUnauthorized {
		t.Errorf("expired user token answered %d", r.status)
	}
}

func TestDemoProjects(t *testing.T) {
	clk := newClock()
	h := newHarness(t, Options{AutoApprove: true, Now: clk.Now})
	ps := h.list(h.login().AccessToken)
	if len(ps) < 6 || ps[0].Name != "ilabt-dev" {
		t.Fatalf("%d projects, first %q", len(ps), ps[0].Name)
	}
	roles := map[string]bool{}
	var nulls, soon int
	idShape := regexp.MustCompile(`^proj_account\.ilabt\.imec\.be_[0-9a-z]{26}$`)
	for _, p := range ps {
		roles[p.Role] = true
		if !idShape.MatchString(p.ID) || p.Description == "" || p.CreatedAt.IsZero() {
			t.Errorf("project %+v is not seed-shaped", p)
		}
		switch {
		case p.ExpiresAt == nil:
			nulls++
		case p.ExpiresAt.Sub(clk.Now()) < 5*24*time.Hour:
			soon++
		}
	}
	if len(roles) != 4 || nulls == 0 || soon != 1 {
		t.Errorf("roles %v, %d without proj_exp, %d close to it", roles, nulls, soon)
	}
	if projectID("ilabt-dev") != ps[0].ID {
		t.Error("ids are not derived from names")
	}
}

func TestProjectToken(t *testing.T) {
	h := newHarness(t, Options{AutoApprove: true, TokenTTL: 2 * time.Minute})
	tr := h.login()
	userSub := claimsOf(t, tr.AccessToken)["sub"]
	for _, p := range h.list(tr.AccessToken) {
		r := h.get(pathProjects+"/"+p.ID, tr.AccessToken, "application/jwt")
		if r.status != http.StatusOK || r.header.Get("Content-Type") != "application/jwt" {
			t.Fatalf("%s: %d %s", p.Name, r.status, r.header.Get("Content-Type"))
		}
		tok := string(r.body)
		if got := segment(t, tok, 0); got != `{"alg":"ES256","typ":"JWT+slices.eu/proj","kid":"ec1"}` {
			t.Errorf("header = %s", got)
		}
		c := jwt.MapClaims{}
		if _, err := jwt.ParseWithClaims(tok, c, jwksKeyfunc(t, h), jwt.WithValidMethods([]string{"ES256"}),
			jwt.WithIssuer(DefaultIssuer), jwt.WithSubject(p.ID), jwt.WithExpirationRequired()); err != nil {
			t.Fatalf("%s: project token does not verify: %v", p.Name, err)
		}
		act, _ := c["act"].(map[string]any)
		if c["name"] != p.Name || c["exp"].(float64)-c["iat"].(float64) != 120 ||
			act["sub"] != userSub || act["role"] != p.Role {
			t.Errorf("%s: claims %v", p.Name, c)
		}
		pe, present := c["proj_exp"]
		if !present {
			t.Errorf("%s: no proj_exp claim", p.Name)
		}
		if p.ExpiresAt == nil && pe != nil {
			t.Errorf("%s: proj_exp = %v, want null", p.Name, pe)
		}
		if p.ExpiresAt != nil && pe != p.ExpiresAt.Format(time.RFC3339) {
			t.Errorf("%s: proj_exp = %v, want %s", p.Name, pe, p.ExpiresAt.Format(time.RFC3339))
		}
		if h.srv.Stats().ProjectTokens[p.ID] != 1 {
			t.Errorf("%s: not counted", p.Name)
		}
	}
	id := projectID("wall2-experiments")
	if got := h.get(pathProjects+"/"+id, tr.AccessToken, "").json(t); got["name"] != "wall2-experiments" || got["expires_at"] != nil {
		t.Errorf("project JSON = %v", got)
	}
	if r := h.get(pathProjects+"/"+projectID("nope"), tr.AccessToken, "application/jwt"); r.status != http.StatusNotFound || r.errCode(t) != "not_found" {
		t.Errorf("unknown project: %d %s", r.status, r.body)
	}
}

func TestGeneratedProjects(t *testing.T) {
	h := newHarness(t, Options{AutoApprove: true, Projects: 1000})
	ps := h.list(h.login().AccessToken)
	if len(ps) != 1000 || ps[0].Name != "project-0001" || ps[999].Name != "project-1000" {
		t.Fatalf("%d projects, first %q", len(ps), ps[0].Name)
	}
	seen := map[string]bool{}
	roles := map[string]int{}
	for _, p := range ps {
		if seen[p.ID] {
			t.Fatalf("duplicate id %s", p.ID)
		}
		seen[p.ID] = true
		roles[p.Role]++
	}
	if roles["lead"] != 250 || roles["viewer"] != 250 {
		t.Errorf("roles = %v", roles)
	}
	if _, err := New(Options{Projects: -1}); err == nil {
		t.Error("negative project count accepted")
	}
}
