package safedir

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheckRefusesWhatOthersControl(t *testing.T) {
	root := t.TempDir()
	mk := func(name string, mode os.FileMode) string {
		p := filepath.Join(root, name)
		if err := os.Mkdir(p, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	own := mk("own", 0o700)
	readable := mk("readable", 0o755)
	open := mk("open", 0o777)
	group := mk("group", 0o770)
	link := filepath.Join(root, "link")
	if err := os.Symlink(own, link); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(root, "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, ok := range []string{own, readable} {
		if err := Check(ok, "state directory"); err != nil {
			t.Errorf("%s: %v, want it accepted", ok, err)
		}
	}
	cases := []struct{ dir, want string }{
		{link, "is a symbolic link owned by uid "},
		{open, "can be written by other users (mode 0777, owner uid "},
		{group, "can be written by other users (mode 0770, owner uid "},
		{file, "is not a directory (owned by uid "},
	}
	for _, c := range cases {
		err := Check(c.dir, "state directory")
		var e *Error
		if !errors.As(err, &e) || !strings.HasPrefix(err.Error(), "state directory "+c.dir+" ") || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an *Error naming the path and %q", c.dir, err, c.want)
		}
	}
	if err := Check(filepath.Join(root, "missing"), "state directory"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing directory: %v, want fs.ErrNotExist", err)
	}
}

func TestCheckRefusesAnotherOwner(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to chown a directory to another user")
	}
	dir := filepath.Join(t.TempDir(), "theirs")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(dir, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	err := Check(dir, "socket directory")
	var e *Error
	if !errors.As(err, &e) || e.UID != 65534 || !strings.Contains(err.Error(), "is owned by uid 65534") {
		t.Errorf("directory of uid 65534: %v", err)
	}
}

func TestEnsureCreatesPrivate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "b")
	if err := Ensure(dir, "state directory"); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Lstat(dir)
	if err != nil || fi.Mode().Perm() != 0o700 || !fi.IsDir() {
		t.Fatalf("created %v, %v: want a 0700 directory", fi.Mode(), err)
	}
	// An existing directory that others may write to is not "fixed": refused.
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := Ensure(dir, "state directory"); err == nil {
		t.Error("Ensure accepted a 0777 directory")
	}
}

func TestOpenFileDoesNotFollowLinks(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "target")
	if err := os.WriteFile(target, []byte("precious\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	log := filepath.Join(dir, "agent.log")
	if err := os.Symlink(target, log); err != nil {
		t.Fatal(err)
	}
	f, err := OpenFile(log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	var e *Error
	if err == nil {
		f.Close()
		t.Fatal("OpenFile followed a symbolic link")
	}
	if !errors.As(err, &e) || !strings.Contains(err.Error(), "file "+log+" is a symbolic link owned by uid ") {
		t.Errorf("error %v: want an *Error naming the link and its owner", err)
	}
	if _, err := ReadFile(log); !errors.As(err, &e) {
		t.Errorf("ReadFile of a link: %v", err)
	}
	if b, _ := os.ReadFile(target); string(b) != "precious\n" {
		t.Errorf("the link's target changed: %q", b)
	}
	if _, err := ReadFile(filepath.Join(dir, "missing")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v, want fs.ErrNotExist", err)
	}
}
