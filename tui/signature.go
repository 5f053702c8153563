package tui

import (
	"strings"
	"time"

	"github.com/charmbracelet/lipgloss"

	"github.com/slices-ri/slices-agent/token"
	"github.com/slices-ri/slices-agent/token/lifetime"
)

// sigState is what is known about a token's signature. The zero value is
// sigUnchecked, so a token nobody vouched for never reads as valid or invalid.
type sigState int

const (
	sigUnchecked sigState = iota // nobody said they checked it
	sigVerified                  // the agent checked it against the portal's key set
	sigInvalid                   // it cannot be a good token, whatever the key
)

// signature is the signature state of one token, with when it was verified
// and by which key, or why it is invalid or was not checked.
type signature struct {
	state sigState
	at    time.Time // verified: when the agent checked it
	kid   string    // verified: the key id named in the header
	why   string    // invalid or unchecked: why
}

// signatureOf works out the signature state of ti, held for project id (""
// for the user token or when not known). A nil ti has no token to check.
func signatureOf(ti *tokenInfo, id string) signature {
	switch {
	case ti == nil:
		return signature{why: "no token held"}
	case ti.decErr != nil:
		return signature{state: sigInvalid, why: "it does not decode: " + ti.decErr.Error()}
	case !token.AcceptedAlgorithm(ti.dec.Alg):
		return signature{state: sigInvalid, why: "alg " + quoteOr(ti.dec.Alg, "missing") + " is not " + strings.Join(token.Algorithms, " or ")}
	case id != "" && ti.dec.Subject != id:
		return signature{state: sigInvalid, why: "its sub " + quoteOr(ti.dec.Subject, "is missing") + " is not this project"}
	case ti.verifiedAt.IsZero():
		return signature{why: "the agent did not say it verified this token"}
	}
	return signature{state: sigVerified, at: ti.verifiedAt, kid: ti.dec.Kid}
}

// look is the style, glyph and state word of row r at level l: the agent's
// state, except that a token whose signature is invalid never reads as valid
// or expiring, and one nobody checked never reads as valid.
func (r *row) look(st *Styles, l level) (lipgloss.Style, string, string) {
	s, glyph := st.level(l)
	word := stateWord(r.state, l)
	if r.tok == nil || (word != "valid" && word != "expiring") {
		return s, glyph, word
	}
	switch {
	case r.tok.sig.state == sigInvalid:
		return st.Expired, "✗", "invalid"
	case r.tok.sig.state == sigUnchecked && word == "valid":
		return s, glyph, "unchecked"
	}
	return s, glyph, word
}

// quoteOr quotes s, or returns alt when s is empty.
func quoteOr(s, alt string) string {
	if s == "" {
		return alt
	}
	return "“" + s + "”"
}

// render is the one-line description of the detail pane, spelled out in
// words so that it reads without colour.
func (s signature) render(c common) string {
	st, now := c.styles, c.now
	switch s.state {
	case sigVerified:
		key := ""
		if s.kid != "" {
			key = " with key " + s.kid
		}
		return st.Plenty.Render("✓ verified") + " by the agent" + key + " at " +
			c.clock(s.at, "15:04:05") + ", " + lifetime.When(s.at, now)
	case sigInvalid:
		return st.Expired.Render("✗ invalid") + ": " + safe(s.why)
	}
	return st.Muted.Render("? not checked") + ": " + s.why
}

// String names the state, for tests and logs.
func (s sigState) String() string {
	switch s {
	case sigVerified:
		return "verified"
	case sigInvalid:
		return "invalid"
	}
	return "not checked"
}
