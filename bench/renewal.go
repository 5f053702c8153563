//go:build linux

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/slices-ri/slices-agent/ipc"
	"github.com/slices-ri/slices-agent/token/lifetime"
)

// renewShare is where, on average, the agent renews a token in its lifetime:
// with lifetime.DefaultPolicy's quarter left, minus half its largest jitter
// (0.725 of the lifetime).
var renewShare = 1 - lifetime.DefaultPolicy.RenewLeft - lifetime.DefaultPolicy.Jitter/2

// portalStats is the part of the emulator's GET /_dev/stats the benchmark reads.
type portalStats struct {
	Requests      map[string]int `json:"requests"`
	ProjectTokens map[string]int `json:"project_tokens"`
}

func devCall(ctx context.Context, method, url string, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s %s: %s", method, url, resp.Status)
	}
	if out == nil {
		return nil
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

// renewal is a running measurement of portal requests per renewal: an agent
// tracking projects against a portal with a short token lifetime, read by a
// steady trickle of clients, for a fixed window.
type renewal struct {
	portal   string
	ttl      time.Duration
	projects []ipc.Project
	t0       time.Time
	stop     context.CancelFunc
	done     chan struct{}
	started  chan struct{} // closed when the window starts, at t0
	clientN  int
	err      error
}

// startRenewal sets the measurement up and starts its window.
func (l *lab) startRenewal(ttl time.Duration, n int) (*renewal, error) {
	url, err := l.portal("portal-renew", "--token-ttl", ttl.String(), "--projects", fmt.Sprint(n))
	if err != nil {
		return nil, err
	}
	a, err := l.agent("agent-renew", url)
	if err != nil {
		return nil, err
	}
	if err := a.login(); err != nil {
		return nil, err
	}
	ps, err := a.track(n)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &renewal{portal: url, ttl: ttl, projects: ps, stop: cancel, done: make(chan struct{}), started: make(chan struct{})}
	go func() {
		// Every token was fetched just now, so renewals fall due at about k
		// periods from here. Starting the window half a period later makes
		// the count in it round(window ÷ period), not floor(…).
		time.Sleep(time.Duration(renewShare * float64(ttl) / 2))
		r.err = devCall(ctx, http.MethodPost, url+"/_dev/stats/reset", nil)
		r.t0 = time.Now()
		close(r.started)
		r.clients(ctx, a.c)
	}()
	return r, nil
}

// clients ask for every tracked token four times a second: served from the
// agent, they must not cost portal requests.
func (r *renewal) clients(ctx context.Context, c *ipc.Client) {
	defer close(r.done)
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		for _, p := range r.projects {
			cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			_, err := c.TokenRaw(cctx, p.ID, 0)
			cancel()
			if err != nil && ctx.Err() == nil && r.err == nil {
				r.err = fmt.Errorf("client during the renewal window: %w", err)
			}
			r.clientN++
		}
	}
}

// finish waits until the window has lasted window, ends it and makes the row.
func (r *renewal) finish(window time.Duration) row {
	<-r.started
	time.Sleep(time.Until(r.t0.Add(window)))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var st portalStats
	err := devCall(ctx, http.MethodGet, r.portal+"/_dev/stats", &st)
	el := time.Since(r.t0)
	r.stop()
	<-r.done
	return renewalRow(st, r.projects, r.ttl, el, r.clientN, err, r.err)
}

// renewalRow computes portal project-token requests per due renewal: the
// requests per tracked project in the window, divided by the renewals the
// contract makes due in it, window ÷ (0.725 × TTL). 1.0 is one portal request
// per renewal; more means duplicate or wasted fetches.
func renewalRow(st portalStats, ps []ipc.Project, ttl, window time.Duration, clientReqs int, errs ...error) row {
	r := row{what: fmt.Sprintf("portal token requests per due renewal, per tracked project (TTL %s, %s window, %d projects)",
		ttl, window.Round(time.Second), len(ps)), baseline: 1, baseName: "ideal", unit: unitPlain, limit: 1.1, ratioOf: true}
	for _, err := range errs {
		if err != nil {
			r.err = err
			return r
		}
	}
	if len(ps) == 0 {
		r.err = fmt.Errorf("no tracked projects")
		return r
	}
	due := window.Seconds() / (renewShare * ttl.Seconds())
	reqs := float64(st.Requests["project_token"]) / float64(len(ps))
	r.value = reqs / due
	per := make([]int, 0, len(ps))
	for _, p := range ps {
		per = append(per, st.ProjectTokens[p.ID])
	}
	slices.Sort(per)
	perTTL := reqs / (window.Seconds() / ttl.Seconds())
	r.note = fmt.Sprintf("Definition: portal requests for project tokens (GET /_dev/stats requests.project_token, failures included) "+
		"per tracked project in the window, divided by the renewals due in it, window ÷ (%.3f × TTL): the contract renews at a "+
		"quarter of the lifetime left minus 0–5 %% jitter. 1.0 = exactly one portal request per renewal. Per raw token lifetime "+
		"this run made %.2f requests (the contract's renew-early policy makes %.2f the ideal there). Tokens issued per project: "+
		"min %d, median %d, max %d; meanwhile clients fetched tracked tokens %d times from the agent. Tokens carry exp in whole "+
		"seconds, so a token fetched mid-second lives on average 0.5 s less than the TTL: at a 10 s TTL renewals fall ≈ 5 %% "+
		"earlier than 0.725 × TTL (nothing at real lifetimes).",
		renewShare, perTTL, 1/renewShare, per[0], per[len(per)/2], per[len(per)-1], clientReqs)
	return r
}
