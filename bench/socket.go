//go:build linux

package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/slices-ri/slices-agent/ipc"
)

// serveBare is the baseline server, run as its own process ('bench
// -bare-server PATH') like the agent: a bare net/http handler writing a fixed
// 800-byte body on a Unix socket.
func serveBare(path string) error {
	body := make([]byte, 800)
	for i := range body {
		body[i] = 'x'
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		_, _ = w.Write(body)
	})
	l, err := net.Listen("unix", path)
	if err != nil {
		return err
	}
	return (&http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}).Serve(l)
}

// bareServer starts this program again as the baseline server and waits until it answers.
func (l *lab) bareServer() (string, error) {
	self, err := os.Executable()
	if err != nil {
		return "", err
	}
	path := filepath.Join(l.dir, "bare.sock")
	if _, err := l.start("bare", nil, self, "-bare-server", path); err != nil {
		return "", err
	}
	c := ipc.NewClient(path)
	defer c.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_, err := c.TokenRaw(ctx, "p", 0)
		cancel()
		if err == nil {
			return path, nil
		}
		if time.Now().After(deadline) {
			return "", fmt.Errorf("the bare server did not answer: %w", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// load is what one closed-loop run measured: every request's latency in
// seconds, and the requests completed per second.
type load struct {
	lat  []float64
	rate float64
}

// hammer runs clients closed-loop clients, each with its own keep-alive
// ipc.Client (its own connection, like separate tools), asking for ref's
// token for d, and records each request's latency.
func hammer(socket, ref string, clients int, d time.Duration) (load, error) {
	ctx, cancel := context.WithTimeout(context.Background(), d+30*time.Second)
	defer cancel()
	cs := make([]*ipc.Client, clients)
	for i := range cs {
		cs[i] = ipc.NewClient(socket)
		defer cs[i].Close()
		if _, err := cs[i].TokenRaw(ctx, ref, 0); err != nil { // connect outside the clock
			return load{}, err
		}
	}
	lats := make([][]float64, clients)
	errs := make([]error, clients)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i, c := range cs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			own := make([]float64, 0, 4096)
			<-start
			end := time.Now().Add(d)
			for {
				t := time.Now()
				if t.After(end) {
					break
				}
				if _, err := c.TokenRaw(ctx, ref, 0); err != nil {
					errs[i] = err
					break
				}
				own = append(own, time.Since(t).Seconds())
			}
			lats[i] = own
		}()
	}
	t0 := time.Now()
	close(start)
	wg.Wait()
	el := time.Since(t0).Seconds()
	var all []float64
	for i := range lats {
		if errs[i] != nil {
			return load{}, errs[i]
		}
		all = append(all, lats[i]...)
	}
	return load{lat: all, rate: float64(len(all)) / el}, nil
}

// socketRows measures the agent and the bare server alternately (ABBA), rounds
// times each, for 1 and 64 clients, and pools each side's latencies: p50,
// p99 and throughput, every one beside the bare server's.
func socketRows(agentSock, ref, bareSock string, rounds int, d time.Duration) []row {
	var rows []row
	for _, n := range []int{1, 64} {
		var ag, bare load
		var rateA, rateB []float64
		var err error
		// one short warm-up round of each, not counted
		if _, err = hammer(agentSock, ref, n, d/4); err == nil {
			_, err = hammer(bareSock, "p", n, d/4)
		}
		for i := 0; i < rounds && err == nil; i++ {
			var a, b load
			agent := func() error {
				if a, err = hammer(agentSock, ref, n, d); err != nil {
					return fmt.Errorf("agent: %w", err)
				}
				return nil
			}
			bareRound := func() error {
				if b, err = hammer(bareSock, "p", n, d); err != nil {
					return fmt.Errorf("bare server: %w", err)
				}
				return nil
			}
			// Who goes first alternates (ABBA), so that a drift of the
			// machine during a pair of rounds favours neither side.
			first, second := agent, bareRound
			if i%2 == 1 {
				first, second = bareRound, agent
			}
			if err = first(); err == nil {
				err = second()
			}
			if err != nil {
				break
			}
			ag.lat = append(ag.lat, a.lat...)
			bare.lat = append(bare.lat, b.lat...)
			rateA, rateB = append(rateA, a.rate), append(rateB, b.rate)
		}
		what := fmt.Sprintf("GET /v1/projects/{id}/token, %d client", n)
		if n > 1 {
			what += "s"
		}
		p50 := row{what: what + ": p50", baseName: "bare server", unit: unitDuration, limit: 100e-6, err: err}
		p99 := row{what: what + ": p99", baseName: "bare server", unit: unitDuration, limit: 1.3, ratioOf: true, err: err}
		if n > 1 {
			p50.limit, p50.ratioOf = 1.3, true
			p50.note = fmt.Sprintf("The issue's p50 ≤ 100 µs is read as the 1-client row's target. With %d closed-loop "+
				"clients on this machine every request queues behind the others (Little's law: p50 ≈ clients ÷ throughput, "+
				"for the bare server too), so this row is held to the p99 rule instead: ≤ 1.3× the bare server.", n)
		}
		if err == nil {
			p50.value, p50.baseline = quantile(ag.lat, 0.5), quantile(bare.lat, 0.5)
			p99.value, p99.baseline = quantile(ag.lat, 0.99), quantile(bare.lat, 0.99)
		}
		rows = append(rows, p50)
		if n == 1 {
			rel := p50
			rel.what, rel.limit, rel.ratioOf = what+": p50 against the bare server", 1.05, true
			rows = append(rows, rel)
		}
		rows = append(rows, p99)
		if n > 1 {
			tp := row{what: fmt.Sprintf("throughput, %d clients", n), baseName: "bare server", unit: unitRate,
				limit: 0.8, ratioOf: true, atLeast: true, err: err,
				note: fmt.Sprintf("Median of %d alternating rounds of %s each; the clients run in the benchmark process on the same cores.", rounds, d)}
			if err == nil {
				tp.value, tp.baseline = median(rateA), median(rateB)
			}
			rows = append(rows, tp)
		}
	}
	return rows
}
