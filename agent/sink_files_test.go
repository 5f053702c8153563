package agent

import (
	"os"
	"path/filepath"
	"testing"
	"testing/synctest"

	"github.com/slices-ri/slices-agent/devportal"
	"github.com/slices-ri/slices-agent/ipc"
	"github.com/slices-ri/slices-agent/keyring"
)

// Moving a sink removes the old file, whatever a renewal wrote meanwhile.
func TestSinkMovedLeavesNoOldFile(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t, devportal.Options{})
		a, p := w.holding()
		dir := t.TempDir()
		first, second := filepath.Join(dir, "a.jwt"), filepath.Join(dir, "b.jwt")
		if _, err := a.TrackSink(testCtx(t), p.ID, first); err != nil {
			t.Fatal(err)
		}
		if _, err := a.TrackSink(testCtx(t), p.ID, second); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(first); !os.IsNotExist(err) {
			t.Errorf("the old token file %s is still there after the sink moved", first)
		}
		if b, err := os.ReadFile(second); err != nil || len(b) == 0 {
			t.Errorf("the new token file: %v", err)
		}
	})
}

// A sink file written by an earlier run goes when the restarted agent has no
// login to keep it valid with (a keyring that forgot it).
func TestSinkOfAnEarlierRunGoesWithoutALogin(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t, devportal.Options{})
		a, p := w.holding()
		path := filepath.Join(t.TempDir(), "p.jwt")
		if _, err := a.TrackSink(testCtx(t), p.ID, path); err != nil {
			t.Fatal(err)
		}
		a.Close()
		w.store = keyring.NewMemory() // the login is gone, the state file is not
		b := w.agent()
		if _, err := os.Stat(path); !os.IsNotExist(err) {
			t.Errorf("after a restart without a login the token file is still there: %v", err)
		}
		if err := b.Lock(testCtx(t), "secret"); err != nil {
			t.Fatal(err)
		}
	})
}

// A sink among the agent's own files (such as lock.json) is refused.
func TestSinkAmongTheAgentsFilesIsRefused(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t, devportal.Options{})
		a, p := w.holding()
		_, err := a.TrackSink(testCtx(t), p.ID, filepath.Join(w.state, "lock.json"))
		if code(err) != ipc.CodeBadRequest {
			t.Fatalf("a sink in the state directory: %v, want bad_request", err)
		}
	})
}

// A lock that cannot be saved says so: a restart would come back unlocked.
func TestLockThatCannotBeSavedSaysSo(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t, devportal.Options{})
		w.state = "/dev/null/slices-agent" // every write fails, even as root
		a := w.agent()
		login(t, a)
		err := a.Lock(testCtx(t), "secret")
		if err == nil {
			t.Fatal("Lock succeeded though the lock could not be saved")
		}
		if _, terr := a.UserToken(testCtx(t), 0); code(terr) != ipc.CodeLocked {
			t.Errorf("after a lock that could not be saved, tokens: %v; want still locked in memory", terr)
		}
	})
}
