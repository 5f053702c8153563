package agent

import (
	"context"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"time"

	"github.com/slices-ri/slices-agent/ipc"
)

// lockState is the ssh-add -x style lock: while locked no token leaves the agent.
type lockState struct {
	locked   bool
	salt     []byte
	hash     []byte
	failures int
}

const pbkdf2Iter = 100_000

func derive(pass string, salt []byte) []byte {
	k, _ := pbkdf2.Key(sha256.New, pass, salt, pbkdf2Iter, 32)
	return k
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
	hash := derive(passphrase, salt)
	a.mu.Lock()
	if a.lock.locked {
		a.mu.Unlock()
		return ipc.Locked()
	}
	a.lock = lockState{locked: true, salt: salt, hash: hash}
	a.mu.Unlock()
	a.removeSinks()
	a.log.Info("locked")
	a.publish(ipc.EventLocked, "", time.Time{}, "")
	return nil
}

// Unlock unlocks the agent. A wrong passphrase is answered slowly, slower
// with each failure, and says nothing about the passphrase.
func (a *Agent) Unlock(ctx context.Context, passphrase string) error {
	a.unlockMu.Lock()
	defer a.unlockMu.Unlock()
	a.mu.Lock()
	ls := a.lock
	a.mu.Unlock()
	if !ls.locked {
		return ipc.BadRequest("the agent is not locked", "")
	}
	if subtle.ConstantTimeCompare(derive(passphrase, ls.salt), ls.hash) != 1 {
		a.mu.Lock()
		a.lock.failures++
		n := a.lock.failures
		a.mu.Unlock()
		delay := min(time.Duration(n)*time.Second, 10*time.Second)
		select {
		case <-time.After(delay):
		case <-ctx.Done():
		}
		a.log.Warn("unlock with a wrong passphrase", "failures", n)
		return &ipc.Error{Status: 403, Code: "bad_passphrase", Message: "wrong passphrase", Hint: "the agent stays locked; try again"}
	}
	a.mu.Lock()
	a.lock = lockState{}
	a.mu.Unlock()
	a.writeSinks()
	a.log.Info("unlocked")
	a.publish(ipc.EventUnlocked, "", time.Time{}, "")
	return nil
}
