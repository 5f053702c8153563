package wire

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// unixSocket opens a blocking stream socket, closed on exec; fork holds
// off while the flag is not yet set, as the standard library does.
func unixSocket() (int, error) {
	syscall.ForkLock.RLock()
	defer syscall.ForkLock.RUnlock()
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM, 0)
	if err == nil {
		unix.CloseOnExec(fd)
	}
	return fd, err
}
