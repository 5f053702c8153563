package keyring

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// testStore runs the behaviour every Store must have. s must start empty.
func testStore(t *testing.T, s Store) {
	t.Helper()
	ctx := context.Background()

	mustList := func(want ...string) {
		t.Helper()
		got, err := s.List(ctx)
		if err != nil {
			t.Fatalf("List: %v", err)
		}
		if len(got) != len(want) || !slices.Equal(got, want) {
			t.Fatalf("List = %q, want %q", got, want)
		}
	}
	mustGet := func(key string, want []byte) {
		t.Helper()
		got, err := s.Get(ctx, key)
		if err != nil {
			t.Fatalf("Get(%q): %v", key, err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("Get(%q) = %q, want %q", key, got, want)
		}
	}
	mustSet := func(key string, value []byte) {
		t.Helper()
		if err := s.Set(ctx, key, value); err != nil {
			t.Fatalf("Set(%q, %d bytes): %v", key, len(value), err)
		}
	}

	t.Run("empty", func(t *testing.T) {
		mustList()
		if _, err := s.Get(ctx, "user"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("Get of an absent key: %v, want ErrNotFound", err)
		}
	})

	t.Run("round trip and overwrite", func(t *testing.T) {
		mustSet("user", []byte(`{"access":"a1"}`))
		mustGet("user", []byte(`{"access":"a1"}`))
		mustSet("user", []byte(`{"access":"a2","refresh":"r2"}`))
		mustGet("user", []byte(`{"access":"a2","refresh":"r2"}`))
	})

	t.Run("values", func(t *testing.T) {
		all := make([]byte, 256)
		for i := range all {
			all[i] = byte(i)
		}
		values := map[string][]byte{
			"json":    []byte("{\"name\":\"ilabt-dev é ✓\",\n\t\"proj_exp\":null,\"quote\":\"\\\"\"}"),
			"binary":  all,
			"empty":   {},
			"maxsize": bytes.Repeat([]byte("x"), MaxValueSize),
		}
		for name, v := range values {
			key := "value/" + name
			mustSet(key, v)
			mustGet(key, v)
			if err := s.Delete(ctx, key); err != nil {
				t.Fatalf("Delete(%q): %v", key, err)
			}
		}
	})

	t.Run("too large", func(t *testing.T) {
		err := s.Set(ctx, "user", bytes.Repeat([]byte("y"), MaxValueSize+1))
		if !errors.Is(err, ErrTooLarge) {
			t.Fatalf("Set of %d bytes: %v, want ErrTooLarge", MaxValueSize+1, err)
		}
		mustGet("user", []byte(`{"access":"a2","refresh":"r2"}`))
	})

	t.Run("list sorted", func(t *testing.T) {
		mustSet("project/proj_account.ilabt.imec.be_b", []byte("b"))
		mustSet("project/proj_account.ilabt.imec.be_a", []byte("a"))
		mustList("project/proj_account.ilabt.imec.be_a", "project/proj_account.ilabt.imec.be_b", "user")
	})

	t.Run("delete", func(t *testing.T) {
		if err := s.Delete(ctx, "project/proj_account.ilabt.imec.be_a"); err != nil {
			t.Fatalf("Delete: %v", err)
		}
		if _, err := s.Get(ctx, "project/proj_account.ilabt.imec.be_a"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("Get after Delete: %v, want ErrNotFound", err)
		}
		if err := s.Delete(ctx, "project/proj_account.ilabt.imec.be_a"); err != nil {
			t.Fatalf("Delete of an absent key: %v, want nil", err)
		}
		mustList("project/proj_account.ilabt.imec.be_b", "user")
	})

	t.Run("invalid keys", func(t *testing.T) {
		for _, key := range []string{"", ".index", ".probe", "has space", "tab\t", "é", strings.Repeat("k", MaxKeySize+1)} {
			if err := s.Set(ctx, key, []byte("v")); !errors.Is(err, ErrInvalidKey) {
				t.Errorf("Set(%q): %v, want ErrInvalidKey", key, err)
			}
			if _, err := s.Get(ctx, key); !errors.Is(err, ErrInvalidKey) {
				t.Errorf("Get(%q): %v, want ErrInvalidKey", key, err)
			}
		}
	})

	t.Run("cancelled context", func(t *testing.T) {
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := s.Get(cctx, "user"); !errors.Is(err, context.Canceled) {
			t.Errorf("Get: %v, want context.Canceled", err)
		}
		if err := s.Set(cctx, "user", []byte("lost")); !errors.Is(err, context.Canceled) {
			t.Errorf("Set: %v, want context.Canceled", err)
		}
		if err := s.Delete(cctx, "user"); !errors.Is(err, context.Canceled) {
			t.Errorf("Delete: %v, want context.Canceled", err)
		}
		if _, err := s.List(cctx); !errors.Is(err, context.Canceled) {
			t.Errorf("List: %v, want context.Canceled", err)
		}
		mustGet("user", []byte(`{"access":"a2","refresh":"r2"}`))
	})

	t.Run("cleanup", func(t *testing.T) {
		for _, k := range []string{"user", "project/proj_account.ilabt.imec.be_b"} {
			if err := s.Delete(ctx, k); err != nil {
				t.Fatalf("Delete(%q): %v", k, err)
			}
		}
		mustList()
	})
}

func TestConformanceMemory(t *testing.T) {
	s := NewMemory()
	if s.Name() != "memory" {
		t.Errorf("Name = %q", s.Name())
	}
	testStore(t, s)
}

func TestConformanceFile(t *testing.T) {
	s, err := NewFile(filepath.Join(t.TempDir(), "sub", "secrets.json"))
	if err != nil {
		t.Fatal(err)
	}
	if s.Name() != "file" {
		t.Errorf("Name = %q", s.Name())
	}
	testStore(t, s)
}

func TestConformanceSystemFake(t *testing.T) {
	for _, index := range []bool{false, true} {
		t.Run(map[bool]string{false: "search", true: "index"}[index], func(t *testing.T) {
			s := newSystem(0, newFakeBackend(), index)
			if s.Name() != "system" {
				t.Errorf("Name = %q", s.Name())
			}
			testStore(t, s)
		})
	}
}
