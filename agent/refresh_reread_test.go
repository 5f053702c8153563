package agent

import (
	"testing"
	"testing/synctest"

	"github.com/slices-ri/slices-agent/devportal"
)

// Another writer of the same keyring rotated the refresh token: the agent
// reads the stored one before using its own copy, so the portal never sees
// a spent refresh token and the login survives.
func TestStoredRefreshTokenIsReadBeforeUse(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t, devportal.Options{})
		a, _ := w.holding()
		ctx := testCtx(t)
		saved, err := a.vault.loadSession(ctx)
		if err != nil {
			t.Fatal(err)
		}
		// The other writer: renews with the stored token and stores the rotated one.
		toks, err := w.portal().Refresh(ctx, saved.RefreshToken)
		if err != nil {
			t.Fatal(err)
		}
		if toks.RefreshToken == saved.RefreshToken {
			t.Fatal("the emulator did not rotate the refresh token")
		}
		saved.RefreshToken = toks.RefreshToken
		if err := a.vault.saveSession(ctx, saved); err != nil {
			t.Fatal(err)
		}
		if err := a.Refresh(ctx, ""); err != nil {
			t.Fatalf("refresh after another writer rotated the token: %v", err)
		}
		if st := w.dp.Stats(); st.RefreshReuse != 0 {
			t.Errorf("the portal saw %d reuses of a spent refresh token", st.RefreshReuse)
		}
		if st, _ := a.Status(ctx); !st.User.LoggedIn {
			t.Errorf("logged out: %+v", st.User)
		}
	})
}
