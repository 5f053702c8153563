package token

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
)

// MillisThreshold is the value above which a numeric date claim (exp, iat, nbf, auth_time)
// is read as milliseconds rather than seconds since the epoch. 1e11 seconds is the year
// 5138; 1e11 milliseconds is March 1973, so no plausible date is misread either way.
const MillisThreshold = 1e11

// maxUnixSeconds is 9999-12-31T23:59:59Z: later dates are reported as out of range.
const maxUnixSeconds = 253402300799

// TypProject is the typ header of a Slices project token.
const TypProject = "JWT+slices.eu/proj"

// Decoded is a JWT taken apart for display, without any verification.
type Decoded struct {
	// Raw is the token as decoded: the input with surrounding white space trimmed.
	Raw string
	// Segments are the raw base64url header, payload and signature; joined with "." they
	// give Raw back.
	Segments [3]string
	// Header and Claims are the decoded JSON objects (numbers as float64).
	Header map[string]any
	Claims map[string]any
	// HeaderJSON and ClaimsJSON are the decoded bytes exactly as they were, for pretty
	// printing in their original order.
	HeaderJSON, ClaimsJSON []byte
	// Signature is the decoded signature (empty for an unsigned token).
	Signature []byte

	// Alg, Typ and Kid are the header parameters of those names ("" when missing or not
	// strings).
	Alg, Typ, Kid string
	// Issuer and Subject are the iss and sub claims.
	Issuer, Subject string
	// Audience is the aud claim, given as a string or as an array of strings.
	Audience []string
	// IssuedAt, NotBefore, ExpiresAt and AuthTime are the time claims; zero when missing
	// or unusable (see Warnings).
	IssuedAt, NotBefore, ExpiresAt, AuthTime time.Time
	// ExpInMillis is true when exp was given in milliseconds (value > MillisThreshold)
	// and was converted.
	ExpInMillis bool
	// Warnings lists claims that were present but could not be read (such as an exp that
	// is a string), in a form fit to show a user. Decode does not fail on them; Verify does.
	Warnings []string
}

// Decode takes a compact JWT apart without verifying it. It trims surrounding white space
// and accepts base64url segments with or without padding. Errors wrap [ErrMalformed] and
// name the part that failed.
func Decode(raw string) (*Decoded, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return nil, fmt.Errorf("%w: empty input", ErrMalformed)
	}
	parts := strings.Split(raw, ".")
	switch n := len(parts); {
	case n == 5:
		return nil, fmt.Errorf("%w: 5 segments: an encrypted JWE, not a signed JWT", ErrMalformed)
	case n != 3:
		return nil, fmt.Errorf("%w: %d segments, want 3 (header.payload.signature)", ErrMalformed, n)
	}
	d := &Decoded{Raw: raw, Segments: [3]string(parts)}
	var err error
	if d.HeaderJSON, err = decodeSegment(parts[0]); err != nil {
		return nil, fmt.Errorf("%w: header: %v", ErrMalformed, err)
	}
	if d.ClaimsJSON, err = decodeSegment(parts[1]); err != nil {
		return nil, fmt.Errorf("%w: payload: %v", ErrMalformed, err)
	}
	if d.Signature, err = decodeSegment(parts[2]); err != nil {
		return nil, fmt.Errorf("%w: signature: %v", ErrMalformed, err)
	}
	if d.Header, err = jsonObject(d.HeaderJSON); err != nil {
		return nil, fmt.Errorf("%w: header: %v", ErrMalformed, err)
	}
	if d.Claims, err = jsonObject(d.ClaimsJSON); err != nil {
		return nil, fmt.Errorf("%w: payload: %v", ErrMalformed, err)
	}
	d.Alg, _ = d.Header["alg"].(string)
	d.Typ, _ = d.Header["typ"].(string)
	d.Kid, _ = d.Header["kid"].(string)
	d.Issuer = d.stringClaim("iss")
	d.Subject = d.stringClaim("sub")
	d.Audience = d.audience()
	d.IssuedAt, _ = d.timeClaim("iat")
	d.NotBefore, _ = d.timeClaim("nbf")
	d.AuthTime, _ = d.timeClaim("auth_time")
	d.ExpiresAt, d.ExpInMillis = d.timeClaim("exp")
	return d, nil
}

// HasExpiry reports whether the token carries a usable exp claim.
func (d *Decoded) HasExpiry() bool { return !d.ExpiresAt.IsZero() }

// IsProject reports whether the header marks the token as a Slices project token.
func (d *Decoded) IsProject() bool { return d.Typ == TypProject }

// Tail returns the last six characters of the raw token: all that logs may show of it.
func (d *Decoded) Tail() string { return Tail(d.Raw) }

// Tail returns the last six characters of a raw token, for logs that must not hold it whole.
func Tail(raw string) string {
	if len(raw) <= 6 {
		return raw
	}
	return raw[len(raw)-6:]
}

// decodeSegment decodes base64url with or without trailing padding.
func decodeSegment(s string) ([]byte, error) {
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
	if err != nil {
		return nil, fmt.Errorf("not base64url: %v", err)
	}
	return b, nil
}

