package agent

import (
	"os"
	"path/filepath"
	"testing"
	"testing/synctest"
	"time"

	"github.com/slices-ri/slices-agent/devportal"
)

// A token file never holds a lapsed token: when renewals fail until the
// token expires, the file goes; when the portal answers again, the next
// token is written to it.
func TestSinkGoesWhenItsTokenLapses(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t, devportal.Options{TokenTTL: 2 * time.Second})
		a, p := w.holding()
		path := filepath.Join(t.TempDir(), "p.jwt")
		if _, err := a.TrackSink(testCtx(t), p.ID, path); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("no token file after TrackSink: %v", err)
		}
		w.verified(string(b), p.ID)

		w.dp.InjectFault(devportal.Fault{Path: "/apis/", Status: 503})
		if !waitFor(10*time.Second, func() bool { _, err := os.Stat(path); return os.IsNotExist(err) }) {
			t.Fatal("the file of a lapsed token is still there")
		}

		w.dp.ClearFaults()
		if !waitFor(10*time.Second, func() bool { b, err := os.ReadFile(path); return err == nil && len(b) > 0 }) {
			t.Fatal("no new token in the file once the portal answers again")
		}
		b, _ = os.ReadFile(path)
		if d := w.verified(string(b), p.ID); !d.ExpiresAt.After(time.Now()) {
			t.Errorf("the file holds a token that expired at %v", d.ExpiresAt)
		}
	})
}
