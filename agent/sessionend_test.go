package agent

import (
	"testing"
	"time"
)

// The end a refresh reports is whole seconds after the portal answered, so a
// hard end wobbles by up to a second between answers and a sliding one moves
// by the time between refreshes: the two must never be mistaken.
func TestEndWindowTellsAHardEndFromASlidingOne(t *testing.T) {
	t0 := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	// answer is what the agent computes: received + floor(real end - answered).
	answer := func(realEnd, answered, received time.Time) time.Time {
		return received.Add(realEnd.Sub(answered).Truncate(time.Second))
	}
	for _, c := range []struct {
		name    string
		gap     time.Duration // between refreshes
		latency time.Duration
		sliding bool
	}{
		{"hard end, refreshes 1 s apart", time.Second, 0, false},
		{"hard end, 1.37 s apart, slow portal", 1370 * time.Millisecond, 400 * time.Millisecond, false},
		{"hard end, 30 min apart", 30 * time.Minute, 50 * time.Millisecond, false},
		{"idle end, 1 s apart", time.Second, 0, true},
		{"idle end, 1.37 s apart", 1370 * time.Millisecond, 20 * time.Millisecond, true},
		{"idle end, 30 min apart", 30 * time.Minute, 50 * time.Millisecond, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			var w endWindow
			hardEnd := t0.Add(8*time.Hour + 123*time.Millisecond)
			for i := range 8 {
				sent := t0.Add(time.Duration(i) * c.gap)
				answered := sent.Add(c.latency / 2)
				received := sent.Add(c.latency)
				realEnd := hardEnd
				if c.sliding {
					realEnd = answered.Add(3*time.Second + 456*time.Millisecond)
				}
				put := w.observe(answer(realEnd, answered, received), received.Sub(sent))
				if i > 0 && put == c.sliding {
					t.Fatalf("answer %d: stayed put = %v, want %v", i, put, !c.sliding)
				}
			}
		})
	}
}
