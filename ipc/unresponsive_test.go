package ipc

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// slowService answers the user token after a delay, like a renewal that
// waits for a slow portal.
type slowService struct {
	*fakeService
	delay time.Duration
}

func (s *slowService) UserToken(ctx context.Context, minValid time.Duration) (Token, error) {
	time.Sleep(s.delay)
	return s.fakeService.UserToken(ctx, minValid)
}

// An agent that accepts a connection and never answers is given up on within
// AnswerWithin, as "no agent" (exit 3), not after the call's whole timeout.
func TestClientGivesUpOnAHungAgent(t *testing.T) { forEachClient(t, testClientGivesUpOnAHungAgent) }

func testClientGivesUpOnAHungAgent(t *testing.T, newClient func(string) *Client) {
	path, _ := silentAgent(t)
	c := newClient(path)
	c.answerWithin = 300 * time.Millisecond
	defer c.Close()
	start := time.Now()
	_, err := c.TokenRaw(ctxT(t), "", 0)
	var ue *UnresponsiveError
	if !errors.As(err, &ue) || !errors.Is(err, ErrNoAgent) || !strings.Contains(err.Error(), path) {
		t.Fatalf("against a hung agent: %v, want an UnresponsiveError naming %s", err, path)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("gave up after %v, want about the 300 ms allowed", took)
	}
}

// A busy agent (a renewal waiting for the portal) is not hung: it says so with
// 102 Processing, and its answer arrives even after AnswerWithin.
func TestBusyAgentSaysItIsProcessing(t *testing.T) {
	t.Parallel() // it waits 6 s per client; the rest of the package need not
	forEachClient(t, testBusyAgentSaysItIsProcessing)
}

func testBusyAgentSaysItIsProcessing(t *testing.T, newClient func(string) *Client) {
	svc := &slowService{fakeService: newFake(), delay: 3 * time.Second}
	path := serve(t, NewHandler(svc, HandlerOptions{ProcessingAfter: 20 * time.Millisecond}), nil)
	c := newClient(path)
	c.answerWithin = 2 * time.Second // the 102, 20 ms in, has 2 s to arrive even on a loaded machine
	defer c.Close()
	if _, err := c.UserToken(ctxT(t), 0); err != nil {
		t.Fatalf("a busy agent that sent 102 Processing: %v", err)
	}
	// Without the 102 the same wait is a hung agent.
	svc2 := &slowService{fakeService: newFake(), delay: 3 * time.Second}
	path2 := serve(t, NewHandler(svc2, HandlerOptions{ProcessingAfter: time.Hour}), nil)
	c2 := newClient(path2)
	c2.answerWithin = 2 * time.Second
	defer c2.Close()
	if _, err := c2.UserToken(ctxT(t), 0); !errors.Is(err, ErrNoAgent) {
		t.Fatalf("an agent silent for longer than AnswerWithin: %v, want it given up on", err)
	}
}

// silentAgent listens on a socket of its own and accepts connections without
// ever answering, like a hung agent; accepted gets each connection, held
// open until the test ends.
func silentAgent(t *testing.T) (path string, accepted <-chan net.Conn) {
	t.Helper()
	dir, err := os.MkdirTemp("/tmp", "hung")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	path = filepath.Join(dir, "agent.sock")
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	ch := make(chan net.Conn, 16)
	t.Cleanup(func() {
		l.Close()
		for len(ch) > 0 {
			(<-ch).Close()
		}
	})
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			select {
			case ch <- c:
			default:
				c.Close()
			}
		}
	}()
	return path, ch
}
