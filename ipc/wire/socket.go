package wire

import (
	"os"
	"path/filepath"
	"strconv"
)

// EnvSocket is the environment variable that names the agent's socket.
const EnvSocket = "SLICES_AGENT_SOCK"

// DefaultSocketPath is $XDG_RUNTIME_DIR/slices-agent/agent.sock, or
// ${TMPDIR:-/tmp}/slices-agent-$UID/agent.sock when XDG_RUNTIME_DIR is unset.
func DefaultSocketPath() string {
	if d := os.Getenv("XDG_RUNTIME_DIR"); d != "" {
		return filepath.Join(d, "slices-agent", "agent.sock")
	}
	tmp := os.Getenv("TMPDIR")
	if tmp == "" {
		tmp = "/tmp"
	}
	return filepath.Join(tmp, "slices-agent-"+strconv.Itoa(os.Getuid()), "agent.sock")
}

// ResolveSocket picks the socket path: flag if set, else $SLICES_AGENT_SOCK,
// else DefaultSocketPath.
func ResolveSocket(flag string) string {
	if flag != "" {
		return flag
	}
	if s := os.Getenv(EnvSocket); s != "" {
		return s
	}
	return DefaultSocketPath()
}
