package portal_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slices-ri/slices-agent/devportal"
	"github.com/slices-ri/slices-agent/portal"
	"github.com/slices-ri/slices-agent/token"
)

func newPortal(t *testing.T, opts devportal.Options) (*devportal.Server, *portal.Client) {
	t.Helper()
	srv, err := devportal.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return srv, portal.New(ts.URL, "", portal.WithHTTPClient(&http.Client{Timeout: 3 * time.Second}))
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return c
}

// login runs a whole device flow against an auto-approving emulator.
func login(t *testing.T, c *portal.Client) *portal.Tokens {
	t.Helper()
	dl, err := c.StartDeviceLogin(ctx(t))
	if err != nil {
		t.Fatalf("start device login: %v", err)
	}
	if dl.UserCode == "" || !strings.Contains(dl.VerificationURI, "/oauth/authorize_device") {
		t.Fatalf("device login = %+v", dl)
	}
	toks, err := c.WaitDeviceLogin(ctx(t), dl)
	if err != nil {
		t.Fatalf("wait device login: %v", err)
	}
	if toks.AccessToken == "" || toks.RefreshToken == "" || toks.Expiry.IsZero() {
		t.Fatalf("tokens incomplete: access %t refresh %t expiry %v", toks.AccessToken != "", toks.RefreshToken != "", toks.Expiry)
	}
	return toks
}

