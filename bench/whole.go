//go:build linux

package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// releaseFlags build the binaries as a release would: no cgo (a static
// binary skips the dynamic loader), no paths, no symbol tables.
var releaseFlags = []string{"-trimpath", "-ldflags=-s -w"}

// build compiles the packages into dir, CGO_ENABLED=0 with releaseFlags when
// release, else with a default 'go build'.
func build(dir string, release bool, pkgs ...string) error {
	args := []string{"build", "-o", dir + "/"}
	env := os.Environ()
	if release {
		args = append(args, releaseFlags...)
		env = append(env, "CGO_ENABLED=0")
	}
	cmd := exec.Command("go", append(args, pkgs...)...)
	cmd.Env = env
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build %s: %v\n%s", strings.Join(pkgs, " "), err, out)
	}
	return nil
}

// command is one whole-process measurement: argv and its environment.
type command struct {
	name string // short, for the table
	argv []string
	env  []string
}

// sshAgent starts ssh-agent on its own socket holding a throwaway ed25519 key.
func (l *lab) sshAgent() (command, error) {
	for _, t := range []string{"ssh-agent", "ssh-add", "ssh-keygen"} {
		if _, err := exec.LookPath(t); err != nil {
			return command{}, errSkip(t + " not installed")
		}
	}
	sock, key := filepath.Join(l.dir, "ssh.sock"), filepath.Join(l.dir, "id_bench")
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "bench", "-f", key).CombinedOutput(); err != nil {
		return command{}, fmt.Errorf("ssh-keygen: %v: %s", err, out)
	}
	if _, err := l.start("ssh-agent", nil, "ssh-agent", "-D", "-a", sock); err != nil {
		return command{}, err
	}
	env := []string{"SSH_AUTH_SOCK=" + sock}
	var err error
	for i := 0; i < 100; i++ { // the socket appears a moment after the start
		cmd := exec.Command("ssh-add", key)
		cmd.Env = append(os.Environ(), env...)
		var out []byte
		if out, err = cmd.CombinedOutput(); err == nil {
			break
		}
		err = fmt.Errorf("ssh-add: %v: %s", err, firstLine(string(out)))
		time.Sleep(50 * time.Millisecond)
	}
	return command{name: "ssh-add -l", argv: []string{"ssh-add", "-l"}, env: env}, err
}

