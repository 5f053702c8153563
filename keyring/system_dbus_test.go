//go:build (dragonfly && cgo) || (freebsd && cgo) || linux || netbsd || openbsd

package keyring

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os/exec"
	"strings"
	"syscall"
	"testing"

	dbus "github.com/godbus/dbus/v5"
	gokeyring "github.com/zalando/go-keyring"
)

func TestSystemErrorMapping(t *testing.T) {
	dialErr := &net.OpError{Op: "dial", Net: "unix", Err: syscall.ENOENT}
	tests := []struct {
		name  string
		cause error
		want  error
	}{
		{"not found", gokeyring.ErrNotFound, ErrNotFound},
		{"too big", gokeyring.ErrSetDataTooBig, ErrTooLarge},
		{"unsupported platform", gokeyring.ErrUnsupportedPlatform, ErrUnavailable},
		{"locked", dbus.Error{Name: "org.freedesktop.Secret.Error.IsLocked"}, ErrLocked},
		{"locked, pointer", &dbus.Error{Name: "org.freedesktop.Secret.Error.IsLocked"}, ErrLocked},
		{"prompt dismissed", fmt.Errorf("failed to unlock correct collection '/org/freedesktop/secrets/aliases/default'"), ErrLocked},
		{"no secret service", dbus.Error{Name: "org.freedesktop.DBus.Error.ServiceUnknown"}, ErrUnavailable},
		{"activation failed", dbus.Error{Name: "org.freedesktop.DBus.Error.Spawn.ChildExited"}, ErrUnavailable},
		{"no reply", dbus.Error{Name: "org.freedesktop.DBus.Error.NoReply"}, ErrTimeout},
		{"no address", errors.New("dbus: couldn't determine address of session bus"), ErrUnavailable},
		{"nothing listening", dialErr, ErrUnavailable},
		{"no dbus-launch", &exec.Error{Name: "dbus-launch", Err: exec.ErrNotFound}, ErrUnavailable},
		{"connection closed", dbus.ErrClosed, ErrUnavailable},
		{"other D-Bus error", dbus.Error{Name: "org.example.Weird"}, nil},
	}
	sentinels := []error{ErrNotFound, ErrTooLarge, ErrLocked, ErrTimeout, ErrUnavailable}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := newFakeBackend()
			fake.fail = tt.cause
			_, err := newSystem(0, fake, false).Get(context.Background(), "user")
			if err == nil {
				t.Fatal("Get succeeded")
			}
			for _, s := range sentinels {
				if got := errors.Is(err, s); got != (s == tt.want) {
					t.Errorf("errors.Is(%v, %v) = %v", err, s, got)
				}
			}
			if tt.want != ErrNotFound && !strings.Contains(err.Error(), tt.cause.Error()) {
				t.Errorf("error %v lost its cause %v", err, tt.cause)
			}
			if !strings.Contains(err.Error(), `"user"`) {
				t.Errorf("error %q does not name the key", err)
			}
		})
	}
}
