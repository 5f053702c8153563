package agent

import (
	"context"
	"errors"

	"github.com/slices-ri/slices-agent/ipc"
	"github.com/slices-ri/slices-agent/portal"
	"github.com/slices-ri/slices-agent/token"
)

// ImportLogin adopts a login made elsewhere, such as the Slices CLI's: the
// access token is verified like one from a device login; when it is missing
// or has expired, the refresh token is used to get a fresh one. The session
// is written to the keyring before it is served, as for a login.
//
// Without a refresh token (the caller gives none when the login belongs to
// another client than this agent's: the agent never refreshes under another
// client's name), the access token is served until it expires, and then
// the agent asks for a login.
func (a *Agent) ImportLogin(ctx context.Context, accessToken, refreshToken string) error {
	if err := a.refuseLocked(); err != nil {
		return err
	}
	if refreshToken == "" && accessToken == "" {
		return ipc.BadRequest("nothing to import", "send an access token, a refresh token, or both")
	}
	if accessToken != "" {
		err := a.completeLogin(ctx, &portal.Tokens{AccessToken: accessToken, RefreshToken: refreshToken})
		switch {
		case err == nil:
			a.log.Info("imported a login", "token", suffix(accessToken), "refreshable", refreshToken != "")
			return nil
		case isPortalError(err):
			return a.portalError("verifying the imported token", err)
		case errors.Is(err, token.ErrExpired) && refreshToken == "":
			return ipc.LoginRequired("the imported access token has expired, and there is no refresh token this agent may use", "")
		case !errors.Is(err, token.ErrExpired):
			return ipc.BadRequest("the imported access token does not verify: "+err.Error(),
				"is it from the portal this agent uses? 'slices-agent inspect --verify' tells")
		}
	}
	toks, err := a.portal.Refresh(ctx, refreshToken)
	if err != nil {
		if errors.Is(err, portal.ErrLoginRequired) {
			return ipc.LoginRequired("the portal refused the imported refresh token", "log in again with the Slices CLI, or run 'slices-agent login'")
		}
		return a.portalError("renewing the imported login", err)
	}
	if toks.RefreshToken == "" {
		toks.RefreshToken = refreshToken
	}
	if err := a.completeLogin(ctx, toks); err != nil {
		if isPortalError(err) {
			return a.portalError("verifying the renewed token", err)
		}
		return ipc.BadRequest("the token renewed from the imported login does not verify: "+err.Error(), "")
	}
	a.log.Info("imported a login, renewed with its refresh token", "token", suffix(toks.AccessToken))
	return nil
}

// isPortalError reports whether err came from talking to the portal rather
// than from checking a token.
func isPortalError(err error) bool {
	var pe *portal.Error
	return errors.As(err, &pe)
}

// errNoRefreshToken is the renewal of a login imported without a refresh
// token: its access token is served until it expires, and renewal fails
// (so that the expiring warnings go out) until then.
var errNoRefreshToken = errors.New("the imported login has no refresh token this agent may use: its token is served until it expires, then 'slices-agent login' is needed")

// importedUntilExpiry returns errNoRefreshToken while the user token without
// a refresh token is still valid, and nil once it has expired.
func (a *Agent) importedUntilExpiry() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.user.valid(a.now(), 0) {
		return errNoRefreshToken
	}
	return nil
}
