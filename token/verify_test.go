package token

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func TestVerify(t *testing.T) {
	ks := portalKeySet(t)
	pc := projectClaims()
	ecHdr := map[string]any{"alg": "ES256", "typ": TypProject, "kid": "ec1"}
	ecDER, err := x509.MarshalPKIXPublicKey(&ecKey.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	ecPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: ecDER})
	rsaDER, err := x509.MarshalPKIXPublicKey(&rsaKey.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	rsaPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: rsaDER})
	otherJWK, err := MarshalKeySet(PublicKey{"ec1", &otherEC.PublicKey})
	if err != nil {
		t.Fatal(err)
	}
	good := sign(t, jwt.SigningMethodES256, ecKey, "ec1", pc)
	parts := strings.Split(good, ".")
	msNow := float64(testNow.UnixMilli())

	tests := []struct {
		name  string
		token string
		opts  VerifyOptions
		want  error // nil: must verify
	}{
		{"good ES256", good, VerifyOptions{Issuer: testIssuer, Subject: testProject}, nil},
		{"good RS256", sign(t, jwt.SigningMethodRS256, rsaKey, "rsa1", pc), VerifyOptions{Issuer: testIssuer}, nil},
		{"good, surrounded by white space", "\n " + good + "\r\n", VerifyOptions{}, nil},
		{"good, hand-made, padded signature", handmade(t, ecHdr, pc, es256(t, ecKey, false)) + "==", VerifyOptions{}, nil},
		{"alg none", handmade(t, map[string]any{"alg": "none", "kid": "ec1"}, pc, noSig), VerifyOptions{}, ErrAlgorithm},
		{"alg None", handmade(t, map[string]any{"alg": "None", "kid": "ec1"}, pc, noSig), VerifyOptions{}, ErrAlgorithm},
		{"alg missing", handmade(t, map[string]any{"kid": "ec1"}, pc, es256(t, ecKey, false)), VerifyOptions{}, ErrAlgorithm},
		{"alg not a string", handmade(t, map[string]any{"alg": 256, "kid": "ec1"}, pc, es256(t, ecKey, false)), VerifyOptions{}, ErrAlgorithm},
		{"HS256 keyed with the EC public key PEM", handmade(t, map[string]any{"alg": "HS256", "kid": "ec1"}, pc, hs256(ecPEM)), VerifyOptions{}, ErrAlgorithm},
		{"HS256 keyed with the EC public key DER", handmade(t, map[string]any{"alg": "HS256", "kid": "ec1"}, pc, hs256(ecDER)), VerifyOptions{}, ErrAlgorithm},
		{"HS256 keyed with the RSA public key PEM", handmade(t, map[string]any{"alg": "HS256", "kid": "rsa1"}, pc, hs256(rsaPEM)), VerifyOptions{}, ErrAlgorithm},
		{"HS256 without kid, one-key set allowed", handmade(t, map[string]any{"alg": "HS256"}, pc, hs256(ecPEM)), VerifyOptions{AllowNoKid: true}, ErrAlgorithm},
		{"ES384", sign(t, jwt.SigningMethodES384, mustP384(t), "ec1", pc), VerifyOptions{}, ErrAlgorithm},
		{"es256 lower case", handmade(t, map[string]any{"alg": "es256", "kid": "ec1"}, pc, es256(t, ecKey, false)), VerifyOptions{}, ErrAlgorithm},
		{"RS256 naming the EC key", sign(t, jwt.SigningMethodRS256, rsaKey, "ec1", pc), VerifyOptions{}, ErrAlgorithm},
		{"ES256 naming the RSA key", sign(t, jwt.SigningMethodES256, ecKey, "rsa1", pc), VerifyOptions{}, ErrAlgorithm},
		{"unknown kid", sign(t, jwt.SigningMethodES256, ecKey, "ec2", pc), VerifyOptions{}, ErrUnknownKey},
		{"missing kid", sign(t, jwt.SigningMethodES256, ecKey, "", pc), VerifyOptions{}, ErrNoKid},
		{"missing kid, two keys", sign(t, jwt.SigningMethodES256, ecKey, "", pc), VerifyOptions{AllowNoKid: true}, ErrNoKid},
		{"wrong iss", sign(t, jwt.SigningMethodES256, ecKey, "ec1", with(pc, "iss", "https://evil.example")), VerifyOptions{Issuer: testIssuer}, ErrIssuer},
		{"missing iss", sign(t, jwt.SigningMethodES256, ecKey, "ec1", with(pc, "iss", nil)), VerifyOptions{Issuer: testIssuer}, ErrIssuer},
		{"iss not checked when not asked", sign(t, jwt.SigningMethodES256, ecKey, "ec1", with(pc, "iss", "x")), VerifyOptions{}, nil},
		{"wrong sub", good, VerifyOptions{Subject: "proj_account.ilabt.imec.be_zzzzzzzzzzzzzzzzzzzzzzzzzz"}, ErrSubject},
		{"missing sub", sign(t, jwt.SigningMethodES256, ecKey, "ec1", with(pc, "sub", nil)), VerifyOptions{Subject: testProject}, ErrSubject},
		{"expired", sign(t, jwt.SigningMethodES256, ecKey, "ec1", with(pc, "exp", testNow.Add(-time.Minute).Unix())), VerifyOptions{}, ErrExpired},
		{"expired within the default leeway", sign(t, jwt.SigningMethodES256, ecKey, "ec1", with(pc, "exp", testNow.Add(-5*time.Second).Unix())), VerifyOptions{}, nil},
		{"expired just past the default leeway", sign(t, jwt.SigningMethodES256, ecKey, "ec1", with(pc, "exp", testNow.Add(-DefaultLeeway).Unix())), VerifyOptions{}, ErrExpired},
		{"expired, no leeway", sign(t, jwt.SigningMethodES256, ecKey, "ec1", with(pc, "exp", testNow.Add(-time.Second).Unix())), VerifyOptions{Leeway: -1}, ErrExpired},
		{"missing exp", sign(t, jwt.SigningMethodES256, ecKey, "ec1", with(pc, "exp", nil)), VerifyOptions{}, ErrNoExpiry},
		{"exp null", sign(t, jwt.SigningMethodES256, ecKey, "ec1", with(pc, "exp", nil, "x", 1)), VerifyOptions{}, ErrNoExpiry},
		{"exp a string", sign(t, jwt.SigningMethodES256, ecKey, "ec1", with(pc, "exp", "1900000000")), VerifyOptions{}, ErrMalformed},
		{"exp in ms, valid", sign(t, jwt.SigningMethodES256, ecKey, "ec1", with(pc, "exp", msNow+3.6e6, "iat", msNow)), VerifyOptions{}, nil},
		{"exp in ms, expired", sign(t, jwt.SigningMethodES256, ecKey, "ec1", with(pc, "exp", msNow-6e4)), VerifyOptions{}, ErrExpired},
		{"nbf ahead", sign(t, jwt.SigningMethodES256, ecKey, "ec1", with(pc, "nbf", testNow.Add(time.Minute).Unix())), VerifyOptions{}, ErrNotYetValid},
		{"nbf ahead within leeway", sign(t, jwt.SigningMethodES256, ecKey, "ec1", with(pc, "nbf", testNow.Add(3*time.Second).Unix())), VerifyOptions{}, nil},
		{"another key, same kid", sign(t, jwt.SigningMethodES256, otherEC, "ec1", pc), VerifyOptions{}, ErrSignature},
		{"another key, embedded jwk header", handmade(t, map[string]any{"alg": "ES256", "kid": "ec1", "jwk": string(otherJWK)}, pc, es256(t, otherEC, false)), VerifyOptions{}, ErrSignature},
		{"payload swapped", parts[0] + "." + b64JSON(t, with(pc, "sub", "proj_account.ilabt.imec.be_other")) + "." + parts[2], VerifyOptions{}, ErrSignature},
		{"signature stripped", parts[0] + "." + parts[1] + ".", VerifyOptions{}, ErrSignature},
		{"signature in DER form", handmade(t, ecHdr, pc, es256(t, ecKey, true)), VerifyOptions{}, ErrSignature},
		{"crit header", handmade(t, map[string]any{"alg": "ES256", "kid": "ec1", "crit": []string{"exp"}}, pc, es256(t, ecKey, false)), VerifyOptions{}, ErrMalformed},
		{"two segments", parts[0] + "." + parts[1], VerifyOptions{}, ErrMalformed},
		{"empty", "", VerifyOptions{}, ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := tt.opts
			opts.Now = func() time.Time { return testNow }
			d, err := Verify(tt.token, ks, opts)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				if d == nil || d.Raw != strings.TrimSpace(tt.token) {
					t.Fatalf("Verify returned %+v, want the decoded token", d)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("Verify error = %v, want %v", err, tt.want)
			}
			if msg := err.Error(); msg != strings.ToLower(msg[:1])+msg[1:] || strings.Contains(msg, "\n") {
				t.Errorf("error %q is not one lower-case line", msg)
			}
		})
	}
}