// oidcAgent starts oidc-agent and configures an account "bench" against the
// emulated portal: oidc-agent as a real client of slices-devportal.
func (l *lab) oidcAgent(portalURL string) (command, error) {
	for _, t := range []string{"oidc-agent", "oidc-gen", "oidc-token"} {
		if _, err := exec.LookPath(t); err != nil {
			return command{}, errSkip(t + " not installed")
		}
	}
	cfg, sock := filepath.Join(l.dir, "oidc-cfg"), filepath.Join(l.dir, "oidc.sock")
	if err := os.Mkdir(cfg, 0o700); err != nil {
		return command{}, err
	}
	env := []string{"OIDC_CONFIG_DIR=" + cfg, "OIDC_ENCRYPTION_PW=benchpw", "OIDC_SOCK=" + sock}
	if _, err := l.start("oidc-agent", env, "oidc-agent", "-d", "-a", sock); err != nil {
		return command{}, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var err error
	for i := 0; i < 50; i++ {
		if _, err = os.Stat(sock); err == nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	gen := exec.CommandContext(ctx, "oidc-gen", "bench", "--issuer="+portalURL, "--client-id=bench", "--client-secret=secret",
		"--flow=device", "--scope=openid offline_access", "--pw-env", "--prompt=none", "--confirm-default")
	gen.Env = append(os.Environ(), env...)
	if out, err := gen.CombinedOutput(); err != nil {
		return command{}, fmt.Errorf("oidc-gen: %v: %s", err, strings.TrimSpace(string(out)))
	}
	c := command{name: "oidc-token bench", argv: []string{"oidc-token", "bench"}, env: env}
	if _, err := runOnce(c); err != nil {
		return command{}, err
	}
	return c, nil
}

// skipError marks a measurement that could not be made here (a missing tool).
type skipError string

func (e skipError) Error() string { return string(e) }

func errSkip(why string) error { return skipError(why) }

// runOnce runs c once and returns its wall time; its output is discarded.
func runOnce(c command) (time.Duration, error) {
	cmd := exec.Command(c.argv[0], c.argv[1:]...)
	cmd.Env = append(os.Environ(), c.env...)
	t := time.Now()
	out, err := cmd.CombinedOutput()
	d := time.Since(t)
	if err != nil {
		return 0, fmt.Errorf("%s: %v: %s", strings.Join(c.argv, " "), err, firstLine(string(out)))
	}
	return d, nil
}

// wholeRounds is how many times the commands take turns: each command's
// runs are spread over that many rounds, so drift on a shared machine hits
// every command alike.
const wholeRounds = 10

// timeCommands returns each command's median wall time in seconds over runs
// runs after warmup warm-up runs, the commands alternating: with hyperfine
// -N (no shell) when it is installed, in rounds, else with an interleaved
// fork/exec loop here.
func timeCommands(cs []command, warmup, runs int, dir string) (map[string]float64, string, error) {
	if _, err := exec.LookPath("hyperfine"); err == nil {
		m, err := hyperfine(cs, warmup, runs, dir)
		return m, fmt.Sprintf("hyperfine -N in %d alternating rounds", wholeRounds), err
	}
	m, err := forkLoop(cs, warmup, runs)
	return m, "an interleaved fork/exec loop", err
}

func hyperfine(cs []command, warmup, runs int, dir string) (map[string]float64, error) {
	times := make(map[string][]float64)
	per := max(1, runs/wholeRounds)
	for round := 0; round < wholeRounds; round++ {
		for i, c := range cs { // one hyperfine per command: each has its own environment
			w := 0
			if round == 0 {
				w = warmup
			}
			js := filepath.Join(dir, fmt.Sprintf("hyperfine-%d.json", i))
			cmd := exec.Command("hyperfine", "-N", "--style", "none", "--warmup", fmt.Sprint(w), "--runs", fmt.Sprint(per),
				"--export-json", js, strings.Join(c.argv, " "))
			cmd.Env = append(os.Environ(), c.env...)
			if b, err := cmd.CombinedOutput(); err != nil {
				return nil, fmt.Errorf("hyperfine %s: %v: %s", c.name, err, strings.TrimSpace(string(b)))
			}
			b, err := os.ReadFile(js)
			if err != nil {
				return nil, err
			}
			ts, err := parseHyperfine(b)
			if err != nil {
				return nil, err
			}
			times[c.name] = append(times[c.name], ts...)
		}
	}
	out := make(map[string]float64)
	for k, v := range times {
		out[k] = median(v)
	}
	return out, nil
}

// parseHyperfine reads the wall times of the one result in hyperfine's JSON export.
func parseHyperfine(b []byte) ([]float64, error) {
	var v struct {
		Results []struct {
			Times []float64 `json:"times"`
		} `json:"results"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return nil, fmt.Errorf("hyperfine json: %w", err)
	}
	if len(v.Results) != 1 || len(v.Results[0].Times) == 0 {
		return nil, errors.New("hyperfine json: want one result with its times")
	}
	return v.Results[0].Times, nil
}

// forkLoop runs the commands round-robin, so drift on a shared machine hits each alike.
func forkLoop(cs []command, warmup, runs int) (map[string]float64, error) {
	times := make(map[string][]float64)
	for i := 0; i < warmup+runs; i++ {
		for _, c := range cs {
			d, err := runOnce(c)
			if err != nil {
				return nil, err
			}
			if i >= warmup {
				times[c.name] = append(times[c.name], d.Seconds())
			}
		}
	}
	out := make(map[string]float64)
	for k, v := range times {
		out[k] = median(v)
	}
	return out, nil
}

// wholeRows time 'slices-agent token NAME' and 'slices-agent prompt NAME' as
// whole processes beside 'ssh-add -l' (ssh-agent holding one key) and
// 'oidc-token bench' (oidc-agent against the emulated portal), and the Go
// floor, all alternating in this run.
func (l *lab) wholeRows(a *agentProc, name, plainBin string, cfg config) []row {
	agentBin := filepath.Join(l.bin, "slices-agent")
	cs := []command{
		{name: "token", argv: []string{agentBin, "-a", a.socket, "token", name}},
		{name: "prompt", argv: []string{agentBin, "-a", a.socket, "prompt", name}},
		{name: "plain", argv: []string{filepath.Join(plainBin, "slices-agent"), "-a", a.socket, "token", name}},
		{name: "floor", argv: []string{filepath.Join(l.bin, "floor"), a.socket, name}},
		{name: "rawfloor", argv: []string{filepath.Join(l.bin, "rawfloor"), a.socket, name}},
		{name: "hello", argv: []string{filepath.Join(l.bin, "hello")}},
		{name: "status", argv: []string{agentBin, "-a", a.socket, "status"}},
	}
	runs := fmt.Sprint(cfg.runs)
	type spec struct {
		what, ours, base string
		limit            float64
		info             bool
		note             string
	}
	specs := []spec{
		{what: "`slices-agent token " + name + "`, whole process, median of " + runs, ours: "token", base: "ssh", limit: 1},
		{what: "`slices-agent token " + name + "`, whole process, median of " + runs, ours: "token", base: "oidc", limit: 1},
		{what: "`slices-agent prompt " + name + "`, whole process, median of " + runs, ours: "prompt", base: "oidc", limit: 1,
			note: "prompt asks for the agent's status (GET /v1/status, JSON) and prints 'slices:NAME 57m'; the agent tracks 10 projects."},
		{what: "same token, built by a default 'go build' (cgo, symbols)", ours: "plain", base: "oidc", info: true,
			note: "The plain 'go build' binary links libc dynamically (cgo is on by default for net and os/user); " +
				"the release rows use CGO_ENABLED=0 -trimpath -ldflags='-s -w': a static binary skips the dynamic loader."},
		{what: "Go floor: a static Go hello world", ours: "hello", base: "oidc", info: true,
			note: "bench/hello, built like the release binary: prints one line. The Go runtime's start alone " +
				"(threads, signal handlers, heap set-up): no Go command starts faster than this."},
		{what: "Go floor: a minimal Go client with raw system calls", ours: "rawfloor", base: "oidc", info: true,
			note: "bench/rawfloor: socket, connect, one HTTP/1.1 request, read to EOF, print the body, with none of " +
				"slices-agent's checks (socket directory, peer uid, status, framing). The least a Go program can do to fetch a token."},
		{what: "Go floor: a minimal Go client with net/http", ours: "floor", base: "oidc", info: true,
			note: "bench/floor: the same request with net/http's client and Transport, nothing else: what linking net/http costs a command."},
		{what: "`slices-agent status`, handed over to slices-agent-core", ours: "status", base: "oidc", info: true,
			note: "The front end answers token and prompt itself; every other command is exec'd into slices-agent-core, " +
				"which pays the front end's start on top of its own."},
	}
	rows := make([]row, len(specs))
	ssh, sshErr := l.sshAgent()
	oidc, oidcErr := l.oidcAgent(a.portal)
	if sshErr == nil {
		cs = append(cs, ssh)
	}
	if oidcErr == nil {
		cs = append(cs, oidc)
	}
	var m map[string]float64
	var how string
	_, err := runOnce(cs[0])
	if err == nil {
		_, err = runOnce(cs[1])
	}
	if err == nil {
		m, how, err = timeCommands(cs, cfg.warmup, cfg.runs, l.dir)
	}
	for i, sp := range specs {
		r := row{what: sp.what, unit: unitDuration, limit: sp.limit, ratioOf: true, info: sp.info, note: sp.note}
		base, baseErr := ssh, sshErr
		if sp.base == "oidc" {
			base, baseErr = oidc, oidcErr
		}
		r.baseName = base.name
		switch {
		case err != nil:
			r.err = err
		case baseErr != nil:
			var s skipError
			if errors.As(baseErr, &s) {
				r.skipped = string(s)
			} else {
				r.err = baseErr
			}
		default:
			r.baseline = m[base.name]
			r.value = m[sp.ours]
		}
		rows[i] = r
	}
	rows[0].note = fmt.Sprintf("Timed with %s (%d warm-up runs, then %d runs per command), median wall time. "+
		"ssh-add -l asks a running ssh-agent holding one ed25519 key; oidc-token asks oidc-agent 4.2.6 for the cached "+
		"access token of an account made with oidc-gen against the emulated portal; slices-agent asks for a tracked "+
		"project's token by name.", how, cfg.warmup, cfg.runs)
	return rows
}
