package ipc

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"testing"
)

// BenchmarkProjectToken measures the token command's hot path: TokenRaw over
// a real Unix socket with keep-alive, against the real handler and a fake
// Service returning a fixed ~800-byte JWT.
func BenchmarkProjectToken(b *testing.B) {
	path := serve(b, NewHandler(newFake(), HandlerOptions{}), nil)
	c := NewClient(path)
	defer c.Close()
	ctx := context.Background()
	b.Run("raw", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(testJWT)))
		for b.Loop() {
			if tok, err := c.TokenRaw(ctx, "proj_1", 0); err != nil || len(tok) != len(testJWT) {
				b.Fatal(err)
			}
		}
	})
	b.Run("json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := c.ProjectToken(ctx, "proj_1", 0); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("raw-parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := c.TokenRaw(ctx, "proj_1", 0); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

// BenchmarkBareServer is the baseline: a bare net/http handler writing a
// fixed 800-byte body on a Unix socket, read by a keep-alive client.
func BenchmarkBareServer(b *testing.B) {
	body := []byte(testJWT)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		_, _ = w.Write(body)
	})
	path := serve(b, h, nil)
	hc := unixHTTP(path)
	get := func() error {
		resp, err := hc.Get("http://agent/v1/projects/proj_1/token")
		if err != nil {
			return err
		}
		_, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return err
	}
	b.Run("serial", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			if err := get(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if err := get(); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}
