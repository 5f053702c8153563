package agent

import (
	"context"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/slices-ri/slices-agent/internal/termtext"
)

// Causes of an expiring event: why a token will lapse unless something happens.
const (
	CauseRenewalFailing = "renewal_failing" // renewals fail while the token is still valid
	CauseProjectEnds    = "project_ends"    // the project's proj_exp is within projectEndsWithin
	CauseLoginRequired  = "login_required"  // the portal refused the stored login
	CauseSessionEnds    = "session_ends"    // the login itself ends soon: a new one is needed
)

// projectEndsWithin is how early a project's end is announced.
const projectEndsWithin = 7 * 24 * time.Hour

// notifier shows desktop notifications through notify-send (Linux) or
// osascript (macOS) when one is on PATH, at most once per cause.
type notifier struct {
	enabled bool
	look    func(string) (string, error) // exec.LookPath, replaced in tests
	goos    string

	mu   sync.Mutex
	sent map[string]bool
}

func newNotifier(enabled bool) *notifier {
	return &notifier{enabled: enabled, look: exec.LookPath, goos: runtime.GOOS, sent: make(map[string]bool)}
}

// once shows title and body unless key was shown before. Reset forgets a key,
// so the same cause can be announced again after it was resolved.
func (n *notifier) once(key, title, body string) {
	if n == nil || !n.enabled {
		return
	}
	n.mu.Lock()
	if n.sent[key] {
		n.mu.Unlock()
		return
	}
	n.sent[key] = true
	n.mu.Unlock()
	go n.show(title, body)
}

func (n *notifier) reset(key string) {
	if n == nil {
		return
	}
	n.mu.Lock()
	delete(n.sent, key)
	n.mu.Unlock()
}

// show runs the notifier. Title and body may quote the portal (project
// names, error text): control characters are escaped, and for notify-send,
// whose servers read the body as markup, so are <, > and &.
func (n *notifier) show(title, body string) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	title, body = termtext.Escape(title), termtext.Escape(body)
	var cmd *exec.Cmd
	if p, err := n.look("notify-send"); err == nil {
		cmd = exec.CommandContext(ctx, p, "--app-name=slices-agent", "--urgency=normal", "--", markup.Replace(title), markup.Replace(body))
	} else if p, err := n.look("osascript"); err == nil && n.goos == "darwin" {
		script := "display notification " + appleQuote(body) + " with title " + appleQuote(title)
		cmd = exec.CommandContext(ctx, p, "-e", script)
	} else {
		return
	}
	_ = cmd.Run()
}

// markup escapes the characters notification servers read as markup.
var markup = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// appleQuote quotes s as an AppleScript string literal.
func appleQuote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}
