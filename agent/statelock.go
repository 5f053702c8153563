package agent

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/slices-ri/slices-agent/internal/safedir"
)

// stateLockWait is how long a starting agent waits for the state directory's
// lock: long enough for an agent that was just stopped to finish exiting.
const stateLockWait = 3 * time.Second

// StateBusyError says that another agent holds the state directory: two
// agents on one keyring would rotate one refresh token between them until the
// portal revokes the login.
type StateBusyError struct {
	Dir    string
	PID    int    // 0 when the holder has not written it yet
	Socket string // "" likewise
}

// Error names the other agent's pid and socket.
func (e *StateBusyError) Error() string {
	who := "another agent"
	switch {
	case e.PID > 0 && e.Socket != "":
		who = fmt.Sprintf("another agent (pid %d, socket %s)", e.PID, e.Socket)
	case e.PID > 0:
		who = fmt.Sprintf("another agent (pid %d)", e.PID)
	}
	return fmt.Sprintf("%s already uses the state directory %s: one agent per keyring and state", who, e.Dir)
}

// StateLock is an agent's exclusive hold (flock) on its state directory.
type StateLock struct{ f *os.File }

// LockStateDir takes the exclusive lock of the state directory dir and
// records this process's pid and socket in it; it waits up to wait for a
// holder that is exiting, then fails with *StateBusyError.
func LockStateDir(dir, socket string, wait time.Duration) (*StateLock, error) {
	path := filepath.Join(dir, "agent.lock")
	f, err := safedir.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("state lock: %w", err)
	}
	deadline := time.Now().Add(wait)
	for {
		err = unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
		if err == nil {
			break
		}
		if !errors.Is(err, unix.EWOULDBLOCK) {
			f.Close()
			return nil, fmt.Errorf("state lock %s: %w", path, err)
		}
		if time.Now().After(deadline) {
			busy := &StateBusyError{Dir: dir}
			if b, rerr := os.ReadFile(path); rerr == nil {
				pid, sock, _ := strings.Cut(strings.TrimSpace(string(b)), "\n")
				busy.PID, _ = strconv.Atoi(pid)
				busy.Socket = sock
			}
			f.Close()
			return nil, busy
		}
		time.Sleep(50 * time.Millisecond)
	}
	_ = f.Truncate(0)
	_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"+socket+"\n"), 0)
	return &StateLock{f: f}, nil
}

// Release lets the state directory go.
func (l *StateLock) Release() {
	_ = unix.Flock(int(l.f.Fd()), unix.LOCK_UN)
	l.f.Close()
}
