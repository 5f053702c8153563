// Package cli is the command line of slices-agent: starting the daemon the
// ssh-agent way and the client commands that talk to it over its socket.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"

	"github.com/slices-ri/slices-agent/config"
	"github.com/slices-ri/slices-agent/ipc"
	"github.com/slices-ri/slices-agent/portal"
)

// Version is the release, set at build time with -ldflags "-X …/cli.Version=v1.2.3".
var Version = "v0.1.0-dev"

// usageError is a mistake on the command line: exit status 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, a ...any) error { return &usageError{fmt.Sprintf(format, a...)} }

// hinted is an error with something for the user to do.
type hinted struct {
	err  error
	hint string
	code int
}

func (h *hinted) Error() string { return h.err.Error() }
func (h *hinted) Unwrap() error { return h.err }

// env is one invocation: its global flags, streams and the command's arguments.
type env struct {
	socket string
	// settings are the resolved portal, client id, secret file, scope and
	// keyring; the fields below copy the ones most used.
	settings  config.Settings
	configErr error // a config file that could not be read
	portal    string
	clientID  string
	keyring   string
	flagVals  map[string]string // global settings given as flags, by config key
	noNotify  bool              // the daemon shows no desktop notifications
	debug     bool              // the daemon logs at debug level (-d)
	// expectPortal: requests name e.portal, which the agent must use.
	expectPortal bool
	// socketFlag: -a was given (e.socket is always resolved).
	socketFlag bool
	json       bool
	shell      string // sh, csh or fish, when chosen by a flag
	unset      bool   // -k: print unset commands

	args   []string
	stdout io.Writer
	stderr io.Writer
	stdin  io.Reader
}

// command is one subcommand.
type command struct {
	name  string
	args  string
	help  string
	flags func(fs *flag.FlagSet, e *env)
	run   func(ctx context.Context, e *env) error
}

var commands = map[string]*command{}

func register(c *command) { commands[c.name] = c }

// Main runs slices-agent with args (without the program name) and returns the exit status.
func Main(args []string) int { return mainWith(args, "") }

