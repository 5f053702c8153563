package ipc

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// newPair starts the real handler over a fake Service on a real Unix socket
// and returns both ends.
func newPair(t *testing.T) (*fakeService, *Client) {
	t.Helper()
	f := newFake()
	path := serve(t, NewHandler(f, HandlerOptions{Now: func() time.Time { return t0 }}), nil)
	c := NewClient(path)
	t.Cleanup(func() { c.Close() })
	return f, c
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// TestConformance checks that every Service method gives over the socket
// exactly what the Service gives in memory.
func TestConformance(t *testing.T) {
	f, c := newPair(t)
	direct := newFake()
	ctx := ctxT(t)

	same := func(name string, got, want any, gotErr, wantErr error) {
		t.Helper()
		if !reflect.DeepEqual(gotErr, wantErr) {
			t.Errorf("%s: error over socket %#v, in memory %#v", name, gotErr, wantErr)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: over socket\n%+v\nin memory\n%+v", name, got, want)
		}
	}

	st, err := c.Status(ctx)
	wst, werr := direct.Status(ctx)
	same("Status", st, wst, err, werr)

	tok, err := c.UserToken(ctx, 90*time.Second)
	wtok, werr := direct.UserToken(ctx, 90*time.Second)
	wtok.ExpiresIn = 3600 // the handler fills it from its clock
	same("UserToken", tok, wtok, err, werr)
	if f.getMinValid() != 90*time.Second {
		t.Errorf("UserToken min_valid reached the service as %v, want 90s", f.getMinValid())
	}

	ps, err := c.Projects(ctx)
	wps, werr := direct.Projects(ctx)
	same("Projects", ps, wps, err, werr)

	for _, ref := range []string{"ilabt-dev", "a b/c"} {
		tok, err = c.ProjectToken(ctx, ref, 1500*time.Millisecond)
		wtok, werr = direct.ProjectToken(ctx, ref, 1500*time.Millisecond)
		wtok.ExpiresIn = 3600
		same("ProjectToken "+ref, tok, wtok, err, werr)
		if got := f.lastCall(); got != "ProjectToken "+ref {
			t.Errorf("service saw %q, want the ref %q unchanged", got, ref)
		}
		if f.getMinValid() != 1500*time.Millisecond {
			t.Errorf("ProjectToken min_valid reached the service as %v, want 1.5s", f.getMinValid())
		}
	}
	_, err = c.ProjectToken(ctx, "nope", 0)
	_, werr = direct.ProjectToken(ctx, "nope", 0)
	same("ProjectToken unknown", nil, nil, err, werr)

	p, err := c.Track(ctx, "proj_7")
	wp, werr := direct.Track(ctx, "proj_7")
	same("Track", p, wp, err, werr)
	same("Untrack", nil, nil, c.Untrack(ctx, "proj_7"), direct.Untrack(ctx, "proj_7"))
	same("Untrack again", nil, nil, c.Untrack(ctx, "proj_7"), direct.Untrack(ctx, "proj_7"))

	for _, ref := range []string{"", "proj_1"} {
		if err := c.Refresh(ctx, ref); err != nil {
			t.Errorf("Refresh(%q): %v", ref, err)
		}
		if got := f.lastCall(); got != "Refresh "+ref {
			t.Errorf("Refresh(%q) reached the service as %q", ref, got)
		}
	}

	ls, err := c.StartLogin(ctx)
	wls, werr := direct.StartLogin(ctx)
	same("StartLogin", ls, wls, err, werr)
	lst, err := c.LoginStatus(ctx)
	wlst, werr := direct.LoginStatus(ctx)
	same("LoginStatus", lst, wlst, err, werr)

	same("Lock", nil, nil, c.Lock(ctx, "sesame \"quoted\""), direct.Lock(ctx, "sesame \"quoted\""))
	same("Unlock wrong", nil, nil, c.Unlock(ctx, "wrong"), direct.Unlock(ctx, "wrong"))
	same("Unlock", nil, nil, c.Unlock(ctx, "sesame \"quoted\""), direct.Unlock(ctx, "sesame \"quoted\""))
	same("ImportLogin", nil, nil, c.ImportLogin(ctx, "a", "r"), direct.ImportLogin(ctx, "a", "r"))
	same("ImportLogin bad", nil, nil, c.ImportLogin(ctx, "bad", "r"), direct.ImportLogin(ctx, "bad", "r"))
	for _, m := range []struct {
		name string
		call func(context.Context) error
	}{{"Logout", c.Logout}, {"Shutdown", c.Shutdown}} {
		if err := m.call(ctx); err != nil || f.lastCall() != m.name {
			t.Errorf("%s: err %v, service saw %q", m.name, err, f.lastCall())
		}
	}
}

// TestErrorsRoundTrip checks that each error the Service returns reaches the
// client with the same status, code, message and hint.
func TestErrorsRoundTrip(t *testing.T) {
	f, c := newPair(t)
	ctx := ctxT(t)
	cases := []struct {
		err  error
		want *Error
	}{
		{BadRequest("min_valid over the token lifetime", "ask for less than 1h"), nil},
		{LoginRequired("not logged in", ""), nil},
		{UnknownProject("x"), nil},
		{Locked(), nil},
		{PortalUnavailable("portal answered 503", "try again later"), nil},
		{TokenUnavailable("renewal failing and the token expired", "check the portal"), nil},
		{errors.New("disk on fire"), Internal("disk on fire")},
		{&Error{Code: "odd", Message: "no status"}, &Error{Status: 500, Code: "odd", Message: "no status"}},
	}
	for _, tc := range cases {
		want := tc.want
		if want == nil {
			want = tc.err.(*Error)
		}
		t.Run(want.Code, func(t *testing.T) {
			f.mu.Lock()
			f.errOn["UserToken"] = tc.err
			f.mu.Unlock()
			for name, call := range map[string]func() error{
				"json": func() error { _, err := c.UserToken(ctx, 0); return err },
				"raw":  func() error { _, err := c.TokenRaw(ctx, "", 0); return err },
			} {
				err := call()
				got, ok := AsError(err)
				if !ok {
					t.Fatalf("%s: got %T %v, want *Error", name, err, err)
				}
				if *got != *want {
					t.Errorf("%s: got %+v, want %+v", name, *got, *want)
				}
				if !errors.Is(err, &Error{Code: want.Code}) || !HasCode(err, want.Code) {
					t.Errorf("%s: errors.Is/HasCode do not match code %q", name, want.Code)
				}
			}
		})
	}
}

func TestTokenRaw(t *testing.T) {
	_, c := newPair(t)
	ctx := ctxT(t)
	for _, ref := range []string{"", "proj_1", "a b/c"} {
		got, err := c.TokenRaw(ctx, ref, 5*time.Minute)
		if err != nil || got != testJWT {
			t.Errorf("TokenRaw(%q) = %q..., %v; want the fixed token", ref, got[:min(len(got), 20)], err)
		}
	}
	_, err := c.TokenRaw(ctx, "nope", 0)
	if !HasCode(err, CodeUnknownProject) || !strings.Contains(err.Error(), `"nope"`) {
		t.Errorf("TokenRaw(nope) error %v, want unknown_project naming the ref", err)
	}
}

func TestNoAgent(t *testing.T) {
	dir, err := os.MkdirTemp("/tmp", "ipc")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	missing := filepath.Join(dir, "missing.sock")
	stale := filepath.Join(dir, "stale.sock")
	l, err := net.Listen("unix", stale)
	if err != nil {
		t.Fatal(err)
	}
	l.(*net.UnixListener).SetUnlinkOnClose(false)
	l.Close()
	ctx := ctxT(t)
	for _, path := range []string{missing, stale} {
		c := NewClient(path)
		_, err := c.Status(ctx)
		if !errors.Is(err, ErrNoAgent) || !strings.Contains(err.Error(), path) {
			t.Errorf("%s: got %v, want ErrNoAgent naming the path", filepath.Base(path), err)
		}
		if _, err := c.TokenRaw(ctx, "", 0); !errors.Is(err, ErrNoAgent) {
			t.Errorf("%s: TokenRaw got %v, want ErrNoAgent", filepath.Base(path), err)
		}
		if ch := c.Subscribe(ctx); ch == nil {
			t.Errorf("Subscribe returned nil")
		} else if _, ok := <-ch; ok {
			t.Errorf("Subscribe without an agent delivered an event")
		}
	}
}

func TestClientEvents(t *testing.T) {
	f, c := newPair(t)
	want := []Event{
		{Type: EventRenewed, Time: t0, Project: "proj_1", ExpiresAt: &projExp},
		{Type: EventExpiring, Time: t0.Add(time.Second), Message: "line one\nline two"},
		{Type: EventLocked, Time: t0.Add(2 * time.Second)},
	}
	f.mu.Lock()
	f.events = want
	f.mu.Unlock()
	ctx, cancel := context.WithCancel(ctxT(t))
	defer cancel()
	ch, err := c.Events(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i, w := range want {
		select {
		case ev, ok := <-ch:
			if !ok {
				t.Fatalf("stream ended after %d events", i)
			}
			if !reflect.DeepEqual(ev, w) {
				t.Errorf("event %d = %+v, want %+v", i, ev, w)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("no event %d within 5s", i)
		}
	}
	cancel()
	select {
	case _, ok := <-ch:
		if ok {
			t.Errorf("event after cancel")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("channel not closed within 5s of cancel")
	}
	select {
	case <-f.subDone:
	case <-time.After(5 * time.Second):
		t.Fatal("server-side subscription did not end within 5s of the client leaving")
	}
}
