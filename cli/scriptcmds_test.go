package cli

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/rogpeppe/go-internal/testscript"

	"github.com/slices-ri/slices-agent/portal"
	"github.com/slices-ri/slices-agent/token"
)

// copyClose copies src to dst, then half-closes dst so the peer sees EOF.
func copyClose(dst, src net.Conn) {
	_, _ = io.Copy(dst, src)
	if uc, ok := dst.(*net.UnixConn); ok {
		_ = uc.CloseWrite()
	}
}

// mkjwt NAME [ms] [nokid] [proj] [tamper] [exp=DUR] [claim=K=V]...: signs a
// test token with a new ES256 key; writes NAME.jwt and the key set NAME.jwks
// (kid k1, or no kid with nokid).
func cmdMkJWT(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 1 {
		ts.Fatalf("usage: mkjwt NAME [options]")
	}
	name := args[0]
	now := time.Now()
	exp := now.Add(time.Hour)
	ms, kid, tamper := false, "k1", false
	claims := jwt.MapClaims{"iss": "https://issuer.example", "sub": "user-1", "scope": "openid"}
	hdr := map[string]any{}
	for _, o := range args[1:] {
		switch {
		case o == "ms":
			ms = true
		case o == "nokid":
			kid = ""
		case o == "tamper":
			tamper = true
		case o == "proj":
			hdr["typ"] = token.TypProject
			delete(claims, "scope")
			claims["sub"] = "proj_account.ilabt.imec.be_abc"
			claims["name"] = "ilabt-dev"
			claims["proj_exp"] = nil
			claims["act"] = map[string]any{"sub": "user-1", "role": "lead"}
		case strings.HasPrefix(o, "exp="):
			d, err := time.ParseDuration(strings.TrimPrefix(o, "exp="))
			ts.Check(err)
			exp = now.Add(d)
		case strings.HasPrefix(o, "claim="):
			k, v, _ := strings.Cut(strings.TrimPrefix(o, "claim="), "=")
			claims[k] = v
		default:
			ts.Fatalf("mkjwt: unknown option %q", o)
		}
	}
	if ms {
		claims["iat"], claims["exp"] = now.UnixMilli(), exp.UnixMilli()
	} else {
		claims["iat"], claims["exp"] = now.Unix(), exp.Unix()
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ts.Check(err)
	t := jwt.NewWithClaims(jwt.SigningMethodES256, claims)
	for k, v := range hdr {
		t.Header[k] = v
	}
	if kid != "" {
		t.Header["kid"] = kid
	}
	raw, err := t.SignedString(key)
	ts.Check(err)
	if tamper {
		parts := strings.Split(raw, ".")
		claims["sub"] = "someone-else"
		b, err := json.Marshal(claims)
		ts.Check(err)
		parts[1] = base64.RawURLEncoding.EncodeToString(b)
		raw = strings.Join(parts, ".")
	}
	set, err := token.MarshalKeySet(token.PublicKey{Kid: kid, Key: &key.PublicKey})
	ts.Check(err)
	ts.Check(os.WriteFile(ts.MkAbs(name+".jwt"), []byte(raw+"\n"), 0o600))
	ts.Check(os.WriteFile(ts.MkAbs(name+".jwks"), set, 0o600))
}

// cliauth FILE SHAPE: logs in to $SLICES_PORTAL_URL with a device code the
// way the Slices CLI would (the emulator approves by itself) and writes the
// login to FILE, replacing it atomically (temporary file and rename), in
// SHAPE: flat {"access_token","refresh_token",…}, nested
// {"token":{…}}, refresh-only, or access-only; with CLIENT, the file also
// says "client_id": CLIENT (the tokens are always the default client's).
func cmdCLIAuth(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 && len(args) != 3 {
		ts.Fatalf("usage: cliauth FILE flat|nested|refresh-only|access-only [CLIENT]")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	pc := portal.New(ts.Getenv("SLICES_PORTAL_URL"), "")
	dl, err := pc.StartDeviceLogin(ctx)
	ts.Check(err)
	toks, err := pc.WaitDeviceLogin(ctx, dl)
	ts.Check(err)
	inner := map[string]any{"access_token": toks.AccessToken, "refresh_token": toks.RefreshToken,
		"token_type": "Bearer", "expiry": toks.Expiry.Format(time.RFC3339)}
	var doc any
	switch args[1] {
	case "flat":
		doc = inner
	case "nested":
		doc = map[string]any{"portal": ts.Getenv("SLICES_PORTAL_URL"), "token": inner}
	case "refresh-only":
		doc = map[string]any{"refresh_token": toks.RefreshToken}
	case "access-only":
		doc = map[string]any{"access_token": toks.AccessToken}
	default:
		ts.Fatalf("cliauth: unknown shape %q", args[1])
	}
	if len(args) == 3 {
		doc.(map[string]any)["client_id"] = args[2]
	}
	b, err := json.MarshalIndent(doc, "", "  ")
	ts.Check(err)
	path := ts.MkAbs(args[0])
	ts.Check(os.MkdirAll(filepath.Dir(path), 0o700))
	tmp := filepath.Join(filepath.Dir(path), ".auth.json.tmp")
	ts.Check(os.WriteFile(tmp, b, 0o600))
	ts.Check(os.Rename(tmp, path))
}
