package tui

import (
	"bytes"
	"context"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe for one writer and one reader.
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

// runOneLine runs o on a pipe for stdin and returns its output once it ends,
// after act (which may write to the pipe).
func runOneLine(t *testing.T, o *oneLine, act func(w *os.File)) string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	var out syncBuffer
	o.SetStdin(r)
	o.SetStdout(&out)
	done := make(chan error, 1)
	go func() { done <- o.Run() }()
	act(w)
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the one-line view did not end")
	}
	return out.String()
}

func TestOneLineShowsTheTokenUnbrokenAndClearsOnEnter(t *testing.T) {
	tok := strings.Repeat("eyJhbGciOiJFUzI1NiJ9", 30)
	o := &oneLine{token: tok, what: "the token of ilabt-dev", forAtMost: time.Hour, poll: time.Hour,
		allowed: func(context.Context) bool { return true }}
	out := runOneLine(t, o, func(w *os.File) { w.WriteString("\n") })
	if !strings.Contains(out, "\r\n"+tok+"\r\n") {
		t.Errorf("the token is not written as one line: %q", out)
	}
	if !strings.HasSuffix(out, clearAll) || !strings.HasPrefix(out, clearAll) {
		t.Errorf("the screen and scrollback are not cleared before and after: %q", out)
	}
}

func TestOneLineEndsWhenTheAgentLocks(t *testing.T) {
	var locked atomic.Bool
	o := &oneLine{token: "tok", what: "the user token", forAtMost: time.Hour, poll: 10 * time.Millisecond,
		allowed: func(context.Context) bool { return !locked.Load() }}
	out := runOneLine(t, o, func(*os.File) { locked.Store(true) })
	if !strings.HasSuffix(out, clearAll) {
		t.Errorf("not cleared after the lock: %q", out)
	}
}

func TestOneLineEndsAfterItsTime(t *testing.T) {
	o := &oneLine{token: "tok", what: "the user token", forAtMost: 20 * time.Millisecond, poll: time.Hour,
		allowed: func(context.Context) bool { return true }}
	if out := runOneLine(t, o, func(*os.File) {}); !strings.HasSuffix(out, clearAll) {
		t.Errorf("not cleared after its time: %q", out)
	}
}

func TestOneLineEscapesTheToken(t *testing.T) {
	o := &oneLine{token: "a\x1b]52;c;x\x07b", what: "x", forAtMost: time.Hour, poll: time.Hour,
		allowed: func(context.Context) bool { return true }}
	out := runOneLine(t, o, func(w *os.File) { w.WriteString("\n") })
	if strings.Contains(out, "\x1b]52") {
		t.Errorf("a control sequence in the token reaches the terminal: %q", out)
	}
}
