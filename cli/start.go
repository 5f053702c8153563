package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/slices-ri/slices-agent/agent"
	"github.com/slices-ri/slices-agent/config"
	"github.com/slices-ri/slices-agent/internal/safedir"
	"github.com/slices-ri/slices-agent/ipc"
)

// startTimeout bounds the wait for a new background agent to answer.
const startTimeout = 15 * time.Second

// daemonFlags are the flags of the commands that start an agent.
func daemonFlags(fs *flag.FlagSet, e *env) {
	fs.BoolVar(&e.noNotify, "no-notify", false, "no desktop notifications before tokens lapse")
}

func shellFlags(fs *flag.FlagSet, e *env) {
	daemonFlags(fs, e)
	fs.BoolFunc("s", "print Bourne shell commands", func(string) error { e.shell = "sh"; return nil })
	fs.BoolFunc("c", "print csh commands", func(string) error { e.shell = "csh"; return nil })
	fs.BoolFunc("fish", "print fish commands", func(string) error { e.shell = "fish"; return nil })
}

func init() {
	start := func(echo bool) func(ctx context.Context, e *env) error {
		return func(ctx context.Context, e *env) error {
			if len(e.args) > 0 {
				return usagef("unexpected argument %q", e.args[0])
			}
			pid, err := ensureAgent(ctx, e)
			if err != nil {
				return err
			}
			printEnv(e.stdout, shellOf(e), e.socket, pid, echo)
			return nil
		}
	}
	register(&command{name: "start", help: "start an agent if none answers and print its environment, with an 'echo Agent pid' line (what a bare 'slices-agent' does)", flags: shellFlags, run: start(true)})
	register(&command{name: "env", args: "[-s|-c|--fish]", help: "like start, without the echo line: for eval \"$(slices-agent env)\"", flags: shellFlags, run: start(false)})
	// -D and -d may come together, as with ssh-agent: -d adds the debug log.
	foregroundFlags := func(fs *flag.FlagSet, e *env) {
		fs.Bool("D", true, "run in the foreground")
		fs.BoolVar(&e.debug, "d", e.debug, "run in the foreground with a debug log on stderr")
		daemonFlags(fs, e)
	}
	register(&command{name: "-D", help: "run the agent in the foreground", run: foreground, flags: foregroundFlags})
	register(&command{name: "-d", help: "run the agent in the foreground with a debug log on stderr", run: foreground,
		flags: func(fs *flag.FlagSet, e *env) { e.debug = true; foregroundFlags(fs, e) }})
	register(&command{name: "stop", help: "stop the agent (-k also prints the unset commands)", run: stop,
		flags: func(fs *flag.FlagSet, e *env) {
			shellFlags(fs, e)
			fs.BoolVar(&e.unset, "k", false, "stop the agent and print unset commands")
		}})
}

// ensureAgent returns the pid of the agent answering at e.socket, starting
// one in the background first when none does.
func ensureAgent(ctx context.Context, e *env) (int, error) {
	c := ipc.NewOneShotClient(e.socket)
	defer c.Close()
	if st, err := quickStatus(ctx, c); err == nil {
		if err := portalMismatch(e, st); err != nil {
			return 0, err
		}
		return st.PID, nil
	} else if !errors.Is(err, ipc.ErrNoAgent) {
		return 0, err
	}
	if err := checkSecretFile(e); err != nil {
		return 0, err
	}
	self, err := os.Executable()
	if err != nil {
		return 0, err
	}
	stateDir := agent.StateDir()
	if err := safedir.Ensure(stateDir, "state directory"); err != nil {
		return 0, err
	}
	logPath := filepath.Join(stateDir, "agent.log")
	logf, err := safedir.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return 0, err
	}
	defer logf.Close()
	devnull, err := os.Open(os.DevNull)
	if err != nil {
		return 0, err
	}
	defer devnull.Close()
	// The daemon inherits the environment and reads the same config file:
	// only what was given as a flag goes on its command line, so that it
	// knows where every value came from. Never a secret: only its file's path.
	args := []string{"-D", "-a", e.socket}
	for _, k := range config.Keys {
		if v := e.settings.Values[k]; v.Source == config.SourceFlag {
			args = append(args, "--"+config.Flag(k), v.Value)
		}
	}
	if e.noNotify {
		args = append(args, "--no-notify")
	}
	cmd := exec.Command(self, args...)
	cmd.Env = os.Environ()
	if v := e.settings.Values[config.KeyClientSecretFile]; v.Source == config.SourceEnv {
		// made absolute: the daemon runs in /
		cmd.Env = append(cmd.Env, config.Env(config.KeyClientSecretFile)+"="+v.Value)
	}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = devnull, devnull, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	cmd.Dir = "/"
	if err := cmd.Start(); err != nil {
		return 0, fmt.Errorf("starting the agent: %w", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()

	deadline := time.Now().Add(startTimeout)
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			msg, hint := lastError(logPath)
			if hint == "" {
				hint = "see " + logPath
			}
			return 0, &hinted{err: fmt.Errorf("the agent exited while starting (%v): %s", err, msg), hint: hint}
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if st, err := quickStatus(ctx, c); err == nil {
			return st.PID, nil
		}
	}
	_ = cmd.Process.Kill()
	return 0, &hinted{err: fmt.Errorf("the agent did not answer on %s within %s", e.socket, startTimeout), hint: "see " + logPath}
}

