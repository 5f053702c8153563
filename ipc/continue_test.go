package ipc

import (
	"bufio"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// A client that sends "Expect: 100-continue" and holds its body back past
// ProcessingAfter gets one 100 Continue, then its answer: the agent's 102 and
// net/http's own 100 never write at once (run with -race).
func TestExpectContinueWithASlowBody(t *testing.T) {
	path := serve(t, NewHandler(newFake(), HandlerOptions{ProcessingAfter: 10 * time.Millisecond}), nil)
	conn, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	body := `{"passphrase":"x"}`
	req := "POST /v1/unlock HTTP/1.1\r\nHost: agent\r\nContent-Type: application/json\r\nExpect: 100-continue\r\n" +
		"Content-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n"
	if _, err := conn.Write([]byte(req)); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(conn)
	line, err := br.ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "HTTP/1.1 100 ") {
		t.Fatalf("first answer %q, %v; want 100 Continue", line, err)
	}
	for { // the rest of the 100's header
		if l, err := br.ReadString('\n'); err != nil || l == "\r\n" {
			break
		}
	}
	time.Sleep(50 * time.Millisecond) // past ProcessingAfter, body still held back
	if _, err := conn.Write([]byte(body)); err != nil {
		t.Fatal(err)
	}
	var final *http.Response
	for final == nil || final.StatusCode < 200 {
		if final, err = http.ReadResponse(br, nil); err != nil {
			t.Fatalf("reading the answer: %v", err)
		}
		if final.StatusCode == http.StatusContinue {
			t.Fatal("a second 100 Continue")
		}
	}
	if final.StatusCode >= 500 {
		t.Errorf("final answer %s", final.Status)
	}
}
