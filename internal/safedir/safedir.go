// Package safedir checks that a directory is the user's own before anything
// secret is put in it or read from it, and opens the files in such a
// directory without following symbolic links.
//
// A directory passes when it is not a symbolic link, is a directory, is owned
// by the effective user and cannot be written by the group or by others: the
// conditions under which nobody else can swap what is inside. Only the last
// component is checked, as ssh-agent and gpg-agent do.
package safedir

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/user"
	"strconv"
	"syscall"
)

// Error says why a path is not trusted. It names the path and its owner.
type Error struct {
	What   string // "socket directory", "state directory", "agent socket", "file"
	Path   string
	UID    int    // the owner, or the peer for a socket; -1 when unknown
	Reason string // e.g. "is a symbolic link"
}

// Error is one lower-case line naming the path, the reason and the owner.
func (e *Error) Error() string {
	return fmt.Sprintf("%s %s %s", e.What, e.Path, e.Reason)
}

// Hint says what the user can do about it.
func (e *Error) Hint() string {
	switch e.What {
	case "agent socket":
		return "someone else's program answers there: do not use it; set XDG_RUNTIME_DIR or use -a with a socket in a directory only you can write"
	case "socket directory":
		return "remove it if it is not yours, or use a private directory: set XDG_RUNTIME_DIR, or -a DIR/agent.sock with DIR mode 0700"
	case "state directory":
		return "remove it if it is not yours, or set XDG_STATE_HOME to a directory only you can write"
	}
	return "remove it if it is not yours"
}

// Owner names uid the way the messages do: "uid 65534 (nobody)".
func Owner(uid int) string {
	s := "uid " + strconv.Itoa(uid)
	if u, err := user.LookupId(strconv.Itoa(uid)); err == nil && u.Username != "" {
		s += " (" + u.Username + ")"
	}
	return s
}

// ownerOf is the uid that owns fi, or -1.
func ownerOf(fi fs.FileInfo) int {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return int(st.Uid)
	}
	return -1
}

// Check refuses dir unless it is a directory of the effective user that
// others cannot write to; what names it in the error ("socket directory").
// A missing directory is an error wrapping fs.ErrNotExist.
func Check(dir, what string) error {
	fi, err := os.Lstat(dir)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return checkInfo(dir, what, fi)
}

func checkInfo(dir, what string, fi fs.FileInfo) error {
	uid, me := ownerOf(fi), os.Geteuid()
	bad := func(reason string) error { return &Error{What: what, Path: dir, UID: uid, Reason: reason} }
	switch {
	case fi.Mode()&fs.ModeSymlink != 0:
		return bad(fmt.Sprintf("is a symbolic link owned by %s, not a directory of yours", Owner(uid)))
	case !fi.IsDir():
		return bad(fmt.Sprintf("is not a directory (owned by %s)", Owner(uid)))
	case uid >= 0 && uid != me:
		return bad(fmt.Sprintf("is owned by %s, not by you (%s)", Owner(uid), Owner(me)))
	case fi.Mode().Perm()&0o022 != 0:
		return bad(fmt.Sprintf("can be written by other users (mode %04o, owner %s); chmod 700 it or use a private directory",
			fi.Mode().Perm(), Owner(uid)))
	}
	return nil
}

// Ensure creates dir 0700 (with its parents) when it is missing, then checks it.
func Ensure(dir, what string) error {
	_, err := os.Lstat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		// 0700 as asked: a umask can only take bits away. No chmod,
		// which would follow a link put there meanwhile; Check below
		// refuses anything that is not the directory just made.
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
	} else if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return Check(dir, what)
}

// OpenFile is os.OpenFile that refuses to follow a symbolic link in the
// last component: such a link is an *Error naming its owner.
func OpenFile(path string, flag int, perm os.FileMode) (*os.File, error) {
	f, err := os.OpenFile(path, flag|syscall.O_NOFOLLOW, perm)
	if err != nil && errors.Is(err, syscall.ELOOP) {
		uid := -1
		if fi, lerr := os.Lstat(path); lerr == nil {
			uid = ownerOf(fi)
		}
		return nil, &Error{What: "file", Path: path, UID: uid, Reason: fmt.Sprintf("is a symbolic link owned by %s; refusing to follow it", Owner(uid))}
	}
	return f, err
}

// ReadFile reads path like os.ReadFile, without following a symbolic link.
func ReadFile(path string) ([]byte, error) {
	f, err := OpenFile(path, os.O_RDONLY, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(f)
}
