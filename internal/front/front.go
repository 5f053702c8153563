// Package front is slices-agent as it starts. A shell prompt runs
// 'slices-agent prompt' before every prompt and scripts run 'slices-agent
// token' in loops, so those two are answered here, over ipc/wire, by a
// small binary that links neither net/http nor the daemon. Every other
// command, and every token request that does not end in a token, is handed
// to the whole program, slices-agent-core, by exec: its messages, hints
// and exit codes have one home there.
//
// What the front end can answer is narrow on purpose: a command line it
// does not fully understand is handed over unread, before any byte goes to
// the agent.
package front

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/slices-ri/slices-agent/internal/segment"
)

// CoreName is the file name of the whole program.
const CoreName = "slices-agent-core"

// EnvHandover tells slices-agent-core what the front end learned before it
// handed a command over, so that a failure is not waited for twice. The
// core reads it and removes it from its environment at once.
const EnvHandover = "SLICES_AGENT_HANDOVER"

// EnvHandover's values: the agent did not take the front end's connection
// or did not start answering within wire.AnswerWithin (Unresponsive), or
// started and did not finish within wire.DefaultCallTimeout (TimedOut).
const (
	Unresponsive = "unresponsive"
	TimedOut     = "timed-out"
)

// Main runs slices-agent with args (without the program name) and returns
// the exit status of the commands it answers itself; the others never
// return here.
func Main(args []string) int {
	c, ok := parse(args)
	switch {
	case ok && c.cmd == "token":
		return token(c, args)
	case ok && c.cmd == "prompt":
		return prompt(c, args)
	}
	return handOver(args, "")
}

// call is a command line the front end answers itself.
type call struct {
	cmd    string   // "token" or "prompt"
	args   []string // the operands: at most one PROJECT
	socket string   // -a, "" when not given
	portal string   // --portal, "" when not given
	// token
	minValid string
	// prompt
	format, color string
}

// parse reads args the way slices-agent-core's flags do, and reports
// whether the front end can answer them: token or prompt, with flags it
// knows, each with a non-empty value, and at most one operand. Anything else
// (help, a typo, a flag of another command) goes to the core.
func parse(args []string) (call, bool) {
	c := call{format: segment.DefaultFormat, color: "auto"}
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			if c.cmd == "" {
				return c, false
			}
			c.args = append(c.args, args[i+1:]...)
			i = len(args)
		case len(a) < 2 || a[0] != '-':
			if c.cmd == "" {
				c.cmd = a
				if a != "token" && a != "prompt" {
					return c, false
				}
				continue
			}
			c.args = append(c.args, a)
		default:
			name := strings.TrimPrefix(a[1:], "-")
			name, value, hasValue := strings.Cut(name, "=")
			dst := c.flag(name)
			if dst == nil || strings.HasPrefix(name, "-") {
				return c, false
			}
			if !hasValue {
				if i+1 == len(args) || args[i+1] == "--" { // the core splits at "--" first
					return c, false
				}
				i++
				value = args[i]
			}
			if value == "" {
				return c, false
			}
			*dst = value
		}
	}
	if c.cmd == "token" && len(c.args) == 1 && c.args[0] == "" {
		return c, false // the core refuses an empty PROJECT
	}
	return c, c.cmd != "" && len(c.args) <= 1
}

// flag is where the value of flag name goes, or nil for a flag the front
// end does not take.
func (c *call) flag(name string) *string {
	switch name {
	case "a":
		return &c.socket
	case "portal":
		return &c.portal
	case "client-id", "client-secret-file", "scope", "keyring":
		return new(string) // the daemon's settings: no part of these answers
	}
	switch {
	case c.cmd == "token" && name == "min-valid":
		return &c.minValid
	case c.cmd == "prompt" && name == "format":
		return &c.format
	case c.cmd == "prompt" && name == "color":
		return &c.color
	}
	return nil
}

// handOver replaces this process with slices-agent-core run on args, with
// what was learned (EnvHandover) when not empty. It returns only when the
// core cannot be run.
func handOver(args []string, learned string) int {
	core, err := corePath()
	if err == nil {
		env := os.Environ()
		for i, kv := range env {
			if strings.HasPrefix(kv, EnvHandover+"=") {
				env = append(env[:i:i], env[i+1:]...)
				break
			}
		}
		if learned != "" {
			env = append(env, EnvHandover+"="+learned)
		}
		err = syscall.Exec(core, append([]string{"slices-agent"}, args...), env)
	}
	os.Stderr.WriteString("slices-agent: cannot run " + CoreName + ": " + err.Error() +
		"\nhint: install both binaries (make install), or build them into one directory: go build -o DIR/ ./cmd/...\n")
	return 1
}

// corePath finds slices-agent-core: in ../libexec/slices-agent/ beside
// this executable's directory, where 'make install' puts it, or beside
// this executable, where 'go build ./cmd/...' and 'go install' do. Only
// there: never through $PATH.
func corePath() (string, error) {
	self, err := os.Executable()
	if err != nil {
		return "", err
	}
	if resolved, err := filepath.EvalSymlinks(self); err == nil {
		self = resolved
	}
	dir := filepath.Dir(self)
	tried := []string{
		filepath.Join(dir, "..", "libexec", "slices-agent", CoreName),
		filepath.Join(dir, CoreName),
	}
	for _, p := range tried {
		fi, err := os.Stat(p)
		if err != nil || !fi.Mode().IsRegular() || fi.Mode()&0o111 == 0 {
			continue
		}
		if !asTrusted(p, self) || !asTrusted(filepath.Dir(p), self) {
			return "", errors.New(p + " is not as trusted as slices-agent itself (another owner, or writable by others)")
		}
		return p, nil
	}
	return "", errors.New("not found in " + strings.Join(tried, " or "))
}

// asTrusted reports whether the file or directory at path is as trusted as
// the executable self: owned by root or by self's owner, and writable by
// nobody else, so that nobody else can have put it there or replace it.
func asTrusted(path, self string) bool {
	fi, err := os.Stat(path)
	me, merr := os.Stat(self)
	if err != nil || merr != nil {
		return false
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	owner, ok2 := me.Sys().(*syscall.Stat_t)
	if !ok || !ok2 {
		return true // no owners to compare on this platform
	}
	return (st.Uid == 0 || st.Uid == owner.Uid) && fi.Mode()&0o022 == 0
}
