package token

import (
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// FuzzDecode: Decode never panics, and what it accepts it gives back whole.
func FuzzDecode(f *testing.F) {
	keys(f)
	pc := projectClaims()
	seeds := []string{
		sign(f, jwt.SigningMethodES256, ecKey, "ec1", pc),
		sign(f, jwt.SigningMethodRS256, rsaKey, "rsa1", pc),
		sign(f, jwt.SigningMethodES256, ecKey, "ec1", with(pc, "exp", float64(testNow.UnixMilli()), "proj_exp", nil)),
		handmade(f, map[string]any{"alg": "none"}, pc, noSig),
		handmade(f, map[string]any{"alg": "HS256", "kid": "ec1"}, with(pc, "act", "x", "aud", []any{"a", 1}), hs256([]byte("k"))),
		" \n" + b64([]byte(`{"alg":"ES256"}`)) + "." + b64([]byte(`{"exp":"soon","aud":"a"}`)) + ".c2ln==\t",
		b64([]byte(`{}`)) + "." + b64([]byte(`{"exp":1e300,"iat":-1e300,"nbf":1e11}`)) + ".",
		b64([]byte(`null`)) + "." + b64([]byte(`[]`)) + ".",
		"a.b.c.d.e",
		"..",
		"eyJ.eyJ.",
		"",
	}
	for _, s := range seeds {
		f.Add(s)
	}
	ks := portalKeySet(f)
	now := func() time.Time { return testNow }
	f.Fuzz(func(t *testing.T, in string) {
		d, err := Decode(in)
		if err != nil {
			if d != nil {
				t.Fatalf("Decode returned %+v with error %v", d, err)
			}
			return
		}
		trimmed := strings.TrimSpace(in)
		if joined := strings.Join(d.Segments[:], "."); joined != trimmed || d.Raw != trimmed {
			t.Fatalf("segments %q do not give back the trimmed input %q", joined, trimmed)
		}
		if d.Header == nil || d.Claims == nil {
			t.Fatal("Decode succeeded without header or claims")
		}
		_ = d.HasExpiry()
		_, _ = d.Project()
		_, _ = Verify(in, ks, VerifyOptions{Now: now, AllowNoKid: true})
	})
}

// FuzzParseKeySet: ParseKeySet never panics, and a set it returns has a usable key.
func FuzzParseKeySet(f *testing.F) {
	keys(f)
	good, err := MarshalKeySet(PublicKey{"ec1", &ecKey.PublicKey}, PublicKey{"rsa1", &rsaKey.PublicKey})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(string(good))
	f.Add(`{"keys":[{"kty":"EC","crv":"P-256","x":"AA","y":"AA"},{"kty":"RSA","n":"AQAB","e":"AQAB"}]}`)
	f.Add(`{"kty":"OKP","crv":"Ed25519","x":"AA"}`)
	f.Add(`{"keys":null}`)
	f.Fuzz(func(t *testing.T, in string) {
		ks, err := ParseKeySet([]byte(in))
		if err != nil {
			return
		}
		if ks.Len() == 0 || len(ks.Kids()) == 0 {
			t.Fatalf("ParseKeySet succeeded with no usable key")
		}
	})
}
