package agent

// Serving: what a client may ask for.

import (
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/slices-ri/slices-agent/devportal"
	"github.com/slices-ri/slices-agent/ipc"
)

func TestBadRequests(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t, devportal.Options{TokenTTL: time.Minute})
		a := w.agent()
		login(t, a)
		p := firstProject(t, a)
		if _, err := a.ProjectToken(testCtx(t), "no-such-project", 0); code(err) != ipc.CodeUnknownProject {
			t.Errorf("unknown project: %v", err)
		}
		if _, err := a.ProjectToken(testCtx(t), p.ID, 2*time.Minute); code(err) != ipc.CodeBadRequest {
			t.Errorf("min_valid beyond the lifetime: %v", err)
		}
		if _, err := a.ProjectToken(testCtx(t), p.ID, 50*time.Second); code(err) != ipc.CodeBadRequest {
			t.Errorf("min_valid 50s of a 60s lifetime (over three quarters): %v, want bad_request", err)
		}
		w.dp.ResetStats()
		for range 3 {
			tok, err := a.ProjectToken(testCtx(t), p.ID, 40*time.Second)
			if err != nil || time.Until(tok.ExpiresAt) < 40*time.Second {
				t.Fatalf("min_valid 40s of 60s: %v, %v left", err, time.Until(tok.ExpiresAt))
			}
		}
		if n := w.dp.Stats().ProjectTokens[p.ID]; n > 1 {
			t.Errorf("three requests with min_valid 40s made %d portal calls, want at most one", n)
		}
	})
}

// min_valid equal to the lifetime can never be met: 400 at once, no portal calls.
func TestMinValidOfTheWholeLifetime(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t, devportal.Options{})
		a, p := w.holding()
		w.dp.ResetStats()
		for range 5 {
			if _, err := a.ProjectToken(testCtx(t), p.ID, time.Hour); code(err) != ipc.CodeBadRequest {
				t.Fatalf("min_valid 1h of a 1h token: %v, want bad_request", err)
			}
		}
		if n := w.dp.Stats().Requests["project_token"]; n != 0 {
			t.Errorf("5 impossible requests made %d portal calls", n)
		}
	})
}

func TestMistypedProjectGetsDidYouMean(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t, devportal.Options{})
		a := w.agent()
		login(t, a)
		_, err := a.ProjectToken(testCtx(t), "ilabt-dve", 0)
		e, ok := ipc.AsError(err)
		if !ok || e.Code != ipc.CodeUnknownProject || !strings.Contains(e.Hint, `did you mean "ilabt-dev"`) {
			t.Fatalf("a typo of ilabt-dev: %+v", err)
		}
		_, err = a.ProjectToken(testCtx(t), "nothing-like-it", 0)
		if e, _ := ipc.AsError(err); e == nil || strings.Contains(e.Hint, "did you mean") {
			t.Errorf("a name close to nothing: %+v", err)
		}
	})
}

func TestEditDistance(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want int
	}{{"ilabt-dev", "ilabt-dev", 0}, {"ilabt-dev", "ilabt-dve", 2}, {"gpu", "gpus", 1}, {"", "abc", 3}, {"žluť", "zluť", 1}} {
		if got := editDistance(c.a, c.b); got != c.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", c.a, c.b, got, c.want)
		}
	}
}
