package devportal

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Grant types of the token endpoint.
const (
	grantDeviceCode = "urn:ietf:params:oauth:grant-type:device_code"
	grantRefresh    = "refresh_token"
)

// userScope is the scope of every user token, as in real Slices.
const userScope = "openid userinfo projects"

// maxFormBody bounds what the OAuth endpoints read.
const maxFormBody = 64 << 10

// userClaims are the claims of a user token, in the real portal's order.
type userClaims struct {
	Iss               string `json:"iss"`
	Aud               string `json:"aud"`
	Iat               int64  `json:"iat"`
	Exp               int64  `json:"exp"`
	AuthTime          int64  `json:"auth_time"`
	Sub               string `json:"sub"`
	Scope             string `json:"scope"`
	PreferredUsername string `json:"preferred_username"`
}

// GetExpirationTime and the other getters make userClaims a jwt.Claims for verification.
func (c *userClaims) GetExpirationTime() (*jwt.NumericDate, error) { return numeric(c.Exp), nil }

// GetIssuedAt returns iat.
func (c *userClaims) GetIssuedAt() (*jwt.NumericDate, error) { return numeric(c.Iat), nil }

// GetNotBefore returns nil: user tokens carry no nbf.
func (c *userClaims) GetNotBefore() (*jwt.NumericDate, error) { return nil, nil }

// GetIssuer returns iss.
func (c *userClaims) GetIssuer() (string, error) { return c.Iss, nil }

// GetSubject returns sub.
func (c *userClaims) GetSubject() (string, error) { return c.Sub, nil }

// GetAudience returns aud.
func (c *userClaims) GetAudience() (jwt.ClaimStrings, error) { return jwt.ClaimStrings{c.Aud}, nil }

func numeric(sec int64) *jwt.NumericDate {
	if sec == 0 {
		return nil
	}
	return jwt.NewNumericDate(time.Unix(sec, 0))
}

// idClaims are the claims of the OIDC id_token.
type idClaims struct {
	Iss               string `json:"iss"`
	Aud               string `json:"aud"`
	Iat               int64  `json:"iat"`
	Exp               int64  `json:"exp"`
	AuthTime          int64  `json:"auth_time"`
	Sub               string `json:"sub"`
	PreferredUsername string `json:"preferred_username"`
	Name              string `json:"name"`
	Email             string `json:"email"`
}

// tokenResponse is the token endpoint's success answer.
type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
	RefreshToken string `json:"refresh_token"`
	Scope        string `json:"scope"`
	IDToken      string `json:"id_token,omitempty"`
	// RefreshExpiresIn is the seconds left of the login (SessionTTL), Keycloak's name.
	RefreshExpiresIn int64 `json:"refresh_expires_in,omitempty"`
}

// family is one login: every refresh token rotated from the same device grant.
type family struct {
	clientID string
	authTime time.Time
	lastUsed time.Time // the last grant or refresh, for SessionIdle
	revoked  bool
	access   []string // hashes of the access tokens issued to it
}

// refreshEntry is one refresh token; rotated ones are kept to detect reuse.
type refreshEntry struct {
	fam     *family
	rotated bool
}

func (s *Server) handleDiscovery(w http.ResponseWriter, r *http.Request) {
	base := baseURL(r)
	writeJSON(w, http.StatusOK, map[string]any{
		"issuer":                                s.opts.Issuer,
		"authorization_endpoint":                base + pathAuthorize,
		"device_authorization_endpoint":         base + pathDevice,
		"token_endpoint":                        base + pathToken,
		"revocation_endpoint":                   base + pathRevoke,
		"userinfo_endpoint":                     base + pathUserinfo,
		"jwks_uri":                              base + pathJWKS,
		"scopes_supported":                      s.opts.ScopesSupported,
		"grant_types_supported":                 []string{grantDeviceCode, grantRefresh, "authorization_code"},
		"response_types_supported":              []string{"code"},
		"subject_types_supported":               []string{"public"},
		"token_endpoint_auth_methods_supported": s.opts.AuthMethods,
		"id_token_signing_alg_values_supported": []string{"ES256"},
		"claims_supported":                      []string{"iss", "aud", "iat", "exp", "auth_time", "sub", "scope", "preferred_username", "name", "email"},
	})
}

// handleAuthorize exists because discovery names it; only the device flow is emulated.
func (s *Server) handleAuthorize(w http.ResponseWriter, r *http.Request) {
	writeOAuthError(w, http.StatusBadRequest, "unsupported_response_type",
		"the emulated portal supports only the device flow ("+pathDevice+")")
}

