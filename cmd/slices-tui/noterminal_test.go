package main

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// Without a terminal (stdin from /dev/null, output to a pipe) slices-tui says
// it needs one and exits 2, instead of failing deep in the terminal library.
func TestWithoutATerminalItSaysSoAndExits2(t *testing.T) {
	devnull, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer devnull.Close()
	out, err := os.CreateTemp(t.TempDir(), "out")
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	var stderr bytes.Buffer
	code := run(nil, devnull, out, &stderr)
	if code != 2 {
		t.Errorf("exit %d, want 2", code)
	}
	msg := stderr.String()
	if !strings.Contains(msg, "slices-tui: needs a terminal") || !strings.Contains(msg, "hint: ") {
		t.Errorf("stderr %q does not say a terminal is needed, with a hint", msg)
	}
	if strings.Contains(msg, "cancelreader") {
		t.Errorf("stderr leaks the terminal library's error: %q", msg)
	}
}

// The built binary behaves the same: `slices-tui </dev/null`.
func TestBinaryWithoutATerminal(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := t.TempDir() + "/slices-tui"
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	cmd := exec.Command(bin)
	cmd.Stdin = nil // /dev/null
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	ee, ok := err.(*exec.ExitError)
	if !ok || ee.ExitCode() != 2 {
		t.Fatalf("exit: %v, want status 2; stderr %q", err, stderr.String())
	}
	if first := strings.SplitN(stderr.String(), "\n", 2)[0]; !strings.HasPrefix(first, "slices-tui: needs a terminal") {
		t.Errorf("first line %q", first)
	}
}

func TestUsageErrorsExit2(t *testing.T) {
	var stderr bytes.Buffer
	if code := run([]string{"extra"}, nil, nil, &stderr); code != 2 {
		t.Errorf("extra argument: exit %d, want 2", code)
	}
	if code := run([]string{"--clear-after", "-1s"}, nil, nil, &stderr); code != 2 {
		t.Errorf("negative --clear-after: exit %d, want 2", code)
	}
}
