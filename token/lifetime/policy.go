package lifetime

import (
	"time"
)

// Policy is the one renewal policy of slices-agent: when a token is renewed,
// how much validity a client may ask for, how close to its end a token is
// still served, how failed renewals back off and when a token counts as
// expiring. The agent, the CLI and the TUI all read [DefaultPolicy]; changing
// the policy is a change to this file.
type Policy struct {
	// RenewLeft is the part of the lifetime left when a token is renewed (a quarter).
	RenewLeft float64
	// RenewDeadline is how long before exp a token is renewed at the latest,
	// when that is not before half-life (lifetimes of two minutes and more).
	RenewDeadline time.Duration
	// Jitter is the most, as a part of the lifetime, by which a renewal is
	// moved earlier to spread the renewals of many tokens.
	Jitter float64
	// ServeMargin is the validity a served token has at least when the client
	// asked for none; ServeMarginPart caps it at that part of the lifetime.
	ServeMargin     time.Duration
	ServeMarginPart float64
	// BackoffMin and BackoffMax bound the wait before retrying a failed
	// renewal; it doubles with every failure.
	BackoffMin, BackoffMax time.Duration
	// RetryGap is the least time between two renewals of one token, so
	// neither clients nor clocks can make the agent hammer the portal.
	RetryGap time.Duration
	// CriticalLeft is the part of the lifetime left under which a token is
	// about to lapse: the renewal that should have happened did not.
	CriticalLeft float64
}

// DefaultPolicy is the policy the agent, the CLI and the TUI use.
var DefaultPolicy = Policy{
	RenewLeft:       0.25,
	RenewDeadline:   60 * time.Second,
	Jitter:          0.05,
	ServeMargin:     5 * time.Second,
	ServeMarginPart: 0.1,
	BackoffMin:      time.Second,
	BackoffMax:      5 * time.Minute,
	RetryGap:        time.Second,
	CriticalLeft:    0.1,
}

// RenewAt returns when to renew a token issued at iat (or fetched then, when
// it has no iat) that expires at exp. With L = exp - iat:
//
//   - the base is exp - RenewLeft·L, when a quarter of the lifetime is left;
//   - it moves to exp - RenewDeadline when that is earlier and not before
//     half-life (iat + L/2), that is for lifetimes from 2 to 4 minutes; longer
//     ones renew earlier by the quarter rule anyway, and shorter ones keep it;
//   - jitter in [0,1) moves it earlier by up to jitter·Jitter·L, spreading the
//     renewals of many tokens;
//   - it is never before iat + L/2, so a renewed token is never renewed in a loop.
//
// A token without lifetime (exp not after iat) is due at exp.
func (p Policy) RenewAt(iat, exp time.Time, jitter float64) time.Time {
	l := Lifetime(iat, exp)
	if l == 0 {
		return exp
	}
	half := iat.Add(l / 2)
	at := exp.Add(-time.Duration(p.RenewLeft * float64(l)))
	if deadline := exp.Add(-p.RenewDeadline); deadline.Before(at) && !deadline.Before(half) {
		at = deadline
	}
	jitter = min(max(jitter, 0), 0.999999)
	at = at.Add(-time.Duration(jitter * p.Jitter * float64(l)))
	if at.Before(half) {
		at = half
	}
	return at
}

// MaxMinValid is the most validity a client may ask of a token with lifetime
// life: more could only be met by renewing on (almost) every request.
func (p Policy) MaxMinValid(life time.Duration) time.Duration {
	return time.Duration((1 - p.RenewLeft) * float64(life))
}

// Margin is the validity a token with lifetime life must have left to be
// served when the client asked for none: never an expired token, nor one
// about to be.
func (p Policy) Margin(life time.Duration) time.Duration {
	return min(p.ServeMargin, time.Duration(p.ServeMarginPart*float64(life)))
}

// Backoff is the wait before retry number n (1-based) of a failed renewal:
// BackoffMin doubled n-1 times, capped at BackoffMax, then jittered into
// [d/2, d] by r in [0,1).
func (p Policy) Backoff(n int, r float64) time.Duration {
	d := p.BackoffMin << min(max(n-1, 0), 20)
	if d > p.BackoffMax || d <= 0 {
		d = p.BackoffMax
	}
	r = min(max(r, 0), 1)
	return d/2 + time.Duration(r*float64(d/2))
}

// Stage is how close a token is to its end, as a person should see it.
type Stage int

// The stages of a token's life, in order.
const (
	StageFresh    Stage = iota // more than RenewLeft of its lifetime left
	StageExpiring              // its renewal is due: RenewLeft or less left
	StageCritical              // CriticalLeft or less left: the renewal did not happen
	StageExpired               // exp has passed
)

// Stage places a token issued at iat that expires at exp on the scale at now.
// A zero or impossible iat is treated as a token of unknown lifetime, which
// is fresh until its last CriticalLeft of an hour.
func (p Policy) Stage(iat, exp, now time.Time) Stage {
	if !now.Before(exp) {
		return StageExpired
	}
	if iat.IsZero() || !exp.After(iat) {
		iat = exp.Add(-time.Hour)
	}
	switch f := FractionLeft(iat, exp, now); {
	case f <= p.CriticalLeft:
		return StageCritical
	case f <= p.RenewLeft:
		return StageExpiring
	}
	return StageFresh
}

// RenewAt is [DefaultPolicy].RenewAt.
func RenewAt(iat, exp time.Time, jitter float64) time.Time {
	return DefaultPolicy.RenewAt(iat, exp, jitter)
}
