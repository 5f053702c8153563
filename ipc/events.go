package ipc

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"
)

// LimitedSubscriber is a Service that bounds its event subscribers: the
// handler answers GET /v1/events with TrySubscribe's error (a 503 from
// TooManySubscribers) instead of a stream when it refuses.
type LimitedSubscriber interface {
	TrySubscribe(ctx context.Context) (<-chan Event, error)
}

// CodeTooManySubscribers is the error code of a refused event subscription.
const CodeTooManySubscribers = "too_many_subscribers"

// TooManySubscribers is a 503 too_many_subscribers error: the agent already
// serves max event streams.
func TooManySubscribers(max int) *Error {
	return &Error{Status: http.StatusServiceUnavailable, Code: CodeTooManySubscribers,
		Message: fmt.Sprintf("the agent already serves %d event streams", max),
		Hint:    "close some of them (TUIs, scripts following 'events') and try again"}
}

// events serves GET /v1/events as Server-Sent Events until the client goes
// away, the request context ends or the Service closes its channel.
func (h *handler) events(w http.ResponseWriter, r *http.Request) error {
	// No read deadline to lift: net/http clears the ReadTimeout deadline once
	// the request is read (TestEventsWire checks the stream outlives it).
	rc := http.NewResponseController(w)
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	var ch <-chan Event
	if ls, ok := h.svc.(LimitedSubscriber); ok {
		var err error
		if ch, err = ls.TrySubscribe(ctx); err != nil {
			return err
		}
	} else {
		ch = h.svc.Subscribe(ctx)
	}

	hd := w.Header()
	hd.Set("Content-Type", "text/event-stream")
	hd.Set("Cache-Control", "no-store")
	hd.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	if err := rc.Flush(); err != nil {
		return nil
	}
	ping := time.NewTicker(h.opts.KeepAlive)
	defer ping.Stop()
	var buf bytes.Buffer
	for {
		buf.Reset()
		select {
		case <-ctx.Done():
			return nil
		case <-ping.C:
			buf.WriteString(": ping\n\n")
		case ev, ok := <-ch:
			if !ok {
				return nil
			}
			data, err := json.Marshal(ev)
			if err != nil {
				h.opts.Logger.Warn("cannot encode event", "type", ev.Type, "err", err)
				continue
			}
			buf.WriteString("event: ")
			buf.WriteString(sseField(ev.Type))
			buf.WriteString("\ndata: ")
			buf.Write(data)
			buf.WriteString("\n\n")
		}
		_ = rc.SetWriteDeadline(time.Now().Add(h.opts.WriteTimeout))
		if _, err := w.Write(buf.Bytes()); err != nil {
			return nil
		}
		if err := rc.Flush(); err != nil {
			return nil
		}
	}
}

// sseField keeps a value on one line: SSE fields end at CR or LF.
func sseField(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] == '\n' || s[i] == '\r' {
			return s[:i]
		}
	}
	return s
}

// readEvents parses a Server-Sent Events stream into ch until the stream ends
// or ctx is done, then closes ch and body.
func readEvents(ctx context.Context, body io.ReadCloser, ch chan<- Event) {
	defer close(ch)
	defer body.Close()
	stop := context.AfterFunc(ctx, func() { body.Close() })
	defer stop()
	sc := bufio.NewScanner(body)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	var typ string
	var data []byte
	for sc.Scan() {
		line := sc.Bytes()
		switch {
		case len(line) == 0:
			if len(data) > 0 {
				var ev Event
				if json.Unmarshal(data, &ev) == nil {
					if ev.Type == "" {
						ev.Type = typ
					}
					select {
					case ch <- ev:
					case <-ctx.Done():
						return
					}
				}
			}
			typ, data = "", data[:0]
		case line[0] == ':':
			// comment, e.g. keep-alive
		case bytes.HasPrefix(line, []byte("event:")):
			typ = string(bytes.TrimPrefix(bytes.TrimPrefix(line, []byte("event:")), []byte(" ")))
		case bytes.HasPrefix(line, []byte("data:")):
			if len(data) > 0 {
				data = append(data, '\n')
			}
			data = append(data, bytes.TrimPrefix(bytes.TrimPrefix(line, []byte("data:")), []byte(" "))...)
		}
	}
}
