package lifetime_test

import (
	"fmt"
	"time"

	"github.com/slices-ri/slices-agent/token/lifetime"
)

func ExampleRenewAt() {
	iat := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	for _, l := range []time.Duration{time.Hour, 3 * time.Minute, 10 * time.Second} {
		at := lifetime.RenewAt(iat, iat.Add(l), 0)
		fmt.Printf("lifetime %v: renew at iat+%v, %v before exp\n", l, at.Sub(iat), iat.Add(l).Sub(at))
	}
	// Output:
	// lifetime 1h0m0s: renew at iat+45m0s, 15m0s before exp
	// lifetime 3m0s: renew at iat+2m0s, 1m0s before exp
	// lifetime 10s: renew at iat+7.5s, 2.5s before exp
}

func ExampleRelative() {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	fmt.Println(lifetime.Relative(now.Add(41*time.Minute+12*time.Second), now))
	fmt.Println(lifetime.Relative(now.Add(-3*time.Minute), now))
	fmt.Println(lifetime.When(now.Add(-2*time.Hour-3*time.Minute), now))
	// Output:
	// in 41m 12s
	// expired 3m ago
	// 2h 3m ago
}
