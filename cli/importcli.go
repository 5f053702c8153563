package cli

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/slices-ri/slices-agent/token"
	"github.com/slices-ri/slices-agent/token/lifetime"
)

// importDebounce is how long import-cli --watch waits after the last change
// to the file before reading it: writers often take several writes.
const importDebounce = 250 * time.Millisecond

func init() {
	var (
		watch bool
		file  string
	)
	register(&command{name: "import-cli", args: "[--watch] [--file PATH]",
		help: "import the Slices CLI's login (~/.slices/auth.json); --watch follows the file",
		flags: func(fs *flag.FlagSet, e *env) {
			fs.BoolVar(&watch, "watch", false, "keep running and import the file again whenever it changes")
			fs.StringVar(&file, "file", "", "the Slices CLI's login `file` (default ~/.slices/auth.json)")
		},
		run: func(ctx context.Context, e *env) error {
			if len(e.args) > 0 {
				return usagef("import-cli: unexpected argument %q", e.args[0])
			}
			path, err := cliAuthPath(file)
			if err != nil {
				return err
			}
			if watch {
				return watchImport(ctx, e, path)
			}
			_, err = importFile(ctx, e, path)
			return err
		}})
}

// cliAuthPath is the file given, or ~/.slices/auth.json.
func cliAuthPath(file string) (string, error) {
	if file != "" {
		return file, nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("finding the Slices CLI's login: %w", err)
	}
	return filepath.Join(home, ".slices", "auth.json"), nil
}

// cliLogin is the part of the Slices CLI's login file the agent imports.
type cliLogin struct {
	AccessToken  string
	RefreshToken string
	Where        string // the JSON path of the object they were found in, "" for the top
	// ClientID is the client the tokens were issued to, when the file says
	// (beside the tokens or at the top), else when the access token does
	// (its client_id or azp claim); "" when nothing says.
	ClientID string
}

// Key names under which a login file may carry the tokens and their client.
var (
	accessKeys  = []string{"access_token", "accessToken", "token"}
	refreshKeys = []string{"refresh_token", "refreshToken"}
	clientKeys  = []string{"client_id", "clientId"}
)

// unknownShapeError is a login file that is JSON but holds no tokens where
// slices-agent looks for them. It names the keys it saw, never the values.
type unknownShapeError struct {
	path string
	keys []string
}

func (e *unknownShapeError) Error() string {
	return fmt.Sprintf("%s: no access and refresh token in a shape slices-agent understands (top-level keys: %s)",
		e.path, strings.Join(e.keys, ", "))
}

// parseCLILogin finds the tokens in a login file: an object with an access
// and a refresh token at the top or nested up to three levels down, e.g.
// {"access_token":…,"refresh_token":…} or {"token":{"access_token":…,…}}.
func parseCLILogin(path string, b []byte) (cliLogin, error) {
	var top map[string]any
	if err := json.Unmarshal(b, &top); err != nil {
		return cliLogin{}, fmt.Errorf("%s is not a JSON object: %v", path, err)
	}
	if l, ok := findLogin(top, "", 0); ok {
		if l.ClientID == "" {
			l.ClientID = stringField(top, clientKeys)
		}
		if l.ClientID == "" && l.AccessToken != "" {
			if d, err := token.Decode(l.AccessToken); err == nil {
				for _, c := range []string{"client_id", "azp"} {
					if v, ok := d.Claims[c].(string); ok && v != "" {
						l.ClientID = v
						break
					}
				}
			}
		}
		return l, nil
	}
	keys := make([]string, 0, len(top))
	for k := range top {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return cliLogin{}, &unknownShapeError{path: path, keys: keys}
}

func findLogin(obj map[string]any, where string, depth int) (cliLogin, bool) {
	l := cliLogin{Where: where, AccessToken: stringField(obj, accessKeys), RefreshToken: stringField(obj, refreshKeys),
		ClientID: stringField(obj, clientKeys)}
	if l.RefreshToken != "" || (l.AccessToken != "" && strings.Count(l.AccessToken, ".") == 2) {
		return l, true
	}
	if depth == 3 {
		return cliLogin{}, false
	}
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if sub, ok := obj[k].(map[string]any); ok {
			if l, ok := findLogin(sub, strings.TrimPrefix(where+"."+k, "."), depth+1); ok {
				return l, true
			}
		}
	}
	return cliLogin{}, false
}

func stringField(obj map[string]any, names []string) string {
	for _, n := range names {
		if s, ok := obj[n].(string); ok && s != "" {
			return s
		}
	}
	return ""
}

