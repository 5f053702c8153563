package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/slices-ri/slices-agent/internal/segment"
	"github.com/slices-ri/slices-agent/ipc"
)

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
		if err := prompt(context.Background(), e, segment.DefaultFormat, "never"); err != nil || out.Len() == 0 {
			b.Fatalf("prompt: %v %q", err, out.String())
		}
	}
}
