package cli

import (
	"errors"
	"strings"
	"testing"
)

func TestParseCLILogin(t *testing.T) {
	const jwt = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln"
	tests := []struct {
		name, in         string
		access, refresh  string
		where            string
		unknown, invalid bool
	}{
		{name: "flat", in: `{"access_token":"` + jwt + `","refresh_token":"r1","token_type":"Bearer"}`, access: jwt, refresh: "r1"},
		{name: "camel case", in: `{"accessToken":"` + jwt + `","refreshToken":"r1"}`, access: jwt, refresh: "r1"},
		{name: "nested token", in: `{"portal":"x","token":{"access_token":"` + jwt + `","refresh_token":"r2"}}`, access: jwt, refresh: "r2", where: "token"},
		{name: "deeper", in: `{"auth":{"session":{"tokens":{"refresh_token":"r3"}}}}`, refresh: "r3", where: "auth.session.tokens"},
		{name: "token string and refresh", in: `{"token":"` + jwt + `","refresh_token":"r4"}`, access: jwt, refresh: "r4"},
		{name: "access only", in: `{"access_token":"` + jwt + `"}`, access: jwt},
		{name: "too deep", in: `{"a":{"b":{"c":{"d":{"refresh_token":"r"}}}}}`, unknown: true},
		{name: "unknown keys", in: `{"credentials":{"pat":"s3cret"},"user":"alice"}`, unknown: true},
		{name: "a plain token string is not a login", in: `{"token":"opaque"}`, unknown: true},
		{name: "not json", in: `token=abc`, invalid: true},
		{name: "json array", in: `["a"]`, invalid: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l, err := parseCLILogin("auth.json", []byte(tc.in))
			var shape *unknownShapeError
			switch {
			case tc.unknown:
				if !errors.As(err, &shape) {
					t.Fatalf("err = %v, want an unknown shape", err)
				}
				if strings.Contains(err.Error(), "s3cret") {
					t.Errorf("the message shows a value: %v", err)
				}
				return
			case tc.invalid:
				if err == nil || errors.As(err, &shape) {
					t.Fatalf("err = %v, want not-JSON", err)
				}
				return
			case err != nil:
				t.Fatal(err)
			}
			if l.AccessToken != tc.access || l.RefreshToken != tc.refresh || l.Where != tc.where {
				t.Errorf("got %+v, want access %q refresh %q where %q", l, tc.access, tc.refresh, tc.where)
			}
		})
	}
}

func TestUnknownShapeNamesKeysSorted(t *testing.T) {
	_, err := parseCLILogin("f", []byte(`{"zeta":1,"alpha":{"x":"secret"}}`))
	if err == nil || !strings.Contains(err.Error(), "top-level keys: alpha, zeta") {
		t.Fatalf("err = %v", err)
	}
}
