package agent

import (
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/slices-ri/slices-agent/devportal"
)

// Many clients asking for the projects list at once share one portal request.
func TestConcurrentProjectListsShareOneRequest(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t, devportal.Options{})
		a := w.agent()
		login(t, a)
		// A slow list, so that every caller arrives while the first request is out.
		w.dp.InjectFault(devportal.Fault{Path: "/apis/proj.slices-ri.eu/v1alpha1/projects/", Latency: 500 * time.Millisecond, Count: 1})
		w.dp.ResetStats()
		const n = 20
		var wg sync.WaitGroup
		errs := make(chan error, n)
		counts := make(chan int, n)
		start := make(chan struct{})
		for range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				ps, err := a.Projects(testCtx(t))
				errs <- err
				counts <- len(ps)
			}()
		}
		close(start)
		wg.Wait()
		close(errs)
		close(counts)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		for c := range counts {
			if c == 0 {
				t.Error("a caller got an empty list")
			}
		}
		if got := w.dp.Stats().Requests["projects"]; got != 1 {
			t.Errorf("%d concurrent look-ups made %d portal requests, want 1", n, got)
		}
	})
}
