package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/slices-ri/slices-agent/ipc"
	"github.com/slices-ri/slices-agent/token"
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
			fs.DurationVar(&minValid, "min-valid", 0, "renew first unless the token is valid for at least `DURATION`")
		},
		run: func(ctx context.Context, e *env) error { return tokenCmd(ctx, e, minValid) }})
	register(&command{name: "add", args: "PROJECT", help: "track a project: keep its token renewed", run: add})
	register(&command{name: "remove", args: "PROJECT", help: "untrack a project and delete its token", run: remove})
	register(&command{name: "refresh", args: "[PROJECT]", help: "renew a token now", run: refresh})
	register(&command{name: "logout", help: "forget the login and every token, in memory and keyring", run: logout})
}

// client opens the client of the agent at e.socket.
func client(e *env) *ipc.Client { return ipc.NewClient(e.socket) }

func oneOptional(e *env) (string, error) {
	switch len(e.args) {
	case 0:
		return "", nil
	case 1:
		return e.args[0], nil
	}
	return "", usagef("too many arguments: %s", strings.Join(e.args, " "))
}

func exactlyOne(e *env, what string) (string, error) {
	if len(e.args) != 1 {
		return "", usagef("want exactly one %s", what)
	}
	return e.args[0], nil
}

func tokenCmd(ctx context.Context, e *env, minValid time.Duration) error {
	ref, err := oneOptional(e)
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

func add(ctx context.Context, e *env) error {
	ref, err := exactlyOne(e, "PROJECT")
	if err != nil {
		return err
	}
	c := client(e)
	defer c.Close()
	p, err := c.Track(ctx, ref)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "tracking %s (%s)\n", esc(p.Name), esc(p.ID))
	return nil
}

func remove(ctx context.Context, e *env) error {
	ref, err := exactlyOne(e, "PROJECT")
	if err != nil {
		return err
	}
	c := client(e)
	defer c.Close()
	return c.Untrack(ctx, ref)
}

func refresh(ctx context.Context, e *env) error {
	ref, err := oneOptional(e)
	if err != nil {
		return err
	}
	c := client(e)
	defer c.Close()
	return c.Refresh(ctx, ref)
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
	fmt.Fprintf(tw, "portal\t%s\n", esc(st.Portal))
	kr := st.Keyring
	if st.KeyringNote != "" {
		kr += " (" + st.KeyringNote + ")"
	}
	fmt.Fprintf(tw, "keyring\t%s\n", esc(kr))
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
		return state + ", expired " + token.HumanDuration(-d) + " ago"
	}
	return state + ", " + token.HumanDuration(d) + " left"
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
