package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/slices-ri/slices-agent/config"
	"github.com/slices-ri/slices-agent/ipc"
)

// agentCommands are the client commands that act through the agent: given a
// portal (flag or environment) other than the agent's, they refuse, rather
// than silently use the agent's. start and env check in ensureAgent.
var agentCommands = map[string]bool{"status": true, "projects": true, "token": true, "add": true, "remove": true,
	"refresh": true, "exec": true, "login": true, "logout": true, "lock": true, "unlock": true, "import-cli": true}

// checkAgentPortal fails when the portal was given on the command line or in
// the environment and the agent at e.socket uses another one. Without an
// agent it says nothing: the command itself reports that.
func checkAgentPortal(ctx context.Context, e *env) error {
	if !e.settings.Given(config.KeyPortal) {
		return nil
	}
	c := ipc.NewClient(e.socket)
	defer c.Close()
	st, err := quickStatus(ctx, c)
	if err != nil {
		return nil
	}
	return portalMismatch(e, st)
}

// portalMismatch compares the portal asked for with the agent's.
func portalMismatch(e *env, st ipc.Status) error {
	if !e.settings.Given(config.KeyPortal) || samePortal(st.Portal, e.portal) {
		return nil
	}
	v := e.settings.Values[config.KeyPortal]
	return &hinted{
		err: fmt.Errorf("the agent at %s (pid %d) uses the portal %s, not %s (from %s)",
			e.socket, st.PID, st.Portal, e.portal, config.Describe(v)),
		hint: fmt.Sprintf("to use this agent, drop %s; for the other portal, run an agent of its own: "+
			"eval \"$(slices-agent -a ANOTHER.sock --portal %s env)\"", config.Describe(v), e.portal),
		code: ExitError,
	}
}

// samePortal compares portal URLs, ignoring a trailing slash and the case of
// the scheme and host.
func samePortal(a, b string) bool {
	norm := func(u string) string {
		u = strings.TrimRight(u, "/")
		if scheme, rest, ok := strings.Cut(u, "://"); ok {
			host, path, _ := strings.Cut(rest, "/")
			u = strings.ToLower(scheme) + "://" + strings.ToLower(host)
			if path != "" {
				u += "/" + path
			}
		}
		return u
	}
	return norm(a) == norm(b)
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
