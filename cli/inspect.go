package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/slices-ri/slices-agent/config"
	"github.com/slices-ri/slices-agent/ipc"
	"github.com/slices-ri/slices-agent/portal"
	"github.com/slices-ri/slices-agent/token"
	"github.com/slices-ri/slices-agent/token/lifetime"
)

// Signature states of inspect: never confused with one another.
const (
	SigVerified   = "verified"    // the signature checks out against the key set
	SigInvalid    = "invalid"     // it does not, or could not be checked against the set given (see reason)
	SigNotChecked = "not_checked" // no key set was asked for
)

// inspectOpts are inspect's flags.
type inspectOpts struct {
	verify bool
	jwks   string
	date   string // local or utc: how absolute times are shown
}

func init() {
	var o inspectOpts
	register(&command{name: "inspect", args: "[TOKEN|-] [--verify] [--jwks URL|FILE] [--json]",
		help: "decode any JWT offline (argument or stdin); --verify checks it against the portal's key set",
		flags: func(fs *flag.FlagSet, e *env) {
			jsonFlag(fs, e)
			fs.BoolVar(&o.verify, "verify", false, "check the signature and issuer against the portal's JWKS (discovery at --portal)")
			fs.StringVar(&o.jwks, "jwks", "", "check the signature against the key set at `URL or FILE`")
			fs.StringVar(&o.date, "date", "local", "show absolute times in `ZONE`: local or utc")
		},
		run: func(ctx context.Context, e *env) error { return inspect(ctx, e, o) }})
}

// Inspection is what inspect shows of a token; its JSON form is inspect --json.
type Inspection struct {
	Header    json.RawMessage     `json:"header"`
	Claims    json.RawMessage     `json:"claims"`
	Kind      string              `json:"kind"` // user, project or other
	Times     map[string]TimeInfo `json:"times"`
	Project   *ProjectInfo        `json:"project,omitempty"`
	Warnings  []string            `json:"warnings,omitempty"`
	Signature SignatureCheck      `json:"signature"`
}

// TimeInfo is one time claim, absolute and relative to now.
type TimeInfo struct {
	Time     time.Time `json:"time"`
	Relative string    `json:"relative"`
	// Millis is set when the claim was given in milliseconds rather than seconds.
	Millis bool `json:"millis,omitempty"`
}

// ProjectInfo are the claims of a Slices project token.
type ProjectInfo struct {
	ID      string     `json:"id"`
	Name    string     `json:"name"`
	Role    string     `json:"role,omitempty"`
	Actor   string     `json:"actor,omitempty"`
	Expires *time.Time `json:"project_expires,omitempty"`
}

// SignatureCheck says whether and how the signature was checked.
type SignatureCheck struct {
	State  string `json:"state"`
	Reason string `json:"reason,omitempty"`
	KeySet string `json:"key_set,omitempty"`
	Issuer string `json:"issuer,omitempty"`
	// ClaimsError is set when the signature is good but the claims are not
	// (expired, wrong issuer): the token is authentic but not usable.
	ClaimsError string `json:"claims_error,omitempty"`
}

func inspect(ctx context.Context, e *env, o inspectOpts) error {
	loc := time.Local
	switch strings.ToLower(o.date) {
	case "local":
	case "utc":
		loc = time.UTC
	default:
		return usagef("--date %q: want local or utc", o.date)
	}
	raw, err := inspectInput(e)
	if err != nil {
		return err
	}
	d, err := token.Decode(raw)
	if err != nil {
		return &hinted{err: fmt.Errorf("not a JWT: %w", err), hint: "pass a compact JWT (header.payload.signature) as the argument or on stdin"}
	}
	now := time.Now()
	ins := describe(d, now)
	var checkErr error
	if o.verify || o.jwks != "" {
		ins.Signature, checkErr = checkSignature(ctx, e, o, d.Raw, now)
	}
	if e.json {
		if err := writeJSON(e.stdout, ins); err != nil {
			return err
		}
	} else if err := render(e.stdout, ins, loc); err != nil {
		return err
	}
	if checkErr != nil {
		return checkErr
	}
	switch {
	case ins.Signature.State == SigInvalid:
		return fmt.Errorf("the signature is invalid: %s", ins.Signature.Reason)
	case ins.Signature.ClaimsError != "":
		return fmt.Errorf("the signature is valid, but %s", ins.Signature.ClaimsError)
	}
	return nil
}

