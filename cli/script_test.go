package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/slices-ri/slices-agent/devportal"
	"github.com/slices-ri/slices-agent/ipc"
)

// TestMain makes this test binary also the slices-agent and slices-devportal
// commands of the scripts: testscript puts copies of it on their PATH under
// those names, so the scripts run the real CLI and the real emulator.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"slices-agent":     func() { os.Exit(Main(os.Args[1:])) },
		"slices-devportal": devportalMain,
	})
}

// devportalMain is cmd/slices-devportal's main.
func devportalMain() {
	ctx, stop := signalContext()
	err := devportal.Run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	var usage *devportal.UsageError
	switch {
	case err == nil:
	case errors.Is(err, flag.ErrHelp):
	case errors.As(err, &usage):
		fmt.Fprintf(os.Stderr, "slices-devportal: %v\n", err)
		os.Exit(2)
	default:
		fmt.Fprintf(os.Stderr, "slices-devportal: %v\n", err)
		os.Exit(1)
	}
}

func signalContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}

// TestScripts runs testdata/script/*.txtar: terminal sessions against the
// real agent and the real emulated portal.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 filepath.Join("..", "testdata", "script"),
		RequireExplicitExec: true,
		Setup:               scriptSetup,
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"startportal": cmdStartPortal,
			"startagent":  cmdStartAgent,
			"exits":       cmdExits,
			"poll":        cmdPoll,
			"relay":       cmdRelay,
			"activate":    cmdActivate,
			"mkjwt":       cmdMkJWT,
			"cliauth":     cmdCLIAuth,
			"mode":        cmdMode,
		},
		Condition: func(cond string) (bool, error) {
			if name, ok := strings.CutPrefix(cond, "have:"); ok {
				_, err := exec.LookPath(name)
				return err == nil, nil
			}
			return false, fmt.Errorf("unknown condition %q", cond)
		},
	})
}

// scriptSetup gives each script a throwaway home and a short runtime
// directory (Unix socket paths are limited to 108 bytes).
func scriptSetup(env *testscript.Env) error {
	run, err := os.MkdirTemp("", "sa")
	if err != nil {
		return err
	}
	env.Defer(func() { os.RemoveAll(run) })
	if err := os.Chmod(run, 0o700); err != nil {
		return err
	}
	home := filepath.Join(env.WorkDir, "home")
	if err := os.MkdirAll(home, 0o700); err != nil {
		return err
	}
	env.Setenv("HOME", home)
	env.Setenv("XDG_RUNTIME_DIR", run)
	env.Setenv("XDG_STATE_HOME", filepath.Join(env.WorkDir, "state"))
	env.Setenv("XDG_CONFIG_HOME", filepath.Join(env.WorkDir, "config"))
	env.Setenv("SLICES_KEYRING", "memory")
	env.Setenv("SHELL", "/bin/sh")
	env.Setenv("SOCK", filepath.Join(run, "a.sock"))
	env.Setenv("RUN", run)
	return nil
}

// scriptEnv is the script's environment, for processes the test starts itself.
func scriptEnv(ts *testscript.TestScript) []string {
	var out []string
	for _, k := range []string{"PATH", "HOME", "XDG_RUNTIME_DIR", "XDG_STATE_HOME", "XDG_CONFIG_HOME",
		"SLICES_KEYRING", "SLICES_PORTAL_URL", "TMPDIR", "SHELL"} {
		if v := ts.Getenv(k); v != "" {
			out = append(out, k+"="+v)
		}
	}
	return out
}

// startportal [flags]: starts slices-devportal --auto-approve in the
// background and sets $SLICES_PORTAL_URL (and $PORTAL) to its URL.
func cmdStartPortal(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("unsupported: ! startportal")
	}
	path, err := exec.LookPath("slices-devportal")
	ts.Check(err)
	cmd := exec.Command(path, append([]string{"--addr", "127.0.0.1:0", "--auto-approve", "--interval", "200ms"}, args...)...)
	cmd.Env = scriptEnv(ts)
	out, err := cmd.StdoutPipe()
	ts.Check(err)
	cmd.Stderr = nil
	ts.Check(cmd.Start())
	ts.Defer(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
		}
	})
	url, err := devportal.ReadURL(out, 10*time.Second)
	ts.Check(err)
	ts.Setenv("SLICES_PORTAL_URL", url)
	ts.Setenv("PORTAL", url)
}

