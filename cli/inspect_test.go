package cli

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/slices-ri/slices-agent/token"
)

// unsigned builds a JWT with the given header and claims and a dummy signature.
func unsigned(t *testing.T, header, claims map[string]any) string {
	t.Helper()
	enc := func(v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return base64.RawURLEncoding.EncodeToString(b)
	}
	return enc(header) + "." + enc(claims) + "." + base64.RawURLEncoding.EncodeToString([]byte("sig"))
}

func TestDescribe(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	raw := unsigned(t, map[string]any{"alg": "ES256", "typ": token.TypProject, "kid": "ec1"}, map[string]any{
		"iss": "https://account.ilabt.imec.be", "sub": "proj_x", "name": "ilabt-dev",
		"iat": now.Add(-10 * time.Minute).UnixMilli(), "exp": now.Add(42 * time.Minute).UnixMilli(),
		"proj_exp": "2030-12-15T00:00:00Z", "act": map[string]any{"sub": "u", "role": "admin"},
	})
	d, err := token.Decode(raw)
	if err != nil {
		t.Fatal(err)
	}
	ins := describe(d, now)
	if ins.Kind != "project" || ins.Project.Name != "ilabt-dev" || ins.Project.Role != "admin" {
		t.Errorf("kind %q project %+v", ins.Kind, ins.Project)
	}
	exp := ins.Times["exp"]
	if !exp.Millis || exp.Relative != "in 42m" || !exp.Time.Equal(now.Add(42*time.Minute)) {
		t.Errorf("exp = %+v", exp)
	}
	if got := ins.Times["proj_exp"].Time; !got.Equal(time.Date(2030, 12, 15, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("proj_exp = %v", got)
	}
	if ins.Signature.State != SigNotChecked {
		t.Errorf("signature state %q before any check", ins.Signature.State)
	}
	var out bytes.Buffer
	if err := render(&out, ins, time.Local); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"exp given in milliseconds", "(in 42m)", "(10m ago)", "project token: ilabt-dev (proj_x), role admin", "not checked"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("render lacks %q:\n%s", want, out.String())
		}
	}
}

func TestDescribeUnusualTokens(t *testing.T) {
	now := time.Now()
	d, err := token.Decode(unsigned(t, map[string]any{"alg": "none"}, map[string]any{"exp": "tomorrow", "foo": 1}))
	if err != nil {
		t.Fatal(err)
	}
	ins := describe(d, now)
	if ins.Kind != "other" || len(ins.Warnings) == 0 {
		t.Errorf("kind %q warnings %q", ins.Kind, ins.Warnings)
	}
	var out bytes.Buffer
	_ = render(&out, ins, time.Local)
	if !strings.Contains(out.String(), "no exp claim") || !strings.Contains(out.String(), "warning") {
		t.Errorf("render:\n%s", out.String())
	}
}

func TestClassify(t *testing.T) {
	tests := []struct {
		err       error
		state     string
		claimsErr bool
	}{
		{nil, SigVerified, false},
		{fmt.Errorf("%w (kid %q)", token.ErrSignature, "k"), SigInvalid, false},
		{fmt.Errorf("%w: kid", token.ErrUnknownKey), SigInvalid, false},
		{token.ErrNoKid, SigInvalid, false},
		{fmt.Errorf("%w: alg none", token.ErrAlgorithm), SigInvalid, false},
		{fmt.Errorf("%w: header", token.ErrMalformed), SigInvalid, false},
		{fmt.Errorf("%w 3m ago", token.ErrExpired), SigVerified, true},
		{fmt.Errorf("%w: iss", token.ErrIssuer), SigVerified, true},
		{errors.Join(fmt.Errorf("%w", token.ErrExpired), token.ErrIssuer), SigVerified, true},
		{errors.New("something else"), SigInvalid, false},
	}
	for _, tc := range tests {
		state, reason, claimsErr := classify(tc.err)
		if state != tc.state || (claimsErr != "") != tc.claimsErr {
			t.Errorf("classify(%v) = %q, %q, %q", tc.err, state, reason, claimsErr)
		}
		if state == SigInvalid && reason == "" {
			t.Errorf("classify(%v): invalid without a reason", tc.err)
		}
	}
}

func TestInspectInput(t *testing.T) {
	for in, want := range map[string]string{
		"  Bearer a.b.c \n": "a.b.c", "bearer a.b.c": "a.b.c", "a.b.c\n": "a.b.c", "Bearerless.b.c": "Bearerless.b.c",
	} {
		e := &env{args: []string{"-"}, stdin: strings.NewReader(in)}
		got, err := inspectInput(e)
		if err != nil || got != want {
			t.Errorf("inspectInput(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}
