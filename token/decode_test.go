package token

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

// userTokenJSON is a user token's payload written the way the portal orders it.
const userTokenJSON = `{"iss":"https://account.ilabt.imec.be","aud":"slices-cli","iat":1795435200,` +
	`"exp":1795438800,"auth_time":1795435100,"sub":"user_account.ilabt.imec.be_abcdefghijklmnopqrstuvwxyz",` +
	`"scope":"openid userinfo projects","preferred_username":"alice"}`

func TestDecodeUserToken(t *testing.T) {
	hdr := `{"alg":"ES256","typ":"JWT","kid":"ec1"}`
	raw := b64([]byte(hdr)) + "." + b64([]byte(userTokenJSON)) + "." + b64([]byte("sig"))
	d, err := Decode("  " + raw + "\n")
	if err != nil {
		t.Fatal(err)
	}
	if d.Raw != raw || strings.Join(d.Segments[:], ".") != raw {
		t.Errorf("Raw/Segments do not give the trimmed input back")
	}
	if string(d.HeaderJSON) != hdr || string(d.ClaimsJSON) != userTokenJSON {
		t.Errorf("HeaderJSON/ClaimsJSON = %s / %s, want the bytes as sent", d.HeaderJSON, d.ClaimsJSON)
	}
	if d.Alg != "ES256" || d.Typ != "JWT" || d.Kid != "ec1" || d.IsProject() {
		t.Errorf("header fields: alg %q typ %q kid %q", d.Alg, d.Typ, d.Kid)
	}
	if d.Issuer != "https://account.ilabt.imec.be" || d.Subject != testUser {
		t.Errorf("iss %q sub %q", d.Issuer, d.Subject)
	}
	if !reflect.DeepEqual(d.Audience, []string{"slices-cli"}) {
		t.Errorf("aud = %q", d.Audience)
	}
	want := map[string]time.Time{"iat": time.Unix(1795435200, 0), "exp": time.Unix(1795438800, 0), "auth_time": time.Unix(1795435100, 0)}
	got := map[string]time.Time{"iat": d.IssuedAt, "exp": d.ExpiresAt, "auth_time": d.AuthTime}
	for k := range want {
		if !got[k].Equal(want[k]) {
			t.Errorf("%s = %v, want %v", k, got[k], want[k])
		}
	}
	if !d.NotBefore.IsZero() || d.ExpInMillis || !d.HasExpiry() || len(d.Warnings) != 0 {
		t.Errorf("nbf %v, ExpInMillis %v, HasExpiry %v, warnings %q", d.NotBefore, d.ExpInMillis, d.HasExpiry(), d.Warnings)
	}
	if d.Claims["preferred_username"] != "alice" || string(d.Signature) != "sig" {
		t.Errorf("claims %v, signature %q", d.Claims, d.Signature)
	}
	if d.Tail() != raw[len(raw)-6:] {
		t.Errorf("Tail() = %q", d.Tail())
	}
}

func TestDecodeClaims(t *testing.T) {
	exp := time.Date(2026, 11, 23, 13, 0, 0, 0, time.UTC)
	tests := []struct {
		name     string
		payload  string
		exp      time.Time // zero: no expiry
		ms       bool
		aud      []string
		warnings int
	}{
		{"exp in seconds", `{"exp":1795438800}`, exp, false, nil, 0},
		{"exp in milliseconds", `{"exp":1795438800000}`, exp, true, nil, 0},
		{"exp with a fraction", `{"exp":1795438800.5}`, exp.Add(500 * time.Millisecond), false, nil, 0},
		{"exp as exponent", `{"exp":1.7954388e9}`, exp, false, nil, 0},
		{"exp missing", `{"sub":"x"}`, time.Time{}, false, nil, 0},
		{"exp null", `{"exp":null}`, time.Time{}, false, nil, 0},
		{"exp a string", `{"exp":"1795438800"}`, time.Time{}, false, nil, 1},
		{"exp out of range", `{"exp":1e300}`, time.Time{}, false, nil, 1},
		{"exp negative out of range", `{"exp":-1e300}`, time.Time{}, false, nil, 1},
		{"unknown claims", `{"exp":1795438800,"x-custom":{"a":[1,2]},"🙂":true}`, exp, false, nil, 0},
		{"aud string", `{"aud":"a"}`, time.Time{}, false, []string{"a"}, 0},
		{"aud array", `{"aud":["a","b"]}`, time.Time{}, false, []string{"a", "b"}, 0},
		{"aud bad element", `{"aud":["a",1]}`, time.Time{}, false, nil, 1},
		{"aud number", `{"aud":5}`, time.Time{}, false, nil, 1},
		{"iss not a string", `{"iss":5,"sub":["x"]}`, time.Time{}, false, nil, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw := b64([]byte(`{"alg":"ES256"}`)) + "." + b64([]byte(tt.payload)) + "."
			d, err := Decode(raw)
			if err != nil {
				t.Fatal(err)
			}
			if !d.ExpiresAt.Equal(tt.exp) || d.HasExpiry() == tt.exp.IsZero() {
				t.Errorf("exp = %v (HasExpiry %v), want %v", d.ExpiresAt, d.HasExpiry(), tt.exp)
			}
			if d.ExpInMillis != tt.ms {
				t.Errorf("ExpInMillis = %v, want %v", d.ExpInMillis, tt.ms)
			}
			if !reflect.DeepEqual(d.Audience, tt.aud) {
				t.Errorf("aud = %q, want %q", d.Audience, tt.aud)
			}
			if len(d.Warnings) != tt.warnings {
				t.Errorf("warnings = %q, want %d", d.Warnings, tt.warnings)
			}
		})
	}
}

