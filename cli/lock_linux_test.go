package cli

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// openPTY returns the controller and the terminal side of a new pseudo-terminal.
func openPTY(t *testing.T) (ctrl, tty *os.File) {
	t.Helper()
	fd, err := unix.Open("/dev/ptmx", unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC|unix.O_NONBLOCK, 0) // non-blocking: read deadlines work
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	ctrl = os.NewFile(uintptr(fd), "/dev/ptmx")
	t.Cleanup(func() { ctrl.Close() })
	if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(fd, unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	tty, err = os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tty.Close() })
	return ctrl, tty
}

// TestPassphraseNotEchoed types the passphrase only once the terminal's echo
// is off, as a person would after the prompt, and checks nothing came back.
func TestPassphraseNotEchoed(t *testing.T) {
	ctrl, tty := openPTY(t)
	var stderr bytes.Buffer
	e := &env{stdin: tty, stderr: &stderr}
	type result struct {
		pass string
		err  error
	}
	done := make(chan result, 1)
	go func() {
		p, err := readPassphrase(e, "", "Passphrase: ", false)
		done <- result{p, err}
	}()
	deadline := time.Now().Add(5 * time.Second)
	for {
		tio, err := unix.IoctlGetTermios(int(tty.Fd()), unix.TCGETS)
		if err != nil {
			t.Fatal(err)
		}
		if tio.Lflag&unix.ECHO == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("echo was never turned off")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if _, err := ctrl.WriteString("open sesame\n"); err != nil {
		t.Fatal(err)
	}
	var r result
	select {
	case r = <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("readPassphrase did not return")
	}
	if r.err != nil || r.pass != "open sesame" {
		t.Fatalf("got %q, %v", r.pass, r.err)
	}
	// Whatever the terminal wrote back must not hold the passphrase.
	_ = ctrl.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	buf := make([]byte, 256)
	n, _ := ctrl.Read(buf)
	if strings.Contains(string(buf[:n]), "sesame") {
		t.Errorf("the passphrase was echoed: %q", buf[:n])
	}
	if !strings.Contains(stderr.String(), "Passphrase: ") {
		t.Errorf("no prompt on stderr: %q", stderr.String())
	}
	tio, err := unix.IoctlGetTermios(int(tty.Fd()), unix.TCGETS)
	if err != nil || tio.Lflag&unix.ECHO == 0 {
		t.Errorf("echo not restored after reading (err %v)", err)
	}
}
