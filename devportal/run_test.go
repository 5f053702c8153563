package devportal

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestRunPrintsURLFirstAndStops(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	var stderr strings.Builder
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, []string{"--addr", "127.0.0.1:0", "--auto-approve", "--projects", "3", "--issuer", "https://iss.example"}, pw, &stderr)
		pw.Close()
	}()
	lines := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(pr).ReadString('\n')
		lines <- line
		_, _ = io.Copy(io.Discard, pr)
	}()
	var url string
	select {
	case line := <-lines:
		var ok bool
		url, ok = strings.CutPrefix(strings.TrimSpace(line), "SLICES_PORTAL_URL=http://127.0.0.1:")
		if !ok {
			t.Fatalf("first stdout line = %q", line)
		}
		url = "http://127.0.0.1:" + url
	case <-time.After(10 * time.Second):
		t.Fatal("no URL line within 10s")
	}
	c := &http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(url + pathDiscovery)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("discovery: %d", resp.StatusCode)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run after cancel: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not stop within 10s")
	}
	if !strings.Contains(stderr.String(), "serving 3 projects") {
		t.Errorf("stderr = %q", stderr.String())
	}
}

func TestRunUsageErrors(t *testing.T) {
	tests := []struct {
		args []string
		help bool
	}{
		{[]string{"--bogus"}, false},
		{[]string{"extra"}, false},
		{[]string{"--projects", "-2"}, false},
		{[]string{"-h"}, true},
	}
	for _, tt := range tests {
		err := Run(context.Background(), tt.args, io.Discard, io.Discard)
		var ue *UsageError
		if tt.help && !errors.Is(err, flag.ErrHelp) || !tt.help && !errors.As(err, &ue) {
			t.Errorf("%v: err %v", tt.args, err)
		}
	}
	if err := Run(context.Background(), []string{"--addr", "256.0.0.1:1"}, io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), "listen") {
		t.Errorf("bad address: %v", err)
	}
}
