package agent

import (
	"context"
	"net/http"
	"testing"
	"testing/synctest"

	"github.com/slices-ri/slices-agent/ipc"
)

// At most maxSubscribers event streams: the next one is refused with 503
// until one ends.
func TestEventSubscribersAreBounded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a := New(Options{})
		defer a.Close()
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		var first context.CancelFunc
		for i := range maxSubscribers {
			sctx, scancel := context.WithCancel(ctx)
			if i == 0 {
				first = scancel
			} else {
				defer scancel()
			}
			if _, err := a.TrySubscribe(sctx); err != nil {
				t.Fatalf("subscriber %d: %v", i+1, err)
			}
		}
		_, err := a.TrySubscribe(ctx)
		e, ok := ipc.AsError(err)
		if !ok || e.Status != http.StatusServiceUnavailable || e.Code != ipc.CodeTooManySubscribers {
			t.Fatalf("subscriber %d: %v, want 503 %s", maxSubscribers+1, err, ipc.CodeTooManySubscribers)
		}
		if ch := a.Subscribe(ctx); ch != nil {
			if _, open := <-ch; open {
				t.Error("Subscribe beyond the bound delivered an event")
			}
		}
		first()
		synctest.Wait()
		if _, err := a.TrySubscribe(ctx); err != nil {
			t.Errorf("after one stream ended: %v", err)
		}
	})
}
