package agent

import (
	"context"
	"errors"
	"time"

	"github.com/slices-ri/slices-agent/ipc"
	"github.com/slices-ri/slices-agent/portal"
)

// loginFlow is a device-code login the agent is waiting on.
type loginFlow struct {
	state  string
	start  ipc.LoginStart
	err    string
	hint   string
	cancel context.CancelFunc
}

// StartLogin starts a device-code login, or returns the one still pending.
func (a *Agent) StartLogin(ctx context.Context) (ipc.LoginStart, error) {
	if err := a.refuseLocked(); err != nil {
		return ipc.LoginStart{}, err
	}
	a.mu.Lock()
	if f := a.login; f != nil && f.state == ipc.LoginPending && f.start.ExpiresAt.After(a.now()) {
		a.mu.Unlock()
		return f.start, nil
	}
	a.mu.Unlock()

	dl, err := a.portal.StartDeviceLogin(ctx)
	if err != nil {
		return ipc.LoginStart{}, a.portalError("starting the login", err)
	}
	start := ipc.LoginStart{
		VerificationURI:         dl.VerificationURI,
		VerificationURIComplete: dl.VerificationURIComplete,
		UserCode:                dl.UserCode,
		ExpiresAt:               dl.Expiry,
	}
	wctx, cancel := context.WithDeadline(a.ctx, dl.Expiry.Add(5*time.Second))
	f := &loginFlow{state: ipc.LoginPending, start: start, cancel: cancel}
	a.mu.Lock()
	if old := a.login; old != nil && old.cancel != nil {
		old.cancel()
	}
	a.login = f
	a.mu.Unlock()

	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		defer cancel()
		toks, err := a.portal.WaitDeviceLogin(wctx, dl)
		if err == nil {
			err = a.completeLogin(wctx, toks)
		}
		a.finishLogin(f, err)
	}()
	a.log.Info("device login started", "verification_uri", start.VerificationURI)
	return start, nil
}

// finishLogin records how a login flow ended.
func (a *Agent) finishLogin(f *loginFlow, err error) {
	a.mu.Lock()
	switch {
	case err == nil:
		f.state = ipc.LoginDone
	case !f.start.ExpiresAt.After(a.now()):
		f.state, f.err = ipc.LoginExpired, "the code expired before it was approved"
	default:
		f.state, f.err = ipc.LoginFailed, err.Error()
		var pe *portal.Error
		if errors.As(err, &pe) {
			f.hint = pe.Hint
		}
	}
	a.mu.Unlock()
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return
		}
		a.log.Warn("login failed", "err", err)
		a.publish(ipc.EventError, "", time.Time{}, "login failed: "+err.Error())
	}
}

// completeLogin adopts the tokens of a successful login: verified, written
// to the keyring, then served. A login overtaken by a logout (its context
// cancelled) keeps nothing.
func (a *Agent) completeLogin(ctx context.Context, toks *portal.Tokens) error {
	d, err := a.verify.verify(ctx, toks.AccessToken, "")
	if err != nil {
		return err
	}
	now := a.now()
	a.persistMu.Lock()
	if err := ctx.Err(); err != nil {
		a.persistMu.Unlock()
		return err
	}
	a.persist(a.vault.saveSession(ctx, savedSession{AccessToken: d.Raw, RefreshToken: toks.RefreshToken, VerifiedAt: now, SessionEnd: toks.SessionEnd}))
	a.mu.Lock()
	var previous []string
	if owner := a.sess.owner(); owner != "" && owner != d.Subject {
		// Another user: the projects tracked belong to the previous one.
		for id, e := range a.projects {
			if e.stop != nil {
				e.stop()
			}
			delete(a.projects, id)
			previous = append(previous, id)
		}
	}
	a.sess.refresh = toks.RefreshToken
	a.sess.end, a.sess.endAnnounced, a.sess.endSeen = toks.SessionEnd, false, endWindow{}
	if !toks.SessionEnd.IsZero() {
		// The device flow's last poll took at most a poll interval or so.
		a.sess.endSeen.observe(toks.SessionEnd, 2*time.Second)
	}
	a.sess.gen++
	a.sess.subject = d.Subject
	a.sess.loggedIn = true
	a.sess.loginRequired = false
	u := a.user
	u.failures, u.lastErr, u.retryAt = 0, nil, time.Time{}
	a.mu.Unlock()
	a.adoptUser(d, now, true) // before persistMu is let go: a logout after it clears it
	for _, id := range previous {
		a.persist(a.vault.deleteProject(ctx, id))
	}
	a.mu.Lock()
	name := a.sess.username
	a.mu.Unlock()
	// Announced before persistMu is let go, so that a logout racing this
	// login is announced after it, never before.
	a.log.Info("logged in", "subject", d.Subject, "token", suffix(d.Raw))
	a.publish(ipc.EventLogin, "", d.ExpiresAt, "logged in as "+name)
	a.persistMu.Unlock()
	if previous != nil {
		a.saveTracked()
	}
	a.startLoops()
	a.mu.Lock()
	kick(u)
	for _, e := range a.projects {
		e.failures, e.retryAt = 0, time.Time{}
		kick(e)
	}
	a.mu.Unlock()
	a.notify.reset(CauseLoginRequired)
	a.notify.reset(CauseSessionEnds)
	a.announceSessionEnd(now)
	return nil
}

