package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/slices-ri/slices-agent/ipc"
)

func TestExpandAndPick(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	in42m, ago := now.Add(42*time.Minute+10*time.Second), now.Add(-time.Minute)
	st := ipc.Status{User: ipc.UserStatus{LoggedIn: true, Name: "ann", State: "valid", ExpiresAt: &in42m},
		Projects: []ipc.ProjectStatus{
			{ID: "proj_1", Name: "ilabt-dev", Role: "lead", State: "valid", ExpiresAt: &in42m},
			{ID: "proj_2", Name: "old", Role: "viewer", State: "expired", ExpiresAt: &ago},
			{ID: "proj_3", Name: "new", Role: "member", State: "pending"},
		}}
	for _, c := range []struct {
		ref, format, want string
		ok                bool
	}{
		{"", defaultPromptFormat, "slices:ann 42m", true},
		{"ilabt-dev", defaultPromptFormat, "slices:ilabt-dev 42m", true},
		{"proj_1", "%n/%r/%s/%l/%%/%x", "ilabt-dev/lead/valid/42m/%/%x", true},
		{"old", defaultPromptFormat, "slices:old expired", true},
		{"new", defaultPromptFormat, "slices:new pending", true},
		{"nope", defaultPromptFormat, "", false},
	} {
		seg, ok := pick(st, c.ref, now)
		if ok != c.ok {
			t.Errorf("pick(%q) ok = %v", c.ref, ok)
			continue
		}
		if got := expand(c.format, seg); ok && got != c.want {
			t.Errorf("prompt %q %q = %q, want %q", c.ref, c.format, got, c.want)
		}
	}
	if _, ok := pick(ipc.Status{}, "", now); ok {
		t.Error("logged out: a segment")
	}
	if seg, _ := pick(ipc.Status{Locked: true}, "x", now); expand(defaultPromptFormat, seg) != "slices:locked" {
		t.Error("locked: not said")
	}
}

// statusOnly is an agent that only answers status.
type statusOnly struct{ ipc.Service }

func (statusOnly) Status(context.Context) (ipc.Status, error) {
	exp := time.Now().Add(time.Hour)
	return ipc.Status{User: ipc.UserStatus{LoggedIn: true, Name: "ann", State: "valid", ExpiresAt: &exp}}, nil
}

// BenchmarkPrompt is one prompt against an agent on a real socket: what a
// shell pays per prompt on top of starting the process.
func BenchmarkPrompt(b *testing.B) {
	dir, err := os.MkdirTemp("/tmp", "pb")
	if err != nil {
		b.Fatal(err)
	}
	defer os.RemoveAll(dir)
	sock := filepath.Join(dir, "agent.sock")
	l, err := ipc.Listen(sock)
	if err != nil {
		b.Fatal(err)
	}
	srv := ipc.NewServer(ipc.NewHandler(statusOnly{}, ipc.HandlerOptions{}))
	go srv.Serve(l)
	defer srv.Close()
	var out bytes.Buffer
	e := &env{socket: sock, stdout: &out}
	b.ReportAllocs()
	for b.Loop() {
		out.Reset()
		if err := prompt(context.Background(), e, defaultPromptFormat, "never"); err != nil || out.Len() == 0 {
			b.Fatalf("prompt: %v %q", err, out.String())
		}
	}
}

// The prompt's colour follows the renewal policy, relative to the lifetime:
// a 40 s token with 62 % left is as fresh as a 1 h token with 62 % left.
func TestPromptColourFollowsThePolicy(t *testing.T) {
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	seg := func(life, left time.Duration, state string) segment {
		exp, iat := now.Add(left), now.Add(left-life)
		return newSegment("p", "", state, &iat, &exp, now)
	}
	for _, c := range []struct {
		name string
		s    segment
		want string
	}{
		{"40 s token, 62 % left", seg(40*time.Second, 25*time.Second, ipc.StateValid), "32"},
		{"1 h token, 62 % left", seg(time.Hour, 37*time.Minute, ipc.StateValid), "32"},
		{"1 h token, renewal due", seg(time.Hour, 14*time.Minute, ipc.StateValid), "33"},
		{"40 s token, renewal due", seg(40*time.Second, 8*time.Second, ipc.StateValid), "33"},
		{"40 s token, about to lapse", seg(40*time.Second, 3*time.Second, ipc.StateValid), "31"},
		{"renewing", seg(time.Hour, 50*time.Minute, ipc.StateRenewing), "33"},
		{"expired", seg(time.Hour, -time.Second, ipc.StateExpired), "31"},
	} {
		if got := paint("x", c.s, "always"); !strings.HasPrefix(got, "\x1b["+c.want+"m") {
			t.Errorf("%s: %q, want colour %s", c.name, got, c.want)
		}
	}
}
