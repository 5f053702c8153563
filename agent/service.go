package agent

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sort"
	"time"

	"github.com/slices-ri/slices-agent/ipc"
	"github.com/slices-ri/slices-agent/portal"
)

var _ ipc.Service = (*Agent)(nil)

const hintLogin = "run 'slices-agent login'"

// Status reports the agent, its login and the tracked projects.
func (a *Agent) Status(ctx context.Context) (ipc.Status, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	now := a.now()
	st := ipc.Status{
		Version:     a.opts.Version,
		PID:         os.Getpid(),
		Socket:      a.opts.Socket,
		Portal:      a.opts.PortalURL,
		Keyring:     a.opts.Keyring.Name(),
		KeyringNote: a.opts.KeyringNote,
		Locked:      a.lock.locked,
		Projects:    []ipc.ProjectStatus{},
		ClientID:    a.portal.ClientID(),
		Settings:    a.opts.Settings,
	}
	if a.keyringErr != "" {
		st.KeyringNote = joinNote(st.KeyringNote, "last write failed: "+a.keyringErr+"; tokens are kept in memory")
	}
	if a.stateErr != "" {
		st.KeyringNote = joinNote(st.KeyringNote, "tracked projects not saved: "+a.stateErr+"; kept in memory")
	}
	u := a.user
	st.User = ipc.UserStatus{
		LoggedIn:    a.sess.loggedIn && !a.sess.loginRequired,
		Subject:     a.sess.subject,
		Name:        a.sess.username,
		Refreshable: a.sess.refresh != "" && !a.sess.loginRequired,
		State:       a.stateLocked(u, now),
		LastError:   errString(u.lastErr),
	}
	if u.raw != "" {
		exp, iat := u.exp, u.iat
		st.User.ExpiresAt, st.User.IssuedAt = &exp, &iat
	}
	if !a.sess.end.IsZero() {
		end := a.sess.end
		st.User.SessionEndsAt = &end
	}
	for _, e := range a.projects {
		ps := ipc.ProjectStatus{ID: e.id, Name: e.name, Role: e.role, State: a.stateLocked(e, now), LastError: errString(e.lastErr), Sink: e.sink}
		if e.raw != "" {
			exp, iat := e.exp, e.iat
			ps.ExpiresAt, ps.IssuedAt = &exp, &iat
		}
		if ps.LastError == "" {
			ps.LastError = e.sinkErr
		}
		st.Projects = append(st.Projects, ps)
	}
	sort.Slice(st.Projects, func(i, j int) bool { return st.Projects[i].Name < st.Projects[j].Name })
	if a.lock.locked {
		redactStatus(&st)
	}
	return st, nil
}

// redactStatus drops from a locked agent's status everything that says who
// the user is or what they work on: names, subjects, project ids and roles,
// error text. What is left says how many tokens there are and in what state.
func redactStatus(st *ipc.Status) {
	st.User.Subject, st.User.Name, st.User.LastError = "", "", ""
	for i := range st.Projects {
		st.Projects[i] = ipc.ProjectStatus{State: st.Projects[i].State, ExpiresAt: st.Projects[i].ExpiresAt}
	}
}

// stateLocked names the state of an entry for status and lists.
func (a *Agent) stateLocked(e *entry, now time.Time) string {
	switch {
	case !a.sess.loggedIn || a.sess.loginRequired:
		return ipc.StateLoginRequired
	case e.raw == "" && e.lastErr == nil:
		return ipc.StatePending
	case e.raw == "" || !e.exp.After(now):
		return ipc.StateExpired
	case e.inflight != nil || e.failures > 0:
		return ipc.StateRenewing
	default:
		return ipc.StateValid
	}
}

// UserToken serves the user token.
func (a *Agent) UserToken(ctx context.Context, minValid time.Duration) (ipc.Token, error) {
	if err := a.gate(); err != nil {
		return ipc.Token{}, err
	}
	return a.serve(ctx, a.user, minValid)
}

// ProjectToken serves a project's token, tracking the project if it was not.
func (a *Agent) ProjectToken(ctx context.Context, ref string, minValid time.Duration) (ipc.Token, error) {
	if err := a.gate(); err != nil {
		return ipc.Token{}, err
	}
	a.mu.Lock()
	e := a.trackedLocked(ref)
	a.mu.Unlock()
	if e == nil {
		if _, err := a.Track(ctx, ref); err != nil {
			return ipc.Token{}, err
		}
		a.mu.Lock()
		e = a.trackedLocked(ref)
		a.mu.Unlock()
		if e == nil {
			return ipc.Token{}, ipc.UnknownProject(ref)
		}
	}
	return a.serve(ctx, e, minValid)
}

