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
	type spec struct {
		bench, what string
		limit       float64
		note        string
	}
	specs := []spec{
		{"BenchmarkFrame1000", "TUI Update+View, 1,000 projects", 2e-3,
			"tui.BenchmarkFrame1000 and BenchmarkFrame10000: one countdown tick plus every other key press, and the frame drawn; median ns/op of the runs."},
		{"BenchmarkFrame10000", "TUI Update+View, 10,000 projects (1,000 tracked)", 2e-3, ""},
		{"BenchmarkStartToFirstFrame", "TUI start to first frame, 6 projects", 100e-3,
			"tui.BenchmarkStartToFirstFrame and BenchmarkStartToFirstFrame10000: new client and model, status + user token + projects + tracked tokens over a Unix socket, first View."},
		{"BenchmarkStartToFirstFrame10000", "TUI start to first frame, 10,000 projects (1,000 tracked)", 100e-3, ""},
	}
	names := make([]string, len(specs))
	for i, sp := range specs {
		names[i] = sp.bench
	}
	m, err := goBench("./tui/", "^("+strings.Join(names, "|")+")$", count, benchtime)
	rows := make([]row, len(specs))
	for i, sp := range specs {
		r := row{what: sp.what, unit: unitDuration, limit: sp.limit, baseName: "—", note: sp.note, err: err}
		if err == nil {
			var ok bool
			if r.value, ok = m[sp.bench]; !ok {
				r.err = fmt.Errorf("no result for %s", sp.bench)
			}
		}
		rows[i] = r
	}
	return rows
}
