package wire

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
)

// Run the fuzzer for a minute with:
//
//	go test -run '^$' -fuzz '^FuzzReadAnswer$' -fuzztime 60s ./ipc/wire/
//
// Without -fuzz, plain go test runs the seeds below and those kept in
// testdata/fuzz/FuzzReadAnswer/.

// readAnswer reads an answer from br as RoundTrip does after its first
// byte: heads until a final one, then the body, whole.
func readAnswer(br *bufio.Reader, limit int) (*Response, []byte, error) {
	for {
		resp, err := readHead(br)
		if err != nil {
			return nil, nil, err
		}
		if resp.StatusCode < 200 {
			continue
		}
		body, err := bodyOf(resp, br)
		if err != nil {
			return resp, nil, err
		}
		b, err := io.ReadAll(io.LimitReader(body, int64(limit)))
		return resp, b, err
	}
}

// FuzzReadAnswer feeds arbitrary bytes as the agent's answer: the parser
// never panics, never makes up a body longer than what was sent, reads a
// Content-Length body to its length, and fails only with a *ProtocolError or
// io.ErrUnexpectedEOF (the bytes end; no other error can come from them).
func FuzzReadAnswer(f *testing.F) {
	for _, s := range []string{
		"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;x=y\r\nhello\r\n0\r\nT: t\r\n\r\n",
		"HTTP/1.1 102 Processing\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n",
		"HTTP/1.0 200 OK\r\n\r\nto the end",
		"HTTP/1.1 200 OK\nContent-Length: 3\nContent-Length: 3\n\nabc",
		"HTTP/1.1 404 Not Found\r\nContent-Length: 10\r\n\r\nshort",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\n",
		"HTTP/1.1 200 OK\r\nX: " + strings.Repeat("x", 5000) + "\r\n\r\n",
		"HTTP/2.0 200 OK\r\n\r\n",
		"",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		br := bufio.NewReaderSize(bytes.NewReader(data), 4096)
		resp, body, err := readAnswer(br, len(data)+1)
		if len(body) > len(data) {
			t.Fatalf("a body of %d bytes from %d bytes of answer", len(body), len(data))
		}
		var pe *ProtocolError
		if err != nil {
			if !errors.As(err, &pe) && !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Fatalf("error %v (%T), want a *ProtocolError or io.ErrUnexpectedEOF", err, err)
			}
			return
		}
		if resp.StatusCode < 200 || resp.StatusCode > 999 || resp.Header == nil {
			t.Fatalf("answer %d with header %v", resp.StatusCode, resp.Header)
		}
		if resp.ContentLength >= 0 && int64(len(body)) != resp.ContentLength {
			t.Fatalf("a body of %d bytes, Content-Length %d", len(body), resp.ContentLength)
		}
		if resp.ContentLength < 0 && !bytes.Contains(data, body) && resp.Header.Get("Transfer-Encoding") == "" {
			t.Fatalf("a body read to EOF that is not in the answer: %q", body)
		}
	})
}
