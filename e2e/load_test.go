package e2e

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slices-ri/slices-agent/portal"
	"github.com/slices-ri/slices-agent/token"
)

// loadStats is what a load run saw.
type loadStats struct {
	mu       sync.Mutex
	requests int
	errors   int
	expired  int
	firstErr string
	minLeft  time.Duration
	lat      []time.Duration
	iat      map[string]int64 // distinct tokens served, by their iat
}

// fail records one error answer.
func (s *loadStats) fail(msg string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.errors++
	if s.firstErr == "" {
		s.firstErr = msg
	}
}

func (s *loadStats) percentile(p float64) time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.lat) == 0 {
		return 0
	}
	l := slices.Clone(s.lat)
	slices.Sort(l)
	return l[min(len(l)-1, int(p*float64(len(l))))]
}

// tokenAnswer is the JSON form of a token answer.
type tokenAnswer struct {
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expires_at"`
	ExpiresIn int64     `json:"expires_in"`
}

// claimsOf decodes a JWT's iat and exp without verifying it.
func claimsOf(raw string) (iat, exp int64, err error) {
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		return 0, 0, fmt.Errorf("not a JWT")
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return 0, 0, err
	}
	var c struct{ Iat, Exp int64 }
	if err := json.Unmarshal(b, &c); err != nil {
		return 0, 0, err
	}
	return c.Iat, c.Exp, nil
}

// runLoad runs clients concurrent clients, each on its own connection,
// asking for the JSON token of ref every think until the deadline (and at
// most maxEach times), and checks every answer against the clock.
func runLoad(sock, ref string, clients int, think time.Duration, until time.Time, maxEach int) *loadStats {
	s := &loadStats{minLeft: time.Hour, iat: map[string]int64{}}
	var wg sync.WaitGroup
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tr := &http.Transport{MaxIdleConnsPerHost: 1, DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
				return (&net.Dialer{}).DialContext(ctx, "unix", sock)
			}}
			defer tr.CloseIdleConnections()
			c := &http.Client{Timeout: 5 * time.Second, Transport: tr}
			for i := 0; i < maxEach && time.Now().Before(until); i++ {
				start := time.Now()
				resp, err := c.Get("http://agent/v1/projects/" + ref + "/token")
				if err != nil {
					s.fail(err.Error())
					continue
				}
				body, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				now := time.Now()
				var a tokenAnswer
				if err != nil || resp.StatusCode != 200 || json.Unmarshal(body, &a) != nil {
					s.fail(fmt.Sprintf("%d %.200s %v", resp.StatusCode, body, err))
					continue
				}
				iat, exp, err := claimsOf(a.Token)
				left := time.Unix(exp, 0).Sub(now)
				s.mu.Lock()
				s.requests++
				s.lat = append(s.lat, now.Sub(start))
				switch {
				case err != nil || exp != a.ExpiresAt.Unix():
					s.errors++
					s.firstErr = fmt.Sprintf("expires_at %v does not match the token's exp %d (%v)", a.ExpiresAt, exp, err)
				case left <= 0:
					s.expired++
				}
				s.minLeft = min(s.minLeft, left)
				s.iat[a.Token] = iat
				s.mu.Unlock()
				time.Sleep(think)
			}
		}()
	}
	wg.Wait()
	return s
}

