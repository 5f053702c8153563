// Package testenv lets tests declare the outside features they need (a real
// Secret Service, tmux) and skip, or fail, when those are missing.
//
// A missing feature skips the test with the reason, unless the environment
// variable SLICES_TEST_REQUIRE (a comma-separated list such as
// "keyring,tmux") names it: then the test fails, so CI cannot pass by
// skipping. Run tests that need the keyring under scripts/with-keyring.
package testenv

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	gokeyring "github.com/zalando/go-keyring"
)

// RequireEnv is the environment variable listing features that must be present.
const RequireEnv = "SLICES_TEST_REQUIRE"

// Features known to this package.
const (
	FeatureKeyring = "keyring"
	FeatureTmux    = "tmux"
)

// Required reports whether SLICES_TEST_REQUIRE names feature.
func Required(feature string) bool {
	for f := range strings.SplitSeq(os.Getenv(RequireEnv), ",") {
		if strings.TrimSpace(f) == feature {
			return true
		}
	}
	return false
}

// Require marks a feature a test needs: when missing the test skips with why,
// unless SLICES_TEST_REQUIRE names it, then it fails.
func Require(t testing.TB, feature string, available bool, why string) {
	t.Helper()
	if available {
		return
	}
	if Required(feature) {
		t.Fatalf("%s required (%s=%s) but unavailable: %s", feature, RequireEnv, os.Getenv(RequireEnv), why)
		return
	}
	t.Skipf("skipping: %s unavailable: %s (set %s=%s to fail instead)", feature, why, RequireEnv, feature)
}

// keyringProbeTimeout bounds the probe of the system keyring.
const keyringProbeTimeout = 3 * time.Second

var keyringOnce = sync.OnceValue(probeKeyring)

// SystemKeyring requires "keyring": a system keyring that answers a set, get
// and delete of a throwaway item within 3 s. The probe runs once per process.
func SystemKeyring(t testing.TB) {
	t.Helper()
	err := keyringOnce()
	why := ""
	if err != nil {
		why = err.Error() + "; run the tests under scripts/with-keyring"
	}
	Require(t, FeatureKeyring, err == nil, why)
}

// probeKeyring round-trips a throwaway item through go-keyring.
func probeKeyring() error {
	const service = "slices-agent-testenv"
	user := fmt.Sprintf("probe-%d", os.Getpid())
	done := make(chan error, 1)
	go func() {
		done <- func() error {
			if err := gokeyring.Set(service, user, "probe"); err != nil {
				return fmt.Errorf("system keyring set: %w", err)
			}
			got, err := gokeyring.Get(service, user)
			if err != nil {
				return fmt.Errorf("system keyring get: %w", err)
			}
			if err := gokeyring.Delete(service, user); err != nil {
				return fmt.Errorf("system keyring delete: %w", err)
			}
			if got != "probe" {
				return errors.New("system keyring returned a different value")
			}
			return nil
		}()
	}()
	select {
	case err := <-done:
		return err
	case <-time.After(keyringProbeTimeout):
		return fmt.Errorf("system keyring did not answer within %s (locked?)", keyringProbeTimeout)
	}
}

// Tmux requires "tmux" and returns the path of the tmux binary.
func Tmux(t testing.TB) string {
	t.Helper()
	path, err := exec.LookPath("tmux")
	why := ""
	if err != nil {
		why = "tmux not found in PATH"
	}
	Require(t, FeatureTmux, err == nil, why)
	return path
}
