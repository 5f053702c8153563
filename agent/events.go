package agent

import (
	"context"
	"sync"

	"github.com/slices-ri/slices-agent/ipc"
)

// maxSubscribers bounds the event streams served at once: each holds a
// connection, a goroutine and a buffer, and a local process of the user
// should not be able to make the agent hold unbounded numbers of them.
const maxSubscribers = 256

// broker fans events out to the subscribers of GET /v1/events. A subscriber
// that does not keep up loses events rather than stalling the agent.
type broker struct {
	mu   sync.Mutex
	max  int
	subs map[chan ipc.Event]struct{}
}

func newBroker() *broker {
	return &broker{max: maxSubscribers, subs: make(map[chan ipc.Event]struct{})}
}

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

// subscribe returns a channel of events that is closed when ctx ends, or
// false when b.max subscribers are already served.
func (b *broker) subscribe(ctx context.Context) (<-chan ipc.Event, bool) {
	ch := make(chan ipc.Event, 64)
	b.mu.Lock()
	if len(b.subs) >= b.max {
		b.mu.Unlock()
		return nil, false
	}
	b.subs[ch] = struct{}{}
	b.mu.Unlock()
	go func() {
		<-ctx.Done()
		b.mu.Lock()
		delete(b.subs, ch)
		b.mu.Unlock()
		close(ch)
	}()
	return ch, true
}
