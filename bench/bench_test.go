//go:build linux

package main

import (
	"bytes"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/slices-ri/slices-agent/ipc"
)

func TestQuantile(t *testing.T) {
	xs := []float64{10, 1, 9, 2, 8, 3, 7, 4, 6, 5}
	for _, tc := range []struct {
		q    float64
		want float64
	}{{0, 1}, {0.5, 5}, {0.9, 9}, {0.99, 10}, {1, 10}} {
		if got := quantile(append([]float64(nil), xs...), tc.q); got != tc.want {
			t.Errorf("quantile(%v) = %v, want %v", tc.q, got, tc.want)
		}
	}
	if !math.IsNaN(quantile(nil, 0.5)) {
		t.Error("quantile of nothing is not NaN")
	}
	orig := []float64{3, 1, 2}
	if median(orig) != 2 || orig[0] != 3 {
		t.Errorf("median sorted its argument or got it wrong: %v", orig)
	}
}

func TestVerdict(t *testing.T) {
	for _, tc := range []struct {
		name string
		r    row
		want verdict
	}{
		{"absolute under", row{value: 90e-6, limit: 100e-6}, pass},
		{"absolute over", row{value: 110e-6, limit: 100e-6}, miss},
		{"ratio under", row{value: 1.2, baseline: 1, limit: 1.3, ratioOf: true}, pass},
		{"ratio over", row{value: 1.4, baseline: 1, limit: 1.3, ratioOf: true}, miss},
		{"at least, met", row{value: 90, baseline: 100, limit: 0.8, ratioOf: true, atLeast: true}, pass},
		{"at least, short", row{value: 70, baseline: 100, limit: 0.8, ratioOf: true, atLeast: true}, miss},
		{"ratio without baseline", row{value: 1, limit: 1, ratioOf: true}, fail},
		{"error", row{err: errors.New("boom")}, fail},
		{"skipped", row{skipped: "no ssh-agent"}, skip},
		{"info", row{value: 5, baseline: 1, info: true}, info},
	} {
		if got := tc.r.verdict(); got != tc.want {
			t.Errorf("%s: %s, want %s", tc.name, got, tc.want)
		}
	}
}

func TestUnitFormat(t *testing.T) {
	for _, tc := range []struct {
		u    unit
		x    float64
		want string
	}{
		{unitDuration, 85.25e-6, "85.2 µs"},
		{unitDuration, 2.5e-3, "2.50 ms"},
		{unitRate, 41234.4, "41234 req/s"},
		{unitBytes, 20 << 20, "20.0 MiB"},
		{unitPlain, 1.0666, "1.067"},
	} {
		if got := tc.u.format(tc.x); got != tc.want {
			t.Errorf("format(%v) = %q, want %q", tc.x, got, tc.want)
		}
	}
}

func TestWriteMarkdown(t *testing.T) {
	rows := []row{
		{what: "a | b", value: 2e-3, baseline: 4e-3, baseName: "ssh-add -l", unit: unitDuration, limit: 1, ratioOf: true, note: "the note"},
		{what: "rss", value: 30 << 20, unit: unitBytes, limit: 20 << 20},
		{what: "gone", skipped: "oidc-token not installed", limit: 1, ratioOf: true},
	}
	var b bytes.Buffer
	writeMarkdown(&b, rows)
	got := b.String()
	for _, want := range []string{
		`| a \| b [1] | 2.00 ms | 4.00 ms (ssh-add -l) | 0.50× | ≤ 1× | PASS |`,
		`| rss | 30.0 MiB | — | — | ≤ 20.0 MiB | MISS |`,
		`| gone | skipped: oidc-token not installed | — | — | ≤ 1× | SKIP |`,
		"1. the note",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("markdown lacks %q:\n%s", want, got)
		}
	}
}

func TestParseBench(t *testing.T) {
	out := []byte(`goos: linux
BenchmarkFrame1000-2          	    1234	    901234 ns/op	  12345 B/op	     99 allocs/op
BenchmarkFrame1000-2          	    1234	    801234.5 ns/op
BenchmarkStartToFirstFrame    	     100	   1070000 ns/op
PASS
`)
	got := parseBench(out)
	if f := got["BenchmarkFrame1000"]; len(f) != 2 || f[0] != 901234 || f[1] != 801234.5 {
		t.Errorf("Frame1000: %v", f)
	}
	if f := got["BenchmarkStartToFirstFrame"]; len(f) != 1 || f[0] != 1070000 {
		t.Errorf("StartToFirstFrame: %v", f)
	}
}

func TestParseHyperfine(t *testing.T) {
	ts, err := parseHyperfine([]byte(`{"results":[{"command":"ssh-add -l","mean":0.0031,"median":0.0029,"times":[0.003,0.0029]}]}`))
	if err != nil || len(ts) != 2 || ts[0] != 0.003 || ts[1] != 0.0029 {
		t.Errorf("times %v, %v", ts, err)
	}
	if _, err := parseHyperfine([]byte(`{"results":[]}`)); err == nil {
		t.Error("no results accepted")
	}
	if _, err := parseHyperfine([]byte(`{"results":[{"median":0.002}]}`)); err == nil {
		t.Error("a result without times accepted")
	}
}

func TestRenewalRow(t *testing.T) {
	ps := []ipc.Project{{ID: "p1"}, {ID: "p2"}}
	// 290 s at 10 s tokens: 40 renewals due per project (290 / 7.25).
	st := portalStats{Requests: map[string]int{"project_token": 88}, ProjectTokens: map[string]int{"p1": 44, "p2": 43}}
	r := renewalRow(st, ps, 10*time.Second, 290*time.Second, 7)
	if math.Abs(r.value-1.1) > 1e-9 || r.verdict() != pass {
		t.Errorf("value %v (%s), want 1.1 PASS", r.value, r.verdict())
	}
	if !strings.Contains(r.note, "min 43, median 44, max 44") || !strings.Contains(r.note, "1.52 requests") {
		t.Errorf("note: %s", r.note)
	}
	st.Requests["project_token"] = 100
	if r := renewalRow(st, ps, 10*time.Second, 290*time.Second, 7); r.verdict() != miss {
		t.Errorf("1.25 requests per renewal: %s", r.verdict())
	}
	if r := renewalRow(st, ps, 10*time.Second, time.Minute, 0, errors.New("stats")); r.verdict() != fail {
		t.Errorf("an error: %s", r.verdict())
	}
}

func TestThousands(t *testing.T) {
	for n, want := range map[int]string{7: "7", 1000: "1,000", 1234567: "1,234,567"} {
		if got := thousands(n); got != want {
			t.Errorf("thousands(%d) = %q", n, got)
		}
	}
}
