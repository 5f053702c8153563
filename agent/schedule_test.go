package agent

import (
	"testing"
	"time"

	"github.com/slices-ri/slices-agent/token/lifetime"
)

func TestNextRenewal(t *testing.T) {
	p := lifetime.DefaultPolicy
	t0 := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	hour := schedule{iat: t0, exp: t0.Add(time.Hour)}
	for _, c := range []struct {
		name     string
		s        schedule
		canRenew bool
		held     bool
		now      time.Time
		want     time.Time
	}{
		{"logged out: only a kick", hour, false, true, t0, time.Time{}},
		{"nothing held: now", schedule{}, true, false, t0, t0},
		{"a 1 h token: with a quarter left", hour, true, true, t0, t0.Add(45 * time.Minute)},
		{"failing: at the retry", schedule{iat: t0, exp: t0.Add(time.Hour), failures: 2, retryAt: t0.Add(3 * time.Second)}, true, true, t0, t0.Add(3 * time.Second)},
		{"never back to back", schedule{iat: t0, exp: t0.Add(time.Second), lastAttempt: t0.Add(time.Second)}, true, true, t0, t0.Add(2 * time.Second)},
	} {
		if got := nextRenewal(p, c.s, c.canRenew, c.held, c.now); !got.Equal(c.want) {
			t.Errorf("%s: next renewal %v, want %v", c.name, got.Sub(t0), c.want.Sub(t0))
		}
	}
}

func TestSettle(t *testing.T) {
	p := lifetime.DefaultPolicy
	t0 := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	live := schedule{iat: t0, exp: t0.Add(time.Hour)}
	lapsed := schedule{iat: t0.Add(-2 * time.Hour), exp: t0.Add(-time.Hour)}
	warned := live
	warned.expiringSent = true
	for _, c := range []struct {
		name     string
		s        schedule
		held     bool
		o        outcome
		want     notice
		failures int
	}{
		{"renewed", schedule{iat: t0, exp: t0.Add(time.Hour), failures: 3, expiringSent: true}, true, renewed, noticeRenewed, 0},
		{"overtaken is no failure", live, true, overtaken, noticeNone, 0},
		{"first failure of a live token warns", live, true, failed, noticeExpiring, 1},
		{"the next one does not warn again", warned, true, failed, noticeFailed, 1},
		{"a lapsed token: expired, once", lapsed, true, failed, noticeExpired, 1},
		{"nothing held", schedule{}, false, failed, noticeFailed, 1},
		{"login refused: announced elsewhere", live, true, loginRefused, noticeNone, 1},
	} {
		s, n := settle(p, c.s, c.held, t0, c.o, 0.5)
		if n != c.want || s.failures != c.failures {
			t.Errorf("%s: notice %d, failures %d; want %d, %d", c.name, n, s.failures, c.want, c.failures)
		}
		if c.o == renewed && (s.expiringSent || !s.retryAt.IsZero()) {
			t.Errorf("%s: a good renewal keeps old warnings or retries: %+v", c.name, s)
		}
		if c.o == failed && !s.retryAt.After(t0) {
			t.Errorf("%s: retry at %v, not after the failure", c.name, s.retryAt)
		}
	}
	// Expired is said once per token, however often renewal fails.
	s, _ := settle(p, lapsed, true, t0, failed, 0)
	if _, n := settle(p, s, true, t0, failed, 0); n != noticeFailed {
		t.Errorf("second failure of a lapsed token: notice %d, want failed", n)
	}
	if s.retryAt.Sub(t0) < p.BackoffMin/2 || s.retryAt.Sub(t0) > p.BackoffMin {
		t.Errorf("first retry after %v, want within the policy's first backoff", s.retryAt.Sub(t0))
	}
}
