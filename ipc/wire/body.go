package wire

import (
	"bufio"
	"io"
	"strconv"
	"strings"
)

// bodyOf is the reader of resp's body: chunked, Content-Length bytes, or
// up to EOF.
func bodyOf(resp *Response, br *bufio.Reader) (io.Reader, error) {
	if te := resp.Header["Transfer-Encoding"]; len(te) > 0 {
		if len(te) != 1 || !strings.EqualFold(te[0], "chunked") {
			return nil, badf("transfer-encoding " + strconv.Quote(strings.Join(te, ", ")))
		}
		return &chunkedReader{r: br}, nil
	}
	if cl := resp.Header["Content-Length"]; len(cl) > 0 {
		n, err := strconv.ParseInt(cl[0], 10, 64)
		if err != nil || n < 0 || strings.HasPrefix(cl[0], "+") {
			return nil, badf("content-length " + strconv.Quote(cl[0]))
		}
		for _, v := range cl[1:] {
			if v != cl[0] {
				return nil, badf("two content-lengths")
			}
		}
		resp.ContentLength = n
		return &exactReader{r: br, left: n}, nil
	}
	if resp.StatusCode == 204 || resp.StatusCode == 304 {
		resp.ContentLength = 0
		return strings.NewReader(""), nil
	}
	return br, nil
}

// exactReader reads exactly left bytes: an EOF before them is
// io.ErrUnexpectedEOF.
type exactReader struct {
	r    io.Reader
	left int64
}

func (e *exactReader) Read(p []byte) (int, error) {
	if e.left == 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > e.left {
		p = p[:e.left]
	}
	n, err := e.r.Read(p)
	e.left -= int64(n)
	if err == io.EOF && e.left > 0 {
		err = io.ErrUnexpectedEOF
	} else if err == io.EOF {
		err = nil
	}
	return n, err
}

// chunkedReader decodes a chunked body; trailer fields are read and
// dropped.
type chunkedReader struct {
	r       *bufio.Reader
	left    int64 // bytes left in the current chunk
	started bool  // a chunk was read: its CRLF comes before the next size
	done    bool
}

func (c *chunkedReader) Read(p []byte) (int, error) {
	for c.left == 0 {
		if c.done {
			return 0, io.EOF
		}
		if err := c.next(); err != nil {
			return 0, err
		}
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return n, err
}

// next reads the CRLF ending the previous chunk and the next chunk's size
// line; at the last chunk it reads the trailer.
func (c *chunkedReader) next() error {
	n := 0
	if c.started {
		if line, err := readLine(c.r, &n); err != nil {
			return err
		} else if line != "" {
			return badf("chunk not ended by CRLF")
		}
	}
	c.started = true
	line, err := readLine(c.r, &n)
	if err != nil {
		return err
	}
	size, _, _ := strings.Cut(line, ";") // chunk extensions are ignored
	size = strings.TrimRight(size, " \t")
	v, err := strconv.ParseUint(size, 16, 63)
	if err != nil || size == "" || len(size) > 16 {
		return badf("chunk size " + strconv.Quote(line))
	}
	if v > 0 {
		c.left = int64(v)
		return nil
	}
	for { // the trailer, up to its empty line
		line, err := readLine(c.r, &n)
		if err != nil {
			return err
		}
		if line == "" {
			c.done = true
			return nil
		}
	}
}

// connBody is an answer's body that closes its connection when closed.
type connBody struct {
	io.Reader
	conn *Conn
	stop func() bool
}

// Close closes the connection.
func (b *connBody) Close() error {
	b.stop()
	return b.conn.Close()
}
