package keyring

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slices-ri/slices-agent/internal/testenv"
)

// waitFor polls cond until it holds or a generous deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestSystemHungCallTimesOut(t *testing.T) {
	fake := newFakeBackend()
	fake.hang = make(chan struct{})
	s := newSystem(50*time.Millisecond, fake, false)
	ctx := context.Background()

	done := make(chan error, 1)
	go func() { _, err := s.Get(ctx, "user"); done <- err }()
	select {
	case err := <-done:
		if !errors.Is(err, ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Get on a hung keyring: %v, want ErrTimeout", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Get on a hung keyring did not return")
	}

	// While the first call is stuck, later calls fail at once without
	// starting another backend call.
	calls := fake.calls.Load()
	for range 5 {
		if err := s.Set(ctx, "user", []byte("v")); !errors.Is(err, ErrTimeout) {
			t.Fatalf("Set while stuck: %v, want ErrTimeout", err)
		}
	}
	if got := fake.calls.Load(); got != calls {
		t.Fatalf("backend calls went from %d to %d while stuck", calls, got)
	}

	// Once the stuck call returns, the store works again.
	fake.mu.Lock()
	close(fake.hang)
	fake.hang = nil
	fake.mu.Unlock()
	waitFor(t, "the stuck call to finish", func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return !s.stuck
	})
	if err := s.Set(ctx, "user", []byte("v")); err != nil {
		t.Fatalf("Set after the hang ended: %v", err)
	}
}

func TestSystemCallerContextBoundsTheCall(t *testing.T) {
	tests := []struct {
		name    string
		ctx     func() (context.Context, context.CancelFunc)
		wantErr error
		notErr  error
	}{
		{"deadline shorter than timeout", func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(context.Background(), 20*time.Millisecond)
		}, ErrTimeout, nil},
		{"cancelled mid-call", func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(context.Background())
			time.AfterFunc(20*time.Millisecond, cancel)
			return ctx, cancel
		}, context.Canceled, ErrTimeout},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := newFakeBackend()
			fake.hang = make(chan struct{})
			defer close(fake.hang)
			s := newSystem(time.Hour, fake, false)
			ctx, cancel := tt.ctx()
			defer cancel()
			_, err := s.List(ctx)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("List: %v, want %v", err, tt.wantErr)
			}
			if tt.notErr != nil && errors.Is(err, tt.notErr) {
				t.Fatalf("List: %v, must not be %v", err, tt.notErr)
			}
		})
	}
}

func TestSystemIndexConcurrentWrites(t *testing.T) {
	s := newSystem(0, newFakeBackend(), true)
	ctx := context.Background()
	var want []string
	var wg sync.WaitGroup
	for i := range 20 {
		key := fmt.Sprintf("project/p%02d", i)
		want = append(want, key)
		wg.Go(func() {
			if err := s.Set(ctx, key, []byte("v")); err != nil {
				t.Errorf("Set(%q): %v", key, err)
			}
		})
	}
	wg.Wait()
	got, err := s.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("List = %q, want %q", got, want)
	}
}

func TestSystemErrorsKeepTheirCause(t *testing.T) {
	fake := newFakeBackend()
	fake.fail = errors.New("boom from the keyring")
	s := newSystem(0, fake, false)
	_, err := s.Get(context.Background(), "user")
	if err == nil || !strings.Contains(err.Error(), "boom from the keyring") || !strings.Contains(err.Error(), `get "user"`) {
		t.Fatalf("Get: %v, want the cause and the call", err)
	}
	for _, sentinel := range []error{ErrNotFound, ErrLocked, ErrTimeout, ErrUnavailable, ErrTooLarge} {
		if errors.Is(err, sentinel) {
			t.Errorf("an unknown error became %v", sentinel)
		}
	}
}

// testService keeps the real-keyring conformance test away from real secrets.
const testService = "slices-agent-test"

func TestConformanceSystemReal(t *testing.T) {
	testenv.SystemKeyring(t)
	for _, index := range []bool{false, true} {
		t.Run(map[bool]string{false: "search", true: "index"}[index], func(t *testing.T) {
			service := fmt.Sprintf("%s-%d-%t", testService, os.Getpid(), index)
			s := newSystem(0, goKeyring{service: service}, index)
			testStore(t, s)
		})
	}
}

// TestSystemRealVisibleToSecretTool checks that items use the attributes other
// Secret Service clients expect: service=slices-agent, username=KEY.
func TestSystemRealVisibleToSecretTool(t *testing.T) {
	testenv.SystemKeyring(t)
	tool, err := exec.LookPath("secret-tool")
	if err != nil {
		t.Skip("secret-tool not installed (libsecret-tools)")
	}
	ctx := context.Background()
	s := NewSystem(0)
	key := fmt.Sprintf("test/secret-tool-%d", os.Getpid())
	if err := s.Set(ctx, key, []byte(`{"v":1}`)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Delete(context.Background(), key) })

	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(cctx, tool, "lookup", "service", Service, "username", key).Output()
	if err != nil || string(out) != `{"v":1}` {
		t.Fatalf("secret-tool lookup = %q, %v", out, err)
	}
	keys, err := s.List(ctx)
	if err != nil || !slices.Contains(keys, key) {
		t.Fatalf("List = %q, %v; want it to contain %q", keys, err, key)
	}
	if err := exec.CommandContext(cctx, tool, "clear", "service", Service, "username", key).Run(); err != nil {
		t.Fatalf("secret-tool clear: %v", err)
	}
	if _, err := s.Get(ctx, key); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get after secret-tool clear: %v, want ErrNotFound", err)
	}
}
