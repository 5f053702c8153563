package token

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func TestKeySetRoundTrip(t *testing.T) {
	ks := portalKeySet(t)
	if got := ks.Kids(); !reflect.DeepEqual(got, []string{"ec1", "rsa1"}) || ks.Len() != 2 {
		t.Fatalf("Kids() = %v, Len() = %d", got, ks.Len())
	}
	ec, ok := ks.Key("ec1")
	if !ok || !ecKey.PublicKey.Equal(ec) {
		t.Errorf("Key(ec1) = %v, %v; want the EC public key", ec, ok)
	}
	r, ok := ks.Key("rsa1")
	if !ok || !rsaKey.PublicKey.Equal(r) {
		t.Errorf("Key(rsa1) = %v, %v; want the RSA public key", r, ok)
	}
	if _, ok := ks.Key("nope"); ok {
		t.Error("Key(nope) found a key")
	}
	if len(ks.Skipped) != 0 {
		t.Errorf("Skipped = %q", ks.Skipped)
	}
}

func TestMarshalKeySetShape(t *testing.T) {
	keys(t)
	b, err := MarshalKeySet(PublicKey{"ec1", &ecKey.PublicKey})
	if err != nil {
		t.Fatal(err)
	}
	var doc struct{ Keys []map[string]string }
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	k := doc.Keys[0]
	for name, want := range map[string]string{"kty": "EC", "crv": "P-256", "kid": "ec1", "alg": "ES256", "use": "sig"} {
		if k[name] != want {
			t.Errorf("%s = %q, want %q", name, k[name], want)
		}
	}
	if _, hasD := k["d"]; hasD || len(k["x"]) != 43 || len(k["y"]) != 43 {
		t.Errorf("x %q y %q (want 32 bytes each, no d)", k["x"], k["y"])
	}
	if _, err := MarshalKeySet(PublicKey{"ed", ed25519.PublicKey(make([]byte, 32))}); err == nil {
		t.Error("MarshalKeySet accepted an Ed25519 key")
	}
}

func TestParseKeySetSkips(t *testing.T) {
	keys(t)
	good, err := MarshalKeySet(PublicKey{"ec1", &ecKey.PublicKey})
	if err != nil {
		t.Fatal(err)
	}
	var doc struct{ Keys []map[string]any }
	if err := json.Unmarshal(good, &doc); err != nil {
		t.Fatal(err)
	}
	goodKey := doc.Keys[0]
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	enc := base64.RawURLEncoding.EncodeToString
	offCurve := with(goodKey, "kid", "off", "y", enc(make([]byte, 32)))
	tests := []struct {
		name string
		key  any
		why  string // a word the Skipped line must hold
	}{
		{"OKP", map[string]any{"kty": "OKP", "crv": "Ed25519", "x": enc(make([]byte, 32)), "kid": "ed"}, `kty "OKP"`},
		{"oct", map[string]any{"kty": "oct", "k": "c2VjcmV0", "kid": "hs"}, `kty "oct"`},
		{"P-384", map[string]any{"kty": "EC", "crv": "P-384", "x": enc(p384.X.Bytes()), "y": enc(p384.Y.Bytes()), "kid": "p384"}, "curve"},
		{"no kty", map[string]any{"kid": "x"}, "no kty"},
		{"encryption key", with(goodKey, "use", "enc", "kid", "enc"), "use"},
		{"alg for another key type", with(goodKey, "alg", "RS256", "kid", "alg"), "alg"},
		{"point off the curve", offCurve, "point"},
		{"short coordinate", with(goodKey, "kid", "short", "x", enc(make([]byte, 31))), "31 bytes"},
		{"bad base64", with(goodKey, "kid", "b64", "x", "!!"), "base64"},
		{"RSA 1024", map[string]any{"kty": "RSA", "kid": "small", "n": enc(small.N.Bytes()), "e": "AQAB"}, "1024 bits"},
		{"RSA even exponent", map[string]any{"kty": "RSA", "kid": "even", "n": enc(rsaKey.N.Bytes()), "e": "Ag"}, "exponent"},
		{"RSA without n", map[string]any{"kty": "RSA", "kid": "non", "e": "AQAB"}, `"n"`},
		{"not an object", []int{1}, "not a JWK"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := json.Marshal(map[string]any{"keys": []any{tt.key, goodKey}})
			if err != nil {
				t.Fatal(err)
			}
			ks, err := ParseKeySet(b)
			if err != nil {
				t.Fatalf("ParseKeySet with one good key: %v", err)
			}
			if ks.Len() != 1 || ks.Kids()[0] != "ec1" {
				t.Errorf("kept %v, want only ec1", ks.Kids())
			}
			if len(ks.Skipped) != 1 || !strings.Contains(ks.Skipped[0], tt.why) {
				t.Errorf("Skipped = %q, want one line naming %q", ks.Skipped, tt.why)
			}
			only, _ := json.Marshal(map[string]any{"keys": []any{tt.key}})
			if _, err := ParseKeySet(only); err == nil || !strings.Contains(err.Error(), "no usable key") {
				t.Errorf("ParseKeySet of only that key: err = %v, want no usable key", err)
			}
		})
	}
}

func TestParseKeySetDocuments(t *testing.T) {
	keys(t)
	set, err := MarshalKeySet(PublicKey{"ec1", &ecKey.PublicKey})
	if err != nil {
		t.Fatal(err)
	}
	single := strings.TrimSuffix(strings.TrimPrefix(string(set), `{"keys":[`), `]}`)
	tests := []struct {
		name string
		doc  string
		n    int // 0: must fail
	}{
		{"set", string(set), 1},
		{"single JWK", single, 1},
		{"empty set", `{"keys":[]}`, 0},
		{"no keys member", `{}`, 0},
		{"not JSON", `<html>`, 0},
		{"array", `[` + single + `]`, 0},
		{"keys not an array", `{"keys":{}}`, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ks, err := ParseKeySet([]byte(tt.doc))
			if tt.n == 0 {
				if err == nil {
					t.Fatalf("ParseKeySet succeeded with %d keys", ks.Len())
				}
				if !strings.HasPrefix(err.Error(), "jwks: ") {
					t.Errorf("error %q does not say it is about the jwks", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if ks.Len() != tt.n {
				t.Errorf("Len() = %d, want %d", ks.Len(), tt.n)
			}
		})
	}
}
