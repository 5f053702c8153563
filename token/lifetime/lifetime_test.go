package lifetime

import (
	"fmt"
	"testing"
	"time"
)

// testNow is the fixed instant the tests measure from.
var testNow = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

func ms(n float64) time.Duration { return time.Duration(n * float64(time.Millisecond)) }

// TestRenewAt documents the renewal rule: offsets are from iat.
//
//	lifetime  jitter 0                     jitter 0.99
//	1h        45m    (quarter left)        42m 1.8s (45m - 0.99*3m)
//	4m        3m     (quarter = 60 s)      2m 48.12s
//	3m        2m     (60 s before exp)     1m 51.09s (2m - 0.99*9s)
//	2m        1m     (60 s = half-life)    1m (never before half-life)
//	61s       45.75s (quarter; 60 s would be 1 s after iat)   42.7305s
//	10s       7.5s                         7.005s
//	5s        3.75s                        3.5025s
func TestRenewAt(t *testing.T) {
	iat := testNow
	tests := []struct {
		lifetime time.Duration
		jitter   float64
		want     time.Duration
	}{
		{time.Hour, 0, 45 * time.Minute},
		{time.Hour, 0.99, 42*time.Minute + ms(1800)},
		{4 * time.Minute, 0, 3 * time.Minute},
		{4 * time.Minute, 0.99, 2*time.Minute + ms(48120)},
		{3 * time.Minute, 0, 2 * time.Minute},
		{3 * time.Minute, 0.99, time.Minute + ms(51090)},
		{2 * time.Minute, 0, time.Minute},
		{2 * time.Minute, 0.99, time.Minute},
		{61 * time.Second, 0, ms(45750)},
		{61 * time.Second, 0.99, ms(42730.5)},
		{10 * time.Second, 0, ms(7500)},
		{10 * time.Second, 0.99, ms(7005)},
		{5 * time.Second, 0, ms(3750)},
		{5 * time.Second, 0.99, ms(3502.5)},
		{time.Hour, -1, 45 * time.Minute},                     // negative jitter counts as none
		{time.Hour, 7, 42*time.Minute + 180*time.Microsecond}, // jitter is clamped below 1
		{0, 0.5, 0},                         // no lifetime: due at exp
		{-time.Minute, 0.5, -time.Minute},   // exp before iat: due at exp
		{24 * time.Hour, 0, 18 * time.Hour}, // a day: quarter rule
		{2*time.Minute + 400*time.Millisecond, 0, time.Minute + ms(400)}, // deadline just past half-life
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%v/%v", tt.lifetime, tt.jitter), func(t *testing.T) {
			got := RenewAt(iat, iat.Add(tt.lifetime), tt.jitter).Sub(iat)
			if d := got - tt.want; d < -time.Microsecond || d > time.Microsecond {
				t.Errorf("RenewAt = iat+%v, want iat+%v", got, tt.want)
			}
		})
	}
}

// Over many lifetimes and jitters the rule keeps its promises.
func TestRenewAtBounds(t *testing.T) {
	iat := testNow
	for l := time.Second; l <= 48*time.Hour; l = l*5/4 + 7*time.Millisecond {
		for _, j := range []float64{0, 0.25, 0.5, 0.999} {
			exp := iat.Add(l)
			at := RenewAt(iat, exp, j)
			if at.Before(iat.Add(l/2)) || !at.Before(exp) {
				t.Fatalf("L=%v j=%v: renew at iat+%v, outside [L/2, L)", l, j, at.Sub(iat))
			}
			if left := exp.Sub(at); left < l/4 {
				t.Fatalf("L=%v j=%v: renew with %v left, less than a quarter", l, j, left)
			}
			if l >= 2*DefaultPolicy.RenewDeadline && exp.Sub(at) < DefaultPolicy.RenewDeadline {
				t.Fatalf("L=%v j=%v: renew only %v before exp", l, j, exp.Sub(at))
			}
			if f := FractionLeft(iat, exp, at); f < 0.25-1e-9 || f > 0.5+1e-9 {
				t.Fatalf("L=%v j=%v: fraction left at renewal %v", l, j, f)
			}
		}
	}
}

func TestLifetimeAndFractionLeft(t *testing.T) {
	iat, exp := testNow, testNow.Add(time.Hour)
	if got := Lifetime(iat, exp); got != time.Hour {
		t.Errorf("Lifetime = %v", got)
	}
	if got := Lifetime(exp, iat); got != 0 {
		t.Errorf("Lifetime(reversed) = %v, want 0", got)
	}
	tests := []struct {
		iat, exp, now time.Time
		want          float64
	}{
		{iat, exp, iat, 1},
		{iat, exp, iat.Add(-time.Hour), 1},
		{iat, exp, iat.Add(15 * time.Minute), 0.75},
		{iat, exp, iat.Add(45 * time.Minute), 0.25},
		{iat, exp, exp, 0},
		{iat, exp, exp.Add(time.Hour), 0},
		{exp, exp, exp.Add(-time.Second), 1},
		{exp, exp, exp, 0},
	}
	for _, tt := range tests {
		if got := FractionLeft(tt.iat, tt.exp, tt.now); got != tt.want {
			t.Errorf("FractionLeft(iat+%v, exp+%v, now+%v) = %v, want %v",
				tt.iat.Sub(iat), tt.exp.Sub(iat), tt.now.Sub(iat), got, tt.want)
		}
	}
}