// parseFormLenient fills r.Form and r.PostForm from the query and the body. Bodies
// that are not valid URL encoding (oidc-agent sends literal spaces and the like) are
// split on & and = by hand.
func parseFormLenient(r *http.Request) error {
	form := url.Values{}
	for k, v := range r.URL.Query() {
		form[k] = v
	}
	post := url.Values{}
	if r.Body != nil && !strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/") {
		body, err := io.ReadAll(io.LimitReader(r.Body, maxFormBody+1))
		if err != nil {
			return fmt.Errorf("read request body: %w", err)
		}
		if len(body) > maxFormBody {
			return errors.New("request body over 64 KiB")
		}
		post = parseQueryLenient(string(body))
	}
	for k, v := range post {
		form[k] = append(v, form[k]...)
	}
	r.Form, r.PostForm = form, post
	return nil
}

func parseQueryLenient(body string) url.Values {
	body = strings.TrimSpace(body)
	if v, err := url.ParseQuery(body); err == nil {
		return v
	}
	v := url.Values{}
	for _, pair := range strings.Split(body, "&") {
		if pair == "" {
			continue
		}
		k, val, _ := strings.Cut(pair, "=")
		if uk, err := url.QueryUnescape(k); err == nil {
			k = uk
		}
		if uv, err := url.QueryUnescape(val); err == nil {
			val = uv
		}
		v.Add(k, val)
	}
	return v
}

func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		writeOAuthError(w, http.StatusMethodNotAllowed, "invalid_request", "the token endpoint takes POST")
		return
	}
	client, aerr := s.authenticateClient(r)
	if aerr != nil {
		writeAuthError(w, aerr)
		return
	}
	switch gt := r.Form.Get("grant_type"); gt {
	case grantDeviceCode:
		s.deviceTokenGrant(w, r, client)
	case grantRefresh:
		s.refreshGrant(w, r, client)
	case "":
		writeOAuthError(w, http.StatusBadRequest, "invalid_request", "missing grant_type")
	default:
		writeOAuthError(w, http.StatusBadRequest, "unsupported_grant_type", "grant type "+gt+" is not supported")
	}
}

func (s *Server) refreshGrant(w http.ResponseWriter, r *http.Request, client string) {
	rt := r.Form.Get("refresh_token")
	if rt == "" {
		writeOAuthError(w, http.StatusBadRequest, "invalid_request", "missing refresh_token")
		return
	}
	if why, ok := s.checkScope(r.Form.Get("scope")); !ok {
		writeOAuthError(w, http.StatusBadRequest, "invalid_scope", why)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.refresh[rt]
	switch {
	case !ok:
		writeOAuthError(w, http.StatusBadRequest, "invalid_grant", "unknown refresh token")
		return
	case e.rotated:
		e.fam.revoked = true
		s.stats.RefreshReuse++
		s.log.Info("refresh token reused: family revoked", "token", tail(rt))
		writeOAuthError(w, http.StatusBadRequest, "invalid_grant", "refresh token was already used; the login is revoked")
		return
	case e.fam.revoked:
		writeOAuthError(w, http.StatusBadRequest, "invalid_grant", "refresh token has been revoked")
		return
	case e.fam.clientID != client:
		writeOAuthError(w, http.StatusBadRequest, "invalid_grant", "refresh token was issued to another client")
		return
	case s.sessionEnd(e.fam).IsZero():
	case !s.now().Before(s.sessionEnd(e.fam)):
		writeOAuthError(w, http.StatusBadRequest, "invalid_grant", "the session has ended; log in again")
		return
	}
	resp, err := s.issueLocked(e.fam, false)
	if err != nil {
		writeOAuthError(w, http.StatusInternalServerError, "server_error", err.Error())
		return
	}
	e.rotated = true
	s.stats.Refreshes++
	s.log.Debug("refreshed", "old", tail(rt), "new", tail(resp.RefreshToken))
	writeToken(w, resp)
}

// issueLocked mints an access token and a new refresh token for a family; s.mu must be held.
func (s *Server) issueLocked(fam *family, withID bool) (tokenResponse, error) {
	now := s.now()
	uc := userClaims{
		Iss: s.opts.Issuer, Aud: fam.clientID,
		Iat: now.Unix(), Exp: now.Add(s.opts.UserTTL).Unix(), AuthTime: fam.authTime.Unix(),
		Sub: s.user.sub, Scope: userScope, PreferredUsername: s.user.username,
	}
	at, err := signJWT(s.currentKey(), typUser, uc)
	if err != nil {
		return tokenResponse{}, err
	}
	resp := tokenResponse{
		AccessToken: at, TokenType: "Bearer", ExpiresIn: int64(s.opts.UserTTL / time.Second),
		RefreshToken: randomToken(), Scope: userScope,
	}
	fam.lastUsed = now
	if end := s.sessionEnd(fam); !end.IsZero() {
		resp.RefreshExpiresIn = max(0, int64(end.Sub(now)/time.Second))
	}
	if withID {
		ic := idClaims{
			Iss: uc.Iss, Aud: uc.Aud, Iat: uc.Iat, Exp: uc.Exp, AuthTime: uc.AuthTime, Sub: uc.Sub,
			PreferredUsername: s.user.username, Name: s.user.name, Email: s.user.email,
		}
		if resp.IDToken, err = signJWT(s.currentKey(), typUser, ic); err != nil {
			return tokenResponse{}, err
		}
	}
	fam.access = append(fam.access, tokenHash(at))
	s.refresh[resp.RefreshToken] = &refreshEntry{fam: fam}
	return resp, nil
}

// sessionEnd is when a login ends: SessionTTL after it was made, or
// SessionIdle after its last use, whichever is first; zero when neither is set.
func (s *Server) sessionEnd(fam *family) time.Time {
	var end time.Time
	if s.opts.SessionTTL > 0 {
		end = fam.authTime.Add(s.opts.SessionTTL)
	}
	if s.opts.SessionIdle > 0 {
		last := fam.lastUsed
		if last.IsZero() {
			last = fam.authTime
		}
		if idle := last.Add(s.opts.SessionIdle); end.IsZero() || idle.Before(end) {
			end = idle
		}
	}
	return end
}

func writeToken(w http.ResponseWriter, resp tokenResponse) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	writeJSON(w, http.StatusOK, resp)
}

