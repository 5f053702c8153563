package agent

import (
	"context"
	"sync"

	"github.com/slices-ri/slices-agent/ipc"
)

// broker fans events out to the subscribers of GET /v1/events. A subscriber
// that does not keep up loses events rather than stalling the agent.
type broker struct {
	mu   sync.Mutex
	subs map[chan ipc.Event]struct{}
}

func newBroker() *broker { return &broker{subs: make(map[chan ipc.Event]struct{})} }

// publish sends ev to every subscriber without blocking.
func (b *broker) publish(ev ipc.Event) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for ch := range b.subs {
		select {
		case ch <- ev:
		default:
		}
	}
}

// subscribe returns a channel of events that is closed when ctx ends.
func (b *broker) subscribe(ctx context.Context) <-chan ipc.Event {
	ch := make(chan ipc.Event, 64)
	b.mu.Lock()
	b.subs[ch] = struct{}{}
	b.mu.Unlock()
	go func() {
		<-ctx.Done()
		b.mu.Lock()
		delete(b.subs, ch)
		b.mu.Unlock()
		close(ch)
	}()
	return ch
}