// verifyAt checks raw against the emulator's key set as of the time at,
// for tokens that have expired since they were served.
func verifyAt(t *testing.T, p *portalProc, raw, subject string, at time.Time) {
	t.Helper()
	c := portal.New(p.url, "")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	d, err := c.Discover(ctx)
	if err != nil {
		t.Fatal(err)
	}
	b, err := c.JWKS(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ks, err := token.ParseKeySet(b)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := token.Verify(raw, ks, token.VerifyOptions{Issuer: d.Issuer, Subject: subject, Now: func() time.Time { return at }}); err != nil {
		t.Errorf("a served token does not verify: %v", err)
	}
}

// 200 concurrent clients ask for a project token while it renews every
// 7.5 s underneath (10 s lifetime): no errors, no expired token, and the
// portal issues one token per renewal period. SLICES_LOAD_SECONDS (60 with
// make soak), SLICES_LOAD_CLIENTS and SLICES_LOAD_THINK_MS change the run.
func TestLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("runs for 10 s")
	}
	t.Parallel()
	secs := envInt("SLICES_LOAD_SECONDS", 10)
	clients := envInt("SLICES_LOAD_CLIENTS", 200)
	think := time.Duration(envInt("SLICES_LOAD_THINK_MS", 50)) * time.Millisecond
	const ttl = 10 * time.Second
	p := startPortal(t, "--token-ttl", ttl.String())
	h := newHome(t, p.url)
	sock, pid := h.eval(h.mustRun("env", "-s", "--keyring", "memory"))
	h.mustRun("login", "--no-browser")
	id := projectID(t, h, "gpu-cluster")
	h.mustRun("add", id)
	h.mustRun("token", id)
	p.dev("POST", "/_dev/stats/reset", "")
	rss0 := procStatus(t, pid, "VmRSS")

	start := time.Now()
	s := runLoad(sock, id, clients, think, start.Add(time.Duration(secs)*time.Second), secs*1000)
	elapsed := time.Since(start)
	issued := p.stats().ProjectTokens[id]

	// Renewal periods, from the iat of the distinct tokens served.
	var iats []int64
	for tok, iat := range s.iat {
		iats = append(iats, iat)
		verifyAt(t, p, tok, id, time.Unix(iat, 0))
	}
	sort.Slice(iats, func(i, j int) bool { return iats[i] < iats[j] })
	period := 0.75 * ttl.Seconds()
	want := elapsed.Seconds() / period
	t.Logf("%d clients for %v, think %v: %d answers (%.0f/s), %d errors, %d expired; latency p50 %v p99 %v max %v; least time left %v",
		clients, elapsed.Round(time.Millisecond), think, s.requests, float64(s.requests)/elapsed.Seconds(), s.errors, s.expired,
		s.percentile(0.5), s.percentile(0.99), s.percentile(1), s.minLeft.Round(time.Millisecond))
	t.Logf("renewals: portal issued %d in %v, one per %.1f s renewal period would be %.2f (ratio %.2f); %d distinct tokens served, iat %v",
		issued, elapsed.Round(time.Second), period, want, float64(issued)/want, len(s.iat), iats)
	t.Logf("agent VmRSS %d kB before, %d kB after; threads %d", rss0, procStatus(t, pid, "VmRSS"), procStatus(t, pid, "Threads"))
	if s.errors > 0 || s.expired > 0 {
		t.Errorf("%d errors (first: %s), %d expired tokens served", s.errors, s.firstErr, s.expired)
	}
	if s.requests < clients {
		t.Errorf("only %d answers from %d clients", s.requests, clients)
	}
	// Every token the portal issued was served, none fetched for nothing
	// (the one held at the start may be served too).
	if len(s.iat) < issued || len(s.iat) > issued+1 {
		t.Errorf("%d distinct tokens served, %d issued", len(s.iat), issued)
	}
	if elapsed >= time.Minute {
		// Long enough to count: within 10 % of one renewal per period.
		if r := float64(issued) / want; r < 0.9 || r > 1.1 {
			t.Errorf("%.2f renewals per renewal period, want 1 ± 10 %%", r)
		}
	} else if float64(issued) > want+1 {
		t.Errorf("%d renewals in %v, want at most %.1f", issued, elapsed, want+1)
	}
	if os.Getenv("SLICES_LOAD_SECONDS") == "" {
		t.Log("a short run: SLICES_LOAD_SECONDS=60 (make soak) counts renewals against the 10 % bound")
	}
}

// sample is one reading of the agent's process.
type sample struct {
	at                time.Duration
	rss, threads, fds int
}

// median of f over samples.
func median(ss []sample, f func(sample) int) int {
	v := make([]int, len(ss))
	for i, s := range ss {
		v[i] = f(s)
	}
	slices.Sort(v)
	return v[len(v)/2]
}

