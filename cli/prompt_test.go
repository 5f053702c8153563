package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
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
