package cli

import (
	"fmt"
	"net"
	"os"
	"strconv"
)

// activationListener returns the socket systemd passed (LISTEN_FDS, socket
// activation), or nil when the agent was not socket-activated.
func activationListener() (net.Listener, error) {
	pid, err := strconv.Atoi(os.Getenv("LISTEN_PID"))
	if err != nil || pid != os.Getpid() {
		return nil, nil
	}
	n, err := strconv.Atoi(os.Getenv("LISTEN_FDS"))
	if err != nil || n < 1 {
		return nil, nil
	}
	os.Unsetenv("LISTEN_PID")
	os.Unsetenv("LISTEN_FDS")
	os.Unsetenv("LISTEN_FDNAMES")
	f := os.NewFile(3, "systemd-socket")
	l, err := net.FileListener(f)
	f.Close()
	if err != nil {
		return nil, fmt.Errorf("using the socket passed by systemd (LISTEN_FDS): %w", err)
	}
	if _, ok := l.(*net.UnixListener); !ok {
		l.Close()
		return nil, fmt.Errorf("the socket passed by systemd is not a unix socket")
	}
	return l, nil
}
