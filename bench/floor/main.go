// Command floor is the whole-process floor of the token row: a minimal Go
// program that asks an agent for a project's raw token with one HTTP request
// over its Unix socket and prints it. Usage: floor SOCKET PROJECT.
package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: floor SOCKET PROJECT")
		os.Exit(2)
	}
	tr := &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "unix", os.Args[1])
	}}
	req, err := http.NewRequest(http.MethodGet, "http://agent/v1/projects/"+os.Args[2]+"/token", nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, "floor:", err)
		os.Exit(1)
	}
	req.Header.Set("Accept", "application/jwt")
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		fmt.Fprintln(os.Stderr, "floor:", err)
		os.Exit(1)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintln(os.Stderr, "floor:", resp.Status)
		os.Exit(1)
	}
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		fmt.Fprintln(os.Stderr, "floor:", err)
		os.Exit(1)
	}
	os.Stdout.Write(append(b, '\n'))
}
