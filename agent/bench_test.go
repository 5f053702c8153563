package agent

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"

	"github.com/slices-ri/slices-agent/devportal"
	"github.com/slices-ri/slices-agent/ipc"
)

// serveSocket serves h on a fresh Unix socket, behind the peer check, and returns its path.
func serveSocket(b *testing.B, h http.Handler) string {
	b.Helper()
	dir, err := os.MkdirTemp("/tmp", "ab")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { os.RemoveAll(dir) })
	path := filepath.Join(dir, "agent.sock")
	l, err := ipc.Listen(path)
	if err != nil {
		b.Fatal(err)
	}
	srv := ipc.NewServer(h)
	go srv.Serve(ipc.PeerCheckListener(l, os.Getuid(), nil))
	b.Cleanup(func() { srv.Close() })
	return path
}

// BenchmarkAgentProjectToken measures GET /v1/projects/{ref}/token against the
// real agent (logged in to the emulated portal, token held) over a real Unix
// socket with a keep-alive client: the path of every 'slices-agent token'
// and every tool. BenchmarkBareUnixServer is its baseline, measured alike.
func BenchmarkAgentProjectToken(b *testing.B) {
	w := newWorld(b, devportal.Options{})
	a := w.agent()
	login(b, a)
	p := firstProject(b, a)
	if _, err := a.ProjectToken(testCtx(b), p.ID, 0); err != nil {
		b.Fatal(err)
	}
	c := ipc.NewClient(serveSocket(b, ipc.NewHandler(a, ipc.HandlerOptions{})))
	defer c.Close()
	ctx := context.Background()
	b.Run("serial", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := c.TokenRaw(ctx, p.ID, 0); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("by-name", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := c.TokenRaw(ctx, p.Name, 0); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("parallel-64", func(b *testing.B) {
		b.ReportAllocs()
		b.SetParallelism(max(1, 64/runtime.GOMAXPROCS(0)))
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := c.TokenRaw(ctx, p.ID, 0); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

// BenchmarkBareUnixServer is the baseline: a bare net/http handler writing a
// fixed 800-byte body on a Unix socket, read the same way.
func BenchmarkBareUnixServer(b *testing.B) {
	body := make([]byte, 800)
	for i := range body {
		body[i] = 'x'
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		_, _ = w.Write(body)
	})
	c := ipc.NewClient(serveSocket(b, h))
	defer c.Close()
	ctx := context.Background()
	b.Run("serial", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := c.TokenRaw(ctx, "p", 0); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("parallel-64", func(b *testing.B) {
		b.ReportAllocs()
		b.SetParallelism(max(1, 64/runtime.GOMAXPROCS(0)))
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := c.TokenRaw(ctx, "p", 0); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}
