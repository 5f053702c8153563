package agent

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/slices-ri/slices-agent/ipc"
	"github.com/slices-ri/slices-agent/portal"
	"github.com/slices-ri/slices-agent/token"
)

const (
	backoffMin = time.Second
	backoffMax = 5 * time.Minute
	// defaultWake bounds one wait of a renewal loop, so the wall clock is
	// looked at again after a suspend (monotonic timers stop while suspended).
	defaultWake = 15 * time.Second
	// fetchTimeout bounds one renewal against the portal.
	fetchTimeout = 30 * time.Second
	// onDemandGap is how long a client-triggered renewal waits after the
	// previous attempt, so many clients cannot hammer a failing portal.
	onDemandGap = time.Second
)

// errUntracked ends a renewal of a project that stopped being tracked meanwhile.
var errUntracked = errors.New("the project is no longer tracked")

// errLoginRequired is returned when a token cannot be had without a new login.
var errLoginRequired = errors.New("login required")

// backoff is the jittered delay before retry number n (1-based).
func backoff(n int) time.Duration {
	d := backoffMin << min(n-1, 20)
	if d > backoffMax || d <= 0 {
		d = backoffMax
	}
	// full jitter within [d/2, d]
	return d/2 + time.Duration(rand.Int64N(int64(d/2)+1))
}

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
	if !a.sess.loggedIn || a.sess.loginRequired {
		return time.Time{}
	}
	if e.failures > 0 {
		return e.retryAt
	}
	if e.raw == "" {
		return a.now()
	}
	at := token.RenewAt(e.iat, e.exp, e.jitter)
	// Whatever the clocks say, never renew the same token back to back.
	if floor := e.lastAttempt.Add(onDemandGap); at.Before(floor) {
		at = floor
	}
	return at
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
	if onDemand && e.lastErr != nil && a.now().Sub(e.lastAttempt) < onDemandGap {
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

	// Overtaken by a login, logout or untrack: not a failure of this token.
	overtaken := errors.Is(err, errSessionChanged) || errors.Is(err, errUntracked)
	a.mu.Lock()
	e.inflight = nil
	e.lastErr = err
	now := a.now()
	var expired, expiring bool
	switch {
	case err == nil:
		e.failures, e.retryAt, e.expiringSent = 0, time.Time{}, false
	case overtaken:
		e.lastErr = nil
	default:
		e.failures++
		e.retryAt = now.Add(backoff(e.failures))
		switch {
		case e.raw == "" || errors.Is(err, errLoginRequired):
		case !e.exp.After(now):
			expired, e.expiredSent = !e.expiredSent, true
		default:
			expiring, e.expiringSent = !e.expiringSent, true
		}
	}
	exp, id, label, failures := e.exp, e.id, e.label(), e.failures
	a.mu.Unlock()
	close(ch)

	key := CauseRenewalFailing + "/" + id
	switch {
	case overtaken:
		return err
	case err == nil:
		a.publish(ipc.EventRenewed, id, exp, "")
		a.notify.reset(key)
		return nil
	case expired:
		a.publish(ipc.EventExpired, id, exp, err.Error())
	case expiring:
		msg := fmt.Sprintf("renewing the %s fails (%v); it lapses at %s unless the portal answers again", label, err, exp.Local().Format("15:04:05"))
		a.publishCause(ipc.EventExpiring, id, exp, msg, CauseRenewalFailing)
		a.notify.once(key, "Slices token renewal failing", msg)
	case !errors.Is(err, errLoginRequired):
		a.publish(ipc.EventError, id, exp, err.Error())
	}
	a.log.Warn("renewal failed", "what", label, "attempt", failures, "err", err)
	return err
}

