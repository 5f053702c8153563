// Package wire is the client's end of the agent's socket without net/http:
// where the socket is, the checks made before a byte is sent (the socket's
// directory is the user's own, the peer runs as the user's uid), and one
// HTTP/1.1 request and its answer on a blocking connection, read and written
// on the calling thread.
//
// It is the path every command-line client takes to the agent: package ipc
// builds its one-shot client on it, and the slices-agent front end answers
// token and prompt with it alone, so that a process that starts, asks once
// and exits links and initialises as little as it can. It also holds the
// answer of GET /v1/status, which the prompt reads.
//
// The protocol stays plain HTTP/1.1: a request line, header fields and a
// body of Content-Length bytes; answers may be chunked or end at EOF, and
// 1xx interim answers (102 Processing) are skipped.
package wire