// inspectInput is the token from the argument, or stdin for "-" or none,
// without a leading "Bearer ".
func inspectInput(e *env) (string, error) {
	arg, err := oneOptional(e)
	if err != nil {
		return "", err
	}
	if arg == "" || arg == "-" {
		if f, ok := e.stdin.(*os.File); ok && arg == "" && isTerminal(f) {
			return "", usagef("inspect: give a token as the argument, or '-' and the token on stdin")
		}
		b, err := io.ReadAll(io.LimitReader(e.stdin, 1<<20))
		if err != nil {
			return "", fmt.Errorf("reading the token from stdin: %w", err)
		}
		arg = string(b)
	}
	arg = strings.TrimSpace(arg)
	if len(arg) > 7 && strings.EqualFold(arg[:7], "bearer ") {
		arg = strings.TrimSpace(arg[7:])
	}
	return arg, nil
}

// describe takes what inspect shows from a decoded token.
func describe(d *token.Decoded, now time.Time) Inspection {
	ins := Inspection{
		Header:    compactJSON(d.HeaderJSON),
		Claims:    compactJSON(d.ClaimsJSON),
		Kind:      "other",
		Times:     map[string]TimeInfo{},
		Warnings:  d.Warnings,
		Signature: SignatureCheck{State: SigNotChecked},
	}
	add := func(name string, t time.Time, rel func(t, now time.Time) string, ms bool) {
		if !t.IsZero() {
			ins.Times[name] = TimeInfo{Time: t, Relative: rel(t, now), Millis: ms}
		}
	}
	add("iat", d.IssuedAt, lifetime.When, false)
	add("nbf", d.NotBefore, lifetime.When, false)
	add("auth_time", d.AuthTime, lifetime.When, false)
	add("exp", d.ExpiresAt, lifetime.Relative, d.ExpInMillis)
	switch {
	case d.IsProject():
		ins.Kind = "project"
		p, err := d.Project()
		if err != nil {
			ins.Warnings = append(ins.Warnings, err.Error())
		}
		ins.Project = &ProjectInfo{ID: p.Subject, Name: p.Name, Role: p.Act.Role, Actor: p.Act.Sub, Expires: p.ProjExp}
		if p.ProjExp != nil {
			add("proj_exp", *p.ProjExp, lifetime.Relative, false)
		}
	case d.Claims["scope"] != nil || d.Claims["preferred_username"] != nil:
		ins.Kind = "user"
	}
	return ins
}

// compactJSON is b as a JSON value for embedding, or null when it is not JSON.
func compactJSON(b []byte) json.RawMessage {
	var buf bytes.Buffer
	if json.Compact(&buf, b) != nil {
		return json.RawMessage("null")
	}
	return buf.Bytes()
}

// timeOrder is the order render shows the time claims in.
var timeOrder = []struct{ claim, label string }{
	{"iat", "issued"}, {"auth_time", "logged in"}, {"nbf", "not before"}, {"exp", "expires"}, {"proj_exp", "project ends"},
}