func TestDecodeMillisecondsEverywhere(t *testing.T) {
	raw := b64([]byte(`{}`)) + "." + b64([]byte(`{"iat":1795435200000,"nbf":1795435200000,"auth_time":1795435100000}`)) + "."
	d, err := Decode(raw)
	if err != nil {
		t.Fatal(err)
	}
	if !d.IssuedAt.Equal(time.Unix(1795435200, 0)) || !d.NotBefore.Equal(d.IssuedAt) || !d.AuthTime.Equal(time.Unix(1795435100, 0)) {
		t.Errorf("iat %v nbf %v auth_time %v", d.IssuedAt, d.NotBefore, d.AuthTime)
	}
}

func TestDecodeMalformed(t *testing.T) {
	h := b64([]byte(`{"alg":"ES256"}`))
	p := b64([]byte(`{"sub":"x"}`))
	tests := []struct {
		name, raw, part string // part: a word the error must name
	}{
		{"empty", "   ", "empty"},
		{"one segment", "abc", "1 segments"},
		{"two segments", h + "." + p, "2 segments"},
		{"four segments", h + "." + p + "..", "4 segments"},
		{"JWE", "a.b.c.d.e", "JWE"},
		{"bad base64 header", "e30!." + p + ".", "header"},
		{"bad base64 payload", h + ".e3$." + "", "payload"},
		{"standard base64 alphabet", h + "." + p + ".ab+/", "signature"},
		{"header not JSON", b64([]byte("alg")) + "." + p + ".", "header: not JSON"},
		{"payload not JSON", h + "." + b64([]byte("{sub:x}")) + ".", "payload: not JSON"},
		{"payload an array", h + "." + b64([]byte(`["x"]`)) + ".", "payload: not a JSON object"},
		{"payload null", h + "." + b64([]byte(`null`)) + ".", "payload: not a JSON object"},
		{"payload a string", h + "." + b64([]byte(`"x"`)) + ".", "payload: not a JSON object"},
		{"payload trailing data", h + "." + b64([]byte(`{}{}`)) + ".", "payload"},
		{"header empty", "." + p + ".", "header"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := Decode(tt.raw)
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("Decode = %+v, %v; want ErrMalformed", d, err)
			}
			if !strings.Contains(err.Error(), tt.part) {
				t.Errorf("error %q does not name %q", err, tt.part)
			}
		})
	}
}

func TestDecodePadding(t *testing.T) {
	h := b64([]byte(`{"alg":"ES256"}`)) // 15 bytes: 20 characters, no padding
	p := b64([]byte(`{"sub":"ab"}`))    // 12 bytes: 16 characters
	s := b64([]byte("sign"))            // 4 bytes: 6 characters, "==" when padded
	for _, raw := range []string{h + "." + p + "." + s, h + "." + p + "." + s + "=="} {
		d, err := Decode(raw)
		if err != nil {
			t.Fatalf("Decode(%q): %v", raw, err)
		}
		if string(d.Signature) != "sign" || d.Subject != "ab" || d.Segments[2] != strings.Split(raw, ".")[2] {
			t.Errorf("Decode(%q): sig %q sub %q segments %q", raw, d.Signature, d.Subject, d.Segments)
		}
	}
}

func TestProject(t *testing.T) {
	base := projectClaims()
	projExp := time.Date(2030, 12, 15, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name    string
		claims  map[string]any
		projExp *time.Time
		role    string
		wantErr bool
	}{
		{"proj_exp string", base, &projExp, "lead", false},
		{"proj_exp null", with(base, "proj_exp", nil, "x", 1), nil, "lead", false},
		{"proj_exp absent", with(base, "proj_exp", nil), nil, "lead", false},
		{"proj_exp seconds", with(base, "proj_exp", float64(projExp.Unix())), &projExp, "lead", false},
		{"proj_exp not RFC 3339", with(base, "proj_exp", "15/12/2030"), nil, "", true},
		{"proj_exp an object", with(base, "proj_exp", map[string]any{}), nil, "", true},
		{"act absent", with(base, "act", nil), &projExp, "", false},
		{"act viewer", with(base, "act", map[string]any{"sub": testUser, "role": "viewer"}), &projExp, "viewer", false},
		{"act a string", with(base, "act", "lead"), nil, "", true},
		{"act role a number", with(base, "act", map[string]any{"role": 1}), nil, "", true},
		{"name a number", with(base, "name", 5), nil, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hdr := map[string]any{"alg": "ES256", "typ": TypProject, "kid": "ec1"}
			if tt.name == "proj_exp null" {
				tt.claims["proj_exp"] = nil // with() deletes on nil; keep an explicit JSON null
			}
			d, err := Decode(handmade(t, hdr, tt.claims, noSig))
			if err != nil {
				t.Fatal(err)
			}
			if tt.name == "proj_exp null" && !strings.Contains(string(d.ClaimsJSON), `"proj_exp":null`) {
				t.Fatalf("claims %s lack an explicit null", d.ClaimsJSON)
			}
			if !d.IsProject() {
				t.Errorf("IsProject() = false for typ %q", d.Typ)
			}
			p, err := d.Project()
			if tt.wantErr {
				if !errors.Is(err, ErrMalformed) {
					t.Fatalf("Project() = %+v, %v; want ErrMalformed", p, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if (p.ProjExp == nil) != (tt.projExp == nil) || p.ProjExp != nil && !p.ProjExp.Equal(*tt.projExp) {
				t.Errorf("ProjExp = %v, want %v", p.ProjExp, tt.projExp)
			}
			if p.Subject != testProject || p.Name != "ilabt-dev" || p.Act.Role != tt.role {
				t.Errorf("Project() = %+v", p)
			}
			if tt.role != "" && p.Act.Sub != testUser {
				t.Errorf("act.sub = %q", p.Act.Sub)
			}
		})
	}
}
