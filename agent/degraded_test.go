package agent

// A keyring or state directory that fails: tokens are served from memory.

import (
	"context"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/slices-ri/slices-agent/devportal"
	"github.com/slices-ri/slices-agent/keyring"
)

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
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t, devportal.Options{})
		hs := &hangingStore{Store: keyring.NewMemory(), hang: true}
		w.store = hs
		a := w.unloaded()
		a.vault.timeout = 200 * time.Millisecond
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
	})
}

func TestUnwritableStateDirServesFromMemory(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
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
	})
}
