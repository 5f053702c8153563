//go:build linux

// Command rawfloor is the least a Go program can do to fetch a token: it
// connects to an agent's Unix socket with raw system calls, writes one
// HTTP/1.1 request, reads the answer to EOF and prints its body. It makes
// none of slices-agent's checks (socket directory, peer uid, status code,
// framing). Usage: rawfloor SOCKET PROJECT.
package main

import (
	"os"
	"strings"
	"syscall"
)

func fail(msg string) {
	os.Stderr.WriteString("rawfloor: " + msg + "\n")
	os.Exit(1)
}

func main() {
	if len(os.Args) != 3 {
		fail("usage: rawfloor SOCKET PROJECT")
	}
	fd, err := syscall.Socket(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		fail(err.Error())
	}
	if err := syscall.Connect(fd, &syscall.SockaddrUnix{Name: os.Args[1]}); err != nil {
		fail(err.Error())
	}
	req := "GET /v1/projects/" + os.Args[2] + "/token HTTP/1.1\r\nHost: agent\r\nAccept: application/jwt\r\nConnection: close\r\n\r\n"
	if _, err := syscall.Write(fd, []byte(req)); err != nil {
		fail(err.Error())
	}
	var buf []byte
	chunk := make([]byte, 4096)
	for {
		n, err := syscall.Read(fd, chunk)
		if err != nil {
			fail(err.Error())
		}
		if n == 0 {
			break
		}
		buf = append(buf, chunk[:n]...)
	}
	_, body, ok := strings.Cut(string(buf), "\r\n\r\n")
	if !ok || !strings.HasPrefix(string(buf), "HTTP/1.1 200 ") {
		fail("no token in the answer")
	}
	os.Stdout.WriteString(body + "\n")
}
