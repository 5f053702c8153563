package token

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"strings"
)

// minRSABits is the smallest RSA modulus accepted in a key set.
const minRSABits = 2048

// KeySet is a parsed JSON Web Key Set holding the public keys usable for verification.
type KeySet struct {
	keys []setKey
	// Skipped says, one line per key, why keys of the set were left out (unknown kty or
	// crv, an encryption key, a point off the curve, a short RSA modulus…).
	Skipped []string
}

// setKey is one usable key: pub is *ecdsa.PublicKey (P-256) or *rsa.PublicKey.
type setKey struct {
	kid string
	alg string // the JWK's own alg, "" when it names none
	pub crypto.PublicKey
}

// jwk is the wire form of one JSON Web Key (public members only).
type jwk struct {
	Kty string `json:"kty"`
	Kid string `json:"kid,omitempty"`
	Use string `json:"use,omitempty"`
	Alg string `json:"alg,omitempty"`
	Crv string `json:"crv,omitempty"`
	X   string `json:"x,omitempty"`
	Y   string `json:"y,omitempty"`
	N   string `json:"n,omitempty"`
	E   string `json:"e,omitempty"`
}

// ParseKeySet parses a JWKS document ({"keys":[…]}, or a single JWK object). EC P-256 and
// RSA (2048 bits and more) signing keys are kept; keys of other types or curves, encryption
// keys and invalid keys are skipped and listed in Skipped. It fails when no key is usable.
func ParseKeySet(jwks []byte) (*KeySet, error) {
	var doc struct {
		Keys []json.RawMessage `json:"keys"`
		Kty  string            `json:"kty"`
	}
	if err := json.Unmarshal(jwks, &doc); err != nil {
		return nil, fmt.Errorf("jwks: not a JSON object: %v", err)
	}
	raws := doc.Keys
	if doc.Keys == nil && doc.Kty != "" {
		raws = []json.RawMessage{jwks}
	}
	ks := &KeySet{}
	for i, raw := range raws {
		var k jwk
		if err := json.Unmarshal(raw, &k); err != nil {
			ks.Skipped = append(ks.Skipped, fmt.Sprintf("key %d: not a JWK object: %v", i, err))
			continue
		}
		pub, err := k.publicKey()
		if err != nil {
			ks.Skipped = append(ks.Skipped, fmt.Sprintf("key %d (kid %q): %v", i, k.Kid, err))
			continue
		}
		ks.keys = append(ks.keys, setKey{kid: k.Kid, alg: k.Alg, pub: pub})
	}
	if len(ks.keys) == 0 {
		if len(ks.Skipped) == 0 {
			return nil, errors.New("jwks: no keys")
		}
		return nil, fmt.Errorf("jwks: no usable key: %s", strings.Join(ks.Skipped, "; "))
	}
	return ks, nil
}

func (k *jwk) publicKey() (crypto.PublicKey, error) {
	if k.Use != "" && k.Use != "sig" {
		return nil, fmt.Errorf("use %q is not sig", k.Use)
	}
	switch k.Kty {
	case "EC":
		if k.Crv != "P-256" {
			return nil, fmt.Errorf("unsupported curve %q", k.Crv)
		}
		if k.Alg != "" && k.Alg != "ES256" {
			return nil, fmt.Errorf("alg %q does not fit an EC P-256 key", k.Alg)
		}
		x, errX := coordinate(k.X, 32)
		y, errY := coordinate(k.Y, 32)
		if err := errors.Join(errX, errY); err != nil {
			return nil, fmt.Errorf("bad coordinates: %v", err)
		}
		point := append(append([]byte{4}, x...), y...)
		// ParseUncompressedPublicKey rejects points off the curve and the point at infinity.
		pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), point)
		if err != nil {
			return nil, fmt.Errorf("invalid P-256 point: %v", err)
		}
		return pub, nil
	case "RSA":
		if k.Alg != "" && k.Alg != "RS256" {
			return nil, fmt.Errorf("alg %q does not fit an RSA key", k.Alg)
		}
		n, errN := b64Int(k.N, "n")
		e, errE := b64Int(k.E, "e")
		if err := errors.Join(errN, errE); err != nil {
			return nil, err
		}
		if n.BitLen() < minRSABits {
			return nil, fmt.Errorf("rsa modulus of %d bits, want at least %d", n.BitLen(), minRSABits)
		}
		if !e.IsInt64() || e.Int64() < 3 || e.Int64() > 1<<31-1 || e.Bit(0) == 0 {
			return nil, fmt.Errorf("rsa exponent %v out of range", e)
		}
		return &rsa.PublicKey{N: n, E: int(e.Int64())}, nil
	case "":
		return nil, errors.New("no kty")
	default:
		return nil, fmt.Errorf("unsupported kty %q", k.Kty)
	}
}

