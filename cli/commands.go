package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/slices-ri/slices-agent/internal/termtext"
	"github.com/slices-ri/slices-agent/ipc"
	"github.com/slices-ri/slices-agent/token/lifetime"
)

func jsonFlag(fs *flag.FlagSet, e *env) {
	fs.BoolVar(&e.json, "json", false, "machine-readable output")
}

func init() {
	register(&command{name: "status", help: "agent, portal, keyring, login and tracked projects", flags: jsonFlag, run: status})
	register(&command{name: "projects", help: "your projects on the portal, with role and token state", flags: jsonFlag, run: projects})
	var minValid time.Duration
	register(&command{name: "token", args: "[PROJECT]", help: "print a token: the project's, or the user token",
		flags: func(fs *flag.FlagSet, e *env) {
			minValidFlag(fs, &minValid, "renew first unless the token is valid for at least `DURATION`")
		},
		run: func(ctx context.Context, e *env) error { return tokenCmd(ctx, e, minValid) }})
	var sink string
	register(&command{name: "add", args: "PROJECT [--sink PATH]", help: "track a project: keep its token renewed",
		flags: func(fs *flag.FlagSet, e *env) {
			fs.StringVar(&sink, "sink", "", "also keep the file `PATH` (0600) holding the token; a bare name goes in "+ipc.DefaultSinkDir())
		},
		run: func(ctx context.Context, e *env) error { return add(ctx, e, sink) }})
	register(&command{name: "remove", args: "PROJECT", help: "untrack a project and delete its token", run: remove})
	register(&command{name: "refresh", args: "[PROJECT]", help: "renew a token now", run: refresh})
	register(&command{name: "logout", help: "forget the login and every token, in memory and keyring", run: logout})
}

// minValidFlag defines --min-valid: a duration ("90s", "5m") or seconds,
// never negative.
func minValidFlag(fs *flag.FlagSet, d *time.Duration, usage string) {
	fs.Func("min-valid", usage, func(s string) error {
		v, err := ipc.ParseMinValid(s)
		if err != nil {
			if ae, ok := ipc.AsError(err); ok {
				return errors.New(ae.Message + ": give a duration of zero or more, such as 90s or 5m")
			}
			return err
		}
		*d = v
		return nil
	})
}

// client opens the client of the agent at e.socket.
func client(e *env) *ipc.Client {
	c := ipc.NewOneShotClient(e.socket)
	if e.expectPortal {
		c.ExpectPortal(e.portal)
	}
	return c
}

func oneOptional(e *env) (string, error) {
	switch len(e.args) {
	case 0:
		return "", nil
	case 1:
		return e.args[0], nil
	}
	return "", usagef("too many arguments: %s", strings.Join(e.args, " "))
}

// optionalProject is the PROJECT of token and refresh: none means the user
// token, and an empty one is refused, so that 'slices-agent token "$P"'
// with P unset does not quietly hand out the user token.
func optionalProject(e *env) (string, error) {
	ref, err := oneOptional(e)
	if err == nil && len(e.args) == 1 && ref == "" {
		err = usagef("an empty PROJECT: give a project's name or id, or none for the user token")
	}
	return ref, err
}

func exactlyOne(e *env, what string) (string, error) {
	if len(e.args) != 1 {
		return "", usagef("want exactly one %s", what)
	}
	return e.args[0], nil
}

func tokenCmd(ctx context.Context, e *env, minValid time.Duration) error {
	ref, err := optionalProject(e)
	if err != nil {
		return err
	}
	c := client(e)
	defer c.Close()
	tok, err := c.TokenRaw(ctx, ref, minValid)
	if err != nil {
		return err
	}
	_, err = io.WriteString(e.stdout, tok+"\n")
	return err
}

func add(ctx context.Context, e *env, sink string) error {
	ref, err := exactlyOne(e, "PROJECT")
	if err != nil {
		return err
	}
	c := client(e)
	defer c.Close()
	if sink == "" {
		p, err := c.Track(ctx, ref)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "tracking %s (%s)\n", esc(p.Name), esc(p.ID))
		return nil
	}
	path, err := sinkPath(sink)
	if err != nil {
		return err
	}
	p, err := c.TrackSink(ctx, ref, path)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "tracking %s (%s); its token is kept in %s\n", esc(p.Name), esc(p.ID), path)
	return nil
}

// sinkPath makes --sink absolute: a bare name goes in the default sink
// directory (made 0700 when missing), any other path is taken from the
// working directory.
func sinkPath(sink string) (string, error) {
	if !strings.ContainsRune(sink, filepath.Separator) {
		if sink == "." || sink == ".." {
			return "", usagef("--sink %q: give a file name or path", sink)
		}
		dir := ipc.DefaultSinkDir()
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return "", fmt.Errorf("token file directory: %w", err)
		}
		return filepath.Join(dir, sink), nil
	}
	return filepath.Abs(sink)
}

func remove(ctx context.Context, e *env) error {
	ref, err := exactlyOne(e, "PROJECT")
	if err != nil {
		return err
	}
	c := client(e)
	defer c.Close()
	st, err := c.Status(ctx)
	if err != nil {
		return err
	}
	tracked, ok := findTracked(st, ref)
	if err := c.Untrack(ctx, ref); err != nil {
		return err
	}
	if !ok {
		fmt.Fprintf(e.stdout, "%s was not tracked: nothing to remove\n", termtext.Escape(ref))
		return nil
	}
	fmt.Fprintf(e.stdout, "removed %s (%s): no longer renewed, its token deleted\n", termtext.Escape(tracked.Name), termtext.Escape(tracked.ID))
	return nil
}

