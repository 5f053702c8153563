package portal

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"golang.org/x/oauth2"
)

// Token endpoint authentication methods (OpenID Connect Discovery, RFC 8414).
const (
	AuthNone              = "none"
	AuthClientSecretBasic = "client_secret_basic"
	AuthClientSecretPost  = "client_secret_post"
)

// offlineAccess is the scope that asks for a refresh token.
const offlineAccess = "offline_access"

// Scope is the scope asked for at login: the one set with WithScope, else
// DefaultScope plus offline_access when discovery's scopes_supported lists it
// (a strict portal answers invalid_scope to a scope it does not know).
func (c *Client) Scope(d *Discovery) []string {
	if len(c.scope) > 0 {
		return slices.Clone(c.scope)
	}
	s := strings.Fields(DefaultScope)
	if slices.Contains(d.ScopesSupported, offlineAccess) {
		s = append(s, offlineAccess)
	}
	return s
}

// AuthMethod is how this client authenticates to the portal's token and
// device authorization endpoints: "none" for a public client; for one with a
// secret, client_secret_basic when discovery lists it or lists nothing (the
// OpenID default), else client_secret_post.
func (c *Client) AuthMethod(d *Discovery) (string, error) {
	if c.secret == "" {
		return AuthNone, nil
	}
	listed := d.TokenEndpointAuthMethodsSupported
	switch {
	case len(listed) == 0 || slices.Contains(listed, AuthClientSecretBasic):
		return AuthClientSecretBasic, nil
	case slices.Contains(listed, AuthClientSecretPost):
		return AuthClientSecretPost, nil
	}
	return "", &Error{Op: "client authentication", Kind: ErrRefused,
		Message: fmt.Sprintf("the portal supports none of the ways client %q can send its secret (it lists %s; slices-agent sends %s or %s)",
			c.clientID, strings.Join(listed, ", "), AuthClientSecretBasic, AuthClientSecretPost),
		Hint: "ask the portal's operators to allow client_secret_basic or client_secret_post for this client (docs/PORTAL.md)"}
}

// oauthConfig builds the golang.org/x/oauth2 configuration for the token
// endpoint from discovery: the client's credentials sent the way AuthMethod says.
func (c *Client) oauthConfig(d *Discovery) (*oauth2.Config, error) {
	method, err := c.AuthMethod(d)
	if err != nil {
		return nil, err
	}
	style := oauth2.AuthStyleInParams // none and client_secret_post
	if method == AuthClientSecretBasic {
		style = oauth2.AuthStyleInHeader
	}
	return &oauth2.Config{
		ClientID:     c.clientID,
		ClientSecret: c.secret,
		Endpoint: oauth2.Endpoint{
			DeviceAuthURL: d.DeviceAuthorizationEndpoint,
			TokenURL:      d.TokenEndpoint,
			AuthStyle:     style,
		},
		Scopes: c.Scope(d),
	}, nil
}

// oauthContext makes x/oauth2 use our HTTP client.
func (c *Client) oauthContext(ctx context.Context) context.Context {
	return context.WithValue(ctx, oauth2.HTTPClient, c.http)
}

// authenticate adds the client's credentials to a form request the way
// method says: HTTP Basic (RFC 6749 §2.3.1, id and secret form-encoded
// first), in the form, or only the client_id for a public client.
func (c *Client) authenticate(req *http.Request, form url.Values, method string) {
	switch method {
	case AuthClientSecretBasic:
		req.SetBasicAuth(url.QueryEscape(c.clientID), url.QueryEscape(c.secret))
	case AuthClientSecretPost:
		form.Set("client_id", c.clientID)
		form.Set("client_secret", c.secret)
	default:
		form.Set("client_id", c.clientID)
	}
}

