// Package token takes Slices JWTs apart and verifies them against a JSON Web Key Set.
//
// # Looking at a token
//
// [Decode] splits any compact JWT into its three segments and decodes the header and the
// claims without checking anything cryptographic: it is what `slices-agent inspect` shows.
// It tolerates unknown claims, a missing exp, and time claims given in seconds or in
// milliseconds (a value above 1e11 is read as milliseconds, see [MillisThreshold]).
// [Decoded.Project] reads the claims of a Slices project token (name, proj_exp, act).
//
// # Trusting a token
//
// [ParseKeySet] reads a JWKS (EC P-256 and RSA keys; others are skipped) and [Verify]
// checks a token against it with github.com/golang-jwt/jwt/v5:
//
//	ks, err := token.ParseKeySet(jwksBody)
//	d, err := token.Verify(raw, ks, token.VerifyOptions{Issuer: disc.Issuer, Subject: projectID})
//	switch {
//	case errors.Is(err, token.ErrUnknownKey):
//		// the portal may have rotated its key: refetch the JWKS once and verify again
//	case err != nil:
//		// refuse the token
//	}
//
// Only ES256 and RS256 are accepted, and the algorithm must match the type of the key the
// kid names, so neither "alg":"none" nor an HMAC keyed with the public key gets through.
// Every failure wraps one of the Err* values below, for errors.Is.
//
// # Living with a token
//
// The arithmetic of a token's life lives in package
// github.com/slices-ri/slices-agent/token/lifetime, which imports only the standard library:
// lifetime.DefaultPolicy (when to renew, how failed renewals back off, a token's stage),
// lifetime.FractionLeft, and lifetime.HumanDuration, lifetime.Relative and lifetime.When,
// which print durations the way the CLI and the TUI show them.
package token
