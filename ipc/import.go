package ipc

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
)

// ImportRequest is the JSON body of POST /v1/import: a login made elsewhere
// (the Slices CLI's) for the agent to adopt. The agent verifies the access
// token, or renews it with the refresh token when it has expired; without a
// refresh token it serves the access token until it expires.
type ImportRequest struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
}

// importLogin serves POST /v1/import.
func (h *handler) importLogin(w http.ResponseWriter, r *http.Request) error {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		return bodyError(err)
	}
	var in ImportRequest
	if err := json.Unmarshal(b, &in); err != nil {
		return BadRequest("request body is not a JSON object with access_token and refresh_token",
			`send {"access_token":"...","refresh_token":"..."}`)
	}
	if in.RefreshToken == "" && in.AccessToken == "" {
		return BadRequest("nothing to import", "send an access_token, a refresh_token, or both")
	}
	if err := h.svc.ImportLogin(r.Context(), in.AccessToken, in.RefreshToken); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// ImportLogin hands the agent a login made elsewhere: an access token (may be
// empty or expired) and its refresh token.
func (c *Client) ImportLogin(ctx context.Context, accessToken, refreshToken string) error {
	return c.call(ctx, "POST", "/v1/import", "", ImportRequest{AccessToken: accessToken, RefreshToken: refreshToken}, nil)
}
