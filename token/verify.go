package token

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/slices-ri/slices-agent/token/lifetime"
)

// Errors of Decode and Verify, for errors.Is. The errors returned carry details after them.
var (
	// ErrMalformed: not a compact JWT with a JSON header and claims, or claims of the wrong type.
	ErrMalformed = errors.New("malformed token")
	// ErrAlgorithm: alg is not ES256 or RS256 (none, HS256…), or does not fit the key's type.
	ErrAlgorithm = errors.New("unacceptable signing algorithm")
	// ErrUnknownKey: the kid is not in the key set; the set may be stale, so refetch it once.
	ErrUnknownKey = errors.New("unknown signing key")
	// ErrNoKid: the token names no key and the set does not have exactly one (or AllowNoKid is off).
	ErrNoKid = errors.New("token has no key id")
	// ErrSignature: the signature does not verify with the key the token names.
	ErrSignature = errors.New("invalid token signature")
	// ErrExpired: exp (plus leeway) has passed.
	ErrExpired = errors.New("token expired")
	// ErrNoExpiry: the token carries no exp claim.
	ErrNoExpiry = errors.New("token has no expiry")
	// ErrIssuer: iss is missing or not the expected issuer.
	ErrIssuer = errors.New("wrong token issuer")
	// ErrSubject: sub is missing or not the expected subject (the project asked for).
	ErrSubject = errors.New("wrong token subject")
	// ErrNotYetValid: nbf (minus leeway) is still in the future.
	ErrNotYetValid = errors.New("token not yet valid")
)

// DefaultLeeway is the clock skew allowed on exp and nbf when VerifyOptions.Leeway is zero.
// It is small because test portals issue tokens living a few seconds, and large enough for
// ordinary NTP drift between the portal and this host.
const DefaultLeeway = 10 * time.Second

// Algorithms are the only signing algorithms Verify accepts: anything else
// cannot be a token the portal issued.
var Algorithms = []string{"ES256", "RS256"}

// AcceptedAlgorithm reports whether alg is one of [Algorithms].
func AcceptedAlgorithm(alg string) bool {
	return slices.Contains(Algorithms, alg)
}

// VerifyOptions say what Verify requires of a token beyond its signature and exp.
type VerifyOptions struct {
	// Issuer, when non-empty, must equal iss (discovery's issuer, not the portal's URL).
	Issuer string
	// Subject, when non-empty, must equal sub (the project id asked for).
	Subject string
	// Leeway is the clock skew allowed on exp and nbf: zero means DefaultLeeway, a negative
	// value means none.
	Leeway time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// AllowNoKid lets a token without kid match a key set holding exactly one key (inspect).
	AllowNoKid bool
}