// A padded token verifies when its signature covers the padded segments as sent.
func TestVerifyPaddedSegments(t *testing.T) {
	ks := portalKeySet(t)
	hdr := b64JSON(t, map[string]any{"alg": "ES256", "kid": "ec1", "x": "y"}) // 35 bytes: padded
	name := "a"
	claims := b64JSON(t, with(projectClaims(), "name", name))
	for len(claims)%4 == 0 {
		name += "a"
		claims = b64JSON(t, with(projectClaims(), "name", name))
	}
	for len(claims)%4 != 0 {
		claims += "="
	}
	for len(hdr)%4 != 0 {
		hdr += "="
	}
	input := hdr + "." + claims
	raw := input + "." + b64(es256(t, ecKey, false)(input))
	if _, err := Verify(raw, ks, VerifyOptions{Now: func() time.Time { return testNow }}); err != nil {
		t.Fatalf("Verify padded token: %v", err)
	}
}

func TestVerifyNoKidOneKeySet(t *testing.T) {
	keys(t)
	b, err := MarshalKeySet(PublicKey{"only", &ecKey.PublicKey})
	if err != nil {
		t.Fatal(err)
	}
	one, err := ParseKeySet(b)
	if err != nil {
		t.Fatal(err)
	}
	raw := sign(t, jwt.SigningMethodES256, ecKey, "", projectClaims())
	now := func() time.Time { return testNow }
	if _, err := Verify(raw, one, VerifyOptions{Now: now}); !errors.Is(err, ErrNoKid) {
		t.Fatalf("without AllowNoKid: err = %v, want ErrNoKid", err)
	}
	if _, err := Verify(raw, one, VerifyOptions{Now: now, AllowNoKid: true}); err != nil {
		t.Fatalf("with AllowNoKid: %v", err)
	}
	forged := sign(t, jwt.SigningMethodES256, otherEC, "", projectClaims())
	if _, err := Verify(forged, one, VerifyOptions{Now: now, AllowNoKid: true}); !errors.Is(err, ErrSignature) {
		t.Fatalf("forged with AllowNoKid: err = %v, want ErrSignature", err)
	}
}

