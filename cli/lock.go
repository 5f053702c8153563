package cli

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"

	"github.com/slices-ri/slices-agent/ipc"
)

// codeBadPassphrase is the error code of the agent for a wrong unlock passphrase.
const codeBadPassphrase = "bad_passphrase"

func init() {
	var passFile string
	passFlag := func(fs *flag.FlagSet, e *env) {
		fs.StringVar(&passFile, "passphrase-file", "", "read the passphrase from the first line of `FILE` (- for stdin) instead of the terminal")
	}
	register(&command{name: "lock", args: "[--passphrase-file FILE]", help: "lock the agent: no token leaves it until 'unlock'",
		flags: passFlag, run: func(ctx context.Context, e *env) error { return lockCmd(ctx, e, passFile) }})
	register(&command{name: "unlock", args: "[--passphrase-file FILE]", help: "unlock the agent with the passphrase given to 'lock'",
		flags: passFlag, run: func(ctx context.Context, e *env) error { return unlockCmd(ctx, e, passFile) }})
}

func lockCmd(ctx context.Context, e *env, passFile string) error {
	if len(e.args) > 0 {
		return usagef("lock: unexpected argument %q", e.args[0])
	}
	c := client(e)
	defer c.Close()
	// Fail before asking for a passphrase when there is no agent or it is locked.
	if st, err := quickStatus(ctx, c); err != nil {
		return err
	} else if st.Locked {
		return &hinted{err: errors.New("the agent is already locked"), hint: "run 'slices-agent unlock'", code: ExitLocked}
	}
	pass, err := readPassphrase(e, passFile, "Passphrase to lock the agent with: ", true)
	if err != nil {
		return err
	}
	if err := c.Lock(ctx, pass); err != nil {
		if ipc.HasCode(err, ipc.CodeLocked) {
			return &hinted{err: errors.New("the agent is already locked"), hint: "run 'slices-agent unlock'", code: ExitLocked}
		}
		return err
	}
	fmt.Fprintln(e.stdout, "agent locked: no token leaves it until 'slices-agent unlock'")
	return nil
}

func unlockCmd(ctx context.Context, e *env, passFile string) error {
	if len(e.args) > 0 {
		return usagef("unlock: unexpected argument %q", e.args[0])
	}
	c := client(e)
	defer c.Close()
	if st, err := quickStatus(ctx, c); err != nil {
		return err
	} else if !st.Locked {
		return errors.New("the agent is not locked")
	}
	pass, err := readPassphrase(e, passFile, "Passphrase to unlock the agent: ", false)
	if err != nil {
		return err
	}
	if err := c.Unlock(ctx, pass); err != nil {
		if ipc.HasCode(err, codeBadPassphrase) {
			hint := "try again with the passphrase given to 'slices-agent lock'"
			if ae, ok := ipc.AsError(err); ok && strings.Contains(ae.Hint, "next guess") {
				// The agent says how long it waits before it looks at the next one.
				_, wait, _ := strings.Cut(ae.Hint, "; ")
				hint += " (" + wait + ")"
			}
			return &hinted{err: errors.New("wrong passphrase: the agent stays locked"), hint: hint, code: ExitError}
		}
		return err
	}
	fmt.Fprintln(e.stdout, "agent unlocked")
	return nil
}

// readPassphrase reads from passFile when given, else from the terminal
// without echo (asking twice when confirm is set).
func readPassphrase(e *env, passFile, prompt string, confirm bool) (string, error) {
	if passFile != "" {
		return passphraseFromFile(e, passFile)
	}
	tty, err := terminal(e)
	if err != nil {
		return "", err
	}
	ask := func(p string) (string, error) {
		fmt.Fprint(e.stderr, p)
		b, err := term.ReadPassword(int(tty.Fd()))
		fmt.Fprintln(e.stderr)
		if err != nil {
			return "", fmt.Errorf("reading the passphrase: %w", err)
		}
		return string(b), nil
	}
	pass, err := ask(prompt)
	if err != nil {
		return "", err
	}
	if pass == "" {
		return "", errors.New("empty passphrase")
	}
	if confirm {
		again, err := ask("Again, to confirm: ")
		if err != nil {
			return "", err
		}
		if again != pass {
			return "", &hinted{err: errors.New("the passphrases do not match; the agent is not locked"), hint: "run 'slices-agent lock' again"}
		}
	}
	return pass, nil
}

// terminal is stdin when it is a terminal. (No fallback to /dev/tty: with
// stdin redirected, --passphrase-file - says where the passphrase comes from.)
func terminal(e *env) (*os.File, error) {
	if f, ok := e.stdin.(*os.File); ok && isTerminal(f) {
		return f, nil
	}
	return nil, &hinted{err: errors.New("no terminal to read the passphrase from"),
		hint: "give it with --passphrase-file FILE (or --passphrase-file - to read stdin)", code: ExitUsage}
}

// passphraseFromFile reads the first line of path, or of stdin for "-".
func passphraseFromFile(e *env, path string) (string, error) {
	var r io.Reader = e.stdin
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return "", fmt.Errorf("reading the passphrase: %w", err)
		}
		defer f.Close()
		r = f
	}
	line, err := bufio.NewReader(io.LimitReader(r, 4096)).ReadString('\n')
	if err != nil && err != io.EOF {
		return "", fmt.Errorf("reading the passphrase: %w", err)
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", fmt.Errorf("the passphrase file %s is empty", path)
	}
	return line, nil
}

// isTerminal reports whether f is a terminal.
func isTerminal(f *os.File) bool { return term.IsTerminal(int(f.Fd())) }