// Verify decodes raw and checks it against ks with golang-jwt: alg ES256 or RS256 fitting
// the type of the key named by kid, the signature, exp present and not passed, nbf, and iss
// and sub when opts ask for them. exp, nbf and iat given in milliseconds are converted as in
// Decode, so such tokens expire when they say. Errors wrap the Err* values of this package;
// once the token has decoded, the Decoded is returned with the error too, for display.
func Verify(raw string, ks *KeySet, opts VerifyOptions) (*Decoded, error) {
	d, err := Decode(raw)
	if err != nil {
		return nil, err
	}
	if ks == nil || ks.Len() == 0 {
		return d, fmt.Errorf("%w: no key set to verify against", ErrUnknownKey)
	}
	if _, ok := d.Header["crit"]; ok {
		return d, fmt.Errorf("%w: header: unsupported critical extensions (crit)", ErrMalformed)
	}
	if !isAccepted(d.Alg) {
		return d, fmt.Errorf("%w: alg %q (accepted: %s)", ErrAlgorithm, d.Alg, strings.Join(Algorithms, ", "))
	}
	if len(d.Warnings) > 0 {
		return d, fmt.Errorf("%w: claims: %s", ErrMalformed, strings.Join(d.Warnings, "; "))
	}
	keys, err := ks.candidates(d.Kid, d.Alg, opts.AllowNoKid)
	if err != nil {
		return d, err
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	leeway := opts.Leeway
	switch {
	case leeway == 0:
		leeway = DefaultLeeway
	case leeway < 0:
		leeway = 0
	}
	popts := []jwt.ParserOption{
		jwt.WithValidMethods(Algorithms),
		jwt.WithExpirationRequired(),
		jwt.WithLeeway(leeway),
		jwt.WithTimeFunc(now),
		jwt.WithPaddingAllowed(), // as Decode: the signature covers the segments as sent
	}
	if opts.Issuer != "" {
		popts = append(popts, jwt.WithIssuer(opts.Issuer))
	}
	if opts.Subject != "" {
		popts = append(popts, jwt.WithSubject(opts.Subject))
	}
	var vk any = jwt.VerificationKeySet{Keys: keys}
	if len(keys) == 1 {
		vk = keys[0]
	}
	keyfunc := func(*jwt.Token) (any, error) { return vk, nil }
	_, err = jwt.NewParser(popts...).ParseWithClaims(d.Raw, &msClaims{}, keyfunc)
	if err != nil {
		return d, mapError(err, d, opts, now())
	}
	return d, nil
}

func isAccepted(alg string) bool {
	for _, a := range Algorithms {
		if a == alg {
			return true
		}
	}
	return false
}

// candidates returns the keys a token with this kid and alg may be verified with.
func (ks *KeySet) candidates(kid, alg string, allowNoKid bool) ([]jwt.VerificationKey, error) {
	var pool []setKey
	if kid == "" {
		if !allowNoKid {
			return nil, ErrNoKid
		}
		if len(ks.keys) != 1 {
			return nil, fmt.Errorf("%w and the key set has %d keys", ErrNoKid, len(ks.keys))
		}
		pool = ks.keys
	} else {
		for _, k := range ks.keys {
			if k.kid == kid {
				pool = append(pool, k)
			}
		}
		if len(pool) == 0 {
			return nil, fmt.Errorf("%w: kid %q is not in the key set (kids: %s)", ErrUnknownKey, kid, strings.Join(ks.Kids(), ", "))
		}
	}
	var out []jwt.VerificationKey
	for _, k := range pool {
		if fits(alg, k.pub) && (k.alg == "" || k.alg == alg) {
			out = append(out, k.pub)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: alg %s does not fit key %q (%s)", ErrAlgorithm, alg, pool[0].kid, keyType(pool[0].pub))
	}
	return out, nil
}

func fits(alg string, pub crypto.PublicKey) bool {
	switch pub.(type) {
	case *ecdsa.PublicKey:
		return alg == "ES256"
	case *rsa.PublicKey:
		return alg == "RS256"
	}
	return false
}

func keyType(pub crypto.PublicKey) string {
	switch pub.(type) {
	case *ecdsa.PublicKey:
		return "EC P-256"
	case *rsa.PublicKey:
		return "RSA"
	}
	return fmt.Sprintf("%T", pub)
}

// mapError turns a golang-jwt error into this package's errors, most telling first.
func mapError(err error, d *Decoded, opts VerifyOptions, now time.Time) error {
	switch {
	case errors.Is(err, jwt.ErrTokenMalformed):
		return fmt.Errorf("%w: %v", ErrMalformed, err)
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		return fmt.Errorf("%w (kid %q)", ErrSignature, d.Kid)
	case !errors.Is(err, jwt.ErrTokenInvalidClaims):
		return fmt.Errorf("token: %v", err)
	}
	var errs []error
	if !d.HasExpiry() {
		errs = append(errs, ErrNoExpiry)
	}
	if errors.Is(err, jwt.ErrTokenExpired) {
		errs = append(errs, fmt.Errorf("%w %s ago (exp %s)", ErrExpired,
			lifetime.HumanDuration(now.Sub(d.ExpiresAt)), d.ExpiresAt.UTC().Format(time.RFC3339)))
	}
	if errors.Is(err, jwt.ErrTokenNotValidYet) {
		errs = append(errs, fmt.Errorf("%w for %s (nbf %s)", ErrNotYetValid,
			lifetime.HumanDuration(d.NotBefore.Sub(now)), d.NotBefore.UTC().Format(time.RFC3339)))
	}
	if opts.Issuer != "" && d.Issuer != opts.Issuer {
		errs = append(errs, fmt.Errorf("%w: iss %q, want %q", ErrIssuer, d.Issuer, opts.Issuer))
	}
	if opts.Subject != "" && d.Subject != opts.Subject {
		errs = append(errs, fmt.Errorf("%w: sub %q, want %q", ErrSubject, d.Subject, opts.Subject))
	}
	switch len(errs) {
	case 0:
		return fmt.Errorf("token: %v", err)
	case 1:
		return errs[0]
	}
	return claimErrors(errs)
}

// claimErrors are several claim failures at once, on one line, each visible to errors.Is.
type claimErrors []error

func (e claimErrors) Error() string {
	msgs := make([]string, len(e))
	for i, err := range e {
		msgs[i] = err.Error()
	}
	return strings.Join(msgs, "; ")
}

func (e claimErrors) Unwrap() []error { return e }

// msClaims are claims for golang-jwt whose numeric dates follow Decode: values above
// MillisThreshold are milliseconds. golang-jwt's own MapClaims would read a millisecond exp
// as seconds, a date tens of thousands of years away, and never find the token expired.
type msClaims map[string]any

func (c msClaims) date(name string) (*jwt.NumericDate, error) {
	v, ok := c[name]
	if !ok || v == nil {
		return nil, nil
	}
	t, _, err := numericDate(v)
	if err != nil {
		return nil, fmt.Errorf("%w: %s %v", jwt.ErrInvalidType, name, err)
	}
	return &jwt.NumericDate{Time: t}, nil
}

// GetExpirationTime implements jwt.Claims.
func (c msClaims) GetExpirationTime() (*jwt.NumericDate, error) { return c.date("exp") }

// GetNotBefore implements jwt.Claims.
func (c msClaims) GetNotBefore() (*jwt.NumericDate, error) { return c.date("nbf") }

// GetIssuedAt implements jwt.Claims.
func (c msClaims) GetIssuedAt() (*jwt.NumericDate, error) { return c.date("iat") }

// GetAudience implements jwt.Claims.
func (c msClaims) GetAudience() (jwt.ClaimStrings, error) { return jwt.MapClaims(c).GetAudience() }

// GetIssuer implements jwt.Claims.
func (c msClaims) GetIssuer() (string, error) { return jwt.MapClaims(c).GetIssuer() }

// GetSubject implements jwt.Claims.
func (c msClaims) GetSubject() (string, error) { return jwt.MapClaims(c).GetSubject() }
