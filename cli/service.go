package cli

import (
	"context"
	"encoding/xml"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/slices-ri/slices-agent/config"
)

// Names of the files install-service writes.
const (
	SystemdSocketUnit  = "slices-agent.socket"
	SystemdServiceUnit = "slices-agent.service"
	LaunchdLabel       = "eu.slices-ri.slices-agent"
)

// serviceFile is one file install-service writes.
type serviceFile struct {
	path    string
	content string
}

func init() {
	var (
		print  bool
		target string
	)
	register(&command{name: "install-service", args: "[--print] [--target systemd|launchd]",
		help: "start the agent at login: a systemd user socket+service (Linux) or a launchd agent (macOS)",
		flags: func(fs *flag.FlagSet, e *env) {
			fs.BoolVar(&print, "print", false, "show the files instead of writing them")
			fs.StringVar(&target, "target", defaultTarget(), "service manager: systemd or launchd")
		},
		run: func(ctx context.Context, e *env) error {
			if len(e.args) > 0 {
				return usagef("install-service: unexpected argument %q", e.args[0])
			}
			if e.socketFlag {
				return usagef("install-service: -a is not supported: the service listens on the default socket, " +
					"$XDG_RUNTIME_DIR/slices-agent/agent.sock, where every client looks first; leave -a out")
			}
			return installService(e, target, print)
		}})
}

func defaultTarget() string {
	if runtime.GOOS == "darwin" {
		return "launchd"
	}
	return "systemd"
}

// agentArgs is the daemon's command line: this executable, -D, and the
// settings given as flags or in the environment (a service does not see the
// shell's environment; it reads the config file itself). Never a secret:
// the client secret stays in its file, and only the file's path is written.
func agentArgs(e *env) ([]string, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("finding this executable's path: %w", err)
	}
	if resolved, err := filepath.EvalSymlinks(self); err == nil {
		self = resolved
	}
	args := []string{self, "-D"}
	for _, k := range config.Keys {
		if e.settings.Given(k) {
			args = append(args, "--"+config.Flag(k), e.settings.Get(k))
		}
	}
	return args, nil
}

func installService(e *env, target string, print bool) error {
	args, err := agentArgs(e)
	if err != nil {
		return err
	}
	if err := checkSecretFile(e); err != nil {
		return err
	}
	var files []serviceFile
	var next string
	switch target {
	case "systemd":
		dir := filepath.Join(configHome(), "systemd", "user")
		files = []serviceFile{
			{filepath.Join(dir, SystemdSocketUnit), systemdSocket()},
			{filepath.Join(dir, SystemdServiceUnit), systemdService(args)},
		}
		next = "systemctl --user daemon-reload\nsystemctl --user enable --now " + SystemdSocketUnit + "\n"
	case "launchd":
		home, err := os.UserHomeDir()
		if err != nil {
			return err
		}
		files = []serviceFile{{filepath.Join(home, "Library", "LaunchAgents", LaunchdLabel+".plist"), launchdPlist(args)}}
		next = "launchctl bootstrap gui/$(id -u) " + shellQuote(files[0].path) + "\n"
	default:
		return usagef("install-service: unknown --target %q (want systemd or launchd)", target)
	}
	if print {
		for _, f := range files {
			fmt.Fprintf(e.stdout, "# %s\n%s\n", f.path, f.content)
		}
		return nil
	}
	for _, f := range files {
		if err := writeFileAtomic(f.path, []byte(f.content), 0o644); err != nil {
			return fmt.Errorf("writing %s: %w", f.path, err)
		}
		fmt.Fprintf(e.stdout, "wrote %s\n", f.path)
	}
	fmt.Fprintf(e.stdout, "\nto start it now and at every login, run:\n%s", next)
	fmt.Fprintf(e.stdout, "clients find it at the default socket; no eval needed in new shells\n")
	return nil
}

// configHome is $XDG_CONFIG_HOME, or ~/.config.
func configHome() string {
	if d := os.Getenv("XDG_CONFIG_HOME"); d != "" {
		return d
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return ".config"
	}
	return filepath.Join(home, ".config")
}

// systemdSocket is the socket unit: systemd listens on the default socket
// path ($XDG_RUNTIME_DIR/slices-agent/agent.sock) and starts the agent on the
// first connection.
func systemdSocket() string {
	return `[Unit]
Description=slices-agent socket: Slices tokens kept renewed, served like ssh-agent
Documentation=https://github.com/slices-ri/slices-agent

[Socket]
ListenStream=%t/slices-agent/agent.sock
SocketMode=0600
DirectoryMode=0700

[Install]
WantedBy=sockets.target
`
}

// systemdService is the service unit started by the socket.
func systemdService(args []string) string {
	quoted := make([]string, len(args))
	for i, a := range args {
		quoted[i] = systemdQuote(a)
	}
	return `[Unit]
Description=slices-agent: Slices tokens kept renewed, served like ssh-agent
Documentation=https://github.com/slices-ri/slices-agent
Requires=` + SystemdSocketUnit + `
After=` + SystemdSocketUnit + `

[Service]
Type=simple
ExecStart=` + strings.Join(quoted, " ") + `
Restart=on-failure

[Install]
Also=` + SystemdSocketUnit + `
`
}

// systemdQuote quotes a word of ExecStart when it needs it; "%" is doubled
// so that systemd does not read it as a specifier.
func systemdQuote(s string) string {
	s = strings.ReplaceAll(s, "%", "%%")
	if s != "" && !strings.ContainsAny(s, " \t\"'\\;$") {
		return s
	}
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, `$`, `$$`)
	return `"` + r.Replace(s) + `"`
}

// launchdPlist is a launchd agent that runs the agent at login and keeps it
// running; it listens on the default socket itself.
func launchdPlist(args []string) string {
	var b strings.Builder
	esc := func(s string) string {
		var x strings.Builder
		_ = xml.EscapeText(&x, []byte(s))
		return x.String()
	}
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
  <key>Label</key>
  <string>` + LaunchdLabel + `</string>
  <key>ProgramArguments</key>
  <array>
`)
	for _, a := range args {
		b.WriteString("    <string>" + esc(a) + "</string>\n")
	}
	b.WriteString(`  </array>
  <key>RunAtLoad</key>
  <true/>
  <key>KeepAlive</key>
  <dict>
    <key>SuccessfulExit</key>
    <false/>
  </dict>
  <key>ProcessType</key>
  <string>Background</string>
</dict>
</plist>
`)
	return b.String()
}

// writeFileAtomic writes b to path through a temporary file and a rename.
func writeFileAtomic(path string, b []byte, mode os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Chmod(mode); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
