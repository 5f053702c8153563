package agent

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slices-ri/slices-agent/devportal"
	"github.com/slices-ri/slices-agent/keyring"
)

// clock is a wall clock that tests can move, shared by the agent and the emulator.
type clock struct {
	mu  sync.Mutex
	off time.Duration
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.off)
}

func (c *clock) jump(d time.Duration) {
	c.mu.Lock()
	c.off += d
	c.mu.Unlock()
}

// clockWorld is a world whose portal and agent share a movable clock, as on a
// laptop that suspends: both see the wall clock jump.
func clockWorld(t *testing.T) (*world, *clock, *Agent, string) {
	clk := &clock{}
	w := newWorld(t, devportal.Options{Now: clk.Now})
	w.now, w.wake = clk.Now, 50*time.Millisecond
	a, p := w.holding()
	return w, clk, a, p.ID
}

// waitFor polls cond for up to d.
func waitFor(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if cond() {
			return true
		}
		time.Sleep(20 * time.Millisecond)
	}
	return cond()
}

func TestClockJumpForwardRenewsAtOnce(t *testing.T) {
	t.Parallel()
	w, clk, a, id := clockWorld(t)
	w.dp.ResetStats()
	clk.jump(50 * time.Minute) // a suspend: the 1 h token has 10 min left

	if !waitFor(3*time.Second, func() bool { return w.dp.Stats().ProjectTokens[id] == 1 }) {
		t.Fatalf("after a 50 min jump the project token was not renewed (issued %d)", w.dp.Stats().ProjectTokens[id])
	}
	tok, err := a.ProjectToken(testCtx(t), id, 0)
	if err != nil {
		t.Fatal(err)
	}
	if left := tok.ExpiresAt.Sub(clk.Now()); left < 55*time.Minute {
		t.Errorf("after the jump the served token has %v left, want a fresh one", left)
	}
	time.Sleep(500 * time.Millisecond)
	if n := w.dp.Stats().ProjectTokens[id]; n != 1 {
		t.Errorf("renewed %d times after one jump: a renewal loop", n)
	}
}

func TestClockJumpBackwardIsHarmless(t *testing.T) {
	t.Parallel()
	w, clk, a, id := clockWorld(t)
	w.dp.ResetStats()
	clk.jump(-2 * time.Hour)
	time.Sleep(500 * time.Millisecond)
	if n := w.dp.Stats().ProjectTokens[id]; n != 0 {
		t.Errorf("a backward jump caused %d renewals", n)
	}
	if _, err := a.ProjectToken(testCtx(t), id, 0); err != nil {
		t.Fatalf("after a backward jump: %v", err)
	}
}

// hangingStore is a keyring whose calls block until their context ends, like
// a locked Secret Service waiting on an unlock prompt.
type hangingStore struct {
	keyring.Store
	mu   sync.Mutex
	hang bool
}

func (h *hangingStore) block(ctx context.Context) error {
	h.mu.Lock()
	hang := h.hang
	h.mu.Unlock()
	if !hang {
		return nil
	}
	<-ctx.Done()
	return keyring.ErrTimeout
}

func (h *hangingStore) Set(ctx context.Context, k string, v []byte) error {
	if err := h.block(ctx); err != nil {
		return err
	}
	return h.Store.Set(ctx, k, v)
}

func (h *hangingStore) Get(ctx context.Context, k string) ([]byte, error) {
	if err := h.block(ctx); err != nil {
		return nil, err
	}
	return h.Store.Get(ctx, k)
}

func TestHangingKeyringServesFromMemory(t *testing.T) {
	t.Parallel()
	w := newWorld(t, devportal.Options{})
	hs := &hangingStore{Store: keyring.NewMemory(), hang: true}
	w.store = hs
	a := New(Options{PortalURL: w.url, StateDir: w.state, Keyring: hs})
	a.vault.timeout = 200 * time.Millisecond
	t.Cleanup(a.Close)
	a.Load(testCtx(t))

	login(t, a)
	p := firstProject(t, a)
	tok, err := a.ProjectToken(testCtx(t), p.ID, 0)
	if err != nil {
		t.Fatalf("with a hanging keyring: %v", err)
	}
	w.verified(tok.Token, p.ID)
	st, _ := a.Status(testCtx(t))
	if !strings.Contains(st.KeyringNote, "last write failed") || !strings.Contains(st.KeyringNote, "memory") {
		t.Errorf("status does not say the keyring fails: %q", st.KeyringNote)
	}

	// Once the keyring answers again, the next write lands and the note clears.
	hs.mu.Lock()
	hs.hang = false
	hs.mu.Unlock()
	if err := a.Refresh(testCtx(t), p.ID); err != nil {
		t.Fatal(err)
	}
	if st, _ := a.Status(testCtx(t)); strings.Contains(st.KeyringNote, "last write failed") {
		t.Errorf("note not cleared after a good write: %q", st.KeyringNote)
	}
}

func TestUnwritableStateDirServesFromMemory(t *testing.T) {
	t.Parallel()
	w := newWorld(t, devportal.Options{})
	w.state = "/dev/null/slices-agent" // not a directory: every write fails, even as root
	a := w.agent()
	login(t, a)
	p := firstProject(t, a)
	if _, err := a.ProjectToken(testCtx(t), p.ID, 0); err != nil {
		t.Fatalf("with an unwritable state directory: %v", err)
	}
	st, _ := a.Status(testCtx(t))
	if !strings.Contains(st.KeyringNote, "not a directory") {
		t.Errorf("status does not say the state could not be saved: %q", st.KeyringNote)
	}
}
