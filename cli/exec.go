package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/slices-ri/slices-agent/internal/termtext"
	"github.com/slices-ri/slices-agent/ipc"
)

// Environment variables exec gives the command it runs.
const (
	EnvToken        = "SLICES_TOKEN"
	EnvProjectID    = "SLICES_PROJECT_ID"
	EnvProjectToken = "SLICES_PROJECT_TOKEN"
)

// forwarded are the signals exec passes on to the command it runs.
// (Job control signals are left alone: a stopped exec stops its command too,
// through the terminal's process group.)
var forwarded = []os.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT,
	syscall.SIGUSR1, syscall.SIGUSR2, syscall.SIGWINCH}

func init() {
	var (
		projects []string
		minValid time.Duration
	)
	register(&command{name: "exec", args: "[-p PROJECT]... -- CMD [ARGS]",
		help: "run CMD with the tokens in its environment (SLICES_TOKEN, SLICES_PROJECT_TOKEN…)",
		flags: func(fs *flag.FlagSet, e *env) {
			fs.Func("p", "also give the token of `PROJECT` (id or name); repeatable", func(s string) error {
				projects = append(projects, s)
				return nil
			})
			minValidFlag(fs, &minValid, "renew first unless each token is valid for at least `DURATION`")
		},
		run: func(ctx context.Context, e *env) error { return execCmd(ctx, e, projects, minValid) }})
}

// execEnv fetches the tokens and returns the variables to add to the
// command's environment.
func execEnv(ctx context.Context, e *env, projects []string, minValid time.Duration) ([]string, error) {
	c := client(e)
	defer c.Close()
	user, err := c.UserToken(ctx, minValid)
	if err != nil {
		return nil, err
	}
	sock, err := filepath.Abs(e.socket)
	if err != nil {
		sock = e.socket
	}
	vars := []string{EnvToken + "=" + user.Token, ipc.EnvSocket + "=" + sock}
	for _, ref := range projects {
		t, err := c.ProjectToken(ctx, ref, minValid)
		if err != nil {
			return nil, err
		}
		if len(projects) == 1 {
			vars = append(vars, EnvProjectID+"="+t.Project, EnvProjectToken+"="+t.Token)
		} else {
			vars = append(vars, EnvProjectToken+"_"+envSuffix(ref)+"="+t.Token)
		}
	}
	return vars, nil
}

// envSuffix turns a project reference into a variable name suffix:
// "ilabt-dev" becomes "ILABT_DEV".
func envSuffix(ref string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z':
			return r - 'a' + 'A'
		case r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
			return r
		}
		return '_'
	}, ref)
}

func execCmd(ctx context.Context, e *env, projects []string, minValid time.Duration) error {
	if len(e.args) == 0 {
		return usagef("exec: no command given (slices-agent exec [-p PROJECT] -- CMD ARGS)")
	}
	vars, err := execEnv(ctx, e, projects, minValid)
	if err != nil {
		return err
	}
	cmd := exec.Command(e.args[0], e.args[1:]...)
	cmd.Env = append(withoutSlicesVars(os.Environ()), vars...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = e.stdin, e.stdout, e.stderr

	// Ask for the signals before starting, so none is lost in between; the
	// context of Main (cancelled on SIGINT/SIGTERM) is deliberately not used
	// to kill the command: the signal itself is passed on.
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, forwarded...)
	defer signal.Stop(sigs)
	if err := cmd.Start(); err != nil {
		err := startError(e.args[0], err)
		if h, ok := err.(*hinted); ok && h.code == 127 && isProject(ctx, e, e.args[0]) {
			h.hint = fmt.Sprintf("%s is a project: did you mean 'slices-agent exec -p %s -- %s'?",
				termtext.Escape(e.args[0]), termtext.Escape(e.args[0]), termtext.Escape(strings.Join(e.args[1:], " ")))
		}
		return err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	for {
		select {
		case sig := <-sigs:
			_ = cmd.Process.Signal(sig)
		case err := <-done:
			return childStatus(err)
		}
	}
}

// withoutSlicesVars drops the variables exec sets, so a stale project token
// from an outer exec never leaks into the command.
func withoutSlicesVars(environ []string) []string {
	out := environ[:0:0]
	for _, kv := range environ {
		if strings.HasPrefix(kv, EnvToken+"=") || strings.HasPrefix(kv, EnvProjectID+"=") ||
			strings.HasPrefix(kv, EnvProjectToken+"=") || strings.HasPrefix(kv, EnvProjectToken+"_") ||
			strings.HasPrefix(kv, ipc.EnvSocket+"=") {
			continue
		}
		out = append(out, kv)
	}
	return out
}

// startError reports a command that could not be started the way shells do:
// 127 when it is not found, 126 when it cannot be run.
// isProject reports whether ref names one of the user's projects (for a
// hint when it was given as the command).
func isProject(ctx context.Context, e *env, ref string) bool {
	c := client(e)
	defer c.Close()
	ps, err := c.Projects(ctx)
	if err != nil {
		return false
	}
	for _, p := range ps {
		if p.ID == ref || p.Name == ref {
			return true
		}
	}
	return false
}

func startError(name string, err error) error {
	if errors.Is(err, exec.ErrNotFound) || errors.Is(err, fs.ErrNotExist) {
		return &hinted{err: fmt.Errorf("exec: %s: command not found", name), code: 127}
	}
	return &hinted{err: fmt.Errorf("exec: %s: %v", name, err), code: 126}
}

// childStatus turns the command's end into exec's exit status: its own, or
// 128+n when signal n killed it.
func childStatus(err error) error {
	if err == nil {
		return nil
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		return fmt.Errorf("exec: %w", err)
	}
	if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return &exitStatus{code: 128 + int(ws.Signal())}
	}
	return &exitStatus{code: ee.ExitCode()}
}
