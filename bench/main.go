//go:build linux

// Command bench measures slices-agent against its peers in one run and prints
// one table, every row beside its baseline with the ratio, the target and
// PASS or MISS. Run it from the module root: 'make bench' (the full
// run, which also writes docs/BENCHMARKS.md) or 'make bench-smoke' (the same
// harness, short, for CI). scripts/bench installs the peers first.
//
// It builds the binaries itself, starts two emulated portals, three agents,
// a bare baseline server, ssh-agent and oidc-agent, each on its own socket
// under one /tmp directory, and stops every one of them at the end.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/slices-ri/slices-agent/ipc"
)

// config is the size of a run.
type config struct {
	renewWindow  time.Duration // the portal-requests-per-renewal window
	renewTTL     time.Duration
	renewN       int           // projects tracked in that window
	settle       time.Duration // idle time before reading RSS
	rounds       int           // alternating rounds per socket measurement
	round        time.Duration
	warmup, runs int // whole-process runs
	tuiCount     int
	tuiTime      string
}

var (
	full = config{renewWindow: 5 * time.Minute, renewTTL: 10 * time.Second, renewN: 20, settle: 5 * time.Second,
		rounds: 8, round: 1500 * time.Millisecond, warmup: 5, runs: 50, tuiCount: 5, tuiTime: "1s"}
	smoke = config{renewWindow: 20 * time.Second, renewTTL: 10 * time.Second, renewN: 20, settle: time.Second,
		rounds: 2, round: 300 * time.Millisecond, warmup: 2, runs: 10, tuiCount: 1, tuiTime: "20x"}
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	isSmoke := fs.Bool("smoke", false, "a short run that checks the harness works (CI)")
	out := fs.String("out", "", "also write the table as Markdown to `FILE` (docs/BENCHMARKS.md)")
	strict := fs.Bool("strict", false, "exit 1 when a row misses its target")
	bare := fs.String("bare-server", "", "internal: serve the baseline on this Unix socket `path`")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *bare != "" {
		return serveBare(*bare)
	}
	cfg, mode := full, "full"
	if *isSmoke {
		cfg, mode = smoke, "smoke"
	}
	started := time.Now()
	rows, info, err := measure(cfg, func(format string, a ...any) {
		fmt.Fprintf(stderr, "bench: "+format+"\n", a...)
	})
	if err != nil {
		return err
	}
	info.mode, info.took = mode, time.Since(started).Round(time.Second)
	fmt.Fprintln(stdout)
	writeText(stdout, rows)
	fmt.Fprintf(stdout, "\n%s run, %s, took %s\n", mode, info.machine, info.took)
	if *out != "" {
		if err := writeDoc(*out, rows, info, cfg); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "wrote %s\n", *out)
	}
	var bad, missed int
	for _, r := range rows {
		switch r.verdict() {
		case fail:
			bad++
		case miss:
			missed++
		}
	}
	if bad > 0 {
		return fmt.Errorf("%d rows could not be measured", bad)
	}
	if *strict && missed > 0 {
		return fmt.Errorf("%d rows missed their targets", missed)
	}
	return nil
}

