package devportal

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/golang-jwt/jwt/v5"
)

// signingKey is one EC P-256 key of the portal.
type signingKey struct {
	kid  string
	priv *ecdsa.PrivateKey
}

// jwtHeader is written by hand so the key order is exactly the real portal's: alg, typ, kid.
type jwtHeader struct {
	Alg string `json:"alg"`
	Typ string `json:"typ,omitempty"`
	Kid string `json:"kid,omitempty"`
}

// Token types in the JWT header.
const (
	typUser    = "JWT"
	typProject = "JWT+slices.eu/proj"
)

// jwk is one entry of the JWKS.
type jwk struct {
	Kty string `json:"kty"`
	Crv string `json:"crv"`
	X   string `json:"x"`
	Y   string `json:"y"`
	Kid string `json:"kid"`
	Use string `json:"use"`
	Alg string `json:"alg"`
}

func newSigningKey(kid string) (*signingKey, error) {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate signing key: %w", err)
	}
	return &signingKey{kid: kid, priv: priv}, nil
}

func (k *signingKey) jwk() jwk {
	b, _ := k.priv.PublicKey.Bytes() // uncompressed point: 0x04 || X || Y
	return jwk{
		Kty: "EC", Crv: "P-256",
		X: b64(b[1:33]), Y: b64(b[33:65]),
		Kid: k.kid, Use: "sig", Alg: "ES256",
	}
}

// publicPEM is the PKIX PEM of the public key, the bytes an HS256 key-confusion attack uses.
func (k *signingKey) publicPEM() []byte {
	der, _ := x509.MarshalPKIXPublicKey(&k.priv.PublicKey)
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

// addKey makes a new signing key the current one and publishes it; s.mu must not be held.
func (s *Server) addKey() (string, error) {
	s.mu.Lock()
	s.keySeq++
	kid := fmt.Sprintf("ec%d", s.keySeq)
	s.mu.Unlock()
	k, err := newSigningKey(kid)
	if err != nil {
		return "", err
	}
	s.mu.Lock()
	s.keys = append(s.keys, k)
	s.mu.Unlock()
	return kid, nil
}

// RotateKey signs from now on with a new key and keeps the old ones published, as a
// graceful rotation does. It returns the new kid.
func (s *Server) RotateKey() string {
	kid, err := s.addKey()
	if err != nil {
		s.log.Error("rotate key", "err", err)
	}
	return kid
}

// RotateKeyHard signs from now on with a new key and drops all older keys from the
// JWKS, so tokens signed before no longer verify. It returns the new kid.
func (s *Server) RotateKeyHard() string {
	kid := s.RotateKey()
	s.mu.Lock()
	s.keys = s.keys[len(s.keys)-1:]
	s.mu.Unlock()
	return kid
}

// currentKey is the key that signs; s.mu must be held.
func (s *Server) currentKey() *signingKey { return s.keys[len(s.keys)-1] }

func (s *Server) handleJWKS(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	set := struct {
		Keys []jwk `json:"keys"`
	}{Keys: make([]jwk, 0, len(s.keys))}
	for _, k := range s.keys {
		set.Keys = append(set.Keys, k.jwk())
	}
	s.mu.Unlock()
	w.Header().Set("Cache-Control", "public, max-age=300")
	writeJSON(w, http.StatusOK, set)
}

// signJWT builds a compact JWS with the header bytes in the given order, signed ES256 by k.
func signJWT(k *signingKey, typ string, claims any) (string, error) {
	input, err := signingInput(jwtHeader{Alg: "ES256", Typ: typ, Kid: k.kid}, claims)
	if err != nil {
		return "", err
	}
	sig, err := jwt.SigningMethodES256.Sign(input, k.priv)
	if err != nil {
		return "", fmt.Errorf("sign token: %w", err)
	}
	return input + "." + b64(sig), nil
}

func signingInput(h jwtHeader, claims any) (string, error) {
	hb, err := json.Marshal(h)
	if err != nil {
		return "", fmt.Errorf("encode header: %w", err)
	}
	cb, err := json.Marshal(claims)
	if err != nil {
		return "", fmt.Errorf("encode claims: %w", err)
	}
	return b64(hb) + "." + b64(cb), nil
}

// verifyUserToken checks a bearer token the way the portal does: ES256 against a
// published key, typ JWT, our issuer, not expired, not revoked. It returns the claims.
func (s *Server) verifyUserToken(raw string) (*userClaims, error) {
	var c userClaims
	p := jwt.NewParser(jwt.WithValidMethods([]string{"ES256"}), jwt.WithTimeFunc(s.now),
		jwt.WithIssuer(s.opts.Issuer), jwt.WithExpirationRequired())
	tok, err := p.ParseWithClaims(raw, &c, func(t *jwt.Token) (any, error) {
		if typ, _ := t.Header["typ"].(string); typ != typUser {
			return nil, fmt.Errorf("token type %q is not a user token", typ)
		}
		kid, _ := t.Header["kid"].(string)
		s.mu.Lock()
		defer s.mu.Unlock()
		for _, k := range s.keys {
			if k.kid == kid {
				return &k.priv.PublicKey, nil
			}
		}
		return nil, fmt.Errorf("unknown signing key %q", kid)
	})
	if err != nil {
		return nil, err
	}
	if !tok.Valid {
		return nil, errors.New("invalid token")
	}
	s.mu.Lock()
	revoked := s.revokedAccess[tokenHash(raw)]
	s.mu.Unlock()
	if revoked {
		return nil, errors.New("token has been revoked")
	}
	return &c, nil
}

// bearer extracts the token of an "Authorization: Bearer" header.
func bearer(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	scheme, tok, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	tok = strings.TrimSpace(tok)
	return tok, tok != ""
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func tokenHash(tok string) string {
	h := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(h[:])
}

// tail is the last six characters of a secret, all a log line may show.
func tail(tok string) string {
	if len(tok) <= 6 {
		return "…"
	}
	return "…" + tok[len(tok)-6:]
}

// randomToken is 32 random bytes, base64url without padding: no + % & = characters.
func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return b64(b)
}
