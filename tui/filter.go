package tui

import (
	"slices"
	"sort"
	"strings"
)

// query is a filter as typed after '/': words that must all occur in a
// project's name or id, and role: and state: terms ("role:lead
// state:expiring dev").
type query struct {
	words  []string // lower case
	roles  []string // lower case; a project matches any of them
	states []string // lower case; a project matches any of them
}

// stateNames are the words state: understands, each with what it matches.
var stateNames = map[string]func(r *row, lv level) bool{
	"fresh":     func(_ *row, lv level) bool { return lv == levelPlenty },
	"valid":     func(_ *row, lv level) bool { return lv == levelPlenty || lv == levelLow || lv == levelCritical },
	"expiring":  func(_ *row, lv level) bool { return lv == levelLow || lv == levelCritical },
	"critical":  func(_ *row, lv level) bool { return lv == levelCritical },
	"expired":   func(_ *row, lv level) bool { return lv == levelExpired },
	"pending":   func(_ *row, lv level) bool { return lv == levelPending },
	"locked":    func(_ *row, lv level) bool { return lv == levelLocked },
	"tracked":   func(r *row, _ level) bool { return r.p.Tracked },
	"untracked": func(r *row, _ level) bool { return !r.p.Tracked },
	"failing":   func(r *row, _ level) bool { return r.lastErr != "" },
	"renewing":  func(r *row, _ level) bool { return r.state == "renewing" },
}

// parseQuery splits a typed filter into its terms.
func parseQuery(s string) query {
	var q query
	for _, f := range strings.Fields(strings.ToLower(s)) {
		switch {
		case strings.HasPrefix(f, "role:") && len(f) > len("role:"):
			q.roles = append(q.roles, strings.TrimPrefix(f, "role:"))
		case strings.HasPrefix(f, "state:") && len(f) > len("state:"):
			q.states = append(q.states, strings.TrimPrefix(f, "state:"))
		case f == "role:" || f == "state:":
			// still being typed: no constraint yet
		default:
			q.words = append(q.words, f)
		}
	}
	return q
}

// empty tells whether the query constrains nothing.
func (q query) empty() bool { return len(q.words)+len(q.roles)+len(q.states) == 0 }

// match tells whether r passes q as c sees it, and which bytes of r.name
// the words matched.
func (q query) match(r *row, c common) (bool, []int) {
	if q.empty() {
		return true, nil
	}
	if len(q.roles) > 0 && !anyPrefix(strings.ToLower(r.role), q.roles) {
		return false, nil
	}
	if len(q.states) > 0 {
		lv, ok := r.levelOf(c), false
		for _, s := range q.states {
			for name, f := range stateNames {
				if strings.HasPrefix(name, s) && f(r, lv) {
					ok = true
				}
			}
		}
		if !ok {
			return false, nil
		}
	}
	name, id := r.key, strings.ToLower(r.p.ID)
	var idx []int
	for _, w := range q.words {
		j := strings.Index(name, w)
		if j < 0 {
			if !strings.Contains(id, w) {
				return false, nil
			}
			continue
		}
		for k := range len(w) {
			idx = append(idx, j+k)
		}
	}
	sort.Ints(idx)
	return true, idx
}

// anyPrefix tells whether s starts with one of the prefixes.
func anyPrefix(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// sortRows orders rows as the list shows them: tracked projects first, then
// by name (ignoring case), then by id.
func sortRows(rows []*row) {
	if slices.IsSortedFunc(rows, compareRows) {
		return // the common case: nothing moved since the last message
	}
	slices.SortStableFunc(rows, compareRows)
}

// compareRows orders two rows for sortRows.
func compareRows(a, b *row) int {
	switch {
	case a.p.Tracked != b.p.Tracked && a.p.Tracked:
		return -1
	case a.p.Tracked != b.p.Tracked:
		return 1
	case a.key != b.key:
		return strings.Compare(a.key, b.key)
	}
	return strings.Compare(a.p.ID, b.p.ID)
}