// mainWith is Main with what the front end learned (see Core).
func mainWith(args []string, learned string) int {
	if name, _ := splitCommand(args); quickCommands[name] {
		// Nothing to clean up on an interrupt: the default action (exit)
		// is right, and it spares the signal-watching thread.
		return run(context.Background(), args, learned, os.Stdin, os.Stdout, os.Stderr)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return run(ctx, args, learned, os.Stdin, os.Stdout, os.Stderr)
}

// quickCommands make one call to the agent and print its answer; a prompt
// or a script runs them often, so they start as little as they can.
var quickCommands = map[string]bool{"token": true, "prompt": true, "status": true, "version": true}

func run(ctx context.Context, args []string, learned string, stdin io.Reader, stdout, stderr io.Writer) int {
	e := &env{stdout: stdout, stderr: stderr, stdin: stdin}
	name, rest := splitCommand(args)
	cmd, ok := commands[name]
	if !ok {
		fmt.Fprintf(stderr, "slices-agent: unknown command %q\nhint: run 'slices-agent help' for the list\n", ipc.Redact(name))
		return ExitUsage
	}
	fs := flag.NewFlagSet("slices-agent "+name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	globalFlags(fs, e)
	if cmd.flags != nil {
		cmd.flags(fs, e)
	}
	if err := parseInterspersed(fs, rest, &e.args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			if cmd.name == "help" { // -h, --help: the list of commands
				return report(stderr, cmd.run(ctx, e))
			}
			commandHelp(stdout, cmd, fs)
			return 0
		}
		fmt.Fprintf(stderr, "slices-agent %s: %s\nhint: run 'slices-agent %s -h'\n", name, ipc.Redact(err.Error()), name)
		return ExitUsage
	}
	e.socketFlag = e.socket != ""
	e.socket = ipc.ResolveSocket(e.socket)
	e.settings, e.configErr = config.Resolve(e.flagVals, os.Getenv, config.Path())
	e.portal, e.clientID, e.keyring = e.settings.Get(config.KeyPortal), e.settings.Get(config.KeyClientID), e.settings.Get(config.KeyKeyring)
	if e.configErr != nil && !configFree[name] {
		return report(stderr, configError(e.configErr))
	}
	e.expectPortal = expectsPortal(name, e)
	if err := handedOver(learned, name, e); err != nil {
		return report(stderr, err)
	}
	return report(stderr, explainMismatch(e, cmd.run(ctx, e)))
}

// configFree are the commands that work whatever the config file holds:
// the Slices CLI asks every plugin for --cli-manifest and --version; token
// and prompt use no setting from it (a portal to check comes from a flag or
// the environment), and the front end answers them without reading it.
var configFree = map[string]bool{"help": true, "version": true, "cli-manifest": true, "completion": true,
	"install-completion": true, "__projects": true, "stop": true, "prompt": true, "token": true}

// configError gives a config file error its hint.
func configError(err error) error {
	var ce *config.Error
	if errors.As(err, &ce) && ce.Hint != "" {
		return &hinted{err: err, hint: ce.Hint}
	}
	return &hinted{err: err, hint: "see 'slices-agent help' for the settings and where they come from"}
}

// globalFlags are accepted by every command, before or after it. The
// settings among them are resolved with the environment and the config file
// after parsing (flags > env > file > defaults).
func globalFlags(fs *flag.FlagSet, e *env) {
	fs.StringVar(&e.socket, "a", "", "agent socket `path`")
	e.flagVals = map[string]string{}
	setting := func(key, usage string) {
		fs.Func(config.Flag(key), usage+" (env "+config.Env(key)+", or "+key+" in config.toml)", func(v string) error {
			if v == "" {
				return fmt.Errorf("empty value")
			}
			e.flagVals[key] = v
			return nil
		})
	}
	setting(config.KeyPortal, "portal `URL` (default "+portal.DefaultURL+")")
	setting(config.KeyClientID, "OAuth2 client `id` (default "+portal.DefaultClientID+")")
	setting(config.KeyClientSecretFile, "`file` holding the OAuth2 client secret, for a confidential client")
	setting(config.KeyScope, "OAuth2 `scope` to ask for (default \""+portal.DefaultScope+"\", plus offline_access where the portal lists it)")
	setting(config.KeyKeyring, "keyring `backend`: auto, system, file or memory (default auto)")
}

// valueFlags are the global flags that take a value, for finding the command word.
var valueFlags = map[string]bool{"a": true, "portal": true, "client-id": true, "client-secret-file": true, "scope": true, "keyring": true}

// modeFlags select a command when given without one, like ssh-agent's.
var modeFlags = map[string]string{"D": "-D", "d": "-d", "k": "stop", "version": "version", "cli-manifest": "cli-manifest",
	"install-completion": "install-completion", "h": "help", "help": "help"}

// splitCommand finds the command word: the first argument that is neither a
// flag nor a global flag's value. Without one, a mode flag (-D, -k, …)
// selects the command, else it is "start".
func splitCommand(args []string) (string, []string) {
	mode := ""
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			break
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			rest := append(append([]string{}, args[:i]...), args[i+1:]...)
			return a, rest
		}
		n := strings.TrimLeft(a, "-")
		if k, _, hasValue := strings.Cut(n, "="); hasValue {
			n = k
		} else if valueFlags[n] {
			i++
		}
		if m, ok := modeFlags[n]; ok && mode == "" {
			mode = m
		}
	}
	if mode == "" {
		mode = "start"
	}
	return mode, args
}

