package ipc

import (
	"context"
	"fmt"
	"net"

	"github.com/slices-ri/slices-agent/internal/safedir"
	"github.com/slices-ri/slices-agent/ipc/wire"
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
	if err := wire.CheckSocketDir(path); err != nil {
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
	if err = wire.CheckPeer(path, p, err); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}