// The agent under a steady load, with two projects renewing every 7.5 s
// and an event stream open, for SLICES_SOAK_DURATION (20 s by default, 10m
// with make soak): its RSS, threads and open fds stay flat. The bounds:
// after a warm-up of a tenth of the run, the median of the last quarter
// of samples against the median of the first quarter — RSS at most 20 %
// + 4 MB more, fds at most 8 more, threads at most 6 more at any time.
func TestSoak(t *testing.T) {
	if testing.Short() {
		t.Skip("runs for 20 s")
	}
	t.Parallel()
	dur := 20 * time.Second
	if d, err := time.ParseDuration(os.Getenv("SLICES_SOAK_DURATION")); err == nil && d > 0 && d <= 3*time.Hour {
		dur = d
	}
	p := startPortal(t, "--token-ttl", "10s")
	h := newHome(t, p.url)
	sock, pid := h.eval(h.mustRun("env", "-s", "--keyring", "memory"))
	h.mustRun("login", "--no-browser")
	id := projectID(t, h, "gpu-cluster")
	h.mustRun("add", id)
	h.mustRun("add", "ilabt-dev")

	// An event stream like the TUI's.
	ctx, cancel := context.WithTimeout(context.Background(), dur+30*time.Second)
	defer cancel()
	events := make(chan int, 1)
	go func() {
		n := 0
		defer func() { events <- n }()
		req, _ := http.NewRequestWithContext(ctx, "GET", "http://agent/v1/events", nil)
		resp, err := (&http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", sock)
		}}}).Do(req)
		if err != nil {
			return
		}
		defer resp.Body.Close()
		buf := make([]byte, 4096)
		for {
			k, err := resp.Body.Read(buf)
			n += strings.Count(string(buf[:k]), "event: renewed")
			if err != nil {
				return
			}
		}
	}()

	start := time.Now()
	until := start.Add(dur)
	loadDone := make(chan *loadStats, 1)
	go func() { loadDone <- runLoad(sock, id, 20, 100*time.Millisecond, until, int(dur/time.Millisecond)) }()

	every := max(time.Second, dur/40)
	var ss []sample
	for i := 0; time.Now().Before(until) && i < 10000; i++ {
		time.Sleep(every)
		if i%5 == 4 {
			h.run("status", "--json") // a client process now and then
		}
		ss = append(ss, sample{at: time.Since(start), rss: procStatus(t, pid, "VmRSS"),
			threads: procStatus(t, pid, "Threads"), fds: openFDs(t, pid)})
	}
	s := <-loadDone
	cancel()
	renewed := <-events

	t.Logf("%8s %10s %8s %6s", "t", "VmRSS kB", "threads", "fds")
	for _, x := range ss {
		t.Logf("%8s %10d %8d %6d", x.at.Round(time.Second), x.rss, x.threads, x.fds)
	}
	t.Logf("load: %d answers, %d errors, %d expired, p99 %v; %d renewed events; portal issued %v",
		s.requests, s.errors, s.expired, s.percentile(0.99), renewed, p.stats().ProjectTokens)
	if s.errors > 0 || s.expired > 0 {
		t.Errorf("%d errors (first: %s), %d expired tokens served", s.errors, s.firstErr, s.expired)
	}
	if renewed == 0 {
		t.Error("the event stream saw no renewal")
	}
	var warm []sample
	for _, x := range ss {
		if x.at >= dur/10 {
			warm = append(warm, x)
		}
	}
	if len(warm) < 8 {
		t.Fatalf("only %d samples after the warm-up", len(warm))
	}
	q := len(warm) / 4
	first, last := warm[:q], warm[len(warm)-q:]
	rss0, rss1 := median(first, func(x sample) int { return x.rss }), median(last, func(x sample) int { return x.rss })
	fd0, fd1 := median(first, func(x sample) int { return x.fds }), median(last, func(x sample) int { return x.fds })
	th0 := median(first, func(x sample) int { return x.threads })
	thMax := 0
	for _, x := range warm {
		thMax = max(thMax, x.threads)
	}
	t.Logf("first quarter → last quarter (medians): VmRSS %d → %d kB, fds %d → %d; threads %d, at most %d", rss0, rss1, fd0, fd1, th0, thMax)
	if rss1 > rss0*6/5+4<<10 {
		t.Errorf("VmRSS grew from %d to %d kB", rss0, rss1)
	}
	if fd1 > fd0+8 {
		t.Errorf("open fds grew from %d to %d", fd0, fd1)
	}
	if thMax > th0+6 {
		t.Errorf("threads grew from %d to %d", th0, thMax)
	}
}
