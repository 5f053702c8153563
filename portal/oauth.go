package portal

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"time"

	"golang.org/x/oauth2"
)

// DeviceLogin is a started device-code login: show VerificationURI and
// UserCode to the person, then call WaitDeviceLogin.
type DeviceLogin struct {
	VerificationURI         string
	VerificationURIComplete string
	UserCode                string
	Expiry                  time.Time

	resp *oauth2.DeviceAuthResponse
}

// StartDeviceLogin asks the issuer for a device code (RFC 8628 §3.1).
func (c *Client) StartDeviceLogin(ctx context.Context) (*DeviceLogin, error) {
	d, err := c.Discover(ctx)
	if err != nil {
		return nil, err
	}
	if d.DeviceAuthorizationEndpoint == "" {
		return nil, &Error{Op: "device login", Kind: ErrBadResponse, Err: errors.New("issuer has no device_authorization_endpoint")}
	}
	resp, err := c.deviceAuthorization(ctx, d)
	if err != nil {
		return nil, err
	}
	if resp.Expiry.IsZero() {
		resp.Expiry = time.Now().Add(10 * time.Minute)
	}
	return &DeviceLogin{
		VerificationURI:         resp.VerificationURI,
		VerificationURIComplete: resp.VerificationURIComplete,
		UserCode:                resp.UserCode,
		Expiry:                  resp.Expiry,
		resp:                    resp,
	}, nil
}

// WaitDeviceLogin polls the token endpoint until the person approves, denies,
// or the code expires (RFC 8628 §3.4), honouring slow_down.
func (c *Client) WaitDeviceLogin(ctx context.Context, dl *DeviceLogin) (*Tokens, error) {
	d, err := c.Discover(ctx)
	if err != nil {
		return nil, err
	}
	cfg, err := c.oauthConfig(d)
	if err != nil {
		return nil, err
	}
	tok, err := cfg.DeviceAccessToken(c.oauthContext(ctx), dl.resp)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) && !dl.Expiry.After(time.Now()) {
			return nil, &Error{Op: "device login", Kind: ErrLoginRequired, Err: errors.New("the code expired before it was approved")}
		}
		return nil, c.classify("device login", err)
	}
	return tokens(tok)
}

// Refresh trades a refresh token for new tokens. When the portal rotates
// refresh tokens the returned RefreshToken differs from the one given, and the
// old one must not be used again.
func (c *Client) Refresh(ctx context.Context, refreshToken string) (*Tokens, error) {
	if refreshToken == "" {
		return nil, &Error{Op: "refresh", Kind: ErrLoginRequired, Err: errors.New("no refresh token")}
	}
	d, err := c.Discover(ctx)
	if err != nil {
		return nil, err
	}
	cfg, err := c.oauthConfig(d)
	if err != nil {
		return nil, err
	}
	old := &oauth2.Token{RefreshToken: refreshToken, Expiry: time.Unix(1, 0)}
	tok, err := cfg.TokenSource(c.oauthContext(ctx), old).Token()
	if err != nil {
		return nil, c.classify("refresh", err)
	}
	return tokens(tok)
}

func tokens(tok *oauth2.Token) (*Tokens, error) {
	if tok.AccessToken == "" {
		return nil, &Error{Op: "token", Kind: ErrBadResponse, Err: errors.New("no access_token in answer")}
	}
	scope, _ := tok.Extra("scope").(string)
	t := &Tokens{AccessToken: tok.AccessToken, RefreshToken: tok.RefreshToken, Expiry: tok.Expiry, Scope: scope}
	if secs, ok := tok.Extra("refresh_expires_in").(float64); ok && secs > 0 {
		t.SessionEnd = time.Now().Add(time.Duration(secs * float64(time.Second)))
	}
	return t, nil
}

// classify turns an error from the token or device authorization endpoint
// into an *Error: the portal refusing this client's configuration is
// ErrRefused with a message naming the client and a hint (see refusal).
func (c *Client) classify(op string, err error) error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		status := 0
		if re.Response != nil {
			status = re.Response.StatusCode
		}
		cause := errors.New(re.ErrorCode)
		if re.ErrorCode == "" {
			cause = bodyMessage(re.Body)
		} else if re.ErrorDescription != "" {
			cause = fmt.Errorf("%s: %s", re.ErrorCode, re.ErrorDescription)
		}
		if msg, hint, ok := c.refusal(op, re.ErrorCode, re.ErrorDescription); ok {
			return &Error{Op: op, Kind: ErrRefused, Status: status, Code: re.ErrorCode, Err: cause, Message: msg, Hint: hint}
		}
		switch {
		case re.ErrorCode == "invalid_grant" || re.ErrorCode == "access_denied" || re.ErrorCode == "expired_token":
			return &Error{Op: op, Kind: ErrLoginRequired, Status: status, Code: re.ErrorCode, Err: cause}
		case status == 429 || status >= 500:
			return &Error{Op: op, Kind: ErrUnavailable, Status: status, Code: re.ErrorCode, Err: cause}
		case status == 401:
			// A 401 without a code a client can act on: the portal does
			// not accept this client's credentials.
			msg, hint, _ := c.refusal(op, "invalid_client", "")
			return &Error{Op: op, Kind: ErrRefused, Status: status, Code: re.ErrorCode, Err: cause, Message: msg + " (http 401)", Hint: hint}
		default:
			return &Error{Op: op, Kind: ErrBadResponse, Status: status, Code: re.ErrorCode, Err: cause}
		}
	}
	var pe *Error
	if errors.As(err, &pe) {
		return err
	}
	if errors.Is(err, errRedirectRefused) {
		return &Error{Op: op, Kind: ErrBadResponse, Err: transportError(err)}
	}
	var ue *url.Error
	var ne net.Error
	if errors.As(err, &ue) || errors.As(err, &ne) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return &Error{Op: op, Kind: ErrUnavailable, Err: transportError(err)}
	}
	return &Error{Op: op, Kind: ErrBadResponse, Err: err}
}
