//go:build linux

package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/slices-ri/slices-agent/devportal"
	"github.com/slices-ri/slices-agent/ipc"
)

// lab holds the processes one run starts, in its own directory, and stops
// every one of them (by pid) at the end.
type lab struct {
	dir   string // short: Unix socket paths are limited to 108 bytes
	bin   string // the binaries under test
	mu    sync.Mutex
	procs []*exec.Cmd
}

// newLab makes the directory; the binaries go to its bin/.
func newLab() (*lab, error) {
	dir, err := os.MkdirTemp("/tmp", "sb")
	if err != nil {
		return nil, err
	}
	return &lab{dir: dir, bin: filepath.Join(dir, "bin")}, nil
}

// close stops every process started, politely then by SIGKILL, and removes the directory.
func (l *lab) close() {
	l.mu.Lock()
	procs := l.procs
	l.procs = nil
	l.mu.Unlock()
	for i := len(procs) - 1; i >= 0; i-- {
		stop(procs[i])
	}
	os.RemoveAll(l.dir)
}

func stop(cmd *exec.Cmd) {
	if cmd.Process == nil || cmd.ProcessState != nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		_ = cmd.Process.Kill()
		<-done
	}
}

// start runs a long-lived process with its output in the lab's log files.
func (l *lab) start(name string, env []string, path string, args ...string) (*exec.Cmd, error) {
	cmd := exec.Command(path, args...)
	cmd.Env = append(os.Environ(), env...)
	logf, err := os.Create(filepath.Join(l.dir, name+".log"))
	if err != nil {
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	logf.Close()
	l.mu.Lock()
	l.procs = append(l.procs, cmd)
	l.mu.Unlock()
	return cmd, nil
}

// portal starts slices-devportal with args and returns its URL.
func (l *lab) portal(name string, args ...string) (string, error) {
	cmd := exec.Command(filepath.Join(l.bin, "slices-devportal"), append([]string{"--addr", "127.0.0.1:0", "--auto-approve"}, args...)...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return "", err
	}
	logf, err := os.Create(filepath.Join(l.dir, name+".log"))
	if err != nil {
		return "", err
	}
	defer logf.Close()
	cmd.Stderr = logf
	if err := cmd.Start(); err != nil {
		return "", fmt.Errorf("start %s: %w", name, err)
	}
	l.mu.Lock()
	l.procs = append(l.procs, cmd)
	l.mu.Unlock()
	url, err := devportal.ReadURL(out, 15*time.Second)
	if err != nil {
		return "", fmt.Errorf("%s: %w", name, err)
	}
	return url, nil
}

// agentProc is one running slices-agent daemon.
type agentProc struct {
	name   string
	socket string
	cmd    *exec.Cmd
	c      *ipc.Client
	lab    *lab
	portal string
}

func (a *agentProc) pid() int { return a.cmd.Process.Pid }

// agent starts 'slices-agent -D' against portalURL on its own socket, with a
// memory keyring and its own state directory, and waits until it answers.
func (l *lab) agent(name, portalURL string) (*agentProc, error) {
	sock := filepath.Join(l.dir, name+".sock")
	env := []string{"XDG_STATE_HOME=" + filepath.Join(l.dir, name+"-state"), "SLICES_PORTAL_URL=" + portalURL}
	cmd, err := l.start(name, env, filepath.Join(l.bin, "slices-agent"),
		"-D", "-a", sock, "--keyring", "memory", "--portal", portalURL, "--no-notify")
	if err != nil {
		return nil, err
	}
	a := &agentProc{name: name, socket: sock, cmd: cmd, c: ipc.NewClient(sock), lab: l, portal: portalURL}
	deadline := time.Now().Add(15 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_, err := a.c.Status(ctx)
		cancel()
		if err == nil {
			return a, nil
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("agent %s did not answer within 15 s: %w", name, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// login runs 'slices-agent login --no-browser' (the portal approves itself).
func (a *agentProc) login() error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(a.lab.bin, "slices-agent"), "-a", a.socket, "login", "--no-browser")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("login on %s: %v: %s", a.name, err, firstLine(string(out)))
	}
	return nil
}

// track tracks the first n of the portal's projects, 8 at a time, and
// returns them in the portal's order.
func (a *agentProc) track(n int) ([]ipc.Project, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	all, err := a.c.Projects(ctx)
	if err != nil {
		return nil, fmt.Errorf("list projects: %w", err)
	}
	if len(all) < n {
		return nil, fmt.Errorf("the portal has %d projects, want %d", len(all), n)
	}
	ps := all[:n]
	sem := make(chan struct{}, 8)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i, p := range ps {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			if _, err := a.c.Track(ctx, p.ID); err != nil {
				errs[i] = fmt.Errorf("track %s: %w", p.Name, err)
				return
			}
			_, errs[i] = a.c.TokenRaw(ctx, p.ID, 0)
		}()
	}
	wg.Wait()
	return ps, errors.Join(errs...)
}

// stop ends the agent process.
func (a *agentProc) stop() {
	a.c.Close()
	stop(a.cmd)
}

// vmRSS reads the resident set size of pid from /proc, in bytes.
func vmRSS(pid int) (float64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			if err != nil {
				return 0, fmt.Errorf("parse VmRSS %q: %w", v, err)
			}
			return kb * 1024, nil
		}
	}
	return 0, fmt.Errorf("no VmRSS in /proc/%d/status", pid)
}
