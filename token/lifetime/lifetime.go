package lifetime

import (
	"fmt"
	"time"
)

// Lifetime returns exp - iat, or zero when exp is not after iat.
func Lifetime(iat, exp time.Time) time.Duration {
	if !exp.After(iat) {
		return 0
	}
	return exp.Sub(iat)
}

// FractionLeft returns the part of the lifetime still ahead at now, clamped to 0..1: 1 at
// iat, 0.25 when a quarter is left, 0 from exp on. With no lifetime (exp not after iat)
// it is 1 before exp and 0 after.
func FractionLeft(iat, exp, now time.Time) float64 {
	l := Lifetime(iat, exp)
	if l == 0 {
		if now.Before(exp) {
			return 1
		}
		return 0
	}
	f := float64(exp.Sub(now)) / float64(l)
	return min(max(f, 0), 1)
}

// HumanDuration prints the size of d (its sign is dropped) in at most two units, truncated
// to the second: "12s", "41m 12s", "2h 3m", "3d 4h"; a zero second unit is left out ("41m").
func HumanDuration(d time.Duration) string {
	if d < 0 {
		d = -d
	}
	d = d.Truncate(time.Second)
	days := d / (24 * time.Hour)
	h := d % (24 * time.Hour) / time.Hour
	m := d % time.Hour / time.Minute
	s := d % time.Minute / time.Second
	two := func(a time.Duration, ua string, b time.Duration, ub string) string {
		if b == 0 {
			return fmt.Sprintf("%d%s", a, ua)
		}
		return fmt.Sprintf("%d%s %d%s", a, ua, b, ub)
	}
	switch {
	case days > 0:
		return two(days, "d", h, "h")
	case h > 0:
		return two(h, "h", m, "m")
	case m > 0:
		return two(m, "m", s, "s")
	}
	return fmt.Sprintf("%ds", s)
}

// ShortDuration prints the size of d in its largest unit only, truncated: "12s", "41m",
// "2h", "3d" (for shell prompts).
func ShortDuration(d time.Duration) string {
	if d < 0 {
		d = -d
	}
	switch {
	case d >= 24*time.Hour:
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	case d >= time.Hour:
		return fmt.Sprintf("%dh", d/time.Hour)
	case d >= time.Minute:
		return fmt.Sprintf("%dm", d/time.Minute)
	}
	return fmt.Sprintf("%ds", d/time.Second)
}

// Relative describes an expiry time seen at now: "in 41m 12s", "expired 3m ago",
// "expired just now" (less than a second ago), or "never" for a zero t.
func Relative(t, now time.Time) string {
	if t.IsZero() {
		return "never"
	}
	d := t.Sub(now)
	switch {
	case d > 0:
		return "in " + HumanDuration(d)
	case d > -time.Second:
		return "expired just now"
	}
	return "expired " + HumanDuration(d) + " ago"
}

// When describes any time seen at now, such as iat: "in 5m", "3m 12s ago", "just now"
// (within a second), or "never" for a zero t.
func When(t, now time.Time) string {
	if t.IsZero() {
		return "never"
	}
	d := t.Sub(now)
	switch {
	case d > -time.Second && d < time.Second:
		return "just now"
	case d > 0:
		return "in " + HumanDuration(d)
	}
	return HumanDuration(d) + " ago"
}