// fetchUser renews the user token with the refresh token. A rotated refresh
// token is written to the keyring before anything else uses it.
func (a *Agent) fetchUser(ctx context.Context) error {
	a.mu.Lock()
	rt, oldAccess, oldVerified, subject, gen, end := a.sess.refresh, a.user.raw, a.user.verifiedAt, a.sess.subject, a.sess.gen, a.sess.end
	a.mu.Unlock()
	if rt == "" {
		a.requireLogin("no refresh token")
		return fmt.Errorf("renewing the user token: %w", errLoginRequired)
	}
	rt = a.storedRefresh(ctx, rt, gen)
	toks, err := a.portal.Refresh(ctx, rt)
	if errors.Is(err, portal.ErrLoginRequired) {
		if a.sameSession(gen) {
			a.requireLogin(err.Error())
		}
		return fmt.Errorf("renewing the user token: %w: %v", errLoginRequired, err)
	}
	if err != nil {
		return err
	}
	if !a.sameSession(gen) {
		return errSessionChanged
	}
	if toks.RefreshToken == "" {
		toks.RefreshToken = rt
	}
	// An end that a refresh moved later is an idle timeout sliding along,
	// not an end to warn about: only an end that stays put is announced.
	slid := false
	if !toks.SessionEnd.IsZero() {
		slid = !end.IsZero() && toks.SessionEnd.Sub(end) > time.Second
		end = toks.SessionEnd
	}
	if toks.RefreshToken != rt {
		// The old refresh token is spent: keep the new one before anything can fail.
		if !a.persistIfSession(gen, func() error {
			err := a.vault.saveSession(ctx, savedSession{AccessToken: oldAccess, RefreshToken: toks.RefreshToken, VerifiedAt: oldVerified, SessionEnd: end})
			a.mu.Lock()
			a.sess.refresh, a.sess.end = toks.RefreshToken, end
			a.mu.Unlock()
			return err
		}) {
			return errSessionChanged
		}
	}
	d, err := a.verify.verify(ctx, toks.AccessToken, "")
	if err != nil {
		return err
	}
	if subject != "" && d.Subject != subject {
		return fmt.Errorf("token from portal rejected: user token is for %q, not %q", d.Subject, subject)
	}
	now := a.now()
	if !a.persistIfSession(gen, func() error {
		err := a.vault.saveSession(ctx, savedSession{AccessToken: d.Raw, RefreshToken: toks.RefreshToken, VerifiedAt: now, SessionEnd: end})
		a.adoptUser(d, now, true)
		a.mu.Lock()
		a.sess.end = end
		if slid {
			a.sess.endAnnounced = false
		}
		a.mu.Unlock()
		return err
	}) {
		return errSessionChanged
	}
	if !slid {
		a.announceSessionEnd(now)
	}
	a.log.Info("user token renewed", "token", suffix(d.Raw), "expires", d.ExpiresAt.Format(time.RFC3339))
	return nil
}

// announceSessionEnd warns, once per login, when the login itself ends soon:
// within a day, or within a third of its length for short ones.
func (a *Agent) announceSessionEnd(now time.Time) {
	a.mu.Lock()
	end, start, done := a.sess.end, a.sess.start, a.sess.endAnnounced
	warnBefore := 24 * time.Hour
	if !start.IsZero() && end.After(start) {
		warnBefore = min(warnBefore, end.Sub(start)/3)
	}
	due := end.After(now) && !done && end.Sub(now) <= warnBefore
	if due {
		a.sess.endAnnounced = true
	}
	a.mu.Unlock()
	if !due {
		return
	}
	msg := fmt.Sprintf("your Slices login ends %s (%s): run 'slices-agent login' before then to keep tokens coming",
		token.Relative(end, now), end.Local().Format("2006-01-02 15:04"))
	a.publishCause(ipc.EventExpiring, "", end, msg, CauseSessionEnds)
	a.notify.once(CauseSessionEnds, "Slices login ending", msg)
}

// errSessionChanged ends a renewal that a login or logout overtook.
var errSessionChanged = errors.New("the login changed while renewing; result dropped")

// persistIfSession runs write (a keyring write and the state change that goes
// with it) only if the session is still generation gen, holding persistMu so
// that no logout runs in between. It reports whether write ran.
func (a *Agent) persistIfSession(gen uint64, write func() error) bool {
	a.persistMu.Lock()
	defer a.persistMu.Unlock()
	if !a.sameSession(gen) {
		return false
	}
	a.persist(write())
	return true
}

