package agent

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/slices-ri/slices-agent/ipc"
	"github.com/slices-ri/slices-agent/portal"
	"github.com/slices-ri/slices-agent/token"
	"github.com/slices-ri/slices-agent/token/lifetime"
)

// fetchUser renews the user token with the refresh token. A rotated refresh
// token is written to the keyring before anything else uses it.
func (a *Agent) fetchUser(ctx context.Context) error {
	a.mu.Lock()
	rt, oldAccess, oldVerified, subject, gen, end := a.sess.refresh, a.user.raw, a.user.verifiedAt, a.sess.subject, a.sess.gen, a.sess.end
	a.mu.Unlock()
	if rt == "" {
		if err := a.importedUntilExpiry(); err != nil {
			return err
		}
		a.requireLogin("no refresh token")
		return fmt.Errorf("renewing the user token: %w", errLoginRequired)
	}
	rt = a.storedRefresh(ctx, rt, gen)
	sent := a.now()
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
	// An end that a refresh moved is an idle timeout sliding along, not an
	// end to warn about: only an end that stays put is announced.
	put := true
	if !toks.SessionEnd.IsZero() {
		a.mu.Lock()
		put = a.sess.endSeen.observe(toks.SessionEnd, a.now().Sub(sent))
		a.mu.Unlock()
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
		if !put {
			a.sess.endAnnounced = false
		}
		a.mu.Unlock()
		return err
	}) {
		return errSessionChanged
	}
	if put {
		a.announceSessionEnd(now)
	}
	a.log.Info("user token renewed", "token", suffix(d.Raw), "expires", d.ExpiresAt.Format(time.RFC3339))
	return nil
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
	a.writeSink(e)
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
	msg := fmt.Sprintf("project %s ends %s (%s): its tokens stop then", pc.Name, lifetime.Relative(*pc.ProjExp, now), pc.ProjExp.Local().Format("2006-01-02 15:04"))
	a.publishCause(ipc.EventExpiring, e.id, *pc.ProjExp, msg, CauseProjectEnds)
	a.notify.once(CauseProjectEnds+"/"+e.id, "Slices project ending", msg)
}
