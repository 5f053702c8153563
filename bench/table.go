//go:build linux

package main

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// verdict is a row's outcome against its target.
type verdict string

const (
	pass verdict = "PASS"
	miss verdict = "MISS"
	skip verdict = "SKIP" // a baseline or tool was not available
	fail verdict = "ERROR"
	info verdict = "info" // a reference row, not judged
)

// unit says how a row's numbers print.
type unit int

const (
	unitDuration unit = iota // seconds, printed as µs or ms
	unitRate                 // requests per second
	unitBytes                // bytes, printed as MiB
	unitPlain                // a dimensionless number
)

// row is one line of the table: our value, the baseline measured in the same
// run (zero when the baseline is a constant or absent), and the target.
type row struct {
	what     string
	value    float64
	baseline float64 // 0: no baseline measured
	baseName string  // what the baseline is ("ssh-add -l", "bare server", "ideal")
	unit     unit
	// target: the value must be ≤ (or ≥ when atLeast) limit; ratio targets
	// compare value/baseline, absolute ones compare value.
	limit   float64
	ratioOf bool
	atLeast bool
	note    string
	err     error  // the measurement failed
	skipped string // why the row was not measured
	info    bool   // shown for reference, not judged
}

// ratio is value ÷ baseline, or NaN without a baseline.
func (r row) ratio() float64 {
	if r.baseline == 0 {
		return math.NaN()
	}
	return r.value / r.baseline
}

// verdict judges the row against its target.
func (r row) verdict() verdict {
	switch {
	case r.err != nil:
		return fail
	case r.skipped != "":
		return skip
	case r.info:
		return info
	}
	v := r.value
	if r.ratioOf {
		v = r.ratio()
		if math.IsNaN(v) {
			return fail
		}
	}
	if r.atLeast {
		if v >= r.limit {
			return pass
		}
		return miss
	}
	if v <= r.limit {
		return pass
	}
	return miss
}

// format prints x in the row's unit.
func (u unit) format(x float64) string {
	switch u {
	case unitDuration:
		d := time.Duration(x * float64(time.Second))
		if d < time.Millisecond {
			return fmt.Sprintf("%.1f µs", float64(d)/float64(time.Microsecond))
		}
		return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond))
	case unitRate:
		return fmt.Sprintf("%.0f req/s", x)
	case unitBytes:
		return fmt.Sprintf("%.1f MiB", x/(1<<20))
	}
	return fmt.Sprintf("%.3f", x)
}

func (r row) targetText() string {
	if r.info {
		return "—"
	}
	op := "≤"
	if r.atLeast {
		op = "≥"
	}
	if r.ratioOf {
		return op + " " + strconv.FormatFloat(r.limit, 'f', -1, 64) + "×"
	}
	return op + " " + r.unit.format(r.limit)
}

// cells are the row's printed columns: what, value, baseline, ratio, target, verdict.
func (r row) cells() []string {
	value, base, ratio := "—", "—", "—"
	switch {
	case r.err != nil:
		value = "error: " + firstLine(r.err.Error())
	case r.skipped != "":
		value = "skipped: " + r.skipped
	default:
		value = r.unit.format(r.value)
		if r.baseline != 0 {
			base = r.unit.format(r.baseline) + " (" + r.baseName + ")"
			ratio = fmt.Sprintf("%.2f×", r.ratio())
		} else if r.baseName != "" {
			base = r.baseName
		}
	}
	return []string{r.what, value, base, ratio, r.targetText(), string(r.verdict())}
}

var header = []string{"what", "value", "baseline (same run)", "ratio", "target", ""}

// writeMarkdown writes the rows as a Markdown table, each row's note as a
// numbered footnote below it.
func writeMarkdown(w io.Writer, rows []row) {
	fmt.Fprintf(w, "| %s |\n", strings.Join(header, " | "))
	fmt.Fprintf(w, "|%s\n", strings.Repeat("---|", len(header)))
	var notes []string
	for _, r := range rows {
		c := r.cells()
		if r.note != "" {
			notes = append(notes, r.note)
			c[0] += fmt.Sprintf(" [%d]", len(notes))
		}
		for i := range c {
			c[i] = strings.ReplaceAll(c[i], "|", `\|`)
		}
		fmt.Fprintf(w, "| %s |\n", strings.Join(c, " | "))
	}
	if len(notes) > 0 {
		fmt.Fprintln(w)
	}
	for i, n := range notes {
		fmt.Fprintf(w, "%d. %s\n", i+1, n)
	}
}

// writeText writes the rows as an aligned plain-text table for a terminal.
func writeText(w io.Writer, rows []row) {
	all := [][]string{header}
	for _, r := range rows {
		all = append(all, r.cells())
	}
	width := make([]int, len(header))
	for _, c := range all {
		for i, s := range c {
			width[i] = max(width[i], len([]rune(s)))
		}
	}
	for _, c := range all {
		var b strings.Builder
		for i, s := range c {
			b.WriteString(s)
			if i < len(c)-1 {
				b.WriteString(strings.Repeat(" ", width[i]-len([]rune(s))+2))
			}
		}
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
	}
}

// quantile is the q-quantile (0 ≤ q ≤ 1) of xs by the nearest-rank method;
// xs is sorted in place. NaN for no samples.
func quantile(xs []float64, q float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	slices.Sort(xs)
	i := int(math.Ceil(q*float64(len(xs)))) - 1
	return xs[min(max(i, 0), len(xs)-1)]
}

// median is quantile(xs, 0.5) on a copy.
func median(xs []float64) float64 {
	return quantile(slices.Clone(xs), 0.5)
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}