func TestLoginListFetchVerify(t *testing.T) {
	_, c := newPortal(t, devportal.Options{AutoApprove: true, TokenTTL: time.Minute})
	toks := login(t, c)

	d, err := c.Discover(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	if d.Issuer != "https://account.ilabt.imec.be" || strings.HasPrefix(d.JWKSURI, d.Issuer) {
		t.Errorf("discovery issuer %q jwks %q: want the guide's issuer, keys on the portal", d.Issuer, d.JWKSURI)
	}
	jwks, err := c.JWKS(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	keys, err := token.ParseKeySet(jwks)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := token.Verify(toks.AccessToken, keys, token.VerifyOptions{Issuer: d.Issuer}); err != nil {
		t.Errorf("user token does not verify: %v", err)
	}

	projects, err := c.Projects(ctx(t), toks.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	if len(projects) < 4 {
		t.Fatalf("got %d projects, want the demo set", len(projects))
	}
	p := projects[0]
	raw, err := c.ProjectToken(ctx(t), toks.AccessToken, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	dec, err := token.Verify(raw, keys, token.VerifyOptions{Issuer: d.Issuer, Subject: p.ID})
	if err != nil {
		t.Fatalf("project token does not verify: %v", err)
	}
	pc, err := dec.Project()
	if err != nil {
		t.Fatal(err)
	}
	if pc.Name != p.Name || pc.Act.Role != p.Role {
		t.Errorf("project claims %+v, want name %q role %q", pc, p.Name, p.Role)
	}
	if got := dec.ExpiresAt.Sub(dec.IssuedAt); got != time.Minute {
		t.Errorf("lifetime %v, want the emulator's 1m", got)
	}
}

func TestRefreshRotatesAndReuseIsRefused(t *testing.T) {
	_, c := newPortal(t, devportal.Options{AutoApprove: true})
	first := login(t, c)

	second, err := c.Refresh(ctx(t), first.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	if second.RefreshToken == "" || second.RefreshToken == first.RefreshToken {
		t.Fatalf("refresh token not rotated")
	}
	if second.AccessToken == first.AccessToken {
		t.Errorf("refresh returned the same access token")
	}

	_, err = c.Refresh(ctx(t), first.RefreshToken)
	if !errors.Is(err, portal.ErrLoginRequired) {
		t.Fatalf("reusing a rotated refresh token: err = %v, want ErrLoginRequired", err)
	}
	// Reuse revokes the whole family: the newest token is dead too.
	if _, err := c.Refresh(ctx(t), second.RefreshToken); !errors.Is(err, portal.ErrLoginRequired) {
		t.Fatalf("after reuse the newer refresh token still works: err = %v", err)
	}
}

func TestTypedErrors(t *testing.T) {
	srv, c := newPortal(t, devportal.Options{AutoApprove: true})
	toks := login(t, c)
	projects, err := c.Projects(ctx(t), toks.AccessToken)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("5xx is unavailable", func(t *testing.T) {
		srv.InjectFault(devportal.Fault{Path: "/apis/", Status: 503, Count: 1})
		_, err := c.Projects(ctx(t), toks.AccessToken)
		if !errors.Is(err, portal.ErrUnavailable) {
			t.Fatalf("err = %v, want ErrUnavailable", err)
		}
		var pe *portal.Error
		if !errors.As(err, &pe) || pe.Status != 503 {
			t.Fatalf("err = %#v, want a *portal.Error with status 503", err)
		}
	})
	t.Run("refresh 5xx is unavailable, not a lost login", func(t *testing.T) {
		srv.InjectFault(devportal.Fault{Path: "/oauth/token", Status: 502, Count: 1})
		_, err := c.Refresh(ctx(t), toks.RefreshToken)
		if !errors.Is(err, portal.ErrUnavailable) || errors.Is(err, portal.ErrLoginRequired) {
			t.Fatalf("err = %v, want ErrUnavailable only", err)
		}
	})
	t.Run("timeout is unavailable", func(t *testing.T) {
		srv.InjectFault(devportal.Fault{Path: "/apis/", Latency: 2 * time.Second, Count: 1})
		short, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, err := c.ProjectToken(short, toks.AccessToken, projects[0].ID)
		if !errors.Is(err, portal.ErrUnavailable) {
			t.Fatalf("err = %v, want ErrUnavailable", err)
		}
		if time.Since(start) > 1500*time.Millisecond {
			t.Errorf("the context deadline was not honoured")
		}
		srv.ClearFaults()
	})
	t.Run("bad bearer is login required", func(t *testing.T) {
		_, err := c.Projects(ctx(t), "not-a-token")
		if !errors.Is(err, portal.ErrLoginRequired) {
			t.Fatalf("err = %v, want ErrLoginRequired", err)
		}
	})
	t.Run("unknown project is not found", func(t *testing.T) {
		_, err := c.ProjectToken(ctx(t), toks.AccessToken, "proj_account.ilabt.imec.be_doesnotexist0000000000000")
		if !errors.Is(err, portal.ErrNotFound) {
			t.Fatalf("err = %v, want ErrNotFound", err)
		}
	})
	t.Run("revoked refresh token is login required", func(t *testing.T) {
		srv.RevokeRefreshTokens()
		_, err := c.Refresh(ctx(t), toks.RefreshToken)
		if !errors.Is(err, portal.ErrLoginRequired) {
			t.Fatalf("err = %v, want ErrLoginRequired", err)
		}
	})
}

func TestPortalDown(t *testing.T) {
	ts := httptest.NewServer(http.NotFoundHandler())
	url := ts.URL
	ts.Close()
	c := portal.New(url, "")
	_, err := c.Discover(ctx(t))
	if !errors.Is(err, portal.ErrUnavailable) {
		t.Fatalf("err = %v, want ErrUnavailable", err)
	}
	if !strings.HasPrefix(err.Error(), "discovery: portal unavailable") {
		t.Errorf("message %q does not say what failed", err)
	}
}

func TestDeviceLoginDenied(t *testing.T) {
	srv, c := newPortal(t, devportal.Options{Interval: 100 * time.Millisecond})
	dl, err := c.StartDeviceLogin(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		time.Sleep(300 * time.Millisecond)
		_ = srv.Deny(dl.UserCode)
	}()
	_, err = c.WaitDeviceLogin(ctx(t), dl)
	if !errors.Is(err, portal.ErrLoginRequired) || !strings.Contains(err.Error(), "access_denied") {
		t.Fatalf("err = %v, want login required (access_denied)", err)
	}
}

func TestDeviceLoginApprovedLater(t *testing.T) {
	srv, c := newPortal(t, devportal.Options{Interval: 100 * time.Millisecond})
	dl, err := c.StartDeviceLogin(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		time.Sleep(1300 * time.Millisecond) // after the first poll (interval 1s)
		_ = srv.Approve(dl.UserCode)
	}()
	toks, err := c.WaitDeviceLogin(ctx(t), dl)
	if err != nil {
		t.Fatal(err)
	}
	if toks.RefreshToken == "" {
		t.Fatal("no refresh token")
	}
	if n := srv.Stats().Requests["token_device"]; n < 2 {
		t.Errorf("token endpoint polled %d times, want pending answers before approval", n)
	}
}

func TestSessionEnd(t *testing.T) {
	var mu sync.Mutex
	offset := time.Duration(0)
	now := func() time.Time { mu.Lock(); defer mu.Unlock(); return time.Now().Add(offset) }
	_, c := newPortal(t, devportal.Options{AutoApprove: true, SessionTTL: time.Hour, Now: now})
	toks := login(t, c)
	if left := time.Until(toks.SessionEnd); left < 59*time.Minute || left > time.Hour {
		t.Fatalf("session end in %v, want about 1h (refresh_expires_in)", left)
	}
	next, err := c.Refresh(ctx(t), toks.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	if d := next.SessionEnd.Sub(toks.SessionEnd); d < -2*time.Second || d > 2*time.Second {
		t.Errorf("a refresh moved the session end by %v: it is fixed at login", d)
	}
	mu.Lock()
	offset = time.Hour
	mu.Unlock()
	if _, err := c.Refresh(ctx(t), next.RefreshToken); !errors.Is(err, portal.ErrLoginRequired) {
		t.Errorf("refresh after the session ended: %v, want login required", err)
	}
}
