package wire

import (
	"bufio"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

// What an answer comes to.
const (
	fine      = iota // read whole
	malformed        // a *ProtocolError
	short            // io.ErrUnexpectedEOF
)

// endless writes head, then fill over and over until the client goes.
func endless(head, fill string) func(c net.Conn) {
	return func(c net.Conn) {
		if _, err := c.Write([]byte(head)); err != nil {
			return
		}
		block := []byte(strings.Repeat(fill, 64))
		for {
			if _, err := c.Write(block); err != nil {
				return
			}
		}
	}
}

func headers(n int) string { return strings.Repeat("X-Filler: "+strings.Repeat("f", 90)+"\r\n", n) }

// Hostile and malformed answers from a hand-written server are refused
// with a *ProtocolError or io.ErrUnexpectedEOF, in the head or in the body
// as the fault lies, and never read without bound; odd but valid ones are
// read whole.
func TestRawAnswers(t *testing.T) {
	const ok = "HTTP/1.1 200 OK\r\n"
	cases := []struct {
		name   string
		answer func(c net.Conn)
		want   int
		inBody bool   // the fault shows when the body is read
		body   string // for fine and short: what the body holds
		code   int
	}{
		{"no space after the protocol", writeAll("HTTP/1.1200 OK\r\n\r\n"), malformed, false, "", 0},
		{"not http", writeAll("SSH-2.0-OpenSSH_9.6\r\n"), malformed, false, "", 0},
		{"http/2.0", writeAll("HTTP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n"), malformed, false, "", 0},
		{"http/1.2", writeAll("HTTP/1.2 200 OK\r\n\r\n"), malformed, false, "", 0},
		{"lower-case protocol", writeAll("http/1.1 200 OK\r\n\r\n"), malformed, false, "", 0},
		{"two-digit status", writeAll("HTTP/1.1 20 OK\r\n\r\n"), malformed, false, "", 0},
		{"four-digit status", writeAll("HTTP/1.1 2000 OK\r\n\r\n"), malformed, false, "", 0},
		{"signed status", writeAll("HTTP/1.1 +20 OK\r\n\r\n"), malformed, false, "", 0},
		{"status below 100", writeAll("HTTP/1.1 099 Odd\r\n\r\n"), malformed, false, "", 0},
		{"status not a number", writeAll("HTTP/1.1 2x0 OK\r\n\r\n"), malformed, false, "", 0},
		{"no status", writeAll("HTTP/1.1\r\n\r\n"), malformed, false, "", 0},
		{"header without colon", writeAll(ok + "Content-Length 2\r\n\r\nok"), malformed, false, "", 0},
		{"space before colon", writeAll(ok + "Content-Length : 2\r\n\r\nok"), malformed, false, "", 0},
		{"empty field name", writeAll(ok + ": 2\r\n\r\nok"), malformed, false, "", 0},
		{"folded header line", writeAll(ok + "X-A: b\r\n  c\r\n\r\n"), malformed, false, "", 0},
		{"head cut short", writeAll(ok + "Content-Length: 2\r\n"), short, false, "", 0},
		{"status line cut short", writeAll("HTTP/1.1 200 O"), short, false, "", 0},
		{"one header line longer than the buffer", writeAll(ok + "X-Long: " + strings.Repeat("l", 5000) + "\r\n\r\n"), malformed, false, "", 0},
		{"header over 64 KiB", writeAll(ok + headers(700) + "\r\n"), malformed, false, "", 0},
		{"endless header lines", endless(ok, "X-Filler: "+strings.Repeat("f", 90)+"\r\n"), malformed, false, "", 0},
		{"endless header line", endless(ok+"X-Endless: ", "e"), malformed, false, "", 0},
		{"endless status line", endless("HTTP/1.1 200 ", "O"), malformed, false, "", 0},
		{"header just under 64 KiB", writeAll(ok + headers(600) + "Content-Length: 2\r\n\r\nok"), fine, false, "ok", 200},
		{"short content-length body", writeAll(ok + "Content-Length: 10\r\n\r\nabc"), short, true, "abc", 200},
		{"content-length body and more", writeAll(ok + "Content-Length: 3\r\n\r\nabcdef"), fine, false, "abc", 200},
		{"conflicting content-lengths", writeAll(ok + "Content-Length: 3\r\nContent-Length: 4\r\n\r\nabcd"), malformed, false, "", 0},
		{"repeated content-length", writeAll(ok + "Content-Length: 3\r\ncontent-length: 3\r\n\r\nabc"), fine, false, "abc", 200},
		{"negative content-length", writeAll(ok + "Content-Length: -1\r\n\r\n"), malformed, false, "", 0},
		{"signed content-length", writeAll(ok + "Content-Length: +5\r\n\r\nhello"), malformed, false, "", 0},
		{"hex content-length", writeAll(ok + "Content-Length: 0x5\r\n\r\nhello"), malformed, false, "", 0},
		{"listed content-length", writeAll(ok + "Content-Length: 5, 5\r\n\r\nhello"), malformed, false, "", 0},
		{"empty content-length", writeAll(ok + "Content-Length:\r\n\r\n"), malformed, false, "", 0},
		{"huge content-length", writeAll(ok + "Content-Length: 99999999999999999999\r\n\r\n"), malformed, false, "", 0},
		{"gzip", writeAll(ok + "Transfer-Encoding: gzip\r\n\r\nxx"), malformed, false, "", 0},
		{"gzip, chunked", writeAll(ok + "Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n"), malformed, false, "", 0},
		{"two transfer-encodings", writeAll(ok + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"), malformed, false, "", 0},
		{"chunk size garbage", writeAll(ok + "Transfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n"), malformed, true, "", 200},
		{"chunk size in 0x", writeAll(ok + "Transfer-Encoding: chunked\r\n\r\n0x5\r\nhello\r\n0\r\n\r\n"), malformed, true, "", 200},
		{"negative chunk size", writeAll(ok + "Transfer-Encoding: chunked\r\n\r\n-5\r\nhello\r\n0\r\n\r\n"), malformed, true, "", 200},
		{"empty chunk size", writeAll(ok + "Transfer-Encoding: chunked\r\n\r\n\r\nhello\r\n0\r\n\r\n"), malformed, true, "", 200},
		{"chunk size of 17 digits", writeAll(ok + "Transfer-Encoding: chunked\r\n\r\n00000000000000005\r\nhello\r\n0\r\n\r\n"), malformed, true, "", 200},
		{"chunk size over 63 bits", writeAll(ok + "Transfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\nhello"), malformed, true, "", 200},
		{"chunk not ended by crlf", writeAll(ok + "Transfer-Encoding: chunked\r\n\r\n5\r\nhelloXX\r\n0\r\n\r\n"), malformed, true, "hello", 200},
		{"chunk cut short", writeAll(ok + "Transfer-Encoding: chunked\r\n\r\n5\r\nhel"), short, true, "hel", 200},
		{"no last chunk", writeAll(ok + "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n"), short, true, "hello", 200},
		{"trailer cut short", writeAll(ok + "Transfer-Encoding: chunked\r\n\r\n0\r\nX-T: 1\r\n"), short, true, "", 200},
		{"endless trailer", endless(ok+"Transfer-Encoding: chunked\r\n\r\n0\r\n", "X-Trailer: t\r\n"), malformed, true, "", 200},
		{"chunked with extensions and trailer", writeAll(ok+"Transfer-Encoding: Chunked\r\n\r\n",
			"5;name=\"v\"\r\nhello\r\n", "6 ; ext\r\n world\r\n", "0;last\r\nX-Trailer: t\r\nY: u\r\n\r\n"), fine, false, "hello world", 200},
		{"chunked beats content-length", writeAll(ok + "Content-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"), fine, false, "abc", 200},
		{"body to eof", writeAll(ok+"Content-Type: text/plain\r\n\r\n", "until ", "the end"), fine, false, "until the end", 200},
		{"http/1.0 to eof", writeAll("HTTP/1.0 200 OK\r\n\r\nold"), fine, false, "old", 200},
		{"bare lf", writeAll("HTTP/1.1 200 OK\nContent-Length: 2\n\nok"), fine, false, "ok", 200},
		{"status without reason", writeAll("HTTP/1.1 404\r\nContent-Length: 0\r\n\r\n"), fine, false, "", 404},
		{"304 without length", writeAll("HTTP/1.1 304 Not Modified\r\n\r\nignored"), fine, false, "", 304},
		{"many 102s then 200", writeAll(strings.Repeat("HTTP/1.1 102 Processing\r\n\r\n", 1000) + ok + "Content-Length: 4\r\n\r\ndone"), fine, false, "done", 200},
		{"100 with fields then 200", writeAll("HTTP/1.1 100 Continue\r\nX-A: b\r\n\r\n" + ok + "Content-Length: 2\r\n\r\nok"), fine, false, "ok", 200},
		{"102 then nothing", writeAll("HTTP/1.1 102 Processing\r\n\r\n"), short, false, "", 0},
		{"102 then garbage", writeAll("HTTP/1.1 102 Processing\r\n\r\nnonsense\r\n\r\n"), malformed, false, "", 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := newRawAgent(t, "", c.answer)
			resp, err := roundTrip(ctxT(t), a.path, &Request{Method: "GET", Target: "/v1/status"}, 10*time.Second)
			var body []byte
			if err == nil {
				if c.want != fine && !c.inBody {
					resp.Body.Close()
					t.Fatalf("answer %d %q taken, want it refused in the head", resp.StatusCode, resp.Status)
				}
				if resp.StatusCode != c.code {
					t.Errorf("status %d, want %d", resp.StatusCode, c.code)
				}
				body, err = io.ReadAll(resp.Body)
				resp.Body.Close()
			} else if c.inBody {
				t.Fatalf("refused in the head (%v), want the body's reader to fail", err)
			}
			var pe *ProtocolError
			switch c.want {
			case fine:
				if err != nil {
					t.Fatalf("%v, want the answer read whole", err)
				}
			case malformed:
				if !errors.As(err, &pe) || !strings.HasPrefix(err.Error(), "not HTTP/1.1: ") {
					t.Fatalf("%v, want a *ProtocolError", err)
				}
			case short:
				if !errors.Is(err, io.ErrUnexpectedEOF) {
					t.Fatalf("%v, want io.ErrUnexpectedEOF", err)
				}
			}
			if c.want != malformed && string(body) != c.body {
				t.Errorf("body %q, want %q", body, c.body)
			}
			if got := a.waitEnded(t); !strings.HasPrefix(string(got), "GET /v1/status HTTP/1.1\r\n") {
				t.Errorf("the server got %q", got)
			}
		})
	}
}

// counter counts the bytes read through it.
type counter struct {
	r io.Reader
	n int
}

func (c *counter) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.n += n
	return n, err
}

// repeating is an endless stream of s.
type repeating string

func (s repeating) Read(b []byte) (int, error) {
	for i := range b {
		b[i] = s[i%len(s)]
	}
	return len(b) - len(b)%len(s), nil
}

// A head or trailer that never ends is given up on after MaxHeadBytes and
// at most a buffer more read.
func TestHeadIsReadWithinBound(t *testing.T) {
	cases := []struct {
		name  string
		r     io.Reader
		chunk bool
	}{
		{"endless header lines", io.MultiReader(strings.NewReader("HTTP/1.1 200 OK\r\n"), repeating("X-A: b\r\n")), false},
		{"endless header line", io.MultiReader(strings.NewReader("HTTP/1.1 200 OK\r\nX-A: "), repeating("b")), false},
		{"endless trailer", io.MultiReader(strings.NewReader("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n"), repeating("X-T: t\r\n")), true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cr := &counter{r: c.r}
			br := bufio.NewReaderSize(cr, 4096)
			resp, err := readHead(br)
			if c.chunk {
				if err != nil {
					t.Fatal(err)
				}
				var body io.Reader
				if body, err = bodyOf(resp, br); err == nil {
					_, err = io.ReadAll(body)
				}
			}
			var pe *ProtocolError
			if !errors.As(err, &pe) {
				t.Fatalf("%v, want a *ProtocolError", err)
			}
			if limit := MaxHeadBytes + 2*4096 + 200; cr.n > limit {
				t.Errorf("read %d bytes before giving up, want at most %d", cr.n, limit)
			}
		})
	}
}
