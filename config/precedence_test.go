package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeConfig(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "config.toml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestFlagsBeatEnvBeatFileBeatDefaults(t *testing.T) {
	path := writeConfig(t, `
portal = "https://file.example"
client_id = "from-file"
scope = "openid projects"
keyring = "memory"
`)
	env := map[string]string{"SLICES_CLIENT_ID": "from-env", "SLICES_SCOPE": "openid"}
	flags := map[string]string{KeyScope: "openid userinfo"}
	s, err := Resolve(flags, func(k string) string { return env[k] }, path)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]Value{
		KeyPortal:           {"https://file.example", SourceFile, path},
		KeyClientID:         {"from-env", SourceEnv, "SLICES_CLIENT_ID"},
		KeyClientSecretFile: {"", SourceDefault, ""},
		KeyScope:            {"openid userinfo", SourceFlag, "--scope"},
		KeyKeyring:          {"memory", SourceFile, path},
	}
	for k, w := range want {
		if got := s.Values[k]; got != w {
			t.Errorf("%s = %+v, want %+v", k, got, w)
		}
	}
	if !s.Given(KeyScope) || !s.Given(KeyClientID) || s.Given(KeyPortal) {
		t.Errorf("Given: flag and env count, the file does not")
	}
}

func TestNoFileMeansDefaults(t *testing.T) {
	s, err := Resolve(nil, func(string) string { return "" }, filepath.Join(t.TempDir(), "none.toml"))
	if err != nil {
		t.Fatal(err)
	}
	if s.Get(KeyPortal) != "https://portal.slices-ri.eu" || s.Get(KeyClientID) != "slices-agent" || s.Get(KeyKeyring) != "auto" ||
		s.Get(KeyScope) != "" || s.Values[KeyPortal].Source != SourceDefault {
		t.Errorf("defaults: %+v", s.Values)
	}
}

func TestConfigFileMistakesAreExplained(t *testing.T) {
	for _, tt := range []struct{ name, body, want, hint string }{
		{"a secret in the file", `client_secret = "hunter2"`, "does not belong", "client_secret_file"},
		{"unknown key", `portl = "x"`, `unknown key "portl"`, "client_id"},
		{"not toml", `portal = `, "config.toml", "fix the file"},
		{"bad keyring", `keyring = "vault"`, "keyring \"vault\"", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Resolve(nil, func(string) string { return "" }, writeConfig(t, tt.body))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to say %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("the error repeats the secret: %v", err)
			}
			if e, ok := err.(*Error); tt.hint != "" && (!ok || !strings.Contains(e.Hint, tt.hint)) {
				t.Errorf("hint of %v: want %q", err, tt.hint)
			}
		})
	}
}

func TestSecretFilePathsBecomeAbsolute(t *testing.T) {
	path := writeConfig(t, `client_secret_file = "secret"`)
	s, err := Resolve(nil, func(string) string { return "" }, path)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := s.Get(KeyClientSecretFile), filepath.Join(filepath.Dir(path), "secret"); got != want {
		t.Errorf("file-relative secret path = %q, want %q", got, want)
	}
	s, err = Resolve(map[string]string{KeyClientSecretFile: "rel/secret"}, func(string) string { return "" }, "")
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Get(KeyClientSecretFile); !filepath.IsAbs(got) || !strings.HasSuffix(got, "rel/secret") {
		t.Errorf("flag-relative secret path = %q, want it absolute", got)
	}
}

func TestReadSecret(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	if s, err := ReadSecret(write("ok", "s3cret\n", 0o600)); err != nil || s != "s3cret" {
		t.Errorf("ReadSecret = %q, %v; want s3cret", s, err)
	}
	for _, tt := range []struct {
		name, body string
		mode       os.FileMode
		want       string
	}{
		{"world", "s", 0o644, "readable by every user"},
		{"groupw", "s", 0o620, "changed by others"},
		{"empty", "\n", 0o600, "empty"},
		{"lines", "a\nb\n", 0o600, "more than one line"},
	} {
		_, err := ReadSecret(write(tt.name, tt.body, tt.mode))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want %q", tt.name, err, tt.want)
		}
	}
	if _, err := ReadSecret(filepath.Join(dir, "missing")); err == nil || !strings.Contains(err.Error(), "cannot read") {
		t.Errorf("missing: err = %v", err)
	}
	if _, err := ReadSecret(dir); err == nil {
		t.Errorf("a directory was read as a secret")
	}
}

// A config file that cannot be used still leaves the flags and the
// environment resolved: a portal asked for is not forgotten with the file.
func TestBrokenFileKeepsFlagsAndEnvironment(t *testing.T) {
	path := writeConfig(t, `bogus = 1`)
	env := func(k string) string {
		if k == Env(KeyPortal) {
			return "https://b.example"
		}
		return ""
	}
	s, err := Resolve(map[string]string{KeyClientID: "cli"}, env, path)
	if err == nil {
		t.Fatal("a broken file gave no error")
	}
	if !s.Given(KeyPortal) || s.Get(KeyPortal) != "https://b.example" || s.Get(KeyClientID) != "cli" || s.Get(KeyKeyring) != "auto" {
		t.Fatalf("settings beside the error: %+v", s.Values)
	}
}
