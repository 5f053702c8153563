package ipc

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// testJWT is a fixed ES256-shaped token of about 800 bytes.
var testJWT = "eyJhbGciOiJFUzI1NiIsInR5cCI6IkpXVCtzbGljZXMuZXUvcHJvaiIsImtpZCI6ImVjMSJ9." +
	strings.Repeat("eyJzdWIiOiJwcm9qX2FjY291bnQ", 26) + "." + strings.Repeat("sIg0", 21) + "xyzabc"

var (
	t0      = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	projExp = time.Date(2030, 12, 15, 0, 0, 0, 0, time.UTC)
)

// fakeService is an in-memory Service with scripted answers and a call log.
type fakeService struct {
	mu       sync.Mutex
	calls    []string
	locked   bool
	pass     string
	tracked  map[string]bool
	events   []Event
	hold     chan struct{} // when set, Subscribe waits for it before sending events
	subDone  chan struct{} // closed when a subscription's ctx ends
	panicOn  string        // method name that panics
	errOn    map[string]error
	minValid time.Duration
}

func newFake() *fakeService {
	return &fakeService{tracked: map[string]bool{}, errOn: map[string]error{}, subDone: make(chan struct{}, 8)}
}

// enter records a call and returns the scripted error, panicking if asked.
func (f *fakeService) enter(name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, name)
	if f.panicOn == name {
		panic("boom with token " + testJWT)
	}
	return f.errOn[name]
}

func (f *fakeService) getMinValid() time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.minValid
}

func (f *fakeService) lastCall() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.calls) == 0 {
		return ""
	}
	return f.calls[len(f.calls)-1]
}

func (f *fakeService) Status(ctx context.Context) (Status, error) {
	if err := f.enter("Status"); err != nil {
		return Status{}, err
	}
	return Status{
		Version: "1.2.3", PID: 4242, Socket: "/run/x.sock", Portal: "http://127.0.0.1:1", Keyring: "memory",
		KeyringNote: "no secret service", Locked: f.locked,
		User: UserStatus{LoggedIn: true, Subject: "user_account.ilabt.imec.be_abc", Name: "alice",
			ExpiresAt: &t0, Refreshable: true, State: StateValid},
		Projects: []ProjectStatus{{ID: "proj_1", Name: "ilabt-dev", Role: "lead", ExpiresAt: &t0, State: StateRenewing, LastError: "portal said 502"}},
	}, nil
}

func (f *fakeService) UserToken(ctx context.Context, minValid time.Duration) (Token, error) {
	if err := f.enter("UserToken"); err != nil {
		return Token{}, err
	}
	f.mu.Lock()
	f.minValid = minValid
	f.mu.Unlock()
	return Token{Token: testJWT, ExpiresAt: t0.Add(time.Hour), VerifiedAt: t0}, nil
}

func (f *fakeService) Projects(ctx context.Context) ([]Project, error) {
	if err := f.enter("Projects"); err != nil {
		return nil, err
	}
	return []Project{
		{ID: "proj_1", Name: "ilabt-dev", Description: "dev", Role: "lead", CreatedAt: &t0, ExpiresAt: &projExp, Tracked: true, TokenExpiresAt: &t0, State: StateValid},
		{ID: "proj_2", Name: "other", Role: "viewer", State: StateUntracked},
	}, nil
}

func (f *fakeService) ProjectToken(ctx context.Context, ref string, minValid time.Duration) (Token, error) {
	if err := f.enter("ProjectToken " + ref); err != nil {
		return Token{}, err
	}
	if ref != "proj_1" && ref != "ilabt-dev" && ref != "a b/c" {
		return Token{}, UnknownProject(ref)
	}
	f.mu.Lock()
	f.minValid = minValid
	f.mu.Unlock()
	return Token{Token: testJWT, ExpiresAt: t0.Add(time.Hour), Project: "proj_1", VerifiedAt: t0}, nil
}

