package keyring

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	gokeyring "github.com/zalando/go-keyring"
)

// DefaultTimeout bounds each system keyring call when NewSystem gets no timeout.
const DefaultTimeout = 3 * time.Second

// indexKey holds the list of keys on platforms where the keyring cannot be
// searched (macOS, Windows). The leading dot keeps it out of the key space.
const indexKey = ".index"

// backend is the OS keyring as System sees it: go-keyring in production, a
// fake in tests. Calls may block forever; System bounds them.
type backend interface {
	get(key string) (string, error)
	set(key, value string) error
	delete(key string) error
	// search returns the keys held; only called when the platform can
	// enumerate items (canSearch), else System keeps an index item.
	search() ([]string, error)
}

// goKeyring is the production backend.
type goKeyring struct{ service string }

func (g goKeyring) get(key string) (string, error) { return gokeyring.Get(g.service, key) }
func (g goKeyring) set(key, value string) error    { return gokeyring.Set(g.service, key, value) }
func (g goKeyring) delete(key string) error        { return gokeyring.Delete(g.service, key) }
func (g goKeyring) search() ([]string, error)      { return searchKeys(g.service) }

// System is a Store in the OS keyring (Secret Service on Linux, Keychain on
// macOS, Credential Manager on Windows), one item per key under Service.
//
// Every call runs in its own goroutine, bounded by the caller's context and
// the store's timeout: a locked Secret Service can wait forever on an unlock
// prompt. Calls are serialised; while a timed-out call is still stuck, later
// calls fail at once with ErrTimeout instead of piling up more goroutines.
//
// On Linux, List asks the Secret Service for the items with attribute
// service=slices-agent; elsewhere System keeps the key names in an extra item
// under the key ".index".
type System struct {
	timeout time.Duration
	ops     backend
	// slot holds one token while a call is running (calls are serialised).
	slot chan struct{}

	// index: keep the key names in the ".index" item (no search available).
	index bool

	mu    sync.Mutex
	stuck bool // a call that a caller gave up on is still running
}

// NewSystem returns a Store in the OS keyring whose calls each give up after
// timeout (DefaultTimeout when timeout <= 0).
func NewSystem(timeout time.Duration) *System {
	return newSystem(timeout, goKeyring{service: Service}, !canSearch)
}

func newSystem(timeout time.Duration, ops backend, index bool) *System {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	return &System{timeout: timeout, ops: ops, index: index, slot: make(chan struct{}, 1)}
}

// Name returns "system".
func (s *System) Name() string { return "system" }

// Get returns the value stored under key.
func (s *System) Get(ctx context.Context, key string) ([]byte, error) {
	if err := checkCall(ctx, "get", key); err != nil {
		return nil, err
	}
	var v string
	err := s.do(ctx, "get", key, func() (err error) {
		v, err = s.ops.get(key)
		return err
	})
	if err != nil {
		return nil, err
	}
	return []byte(v), nil
}

// Set stores value under key, replacing any old value.
func (s *System) Set(ctx context.Context, key string, value []byte) error {
	if err := checkCall(ctx, "set", key); err != nil {
		return err
	}
	if err := checkValue(key, value); err != nil {
		return err
	}
	return s.do(ctx, "set", key, func() error {
		if err := s.ops.set(key, string(value)); err != nil {
			return err
		}
		return s.updateIndex(key, true)
	})
}

// Delete removes key; an absent key is not an error.
func (s *System) Delete(ctx context.Context, key string) error {
	if err := checkCall(ctx, "delete", key); err != nil {
		return err
	}
	return s.do(ctx, "delete", key, func() error {
		if err := s.ops.delete(key); err != nil && !errors.Is(err, gokeyring.ErrNotFound) {
			return err
		}
		return s.updateIndex(key, false)
	})
}

