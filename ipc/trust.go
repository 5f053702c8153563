package ipc

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"

	"github.com/slices-ri/slices-agent/internal/safedir"
)

// UntrustedError says that a socket, its directory or a state directory is
// not the user's own: a symbolic link, another user's, open to writes by
// others, or a socket served by a process of another uid. Commands exit 3 on
// it; nothing was sent.
type UntrustedError = safedir.Error

// dialTrusted connects to the agent at path only when it is the user's own:
// the socket's directory must pass safedir.Check (not a symbolic link, owned
// by the user, not writable by others), and the process at the other end
// must run as the user's uid (SO_PEERCRED, LOCAL_PEERCRED). Both are checked
// before a byte is written. A missing directory is left to the dial, which
// fails with ENOENT: nobody is listening.
func dialTrusted(ctx context.Context, path string) (net.Conn, error) {
	if err := checkSocketDir(path); err != nil {
		return nil, err
	}
	var d net.Dialer
	c, err := d.DialContext(ctx, "unix", path)
	if err != nil {
		return nil, err
	}
	uc, ok := c.(*net.UnixConn)
	if !ok {
		c.Close()
		return nil, fmt.Errorf("agent at %s: not a unix socket connection", path)
	}
	p, err := PeerOf(uc)
	if err = checkPeer(path, p, err); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// checkSocketDir refuses the socket's directory unless safedir.Check
// passes it. A missing directory is left to the dial, which fails with
// ENOENT: nobody is listening.
func checkSocketDir(path string) error {
	if err := safedir.Check(filepath.Dir(path), "socket directory"); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// checkPeer refuses a connection whose peer (as PeerOf or peerOfFD read
// it) does not run as the user's uid.
func checkPeer(path string, p Peer, err error) error {
	if err != nil {
		return &UntrustedError{What: "agent socket", Path: path, UID: -1,
			Reason: "cannot be checked: the peer's credentials are unreadable (" + err.Error() + ")"}
	}
	if me := os.Geteuid(); p.UID != me {
		return &UntrustedError{What: "agent socket", Path: path, UID: p.UID,
			Reason: fmt.Sprintf("is served by %s (pid %d), not by you (%s)", safedir.Owner(p.UID), p.PID, safedir.Owner(me))}
	}
	return nil
}
