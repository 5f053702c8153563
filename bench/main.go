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
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"
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
		rounds: 5, round: 2 * time.Second, warmup: 5, runs: 50, tuiCount: 5, tuiTime: "1s"}
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
	if err := build(l.bin, true, "./cmd/slices-agent", "./cmd/slices-devportal", "./bench/floor"); err != nil {
		return nil, info, err
	}
	if err := build(plain, false, "./cmd/slices-agent"); err != nil {
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
	rows = append(rows, rssRow(a, 10, 20<<20, cfg.settle))

	logf("agent with 1,000 tracked projects")
	big, err := l.agent("agent-1000", portalURL)
	if err == nil {
		err = big.login()
	}
	if err == nil {
		_, err = big.track(1000)
	}
	if err != nil {
		rows = append(rows, row{what: "agent RSS, idle after login, 1,000 tracked projects", unit: unitBytes, limit: 40 << 20, err: err})
	} else {
		rows = append(rows, rssRow(big, 1000, 40<<20, cfg.settle))
	}
	if big != nil {
		big.stop()
	}

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
