package agent

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"testing/synctest"

	"github.com/slices-ri/slices-agent/devportal"
	"github.com/slices-ri/slices-agent/ipc"
)

// getJSON fetches one of the world's portal documents as a map.
func getJSON(t *testing.T, w *world, path string) map[string]any {
	t.Helper()
	hc := &http.Client{Transport: &http.Transport{DialContext: w.net.DialContext}}
	defer hc.CloseIdleConnections()
	resp, err := hc.Get(w.url + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// impostorJWKS is the portal's key set with every key replaced by a fresh
// P-256 key under the same kid: what a portal restarted with a new key
// publishes, seen from an agent that cached the old one.
func impostorJWKS(t *testing.T, w *world) string {
	t.Helper()
	set := getJSON(t, w, "/.well-known/jwks.json")
	for _, k := range set["keys"].([]any) {
		key := k.(map[string]any)
		priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		pub, _ := priv.PublicKey.Bytes() // 0x04 || X || Y
		key["x"] = base64.RawURLEncoding.EncodeToString(pub[1:33])
		key["y"] = base64.RawURLEncoding.EncodeToString(pub[33:])
	}
	b, _ := json.Marshal(set)
	return string(b)
}

// The key set the agent holds is stale (same kid, another key): the first
// token fails its signature, the agent fetches discovery and keys once more,
// and the login goes through.
func TestSignatureFailureRefetchesKeysOnce(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t, devportal.Options{})
		w.dp.InjectFault(devportal.Fault{Path: "/.well-known/jwks.json", Status: 200, Count: 1, Body: impostorJWKS(t, w)})
		w.dp.ResetStats()
		a := w.agent()
		if st := tryLogin(t, a); st.State != ipc.LoginDone {
			t.Fatalf("login with a stale key set: %s %s", st.State, st.Error)
		}
		if n := w.dp.Stats().Requests["jwks"]; n != 2 {
			t.Errorf("jwks fetched %d times, want 2 (the stale one, then one fresh)", n)
		}
	})
}

// Discovery that named the wrong issuer once does not keep every login failing.
func TestIssuerFailureRefetchesDiscovery(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t, devportal.Options{})
		disc := getJSON(t, w, "/.well-known/openid-configuration")
		disc["issuer"] = "https://wrong-issuer.example"
		b, _ := json.Marshal(disc)
		w.dp.InjectFault(devportal.Fault{Path: "/.well-known/openid-configuration", Status: 200, Count: 1, Body: string(b)})
		w.dp.ResetStats()
		a := w.agent()
		if st := tryLogin(t, a); st.State != ipc.LoginDone {
			t.Fatalf("login after a wrong discovery: %s %s", st.State, st.Error)
		}
		if n := w.dp.Stats().Requests["discovery"]; n != 2 {
			t.Errorf("discovery fetched %d times, want 2", n)
		}
	})
}

// A portal whose keys stay wrong is not asked again and again: one forced
// fetch per minRefetch, however many tokens fail.
func TestKeyRefetchIsRateLimited(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		w := newWorld(t, devportal.Options{})
		w.dp.InjectFault(devportal.Fault{Path: "/.well-known/jwks.json", Status: 200, Body: impostorJWKS(t, w)})
		w.dp.ResetStats()
		a := w.agent()
		for i := range 3 {
			if st := tryLogin(t, a); st.State != ipc.LoginFailed {
				t.Fatalf("login %d with wrong keys: %s, want failed", i+1, st.State)
			}
		}
		if n := w.dp.Stats().Requests["jwks"]; n != 2 {
			t.Errorf("jwks fetched %d times for 3 failing logins within %v, want 2", n, minRefetch)
		}
	})
}
