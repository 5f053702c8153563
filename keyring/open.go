package keyring

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Backend names accepted by Open.
const (
	BackendAuto   = "auto"
	BackendSystem = "system"
	BackendFile   = "file"
	BackendMemory = "memory"
)

// probeKey is written, read back and deleted to check the system keyring.
const probeKey = ".probe"

// Open returns the Store for backend ("auto", "system", "file" or "memory";
// empty means auto) and a note for status when the choice needs explaining.
//
// auto uses the system keyring when a probe round trip (set, get, delete of a
// throwaway item) answers within DefaultTimeout, and memory otherwise, saying
// why in the note. system fails when there is no keyring at all, but keeps a
// locked or slow one (with a note): it may answer later. file uses filePath,
// or DefaultFilePath when filePath is empty.
func Open(ctx context.Context, backend, filePath string) (Store, string, error) {
	return open(ctx, backend, filePath, func() *System { return NewSystem(DefaultTimeout) })
}

func open(ctx context.Context, backend, filePath string, newSys func() *System) (Store, string, error) {
	switch backend {
	case BackendMemory:
		return NewMemory(), "memory keyring: secrets are lost when the agent stops", nil
	case BackendFile:
		if filePath == "" {
			p, err := DefaultFilePath()
			if err != nil {
				return nil, "", err
			}
			filePath = p
		}
		f, err := NewFile(filePath)
		if err != nil {
			return nil, "", err
		}
		return f, "file keyring " + f.Path() + ": secrets are stored in plain text", nil
	case BackendSystem:
		s := newSys()
		if err := s.probe(ctx); err != nil {
			if errors.Is(err, ErrUnavailable) {
				return nil, "", err
			}
			return s, fmt.Sprintf("system keyring not answering yet (%s)", cause(err)), nil
		}
		return s, "", nil
	case "", BackendAuto:
		s := newSys()
		if err := s.probe(ctx); err != nil {
			why := "no system keyring (" + cause(err) + ")"
			if errors.Is(err, ErrUnavailable) {
				// No D-Bus session, or nothing on it provides org.freedesktop.secrets.
				why = "no Secret Service on this machine"
			}
			return NewMemory(), why + ": tokens are lost when the agent stops; --keyring file keeps them in a 0600 file", nil
		}
		return s, "", nil
	default:
		return nil, "", fmt.Errorf("keyring: unknown backend %q (want auto, system, file or memory)", backend)
	}
}

// cause is the innermost part of a keyring error, for a one-line note:
// "exec: \"dbus-launch\": executable file not found in $PATH" rather than the
// whole chain of "keyring: system probe: keyring unavailable: …".
func cause(err error) string {
	msg := err.Error()
	for _, s := range []error{ErrUnavailable, ErrLocked, ErrTimeout} {
		if i := strings.LastIndex(msg, s.Error()+": "); i >= 0 {
			return msg[i+len(s.Error())+2:]
		}
	}
	return msg
}

// DefaultFilePath is where the file backend keeps its secrets when no path is
// given: $XDG_STATE_HOME/slices-agent/secrets.json (~/.local/state by default).
func DefaultFilePath() (string, error) {
	dir := os.Getenv("XDG_STATE_HOME")
	if dir == "" || !filepath.IsAbs(dir) {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("keyring: no path for the file backend: %w", err)
		}
		dir = filepath.Join(home, ".local", "state")
	}
	return filepath.Join(dir, Service, "secrets.json"), nil
}

// probe writes, reads back and deletes a throwaway item, all within one timeout.
func (s *System) probe(ctx context.Context) error {
	want := rand.Text()
	return s.do(ctx, "probe", "", func() error {
		if err := s.ops.set(probeKey, want); err != nil {
			return err
		}
		got, err := s.ops.get(probeKey)
		if err != nil {
			return err
		}
		if err := s.ops.delete(probeKey); err != nil {
			return err
		}
		if got != want {
			return errors.New("probe item read back wrong")
		}
		return nil
	})
}
