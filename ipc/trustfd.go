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
	Path   string
	Reason string
}

// Error names the path and why it is not trusted.
func (e *NotYoursError) Error() string { return "agent socket " + e.Path + ": " + e.Reason }

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
	if err != nil {
		return &NotYoursError{Path: path, Reason: "its directory cannot be checked: " + err.Error()}
	}
	me := os.Geteuid()
	switch st, _ := fi.Sys().(*syscall.Stat_t); {
	case fi.Mode()&fs.ModeSymlink != 0:
		return &NotYoursError{Path: path, Reason: "its directory " + dir + " is a symbolic link"}
	case !fi.IsDir():
		return &NotYoursError{Path: path, Reason: dir + " is not a directory"}
	case st != nil && int(st.Uid) != me:
		return &NotYoursError{Path: path, Reason: fmt.Sprintf("its directory %s belongs to uid %d, not to you (uid %d)", dir, st.Uid, me)}
	case fi.Mode().Perm()&0o022 != 0:
		return &NotYoursError{Path: path, Reason: fmt.Sprintf("its directory %s may be written by others (mode %v)", dir, fi.Mode().Perm())}
	}
	return nil
}

// checkPeerFD refuses a connection whose peer does not run as the user.
func checkPeerFD(path string, fd int) error {
	p, err := peerOfFD(fd)
	if err != nil {
		return &NotYoursError{Path: path, Reason: "the peer's credentials cannot be read: " + err.Error()}
	}
	if me := os.Geteuid(); p.UID != me {
		return &NotYoursError{Path: path, Reason: fmt.Sprintf("is served by uid %d (pid %d), not by you (uid %d)", p.UID, p.PID, me)}
	}
	return nil
}
