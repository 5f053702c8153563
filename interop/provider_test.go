package interop

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zitadel/oidc/v3/example/server/exampleop"
	"github.com/zitadel/oidc/v3/example/server/storage"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
	"golang.org/x/text/language"
)

// Clients registered at the provider for the test.
const (
	confidentialID = "slices-agent-interop"
	confidentialPW = "interop-s3cret:&"
	publicID       = "slices-agent-public"
	// the one user: the example's device pages make the name the subject
	username = "alice"
	password = "verysecure"
)

// users is the provider's user store: one person whose id is the name she
// signs in with, since the example's device pages use the name as the subject.
type users struct{ alice storage.User }

func newUsers() users {
	return users{storage.User{ID: username, Username: username, Password: password, FirstName: "Alice", LastName: "Liddell",
		Email: "alice@example.org", EmailVerified: true, PreferredLanguage: language.English}}
}

// GetUserByID finds alice by id.
func (u users) GetUserByID(id string) *storage.User {
	if id == u.alice.ID {
		return &u.alice
	}
	return nil
}

// GetUserByUsername finds alice by name.
func (u users) GetUserByUsername(name string) *storage.User {
	if name == u.alice.Username {
		return &u.alice
	}
	return nil
}

// ExampleClientID is the example storage's service user.
func (users) ExampleClientID() string { return storage.ServiceUserID }

// agentClient is how the operators of a portal register slices-agent: the
// device grant and refresh tokens, and JWT access tokens (the agent checks
// every token's signature against the provider's keys). Only the
// registration differs from the example's clients; the protocol is the OP's.
type agentClient struct{ op.Client }

// GrantTypes allows the device grant and refresh tokens.
func (agentClient) GrantTypes() []oidc.GrantType {
	return []oidc.GrantType{oidc.GrantTypeDeviceCode, oidc.GrantTypeRefreshToken}
}

// AccessTokenType makes access tokens signed JWTs.
func (agentClient) AccessTokenType() op.AccessTokenType { return op.AccessTokenTypeJWT }

// agentStorage is the example's in-memory storage with those registrations.
type agentStorage struct{ *storage.Storage }

// GetClientByClientID wraps the example's client in agentClient.
func (s agentStorage) GetClientByClientID(ctx context.Context, id string) (op.Client, error) {
	c, err := s.Storage.GetClientByClientID(ctx, id)
	if err != nil {
		return nil, err
	}
	return agentClient{c}, nil
}

// CreateAccessAndRefreshTokens passes a device login on as a request that
// names its client: the example storage takes the client of a first refresh
// token from code-flow and refresh requests only, so a refresh token from a
// device login would belong to no client, and the OP would then refuse it
// (invalid_grant) for the client it was issued to.
func (s agentStorage) CreateAccessAndRefreshTokens(ctx context.Context, req op.TokenRequest, current string) (string, string, time.Time, error) {
	if d, ok := req.(*op.DeviceAuthorizationState); ok && current == "" {
		req = storage.RefreshTokenRequestFromBusiness(&storage.RefreshToken{ApplicationID: d.ClientID, AuthTime: d.AuthTime,
			AMR: d.AMR, Audience: d.Audience, UserID: d.Subject, Scopes: d.Scopes})
	}
	return s.Storage.CreateAccessAndRefreshTokens(ctx, req, current)
}

// seenRequest is how one request to an OAuth endpoint authenticated its client.
type seenRequest struct {
	path       string
	basicUser  string
	formClient string
	formSecret bool
	grant      string
}

// provider is the zitadel example OP on 127.0.0.1 and what it was sent.
type provider struct {
	issuer string
	mu     sync.Mutex
	seen   []seenRequest
}

func (p *provider) requests() []seenRequest {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]seenRequest(nil), p.seen...)
}