// RevokeRefreshTokens makes every refresh token issued so far answer invalid_grant.
// Access tokens stay valid until they expire; new logins work as before.
func (s *Server) RevokeRefreshTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range s.refresh {
		e.fam.revoked = true
	}
}

// handleRevoke is RFC 7009: a refresh token revokes its whole login including its
// access tokens (a logout); an access token revokes just itself. Unknown tokens are fine.
func (s *Server) handleRevoke(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		writeOAuthError(w, http.StatusMethodNotAllowed, "invalid_request", "the revocation endpoint takes POST")
		return
	}
	tok := r.Form.Get("token")
	if tok == "" {
		writeOAuthError(w, http.StatusBadRequest, "invalid_request", "missing token")
		return
	}
	s.mu.Lock()
	if e, ok := s.refresh[tok]; ok {
		e.fam.revoked = true
		for _, h := range e.fam.access {
			s.revokedAccess[h] = true
		}
	} else {
		s.revokedAccess[tokenHash(tok)] = true
	}
	s.mu.Unlock()
	w.WriteHeader(http.StatusOK)
}

func (s *Server) handleUserinfo(w http.ResponseWriter, r *http.Request) {
	c, ok := s.authenticate(w, r, "openid")
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{
		"sub": c.Sub, "preferred_username": c.PreferredUsername, "name": s.user.name, "email": s.user.email,
	})
}

// authenticate verifies the bearer user token and that it grants scope, answering
// 401 itself when it does not. An id_token carries no scope, so it is refused.
func (s *Server) authenticate(w http.ResponseWriter, r *http.Request, scope string) (*userClaims, bool) {
	raw, ok := bearer(r)
	if !ok {
		w.Header().Set("WWW-Authenticate", `Bearer realm="slices"`)
		writeJSON(w, http.StatusUnauthorized, errorBody{Error: "unauthorized", Description: "missing bearer token"})
		return nil, false
	}
	c, err := s.verifyUserToken(raw)
	if err == nil && !strings.Contains(" "+c.Scope+" ", " "+scope+" ") {
		err = fmt.Errorf("token lacks the %s scope", scope)
	}
	if err != nil {
		w.Header().Set("WWW-Authenticate", `Bearer realm="slices", error="invalid_token"`)
		writeJSON(w, http.StatusUnauthorized, errorBody{Error: "invalid_token", Description: err.Error()})
		return nil, false
	}
	return c, true
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "encode response: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}
