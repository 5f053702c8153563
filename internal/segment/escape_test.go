package segment

import (
	"strings"
	"testing"
	"time"

	"github.com/slices-ri/slices-agent/ipc/wire"
)

// Names and roles from the portal reach a prompt escaped: no escape sequence,
// no bash \x01/\x02 marker and no bidi override comes through as itself.
func TestPromptEscapesPortalNames(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	exp := now.Add(time.Hour)
	hostile := "evil\x1b]0;title\x07\x01\x02\u202e"
	st := wire.Status{User: wire.UserStatus{LoggedIn: true, Name: hostile, State: "valid", ExpiresAt: &exp},
		Projects: []wire.ProjectStatus{{ID: "p1", Name: hostile, Role: "lead\x1b[8m", State: "valid", ExpiresAt: &exp}}}
	for _, ref := range []string{"", hostile} {
		seg, ok := pick(st, ref, now)
		if !ok {
			t.Fatalf("pick(%q): nothing", ref)
		}
		out := expand("%n %r %l", seg)
		for _, raw := range []string{"\x1b", "\x07", "\x01", "\x02", "\u202e"} {
			if strings.Contains(out, raw) {
				t.Errorf("prompt for %q shows %q raw: %q", ref, raw, out)
			}
		}
		if !strings.Contains(out, `evil\x1b]0;title\x07\x01\x02\u202e`) {
			t.Errorf("prompt for %q: %q, want the name escaped", ref, out)
		}
	}
}