// A key set may hold an old and a new key under one kid while a portal rotates: both count.
func TestVerifyDuplicateKid(t *testing.T) {
	keys(t)
	b, err := MarshalKeySet(PublicKey{"ec1", &otherEC.PublicKey}, PublicKey{"ec1", &ecKey.PublicKey})
	if err != nil {
		t.Fatal(err)
	}
	ks, err := ParseKeySet(b)
	if err != nil {
		t.Fatal(err)
	}
	if got := ks.Kids(); len(got) != 1 || got[0] != "ec1" || ks.Len() != 2 {
		t.Fatalf("Kids() = %v, Len() = %d; want [ec1], 2", got, ks.Len())
	}
	raw := sign(t, jwt.SigningMethodES256, ecKey, "ec1", projectClaims())
	if _, err := Verify(raw, ks, VerifyOptions{Now: func() time.Time { return testNow }}); err != nil {
		t.Fatalf("Verify: %v", err)
	}
}

func TestVerifyReportsEveryClaimFailure(t *testing.T) {
	ks := portalKeySet(t)
	raw := sign(t, jwt.SigningMethodES256, ecKey, "ec1", with(projectClaims(),
		"exp", testNow.Add(-3*time.Minute).Unix(), "iss", "https://other.example"))
	d, err := Verify(raw, ks, VerifyOptions{Issuer: testIssuer, Subject: testProject, Now: func() time.Time { return testNow }})
	for _, want := range []error{ErrExpired, ErrIssuer} {
		if !errors.Is(err, want) {
			t.Errorf("err = %v, want it to match %v", err, want)
		}
	}
	if errors.Is(err, ErrSubject) {
		t.Errorf("err = %v matches ErrSubject, but sub is right", err)
	}
	if err != nil && !strings.Contains(err.Error(), "expired 3m ago") {
		t.Errorf("err = %q, want it to say how long ago", err)
	}
	if d == nil || d.Subject != testProject {
		t.Errorf("Verify returned %+v with the error, want the decoded token", d)
	}
}

func TestVerifyNilKeySet(t *testing.T) {
	keys(t)
	raw := sign(t, jwt.SigningMethodES256, ecKey, "ec1", projectClaims())
	if _, err := Verify(raw, nil, VerifyOptions{}); err == nil {
		t.Fatal("Verify with a nil key set succeeded")
	}
}

func mustP384(t testing.TB) any {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func BenchmarkVerify(b *testing.B) {
	ks := portalKeySet(b)
	now := func() time.Time { return testNow }
	for _, bc := range []struct {
		name   string
		method jwt.SigningMethod
		key    any
		kid    string
	}{
		{"ES256", jwt.SigningMethodES256, ecKey, "ec1"},
		{"RS256", jwt.SigningMethodRS256, rsaKey, "rsa1"},
	} {
		raw := sign(b, bc.method, bc.key, bc.kid, projectClaims())
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Verify(raw, ks, VerifyOptions{Issuer: testIssuer, Subject: testProject, Now: now}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