// gate refuses token requests while locked or logged out.
func (a *Agent) gate() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.lock.locked {
		return ipc.Locked()
	}
	if !a.sess.loggedIn {
		return ipc.LoginRequired("not logged in", hintLogin)
	}
	if a.sess.loginRequired {
		return ipc.LoginRequired("the portal refused the stored login", hintLogin)
	}
	return nil
}

// serve returns e's token with at least minValid left, renewing it first when needed.
func (a *Agent) serve(ctx context.Context, e *entry, minValid time.Duration) (ipc.Token, error) {
	if t, ok, err := a.ready(e, minValid); ok || err != nil {
		return t, err
	}
	rerr := a.renew(ctx, e, true)
	if t, ok, err := a.ready(e, minValid); ok || err != nil {
		return t, err
	}
	if rerr == nil {
		// Renewed, and still not enough: the portal's tokens are that short.
		return ipc.Token{}, ipc.BadRequest(fmt.Sprintf("the portal's fresh token for the %s does not last %s", e.label(), minValid),
			"ask for less with --min-valid")
	}
	return ipc.Token{}, a.tokenError(e, minValid, rerr)
}

// ready returns e's token when it has enough validity left.
func (a *Agent) ready(e *entry, minValid time.Duration) (ipc.Token, bool, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if e.raw == "" {
		return ipc.Token{}, false, nil
	}
	life := e.exp.Sub(e.iat)
	if most := policy.MaxMinValid(life); minValid > most {
		return ipc.Token{}, false, minValidTooLong(minValid, life, most)
	}
	now := a.now()
	if !e.valid(now, max(minValid, policy.Margin(life))) {
		return ipc.Token{}, false, nil
	}
	return ipc.Token{
		Token:      e.raw,
		ExpiresAt:  e.exp,
		ExpiresIn:  int64(e.exp.Sub(now) / time.Second),
		VerifiedAt: e.verifiedAt,
		Project:    e.id,
	}, true, nil
}

// minValidTooLong refuses a min_valid beyond what the policy allows for
// tokens of lifetime life, with a hint that names a value that is allowed.
func minValidTooLong(minValid, life, most time.Duration) error {
	hint := "ask for at most " + most.Truncate(time.Second).String() + " with --min-valid"
	if minValid > life {
		return ipc.BadRequest(fmt.Sprintf("min_valid %s is longer than the portal's token lifetime (%s)", minValid, life.Round(time.Second)), hint)
	}
	return ipc.BadRequest(fmt.Sprintf("min_valid %s is more than %d%% of the portal's token lifetime (%s): tokens are renewed when %d%% is left",
		minValid, int(100*(1-policy.RenewLeft)), life.Round(time.Second), int(100*policy.RenewLeft)), hint)
}

// tokenError explains why no token could be served.
func (a *Agent) tokenError(e *entry, minValid time.Duration, err error) error {
	if apiErr, ok := ipc.AsError(err); ok {
		return apiErr
	}
	if errors.Is(err, errLoginRequired) || errors.Is(err, portal.ErrLoginRequired) {
		return ipc.LoginRequired("the portal refused the login", hintLogin)
	}
	if errors.Is(err, portal.ErrNotFound) {
		return ipc.UnknownProject(e.id)
	}
	a.mu.Lock()
	stillValid, exp := e.valid(a.now(), 0), e.exp
	a.mu.Unlock()
	msg := "no valid token for the " + e.label()
	if err != nil {
		msg += ": " + err.Error()
	}
	switch {
	case stillValid && minValid > 0:
		return ipc.PortalUnavailable(
			fmt.Sprintf("cannot renew the %s to last %s: %v", e.label(), minValid, err),
			"the current token is still valid for less; retry later or ask for less with --min-valid")
	case stillValid:
		return ipc.PortalUnavailable(
			fmt.Sprintf("cannot renew the %s now: %v", e.label(), err),
			"the current token stays valid until "+exp.Local().Format("15:04:05")+" and the agent keeps retrying; see 'slices-agent status'")
	}
	return ipc.TokenUnavailable(msg, "the agent keeps retrying; check 'slices-agent status'")
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func joinNote(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}
