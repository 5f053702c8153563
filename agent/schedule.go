package agent

import (
	"time"

	"github.com/slices-ri/slices-agent/token/lifetime"
)

// The renewal of one token is a small state machine. This file decides;
// renew.go does. Deciding is pure: from a token's schedule, the time and what
// just happened to what comes next, with no locks, clocks or I/O, so that
// every rule of lifetime.DefaultPolicy can be read here and tested in a table.

// schedule is the renewal state of one token (an entry embeds it). Whether a
// token is held at all, and whether the login can renew it, are passed beside
// it: they belong to the entry and to the session.
type schedule struct {
	iat, exp    time.Time
	jitter      float64 // in [0,1): where in the policy's jitter this token renews
	failures    int     // renewals failed in a row
	retryAt     time.Time
	lastAttempt time.Time

	expiringSent bool // the lapse of this token was announced since its last good renewal
	expiredSent  bool // its expiry was announced since it was last replaced
}

// outcome is what a renewal attempt came to.
type outcome int

const (
	renewed      outcome = iota // a fresh, verified token is held
	overtaken                   // a login, logout or untrack made it moot: not a failure
	loginRefused                // the portal refused the login itself
	failed                      // anything else: the portal is down, slow, or answered garbage
)

// notice is what a settled renewal tells the user.
type notice int

const (
	noticeNone     notice = iota
	noticeRenewed         // renewed: announce, and forget earlier warnings
	noticeExpiring        // failing while the token still lives: warn once
	noticeExpired         // failing, and the token has lapsed: say so once
	noticeFailed          // failing again: an error event, no new warning
)

// nextRenewal is when the loop of a token renews next; zero means only when
// kicked (nothing to renew with until a login). canRenew says the login can
// renew (logged in, not refused by the portal), held that a token is held.
func nextRenewal(p lifetime.Policy, s schedule, canRenew, held bool, now time.Time) time.Time {
	switch {
	case !canRenew:
		return time.Time{}
	case s.failures > 0:
		return s.retryAt
	case !held:
		return now
	}
	at := p.RenewAt(s.iat, s.exp, s.jitter)
	// Whatever the clocks say, never renew the same token back to back.
	if floor := s.lastAttempt.Add(p.RetryGap); at.Before(floor) {
		at = floor
	}
	return at
}

// answerWithLastFailure reports whether a renewal a client asks for at now
// should get the previous attempt's failure instead of calling the portal
// again, so that many clients cannot hammer a failing portal.
func answerWithLastFailure(p lifetime.Policy, s schedule, lastFailed bool, now time.Time) bool {
	return lastFailed && now.Sub(s.lastAttempt) < p.RetryGap
}

// settle is the step after a renewal attempt of a token (held says one was
// held) ended at now with o; r in [0,1) jitters the backoff. It returns the
// token's new schedule and what to tell the user.
func settle(p lifetime.Policy, s schedule, held bool, now time.Time, o outcome, r float64) (schedule, notice) {
	switch o {
	case renewed:
		s.failures, s.retryAt, s.expiringSent = 0, time.Time{}, false
		return s, noticeRenewed
	case overtaken:
		return s, noticeNone
	}
	s.failures++
	s.retryAt = now.Add(p.Backoff(s.failures, r))
	switch {
	case o == loginRefused:
		return s, noticeNone // the login's end was announced on its own
	case !held:
		return s, noticeFailed
	case !s.exp.After(now):
		if !s.expiredSent {
			s.expiredSent = true
			return s, noticeExpired
		}
	case !s.expiringSent:
		s.expiringSent = true
		return s, noticeExpiring
	}
	return s, noticeFailed
}

// portalAnswered is the step for a failing token when the renewal of another
// token just succeeded: the portal answers again, so its retry is now rather
// than at the end of a backoff of up to BackoffMax.
func portalAnswered(s schedule, now time.Time) (schedule, bool) {
	if s.failures == 0 || !s.retryAt.After(now) {
		return s, false
	}
	s.retryAt = now
	return s, true
}
