package agent

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/slices-ri/slices-agent/ipc"
)

// lockedAgent is an agent with no portal, locked with pass, in a bubble's state directory.
func lockedAgent(t *testing.T, pass string) *Agent {
	t.Helper()
	a := New(Options{StateDir: t.TempDir()})
	t.Cleanup(a.Close)
	if err := a.Lock(context.Background(), pass); err != nil {
		t.Fatal(err)
	}
	return a
}

// Twenty wrong guesses, one after the other, take at least a minute of the
// agent's time; the right passphrase still unlocks after them.
func TestTwentyWrongGuessesTakeOverAMinute(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a := lockedAgent(t, "right")
		start := time.Now()
		for i := range 20 {
			if err := a.Unlock(context.Background(), "wrong"); code(err) != "bad_passphrase" {
				t.Fatalf("guess %d: %v", i+1, err)
			}
		}
		took := time.Since(start)
		t.Logf("20 wrong guesses took %v of virtual time", took)
		if took < time.Minute {
			t.Errorf("20 wrong guesses took %v, want at least a minute", took)
		}
		if err := a.Unlock(context.Background(), "right"); err != nil {
			t.Fatalf("the right passphrase after 20 wrong ones: %v", err)
		}
	})
}

// Hanging up early does not buy a fresh guess: a client that gives up after
// 30 ms is not looked at, and guesses sent in parallel wait their turn. In
// ten seconds, thousands of such attempts get at most five guesses looked at
// (at 0, 1, 3, 6 and 10 s); before the penalty was kept by the agent, every
// one of them was.
func TestHangingUpDoesNotSpeedUpGuessing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a := lockedAgent(t, "right")
		var looked, gaveUp atomic.Int32
		deadline := time.Now().Add(10 * time.Second)
		var wg sync.WaitGroup
		for w := range 10 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; time.Now().Before(deadline); i++ {
					ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
					err := a.Unlock(ctx, "wrong")
					cancel()
					switch {
					case code(err) == "bad_passphrase":
						looked.Add(1)
					case err == context.DeadlineExceeded:
						gaveUp.Add(1)
					default:
						t.Errorf("worker %d attempt %d: %v", w, i, err)
						return
					}
				}
			}()
		}
		wg.Wait()
		t.Logf("%d guesses looked at, %d attempts gave up", looked.Load(), gaveUp.Load())
		if n := looked.Load(); n > 5 || n < 1 {
			t.Errorf("%d guesses looked at in 10 s, want 1 to 5", n)
		}
		if gaveUp.Load() < 100 {
			t.Errorf("only %d attempts gave up: the test did not hammer", gaveUp.Load())
		}
		a.mu.Lock()
		failures := a.lock.failures
		a.mu.Unlock()
		if int32(failures) != looked.Load() {
			t.Errorf("agent counted %d failures, clients saw %d", failures, looked.Load())
		}
	})
}

// The unlock route is not a way around the lock: a request for the wrong
// thing while a guess waits is still refused with 423.
func TestLockedWhileGuessWaits(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a := lockedAgent(t, "right")
		_ = a.Unlock(context.Background(), "wrong")
		done := make(chan error, 1)
		go func() { done <- a.Unlock(context.Background(), "right") }()
		synctest.Wait()
		if _, err := a.UserToken(context.Background(), 0); code(err) != ipc.CodeLocked {
			t.Errorf("token while an unlock waits: %v", err)
		}
		if err := <-done; err != nil {
			t.Errorf("the right passphrase, after the wait: %v", err)
		}
	})
}
