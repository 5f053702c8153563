package tui

import (
	"context"
	"encoding/base64"
	"errors"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"time"
)

// Clipboard puts text on the user's clipboard and says how it did.
type Clipboard interface {
	// Copy copies text; via names what carried it, e.g. "OSC 52 + xclip".
	Copy(text string) (via string, err error)
}

// TermClipboard copies with an OSC 52 escape written to the terminal, which
// works over SSH and inside tmux, and also with a native clipboard command
// when one is present for the session (wl-copy, xclip, xsel, pbcopy).
type TermClipboard struct {
	// Out is the terminal; the escape is written in one Write so that it does
	// not interleave with a frame.
	Out io.Writer
	// Getenv and LookPath default to the os and os/exec functions.
	Getenv   func(string) string
	LookPath func(string) (string, error)
}

// nativeTimeout bounds a native clipboard command.
const nativeTimeout = 2 * time.Second

// Copy writes the OSC 52 escape, then tries a native command.
func (c TermClipboard) Copy(text string) (string, error) {
	getenv, look := c.Getenv, c.LookPath
	if getenv == nil {
		getenv = os.Getenv
	}
	if look == nil {
		look = exec.LookPath
	}
	var via []string
	var errs []error
	if c.Out != nil {
		if _, err := io.WriteString(c.Out, osc52(text, getenv)); err != nil {
			errs = append(errs, err)
		} else {
			via = append(via, "OSC 52")
		}
	}
	if name, args := nativeCopier(getenv, look); name != "" {
		ctx, cancel := context.WithTimeout(context.Background(), nativeTimeout)
		defer cancel()
		cmd := exec.CommandContext(ctx, name, args...)
		cmd.Stdin = strings.NewReader(text)
		if err := cmd.Run(); err != nil {
			errs = append(errs, errors.New(name+": "+err.Error()))
		} else {
			via = append(via, name)
		}
	}
	if len(via) == 0 {
		if len(errs) == 0 {
			return "", errors.New("no way to reach the clipboard")
		}
		return "", errors.Join(errs...)
	}
	return strings.Join(via, " + "), nil
}

// osc52 is the escape that asks the terminal to set the clipboard; inside
// GNU screen (STY set) it is wrapped in screen's passthrough.
func osc52(text string, getenv func(string) string) string {
	s := "\x1b]52;c;" + base64.StdEncoding.EncodeToString([]byte(text)) + "\x07"
	if getenv("STY") != "" && getenv("TMUX") == "" {
		s = "\x1bP" + s + "\x1b\\"
	}
	return s
}

// nativeCopier picks a clipboard command for this session, or "".
func nativeCopier(getenv func(string) string, look func(string) (string, error)) (string, []string) {
	var cands [][]string
	switch {
	case runtime.GOOS == "darwin":
		cands = [][]string{{"pbcopy"}}
	case getenv("WAYLAND_DISPLAY") != "":
		cands = [][]string{{"wl-copy"}}
	case getenv("DISPLAY") != "":
		cands = [][]string{{"xclip", "-selection", "clipboard"}, {"xsel", "--clipboard", "--input"}}
	}
	for _, c := range cands {
		if _, err := look(c[0]); err == nil {
			return c[0], c[1:]
		}
	}
	return "", nil
}
