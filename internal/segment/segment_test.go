package segment

import (
	"strings"
	"testing"
	"time"

	"github.com/slices-ri/slices-agent/ipc/wire"
)

func TestExpandAndPick(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	in42m, ago := now.Add(42*time.Minute+10*time.Second), now.Add(-time.Minute)
	st := wire.Status{User: wire.UserStatus{LoggedIn: true, Name: "ann", State: "valid", ExpiresAt: &in42m},
		Projects: []wire.ProjectStatus{
			{ID: "proj_1", Name: "ilabt-dev", Role: "lead", State: "valid", ExpiresAt: &in42m},
			{ID: "proj_2", Name: "old", Role: "viewer", State: "expired", ExpiresAt: &ago},
			{ID: "proj_3", Name: "new", Role: "member", State: "pending"},
		}}
	for _, c := range []struct {
		ref, format, want string
		ok                bool
	}{
		{"", DefaultFormat, "slices:ann 42m", true},
		{"ilabt-dev", DefaultFormat, "slices:ilabt-dev 42m", true},
		{"proj_1", "%n/%r/%s/%l/%%/%x", "ilabt-dev/lead/valid/42m/%/%x", true},
		{"old", DefaultFormat, "slices:old expired", true},
		{"new", DefaultFormat, "slices:new pending", true},
		{"nope", DefaultFormat, "", false},
	} {
		seg, ok := pick(st, c.ref, now)
		if ok != c.ok {
			t.Errorf("pick(%q) ok = %v", c.ref, ok)
			continue
		}
		if got := expand(c.format, seg); ok && got != c.want {
			t.Errorf("prompt %q %q = %q, want %q", c.ref, c.format, got, c.want)
		}
	}
	if _, ok := pick(wire.Status{}, "", now); ok {
		t.Error("logged out: a segment")
	}
	if seg, _ := pick(wire.Status{Locked: true}, "x", now); expand(DefaultFormat, seg) != "slices:locked" {
		t.Error("locked: not said")
	}
}

// The prompt's colour follows the renewal policy, relative to the lifetime:
// a 40 s token with 62 % left is as fresh as a 1 h token with 62 % left.
func TestPromptColourFollowsThePolicy(t *testing.T) {
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	seg := func(life, left time.Duration, state string) segment {
		exp, iat := now.Add(left), now.Add(left-life)
		return newSegment("p", "", state, &iat, &exp, now)
	}
	for _, c := range []struct {
		name string
		s    segment
		want string
	}{
		{"40 s token, 62 % left", seg(40*time.Second, 25*time.Second, wire.StateValid), "32"},
		{"1 h token, 62 % left", seg(time.Hour, 37*time.Minute, wire.StateValid), "32"},
		{"1 h token, renewal due", seg(time.Hour, 14*time.Minute, wire.StateValid), "33"},
		{"40 s token, renewal due", seg(40*time.Second, 8*time.Second, wire.StateValid), "33"},
		{"40 s token, about to lapse", seg(40*time.Second, 3*time.Second, wire.StateValid), "31"},
		{"renewing", seg(time.Hour, 50*time.Minute, wire.StateRenewing), "33"},
		{"expired", seg(time.Hour, -time.Second, wire.StateExpired), "31"},
	} {
		if got := paint("x", c.s, "always"); !strings.HasPrefix(got, "\x1b["+c.want+"m") {
			t.Errorf("%s: %q, want colour %s", c.name, got, c.want)
		}
	}
}