func quickStatus(ctx context.Context, c *ipc.Client) (ipc.Status, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	return c.Status(ctx)
}

// lastError is the last message of a log file and the hint that followed
// it, if any, for an error message.
func lastError(path string) (msg, hint string) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", ""
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if h, ok := strings.CutPrefix(lines[i], "hint: "); ok && hint == "" {
			hint = h
			continue
		}
		return lines[i], hint
	}
	return "", hint
}

// foreground runs the daemon in this process.
// foreground runs the agent in this process until it is stopped.
func foreground(ctx context.Context, e *env) error {
	level := slog.LevelInfo
	if e.debug {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	secret, err := clientSecret(e)
	if err != nil {
		return err
	}
	cfg := agent.Config{
		Socket:       e.socket,
		PortalURL:    e.portal,
		ClientID:     e.clientID,
		ClientSecret: secret,
		Scope:        e.settings.Get(config.KeyScope),
		Settings:     settingsList(e.settings),
		Keyring:      e.keyring,
		Version:      Version,
		NoNotify:     e.noNotify,
		Logger:       log,
	}
	l, err := activationListener()
	if err != nil {
		return err
	}
	cfg.Listener = l
	err = agent.Serve(ctx, cfg)
	var live *ipc.LiveSocketError
	if errors.As(err, &live) {
		return &hinted{err: err, hint: "stop it with 'slices-agent -a " + e.socket + " stop', or use another socket with -a"}
	}
	var busy *agent.StateBusyError
	if errors.As(err, &busy) && busy.Socket != "" {
		return &hinted{err: err, hint: "use that agent (SLICES_AGENT_SOCK=" + shellQuote(busy.Socket) + "), or stop it first: slices-agent -a " +
			shellQuote(busy.Socket) + " stop"}
	}
	return err
}

// stop asks the agent to stop; with -k it prints the unset commands.
func stop(ctx context.Context, e *env) error {
	c := ipc.NewOneShotClient(e.socket)
	defer c.Close()
	st, err := quickStatus(ctx, c)
	if err != nil {
		return err
	}
	if err := c.Shutdown(ctx); err != nil {
		return err
	}
	// Wait until the socket stops answering, so a following start finds it free.
	for i := 0; i < 100; i++ {
		if _, err := quickStatus(ctx, c); errors.Is(err, ipc.ErrNoAgent) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if e.unset {
		printUnset(e.stdout, shellOf(e), st.PID)
	}
	return nil
}

// shellOf picks the syntax: a flag, else $SHELL.
func shellOf(e *env) string {
	if e.shell != "" {
		return e.shell
	}
	sh := filepath.Base(os.Getenv("SHELL"))
	switch {
	case strings.HasSuffix(sh, "csh"):
		return "csh"
	case sh == "fish":
		return "fish"
	}
	return "sh"
}

func printEnv(w io.Writer, shell, socket string, pid int, echo bool) {
	sock, p := shellQuote(socket), strconv.Itoa(pid)
	switch shell {
	case "csh":
		fmt.Fprintf(w, "setenv %s %s;\nsetenv %s %s;\n", ipc.EnvSocket, sock, ipc.EnvPID, p)
	case "fish":
		fmt.Fprintf(w, "set -gx %s %s;\nset -gx %s %s;\n", ipc.EnvSocket, sock, ipc.EnvPID, p)
	default:
		fmt.Fprintf(w, "%s=%s; export %s;\n%s=%s; export %s;\n", ipc.EnvSocket, sock, ipc.EnvSocket, ipc.EnvPID, p, ipc.EnvPID)
	}
	if echo {
		fmt.Fprintf(w, "echo Agent pid %d;\n", pid)
	}
}

func printUnset(w io.Writer, shell string, pid int) {
	switch shell {
	case "csh":
		fmt.Fprintf(w, "unsetenv %s;\nunsetenv %s;\n", ipc.EnvSocket, ipc.EnvPID)
	case "fish":
		fmt.Fprintf(w, "set -e %s;\nset -e %s;\n", ipc.EnvSocket, ipc.EnvPID)
	default:
		fmt.Fprintf(w, "unset %s;\nunset %s;\n", ipc.EnvSocket, ipc.EnvPID)
	}
	fmt.Fprintf(w, "echo Agent pid %d killed;\n", pid)
}

// shellQuote quotes s for sh, csh and fish when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r == '/' || r == '.' || r == '-' || r == '_' || r == ':' || r == '+' ||
			(r >= '0' && r <= '9') || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z'))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
