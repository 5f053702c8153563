package keyring

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// onlyFile fails unless dir holds exactly the file named name.
func onlyFile(t *testing.T, dir, name string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != name {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Fatalf("directory holds %q, want only %q", names, name)
	}
}

func TestFileModesAndLabel(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state", "slices-agent")
	path := filepath.Join(dir, "secrets.json")
	s, err := NewFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Set(context.Background(), "user", []byte("secret")); err != nil {
		t.Fatal(err)
	}
	for p, want := range map[string]os.FileMode{dir: 0o700 | os.ModeDir, path: 0o600} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode() != want {
			t.Errorf("%s mode = %v, want %v", p, fi.Mode(), want)
		}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "PLAIN TEXT") {
		t.Errorf("file is not labelled as plain text:\n%s", b)
	}
	onlyFile(t, dir, "secrets.json")
}

func TestFileTightensLooseMode(t *testing.T) {
	path := filepath.Join(t.TempDir(), "secrets.json")
	if err := os.WriteFile(path, []byte(`{"version":1,"secrets":{}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := NewFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Set(context.Background(), "user", []byte("v")); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode after write = %v, want 0600", fi.Mode().Perm())
	}
}

func TestFilePersistsAcrossInstances(t *testing.T) {
	path := filepath.Join(t.TempDir(), "secrets.json")
	ctx := context.Background()
	a, err := NewFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Set(ctx, "user", []byte("kept")); err != nil {
		t.Fatal(err)
	}
	b, err := NewFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := b.Get(ctx, "user"); err != nil || string(got) != "kept" {
		t.Fatalf("Get from a second instance = %q, %v", got, err)
	}
}

func TestFileFailedReplaceKeepsOldContent(t *testing.T) {
	dir := t.TempDir()
	s, err := NewFile(filepath.Join(dir, "secrets.json"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := s.Set(ctx, "user", []byte("old")); err != nil {
		t.Fatal(err)
	}
	s.rename = func(string, string) error { return errors.New("injected rename failure") }
	if err := s.Set(ctx, "user", []byte("new")); err == nil || !strings.Contains(err.Error(), "injected rename failure") {
		t.Fatalf("Set with a failing rename: %v, want the rename error", err)
	}
	if err := s.Delete(ctx, "user"); err == nil {
		t.Fatal("Delete with a failing rename succeeded")
	}
	onlyFile(t, dir, "secrets.json")
	if got, err := s.Get(ctx, "user"); err != nil || string(got) != "old" {
		t.Fatalf("Get after failed writes = %q, %v; want the old value", got, err)
	}
}

func TestFileReadOnlyDirectory(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root ignores directory permissions")
	}
	dir := t.TempDir()
	s, err := NewFile(filepath.Join(dir, "secrets.json"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := s.Set(ctx, "user", []byte("old")); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o500); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.Chmod(dir, 0o700) })
	if err := s.Set(ctx, "user", []byte("new")); err == nil {
		t.Fatal("Set in a read-only directory succeeded")
	}
	if got, err := s.Get(ctx, "user"); err != nil || string(got) != "old" {
		t.Fatalf("Get = %q, %v; want the old value", got, err)
	}
}

func TestFileCorrupt(t *testing.T) {
	tests := []struct {
		name, content, want string
	}{
		{"not json", "{not json", "not a valid secrets file"},
		{"truncated", `{"version":1,"secrets":{"user":"`, "not a valid secrets file"},
		{"future version", `{"version":9,"secrets":{}}`, "format version 9"},
		{"bad base64", `{"version":1,"secrets":{"user":"%%%"}}`, "not a valid secrets file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "secrets.json")
			if err := os.WriteFile(path, []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			if _, err := NewFile(path); err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), path) {
				t.Fatalf("NewFile: %v, want an error naming the file and %q", err, tt.want)
			}
		})
	}
}

func TestFileCorruptedLaterIsNeverOverwritten(t *testing.T) {
	path := filepath.Join(t.TempDir(), "secrets.json")
	s, err := NewFile(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := s.Set(ctx, "user", []byte("v")); err != nil {
		t.Fatal(err)
	}
	const garbage = "{half a file"
	if err := os.WriteFile(path, []byte(garbage), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := s.Set(ctx, "user", []byte("w")); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Set over a corrupt file: %v, want ErrUnavailable", err)
	}
	if err := s.Delete(ctx, "user"); err == nil {
		t.Fatal("Delete over a corrupt file succeeded")
	}
	if _, err := s.List(ctx); err == nil {
		t.Fatal("List over a corrupt file succeeded")
	}
	if b, _ := os.ReadFile(path); string(b) != garbage {
		t.Fatalf("corrupt file was rewritten to %q", b)
	}
}
