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

// timeCommands returns each command's median wall time in seconds over runs
// runs after warmup warm-up runs: with hyperfine -N (no shell) when it is
// installed, else with an interleaved fork/exec loop here.
func timeCommands(cs []command, warmup, runs int, dir string) (map[string]float64, string, error) {
	if _, err := exec.LookPath("hyperfine"); err == nil {
		m, err := hyperfine(cs, warmup, runs, dir)
		return m, "hyperfine -N", err
	}
	m, err := forkLoop(cs, warmup, runs)
	return m, "fork/exec loop", err
}

func hyperfine(cs []command, warmup, runs int, dir string) (map[string]float64, error) {
	out := make(map[string]float64)
	for i, c := range cs { // one hyperfine per command: each has its own environment
		js := filepath.Join(dir, fmt.Sprintf("hyperfine-%d.json", i))
		cmd := exec.Command("hyperfine", "-N", "--style", "none", "--warmup", fmt.Sprint(warmup), "--runs", fmt.Sprint(runs),
			"--export-json", js, strings.Join(c.argv, " "))
		cmd.Env = append(os.Environ(), c.env...)
		if b, err := cmd.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("hyperfine %s: %v: %s", c.name, err, strings.TrimSpace(string(b)))
		}
		b, err := os.ReadFile(js)
		if err != nil {
			return nil, err
		}
		m, err := parseHyperfine(b)
		if err != nil {
			return nil, err
		}
		out[c.name] = m
	}
	return out, nil
}

// parseHyperfine reads the median of the one result in hyperfine's JSON export.
func parseHyperfine(b []byte) (float64, error) {
	var v struct {
		Results []struct {
			Median float64 `json:"median"`
		} `json:"results"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return 0, fmt.Errorf("hyperfine json: %w", err)
	}
	if len(v.Results) != 1 || v.Results[0].Median <= 0 {
		return 0, errors.New("hyperfine json: want one result with a median")
	}
	return v.Results[0].Median, nil
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

// wholeRows time 'slices-agent token NAME' as a whole process beside
// 'ssh-add -l' (ssh-agent holding one key) and 'oidc-token bench' (oidc-agent
// against the emulated portal), all in this run.
func (l *lab) wholeRows(a *agentProc, name, plainBin string, cfg config) []row {
	ours := command{name: "release", argv: []string{filepath.Join(l.bin, "slices-agent"), "-a", a.socket, "token", name}}
	plain := command{name: "plain", argv: []string{filepath.Join(plainBin, "slices-agent"), "-a", a.socket, "token", name}}
	floor := command{name: "floor", argv: []string{filepath.Join(l.bin, "floor"), a.socket, name}}
	what := "`slices-agent token " + name + "`, whole process, median of " + fmt.Sprint(cfg.runs)
	rows := []row{
		{what: what, unit: unitDuration, limit: 1, ratioOf: true},
		{what: what, unit: unitDuration, limit: 1, ratioOf: true},
		{what: "same, built by a default 'go build' (cgo, symbols)", unit: unitDuration, info: true, ratioOf: true,
			note: "The plain 'go build' binary links libc dynamically (cgo is on by default for net and os/user); " +
				"the release rows above use CGO_ENABLED=0 -trimpath -ldflags='-s -w': a static binary skips the dynamic loader."},
		{what: "floor: a minimal Go HTTP client over the socket", unit: unitDuration, info: true,
			note: "bench/floor, built like the release binary: one HTTP request over the Unix socket, nothing else. " +
				"No Go program can start faster than its runtime; this row shows where that floor lies."},
		{what: "floor: a minimal Go HTTP client over the socket", unit: unitDuration, info: true},
	}
	ssh, sshErr := l.sshAgent()
	oidc, oidcErr := l.oidcAgent(a.portal)
	cs := []command{ours, plain, floor}
	if sshErr == nil {
		cs = append(cs, ssh)
	}
	if oidcErr == nil {
		cs = append(cs, oidc)
	}
	var m map[string]float64
	var how string
	_, err := runOnce(ours)
	if err == nil {
		m, how, err = timeCommands(cs, cfg.warmup, cfg.runs, l.dir)
	}
	for i := range rows {
		r := &rows[i]
		base, baseErr := ssh, sshErr
		if i == 1 || i == 4 {
			base, baseErr = oidc, oidcErr
		}
		r.baseName = base.name
		switch {
		case err != nil:
			r.err = err
			continue
		case baseErr != nil:
			var s skipError
			if errors.As(baseErr, &s) {
				r.skipped = string(s)
			} else {
				r.err = baseErr
			}
			continue
		}
		r.baseline = m[base.name]
		r.value = m[[]string{"release", "release", "plain", "floor", "floor"}[i]]
	}
	rows[0].note = fmt.Sprintf("Timed with %s, %d warm-up runs then %d runs per command, median wall time. "+
		"ssh-add -l asks a running ssh-agent holding one ed25519 key; oidc-token asks oidc-agent 4.2.6 for the cached "+
		"access token of an account made with oidc-gen against the emulated portal; slices-agent asks for a tracked "+
		"project's token by name.", how, cfg.warmup, cfg.runs)
	return rows
}
