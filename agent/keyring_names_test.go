package agent

import (
	"context"
	"testing"

	"github.com/slices-ri/slices-agent/keyring"
)

// Keyring entries are named by the portal's scheme, host and path: a plain
// http service, or another path, on the portal's host never shares them.
func TestKeyringNamesCarrySchemeHostAndPath(t *testing.T) {
	t.Parallel()
	urls := []string{
		"https://portal.slices-ri.eu",
		"http://portal.slices-ri.eu",
		"https://portal.slices-ri.eu/other",
		"https://portal.slices-ri.eu:8443",
		"http://127.0.0.1:8080",
		"http://127.0.0.1:8080/tenant",
	}
	seen := map[string]string{}
	for _, u := range urls {
		k := newVault(keyring.NewMemory(), u, "").userKey()
		if prev, dup := seen[k]; dup {
			t.Errorf("%s and %s share the keyring entry %q", prev, u, k)
		}
		seen[k] = u
	}
	same := []string{"https://portal.slices-ri.eu/", "HTTPS://Portal.Slices-RI.eu"}
	for _, u := range same {
		if a, b := newVault(keyring.NewMemory(), u, "").userKey(), newVault(keyring.NewMemory(), urls[0], "").userKey(); a != b {
			t.Errorf("%s names its entry %q, want %q as for %s", u, a, b, urls[0])
		}
	}
}

// A login stored by an earlier version under the host alone is found once,
// moved to the new name, and not left behind.
func TestHostOnlyEntriesAreMovedOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store := keyring.NewMemory()
	if err := store.Set(ctx, "portal.slices-ri.eu/user", []byte(`{"refresh_token":"rt-old"}`)); err != nil {
		t.Fatal(err)
	}
	// Not for a plain-http portal on that host:
	if _, err := newVault(store, "http://portal.slices-ri.eu", "").loadSession(ctx); err == nil {
		t.Error("a plain-http portal read the https portal's login")
	}
	v := newVault(store, "https://portal.slices-ri.eu", "")
	s, err := v.loadSession(ctx)
	if err != nil || s.RefreshToken != "rt-old" {
		t.Fatalf("legacy entry: %+v, %v", s, err)
	}
	keys, _ := store.List(ctx)
	if len(keys) != 1 || keys[0] != v.userKey() {
		t.Errorf("keyring holds %v, want only %q", keys, v.userKey())
	}
}
