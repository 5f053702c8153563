package keyring

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sync"

	"github.com/slices-ri/slices-agent/internal/safedir"
)

// fileVersion is the format version written into the file.
const fileVersion = 1

// fileWarning labels the file for whoever opens it.
const fileWarning = "slices-agent secrets in PLAIN TEXT (values are base64, not encrypted); " +
	"anyone who can read this file can use the tokens"

// fileData is the JSON layout of the secrets file.
type fileData struct {
	Warning string            `json:"warning"`
	Version int               `json:"version"`
	Secrets map[string][]byte `json:"secrets"`
}

// File is a Store that keeps every secret in one JSON file.
//
// The secrets are NOT encrypted: the file only relies on its mode (0600, in a
// directory created 0700). Use it on headless hosts without an OS keyring,
// and only when you accept plain-text secrets on disk.
//
// Every write replaces the file atomically (temporary file, fsync, rename), so
// a crash leaves either the old or the new content. A file that cannot be
// parsed is never overwritten: calls fail until it is fixed or removed.
type File struct {
	path string
	mu   sync.Mutex
	// rename is os.Rename; tests replace it to simulate a failed replace.
	rename func(oldpath, newpath string) error
}

// NewFile returns a Store kept in the JSON file at path, creating its
// directory (mode 0700) if needed. It fails when an existing file cannot be
// read or parsed.
func NewFile(path string) (*File, error) {
	if path == "" {
		return nil, errors.New("keyring: file backend needs a path")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("keyring: file %s: %w", path, err)
	}
	if err := os.MkdirAll(filepath.Dir(abs), 0o700); err != nil {
		return nil, fmt.Errorf("keyring: file %s: create directory: %w", abs, err)
	}
	f := &File{path: abs, rename: os.Rename}
	if _, err := f.load(); err != nil {
		return nil, err
	}
	return f, nil
}

// Name returns "file".
func (f *File) Name() string { return "file" }

// Path returns the absolute path of the secrets file.
func (f *File) Path() string { return f.path }

// Get returns the value stored under key.
func (f *File) Get(ctx context.Context, key string) ([]byte, error) {
	if err := checkCall(ctx, "get", key); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	secrets, err := f.load()
	if err != nil {
		return nil, err
	}
	v, ok := secrets[key]
	if !ok {
		return nil, fmt.Errorf("keyring: get %q: %w", key, ErrNotFound)
	}
	return v, nil
}

// Set stores value under key and rewrites the file atomically.
func (f *File) Set(ctx context.Context, key string, value []byte) error {
	if err := checkCall(ctx, "set", key); err != nil {
		return err
	}
	if err := checkValue(key, value); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	secrets, err := f.load()
	if err != nil {
		return err
	}
	secrets[key] = slices.Clone(value)
	if err := f.save(secrets); err != nil {
		return fmt.Errorf("keyring: set %q: %w", key, err)
	}
	return nil
}

// Delete removes key and rewrites the file; an absent key is not an error.
func (f *File) Delete(ctx context.Context, key string) error {
	if err := checkCall(ctx, "delete", key); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	secrets, err := f.load()
	if err != nil {
		return err
	}
	if _, ok := secrets[key]; !ok {
		return nil
	}
	delete(secrets, key)
	if err := f.save(secrets); err != nil {
		return fmt.Errorf("keyring: delete %q: %w", key, err)
	}
	return nil
}

// List returns the keys held, sorted.
func (f *File) List(ctx context.Context) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("keyring: list: %w", err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	secrets, err := f.load()
	if err != nil {
		return nil, err
	}
	keys := make([]string, 0, len(secrets))
	for k := range secrets {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys, nil
}

// load reads the file; a missing file is an empty store.
func (f *File) load() (map[string][]byte, error) {
	b, err := safedir.ReadFile(f.path) // a symbolic link planted in its place is refused
	if errors.Is(err, fs.ErrNotExist) {
		return make(map[string][]byte), nil
	}
	if err != nil {
		return nil, fmt.Errorf("keyring: read %s: %w", f.path, err)
	}
	var d fileData
	if err := json.Unmarshal(b, &d); err != nil {
		return nil, fmt.Errorf("keyring: %s is not a valid secrets file (%v); fix or remove it: %w",
			f.path, err, ErrUnavailable)
	}
	if d.Version != fileVersion {
		return nil, fmt.Errorf("keyring: %s has format version %d, this agent reads version %d: %w",
			f.path, d.Version, fileVersion, ErrUnavailable)
	}
	if d.Secrets == nil {
		d.Secrets = make(map[string][]byte)
	}
	return d.Secrets, nil
}

// save replaces the file atomically with secrets.
func (f *File) save(secrets map[string][]byte) (err error) {
	b, err := json.MarshalIndent(fileData{Warning: fileWarning, Version: fileVersion, Secrets: secrets}, "", "  ")
	if err != nil {
		return fmt.Errorf("encode secrets: %w", err)
	}
	b = append(b, '\n')
	dir := filepath.Dir(f.path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(f.path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", f.path, err)
	}
	defer func() {
		if err != nil {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()
	if err := tmp.Chmod(0o600); err != nil {
		return fmt.Errorf("write %s: %w", f.path, err)
	}
	if _, err := tmp.Write(b); err != nil {
		return fmt.Errorf("write %s: %w", f.path, err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("write %s: sync: %w", f.path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", f.path, err)
	}
	if err := f.rename(tmp.Name(), f.path); err != nil {
		return fmt.Errorf("write %s: replace: %w", f.path, err)
	}
	// Make the rename durable; a failure here does not undo the write.
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
	return nil
}