// jsonObject decodes b, which must hold exactly one JSON object.
func jsonObject(b []byte) (map[string]any, error) {
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return nil, fmt.Errorf("not JSON: %v", err)
		}
		return nil, fmt.Errorf("not a JSON object: %v", err)
	}
	if m == nil {
		return nil, errors.New("not a JSON object: null")
	}
	return m, nil
}

func (d *Decoded) warn(format string, args ...any) {
	d.Warnings = append(d.Warnings, fmt.Sprintf(format, args...))
}

func (d *Decoded) stringClaim(name string) string {
	v, ok := d.Claims[name]
	if !ok || v == nil {
		return ""
	}
	s, ok := v.(string)
	if !ok {
		d.warn("%s is a %s, not a string", name, jsonType(v))
	}
	return s
}

func (d *Decoded) audience() []string {
	switch v := d.Claims["aud"].(type) {
	case nil:
		return nil
	case string:
		return []string{v}
	case []any:
		out := make([]string, 0, len(v))
		for _, a := range v {
			s, ok := a.(string)
			if !ok {
				d.warn("aud holds a %s, not only strings", jsonType(a))
				return nil
			}
			out = append(out, s)
		}
		return out
	default:
		d.warn("aud is a %s, not a string or an array", jsonType(v))
		return nil
	}
}

// timeClaim reads a numeric date claim; ms reports a conversion from milliseconds.
func (d *Decoded) timeClaim(name string) (t time.Time, ms bool) {
	v, ok := d.Claims[name]
	if !ok || v == nil {
		return time.Time{}, false
	}
	t, ms, err := numericDate(v)
	if err != nil {
		d.warn("%s %v", name, err)
	}
	return t, ms
}

// numericDate converts a JSON number of seconds (or of milliseconds, above
// MillisThreshold) since the epoch to a time.
func numericDate(v any) (t time.Time, ms bool, err error) {
	var f float64
	switch n := v.(type) {
	case float64:
		f = n
	case json.Number:
		if f, err = n.Float64(); err != nil {
			return time.Time{}, false, fmt.Errorf("is not a number: %q", n)
		}
	default:
		return time.Time{}, false, fmt.Errorf("is a %s, not a number", jsonType(v))
	}
	if f > MillisThreshold {
		f, ms = f/1000, true
	}
	if math.IsNaN(f) || f < -maxUnixSeconds || f > maxUnixSeconds {
		return time.Time{}, false, fmt.Errorf("is out of range: %v", v)
	}
	sec, frac := math.Modf(f)
	// Round to the microsecond: a float64 carries no finer precision for current dates.
	return time.Unix(int64(sec), int64(frac*1e9)).Round(time.Microsecond), ms, nil
}

func jsonType(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "string"
	case float64, json.Number:
		return "number"
	case bool:
		return "boolean"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	default:
		return fmt.Sprintf("%T", v)
	}
}

// ProjectClaims are the claims of a Slices project token, typed.
type ProjectClaims struct {
	// Subject is the project id (proj_account.ilabt.imec.be_…).
	Subject string
	// Name is the project's name.
	Name string
	// ProjExp is when the project itself expires; nil when proj_exp is null or absent.
	ProjExp *time.Time
	// Act names the user acting in the project and their role (lead, admin, member, viewer).
	Act struct{ Sub, Role string }
}

// Project reads the Slices project claims. proj_exp may be an RFC 3339 string, null or
// absent (a number of seconds is tolerated too); other shapes are an error wrapping
// [ErrMalformed].
func (d *Decoded) Project() (ProjectClaims, error) {
	var p ProjectClaims
	p.Subject = d.Subject
	if v, ok := d.Claims["name"]; ok && v != nil {
		s, ok := v.(string)
		if !ok {
			return p, fmt.Errorf("%w: name is a %s, not a string", ErrMalformed, jsonType(v))
		}
		p.Name = s
	}
	switch v := d.Claims["proj_exp"].(type) {
	case nil:
	case string:
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return p, fmt.Errorf("%w: proj_exp %q is not an RFC 3339 time", ErrMalformed, v)
		}
		p.ProjExp = &t
	case float64:
		t, _, err := numericDate(v)
		if err != nil {
			return p, fmt.Errorf("%w: proj_exp %v", ErrMalformed, err)
		}
		p.ProjExp = &t
	default:
		return p, fmt.Errorf("%w: proj_exp is a %s, not a time", ErrMalformed, jsonType(v))
	}
	switch act := d.Claims["act"].(type) {
	case nil:
	case map[string]any:
		for key, dst := range map[string]*string{"sub": &p.Act.Sub, "role": &p.Act.Role} {
			if v, ok := act[key]; ok && v != nil {
				s, ok := v.(string)
				if !ok {
					return p, fmt.Errorf("%w: act.%s is a %s, not a string", ErrMalformed, key, jsonType(v))
				}
				*dst = s
			}
		}
	default:
		return p, fmt.Errorf("%w: act is a %s, not an object", ErrMalformed, jsonType(act))
	}
	return p, nil
}
