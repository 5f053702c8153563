package wire

import (
	"bufio"
	"context"
	"errors"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
)

// MaxHeadBytes bounds an answer's status line and header fields together.
const MaxHeadBytes = 64 << 10

// ErrUnresponsive is an agent that took the connection, or left it queued
// (see DialContext), and did not start answering in the time it was given.
var ErrUnresponsive = errors.New("the agent did not answer")

// ProtocolError is an answer that is not HTTP/1.1, or a request that
// cannot be written as HTTP/1.1.
type ProtocolError struct{ Reason string }

// Error says what was wrong.
func (e *ProtocolError) Error() string { return "not HTTP/1.1: " + e.Reason }

func badf(reason string) error { return &ProtocolError{Reason: reason} }

// Header holds header fields by canonical key, as net/http's Header does.
type Header map[string][]string

// Get returns the first value of key, or "".
func (h Header) Get(key string) string {
	if v := h[CanonicalKey(key)]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// CanonicalKey is key as net/http writes it: "content-length" is
// "Content-Length".
func CanonicalKey(key string) string {
	b := []byte(key)
	upper := true
	for i, c := range b {
		switch {
		case upper && 'a' <= c && c <= 'z':
			b[i] = c - 'a' + 'A'
		case !upper && 'A' <= c && c <= 'Z':
			b[i] = c - 'A' + 'a'
		}
		upper = c == '-'
	}
	return string(b)
}

// Request is one request to the agent.
type Request struct {
	Method string
	// Target is the escaped path and query, as on the request line:
	// "/v1/projects/ilabt-dev/token?min_valid=90".
	Target string
	// Header holds the fields sent besides Host, Content-Length and
	// Connection, which RoundTrip writes itself.
	Header Header
	Body   []byte
}

// Response is the agent's final answer: 1xx answers are skipped.
type Response struct {
	StatusCode int
	Status     string // "200 OK"
	Header     Header
	// ContentLength is the body's length, or -1 when the answer is chunked
	// or ends at EOF.
	ContentLength int64
	// Body is the answer's body; closing it closes the connection.
	Body io.ReadCloser
}

// RoundTrip writes req on c and reads the agent's answer. The connection
// carries this one request (Connection: close): closing the answer's body
// closes it, and so does an error. The first byte of an answer (a 1xx
// counts) must come within answerWithin, else ErrUnresponsive (zero: no
// such limit); ctx's deadline bounds every read and write, and cancelling
// ctx ends one in progress.
func (c *Conn) RoundTrip(ctx context.Context, req *Request, answerWithin time.Duration) (*Response, error) {
	if err := ctx.Err(); err != nil {
		c.Close()
		return nil, err
	}
	end, _ := ctx.Deadline()
	c.ctx, c.end = ctx, end
	stop := context.AfterFunc(ctx, c.Shutdown)
	fail := func(err error) (*Response, error) {
		stop()
		c.Close()
		return nil, c.callErr(err)
	}
	if err := c.setTimeouts(end); err != nil {
		return fail(err)
	}
	msg, err := req.encode()
	if err != nil {
		return fail(err)
	}
	if _, err := c.Write(msg); err != nil {
		return fail(err)
	}
	// The watchdog: the first byte of an answer must come by first; after
	// it only ctx's deadline holds.
	first := end
	if answerWithin > 0 && (end.IsZero() || time.Until(end) > answerWithin) {
		first = time.Now().Add(answerWithin)
	}
	if err := c.setReadTimeout(first); err != nil {
		return fail(err)
	}
	br := bufio.NewReaderSize(c, 4096)
	if _, err := br.Peek(1); err != nil {
		if errors.Is(err, ErrTimedOut) && !first.Equal(end) && ctx.Err() == nil {
			stop()
			c.Close()
			return nil, ErrUnresponsive
		}
		return fail(err)
	}
	if err := c.setReadTimeout(end); err != nil {
		return fail(err)
	}
	for {
		resp, err := readHead(br)
		if err != nil {
			return fail(err)
		}
		if resp.StatusCode < 200 { // 102 Processing and the like come before the answer
			continue
		}
		body, err := bodyOf(resp, br)
		if err != nil {
			return fail(err)
		}
		resp.Body = &connBody{Reader: body, conn: c, stop: stop}
		return resp, nil
	}
}

// encode writes the request line, the header fields and the body.
func (r *Request) encode() ([]byte, error) {
	if r.Method == "" || strings.ContainsAny(r.Method, " \t\r\n") {
		return nil, badf("bad method " + strconv.Quote(r.Method))
	}
	if !strings.HasPrefix(r.Target, "/") || strings.ContainsAny(r.Target, " \t\r\n\x00") {
		return nil, badf("bad request target " + strconv.Quote(r.Target))
	}
	b := make([]byte, 0, 192+len(r.Body))
	b = append(b, r.Method...)
	b = append(b, ' ')
	b = append(b, r.Target...)
	b = append(b, " HTTP/1.1\r\nHost: agent\r\n"...)
	for _, k := range slices.Sorted(maps.Keys(r.Header)) {
		if k == "" || strings.ContainsAny(k, " \t\r\n:\x00") {
			return nil, badf("bad header name " + strconv.Quote(k))
		}
		for _, v := range r.Header[k] {
			if strings.ContainsAny(v, "\r\n\x00") {
				return nil, badf("bad value of header " + k)
			}
			b = append(append(append(append(b, k...), ": "...), v...), "\r\n"...)
		}
	}
	if len(r.Body) > 0 || r.Method == "POST" || r.Method == "PUT" || r.Method == "PATCH" {
		b = append(append(append(b, "Content-Length: "...), strconv.Itoa(len(r.Body))...), "\r\n"...)
	}
	b = append(b, "Connection: close\r\n\r\n"...)
	return append(b, r.Body...), nil
}

// readHead reads a status line and header fields, at most MaxHeadBytes.
func readHead(br *bufio.Reader) (*Response, error) {
	n := 0
	line, err := readLine(br, &n)
	if err != nil {
		return nil, err
	}
	proto, status, _ := strings.Cut(line, " ")
	if proto != "HTTP/1.1" && proto != "HTTP/1.0" {
		return nil, badf("status line " + strconv.Quote(line))
	}
	code, _, _ := strings.Cut(status, " ")
	sc, err := strconv.Atoi(code)
	if len(code) != 3 || err != nil || sc < 100 {
		return nil, badf("status line " + strconv.Quote(line))
	}
	resp := &Response{StatusCode: sc, Status: status, Header: Header{}, ContentLength: -1}
	for {
		line, err := readLine(br, &n)
		if err != nil {
			return nil, err
		}
		if line == "" {
			return resp, nil
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok || k == "" || strings.ContainsAny(k, " \t") {
			return nil, badf("header line " + strconv.Quote(line))
		}
		k = CanonicalKey(k)
		resp.Header[k] = append(resp.Header[k], strings.Trim(v, " \t"))
	}
}

// readLine reads one line without its CRLF, counting its bytes into n.
func readLine(br *bufio.Reader, n *int) (string, error) {
	b, err := br.ReadSlice('\n')
	*n += len(b)
	switch {
	case errors.Is(err, bufio.ErrBufferFull) || *n > MaxHeadBytes:
		return "", badf("header longer than " + strconv.Itoa(MaxHeadBytes) + " bytes")
	case err == io.EOF:
		return "", io.ErrUnexpectedEOF
	case err != nil:
		return "", err
	}
	return string(trimCRLF(b)), nil
}

func trimCRLF(b []byte) []byte {
	b = b[:len(b)-1]
	if len(b) > 0 && b[len(b)-1] == '\r' {
		b = b[:len(b)-1]
	}
	return b
}

// Deadline is a context with deadline end that is never cancelled and
// starts no runtime timer (context.WithDeadline does, and with it the
// network poller): RoundTrip holds the deadline with the socket's own
// timeouts, and its errors are then ErrTimedOut rather than the context's.
// It suits a process that makes one call and exits.
func Deadline(end time.Time) context.Context { return deadlineCtx{context.Background(), end} }

type deadlineCtx struct {
	context.Context
	end time.Time
}

func (d deadlineCtx) Deadline() (time.Time, bool) { return d.end, true }

// Escape percent-encodes every byte of s but the unreserved ones (letters,
// digits, "-", ".", "_", "~"): a path segment or a query value that
// reaches the agent as it was given. A segment of dots only ("." or "..")
// is encoded whole, so that no router takes it for a step up the path.
func Escape(s string) string {
	const hex = "0123456789ABCDEF"
	if s == "." || s == ".." {
		return strings.Repeat("%2E", len(s))
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '-', c == '.', c == '_', c == '~':
			b = append(b, c)
		default:
			b = append(b, '%', hex[c>>4], hex[c&15])
		}
	}
	return string(b)
}
