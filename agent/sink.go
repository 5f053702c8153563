package agent

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/slices-ri/slices-agent/internal/safedir"
	"github.com/slices-ri/slices-agent/ipc"
)

// Sinks: files the agent keeps holding a project's current token, for tools
// that read a token from a file and cannot run a command (as Vault Agent's
// file sinks). A sink is written atomically (a temporary file renamed over
// it) with mode 0600, only into a directory that is the user's own; it is
// rewritten on every renewal and removed when the project is untracked, on
// logout, on lock and when its token lapses. Which projects have a sink is
// kept in the state file, so a restarted agent writes them again.

// sinkFiles are the sink files on disk, by project id.
type sinkFiles struct {
	// mu serialises every write and removal of sink files; it comes after
	// persistMu and before mu in the lock order.
	mu    ioLock
	files map[string]string
}

// TrackSink tracks the project ref and keeps the file at path holding its
// token. path must be absolute, in a directory that is the user's own.
func (a *Agent) TrackSink(ctx context.Context, ref, path string) (ipc.Project, error) {
	if err := a.checkSinkPath(path); err != nil {
		return ipc.Project{}, err
	}
	p, err := a.Track(ctx, ref)
	if err != nil {
		return p, err
	}
	a.mu.Lock()
	e := a.projects[p.ID]
	var old string
	if e != nil {
		old, e.sink = e.sink, path
	}
	a.mu.Unlock()
	if e == nil {
		return p, nil // untracked meanwhile
	}
	if old != path {
		a.saveTracked()
	}
	// The file exists when the command returns: fetch the first token now.
	if _, err := a.ProjectToken(ctx, p.ID, 0); err != nil {
		a.log.Info("no token for the new sink yet", "project", p.ID, "err", err)
	}
	if old != "" && old != path {
		a.sinks.mu.Lock()
		// By name: files[id] may already be the new path.
		if err := os.Remove(old); err != nil && !errors.Is(err, fs.ErrNotExist) {
			a.log.Warn("could not remove the old token file", "project", p.ID, "sink", old, "err", err)
		}
		if a.sinks.files[p.ID] == old {
			delete(a.sinks.files, p.ID)
		}
		a.sinks.mu.Unlock()
	}
	a.writeSink(e)
	return p, nil
}

// checkSinkPath refuses a sink path that is not absolute, names a directory,
// lies in a directory that is not the user's own, or among the agent's own
// files (its state directory, its socket's directory).
func (a *Agent) checkSinkPath(path string) error {
	hint := "give an absolute path in a directory of your own (chmod 700), such as " + ipc.DefaultSinkDir()
	if !filepath.IsAbs(path) || filepath.Clean(path) != path {
		return ipc.BadRequest(fmt.Sprintf("sink %q is not a clean absolute path", path), hint)
	}
	for _, own := range []string{a.opts.StateDir, filepath.Dir(a.opts.Socket)} {
		if own != "" && own != "." && filepath.Dir(path) == filepath.Clean(own) {
			return ipc.BadRequest(fmt.Sprintf("sink %s is among the agent's own files in %s", path, own), hint)
		}
	}
	if fi, err := os.Lstat(path); err == nil && !fi.Mode().IsRegular() {
		return ipc.BadRequest(fmt.Sprintf("sink %s exists and is not a regular file", path), hint)
	}
	if err := checkSinkDir(filepath.Dir(path)); err != nil {
		return ipc.BadRequest(err.Error(), hint)
	}
	return nil
}

// checkSinkDir accepts a directory that is not a symbolic link, is owned by
// this process's user and is not writable by group or others.
func checkSinkDir(dir string) error {
	return safedir.Check(dir, "sink directory")
}

// writeSink writes e's token to its sink, if it has one, the token is valid
// and the agent is not locked. A failure is logged and shown as the
// project's last error; the token itself is kept.
func (a *Agent) writeSink(e *entry) {
	a.sinks.mu.Lock()
	defer a.sinks.mu.Unlock()
	a.writeSinkLocked(e)
}

func (a *Agent) writeSinkLocked(e *entry) {
	a.mu.Lock()
	path, raw, exp, locked := e.sink, e.raw, e.exp, a.lock.locked
	current := a.projects[e.id] == e
	a.mu.Unlock()
	if path == "" || !current {
		return
	}
	if locked || raw == "" || !exp.After(a.now()) {
		a.removeSinkLocked(e.id)
		return
	}
	err := checkSinkDir(filepath.Dir(path))
	if err == nil {
		err = writeFileAtomic(path, []byte(raw), 0o600)
	}
	if err != nil {
		a.log.Warn("could not write the token file", "project", e.id, "sink", path, "err", err)
		a.mu.Lock()
		e.sinkErr = "token file: " + err.Error()
		a.mu.Unlock()
		return
	}
	a.mu.Lock()
	e.sinkErr = ""
	a.mu.Unlock()
	if a.sinks.files == nil {
		a.sinks.files = make(map[string]string)
	}
	a.sinks.files[e.id] = path
	a.log.Debug("token file written", "project", e.id, "sink", path, "token", suffix(raw))
}

// knowSinks records the sink files of the tracked projects of a previous
// run, so that lock, logout and untrack remove them as this run's.
func (a *Agent) knowSinks(tracked []trackedProject) {
	a.sinks.mu.Lock()
	defer a.sinks.mu.Unlock()
	for _, tp := range tracked {
		if tp.Sink == "" {
			continue
		}
		if a.sinks.files == nil {
			a.sinks.files = make(map[string]string)
		}
		a.sinks.files[tp.ID] = tp.Sink
	}
}

// removeSink removes the sink file of project id, if one was written.
func (a *Agent) removeSink(id string) {
	a.sinks.mu.Lock()
	defer a.sinks.mu.Unlock()
	a.removeSinkLocked(id)
}

func (a *Agent) removeSinkLocked(id string) {
	path, ok := a.sinks.files[id]
	if !ok {
		return
	}
	delete(a.sinks.files, id)
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		a.log.Warn("could not remove the token file", "project", id, "sink", path, "err", err)
	}
}

// removeSinks removes every sink file written (logout, lock).
func (a *Agent) removeSinks() {
	a.sinks.mu.Lock()
	defer a.sinks.mu.Unlock()
	for id := range a.sinks.files {
		a.removeSinkLocked(id)
	}
}

// writeSinks writes the sink of every tracked project that has one (after a
// restart, after unlock).
func (a *Agent) writeSinks() {
	a.mu.Lock()
	var es []*entry
	for _, e := range a.projects {
		if e.sink != "" {
			es = append(es, e)
		}
	}
	a.mu.Unlock()
	for _, e := range es {
		a.writeSink(e)
	}
}

// sinkEvent keeps the sinks in step with an event: a lapsed token's file
// goes away.
func (a *Agent) sinkEvent(ev ipc.Event) {
	if ev.Type == ipc.EventExpired && ev.Project != "" {
		a.removeSink(ev.Project)
	}
}
