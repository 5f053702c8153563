// Package keyring keeps the agent's secrets: one small value per key, under the
// service name "slices-agent".
//
// Three backends implement [Store] and pass the same conformance test:
//
//   - [System] stores each key as one item in the OS keyring (Secret Service on
//     Linux, Keychain on macOS, Credential Manager on Windows) through go-keyring.
//     Every call runs with a deadline, because a locked Secret Service can block
//     forever while it waits for an unlock prompt.
//   - [File] keeps all keys in one JSON file with mode 0600. It is opt-in, for
//     headless hosts: the secrets are stored in plain text.
//   - [Memory] keeps keys in process memory only; nothing survives a restart.
//
// [Open] picks a backend by name; "auto" uses the system keyring when a probe
// round trip answers in time and memory otherwise, with a note for status.
//
// Values are limited to [MaxValueSize] bytes because macOS and Windows reject
// larger secrets; store one small JSON value per secret.
package keyring

import (
	"context"
	"errors"
	"fmt"
)

// Service is the service name under which every secret is stored.
const Service = "slices-agent"

// MaxValueSize is the largest value, in bytes, that a Store accepts.
const MaxValueSize = 2048

// MaxKeySize is the longest key, in bytes, that a Store accepts.
const MaxKeySize = 200

// Sentinel errors returned (wrapped) by every Store; test them with errors.Is.
var (
	// ErrNotFound means the key holds no value.
	ErrNotFound = errors.New("secret not found")
	// ErrTooLarge means the value is longer than MaxValueSize.
	ErrTooLarge = errors.New("secret too large")
	// ErrLocked means the keyring is locked or the user dismissed the unlock prompt.
	ErrLocked = errors.New("keyring is locked")
	// ErrTimeout means the keyring did not answer in time.
	ErrTimeout = errors.New("keyring did not answer in time")
	// ErrUnavailable means there is no keyring to talk to (no D-Bus, no Secret Service).
	ErrUnavailable = errors.New("keyring unavailable")
	// ErrInvalidKey means the key is empty, too long, not printable ASCII, or
	// starts with "." (reserved for the package's own entries).
	ErrInvalidKey = errors.New("invalid key")
)

// Store is where the agent keeps its secrets: one small value per key under service "slices-agent".
type Store interface {
	// Get returns the value of key, or an error wrapping ErrNotFound when absent.
	Get(ctx context.Context, key string) ([]byte, error)
	// Set stores value under key, replacing any old value; values longer than
	// MaxValueSize are refused with ErrTooLarge.
	Set(ctx context.Context, key string, value []byte) error
	// Delete removes key; deleting an absent key is not an error.
	Delete(ctx context.Context, key string) error
	// List returns the keys held, sorted.
	List(ctx context.Context) ([]string, error)
	// Name names the backend: "system", "file" or "memory".
	Name() string
}

// checkKey reports whether key is usable as a Store key.
func checkKey(key string) error {
	if key == "" {
		return fmt.Errorf("%w: empty", ErrInvalidKey)
	}
	if len(key) > MaxKeySize {
		return fmt.Errorf("%w: %d bytes, the limit is %d", ErrInvalidKey, len(key), MaxKeySize)
	}
	if key[0] == '.' {
		return fmt.Errorf("%w %q: a leading dot is reserved", ErrInvalidKey, key)
	}
	for i := 0; i < len(key); i++ {
		if c := key[i]; c <= ' ' || c > '~' {
			return fmt.Errorf("%w %q: byte %d is not printable ASCII", ErrInvalidKey, key, i)
		}
	}
	return nil
}

// checkValue reports whether value fits in a Store.
func checkValue(key string, value []byte) error {
	if len(value) > MaxValueSize {
		return fmt.Errorf("keyring: set %q: %w: %d bytes, the limit is %d", key, ErrTooLarge, len(value), MaxValueSize)
	}
	return nil
}

// checkCall validates a call before a backend does any work.
func checkCall(ctx context.Context, op, key string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("keyring: %s %q: %w", op, key, err)
	}
	if err := checkKey(key); err != nil {
		return fmt.Errorf("keyring: %s: %w", op, err)
	}
	return nil
}
