package tui

import (
	"strings"
	"testing"
	"time"

	"github.com/slices-ri/slices-agent/ipc"
)

func TestSignatureStates(t *testing.T) {
	good := projectToken(projID(1), "ilabt-dev", "lead", t0.Add(-time.Minute), nil)
	unverified := good
	unverified.VerifiedAt = time.Time{}
	none := good
	none.Token = makeJWT(map[string]any{"alg": "none", "typ": "JWT+slices.eu/proj"}, map[string]any{"sub": projID(1)})
	tests := []struct {
		name string
		tok  *ipc.Token
		id   string
		want sigState
		text string
	}{
		{"verified by the agent", &good, projID(1), sigVerified, "✓ verified by the agent with key ec1 at 03:03:06, 59s ago"},
		{"no verification time", &unverified, projID(1), sigUnchecked, "? not checked: the agent did not say it verified this token"},
		{"no token", nil, projID(1), sigUnchecked, "? not checked: no token held"},
		{"not a JWT", &ipc.Token{Token: "garbage", VerifiedAt: t0}, projID(1), sigInvalid, "✗ invalid: it does not decode"},
		{"alg none, even if the agent says verified", &none, projID(1), sigInvalid, "✗ invalid: alg “none” is not ES256 or RS256"},
		{"another project's token", &good, projID(2), sigInvalid, "✗ invalid: its sub “" + projID(1) + "” is not this project"},
		{"user token needs no sub match", &good, "", sigVerified, "✓ verified"},
	}
	for _, tc := range tests {
		var ti *tokenInfo
		if tc.tok != nil {
			ti = newTokenInfo(*tc.tok, tc.id)
		}
		sig := signatureOf(ti, tc.id)
		if sig.state != tc.want {
			t.Errorf("%s: %v, want %v (%+v)", tc.name, sig.state, tc.want, sig)
		}
		if got := sig.render(common{styles: new(DefaultStyles()), now: t0}); !strings.HasPrefix(got, tc.text) {
			t.Errorf("%s: %q, want it to start %q", tc.name, got, tc.text)
		}
	}
}

func TestDetailNeverCallsAnUncheckedTokenValid(t *testing.T) {
	f := newFakeAgent(6)
	tok := f.tokens[projID(1)]
	tok.VerifiedAt = time.Time{}
	f.tokens[projID(1)] = tok
	m, _ := newTestModel(t, f, 100, 30)
	v := press(m, "enter").View()
	if !strings.Contains(v, "Signature       ? not checked") || strings.Contains(v, "verified by") || strings.Contains(v, "invalid") {
		t.Errorf("detail of an unverified token:\n%s", v)
	}
}
