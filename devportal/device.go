package devportal

import (
	"crypto/rand"
	"fmt"
	"html/template"
	"math"
	"net/http"
	"strings"
	"time"
)

// userCodeAlphabet has upper-case consonants only: no vowels (no words), no I/O look-alikes.
const userCodeAlphabet = "BCDFGHJKLMNPQRSTVWXZ"

type deviceState int

const (
	devicePending deviceState = iota
	deviceApproved
	deviceDenied
	deviceDone
)

// deviceGrant is one RFC 8628 authorization in progress.
type deviceGrant struct {
	deviceCode string
	userCode   string
	clientID   string
	scope      string
	expires    time.Time
	lastPoll   time.Time
	state      deviceState
	authTime   time.Time
}

type deviceResponse struct {
	DeviceCode              string `json:"device_code"`
	UserCode                string `json:"user_code"`
	VerificationURI         string `json:"verification_uri"`
	VerificationURIComplete string `json:"verification_uri_complete"`
	ExpiresIn               int64  `json:"expires_in"`
	Interval                int64  `json:"interval"`
}

func (s *Server) handleDeviceAuthorization(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		writeOAuthError(w, http.StatusMethodNotAllowed, "invalid_request", "the device authorization endpoint takes POST")
		return
	}
	client, aerr := s.authenticateClient(r)
	if aerr != nil {
		writeAuthError(w, aerr)
		return
	}
	if why, ok := s.checkScope(r.Form.Get("scope")); !ok {
		writeOAuthError(w, http.StatusBadRequest, "invalid_scope", why)
		return
	}
	now := s.now()
	g := &deviceGrant{
		deviceCode: randomToken(), clientID: client, scope: r.Form.Get("scope"),
		expires: now.Add(s.opts.DeviceCodeTTL),
	}
	s.mu.Lock()
	for code, old := range s.devices { // forget codes long expired
		if now.After(old.expires.Add(s.opts.DeviceCodeTTL)) {
			delete(s.devices, code)
			delete(s.userCodes, old.userCode)
		}
	}
	for {
		g.userCode = newUserCode()
		if _, taken := s.userCodes[g.userCode]; !taken {
			break
		}
	}
	s.devices[g.deviceCode] = g
	s.userCodes[g.userCode] = g
	s.mu.Unlock()
	s.log.Debug("device code issued", "user_code", g.userCode, "client", client)
	verify := baseURL(r) + pathApprove
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, deviceResponse{
		DeviceCode: g.deviceCode, UserCode: g.userCode,
		VerificationURI: verify, VerificationURIComplete: verify + "?user_code=" + g.userCode,
		ExpiresIn: int64(s.opts.DeviceCodeTTL / time.Second),
		Interval:  int64(math.Ceil(s.opts.Interval.Seconds())),
	})
}

func newUserCode() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	var sb strings.Builder
	for i, c := range b {
		if i == 4 {
			sb.WriteByte('-')
		}
		sb.WriteByte(userCodeAlphabet[int(c)%len(userCodeAlphabet)])
	}
	return sb.String()
}

// normalizeUserCode accepts what a person types: any case, with or without the dash.
func normalizeUserCode(code string) string {
	var sb strings.Builder
	for _, c := range strings.ToUpper(code) {
		if c >= 'A' && c <= 'Z' {
			sb.WriteRune(c)
		}
	}
	letters := sb.String()
	if len(letters) != 8 {
		return letters
	}
	return letters[:4] + "-" + letters[4:]
}

// Approve grants a pending device code, as a person pressing Approve on the page does.
func (s *Server) Approve(userCode string) error { return s.decide(userCode, true) }

// Deny refuses a pending device code; its next poll answers access_denied.
func (s *Server) Deny(userCode string) error { return s.decide(userCode, false) }

func (s *Server) decide(userCode string, approve bool) error {
	code := normalizeUserCode(userCode)
	s.mu.Lock()
	defer s.mu.Unlock()
	g, ok := s.userCodes[code]
	switch {
	case !ok:
		return fmt.Errorf("%w %q", errUnknownUserCode, userCode)
	case !s.now().Before(g.expires):
		return fmt.Errorf("user code %s has expired", code)
	case g.state != devicePending:
		return fmt.Errorf("user code %s was already decided", code)
	}
	if approve {
		g.state, g.authTime = deviceApproved, s.now()
	} else {
		g.state = deviceDenied
	}
	return nil
}