// LoginStatus reports the state of the last login flow.
func (a *Agent) LoginStatus(ctx context.Context) (ipc.LoginState, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.lock.locked {
		return ipc.LoginState{}, ipc.Locked()
	}
	f := a.login
	if f == nil {
		return ipc.LoginState{State: ipc.LoginNone}, nil
	}
	st := ipc.LoginState{State: f.state, Error: f.err, Hint: f.hint, LoginStart: f.start}
	if st.State == ipc.LoginPending && !f.start.ExpiresAt.After(a.now()) {
		st.State = ipc.LoginExpired
	}
	return st, nil
}

// Logout forgets the login and every project token, in memory and keyring.
func (a *Agent) Logout(ctx context.Context) error {
	if err := a.refuseLocked(); err != nil {
		return err
	}
	a.persistMu.Lock()
	defer a.persistMu.Unlock()
	a.mu.Lock()
	ids := make([]string, 0, len(a.projects))
	for id, e := range a.projects {
		ids = append(ids, id)
		if e.stop != nil {
			e.stop()
		}
	}
	a.projects = make(map[string]*entry)
	if f := a.login; f != nil && f.cancel != nil {
		f.cancel()
	}
	a.login = nil
	u := a.user
	u.raw, u.exp, u.iat, u.failures, u.lastErr = "", time.Time{}, time.Time{}, 0, nil
	a.sess = session{gen: a.sess.gen + 1}
	a.catalog = catalog{}
	a.mu.Unlock()

	a.removeSinks()
	err := a.vault.forget(ctx, ids)
	a.stateMu.Lock()
	serr := a.vault.saveTracked(a.opts.PortalURL, "", nil)
	a.stateMu.Unlock()
	if serr != nil {
		err = errors.Join(err, serr)
	}
	a.persist(err)
	a.log.Info("logged out")
	a.publish(ipc.EventLogout, "", time.Time{}, "")
	if err != nil {
		return &ipc.Error{Status: 500, Code: "keyring", Message: "logged out, but the keyring could not delete everything: " + err.Error(),
			Hint: "check the keyring with 'slices-agent status'"}
	}
	return nil
}

// Shutdown asks the daemon to stop once the answer is sent. A locked agent
// refuses: it is stopped by a signal, and comes back locked.
func (a *Agent) Shutdown(ctx context.Context) error {
	if err := a.refuseLocked(); err != nil {
		return err
	}
	a.stopOnce.Do(func() { close(a.shutdown) })
	return nil
}

// Subscribe delivers the agent's events until ctx ends. When the agent
// already serves its maximum of subscribers the channel is closed at once;
// TrySubscribe says so instead.
func (a *Agent) Subscribe(ctx context.Context) <-chan ipc.Event {
	ch, err := a.TrySubscribe(ctx)
	if err != nil {
		closed := make(chan ipc.Event)
		close(closed)
		return closed
	}
	return ch
}

// TrySubscribe is Subscribe that refuses, with ipc.TooManySubscribers, a
// subscriber beyond the agent's maximum.
func (a *Agent) TrySubscribe(ctx context.Context) (<-chan ipc.Event, error) {
	ch, ok := a.events.subscribe(ctx)
	if !ok {
		return nil, ipc.TooManySubscribers(maxSubscribers)
	}
	return ch, nil
}

// refusedError is the answer for the portal refusing the agent's client:
// the portal's words, naming the client, and its hint. ok is false for any
// other error.
func refusedError(what string, err error) (*ipc.Error, bool) {
	var pe *portal.Error
	if !errors.As(err, &pe) || !errors.Is(err, portal.ErrRefused) {
		return nil, false
	}
	return ipc.PortalRefused(what+": "+pe.Error(), pe.Hint), true
}
