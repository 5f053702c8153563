package wire

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/slices-ri/slices-agent/internal/safedir"
)

// Peer is the identity of the process at the other end of a Unix socket
// connection, as the kernel reports it.
type Peer struct {
	UID int
	GID int
	PID int // 0 where the platform does not report it
}

// ErrTimedOut is a read or write that ran out of its time.
var ErrTimedOut = errors.New("timed out")

// CheckSocketDir refuses the directory of the socket at path unless
// safedir.Check passes it: not a symbolic link, the user's own, not
// writable by others (*safedir.Error). A missing directory is left to the
// dial, which fails with ENOENT: nobody is listening.
func CheckSocketDir(path string) error {
	if err := safedir.Check(filepath.Dir(path), "socket directory"); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// CheckPeer refuses a connection to path whose peer (p, or err when it
// could not be read) does not run as the user's uid (*safedir.Error).
func CheckPeer(path string, p Peer, err error) error {
	if err != nil {
		return &safedir.Error{What: "agent socket", Path: path, UID: -1,
			Reason: "cannot be checked: the peer's credentials are unreadable (" + err.Error() + ")"}
	}
	if me := os.Geteuid(); p.UID != me {
		return &safedir.Error{What: "agent socket", Path: path, UID: p.UID,
			Reason: fmt.Sprintf("is served by %s (pid %d), not by you (%s)", safedir.Owner(p.UID), p.PID, safedir.Owner(me))}
	}
	return nil
}

// Conn is a connection to the agent in blocking mode, outside the network
// poller: reads and writes are plain system calls on the calling thread,
// bounded by SO_RCVTIMEO and SO_SNDTIMEO.
type Conn struct {
	fd int
	f  *os.File // owns fd
	// ctx and end are those of the round trip: a read or write that fails
	// once ctx is done or its deadline has passed fails with ctx's error.
	ctx context.Context
	end time.Time
}

// Dial connects to the agent's Unix socket at path once its directory is
// the user's own, and checks that the peer runs as the user, before a byte
// is sent (*safedir.Error otherwise). Other errors are those of connect(2)
// (ENOENT, ECONNREFUSED, EACCES) in an *os.PathError naming the path. The
// connection must be made within AnswerWithin (see DialContext).
func Dial(path string) (*Conn, error) { return DialContext(context.Background(), path, AnswerWithin) }

// DialContext is Dial, where connect(2) must succeed within answerWithin
// (zero: no such bound) and before ctx's deadline. An agent that has
// stopped accepting (stopped, frozen) leaves connections queued until its
// backlog is full, and then a connect waits for it: such an agent is
// ErrUnresponsive, as one that accepts and says nothing.
func DialContext(ctx context.Context, path string, answerWithin time.Duration) (*Conn, error) {
	within := answerWithin
	if end, ok := ctx.Deadline(); ok && (within <= 0 || time.Until(end) < within) {
		within = max(time.Until(end), time.Microsecond) // never 0, which is no bound
	}
	if err := CheckSocketDir(path); err != nil {
		return nil, err
	}
	fd, err := unixSocket()
	if err != nil {
		return nil, os.NewSyscallError("socket", err)
	}
	c := &Conn{fd: fd}
	if within > 0 {
		if err := c.setTimeout(unix.SO_SNDTIMEO, time.Now().Add(within)); err != nil {
			unix.Close(fd)
			return nil, err
		}
	}
	for {
		err = unix.Connect(fd, &unix.SockaddrUnix{Name: path})
		if err != unix.EINTR {
			break
		}
	}
	if err == unix.EAGAIN && within > 0 {
		err = ErrUnresponsive // the backlog stayed full for all of within
	}
	if err != nil {
		unix.Close(fd)
		return nil, &os.PathError{Op: "dial", Path: path, Err: err}
	}
	p, err := PeerOfFD(fd)
	if err = CheckPeer(path, p, err); err != nil {
		unix.Close(fd)
		return nil, err
	}
	c.f = os.NewFile(uintptr(fd), path)
	return c, nil
}

// setTimeouts bounds every read and write by the deadline end (zero: none).
func (c *Conn) setTimeouts(end time.Time) error {
	if err := c.setTimeout(unix.SO_SNDTIMEO, end); err != nil {
		return err
	}
	return c.setTimeout(unix.SO_RCVTIMEO, end)
}

// setReadTimeout bounds each read by the deadline end (zero: none).
func (c *Conn) setReadTimeout(end time.Time) error {
	return c.setTimeout(unix.SO_RCVTIMEO, end)
}

func (c *Conn) setTimeout(opt int, end time.Time) error {
	var tv unix.Timeval
	if !end.IsZero() {
		d := time.Until(end)
		if d <= 0 {
			return ErrTimedOut
		}
		tv = unix.NsecToTimeval(d.Nanoseconds())
		if tv.Sec == 0 && tv.Usec == 0 {
			tv.Usec = 1 // zero means no timeout
		}
	}
	return os.NewSyscallError("setsockopt", unix.SetsockoptTimeval(c.fd, unix.SOL_SOCKET, opt, &tv))
}

// Read reads from the socket; a timeout is ErrTimedOut, and the end of a
// round trip's context is its error (not the io.EOF of the shutdown).
func (c *Conn) Read(b []byte) (int, error) {
	n, err := c.f.Read(b)
	return n, c.callErr(timedOut(err))
}

// Write writes to the socket; a timeout is ErrTimedOut, and the end of a
// round trip's context is its error.
func (c *Conn) Write(b []byte) (int, error) {
	n, err := c.f.Write(b)
	return n, c.callErr(timedOut(err))
}

// callErr is err as the round trip's caller sees it: the context's error
// once it is done, or once its deadline has passed (the socket's timeout
// may fire before the context's timer). A context that is never done, as
// Deadline's, keeps ErrTimedOut.
func (c *Conn) callErr(err error) error {
	if err == nil || c.ctx == nil {
		return err
	}
	if ctxErr := c.ctx.Err(); ctxErr != nil {
		return ctxErr
	}
	if errors.Is(err, ErrTimedOut) && c.ctx.Done() != nil && !c.end.IsZero() && !time.Now().Before(c.end) {
		return context.DeadlineExceeded
	}
	return err
}

func timedOut(err error) error {
	if errors.Is(err, syscall.EAGAIN) {
		return ErrTimedOut
	}
	return err
}

// Shutdown ends a read or write in progress on another goroutine. It goes
// through the file's Control, which holds the descriptor open meanwhile, so
// a Close racing it cannot reach a reused descriptor.
func (c *Conn) Shutdown() {
	if raw, err := c.f.SyscallConn(); err == nil {
		_ = raw.Control(func(fd uintptr) { _ = unix.Shutdown(int(fd), unix.SHUT_RDWR) })
	}
}

// Close closes the socket.
func (c *Conn) Close() error { return c.f.Close() }