// List returns the keys held, sorted.
func (s *System) List(ctx context.Context) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("keyring: list: %w", err)
	}
	var keys []string
	err := s.do(ctx, "list", "", func() (err error) {
		if s.index {
			keys, err = s.readIndex()
		} else {
			keys, err = s.ops.search()
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	keys = slices.DeleteFunc(keys, func(k string) bool { return checkKey(k) != nil })
	slices.Sort(keys)
	return slices.Compact(keys), nil
}

// do runs f in a goroutine and waits for it, ctx or the timeout, whichever
// comes first.
func (s *System) do(ctx context.Context, op, key string, f func() error) error {
	s.mu.Lock()
	stuck := s.stuck
	s.mu.Unlock()
	if stuck {
		return fmt.Errorf("keyring: system %s: %w (an earlier call is still waiting for the keyring)",
			label(op, key), ErrTimeout)
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	select {
	case s.slot <- struct{}{}:
	case <-ctx.Done():
		return s.ctxErr(ctx, op, key)
	}
	res := make(chan error, 1)
	go func() {
		err := f()
		s.mu.Lock()
		s.stuck = false
		res <- err
		s.mu.Unlock()
		<-s.slot
	}()
	select {
	case err := <-res:
		return s.wrap(op, key, err)
	case <-ctx.Done():
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	select {
	case err := <-res: // finished while we were giving up
		return s.wrap(op, key, err)
	default:
		s.stuck = true
		return s.ctxErr(ctx, op, key)
	}
}

// ctxErr explains why ctx ended: a deadline is ErrTimeout, a cancel is not.
func (s *System) ctxErr(ctx context.Context, op, key string) error {
	err := ctx.Err()
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("keyring: system %s: %w (limit %s): %w", label(op, key), ErrTimeout, s.timeout, err)
	}
	return fmt.Errorf("keyring: system %s: %w", label(op, key), err)
}

// wrap maps a backend error onto the package's sentinel errors, keeping the cause.
func (s *System) wrap(op, key string, err error) error {
	if err == nil {
		return nil
	}
	var sentinel error
	switch {
	case errors.Is(err, gokeyring.ErrNotFound):
		return fmt.Errorf("keyring: %s: %w", label(op, key), ErrNotFound)
	case errors.Is(err, gokeyring.ErrSetDataTooBig):
		sentinel = ErrTooLarge
	case errors.Is(err, gokeyring.ErrUnsupportedPlatform):
		sentinel = ErrUnavailable
	default:
		sentinel = classifyPlatform(err)
	}
	if sentinel == nil {
		return fmt.Errorf("keyring: system %s: %w", label(op, key), err)
	}
	return fmt.Errorf("keyring: system %s: %w: %w", label(op, key), sentinel, err)
}

// label names a call in error messages.
func label(op, key string) string {
	if key == "" {
		return op
	}
	return op + " " + strconv.Quote(key)
}

// updateIndex adds or removes key in the ".index" item when the platform
// needs one; it runs inside do, after the item itself was written.
func (s *System) updateIndex(key string, present bool) error {
	if !s.index {
		return nil
	}
	keys, err := s.readIndex()
	if err != nil {
		return err
	}
	i, found := slices.BinarySearch(keys, key)
	switch {
	case present && !found:
		keys = slices.Insert(keys, i, key)
	case !present && found:
		keys = slices.Delete(keys, i, i+1)
	default:
		return nil
	}
	b, err := json.Marshal(keys)
	if err != nil {
		return err
	}
	return s.ops.set(indexKey, string(b))
}

// readIndex returns the sorted keys in the ".index" item.
func (s *System) readIndex() ([]string, error) {
	v, err := s.ops.get(indexKey)
	if errors.Is(err, gokeyring.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var keys []string
	if err := json.Unmarshal([]byte(v), &keys); err != nil {
		return nil, fmt.Errorf("index item is corrupt: %w", err)
	}
	slices.Sort(keys)
	return slices.Compact(keys), nil
}
