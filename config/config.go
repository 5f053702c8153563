// Package config resolves the settings of slices-agent — portal, client id,
// client secret file, scope and keyring — from command-line flags, the
// environment, the config file and the defaults, in that order, and
// remembers where each value came from so that status can say.
//
// The config file is TOML at $XDG_CONFIG_HOME/slices-agent/config.toml
// (~/.config/slices-agent/config.toml):
//
//	portal = "https://portal.slices-ri.eu"
//	client_id = "my-registered-client"
//	client_secret_file = "~/.config/slices-agent/client-secret"
//	scope = "openid userinfo projects"
//	keyring = "auto"
//
// It never holds a secret itself: the secret lives in its own file (mode
// 0600), and only that file's path is written anywhere else.
package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/BurntSushi/toml"
)

// Where a value came from.
const (
	SourceFlag    = "flag"
	SourceEnv     = "env"
	SourceFile    = "file"
	SourceDefault = "default"
)

// Keys of the settings, as they stand in the config file.
const (
	KeyPortal           = "portal"
	KeyClientID         = "client_id"
	KeyClientSecretFile = "client_secret_file"
	KeyScope            = "scope"
	KeyKeyring          = "keyring"
)

// Keys lists the settings in the order status shows them.
var Keys = []string{KeyPortal, KeyClientID, KeyClientSecretFile, KeyScope, KeyKeyring}

// spec is how one setting is given: its flag, its variable, its default.
type spec struct{ flag, env, def string }

// Defaults are the values when nothing else gives one. The scope's default
// is empty: "openid userinfo projects", plus offline_access where the portal
// lists it, chosen once discovery is read.
var specs = map[string]spec{
	KeyPortal:           {"portal", "SLICES_PORTAL_URL", "https://portal.slices-ri.eu"},
	KeyClientID:         {"client-id", "SLICES_CLIENT_ID", "slices-agent"},
	KeyClientSecretFile: {"client-secret-file", "SLICES_CLIENT_SECRET_FILE", ""},
	KeyScope:            {"scope", "SLICES_SCOPE", ""},
	KeyKeyring:          {"keyring", "SLICES_KEYRING", "auto"},
}

// Flag is the command-line flag of a setting, without dashes.
func Flag(key string) string { return specs[key].flag }

// Env is the environment variable of a setting.
func Env(key string) string { return specs[key].env }

// Value is one resolved setting.
type Value struct {
	Value  string `json:"value"`
	Source string `json:"source"`
	// From names the flag, variable or file the value came from.
	From string `json:"from,omitempty"`
}

// Settings are the resolved settings by key, and the config file read.
type Settings struct {
	Values map[string]Value
	// File is the config file's path (read or not: it may not exist).
	File string
}

// Get returns the value of key.
func (s Settings) Get(key string) string { return s.Values[key].Value }

// Given reports whether key was given on the command line or in the
// environment, rather than by the config file or the default.
func (s Settings) Given(key string) bool {
	src := s.Values[key].Source
	return src == SourceFlag || src == SourceEnv
}

// Path is the config file: $XDG_CONFIG_HOME/slices-agent/config.toml, or
// ~/.config/slices-agent/config.toml.
func Path() string {
	dir := os.Getenv("XDG_CONFIG_HOME")
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return ""
		}
		dir = filepath.Join(home, ".config")
	}
	return filepath.Join(dir, "slices-agent", "config.toml")
}

// file is the config file's content.
type file struct {
	Portal           string `toml:"portal"`
	ClientID         string `toml:"client_id"`
	ClientSecretFile string `toml:"client_secret_file"`
	Scope            string `toml:"scope"`
	Keyring          string `toml:"keyring"`
}

func (f file) get(key string) string {
	switch key {
	case KeyPortal:
		return f.Portal
	case KeyClientID:
		return f.ClientID
	case KeyClientSecretFile:
		return f.ClientSecretFile
	case KeyScope:
		return f.Scope
	case KeyKeyring:
		return f.Keyring
	}
	return ""
}