func refresh(ctx context.Context, e *env) error {
	ref, err := optionalProject(e)
	if err != nil {
		return err
	}
	c := client(e)
	defer c.Close()
	if err := c.Refresh(ctx, ref); err != nil {
		return err
	}
	what, exp := "the user token", (*time.Time)(nil)
	if st, err := c.Status(ctx); err == nil {
		exp = st.User.ExpiresAt
		if ref != "" {
			p, _ := findTracked(st, ref)
			what, exp = "the token of "+termtext.Escape(p.Name), p.ExpiresAt
		}
	}
	if exp == nil {
		fmt.Fprintf(e.stdout, "renewed %s\n", what)
		return nil
	}
	fmt.Fprintf(e.stdout, "renewed %s: it expires %s\n", what, lifetime.Relative(*exp, time.Now()))
	return nil
}

// findTracked finds a tracked project of st by id or name.
func findTracked(st ipc.Status, ref string) (ipc.ProjectStatus, bool) {
	for _, p := range st.Projects {
		if p.ID == ref || p.Name == ref {
			return p, true
		}
	}
	return ipc.ProjectStatus{Name: ref}, false
}

func logout(ctx context.Context, e *env) error {
	c := client(e)
	defer c.Close()
	if err := c.Logout(ctx); err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, "logged out; the user and project tokens are forgotten")
	return nil
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func status(ctx context.Context, e *env) error {
	c := client(e)
	defer c.Close()
	st, err := c.Status(ctx)
	if err != nil {
		return err
	}
	if e.json {
		return writeJSON(e.stdout, st)
	}
	now := time.Now()
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "agent\t%s, pid %d, %s\n", esc(st.Version), st.PID, esc(st.Socket))
	set := settingsByKey(st.Settings)
	fmt.Fprintf(tw, "portal\t%s%s\n", esc(st.Portal), set.from("portal"))
	if st.ClientID != "" {
		kind := "public client, no secret"
		if f := set["client_secret_file"]; f.Value != "" {
			kind = "confidential client, secret in " + f.Value + set.from("client_secret_file")
		}
		fmt.Fprintf(tw, "client\t%s%s; %s\n", esc(st.ClientID), set.from("client_id"), esc(kind))
	}
	if sc, ok := set["scope"]; ok {
		scope := sc.Value
		if scope == "" {
			scope = "openid userinfo projects, plus offline_access if the portal lists it"
		}
		fmt.Fprintf(tw, "scope\t%s%s\n", esc(scope), set.from("scope"))
	}
	kr := st.Keyring
	if st.KeyringNote != "" {
		kr += " (" + st.KeyringNote + ")"
	}
	fmt.Fprintf(tw, "keyring\t%s%s\n", esc(kr), set.from("keyring"))
	if st.Locked {
		fmt.Fprintf(tw, "locked\tyes: no token leaves the agent until 'slices-agent unlock'\n")
	}
	switch {
	case st.User.LoggedIn:
		who := st.User.Name
		if who == "" {
			who = st.User.Subject
		}
		fmt.Fprintf(tw, "login\t%s, user token %s\n", esc(who), left(esc(st.User.State), st.User.ExpiresAt, now))
	case st.User.State == ipc.StateLoginRequired && st.User.Subject != "":
		fmt.Fprintf(tw, "login\trequired: the portal refused the stored login (run 'slices-agent login')\n")
	default:
		fmt.Fprintf(tw, "login\tnot logged in (run 'slices-agent login')\n")
	}
	if st.User.LastError != "" {
		fmt.Fprintf(tw, "\tlast error: %s\n", esc(st.User.LastError))
	}
	fmt.Fprintf(tw, "projects\t%d tracked\n", len(st.Projects))
	for _, p := range st.Projects {
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", esc(p.Name), esc(p.Role), left(esc(p.State), p.ExpiresAt, now))
		if p.Sink != "" {
			fmt.Fprintf(tw, "\t\ttoken file: %s\n", esc(p.Sink))
		}
		if p.LastError != "" {
			fmt.Fprintf(tw, "\t\tlast error: %s\n", esc(p.LastError))
		}
	}
	return tw.Flush()
}

// left describes a token's state and time left: "valid, 41m 3s left".
func left(state string, exp *time.Time, now time.Time) string {
	if exp == nil {
		return state
	}
	d := exp.Sub(now)
	if d <= 0 {
		return state + ", expired " + lifetime.HumanDuration(-d) + " ago"
	}
	return state + ", " + lifetime.HumanDuration(d) + " left"
}

func projects(ctx context.Context, e *env) error {
	c := client(e)
	defer c.Close()
	list, err := c.Projects(ctx)
	if err != nil {
		return err
	}
	if e.json {
		return writeJSON(e.stdout, ipc.ProjectList{Projects: list})
	}
	now := time.Now()
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tROLE\tTOKEN\tID")
	for _, p := range list {
		state := "not tracked"
		if p.Tracked {
			state = left(esc(p.State), p.TokenExpiresAt, now)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", esc(p.Name), esc(p.Role), state, esc(p.ID))
	}
	return tw.Flush()
}

// settings are an agent's settings by key.
type settings map[string]ipc.Setting

func settingsByKey(list []ipc.Setting) settings {
	m := settings{}
	for _, s := range list {
		m[s.Key] = s
	}
	return m
}

// from says where a setting came from: " [--portal]", " [env SLICES_SCOPE]",
// " [config /path]", " [default]"; nothing when the agent did not say.
func (s settings) from(key string) string {
	v, ok := s[key]
	if !ok {
		return ""
	}
	switch v.Source {
	case "flag":
		return " [flag " + v.From + "]"
	case "env":
		return " [env " + v.From + "]"
	case "file":
		return " [config " + v.From + "]"
	}
	return " [" + v.Source + "]"
}