// deviceAuthorization is the device authorization request (RFC 8628 §3.1),
// made here rather than with oauth2.Config.DeviceAuth because that one never
// authenticates the client, while a confidential client must authenticate
// there, with the method it is registered for.
func (c *Client) deviceAuthorization(ctx context.Context, d *Discovery) (*oauth2.DeviceAuthResponse, error) {
	method, err := c.AuthMethod(d)
	if err != nil {
		return nil, err
	}
	form := url.Values{}
	if s := c.Scope(d); len(s) > 0 {
		form.Set("scope", strings.Join(s, " "))
	}
	// The form is complete before the request is made: authenticate adds to it.
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.DeviceAuthorizationEndpoint, nil)
	if err != nil {
		return nil, &Error{Op: "device login", Kind: ErrBadResponse, Err: err}
	}
	c.authenticate(req, form, method)
	body := form.Encode()
	req.Body = io.NopCloser(strings.NewReader(body))
	req.ContentLength = int64(len(body))
	req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(body)), nil }
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")

	sent := time.Now()
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, &Error{Op: "device login", Kind: ErrUnavailable, Err: transportError(err)}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return nil, &Error{Op: "device login", Kind: ErrUnavailable, Status: resp.StatusCode, Err: transportError(err)}
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, c.classify("device login", oauthRetrieveError(resp, b))
	}
	var da oauth2.DeviceAuthResponse
	if err := json.Unmarshal(b, &da); err != nil {
		return nil, &Error{Op: "device login", Kind: ErrBadResponse, Status: resp.StatusCode, Err: fmt.Errorf("decoding json: %w", err)}
	}
	if da.DeviceCode == "" || da.UserCode == "" || da.VerificationURI == "" {
		return nil, &Error{Op: "device login", Kind: ErrBadResponse, Status: resp.StatusCode,
			Err: errors.New("device_code, user_code or verification_uri missing")}
	}
	if !da.Expiry.IsZero() {
		da.Expiry = da.Expiry.Add(-time.Since(sent)) // the answer's expires_in counted from when it was asked
	}
	return &da, nil
}

// oauthRetrieveError reads an OAuth error answer (RFC 6749 §5.2) into the
// shape x/oauth2 reports, so that both paths are classified alike.
func oauthRetrieveError(resp *http.Response, body []byte) *oauth2.RetrieveError {
	re := &oauth2.RetrieveError{Response: resp, Body: body}
	ct, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if ct == "application/x-www-form-urlencoded" || ct == "text/plain" {
		if v, err := url.ParseQuery(string(body)); err == nil {
			re.ErrorCode, re.ErrorDescription = v.Get("error"), v.Get("error_description")
		}
		return re
	}
	var e struct {
		Code        string `json:"error"`
		Description string `json:"error_description"`
	}
	if json.Unmarshal(body, &e) == nil {
		re.ErrorCode, re.ErrorDescription = e.Code, e.Description
	}
	return re
}

// refusal words the OAuth errors that mean the portal refuses this client's
// configuration: what was refused, naming the client id, and what to ask the
// portal's operators for. ok is false for every other code.
func (c *Client) refusal(op, code, desc string) (msg, hint string, ok bool) {
	id := fmt.Sprintf("%q", c.clientID)
	detail := code
	if desc != "" {
		detail += ": " + desc
	}
	switch code {
	case "invalid_client":
		if c.secret == "" {
			return fmt.Sprintf("the portal does not accept client %s without a secret (%s)", id, detail),
				"if the operators gave you a client secret, pass it with --client-secret-file (or SLICES_CLIENT_SECRET_FILE); " +
					"otherwise ask them to register " + id + " as a public client for the device grant (docs/PORTAL.md)", true
		}
		return fmt.Sprintf("the portal does not accept the id and secret of client %s (%s)", id, detail),
			"check --client-id and the secret file against what the portal's operators registered, and which way " +
				"(client_secret_basic or client_secret_post) they expect it (docs/PORTAL.md)", true
	case "unauthorized_client":
		grant := "the device grant (urn:ietf:params:oauth:grant-type:device_code)"
		if op == "refresh" {
			grant = "refresh tokens (the refresh_token grant)"
		}
		return fmt.Sprintf("client %s may not use %s on this portal (%s)", id, grant, detail),
			"ask the portal's operators to enable the device grant and refresh tokens for client " + id + " (docs/PORTAL.md)", true
	case "invalid_scope":
		return fmt.Sprintf("the portal refuses the scope asked for by client %s (%s)", id, detail),
			"set a scope the portal allows with --scope (or SLICES_SCOPE, or scope in config.toml), " +
				"or ask the operators to allow \"" + DefaultScope + "\" for " + id + " (docs/PORTAL.md)", true
	case "unsupported_grant_type":
		return fmt.Sprintf("the portal does not support the grant client %s uses for the %s (%s)", id, op, detail),
			"ask the portal's operators for the device grant (RFC 8628) and refresh tokens for client " + id + " (docs/PORTAL.md)", true
	}
	return "", "", false
}
