package ipc

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// NotYoursError says that the agent socket at Path, or its directory, is not
// the user's own, so nothing was sent: a symbolic link, another user's
// directory, one others may write to, or a socket served by another uid.
// It matches ErrNoAgent: no agent of the user's is reachable there.
type NotYoursError struct {
	What   string // "socket directory" or "agent socket"
	Path   string
	Reason string
}

// Error names the path and why it is not trusted.
func (e *NotYoursError) Error() string { return e.What + " " + e.Path + " " + e.Reason }

// Is matches ErrNoAgent.
func (e *NotYoursError) Is(target error) bool { return target == ErrNoAgent }

// checkSocketDir refuses a socket whose directory is a symbolic link, is not
// owned by the user or may be written by group or others. A missing
// directory is left to the dial (nobody listens there).
func checkSocketDir(path string) error {
	dir := filepath.Dir(path)
	fi, err := os.Lstat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	bad := func(reason string) error { return &NotYoursError{What: "socket directory", Path: dir, Reason: reason} }
	if err != nil {
		return bad("cannot be checked: " + err.Error())
	}
	me := os.Geteuid()
	switch st, _ := fi.Sys().(*syscall.Stat_t); {
	case fi.Mode()&fs.ModeSymlink != 0:
		return bad("is a symbolic link")
	case !fi.IsDir():
		return bad("is not a directory")
	case st != nil && int(st.Uid) != me:
		return bad(fmt.Sprintf("is owned by uid %d, not by you (uid %d)", st.Uid, me))
	case fi.Mode().Perm()&0o022 != 0:
		return bad(fmt.Sprintf("is writable by group or others (mode %v)", fi.Mode().Perm()))
	}
	return nil
}

// checkPeerFD refuses a connection whose peer does not run as the user.
func checkPeerFD(path string, fd int) error {
	p, err := peerOfFD(fd)
	if err != nil {
		return &NotYoursError{What: "agent socket", Path: path, Reason: "cannot be checked: the peer's credentials are unreadable (" + err.Error() + ")"}
	}
	if me := os.Geteuid(); p.UID != me {
		return &NotYoursError{What: "agent socket", Path: path, Reason: fmt.Sprintf("is served by uid %d (pid %d), not by you (uid %d)", p.UID, p.PID, me)}
	}
	return nil
}
