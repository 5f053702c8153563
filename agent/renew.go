package agent

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/slices-ri/slices-agent/ipc"
	"github.com/slices-ri/slices-agent/token/lifetime"
)

// The doing half of renewal: one loop per token sleeps until schedule.go
// says to renew, renews, and settles the outcome as schedule.go says.

const (
	// defaultWake bounds one wait of a renewal loop, so the wall clock is
	// looked at again after a suspend (monotonic timers stop while suspended).
	defaultWake = 15 * time.Second
	// fetchTimeout bounds one renewal against the portal.
	fetchTimeout = 30 * time.Second
)

// policy is the renewal policy every decision of the agent follows.
var policy = lifetime.DefaultPolicy

// errUntracked ends a renewal of a project that stopped being tracked meanwhile.
var errUntracked = errors.New("the project is no longer tracked")

// errLoginRequired is returned when a token cannot be had without a new login.
var errLoginRequired = errors.New("login required")

// loop keeps one entry renewed until ctx ends.
func (a *Agent) loop(ctx context.Context, e *entry) {
	for {
		at := a.nextRun(e)
		fire := a.wait(ctx, at, e.kick)
		if ctx.Err() != nil {
			return
		}
		if !fire {
			continue
		}
		if err := a.renew(ctx, e, false); err != nil && ctx.Err() == nil {
			a.log.Debug("renewal failed", "what", e.label(), "err", err)
		}
	}
}

// nextRun is when the loop of e should renew next; zero means only when kicked.
func (a *Agent) nextRun(e *entry) time.Time {
	a.mu.Lock()
	defer a.mu.Unlock()
	canRenew := a.sess.loggedIn && !a.sess.loginRequired
	return nextRenewal(policy, e.schedule, canRenew, e.raw != "", a.now())
}

// wait sleeps until the wall clock reaches at (true), or a kick or the end of
// ctx (false). A zero at waits for a kick only.
func (a *Agent) wait(ctx context.Context, at time.Time, kick <-chan struct{}) bool {
	for {
		var timer <-chan time.Time
		if !at.IsZero() {
			d := at.Sub(a.now())
			if d <= 0 {
				return true
			}
			timer = time.After(min(d, a.wake))
		}
		select {
		case <-ctx.Done():
			return false
		case <-kick:
			return false
		case <-timer:
		}
	}
}

// kick wakes e's loop to recompute its schedule.
func kick(e *entry) {
	select {
	case e.kick <- struct{}{}:
	default:
	}
}

// renew fetches a new token for e, or waits for the renewal already in
// flight: there is never more than one per token. A client-triggered
// (onDemand) renewal right after a failed attempt returns that failure
// instead of calling the portal again.
func (a *Agent) renew(ctx context.Context, e *entry, onDemand bool) error {
	a.mu.Lock()
	if ch := e.inflight; ch != nil {
		a.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
		a.mu.Lock()
		defer a.mu.Unlock()
		return e.lastErr
	}
	if onDemand && answerWithLastFailure(policy, e.schedule, e.lastErr != nil, a.now()) {
		err := e.lastErr
		a.mu.Unlock()
		return err
	}
	ch := make(chan struct{})
	e.inflight = ch
	e.lastAttempt = a.now()
	a.mu.Unlock()

	// The renewal belongs to the agent, not to the client that asked:
	// a client that gives up must not abort it for the others.
	fctx, cancel := context.WithTimeout(a.ctx, fetchTimeout)
	var err error
	if e.id == "" {
		err = a.fetchUser(fctx)
	} else {
		err = a.fetchProject(fctx, e)
	}
	cancel()

	o := classify(err)
	a.mu.Lock()
	e.inflight = nil
	e.lastErr = err
	if o == overtaken {
		e.lastErr = nil
	}
	var n notice
	e.schedule, n = settle(policy, e.schedule, e.raw != "", a.now(), o, rand.Float64())
	exp, id, label, failures := e.exp, e.id, e.label(), e.failures
	a.mu.Unlock()
	close(ch)

	if o == overtaken {
		return err
	}
	if o == renewed {
		a.retryFailing(e)
	}
	a.tell(n, id, label, exp, err)
	if o != renewed {
		a.log.Warn("renewal failed", "what", label, "attempt", failures, "err", err)
	}
	return err
}

// retryFailing moves the retries of the other failing tokens to now: the
// renewal of e just succeeded, so the portal answers again.
func (a *Agent) retryFailing(e *entry) {
	a.mu.Lock()
	defer a.mu.Unlock()
	now := a.now()
	for _, o := range append([]*entry{a.user}, slices.Collect(maps.Values(a.projects))...) {
		if o == e || o.inflight != nil {
			continue
		}
		var moved bool
		if o.schedule, moved = portalAnswered(o.schedule, now); moved {
			kick(o)
		}
	}
}

// classify names the outcome of a renewal that ended with err.
func classify(err error) outcome {
	switch {
	case err == nil:
		return renewed
	case errors.Is(err, errSessionChanged), errors.Is(err, errUntracked):
		return overtaken
	case errors.Is(err, errLoginRequired):
		return loginRefused
	}
	return failed
}

// tell publishes what settle decided the user hears of a renewal of the
// token id (label names it) that expires at exp.
func (a *Agent) tell(n notice, id, label string, exp time.Time, err error) {
	key := CauseRenewalFailing + "/" + id
	switch n {
	case noticeRenewed:
		a.publish(ipc.EventRenewed, id, exp, "")
		a.notify.reset(key)
	case noticeExpired:
		a.publish(ipc.EventExpired, id, exp, err.Error())
	case noticeExpiring:
		msg := fmt.Sprintf("renewing the %s fails (%v); it lapses at %s unless the portal answers again", label, err, exp.Local().Format("15:04:05"))
		a.publishCause(ipc.EventExpiring, id, exp, msg, CauseRenewalFailing)
		a.notify.once(key, "Slices token renewal failing", msg)
	case noticeFailed:
		a.publish(ipc.EventError, id, exp, err.Error())
	}
}
