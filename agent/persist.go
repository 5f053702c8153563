package agent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/slices-ri/slices-agent/internal/safedir"
	"github.com/slices-ri/slices-agent/keyring"
)

// keyringTimeout bounds every keyring call made by the agent.
const keyringTimeout = 4 * time.Second

// Keyring entries, one per secret, each well under keyring.MaxValueSize.
// Their names carry the portal's scheme, host and path, so that a demo
// against the emulator never overwrites a real login, and a plain-http or
// other-path service on the portal's host never reads the portal's secrets.
type savedSession struct {
	AccessToken  string    `json:"access_token"`
	RefreshToken string    `json:"refresh_token"`
	VerifiedAt   time.Time `json:"verified_at"`
	SessionEnd   time.Time `json:"session_end,omitzero"`
}

type savedProject struct {
	Token      string    `json:"token"`
	VerifiedAt time.Time `json:"verified_at"`
}

// vault keeps the agent's secrets in a keyring.Store and its non-secret
// state (which projects are tracked) in a file.
type vault struct {
	timeout   time.Duration // bounds every keyring call
	store     keyring.Store
	prefix    string // "https://host:port/path/"
	legacy    string // "host/", the names of earlier versions; "" when they cannot be this portal's
	statePath string
}

func newVault(store keyring.Store, portalURL, stateDir string) *vault {
	v := &vault{timeout: keyringTimeout, store: store, prefix: portalURL + "/", statePath: filepath.Join(stateDir, "state.json")}
	if u, err := url.Parse(portalURL); err == nil && u.Host != "" {
		path := strings.TrimRight(u.EscapedPath(), "/")
		v.prefix = strings.ToLower(u.Scheme) + "://" + strings.ToLower(u.Host) + path + "/"
		if strings.EqualFold(u.Scheme, "https") && path == "" {
			// Earlier versions named entries by host alone; an https portal
			// at the root is the one they were written for.
			v.legacy = strings.ToLower(u.Host) + "/"
		}
	}
	return v
}

func (v *vault) userKey() string             { return v.prefix + "user" }
func (v *vault) projectKey(id string) string { return v.prefix + "project/" + id }

func (v *vault) put(ctx context.Context, key string, val any) error {
	b, err := json.Marshal(val)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, v.timeout)
	defer cancel()
	if err := v.store.Set(ctx, key, b); err != nil {
		return fmt.Errorf("keyring (%s): %w", v.store.Name(), err)
	}
	return nil
}

func (v *vault) get(ctx context.Context, key string, val any) error {
	ctx, cancel := context.WithTimeout(ctx, v.timeout)
	defer cancel()
	b, err := v.store.Get(ctx, key)
	if errors.Is(err, keyring.ErrNotFound) && v.legacy != "" {
		// Moved from the name an earlier version used, once.
		old := v.legacy + strings.TrimPrefix(key, v.prefix)
		if b, err = v.store.Get(ctx, old); err == nil && v.store.Set(ctx, key, b) == nil {
			_ = v.store.Delete(ctx, old)
		}
	}
	if err != nil {
		return err
	}
	return json.Unmarshal(b, val)
}

func (v *vault) del(ctx context.Context, key string) error {
	ctx, cancel := context.WithTimeout(ctx, v.timeout)
	defer cancel()
	return v.store.Delete(ctx, key)
}

func (v *vault) saveSession(ctx context.Context, s savedSession) error {
	return v.put(ctx, v.userKey(), s)
}

func (v *vault) loadSession(ctx context.Context) (savedSession, error) {
	var s savedSession
	err := v.get(ctx, v.userKey(), &s)
	return s, err
}

func (v *vault) saveProject(ctx context.Context, id string, p savedProject) error {
	return v.put(ctx, v.projectKey(id), p)
}

func (v *vault) loadProject(ctx context.Context, id string) (savedProject, error) {
	var p savedProject
	err := v.get(ctx, v.projectKey(id), &p)
	return p, err
}

func (v *vault) deleteProject(ctx context.Context, id string) error {
	return v.del(ctx, v.projectKey(id))
}

// forget deletes the session and every project secret of this portal.
func (v *vault) forget(ctx context.Context, ids []string) error {
	errs := []error{v.del(ctx, v.userKey())}
	for _, id := range ids {
		errs = append(errs, v.deleteProject(ctx, id))
	}
	return errors.Join(errs...)
}

// storedRefresh re-reads the refresh token from the keyring before it is
// used: if something else (an agent of an earlier version, a restore) rotated
// it meanwhile, the one held in memory is spent, and using it would make the
// portal revoke the login. It returns rt when the keyring has nothing newer.
func (a *Agent) storedRefresh(ctx context.Context, rt string, gen uint64) string {
	s, err := a.vault.loadSession(ctx)
	if err != nil || s.RefreshToken == "" || s.RefreshToken == rt {
		return rt
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.sess.gen != gen || a.sess.refresh != rt {
		return rt
	}
	a.sess.refresh = s.RefreshToken
	a.log.Info("the keyring holds a newer refresh token; using it", "token", suffix(s.RefreshToken))
	return s.RefreshToken
}

// trackedState is the non-secret state file: which projects are kept renewed.
type trackedState struct {
	// Subject is whose projects these are, so that a login by someone else
	// after a restart does not inherit them.
	Subject string           `json:"subject,omitempty"`
	Tracked []trackedProject `json:"tracked"`
}

type trackedProject struct {
	ID   string `json:"id"`
	Name string `json:"name,omitempty"`
	Role string `json:"role,omitempty"`
	Sink string `json:"sink,omitempty"` // the token file kept for it, if any
}

// stateFile is the whole file: one trackedState per portal URL.
type stateFile struct {
	Portals map[string]trackedState `json:"portals"`
}

func (v *vault) loadTracked(portalURL string) (trackedState, error) {
	b, err := safedir.ReadFile(v.statePath)
	if errors.Is(err, os.ErrNotExist) {
		return trackedState{}, nil
	}
	if err != nil {
		return trackedState{}, err
	}
	var sf stateFile
	if err := json.Unmarshal(b, &sf); err != nil {
		return trackedState{}, fmt.Errorf("reading %s: %w", v.statePath, err)
	}
	return sf.Portals[portalURL], nil
}

func (v *vault) saveTracked(portalURL, subject string, tracked []trackedProject) error {
	var sf stateFile
	if b, err := safedir.ReadFile(v.statePath); err == nil {
		_ = json.Unmarshal(b, &sf) // a corrupt file is replaced by a good one
	}
	if sf.Portals == nil {
		sf.Portals = make(map[string]trackedState)
	}
	sort.Slice(tracked, func(i, j int) bool { return tracked[i].ID < tracked[j].ID })
	if len(tracked) == 0 {
		delete(sf.Portals, portalURL)
	} else {
		sf.Portals[portalURL] = trackedState{Subject: subject, Tracked: tracked}
	}
	b, err := json.MarshalIndent(sf, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(v.statePath, append(b, '\n'), 0o600)
}

// writeFileAtomic writes a temp file beside path, syncs it and renames it over path.
func writeFileAtomic(path string, data []byte, mode os.FileMode) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp) // no-op after a successful rename
	if err := f.Chmod(mode); err != nil {
		f.Close()
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