// coordinate decodes a fixed-size big-endian field element.
func coordinate(s string, size int) ([]byte, error) {
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
	if err != nil {
		return nil, fmt.Errorf("not base64url: %v", err)
	}
	if len(b) != size {
		return nil, fmt.Errorf("%d bytes, want %d", len(b), size)
	}
	return b, nil
}

func b64Int(s, name string) (*big.Int, error) {
	if s == "" {
		return nil, fmt.Errorf("rsa key without %q", name)
	}
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
	if err != nil {
		return nil, fmt.Errorf("rsa %q not base64url: %v", name, err)
	}
	return new(big.Int).SetBytes(b), nil
}

// Kids returns the distinct key ids of the usable keys, in the order of the set.
func (ks *KeySet) Kids() []string {
	var out []string
	seen := map[string]bool{}
	for _, k := range ks.keys {
		if !seen[k.kid] {
			seen[k.kid] = true
			out = append(out, k.kid)
		}
	}
	return out
}

// Len returns the number of usable keys.
func (ks *KeySet) Len() int { return len(ks.keys) }

// Key returns the first usable key with the given kid: *ecdsa.PublicKey or *rsa.PublicKey.
func (ks *KeySet) Key(kid string) (crypto.PublicKey, bool) {
	for _, k := range ks.keys {
		if k.kid == kid {
			return k.pub, true
		}
	}
	return nil, false
}

// PublicKey is a key to publish in a JWKS with [MarshalKeySet].
type PublicKey struct {
	Kid string
	Key crypto.PublicKey // *ecdsa.PublicKey (P-256) or *rsa.PublicKey
}

// MarshalKeySet encodes public keys as a JWKS document, each with use "sig" and its alg
// (ES256 or RS256): what a portal publishes at /.well-known/jwks.json.
func MarshalKeySet(keys ...PublicKey) ([]byte, error) {
	out := struct {
		Keys []jwk `json:"keys"`
	}{Keys: []jwk{}}
	for _, k := range keys {
		j := jwk{Kid: k.Kid, Use: "sig"}
		switch pub := k.Key.(type) {
		case *ecdsa.PublicKey:
			if pub.Curve != elliptic.P256() {
				return nil, fmt.Errorf("jwks: key %q: only P-256 ec keys are supported", k.Kid)
			}
			b, err := pub.Bytes()
			if err != nil {
				return nil, fmt.Errorf("jwks: key %q: %v", k.Kid, err)
			}
			j.Kty, j.Crv, j.Alg = "EC", "P-256", "ES256"
			j.X = base64.RawURLEncoding.EncodeToString(b[1:33])
			j.Y = base64.RawURLEncoding.EncodeToString(b[33:])
		case *rsa.PublicKey:
			j.Kty, j.Alg = "RSA", "RS256"
			j.N = base64.RawURLEncoding.EncodeToString(pub.N.Bytes())
			j.E = base64.RawURLEncoding.EncodeToString(big.NewInt(int64(pub.E)).Bytes())
		default:
			return nil, fmt.Errorf("jwks: key %q: unsupported key type %T", k.Kid, k.Key)
		}
		out.Keys = append(out.Keys, j)
	}
	return json.Marshal(out)
}
