package ipc

import (
	"context"
	"log/slog"
	"net"

	"github.com/slices-ri/slices-agent/ipc/wire"
)

// Peer is the identity of the process at the other end of a Unix socket
// connection, as the kernel reports it.
type Peer = wire.Peer

// peerKey is the context key of a connection's Peer.
type peerKey struct{}

// PeerFromContext returns the Peer that NewServer stored in a request's context.
func PeerFromContext(ctx context.Context) (Peer, bool) {
	p, ok := ctx.Value(peerKey{}).(Peer)
	return p, ok
}

// peerConn is an accepted connection whose peer has been checked.
type peerConn struct {
	*net.UnixConn
	peer Peer
}

// connContext stores the connection's Peer in its context, reading it from
// the kernel when the listener did not already.
func connContext(ctx context.Context, c net.Conn) context.Context {
	switch c := c.(type) {
	case *peerConn:
		return context.WithValue(ctx, peerKey{}, c.peer)
	case *net.UnixConn:
		if p, err := PeerOf(c); err == nil {
			return context.WithValue(ctx, peerKey{}, p)
		}
	}
	return ctx
}

// PeerOf asks the kernel who is at the other end of c.
func PeerOf(c *net.UnixConn) (Peer, error) {
	raw, err := c.SyscallConn()
	if err != nil {
		return Peer{}, err
	}
	var p Peer
	var perr error
	if err := raw.Control(func(fd uintptr) { p, perr = wire.PeerOfFD(int(fd)) }); err != nil {
		return Peer{}, err
	}
	return p, perr
}

// peerListener closes connections from other users before serving them.
type peerListener struct {
	net.Listener
	uid int
	log *slog.Logger
}

// PeerCheckListener wraps l so that Accept returns only connections whose
// peer runs as uid; others, and those whose peer cannot be read, are closed
// before any byte is written and logged at warn level.
func PeerCheckListener(l net.Listener, uid int, log *slog.Logger) net.Listener {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &peerListener{Listener: l, uid: uid, log: log}
}

// Accept returns the next connection from the expected uid.
func (l *peerListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		uc, ok := c.(*net.UnixConn)
		if !ok {
			l.log.Warn("refused a connection that is not a unix socket", "remote", c.RemoteAddr().String())
			c.Close()
			continue
		}
		p, err := PeerOf(uc)
		if err != nil {
			l.log.Warn("refused a connection: cannot read peer credentials", "err", err)
			c.Close()
			continue
		}
		if p.UID != l.uid {
			l.log.Warn("refused a connection from another user", "peer_uid", p.UID, "peer_pid", p.PID, "want_uid", l.uid)
			c.Close()
			continue
		}
		return &peerConn{UnixConn: uc, peer: p}, nil
	}
}
