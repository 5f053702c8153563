package devportal

import (
	"crypto/hmac"
	"crypto/sha256"
	"fmt"
	"time"
)

// TokenMode says how the project-token endpoint misbehaves, for hostile-portal tests.
type TokenMode string

// The token modes; ModeNormal is the faithful portal.
const (
	// ModeNormal answers correct project tokens.
	ModeNormal TokenMode = ""
	// ModeGarbage answers a body that is not a JWT at all.
	ModeGarbage TokenMode = "garbage"
	// ModeAlgNone answers an unsigned token with "alg":"none".
	ModeAlgNone TokenMode = "alg_none"
	// ModeHS256PubKey answers a token HMAC-signed (HS256) with the PEM of the public key.
	ModeHS256PubKey TokenMode = "hs256_pubkey"
	// ModeUnknownKid answers a token signed by a key that is not in the JWKS.
	ModeUnknownKid TokenMode = "unknown_kid"
	// ModeWrongSub answers a correctly signed token for another project.
	ModeWrongSub TokenMode = "wrong_sub"
	// ModeExpired answers a correctly signed token whose exp is in the past.
	ModeExpired TokenMode = "expired"
	// ModeExpMillis answers a correctly signed token with exp in milliseconds.
	ModeExpMillis TokenMode = "exp_ms"
	// ModeTruncated answers a correctly signed token with its signature cut short.
	ModeTruncated TokenMode = "truncated"
)

// TokenModes lists every mode, ModeNormal first.
var TokenModes = []TokenMode{ModeNormal, ModeGarbage, ModeAlgNone, ModeHS256PubKey,
	ModeUnknownKid, ModeWrongSub, ModeExpired, ModeExpMillis, ModeTruncated}

// ParseTokenMode accepts a mode name; "normal" and "" both mean ModeNormal.
func ParseTokenMode(s string) (TokenMode, error) {
	if s == "normal" {
		return ModeNormal, nil
	}
	for _, m := range TokenModes {
		if string(m) == s {
			return m, nil
		}
	}
	return "", fmt.Errorf("unknown token mode %q", s)
}

// SetMode makes the project-token endpoint misbehave as m says until set back to ModeNormal.
func (s *Server) SetMode(m TokenMode) {
	s.mu.Lock()
	s.mode = m
	s.mu.Unlock()
}

// wrongSubject is a well-formed project id that no project has.
var wrongSubject = projectIDPrefix + base36ID("project:not-the-one-you-asked-for")

// mint produces the project token for claims c in mode m, signed by key.
func (m TokenMode) mint(key *signingKey, c projectClaims, ttl time.Duration) (string, error) {
	switch m {
	case ModeNormal:
		return signJWT(key, typProject, c)
	case ModeGarbage:
		return "this is not a JWT: the portal is having a bad day", nil
	case ModeAlgNone:
		in, err := signingInput(jwtHeader{Alg: "none", Typ: typProject}, c)
		return in + ".", err
	case ModeHS256PubKey:
		in, err := signingInput(jwtHeader{Alg: "HS256", Typ: typProject, Kid: key.kid}, c)
		if err != nil {
			return "", err
		}
		mac := hmac.New(sha256.New, key.publicPEM())
		mac.Write([]byte(in))
		return in + "." + b64(mac.Sum(nil)), nil
	case ModeUnknownKid:
		rogue, err := newSigningKey("rogue-" + base36ID(key.kid)[:6])
		if err != nil {
			return "", err
		}
		return signJWT(rogue, typProject, c)
	case ModeWrongSub:
		c.Sub = wrongSubject
		return signJWT(key, typProject, c)
	case ModeExpired:
		c.Iat -= int64((ttl + time.Minute) / time.Second)
		c.Exp = c.Iat + int64(ttl/time.Second)
		return signJWT(key, typProject, c)
	case ModeExpMillis:
		c.Exp *= 1000
		return signJWT(key, typProject, c)
	case ModeTruncated:
		tok, err := signJWT(key, typProject, c)
		if err != nil {
			return "", err
		}
		return tok[:len(tok)-20], nil
	}
	return "", fmt.Errorf("unknown token mode %q", m)
}
