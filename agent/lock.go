package agent

import (
	"context"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/slices-ri/slices-agent/internal/safedir"
	"github.com/slices-ri/slices-agent/ipc"
)

// lockState is the ssh-add -x style lock: while locked no token leaves the
// agent and nothing but status, events and unlock is answered. It is kept in
// the state directory (a salted PBKDF2 hash, never the passphrase), so an
// agent that stops or is killed while locked comes back locked.
type lockState struct {
	locked bool
	salt   []byte
	hash   []byte
	// failures counts wrong passphrases since the lock; notBefore is when
	// the next guess will be looked at. Both survive a restart.
	failures  int
	notBefore time.Time
}

// savedLock is lockState in the state directory's lock.json.
type savedLock struct {
	Salt      []byte    `json:"salt"`
	Hash      []byte    `json:"hash"`
	Iter      int       `json:"iterations"`
	Failures  int       `json:"failures,omitempty"`
	NotBefore time.Time `json:"not_before,omitzero"`
}

const pbkdf2Iter = 100_000

// unlockPenalty is how long the agent waits, after the n-th wrong
// passphrase, before it looks at the next guess: n seconds, at most 10.
// Twenty guesses take at least 1+2+…+9+10×10 = 145 s, whoever sends them.
func unlockPenalty(n int) time.Duration {
	return min(time.Duration(n)*time.Second, 10*time.Second)
}

func derive(pass string, salt []byte, iter int) []byte {
	k, _ := pbkdf2.Key(sha256.New, pass, salt, iter, 32)
	return k
}

// lockPath is the lock's file, or "" when the agent keeps no state.
func (a *Agent) lockPath() string {
	if a.opts.StateDir == "" {
		return ""
	}
	return filepath.Join(a.opts.StateDir, "lock.json")
}

// saveLock writes ls to the state directory, or removes the file when
// unlocked, and returns what went wrong.
func (a *Agent) saveLock(ls lockState) error {
	path := a.lockPath()
	if path == "" {
		return nil
	}
	var err error
	if !ls.locked {
		if err = os.Remove(path); errors.Is(err, fs.ErrNotExist) {
			err = nil
		}
	} else {
		b, _ := json.Marshal(savedLock{Salt: ls.salt, Hash: ls.hash, Iter: pbkdf2Iter, Failures: ls.failures, NotBefore: ls.notBefore})
		err = writeFileAtomic(path, b, 0o600)
	}
	if err != nil {
		a.log.Warn("could not save the lock state", "err", err)
		err = fmt.Errorf("lock state: %w", err)
	}
	a.setErr(&a.stateErr, err)
	return err
}

// loadLock restores a lock saved by an earlier run. A lock file that is
// there but cannot be read or understood keeps the agent locked with a lock
// no passphrase opens (the way out is to remove the file and restart the
// agent): refusing is safer than serving.
func (a *Agent) loadLock() {
	path := a.lockPath()
	if path == "" {
		return
	}
	b, err := safedir.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
		return // no lock file, or no state directory to hold one
	}
	var sl savedLock
	if err == nil {
		err = json.Unmarshal(b, &sl)
	}
	if err == nil && (len(sl.Salt) == 0 || len(sl.Hash) == 0 || sl.Iter != pbkdf2Iter) {
		err = errors.New("no salt, hash or known iteration count")
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if err != nil {
		a.log.Error("the lock file cannot be read: staying locked; remove it and restart the agent to get out", "path", path, "err", err)
		a.lock = lockState{locked: true}
		return
	}
	a.lock = lockState{locked: true, salt: sl.Salt, hash: sl.Hash, failures: sl.Failures, notBefore: sl.NotBefore}
	a.log.Info("locked by an earlier run", "failures", sl.Failures)
}

// refuseLocked is ipc.Locked() while the agent is locked.
func (a *Agent) refuseLocked() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.lock.locked {
		return ipc.Locked()
	}
	return nil
}

// Lock locks the agent with a passphrase.
func (a *Agent) Lock(ctx context.Context, passphrase string) error {
	if passphrase == "" {
		return ipc.BadRequest("empty passphrase", "give a passphrase to unlock with later")
	}
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return err
	}
	hash := derive(passphrase, salt, pbkdf2Iter)
	a.mu.Lock()
	if a.lock.locked {
		a.mu.Unlock()
		return ipc.Locked()
	}
	a.lock = lockState{locked: true, salt: salt, hash: hash}
	ls := a.lock
	a.mu.Unlock()
	serr := a.saveLock(ls)
	a.removeSinks()
	a.log.Info("locked")
	a.publish(ipc.EventLocked, "", time.Time{}, "")
	if serr != nil {
		// Locked now, in memory; a restart would come back unlocked.
		return ipc.Internal("locked, but the lock could not be saved, so a restart would undo it: " + serr.Error())
	}
	return nil
}

// Unlock unlocks the agent. Guesses are looked at one at a time, and after a
// wrong one not before the agent's penalty time has passed: a client that
// hangs up early, or sends many guesses at once, only waits longer. A guess
// whose client went away before its turn is not looked at.
func (a *Agent) Unlock(ctx context.Context, passphrase string) error {
	select {
	case a.unlockTurn <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-a.unlockTurn }()
	a.mu.Lock()
	ls := a.lock
	a.mu.Unlock()
	if !ls.locked {
		return ipc.BadRequest("the agent is not locked", "")
	}
	if wait := ls.notBefore.Sub(a.now()); wait > 0 {
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		}
	}
	if err := ctx.Err(); err != nil {
		return err // the client left while waiting its turn: not looked at
	}
	if len(ls.hash) == 0 || subtle.ConstantTimeCompare(derive(passphrase, ls.salt, pbkdf2Iter), ls.hash) != 1 {
		a.mu.Lock()
		a.lock.failures++
		a.lock.notBefore = a.now().Add(unlockPenalty(a.lock.failures))
		ls = a.lock
		a.mu.Unlock()
		a.saveLock(ls)
		a.log.Warn("unlock with a wrong passphrase", "failures", ls.failures, "next_guess_after", ls.notBefore.Format(time.RFC3339))
		return &ipc.Error{Status: 403, Code: "bad_passphrase", Message: "wrong passphrase",
			Hint: fmt.Sprintf("the agent stays locked; the next guess is looked at after %s", unlockPenalty(ls.failures))}
	}
	a.mu.Lock()
	a.lock = lockState{}
	a.mu.Unlock()
	a.saveLock(lockState{})
	a.writeSinks()
	a.log.Info("unlocked")
	a.publish(ipc.EventUnlocked, "", time.Time{}, "")
	return nil
}
