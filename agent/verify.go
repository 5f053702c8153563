package agent

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/slices-ri/slices-agent/portal"
	"github.com/slices-ri/slices-agent/token"
)

// verifier checks every token the portal hands out against the portal's key
// set. It caches discovery and the key set, and fetches both again, at most
// once per minRefetch, when a token fails on its key, its signature or its
// issuer: a rotated key, a portal restarted with a new key under the same
// kid, or a discovery document that was wrong once, must not keep every
// token failing until the agent restarts.
type verifier struct {
	portal *portal.Client
	now    func() time.Time

	mu        sync.Mutex
	keys      *token.KeySet
	issuer    string
	refetched time.Time // the last fetch forced by a failing token
}

const minRefetch = 10 * time.Second

// verify checks raw; subject is the project id, or "" for the user token.
func (v *verifier) verify(ctx context.Context, raw, subject string) (*token.Decoded, error) {
	keys, iss, err := v.keySet(ctx, false)
	if err != nil {
		return nil, err
	}
	// No leeway: a token from the portal must not have expired by our clock.
	opts := token.VerifyOptions{Issuer: iss, Subject: subject, Now: v.now, Leeway: -1}
	d, err := token.Verify(raw, keys, opts)
	if refetchable(err) {
		keys, iss, kerr := v.keySet(ctx, true)
		if kerr != nil {
			return nil, kerr
		}
		opts.Issuer = iss
		d, err = token.Verify(raw, keys, opts)
	}
	if err != nil {
		return nil, fmt.Errorf("token from portal rejected: %w", err)
	}
	return d, nil
}

// refetchable reports whether a token failed in a way that fresh discovery
// and keys could cure.
func refetchable(err error) bool {
	return errors.Is(err, token.ErrUnknownKey) || errors.Is(err, token.ErrSignature) || errors.Is(err, token.ErrIssuer)
}

// keySet returns the cached key set, fetching it when missing, or when
// refetch is asked and no forced fetch happened within minRefetch.
func (v *verifier) keySet(ctx context.Context, refetch bool) (*token.KeySet, string, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.keys != nil && (!refetch || (!v.refetched.IsZero() && v.now().Sub(v.refetched) < minRefetch)) {
		return v.keys, v.issuer, nil
	}
	if refetch {
		v.refetched = v.now()
		v.portal.Forget()
	}
	k, err := v.portal.Keys(ctx)
	if err != nil {
		return v.cached(err)
	}
	v.keys, v.issuer = k.Set, k.Issuer
	return k.Set, k.Issuer, nil
}

// cached falls back to the key set held, if any, when a fetch failed.
func (v *verifier) cached(err error) (*token.KeySet, string, error) {
	if v.keys != nil {
		return v.keys, v.issuer, nil
	}
	return nil, "", err
}
