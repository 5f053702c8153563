package ipc

import (
	"fmt"
	"net/url"
	"strconv"
	"time"
)

// ParseMinValid parses a min_valid value: a Go duration ("90s", "5m") or a
// number of seconds ("90", "1.5"); empty means zero.
func ParseMinValid(s string) (time.Duration, error) {
	if s == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		f, ferr := strconv.ParseFloat(s, 64)
		if ferr != nil || f != f || f > float64(1<<62)/float64(time.Second) {
			return 0, BadRequest(fmt.Sprintf("bad min_valid %q", s), "give a duration such as 90s or 5m, or seconds")
		}
		if f < 0 {
			return 0, BadRequest(fmt.Sprintf("negative min_valid %q", s), "")
		}
		d = time.Duration(f * float64(time.Second))
	}
	if d < 0 {
		return 0, BadRequest(fmt.Sprintf("negative min_valid %q", s), "")
	}
	return d, nil
}

// minValidQuery encodes min_valid, or "" for zero.
func minValidQuery(d time.Duration) string {
	if d <= 0 {
		return ""
	}
	if d%time.Second == 0 {
		return "min_valid=" + strconv.FormatInt(int64(d/time.Second), 10)
	}
	return "min_valid=" + url.QueryEscape(d.String())
}