func render(w io.Writer, ins Inspection, loc *time.Location) error {
	var hdr, claims bytes.Buffer
	_ = json.Indent(&hdr, ins.Header, "", "  ")
	_ = json.Indent(&claims, ins.Claims, "", "  ")
	fmt.Fprintf(w, "header:\n%s\nclaims:\n%s\n\n", escLines(hdr.String()), escLines(claims.String()))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	switch ins.Kind {
	case "project":
		p := ins.Project
		fmt.Fprintf(tw, "kind\tproject token: %s (%s), role %s\n", esc(p.Name), esc(p.ID), esc(orDash(p.Role)))
	case "user":
		fmt.Fprintf(tw, "kind\tuser token\n")
	default:
		fmt.Fprintf(tw, "kind\tnot a Slices token type (no project typ, no scope)\n")
	}
	for _, tc := range timeOrder {
		ti, ok := ins.Times[tc.claim]
		if !ok {
			continue
		}
		note := ""
		if ti.Millis {
			note = "  [" + tc.claim + " given in milliseconds]"
		}
		fmt.Fprintf(tw, "%s\t%s (%s)%s\n", tc.label, ti.Time.In(loc).Format("2006-01-02 15:04:05 MST"), ti.Relative, note)
	}
	if _, ok := ins.Times["exp"]; !ok {
		fmt.Fprintf(tw, "expires\tno exp claim: this token never expires by itself\n")
	}
	if ins.Kind == "project" && ins.Project.Expires == nil {
		fmt.Fprintf(tw, "project ends\tnever (proj_exp is null)\n")
	}
	for _, warn := range ins.Warnings {
		fmt.Fprintf(tw, "warning\t%s\n", esc(warn))
	}
	s := ins.Signature
	switch s.State {
	case SigVerified:
		line := "verified against " + s.KeySet
		if s.Issuer != "" {
			line += ", issuer " + s.Issuer
		}
		if s.ClaimsError != "" {
			line += "; but " + s.ClaimsError
		}
		fmt.Fprintf(tw, "signature\t%s\n", esc(line))
	case SigInvalid:
		fmt.Fprintf(tw, "signature\tINVALID: %s\n", esc(s.Reason))
	default:
		fmt.Fprintf(tw, "signature\tnot checked (use --verify, or --jwks URL|FILE)\n")
	}
	return tw.Flush()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// checkSignature verifies raw against the portal's key set (--verify,
// which also requires discovery's issuer) or the one given with --jwks.
func checkSignature(ctx context.Context, e *env, o inspectOpts, raw string, now time.Time) (SignatureCheck, error) {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	var (
		ks   *token.KeySet
		sc   SignatureCheck
		opts = token.VerifyOptions{Now: func() time.Time { return now }}
	)
	if o.jwks != "" {
		sc.KeySet = o.jwks
		opts.AllowNoKid = true
		set, err := loadKeySet(ctx, o.jwks)
		if err != nil {
			return SignatureCheck{State: SigNotChecked}, err
		}
		if ks, err = token.ParseKeySet(set); err != nil {
			return SignatureCheck{State: SigNotChecked}, fmt.Errorf("reading the key set %s: %w", sc.KeySet, err)
		}
	} else {
		k, err := portal.New(verifyPortal(ctx, e), e.clientID).Keys(ctx)
		if err != nil {
			return SignatureCheck{State: SigNotChecked}, &hinted{err: fmt.Errorf("fetching the portal's key set: %w", err),
				hint: "check --portal (or SLICES_PORTAL_URL), or pass a key set with --jwks", code: ExitPortalUnavailable}
		}
		ks = k.Set
		sc.KeySet, sc.Issuer, opts.Issuer = k.URI, k.Issuer, k.Issuer
	}
	_, err := token.Verify(raw, ks, opts)
	sc.State, sc.Reason, sc.ClaimsError = classify(err)
	return sc, nil
}

// verifyPortal is the portal whose keys --verify uses: the one given with
// --portal or SLICES_PORTAL_URL, else the running agent's (the tokens it
// hands out come from there), else the config file's or the default.
func verifyPortal(ctx context.Context, e *env) string {
	if e.settings.Given(config.KeyPortal) {
		return e.portal
	}
	c := ipc.NewOneShotClient(e.socket)
	defer c.Close()
	qctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	if st, err := c.Status(qctx); err == nil && st.Portal != "" {
		return st.Portal
	}
	return e.portal
}

// classify splits a Verify error into the signature state and, for a good
// signature, what is wrong with the claims.
func classify(err error) (state, reason, claimsErr string) {
	switch {
	case err == nil:
		return SigVerified, "", ""
	case errors.Is(err, token.ErrSignature), errors.Is(err, token.ErrMalformed), errors.Is(err, token.ErrAlgorithm),
		errors.Is(err, token.ErrUnknownKey), errors.Is(err, token.ErrNoKid):
		return SigInvalid, err.Error(), ""
	case errors.Is(err, token.ErrExpired), errors.Is(err, token.ErrNotYetValid), errors.Is(err, token.ErrIssuer),
		errors.Is(err, token.ErrSubject), errors.Is(err, token.ErrNoExpiry):
		// golang-jwt checks the claims only once the signature verified.
		return SigVerified, "", err.Error()
	}
	return SigInvalid, err.Error(), ""
}

// loadKeySet reads a JWKS from a URL or a file.
func loadKeySet(ctx context.Context, src string) ([]byte, error) {
	if !strings.HasPrefix(src, "http://") && !strings.HasPrefix(src, "https://") {
		b, err := os.ReadFile(src)
		if err != nil {
			return nil, fmt.Errorf("reading the key set: %w", err)
		}
		return b, nil
	}
	req, err := http.NewRequestWithContext(ctx, "GET", src, nil)
	if err != nil {
		return nil, fmt.Errorf("key set URL %q: %w", src, err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, &hinted{err: fmt.Errorf("fetching the key set: %w", err), code: ExitPortalUnavailable}
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fetching the key set %s: %s", src, resp.Status)
	}
	return io.ReadAll(io.LimitReader(resp.Body, 1<<20))
}
