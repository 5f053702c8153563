package wire

import "golang.org/x/sys/unix"

// unixSocket opens a blocking stream socket, closed on exec.
func unixSocket() (int, error) {
	return unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
}