// importFile reads the login file and hands its tokens to the agent. It
// returns the file's digest, so a watcher can skip unchanged content.
func importFile(ctx context.Context, e *env, path string) ([32]byte, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return [32]byte{}, &hinted{err: fmt.Errorf("no Slices CLI login at %s", path),
			hint: "log in with the Slices CLI first ('slices auth login'), or run 'slices-agent login'"}
	}
	if err != nil {
		return [32]byte{}, fmt.Errorf("reading the Slices CLI's login: %w", err)
	}
	sum := sha256.Sum256(b)
	l, err := parseCLILogin(path, bytes.TrimSpace(b))
	if err != nil {
		var shape *unknownShapeError
		if errors.As(err, &shape) {
			return sum, &hinted{err: err, hint: "log in with 'slices-agent login' instead, and report the file's shape (its keys, never its values) to the slices-agent project"}
		}
		return sum, err
	}
	c := client(e)
	defer c.Close()
	st, err := c.Status(ctx)
	if err != nil {
		return sum, err
	}
	refresh, why := importedRefresh(l, st.ClientID)
	if refresh == "" && !usableAccess(l.AccessToken) {
		if l.RefreshToken == "" {
			return sum, &hinted{err: fmt.Errorf("%s holds no access token that is still valid, and no refresh token", path),
				hint: "run 'slices-agent login'"}
		}
		return sum, &hinted{err: fmt.Errorf("cannot import %s: its access token is missing or expired, and %s", path, why),
			hint: importHint(l, st.ClientID)}
	}
	if err := c.ImportLogin(ctx, l.AccessToken, refresh); err != nil {
		return sum, err
	}
	msg := "imported the Slices CLI login from " + path
	if st, err := c.Status(ctx); err == nil && st.User.LoggedIn {
		who := st.User.Name
		if who == "" {
			who = st.User.Subject
		}
		msg += " (" + who
		if st.User.ExpiresAt != nil {
			msg += ", user token " + lifetime.Relative(*st.User.ExpiresAt, time.Now())
		}
		msg += ")"
	}
	fmt.Fprintln(e.stdout, esc(msg))
	if refresh == "" {
		fmt.Fprintf(e.stderr, "note: %s: the agent serves this token until it expires, then asks for 'slices-agent login'\nhint: %s\n",
			why, importHint(l, st.ClientID))
		return sum, nil
	}
	fmt.Fprintln(e.stderr, "note: the agent now renews this login; the portal rotates refresh tokens, so if the Slices CLI\n"+
		"renews it too, one of them is logged out. Let tools get their tokens from the agent.")
	return sum, nil
}

// importedRefresh is the refresh token the agent may use: only one issued to
// the agent's own client id, as the file (or the token) says. A refresh
// token is bound to the client it was issued to: presenting it under
// another client's name is refused by a careful portal and impersonates
// the other client at a careless one. why says why there is none.
func importedRefresh(l cliLogin, agentClient string) (refresh, why string) {
	switch {
	case l.RefreshToken == "":
		return "", "the file holds no refresh token"
	case l.ClientID == "":
		return "", "the file does not say which client its refresh token was issued to"
	case l.ClientID != agentClient:
		return "", fmt.Sprintf("its refresh token was issued to client %q, and this agent is client %q", l.ClientID, agentClient)
	}
	return l.RefreshToken, ""
}

// importHint says how to keep such a login renewed.
func importHint(l cliLogin, agentClient string) string {
	if l.ClientID != "" && l.ClientID != agentClient && l.RefreshToken != "" {
		return fmt.Sprintf("to keep it renewed, run an agent with --client-id %s (the Slices CLI's client), or run 'slices-agent login'", l.ClientID)
	}
	return "run 'slices-agent login' for a login the agent can renew"
}

// usableAccess reports whether an access token is there and not yet expired
// (checked again, with its signature, by the agent).
func usableAccess(raw string) bool {
	if raw == "" {
		return false
	}
	d, err := token.Decode(raw)
	return err == nil && !d.ExpiresAt.IsZero() && d.ExpiresAt.After(time.Now())
}

// watchImport imports the file now and whenever it changes, until ctx ends.
// It watches the directory, not the file, so that a file replaced by a
// rename (how careful writers save) is followed too.
func watchImport(ctx context.Context, e *env, path string) error {
	dir, base := filepath.Dir(path), filepath.Base(path)
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return &hinted{err: fmt.Errorf("cannot watch %s: the directory does not exist", dir),
			hint: "log in with the Slices CLI once first ('slices auth login')"}
	}
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return fmt.Errorf("watching %s: %w", dir, err)
	}
	defer w.Close()
	if err := w.Add(dir); err != nil {
		return fmt.Errorf("watching %s: %w", dir, err)
	}
	var last [32]byte
	try := func() {
		sum, err := importFile(ctx, e, path)
		if err == nil {
			last = sum
			return
		}
		if sum == last && sum != ([32]byte{}) {
			return // the content that already failed or was imported: say it once
		}
		last = sum
		report(e.stderr, err)
	}
	if _, err := os.Stat(path); err == nil {
		try()
	} else {
		fmt.Fprintf(e.stderr, "waiting for %s to appear\n", path)
	}
	fmt.Fprintf(e.stderr, "watching %s for changes (Ctrl-C to stop)\n", path)

	debounce := time.NewTimer(time.Hour)
	debounce.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-w.Events:
			if !ok {
				return nil
			}
			if filepath.Base(ev.Name) != base || ev.Op == fsnotify.Chmod {
				continue
			}
			if ev.Op.Has(fsnotify.Remove) || ev.Op.Has(fsnotify.Rename) {
				// Gone, or renamed away: an atomic replace brings a Create next.
				continue
			}
			debounce.Reset(importDebounce)
		case err, ok := <-w.Errors:
			if !ok {
				return nil
			}
			fmt.Fprintf(e.stderr, "slices-agent: watching %s: %v\n", dir, err)
		case <-debounce.C:
			if sum, err := fileSum(path); err == nil && sum == last {
				continue
			}
			try()
		}
	}
}

func fileSum(path string) ([32]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return [32]byte{}, err
	}
	return sha256.Sum256(b), nil
}
