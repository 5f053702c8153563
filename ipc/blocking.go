package ipc

import (
	"errors"
	"os"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// errTimedOut is a blocking read or write that ran out of its time.
var errTimedOut = errors.New("timed out")

// blockingConn is a Unix socket connection in blocking mode, outside the
// network poller: reads and writes are plain system calls on the calling
// thread, bounded by SO_RCVTIMEO and SO_SNDTIMEO.
type blockingConn struct {
	fd int
	f  *os.File // owns fd
}

// dialBlocking connects to the Unix socket at path once its directory is
// the user's own, and checks that the peer runs as the user, before a byte
// is sent (*UntrustedError otherwise), as dialTrusted does. Other errors are those of connect(2)
// (ENOENT, ECONNREFUSED, EACCES), wrapped with the path.
func dialBlocking(path string) (*blockingConn, error) {
	if err := checkSocketDir(path); err != nil {
		return nil, err
	}
	fd, err := unixSocket()
	if err != nil {
		return nil, os.NewSyscallError("socket", err)
	}
	for {
		err = unix.Connect(fd, &unix.SockaddrUnix{Name: path})
		if err != unix.EINTR {
			break
		}
	}
	if err != nil {
		unix.Close(fd)
		return nil, &os.PathError{Op: "dial", Path: path, Err: err}
	}
	p, err := peerOfFD(fd)
	if err = checkPeer(path, p, err); err != nil {
		unix.Close(fd)
		return nil, err
	}
	return &blockingConn{fd: fd, f: os.NewFile(uintptr(fd), path)}, nil
}

// setTimeouts bounds every read and write by the deadline end (zero: none).
func (c *blockingConn) setTimeouts(end time.Time) error {
	if err := c.setTimeout(unix.SO_SNDTIMEO, end); err != nil {
		return err
	}
	return c.setTimeout(unix.SO_RCVTIMEO, end)
}

// setReadTimeout bounds each read by the deadline end (zero: none).
func (c *blockingConn) setReadTimeout(end time.Time) error {
	return c.setTimeout(unix.SO_RCVTIMEO, end)
}

func (c *blockingConn) setTimeout(opt int, end time.Time) error {
	var tv unix.Timeval
	if !end.IsZero() {
		d := time.Until(end)
		if d <= 0 {
			return errTimedOut
		}
		tv = unix.NsecToTimeval(d.Nanoseconds())
		if tv.Sec == 0 && tv.Usec == 0 {
			tv.Usec = 1 // zero means no timeout
		}
	}
	return os.NewSyscallError("setsockopt", unix.SetsockoptTimeval(c.fd, unix.SOL_SOCKET, opt, &tv))
}

// Read reads from the socket; a timeout is errTimedOut.
func (c *blockingConn) Read(b []byte) (int, error) {
	n, err := c.f.Read(b)
	return n, timedOut(err)
}

// Write writes to the socket; a timeout is errTimedOut.
func (c *blockingConn) Write(b []byte) (int, error) {
	n, err := c.f.Write(b)
	return n, timedOut(err)
}

func timedOut(err error) error {
	if errors.Is(err, syscall.EAGAIN) {
		return errTimedOut
	}
	return err
}

// shutdown ends a read or write in progress on another goroutine. It goes
// through the file's Control, which holds the descriptor open meanwhile, so
// a Close racing it cannot let it reach a reused descriptor.
func (c *blockingConn) shutdown() {
	if raw, err := c.f.SyscallConn(); err == nil {
		_ = raw.Control(func(fd uintptr) { _ = unix.Shutdown(int(fd), unix.SHUT_RDWR) })
	}
}

// Close closes the socket.
func (c *blockingConn) Close() error { return c.f.Close() }
