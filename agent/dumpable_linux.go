package agent

import "golang.org/x/sys/unix"

// protectMemory marks the process non-dumpable, as ssh-agent does: no core
// dump, and other processes of the same user can neither ptrace it nor read
// /proc/PID/mem, environ or fd. Only root still can.
func protectMemory() error {
	return unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0)
}
