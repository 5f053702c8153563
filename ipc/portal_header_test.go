package ipc

import (
	"testing"
	"time"
)

// A client that names its portal is refused by an agent on another one, on
// the same request: no status round trip first.
func TestAgentRefusesAnotherPortal(t *testing.T) {
	path := serve(t, NewHandler(newFake(), HandlerOptions{Now: func() time.Time { return t0 }, Portal: "https://portal.slices-ri.eu"}), nil)
	for _, c := range []struct {
		asked string
		want  string
	}{
		{"", ""},
		{"https://portal.slices-ri.eu", ""},
		{"HTTPS://Portal.Slices-RI.eu/", ""},
		{"http://127.0.0.1:1", CodePortalMismatch},
	} {
		cl := NewOneShotClient(path)
		cl.ExpectPortal(c.asked)
		_, err := cl.TokenRaw(ctxT(t), "", 0)
		got := ""
		if e, ok := AsError(err); ok {
			got = e.Code
		} else if err != nil {
			t.Fatalf("asked %q: %v", c.asked, err)
		}
		if got != c.want {
			t.Errorf("asked %q: code %q, want %q", c.asked, got, c.want)
		}
	}
}