// sameSession reports whether the session is still generation gen.
func (a *Agent) sameSession(gen uint64) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.sess.gen == gen && a.sess.loggedIn
}

// userAccess returns a user token valid for at least need, renewing it first if necessary.
func (a *Agent) userAccess(ctx context.Context, need time.Duration) (string, error) {
	a.mu.Lock()
	u := a.user
	if !a.sess.loggedIn || a.sess.loginRequired {
		a.mu.Unlock()
		return "", errLoginRequired
	}
	if u.valid(a.now(), need) {
		raw := u.raw
		a.mu.Unlock()
		return raw, nil
	}
	a.mu.Unlock()
	if err := a.renew(ctx, u, true); err != nil {
		return "", err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if !u.valid(a.now(), 0) {
		return "", fmt.Errorf("user token expired and could not be renewed")
	}
	return u.raw, nil
}

// fetchProject fetches, verifies and stores a new token for a project.
func (a *Agent) fetchProject(ctx context.Context, e *entry) error {
	access, err := a.userAccess(ctx, 10*time.Second)
	if err != nil {
		return err
	}
	raw, err := a.portal.ProjectToken(ctx, access, e.id)
	if errors.Is(err, portal.ErrLoginRequired) {
		// The user token was refused: renew it once and try again.
		if err := a.renew(ctx, a.user, false); err != nil {
			return err
		}
		if access, err = a.userAccess(ctx, 10*time.Second); err != nil {
			return err
		}
		raw, err = a.portal.ProjectToken(ctx, access, e.id)
	}
	if err != nil {
		return err
	}
	d, err := a.verify.verify(ctx, raw, e.id)
	if err != nil {
		return err
	}
	now := a.now()
	a.persistMu.Lock()
	a.mu.Lock()
	current := a.projects[e.id] == e
	a.mu.Unlock()
	if !current {
		a.persistMu.Unlock()
		return errUntracked // untracked or logged out meanwhile: keep nothing
	}
	a.persist(a.vault.saveProject(ctx, e.id, savedProject{Token: d.Raw, VerifiedAt: now}))
	a.setToken(e, d, now, true)
	a.persistMu.Unlock()
	a.announceProjectEnd(e, d, now)
	a.log.Info("project token renewed", "project", e.id, "token", suffix(d.Raw), "expires", d.ExpiresAt.Format(time.RFC3339))
	return nil
}

// requireLogin records that the portal refused the login.
func (a *Agent) requireLogin(why string) {
	a.mu.Lock()
	already := a.sess.loginRequired
	a.sess.loginRequired = true
	a.mu.Unlock()
	if !already {
		a.log.Warn("login required", "why", why)
		msg := "the portal refused the stored login: " + why
		a.publishCause(ipc.EventLoginRequired, "", time.Time{}, msg, CauseLoginRequired)
		a.notify.once(CauseLoginRequired, "Slices login required", "Run 'slices-agent login' to go on getting tokens.")
	}
}

// persist records the outcome of a keyring or state write.
func (a *Agent) persist(err error) {
	if err != nil {
		a.log.Warn("could not save to the keyring; keeping it in memory", "err", err)
	}
	a.setErr(&a.keyringErr, err)
}

// announceProjectEnd warns, once per project, when its proj_exp is near.
func (a *Agent) announceProjectEnd(e *entry, d *token.Decoded, now time.Time) {
	pc, err := d.Project()
	if err != nil || pc.ProjExp == nil || pc.ProjExp.Sub(now) > projectEndsWithin {
		return
	}
	a.mu.Lock()
	first := !e.endsSent
	e.endsSent = true
	a.mu.Unlock()
	if !first {
		return
	}
	msg := fmt.Sprintf("project %s ends %s (%s): its tokens stop then", pc.Name, token.Relative(*pc.ProjExp, now), pc.ProjExp.Local().Format("2006-01-02 15:04"))
	a.publishCause(ipc.EventExpiring, e.id, *pc.ProjExp, msg, CauseProjectEnds)
	a.notify.once(CauseProjectEnds+"/"+e.id, "Slices project ending", msg)
}
