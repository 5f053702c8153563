package agent

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/slices-ri/slices-agent/ipc"
	"github.com/slices-ri/slices-agent/portal"
)

// catalog is the last projects list fetched from the portal.
type catalog struct {
	list []portal.Project
	at   time.Time
}

// Projects lists the user's projects from the portal, merged with what the agent tracks.
func (a *Agent) Projects(ctx context.Context) ([]ipc.Project, error) {
	if err := a.gate(); err != nil {
		return nil, err
	}
	list, err := a.fetchCatalog(ctx)
	if err != nil {
		return nil, a.portalError("listing projects", err)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	now := a.now()
	out := make([]ipc.Project, 0, len(list))
	for _, p := range list {
		ip := ipc.Project{ID: p.ID, Name: p.Name, Description: p.Description, Role: p.Role,
			CreatedAt: p.CreatedAt, ExpiresAt: p.ExpiresAt, State: ipc.StateUntracked}
		if e, ok := a.projects[p.ID]; ok {
			ip.Tracked = true
			ip.State = a.stateLocked(e, now)
			if e.raw != "" {
				exp := e.exp
				ip.TokenExpiresAt = &exp
			}
		}
		out = append(out, ip)
	}
	return out, nil
}

// fetchCatalog gets the projects list from the portal and caches it.
// Concurrent callers share one portal request (singleflight), which belongs to
// the agent: a caller that gives up does not cancel it for the others.
func (a *Agent) fetchCatalog(ctx context.Context) ([]portal.Project, error) {
	ch := a.catalogFlight.DoChan("projects", func() (any, error) {
		fctx, cancel := context.WithTimeout(a.ctx, fetchTimeout)
		defer cancel()
		access, err := a.userAccess(fctx, 5*time.Second)
		if err != nil {
			return nil, err
		}
		list, err := a.portal.Projects(fctx, access)
		if err != nil {
			return nil, err
		}
		sort.SliceStable(list, func(i, j int) bool { return list[i].Name < list[j].Name })
		a.mu.Lock()
		a.catalog = catalog{list: list, at: a.now()}
		a.mu.Unlock()
		return list, nil
	})
	select {
	case r := <-ch:
		if r.Err != nil {
			return nil, r.Err
		}
		return r.Val.([]portal.Project), nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// trackedLocked finds a tracked project by id or by name.
func (a *Agent) trackedLocked(ref string) *entry {
	if e, ok := a.projects[ref]; ok {
		return e
	}
	var found *entry
	for _, e := range a.projects {
		if e.name == ref {
			if found != nil {
				return nil // ambiguous: let resolve explain
			}
			found = e
		}
	}
	return found
}

// resolve finds a project by id or unique name in the portal's list,
// fetching the list when the cached one is stale or lacks ref.
func (a *Agent) resolve(ctx context.Context, ref string) (portal.Project, error) {
	if ref == "" {
		return portal.Project{}, ipc.BadRequest("no project given", "name a project id or name; see 'slices-agent projects'")
	}
	a.mu.Lock()
	cat := a.catalog
	a.mu.Unlock()
	p, err := lookup(cat.list, ref)
	if err == nil {
		return p, nil
	}
	if cat.list != nil && a.now().Sub(cat.at) < time.Second {
		return portal.Project{}, err
	}
	list, ferr := a.fetchCatalog(ctx)
	if ferr != nil {
		return portal.Project{}, a.portalError("looking up project "+ref, ferr)
	}
	return lookup(list, ref)
}

func lookup(list []portal.Project, ref string) (portal.Project, error) {
	var matches []portal.Project
	for _, p := range list {
		if p.ID == ref {
			return p, nil
		}
		if p.Name == ref {
			matches = append(matches, p)
		}
	}
	switch len(matches) {
	case 1:
		return matches[0], nil
	case 0:
		err := ipc.UnknownProject(ref)
		if near, ok := closest(list, ref); ok {
			err.Hint = fmt.Sprintf("did you mean %q? ('slices-agent projects' lists them all)", near)
		}
		return portal.Project{}, err
	default:
		return portal.Project{}, ipc.BadRequest(fmt.Sprintf("%d projects are named %q", len(matches), ref), "use the project id; see 'slices-agent projects'")
	}
}

// Track starts keeping a project's token renewed.
func (a *Agent) Track(ctx context.Context, ref string) (ipc.Project, error) {
	if err := a.gate(); err != nil {
		return ipc.Project{}, err
	}
	p, err := a.resolve(ctx, ref)
	if err != nil {
		return ipc.Project{}, err
	}
	a.mu.Lock()
	_, ok := a.projects[p.ID]
	if !ok {
		e := newEntry(p.ID, p.Name, p.Role)
		a.projects[p.ID] = e
		a.startLoopLocked(e)
	}
	a.mu.Unlock()
	if !ok {
		a.saveTracked()
		a.publish(ipc.EventTracked, p.ID, time.Time{}, "")
	}
	return ipc.Project{ID: p.ID, Name: p.Name, Description: p.Description, Role: p.Role,
		CreatedAt: p.CreatedAt, ExpiresAt: p.ExpiresAt, Tracked: true}, nil
}

// Untrack stops renewing a project and deletes its token.
func (a *Agent) Untrack(ctx context.Context, ref string) error {
	if err := a.refuseLocked(); err != nil {
		return err
	}
	a.persistMu.Lock()
	a.mu.Lock()
	e := a.trackedLocked(ref)
	if e != nil {
		delete(a.projects, e.id)
		if e.stop != nil {
			e.stop()
		}
	}
	a.mu.Unlock()
	if e == nil {
		a.persistMu.Unlock()
		if _, err := a.resolve(ctx, ref); err != nil {
			return err
		}
		return nil // known but not tracked: nothing to do
	}
	a.persist(a.vault.deleteProject(ctx, e.id))
	a.removeSink(e.id)
	a.persistMu.Unlock()
	a.saveTracked()
	a.publish(ipc.EventUntracked, e.id, time.Time{}, "")
	return nil
}

// Refresh renews a token now: the user token for "", else a project's.
func (a *Agent) Refresh(ctx context.Context, ref string) error {
	if err := a.gate(); err != nil {
		return err
	}
	e := a.user
	if ref != "" {
		a.mu.Lock()
		e = a.trackedLocked(ref)
		a.mu.Unlock()
		if e == nil {
			if _, err := a.Track(ctx, ref); err != nil {
				return err
			}
			a.mu.Lock()
			e = a.trackedLocked(ref)
			a.mu.Unlock()
			if e == nil {
				return ipc.UnknownProject(ref)
			}
		}
	}
	if err := a.renew(ctx, e, false); err != nil {
		return a.tokenError(e, 0, err)
	}
	kick(e)
	return nil
}

// saveTracked writes the tracked projects to the state file.
func (a *Agent) saveTracked() {
	a.stateMu.Lock()
	defer a.stateMu.Unlock()
	a.mu.Lock()
	tracked := make([]trackedProject, 0, len(a.projects))
	for _, e := range a.projects {
		tracked = append(tracked, trackedProject{ID: e.id, Name: e.name, Role: e.role, Sink: e.sink})
	}
	owner := a.sess.owner()
	a.mu.Unlock()
	err := a.vault.saveTracked(a.opts.PortalURL, owner, tracked)
	if err != nil {
		a.log.Warn("could not save the tracked projects; keeping them in memory", "err", err)
	}
	a.setErr(&a.stateErr, err)
}

// portalError turns a portal failure into an API error.
func (a *Agent) portalError(what string, err error) error {
	if apiErr, ok := ipc.AsError(err); ok {
		return apiErr
	}
	if refused, ok := refusedError(what, err); ok {
		return refused
	}
	if errors.Is(err, errLoginRequired) || errors.Is(err, portal.ErrLoginRequired) {
		return ipc.LoginRequired("the portal refused the login", hintLogin)
	}
	return ipc.PortalUnavailable(what+": "+err.Error(), "check the portal URL and your network; 'slices-agent status' shows it")
}

// closest is the one project name within two edits of ref (a typo), if there
// is exactly one.
func closest(list []portal.Project, ref string) (string, bool) {
	found := ""
	for _, p := range list {
		if p.Name != found && editDistance(strings.ToLower(p.Name), strings.ToLower(ref)) <= 2 {
			if found != "" {
				return "", false
			}
			found = p.Name
		}
	}
	return found, found != ""
}

// editDistance is the Levenshtein distance of a and b, counted in runes.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