// startProvider serves the zitadel example OpenID Provider (issuer
// http://127.0.0.1:PORT) with a confidential and a public client, until the
// test ends.
func startProvider(t *testing.T) *provider {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &provider{issuer: "http://" + ln.Addr().String()}
	clients := map[string]*storage.Client{
		confidentialID: storage.DeviceClient(confidentialID, confidentialPW), // client_secret_basic, a web (confidential) client
		publicID:       storage.NativeClient(publicID),                       // auth method none
	}
	st := agentStorage{storage.NewStorageWithClients(newUsers(), clients)}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	router := exampleop.SetupServer(p.issuer, st, quiet, false)
	srv := &http.Server{Handler: p.record(router), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	})
	return p
}

// record remembers how every request to the token and device authorization
// endpoints authenticated its client, then hands it on unchanged.
func (p *provider) record(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		oauth := r.URL.Path == "/oauth/token" || r.URL.Path == "/device_authorization"
		if r.Method == http.MethodPost && oauth {
			body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<16))
			r.Body = io.NopCloser(bytes.NewReader(body))
			form, _ := url.ParseQuery(string(body))
			s := seenRequest{path: r.URL.Path, formClient: form.Get("client_id"), formSecret: form.Has("client_secret"), grant: form.Get("grant_type")}
			if u, _, ok := r.BasicAuth(); ok {
				s.basicUser, _ = url.QueryUnescape(u)
			}
			p.mu.Lock()
			p.seen = append(p.seen, s)
			p.mu.Unlock()
		}
		next.ServeHTTP(w, r)
	})
}

// approve does what a person does on the provider's device pages: open the
// verification link, sign in with the code shown, and allow the device.
func (p *provider) approve(t *testing.T, link, userCode string) {
	t.Helper()
	jar := &cookieJar{}
	hc := &http.Client{Jar: jar, Timeout: 10 * time.Second}
	page := func(method, u string, form url.Values) string {
		t.Helper()
		var body io.Reader
		if form != nil {
			body = strings.NewReader(form.Encode())
		}
		req, err := http.NewRequest(method, u, body)
		if err != nil {
			t.Fatal(err)
		}
		if form != nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, u, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s %s: %s: %s", method, u, resp.Status, b)
		}
		return string(b)
	}
	if got := page(http.MethodGet, link, nil); !strings.Contains(got, userCode) {
		t.Fatalf("the verification page does not show the code %s", userCode)
	}
	confirm := page(http.MethodPost, p.issuer+"/device/login", url.Values{"user_code": {userCode}, "username": {username}, "password": {password}})
	if !strings.Contains(confirm, "allowed") {
		t.Fatalf("no confirmation page after signing in: %.300s", confirm)
	}
	if done := page(http.MethodPost, p.issuer+"/device/confirm", url.Values{"action": {"allowed"}}); !strings.Contains(done, "Device authorization allowed") {
		t.Fatalf("the device was not allowed: %.300s", done)
	}
}

// cookieJar keeps the device pages' one cookie.
type cookieJar struct {
	mu      sync.Mutex
	cookies []*http.Cookie
}

func (j *cookieJar) SetCookies(_ *url.URL, cs []*http.Cookie) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.cookies = append(j.cookies, cs...)
}

func (j *cookieJar) Cookies(*url.URL) []*http.Cookie {
	j.mu.Lock()
	defer j.mu.Unlock()
	return append([]*http.Cookie(nil), j.cookies...)
}

// refreshWith presents a refresh token to the provider's token endpoint the
// way the confidential client does, and returns the OAuth error code ("" on success).
func (p *provider) refreshWith(t *testing.T, rt string) string {
	t.Helper()
	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}
	req, _ := http.NewRequest(http.MethodPost, p.issuer+"/oauth/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(confidentialID), url.QueryEscape(confidentialPW))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode == http.StatusOK {
		return ""
	}
	var e struct {
		Error string `json:"error"`
	}
	_ = jsonUnmarshal(b, &e)
	if e.Error == "" {
		return resp.Status
	}
	return e.Error
}
