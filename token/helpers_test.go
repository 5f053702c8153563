package token

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Test keys, made once per test binary: the portal's EC and RSA keys and an attacker's.
var (
	keysOnce               sync.Once
	ecKey, otherEC         *ecdsa.PrivateKey
	rsaKey                 *rsa.PrivateKey
	testNow                = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	testIssuer             = "https://account.ilabt.imec.be"
	testProject            = "proj_account.ilabt.imec.be_0123456789abcdefghijklmnop"
	testUser               = "user_account.ilabt.imec.be_abcdefghijklmnopqrstuvwxyz"
	errKeyGenerationFailed error
)

func keys(t testing.TB) {
	t.Helper()
	keysOnce.Do(func() {
		var err1, err2, err3 error
		ecKey, err1 = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		otherEC, err2 = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		rsaKey, err3 = rsa.GenerateKey(rand.Reader, 2048)
		for _, err := range []error{err1, err2, err3} {
			if err != nil {
				errKeyGenerationFailed = err
			}
		}
	})
	if errKeyGenerationFailed != nil {
		t.Fatalf("generating test keys: %v", errKeyGenerationFailed)
	}
}

// portalKeySet is the JWKS of the test portal: ec1 (EC P-256) and rsa1 (RSA 2048).
func portalKeySet(t testing.TB) *KeySet {
	t.Helper()
	keys(t)
	b, err := MarshalKeySet(PublicKey{"ec1", &ecKey.PublicKey}, PublicKey{"rsa1", &rsaKey.PublicKey})
	if err != nil {
		t.Fatal(err)
	}
	ks, err := ParseKeySet(b)
	if err != nil {
		t.Fatal(err)
	}
	return ks
}

// projectClaims are the claims of a Slices project token issued at testNow, living an hour.
func projectClaims() map[string]any {
	return map[string]any{
		"iss":      testIssuer,
		"iat":      testNow.Unix(),
		"exp":      testNow.Add(time.Hour).Unix(),
		"sub":      testProject,
		"name":     "ilabt-dev",
		"proj_exp": "2030-12-15T00:00:00Z",
		"act":      map[string]any{"sub": testUser, "role": "lead"},
	}
}

// with returns a copy of claims with the given keys set; a nil value deletes the key.
func with(claims map[string]any, kv ...any) map[string]any {
	out := map[string]any{}
	for k, v := range claims {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == nil {
			delete(out, kv[i].(string))
		} else {
			out[kv[i].(string)] = kv[i+1]
		}
	}
	return out
}

// sign makes a token with golang-jwt; kid "" leaves the header without kid.
func sign(t testing.TB, method jwt.SigningMethod, key crypto.PrivateKey, kid string, claims map[string]any) string {
	t.Helper()
	tok := jwt.NewWithClaims(method, jwt.MapClaims(claims))
	if kid != "" {
		tok.Header["kid"] = kid
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatalf("signing: %v", err)
	}
	return s
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func b64JSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b64(b)
}

// handmade builds a token from any header and claims and a signer over the signing input.
func handmade(t testing.TB, header, claims any, signer func(input string) []byte) string {
	t.Helper()
	input := b64JSON(t, header) + "." + b64JSON(t, claims)
	return input + "." + b64(signer(input))
}

// hs256 signs with HMAC-SHA256 keyed by secret (the classic key-confusion attack).
func hs256(secret []byte) func(string) []byte {
	return func(input string) []byte {
		m := hmac.New(sha256.New, secret)
		m.Write([]byte(input))
		return m.Sum(nil)
	}
}

// es256 signs with ECDSA P-256 in the JWS form (r||s); asn1 gives the DER form instead.
func es256(t testing.TB, key *ecdsa.PrivateKey, asn1 bool) func(string) []byte {
	return func(input string) []byte {
		h := sha256.Sum256([]byte(input))
		if asn1 {
			sig, err := ecdsa.SignASN1(rand.Reader, key, h[:])
			if err != nil {
				t.Fatal(err)
			}
			return sig
		}
		r, s, err := ecdsa.Sign(rand.Reader, key, h[:])
		if err != nil {
			t.Fatal(err)
		}
		sig := make([]byte, 64)
		r.FillBytes(sig[:32])
		s.FillBytes(sig[32:])
		return sig
	}
}

func noSig(string) []byte { return nil }
