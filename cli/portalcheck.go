package cli

import (
	"fmt"

	"github.com/slices-ri/slices-agent/config"
	"github.com/slices-ri/slices-agent/internal/termtext"
	"github.com/slices-ri/slices-agent/ipc"
)

// agentCommands are the client commands that act through the agent: given a
// portal (flag or environment) other than the agent's, they refuse, rather
// than silently use the agent's. start and env check in ensureAgent.
var agentCommands = map[string]bool{"status": true, "projects": true, "token": true, "add": true, "remove": true,
	"refresh": true, "exec": true, "login": true, "logout": true, "lock": true, "unlock": true, "import-cli": true}

// expectsPortal reports whether command name, run as e, must name its portal
// to the agent: a portal was given (flag or environment), and the agent at
// the other end of the socket must use that one or refuse (portal_mismatch).
// start and env check in ensureAgent.
func expectsPortal(name string, e *env) bool {
	return agentCommands[name] && e.settings.Given(config.KeyPortal)
}

// portalMismatch compares the portal asked for with the agent's status.
func portalMismatch(e *env, st ipc.Status) error {
	if !e.settings.Given(config.KeyPortal) || ipc.SamePortal(st.Portal, e.portal) {
		return nil
	}
	return mismatch(e, ipc.PortalMismatch(st.Portal, e.portal, st.PID).Message)
}

// explainMismatch turns an agent's portal_mismatch answer into the CLI's
// error, naming the socket and where the portal asked for came from.
func explainMismatch(e *env, err error) error {
	if ae, ok := ipc.AsError(err); ok && ae.Code == ipc.CodePortalMismatch {
		return mismatch(e, ae.Message)
	}
	return err
}

// mismatch is the error of an agent on another portal; what says
// "(pid N) uses the portal X, not Y".
func mismatch(e *env, what string) error {
	from := config.Describe(e.settings.Values[config.KeyPortal])
	return &hinted{
		err: fmt.Errorf("the agent at %s %s (from %s)", e.socket, termtext.Escape(what), from),
		hint: fmt.Sprintf("to use this agent, drop %s; for the other portal, run an agent of its own: "+
			"eval \"$(slices-agent -a ANOTHER.sock --portal %s env)\"", from, e.portal),
		code: ExitError,
	}
}

// clientSecret reads the client secret from the configured file, if any.
func clientSecret(e *env) (string, error) {
	path := e.settings.Get(config.KeyClientSecretFile)
	if path == "" {
		return "", nil
	}
	secret, err := config.ReadSecret(path)
	if err != nil {
		return "", configError(err)
	}
	return secret, nil
}

// checkSecretFile reads the secret file before a daemon is started, so that
// a mistake is reported here rather than in the daemon's log.
func checkSecretFile(e *env) error {
	_, err := clientSecret(e)
	return err
}

// settingsList is the settings as status shows them: values and where they
// came from, never a secret (only the secret file's path).
func settingsList(s config.Settings) []ipc.Setting {
	out := make([]ipc.Setting, 0, len(config.Keys))
	for _, k := range config.Keys {
		v := s.Values[k]
		out = append(out, ipc.Setting{Key: k, Value: v.Value, Source: v.Source, From: v.From})
	}
	return out
}