func (f *fakeService) Track(ctx context.Context, ref string) (Project, error) {
	if err := f.enter("Track " + ref); err != nil {
		return Project{}, err
	}
	f.mu.Lock()
	f.tracked[ref] = true
	f.mu.Unlock()
	return Project{ID: ref, Name: "n-" + ref, Role: "member", Tracked: true, State: StatePending}, nil
}

func (f *fakeService) Untrack(ctx context.Context, ref string) error {
	if err := f.enter("Untrack " + ref); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.tracked[ref] {
		return UnknownProject(ref)
	}
	delete(f.tracked, ref)
	return nil
}

func (f *fakeService) Refresh(ctx context.Context, ref string) error {
	return f.enter("Refresh " + ref)
}

func (f *fakeService) StartLogin(ctx context.Context) (LoginStart, error) {
	if err := f.enter("StartLogin"); err != nil {
		return LoginStart{}, err
	}
	return LoginStart{VerificationURI: "http://p/oauth/authorize_device", VerificationURIComplete: "http://p/oauth/authorize_device?user_code=ABCD-EFGH",
		UserCode: "ABCD-EFGH", ExpiresAt: t0}, nil
}

func (f *fakeService) LoginStatus(ctx context.Context) (LoginState, error) {
	if err := f.enter("LoginStatus"); err != nil {
		return LoginState{}, err
	}
	return LoginState{State: LoginPending, LoginStart: LoginStart{UserCode: "ABCD-EFGH", ExpiresAt: t0}}, nil
}

func (f *fakeService) Logout(ctx context.Context) error   { return f.enter("Logout") }
func (f *fakeService) Shutdown(ctx context.Context) error { return f.enter("Shutdown") }

func (f *fakeService) Lock(ctx context.Context, passphrase string) error {
	if err := f.enter("Lock"); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.locked, f.pass = true, passphrase
	return nil
}

func (f *fakeService) Unlock(ctx context.Context, passphrase string) error {
	if err := f.enter("Unlock"); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.locked || passphrase != f.pass {
		return BadRequest("wrong passphrase", "")
	}
	f.locked = false
	return nil
}

func (f *fakeService) ImportLogin(ctx context.Context, accessToken, refreshToken string) error {
	if err := f.enter("ImportLogin " + accessToken + " " + refreshToken); err != nil {
		return err
	}
	if accessToken == "bad" {
		return BadRequest("the imported access token does not verify", "")
	}
	return nil
}

func (f *fakeService) Subscribe(ctx context.Context) <-chan Event {
	f.mu.Lock()
	evs, hold := f.events, f.hold
	f.mu.Unlock()
	ch := make(chan Event)
	go func() {
		defer close(ch)
		defer func() { f.subDone <- struct{}{} }()
		if hold != nil {
			select {
			case <-hold:
			case <-ctx.Done():
				return
			}
		}
		for _, ev := range evs {
			select {
			case ch <- ev:
			case <-ctx.Done():
				return
			}
		}
		<-ctx.Done()
	}()
	return ch
}

// serve runs h on a real Unix socket in a short temporary directory and
// returns the socket path; everything stops at the end of the test.
func serve(t testing.TB, h http.Handler, tune func(*http.Server)) string {
	t.Helper()
	dir, err := os.MkdirTemp("/tmp", "ipc")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	path := filepath.Join(dir, "s", "agent.sock")
	l, err := Listen(path)
	if err != nil {
		t.Fatal(err)
	}
	srv := NewServer(h)
	if tune != nil {
		tune(srv)
	}
	pl := PeerCheckListener(l, os.Getuid(), slog.New(slog.DiscardHandler))
	go srv.Serve(pl)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			srv.Close()
		}
	})
	return path
}

// unixHTTP is a plain http.Client on the socket at path, for raw requests.
func unixHTTP(path string) *http.Client {
	return &http.Client{
		Timeout: 10 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: 16, DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", path)
		}},
	}
}

// syncBuffer is a bytes.Buffer safe for a logger and a test to share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
