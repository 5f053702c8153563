package ipc

import (
	"io"
	"net/http"
	"sync"
	"time"
)

// ProcessingAfter is how long a handler may work (a renewal waiting for the
// portal) before the agent sends "102 Processing", so that a client can tell
// a busy agent from a hung one (see Client's AnswerWithin).
const ProcessingAfter = time.Second

// answerWriter is the ResponseWriter of a non-streaming route. It sets the
// connection's write deadline when the answer starts, so that a client that
// stops reading is cut off however long the answer took to make; and while
// the handler is still busy after ProcessingAfter the handler's
// processingWatch has it send 102 Processing.
//
// The handler's headers live in a map of its own until the answer starts, so
// that the 102, sent from the watch, never reads a map the handler writes.
type answerWriter struct {
	http.ResponseWriter
	timeout time.Duration
	header  http.Header // the handler's; used by the handler's goroutine only
	watch   *processingWatch

	mu       sync.Mutex
	started  bool // the answer has started: no 102 any more
	finished bool // the handler returned: the watch must not write
}

func newAnswerWriter(w http.ResponseWriter, timeout time.Duration, watch *processingWatch) *answerWriter {
	a := &answerWriter{ResponseWriter: w, timeout: timeout, header: make(http.Header, 4), watch: watch}
	watch.add(a)
	return a
}

// Header is the handler's header map, sent with the answer.
func (a *answerWriter) Header() http.Header { return a.header }

// processing sends 102 Processing unless the answer has started.
func (a *answerWriter) processing() {
	a.mu.Lock()
	defer a.mu.Unlock()
	if !a.started && !a.finished {
		a.ResponseWriter.WriteHeader(http.StatusProcessing)
	}
}

// start begins the answer: no more 102, the handler's headers, the deadline.
func (a *answerWriter) start() {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.started {
		return
	}
	a.started = true
	a.watch.remove(a)
	a.copyHeader()
	_ = http.NewResponseController(a.ResponseWriter).SetWriteDeadline(time.Now().Add(a.timeout))
}

// done stops the watch when the handler returns (a 102 being sent is waited
// for) and hands a handler's headers over if it wrote nothing.
func (a *answerWriter) done() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.finished = true
	if !a.started { // start took a off the watch already
		a.watch.remove(a)
		a.copyHeader()
	}
}

func (a *answerWriter) copyHeader() {
	h := a.ResponseWriter.Header()
	for k, v := range a.header {
		h[k] = v
	}
}

// WriteHeader starts the answer and sends the header.
func (a *answerWriter) WriteHeader(code int) {
	a.start()
	a.ResponseWriter.WriteHeader(code)
}

// Write starts the answer and writes.
func (a *answerWriter) Write(b []byte) (int, error) {
	a.start()
	return a.ResponseWriter.Write(b)
}

// WriteString starts the answer and writes s without copying it into a
// byte slice first (io.WriteString finds it).
func (a *answerWriter) WriteString(s string) (int, error) {
	a.start()
	return io.WriteString(a.ResponseWriter, s)
}

// Unwrap lets http.ResponseController reach the connection.
func (a *answerWriter) Unwrap() http.ResponseWriter { return a.ResponseWriter }

// processingWatch sends 102 Processing to every answer that has not started
// ProcessingAfter after it began. One goroutine, running only while answers
// are pending, does it for all of them: no timer per request.
type processingWatch struct {
	after time.Duration

	mu      sync.Mutex
	pending map[*answerWriter]time.Time
	running bool
}

func newProcessingWatch(after time.Duration) *processingWatch {
	return &processingWatch{after: after, pending: make(map[*answerWriter]time.Time)}
}

// add starts watching a.
func (p *processingWatch) add(a *answerWriter) {
	p.mu.Lock()
	p.pending[a] = time.Now()
	if !p.running {
		p.running = true
		go p.loop()
	}
	p.mu.Unlock()
}

// remove stops watching a.
func (p *processingWatch) remove(a *answerWriter) {
	p.mu.Lock()
	delete(p.pending, a)
	p.mu.Unlock()
}

// loop sleeps until the oldest pending answer is due, sends the 102s due,
// and ends when nothing is pending.
func (p *processingWatch) loop() {
	var due []*answerWriter
	for {
		p.mu.Lock()
		if len(p.pending) == 0 {
			p.running = false
			p.mu.Unlock()
			return
		}
		now := time.Now()
		next := p.after
		due = due[:0]
		for a, since := range p.pending {
			if left := p.after - now.Sub(since); left <= 0 {
				due = append(due, a)
				delete(p.pending, a)
			} else {
				next = min(next, left)
			}
		}
		p.mu.Unlock()
		for _, a := range due {
			a.processing()
		}
		time.Sleep(next)
	}
}
