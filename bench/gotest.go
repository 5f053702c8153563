//go:build linux

package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// goBench runs the named Go benchmarks of pkg count times and returns each
// one's median ns/op, benchstat-style, in seconds.
func goBench(pkg, pattern string, count int, benchtime string) (map[string]float64, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "test", "-run", "^$", "-bench", pattern, "-benchtime", benchtime,
		"-count", strconv.Itoa(count), pkg)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("go test -bench %s %s: %v\n%s", pattern, pkg, err, out)
	}
	runs := parseBench(out)
	if len(runs) == 0 {
		return nil, fmt.Errorf("go test -bench %s %s printed no results:\n%s", pattern, pkg, out)
	}
	med := make(map[string]float64)
	for name, ns := range runs {
		med[name] = median(ns) / 1e9
	}
	return med, nil
}

// benchLine is a result line: name-GOMAXPROCS, iterations, ns/op.
var benchLine = regexp.MustCompile(`^(Benchmark\S+?)(?:-\d+)?\s+\d+\s+([0-9.]+) ns/op`)

// parseBench collects the ns/op of every result line by benchmark name.
func parseBench(out []byte) map[string][]float64 {
	runs := make(map[string][]float64)
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		m := benchLine.FindStringSubmatch(strings.TrimSpace(sc.Text()))
		if m == nil {
			continue
		}
		if ns, err := strconv.ParseFloat(m[2], 64); err == nil {
			runs[m[1]] = append(runs[m[1]], ns)
		}
	}
	return runs
}

// tuiRows are the TUI rows from tui's own benchmarks.
func tuiRows(count int, benchtime string) []row {
	frame := row{what: "TUI Update+View, 1,000 projects", unit: unitDuration, limit: 2e-3, baseName: "—",
		note: "tui.BenchmarkFrame1000: one countdown tick plus every other key press, and the frame drawn; median ns/op of the runs."}
	first := row{what: "TUI start to first frame", unit: unitDuration, limit: 100e-3, baseName: "—",
		note: "tui.BenchmarkStartToFirstFrame: new client and model, status + user token + projects + tracked tokens over a Unix socket, first View."}
	m, err := goBench("./tui/", "^(BenchmarkFrame1000|BenchmarkStartToFirstFrame)$", count, benchtime)
	if err != nil {
		frame.err, first.err = err, err
		return []row{frame, first}
	}
	var ok bool
	if frame.value, ok = m["BenchmarkFrame1000"]; !ok {
		frame.err = fmt.Errorf("no result for BenchmarkFrame1000")
	}
	if first.value, ok = m["BenchmarkStartToFirstFrame"]; !ok {
		first.err = fmt.Errorf("no result for BenchmarkStartToFirstFrame")
	}
	return []row{frame, first}
}