func (s *Server) deviceTokenGrant(w http.ResponseWriter, r *http.Request, client string) {
	dc := r.Form.Get("device_code")
	if dc == "" {
		writeOAuthError(w, http.StatusBadRequest, "invalid_request", "missing device_code")
		return
	}
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	g, ok := s.devices[dc]
	switch {
	case !ok:
		writeOAuthError(w, http.StatusBadRequest, "invalid_grant", "unknown device code")
		return
	case g.clientID != client:
		writeOAuthError(w, http.StatusBadRequest, "invalid_grant", "device code was issued to another client")
		return
	case g.state == deviceDone:
		writeOAuthError(w, http.StatusBadRequest, "invalid_grant", "device code was already used")
		return
	case !now.Before(g.expires):
		writeOAuthError(w, http.StatusBadRequest, "expired_token", "the device code has expired")
		return
	case g.state == deviceDenied:
		writeOAuthError(w, http.StatusBadRequest, "access_denied", "the user denied the request")
		return
	}
	if g.state == devicePending && s.opts.AutoApprove {
		g.state, g.authTime = deviceApproved, now
	}
	last := g.lastPoll
	g.lastPoll = now
	if g.state == devicePending {
		// Lenient: only polls at under half the interval are told to slow down.
		if !last.IsZero() && now.Sub(last) < s.opts.Interval/2 {
			writeOAuthError(w, http.StatusBadRequest, "slow_down", "polling too fast")
			return
		}
		writeOAuthError(w, http.StatusBadRequest, "authorization_pending", "waiting for the user to approve")
		return
	}
	fam := &family{clientID: g.clientID, authTime: g.authTime}
	wantID := g.scope == "" || strings.Contains(" "+g.scope+" ", " openid ")
	resp, err := s.issueLocked(fam, wantID)
	if err != nil {
		writeOAuthError(w, http.StatusInternalServerError, "server_error", err.Error())
		return
	}
	g.state = deviceDone
	delete(s.userCodes, g.userCode)
	s.log.Debug("device login", "user_code", g.userCode, "access", tail(resp.AccessToken))
	writeToken(w, resp)
}

var approvePage = template.Must(template.New("approve").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Slices — authorize device</title>
<style>body{font-family:sans-serif;max-width:32em;margin:4em auto}input{font-size:1.4em;letter-spacing:.1em}</style>
</head><body>
<h1>Authorize a device</h1>
{{if .Message}}<p id="message">{{.Message}}</p>{{end}}
{{if .Form}}<p>Signed in as <b>{{.User}}</b> (slices-devportal emulator).</p>
<form method="post" action="{{.Action}}">
<label>Code <input name="user_code" value="{{.Code}}" autocomplete="off" autofocus></label>
<p><button name="action" value="approve">Approve</button>
<button name="action" value="deny">Deny</button></p>
</form>{{end}}
</body></html>
`))

type approveView struct {
	Action, Code, User, Message string
	Form                        bool
}

// handleApprovePage shows the verification page (GET) and records the decision (POST).
func (s *Server) handleApprovePage(w http.ResponseWriter, r *http.Request) {
	v := approveView{Action: pathApprove, User: s.username(), Form: true}
	status := http.StatusOK
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		v.Code = normalizeUserCode(r.URL.Query().Get("user_code"))
	case http.MethodPost:
		v.Code = normalizeUserCode(r.Form.Get("user_code"))
		approve := r.Form.Get("action") != "deny"
		if err := s.decide(v.Code, approve); err != nil {
			status, v.Message = http.StatusBadRequest, "That did not work: "+err.Error()+"."
		} else if approve {
			v.Form, v.Message = false, "Device approved. You can close this window and return to your terminal."
		} else {
			v.Form, v.Message = false, "Request denied."
		}
	default:
		status, v.Message = http.StatusMethodNotAllowed, "Use GET or POST."
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = approvePage.Execute(w, v)
}
