package ipc

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestCurl drives the socket with curl the way scripts and the contract's
// examples do: the raw token, the JSON form, an error body, and a 10 MB body
// (curl sends Expect: 100-continue) answered 413 without stopping the server.
func TestCurl(t *testing.T) {
	curl, err := exec.LookPath("curl")
	if err != nil {
		t.Skip("curl not installed")
	}
	f := newFake()
	path := serve(t, NewHandler(f, HandlerOptions{}), nil)
	big := filepath.Join(shortDir(t), "big")
	if err := os.WriteFile(big, make([]byte, 10_000_000), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	run := func(args ...string) string {
		out, err := exec.CommandContext(ctx, curl, append([]string{"-sS", "--unix-socket", path}, args...)...).Output()
		if err != nil {
			t.Fatalf("curl %v: %v", args, err)
		}
		return string(out)
	}
	if got := run("-f", "-H", "Accept: application/jwt", "http://agent/v1/projects/proj_1/token"); got != testJWT {
		t.Errorf("raw token: %.30q", got)
	}
	if got := run("-f", "http://agent/v1/token?min_valid=5m"); !strings.Contains(got, `"token":"`+testJWT+`"`) {
		t.Errorf("json token: %.60q", got)
	}
	if got := run("-w", "%{http_code}", "http://agent/v1/projects/no-such-project/token"); !strings.HasPrefix(got, `{"error":{"code":"unknown_project"`) || !strings.HasSuffix(got, "404") {
		t.Errorf("unknown project: %q", got)
	}
	got := run("-o", "/dev/null", "-w", "%{http_code}", "-X", "POST", "--data-binary", "@"+big, "http://agent/v1/projects/proj_1/refresh")
	if got != "413" {
		t.Errorf("10 MB body answered %q, want 413", got)
	}
	if strings.Contains(f.lastCall(), "Refresh") {
		t.Errorf("the oversized refresh reached the service")
	}
	if got := run("-f", "http://agent/v1/status"); !strings.Contains(got, `"pid":4242`) {
		t.Errorf("status after the big body: %q", got)
	}
}
