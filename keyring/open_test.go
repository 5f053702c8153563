package keyring

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/slices-ri/slices-agent/internal/testenv"
)

func TestOpen(t *testing.T) {
	hung := func() *System {
		f := newFakeBackend()
		f.hang = make(chan struct{})
		t.Cleanup(func() { close(f.hang) })
		return newSystem(20*time.Millisecond, f, false)
	}
	noBus := func() *System {
		f := newFakeBackend()
		f.fail = errors.New("dbus: couldn't determine address of session bus")
		return newSystem(0, f, false)
	}
	works := func() *System { return newSystem(0, newFakeBackend(), false) }

	tests := []struct {
		name     string
		backend  string
		sys      func() *System
		wantName string // "" means an error
		wantErr  error
		wantNote string
	}{
		{"auto with a working keyring", "auto", works, "system", nil, ""},
		{"empty means auto", "", works, "system", nil, ""},
		{"auto with a hung keyring", "auto", hung, "memory", nil, "did not answer in time"},
		{"auto without a bus", "auto", noBus, "memory", nil, "no Secret Service on this machine"},
		{"system with a hung keyring", "system", hung, "system", nil, "not answering yet"},
		{"system without a bus", "system", noBus, "", ErrUnavailable, ""},
		{"memory", "memory", works, "memory", nil, "lost when the agent stops"},
		{"unknown", "vault", works, "", nil, `unknown backend "vault"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, note, err := open(context.Background(), tt.backend, "", tt.sys)
			if tt.wantName == "" {
				if err == nil {
					t.Fatalf("open succeeded with %s, want an error", s.Name())
				}
				if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
					t.Fatalf("open: %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("open: %v", err)
			}
			if s.Name() != tt.wantName {
				t.Errorf("backend = %s, want %s", s.Name(), tt.wantName)
			}
			if tt.wantNote == "" && note != "" || !strings.Contains(note, tt.wantNote) {
				t.Errorf("note = %q, want one containing %q", note, tt.wantNote)
			}
		})
	}
	t.Run("unknown backend message", func(t *testing.T) {
		_, _, err := open(context.Background(), "vault", "", works)
		if err == nil || !strings.Contains(err.Error(), `unknown backend "vault"`) {
			t.Fatalf("open: %v", err)
		}
	})
}

func TestOpenFile(t *testing.T) {
	state := t.TempDir()
	t.Setenv("XDG_STATE_HOME", state)
	s, note, err := Open(context.Background(), "file", "")
	if err != nil {
		t.Fatal(err)
	}
	want := filepath.Join(state, "slices-agent", "secrets.json")
	if f, ok := s.(*File); !ok || f.Path() != want {
		t.Fatalf("Open(file) = %#v, want a File at %s", s, want)
	}
	if !strings.Contains(note, "plain text") || !strings.Contains(note, want) {
		t.Errorf("note = %q, want it to name the path and say plain text", note)
	}
	explicit := filepath.Join(t.TempDir(), "x.json")
	s, _, err = Open(context.Background(), "file", explicit)
	if err != nil || s.(*File).Path() != explicit {
		t.Fatalf("Open(file, %s) = %v, %v", explicit, s, err)
	}
}

func TestOpenRealKeyring(t *testing.T) {
	testenv.SystemKeyring(t)
	s, note, err := Open(context.Background(), "auto", "")
	if err != nil || s.Name() != "system" || note != "" {
		t.Fatalf("Open(auto) = %v, %q, %v; want system, no note", s, note, err)
	}
	keys, err := s.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		if strings.HasPrefix(k, ".") {
			t.Errorf("List shows internal key %q", k)
		}
	}
}

// childEnv marks the test binary re-run by TestOpenWithoutBus.
const childEnv = "KEYRING_TEST_NO_BUS_CHILD"

// childDone is printed by the child when its checks passed.
const childDone = "no-bus child: checks passed"

// TestOpenWithoutBus runs the real go-keyring with no reachable D-Bus, in a
// child process because godbus caches its session connection.
func TestOpenWithoutBus(t *testing.T) {
	if os.Getenv(childEnv) == "1" {
		ctx := context.Background()
		s, note, err := Open(ctx, "auto", "")
		if err != nil || s.Name() != "memory" || !strings.Contains(note, "no Secret Service on this machine") || strings.Contains(note, "dbus-launch") {
			t.Fatalf("Open(auto) = %v, %q, %v; want memory with a note", s, note, err)
		}
		if _, err := NewSystem(time.Second).Get(ctx, "user"); !errors.Is(err, ErrUnavailable) {
			t.Fatalf("System.Get without a bus: %v, want ErrUnavailable", err)
		}
		if _, _, err := Open(ctx, "system", ""); !errors.Is(err, ErrUnavailable) {
			t.Fatalf("Open(system) without a bus: %v, want ErrUnavailable", err)
		}
		fmt.Println(childDone)
		return
	}
	runtimeDir := t.TempDir() // no "bus" socket in it
	for name, addr := range map[string]string{
		"address to nowhere": "unix:path=" + filepath.Join(runtimeDir, "nobus"),
		"no address":         "",
	} {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestOpenWithoutBus$", "-test.count=1")
			cmd.Env = append(os.Environ(), childEnv+"=1", "DBUS_SESSION_BUS_ADDRESS="+addr,
				"XDG_RUNTIME_DIR="+runtimeDir, "PATH="+runtimeDir) // PATH: no dbus-launch to autolaunch
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("child: %v\n%s", err, out)
			}
			if !strings.Contains(string(out), childDone) {
				t.Fatalf("child did not pass:\n%s", out)
			}
		})
	}
}