// parseInterspersed parses flags anywhere among the arguments; after "--"
// everything is an argument (exec's command line).
func parseInterspersed(fs *flag.FlagSet, args []string, pos *[]string) error {
	var tail []string
	for i, a := range args {
		if a == "--" {
			tail = args[i+1:]
			args = args[:i]
			break
		}
	}
	for {
		if err := fs.Parse(args); err != nil {
			return err
		}
		args = fs.Args()
		if len(args) == 0 {
			break
		}
		*pos = append(*pos, args[0])
		args = args[1:]
	}
	*pos = append(*pos, tail...)
	return nil
}

// commandNames are the user-facing commands, sorted: not the mode flags
// (-D, -d), the plugin protocol's cli-manifest and install-completion, nor
// the hidden __ helpers.
func commandNames() []string {
	names := make([]string, 0, len(commands))
	for n := range commands {
		if !strings.HasPrefix(n, "-") && !strings.HasPrefix(n, "__") && n != "cli-manifest" && n != "install-completion" {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return names
}

// report prints err the contract's way and returns the exit status.
func report(w io.Writer, err error) int {
	if err == nil {
		return 0
	}
	var ue *usageError
	if errors.As(err, &ue) {
		fmt.Fprintf(w, "slices-agent: %s\n", esc(ipc.Redact(ue.msg)))
		return ExitUsage
	}
	var silent *exitStatus
	if errors.As(err, &silent) {
		return silent.code
	}
	code := exitCode(err)
	hint := ""
	var h *hinted
	if errors.As(err, &h) {
		hint = h.hint
		if h.code != 0 {
			code = h.code
		}
	}
	if ae, ok := ipc.AsError(err); ok && hint == "" {
		hint = ae.Hint
	}
	var hung *ipc.UnresponsiveError
	var untrusted *ipc.UntrustedError
	switch {
	case hint != "":
	case errors.As(err, &untrusted):
		hint = untrusted.Hint()
	case errors.As(err, &hung):
		hint = "it looks hung: find its pid with 'fuser " + hung.Path + "', stop it (kill PID), then start a new one: eval \"$(slices-agent env)\""
	case errors.Is(err, ipc.ErrNoAgent):
		hint = `start one with: eval "$(slices-agent env)"`
	}
	fmt.Fprintf(w, "slices-agent: %s\n", esc(ipc.Redact(firstLine(err.Error()))))
	if hint != "" {
		fmt.Fprintf(w, "hint: %s\n", esc(hint))
	}
	return code
}

// exitStatus ends the program with a status and no message (exec passes the child's on).
type exitStatus struct{ code int }

func (e *exitStatus) Error() string { return fmt.Sprintf("exit status %d", e.code) }

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}

func commandHelp(w io.Writer, c *command, fs *flag.FlagSet) {
	fmt.Fprintf(w, "usage: slices-agent %s %s\n\n%s\n\nflags:\n", c.name, c.args, c.help)
	fs.SetOutput(w)
	fs.PrintDefaults()
}

func init() {
	register(&command{name: "help", help: "list the commands", run: func(ctx context.Context, e *env) error {
		fmt.Fprint(e.stdout, "usage: slices-agent [COMMAND] [flags]\n\n"+
			"Without a command, starts an agent in the background (if none answers) and\n"+
			"prints the shell commands that point clients at it:  eval \"$(slices-agent env)\"\n\ncommands:\n")
		for _, n := range commandNames() {
			c := commands[n]
			fmt.Fprintf(e.stdout, "  %-15s %s\n", c.name, c.help)
		}
		fmt.Fprint(e.stdout, "\nglobal flags: -a SOCKET, --portal URL, --client-id ID, --client-secret-file FILE, --scope SCOPE,\n"+
			"  --keyring auto|system|file|memory; also from SLICES_PORTAL_URL, SLICES_CLIENT_ID,\n"+
			"  SLICES_CLIENT_SECRET_FILE, SLICES_SCOPE, SLICES_KEYRING and "+config.Path()+"\n"+
			"  (flags > environment > config file > defaults)\n"+
			"exit status: 0 ok, 1 error, 2 usage, 3 no agent, 4 login required, 5 locked, 6 portal unreachable\n")
		return nil
	}})
}