func TestHumanDuration(t *testing.T) {
	tests := []struct {
		d            time.Duration
		human, short string
	}{
		{0, "0s", "0s"},
		{900 * time.Millisecond, "0s", "0s"},
		{12 * time.Second, "12s", "12s"},
		{12*time.Second + 999*time.Millisecond, "12s", "12s"},
		{time.Minute, "1m", "1m"},
		{41*time.Minute + 12*time.Second, "41m 12s", "41m"},
		{-(41*time.Minute + 12*time.Second), "41m 12s", "41m"},
		{2*time.Hour + 3*time.Minute + 59*time.Second, "2h 3m", "2h"},
		{2 * time.Hour, "2h", "2h"},
		{3*24*time.Hour + 4*time.Hour + 5*time.Minute, "3d 4h", "3d"},
		{400 * 24 * time.Hour, "400d", "400d"},
	}
	for _, tt := range tests {
		if got := HumanDuration(tt.d); got != tt.human {
			t.Errorf("HumanDuration(%v) = %q, want %q", tt.d, got, tt.human)
		}
		if got := ShortDuration(tt.d); got != tt.short {
			t.Errorf("ShortDuration(%v) = %q, want %q", tt.d, got, tt.short)
		}
	}
}

func TestRelativeAndWhen(t *testing.T) {
	now := testNow
	tests := []struct {
		t              time.Time
		relative, when string
	}{
		{now.Add(41*time.Minute + 12*time.Second), "in 41m 12s", "in 41m 12s"},
		{now.Add(-3 * time.Minute), "expired 3m ago", "3m ago"},
		{now.Add(-3*time.Minute - 500*time.Millisecond), "expired 3m ago", "3m ago"},
		{now, "expired just now", "just now"},
		{now.Add(-300 * time.Millisecond), "expired just now", "just now"},
		{now.Add(300 * time.Millisecond), "in 0s", "just now"},
		{now.Add(50 * time.Hour), "in 2d 2h", "in 2d 2h"},
		{time.Time{}, "never", "never"},
	}
	for _, tt := range tests {
		if got := Relative(tt.t, now); got != tt.relative {
			t.Errorf("Relative(now%+v) = %q, want %q", tt.t.Sub(now), got, tt.relative)
		}
		if got := When(tt.t, now); got != tt.when {
			t.Errorf("When(now%+v) = %q, want %q", tt.t.Sub(now), got, tt.when)
		}
	}
}

func TestPolicyStageIsRelativeToTheLifetime(t *testing.T) {
	p := DefaultPolicy
	iat := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		life, at time.Duration
		want     Stage
	}{
		{40 * time.Second, 15 * time.Second, StageFresh}, // 62 % left of a short token
		{40 * time.Second, 31 * time.Second, StageExpiring},
		{40 * time.Second, 37 * time.Second, StageCritical},
		{40 * time.Second, 40 * time.Second, StageExpired},
		{time.Hour, 40 * time.Minute, StageFresh},
		{time.Hour, 46 * time.Minute, StageExpiring},
		{time.Hour, 55 * time.Minute, StageCritical},
	} {
		if got := p.Stage(iat, iat.Add(c.life), iat.Add(c.at)); got != c.want {
			t.Errorf("lifetime %v at +%v: stage %d, want %d", c.life, c.at, got, c.want)
		}
	}
	if got := p.Stage(time.Time{}, iat.Add(30*time.Minute), iat); got != StageFresh {
		t.Errorf("unknown iat, 30m left: stage %d, want fresh", got)
	}
}

func TestPolicyBackoffAndBounds(t *testing.T) {
	p := DefaultPolicy
	for n, want := range map[int][2]time.Duration{
		1: {500 * time.Millisecond, time.Second}, 2: {time.Second, 2 * time.Second},
		5: {8 * time.Second, 16 * time.Second}, 30: {p.BackoffMax / 2, p.BackoffMax},
	} {
		for _, r := range []float64{0, 0.5, 0.999} {
			if d := p.Backoff(n, r); d < want[0] || d > want[1] {
				t.Errorf("Backoff(%d, %v) = %v, want in %v", n, r, d, want)
			}
		}
	}
	if got := p.MaxMinValid(2 * time.Minute); got != 90*time.Second {
		t.Errorf("MaxMinValid(2m) = %v, want 1m30s", got)
	}
	if got := p.Margin(10 * time.Second); got != time.Second {
		t.Errorf("Margin(10s) = %v, want 1s", got)
	}
	if got := p.Margin(time.Hour); got != 5*time.Second {
		t.Errorf("Margin(1h) = %v, want 5s", got)
	}
}
