package cli

import (
	"os"
	"strconv"
	"testing"
)

// The descriptor is only taken when LISTEN_PID names this process (systemd's
// rule): a variable inherited from a parent must not make the agent use fd 3.
func TestActivationListenerIgnoresOtherPID(t *testing.T) {
	for _, pid := range []string{"1", "", "not-a-pid"} {
		t.Setenv("LISTEN_PID", pid)
		t.Setenv("LISTEN_FDS", "1")
		l, err := activationListener()
		if l != nil || err != nil {
			t.Errorf("LISTEN_PID=%q: listener %v, err %v; want neither", pid, l, err)
		}
	}
	// This process, but no descriptor passed.
	t.Setenv("LISTEN_PID", strconv.Itoa(os.Getpid()))
	t.Setenv("LISTEN_FDS", "0")
	if l, err := activationListener(); l != nil || err != nil {
		t.Errorf("LISTEN_FDS=0: listener %v, err %v; want neither", l, err)
	}
}