// Error is a config file that cannot be used, with what to do about it.
type Error struct {
	Path string
	Err  error
	Hint string
}

func (e *Error) Error() string { return e.Path + ": " + e.Err.Error() }

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// readFile reads the config file at path; a missing file is no error.
func readFile(path string) (file, error) {
	var f file
	if path == "" {
		return f, nil
	}
	md, err := toml.DecodeFile(path, &f)
	if errors.Is(err, fs.ErrNotExist) {
		return file{}, nil
	}
	if err != nil {
		return file{}, &Error{Path: path, Err: err, Hint: "fix the file, or move it away; keys: " + strings.Join(Keys, ", ")}
	}
	if u := md.Undecoded(); len(u) > 0 {
		bad := u[0].String()
		if bad == "client_secret" {
			return file{}, &Error{Path: path, Err: errors.New("a client secret does not belong in the config file"),
				Hint: "put the secret alone in a file (chmod 600) and name that file with client_secret_file"}
		}
		return file{}, &Error{Path: path, Err: fmt.Errorf("unknown key %q", bad), Hint: "the keys are " + strings.Join(Keys, ", ")}
	}
	if f.ClientSecretFile != "" {
		f.ClientSecretFile = expandPath(f.ClientSecretFile, filepath.Dir(path))
	}
	return f, nil
}

// expandPath reads ~/ as the home directory and a relative path as relative
// to dir (the config file's directory).
func expandPath(p, dir string) string {
	if rest, ok := strings.CutPrefix(p, "~/"); ok {
		if home, err := os.UserHomeDir(); err == nil {
			return filepath.Join(home, rest)
		}
	}
	if !filepath.IsAbs(p) {
		return filepath.Join(dir, p)
	}
	return p
}

// Resolve works out every setting: flags (the values set on the command
// line, by key) over the environment (getenv) over the config file at path
// over the defaults. A relative secret file path is made absolute, from the
// working directory for flags and the environment, so that a daemon started
// elsewhere finds it.
//
// A config file that cannot be used is returned as the error, with the
// settings of the flags, the environment and the defaults still resolved:
// a command that needs nothing from the file still knows what it was given
// (a portal named by --portal or SLICES_PORTAL_URL is still checked).
func Resolve(flags map[string]string, getenv func(string) string, path string) (Settings, error) {
	s := Settings{Values: map[string]Value{}, File: path}
	f, err := readFile(path)
	if err != nil {
		f = file{}
	}
	for _, k := range Keys {
		sp := specs[k]
		v := Value{Value: sp.def, Source: SourceDefault}
		if fv := f.get(k); fv != "" {
			v = Value{Value: fv, Source: SourceFile, From: path}
		}
		if ev := getenv(sp.env); ev != "" {
			v = Value{Value: ev, Source: SourceEnv, From: sp.env}
		}
		if fl, ok := flags[k]; ok && fl != "" {
			v = Value{Value: fl, Source: SourceFlag, From: "--" + sp.flag}
		}
		if k == KeyClientSecretFile && v.Value != "" && v.Source != SourceFile {
			if abs, err := filepath.Abs(v.Value); err == nil {
				v.Value = abs
			}
		}
		s.Values[k] = v
	}
	if err != nil {
		return s, err
	}
	if kr := s.Get(KeyKeyring); !slices.Contains([]string{"auto", "system", "file", "memory"}, kr) {
		return s, fmt.Errorf("keyring %q (from %s): want auto, system, file or memory", kr, Describe(s.Values[KeyKeyring]))
	}
	return s, nil
}

// Describe says where a value came from: "--portal", "SLICES_PORTAL_URL",
// the file's path, or "the default".
func Describe(v Value) string {
	if v.From != "" {
		return v.From
	}
	return "the default"
}
