package tui

import (
	"bytes"
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

// Clipboard puts text on the user's clipboard, says how it did, and takes it
// off again where the clipboard can be read back.
type Clipboard interface {
	// Copy copies text and says what carried it.
	Copy(text string) (Copied, error)
	// ClearIf empties the clipboard if it still holds text and reports whether
	// it did. It returns ErrUnreadable when the clipboard cannot be read back:
	// then nothing is cleared, since that could throw away what the user
	// copied since.
	ClearIf(text string) (bool, error)
}

// Copied says how a copy was made.
type Copied struct {
	// Via names what carried it, e.g. "OSC 52 + wl-copy".
	Via string
	// Sensitive is true when the copy was marked as a secret that clipboard
	// managers should not keep (wl-copy --sensitive).
	Sensitive bool
	// Readable is true when the clipboard can be read back, so that ClearIf
	// can clear it safely.
	Readable bool
}

// ErrUnreadable says the clipboard cannot be read back, e.g. when only the
// OSC 52 escape reached it.
var ErrUnreadable = errors.New("the clipboard cannot be read back (OSC 52 only)")

// TermClipboard copies with an OSC 52 escape written to the terminal, which
// works over SSH and inside tmux, and also with a native clipboard command
// when one is present for the session (wl-copy, xclip, xsel, pbcopy). Only
// the native clipboard can be read back and cleared.
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

// nativeTool is how one clipboard program copies, reads back and clears.
// Each is a command and its arguments; the first word is looked up on PATH.
type nativeTool struct {
	copy      []string // reads the text on stdin
	sensitive string   // flag marking the copy as a secret; "" when the tool has none
	paste     []string // prints the clipboard
	clear     []string // empties the clipboard, given an empty stdin
}

// nativeTools are the clipboard programs per session kind, in order of
// preference. xclip and xsel serve one target per call, so they cannot offer
// the x-kde-passwordManagerHint target beside the text; pbcopy has no way to
// set org.nspasteboard.ConcealedType: only wl-copy can mark a copy.
var nativeTools = map[string][]nativeTool{
	"darwin": {{copy: []string{"pbcopy"}, paste: []string{"pbpaste"}, clear: []string{"pbcopy"}}},
	"wayland": {{copy: []string{"wl-copy"}, sensitive: "--sensitive",
		paste: []string{"wl-paste", "--no-newline"}, clear: []string{"wl-copy", "--clear"}}},
	"x11": {
		{copy: []string{"xclip", "-selection", "clipboard"}, paste: []string{"xclip", "-selection", "clipboard", "-o"},
			clear: []string{"xclip", "-selection", "clipboard"}},
		{copy: []string{"xsel", "--clipboard", "--input"}, paste: []string{"xsel", "--clipboard", "--output"},
			clear: []string{"xsel", "--clipboard", "--clear"}},
	},
}

// Copy writes the OSC 52 escape, then tries a native command.
func (c TermClipboard) Copy(text string) (Copied, error) {
	getenv, look := c.env()
	var res Copied
	var via []string
	var errs []error
	if c.Out != nil {
		if _, err := io.WriteString(c.Out, osc52(text, getenv)); err != nil {
			errs = append(errs, err)
		} else {
			via = append(via, "OSC 52")
		}
	}
	if tool, ok := nativeCopier(getenv, look); ok {
		args := tool.copy
		if tool.sensitive != "" && supports(look, tool.copy[0], tool.sensitive) {
			args = append(append([]string(nil), args...), tool.sensitive)
		}
		if err := runNative(look, args, text, nil); err != nil {
			errs = append(errs, err)
		} else {
			via = append(via, tool.copy[0])
			res.Sensitive = len(args) > len(tool.copy)
			res.Readable = onPath(look, tool.paste[0], tool.clear[0])
		}
	}
	if len(via) == 0 {
		if len(errs) == 0 {
			return res, errors.New("no way to reach the clipboard")
		}
		return res, errors.Join(errs...)
	}
	res.Via = strings.Join(via, " + ")
	return res, nil
}

// ClearIf reads the native clipboard back and empties it if it still holds
// text. The terminal's clipboard, reached by OSC 52, cannot be read back; it
// is not cleared blindly, since it may hold something copied since.
func (c TermClipboard) ClearIf(text string) (bool, error) {
	getenv, look := c.env()
	tool, ok := nativeCopier(getenv, look)
	if !ok || !onPath(look, tool.paste[0], tool.clear[0]) {
		return false, ErrUnreadable
	}
	var out bytes.Buffer
	if err := runNative(look, tool.paste, "", &out); err != nil {
		return false, err
	}
	if strings.TrimSuffix(out.String(), "\n") != strings.TrimSuffix(text, "\n") {
		return false, nil
	}
	if err := runNative(look, tool.clear, "", nil); err != nil {
		return false, err
	}
	return true, nil
}

// env returns the environment and PATH lookup to use.
func (c TermClipboard) env() (func(string) string, func(string) (string, error)) {
	getenv, look := c.Getenv, c.LookPath
	if getenv == nil {
		getenv = os.Getenv
	}
	if look == nil {
		look = exec.LookPath
	}
	return getenv, look
}

// runNative runs a clipboard command with stdin and, when out is not nil,
// collects its output. Copy commands must not have their output collected:
// xclip and wl-copy leave a child serving the clipboard that keeps it open.
func runNative(look func(string) (string, error), args []string, stdin string, out io.Writer) error {
	path, err := look(args[0])
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), nativeTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, args[1:]...)
	cmd.Stdin = strings.NewReader(stdin)
	cmd.Stdout = out
	cmd.WaitDelay = nativeTimeout
	if err := cmd.Run(); err != nil {
		return errors.New(args[0] + ": " + err.Error())
	}
	return nil
}

// supports tells whether command name lists flag in its --help.
func supports(look func(string) (string, error), name, flag string) bool {
	var out bytes.Buffer
	path, err := look(name)
	if err != nil {
		return false
	}
	ctx, cancel := context.WithTimeout(context.Background(), nativeTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, "--help")
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.WaitDelay = nativeTimeout
	_ = cmd.Run() // some tools exit non-zero after printing their help
	return strings.Contains(out.String(), flag)
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

// nativeCopier picks a clipboard program for this session that is on PATH.
func nativeCopier(getenv func(string) string, look func(string) (string, error)) (nativeTool, bool) {
	var kind string
	switch {
	case runtime.GOOS == "darwin":
		kind = "darwin"
	case getenv("WAYLAND_DISPLAY") != "":
		kind = "wayland"
	case getenv("DISPLAY") != "":
		kind = "x11"
	}
	for _, t := range nativeTools[kind] {
		if onPath(look, t.copy[0]) {
			return t, true
		}
	}
	return nativeTool{}, false
}

// onPath tells whether every named program is found.
func onPath(look func(string) (string, error), names ...string) bool {
	for _, n := range names {
		if _, err := look(n); err != nil {
			return false
		}
	}
	return true
}