// startagent [flags]: starts an agent on $SOCK the ssh-agent way (the real
// background start), sets $SLICES_AGENT_SOCK and $AGENT_PID, and stops it
// when the script ends.
func cmdStartAgent(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("unsupported: ! startagent")
	}
	sock := ts.Getenv("SOCK")
	ts.Check(ts.Exec("slices-agent", append([]string{"-a", sock, "-s"}, args...)...))
	out := ts.ReadFile("stdout")
	var pid int
	for _, f := range strings.FieldsFunc(out, func(r rune) bool { return r == ';' || r == '\n' }) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(f), ipc.EnvPID+"="); ok {
			pid, _ = strconv.Atoi(v)
		}
	}
	if pid == 0 {
		ts.Fatalf("no %s in %q", ipc.EnvPID, out)
	}
	ts.Setenv("SLICES_AGENT_SOCK", sock)
	ts.Setenv("AGENT_PID", strconv.Itoa(pid))
	ts.Defer(func() {
		c := ipc.NewClient(sock)
		defer c.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		_ = c.Shutdown(ctx)
		for i := 0; i < 100 && syscall.Kill(pid, 0) == nil; i++ {
			time.Sleep(30 * time.Millisecond)
		}
		_ = syscall.Kill(pid, syscall.SIGKILL)
	})
}

// exits N prog [args]: runs prog and requires exit status N.
func cmdExits(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 2 {
		ts.Fatalf("usage: exits N prog [args]")
	}
	want, err := strconv.Atoi(args[0])
	ts.Check(err)
	err = ts.Exec(args[1], args[2:]...)
	got := 0
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		got = ee.ExitCode()
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			ts.Fatalf("%s was killed by %v", args[1], ws.Signal())
		}
	case err != nil:
		ts.Fatalf("running %s: %v", args[1], err)
	}
	if (got == want) == neg {
		ts.Fatalf("%s exited %d, want %s%d", args[1], got, map[bool]string{true: "not ", false: ""}[neg], want)
	}
}

// poll TIMEOUT prog [args]: runs prog until it succeeds (or, with !, fails).
func cmdPoll(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 2 {
		ts.Fatalf("usage: poll TIMEOUT prog [args]")
	}
	d, err := time.ParseDuration(args[0])
	ts.Check(err)
	deadline := time.Now().Add(d)
	for {
		err := ts.Exec(args[1], args[2:]...)
		if (err == nil) != neg {
			return
		}
		if time.Now().After(deadline) {
			ts.Fatalf("%s did not %s within %s: %v", strings.Join(args[1:], " "),
				map[bool]string{true: "fail", false: "succeed"}[neg], d, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// relay FROM TO: forwards connections on the Unix socket FROM to TO, the
// way 'ssh -R /remote.sock:/local.sock' does, until the script ends.
func cmdRelay(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: relay FROM TO")
	}
	l, err := net.Listen("unix", args[0])
	ts.Check(err)
	ts.Defer(func() { l.Close() })
	go func() {
		for {
			in, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer in.Close()
				out, err := net.Dial("unix", args[1])
				if err != nil {
					return
				}
				defer out.Close()
				done := make(chan struct{}, 2)
				go func() { copyClose(out, in); done <- struct{}{} }()
				go func() { copyClose(in, out); done <- struct{}{} }()
				<-done
				<-done
			}()
		}
	}()
}

// activate SOCKET [agent flags]: listens on SOCKET here and starts
// 'slices-agent -D' with that listener as fd 3, LISTEN_FDS=1 and LISTEN_PID
// set to the agent's own pid, as systemd's socket activation does; waits
// until the agent answers on SOCKET. The agent is given -a $RUN/unused.sock,
// so it can only answer on SOCKET through the descriptor it was passed.
func cmdActivate(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 1 {
		ts.Fatalf("usage: activate SOCKET [flags]")
	}
	l, err := net.Listen("unix", args[0])
	ts.Check(err)
	ul := l.(*net.UnixListener)
	ul.SetUnlinkOnClose(false) // the path must outlive this copy of the listener
	ts.Defer(func() { os.Remove(args[0]) })
	f, err := ul.File()
	ts.Check(err)
	self, err := exec.LookPath("slices-agent")
	ts.Check(err)
	agentArgs := append([]string{"-D", "-a", filepath.Join(ts.Getenv("RUN"), "unused.sock")}, args[1:]...)
	// sh sets LISTEN_PID to its own pid, then execs the agent into it.
	cmd := exec.Command("/bin/sh", append([]string{"-c", `LISTEN_PID=$$ LISTEN_FDS=1 exec "$0" "$@"`, self}, agentArgs...)...)
	cmd.Env = scriptEnv(ts)
	cmd.ExtraFiles = []*os.File{f}
	logf, err := os.Create(ts.MkAbs("activated.log"))
	ts.Check(err)
	cmd.Stderr = logf
	ts.Check(cmd.Start())
	f.Close()
	l.Close() // the agent holds its own copy of the listening socket
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait(); logf.Close() }()
	ts.Defer(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
		}
	})
	c := ipc.NewClient(args[0])
	defer c.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		st, err := c.Status(ctx)
		cancel()
		if err == nil {
			if st.PID != cmd.Process.Pid {
				ts.Fatalf("an agent with pid %d answered, want the activated %d", st.PID, cmd.Process.Pid)
			}
			ts.Setenv("ACTIVATED_PID", strconv.Itoa(st.PID))
			return
		}
		select {
		case err := <-exited:
			ts.Fatalf("the activated agent exited: %v", err)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			ts.Fatalf("the activated agent did not answer on %s: %v", args[0], err)
		}
	}
}