// measure makes every row: the renewal window runs in the background while
// the rest is measured.
func measure(cfg config, logf func(string, ...any)) ([]row, runInfo, error) {
	info := machineInfo()
	l, err := newLab()
	if err != nil {
		return nil, info, err
	}
	defer l.close()
	plain := filepath.Join(l.dir, "plain")
	logf("building into %s (release: CGO_ENABLED=0 %v; plain: a default 'go build')", l.dir, releaseFlags)
	if err := build(l.bin, true, "./cmd/slices-agent", "./cmd/slices-agent-core", "./cmd/slices-devportal", "./bench/floor", "./bench/rawfloor", "./bench/hello"); err != nil {
		return nil, info, err
	}
	if err := build(plain, false, "./cmd/slices-agent", "./cmd/slices-agent-core"); err != nil {
		return nil, info, err
	}

	logf("renewal window of %s starts (TTL %s, %d projects)", cfg.renewWindow, cfg.renewTTL, cfg.renewN)
	ren, err := l.startRenewal(cfg.renewTTL, cfg.renewN)
	if err != nil {
		return nil, info, fmt.Errorf("renewal setup: %w", err)
	}

	var rows []row
	// the emulator keeps a client registry: the agent's public client, and
	// oidc-agent's confidential one (it sends a secret with HTTP Basic)
	portalURL, err := l.portal("portal", "--projects", "1000", "--client", "slices-agent", "--client", "bench:secret")
	if err != nil {
		return nil, info, err
	}
	logf("agent with 10 tracked projects")
	a, err := l.agent("agent", portalURL)
	if err != nil {
		return nil, info, err
	}
	if err := a.login(); err != nil {
		return nil, info, err
	}
	ps, err := a.track(10)
	if err != nil {
		return nil, info, err
	}
	idle := rssRow(a, 10, 20<<20, cfg.settle)
	rows = append(rows, idle)

	logf("the same agent with 256 event subscribers")
	rows = append(rows, subscribersRow(a, 256, idle, cfg.settle))

	logf("agent with 10,000 projects listed, 1,000 tracked")
	rows = append(rows, l.scaleRow(cfg.settle))

	logf("socket: agent against the bare server, 1 and 64 clients")
	bareSock, err := l.bareServer()
	if err != nil {
		return nil, info, err
	}
	rows = append(rows, socketRows(a.socket, ps[0].ID, bareSock, cfg.rounds, cfg.round)...)

	logf("whole process: slices-agent token against ssh-add -l and oidc-token")
	rows = append(rows, l.wholeRows(a, ps[0].Name, plain, cfg)...)

	logf("TUI benchmarks")
	rows = append(rows, tuiRows(cfg.tuiCount, cfg.tuiTime)...)

	logf("waiting for the renewal window to end")
	rows = append(rows, ren.finish(cfg.renewWindow))
	info.tools = toolVersions()
	return rows, info, nil
}

// rssRow reads the agent's VmRSS after it has been idle for settle.
func rssRow(a *agentProc, n int, limit float64, settle time.Duration) row {
	r := row{what: fmt.Sprintf("agent RSS, idle after login, %s tracked projects", thousands(n)), unit: unitBytes, limit: limit}
	time.Sleep(settle)
	r.value, r.err = vmRSS(a.pid())
	if n == 10 {
		r.note = fmt.Sprintf("VmRSS from /proc/PID/status of 'slices-agent -D --keyring memory' (release build), logged in to the "+
			"emulated portal (1,000 projects listed), %d projects tracked with tokens held, after %s idle.", n, settle)
	}
	return r
}

// thousands prints n with a comma every three digits: 1,000.
func thousands(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// subscribersRow reads the agent's VmRSS while n clients, each on its own
// connection, follow GET /v1/events, beside its idle figure.
func subscribersRow(a *agentProc, n int, idle row, settle time.Duration) row {
	r := row{what: fmt.Sprintf("agent RSS, 10 tracked projects, %d event subscribers", n), unit: unitBytes, limit: 40 << 20,
		baseName: "idle, no subscribers", baseline: idle.value,
		note: fmt.Sprintf("%d ipc.Clients in the benchmark process, each with its own connection, following GET /v1/events; "+
			"VmRSS after %s. The baseline is the row above: the same agent with none.", n, settle)}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for i := 0; i < n; i++ {
		c := ipc.NewClient(a.socket)
		defer c.Close()
		if _, err := c.Events(ctx); err != nil {
			r.err = fmt.Errorf("subscriber %d: %w", i+1, err)
			return r
		}
	}
	time.Sleep(settle)
	r.value, r.err = vmRSS(a.pid())
	return r
}

// scaleRow starts a portal with 10,000 projects and an agent that lists them
// and tracks 1,000, and reads the agent's VmRSS once idle.
func (l *lab) scaleRow(settle time.Duration) row {
	r := row{what: "agent RSS, 10,000 projects listed, 1,000 tracked", unit: unitBytes, limit: 64 << 20,
		note: "A second emulated portal with --projects 10000; the agent lists them all (its catalog) and holds a token for " +
			"each of the first 1,000 (tracked, renewed), then idles as the 10-project row."}
	url, err := l.portal("portal-10000", "--projects", "10000")
	if err != nil {
		r.err = err
		return r
	}
	big, err := l.agent("agent-10000", url)
	if err == nil {
		err = big.login()
	}
	if err == nil {
		_, err = big.track(1000)
	}
	if big != nil {
		defer big.stop()
	}
	if err != nil {
		r.err = err
		return r
	}
	time.Sleep(settle)
	r.value, r.err = vmRSS(big.pid())
	return r
}
