package front

import (
	"reflect"
	"testing"

	"github.com/slices-ri/slices-agent/internal/segment"
)

// The front end answers only command lines it reads fully; everything else
// goes to the core unread.
func TestParseTakesOnlyWhatItUnderstands(t *testing.T) {
	tok := func(socket, portal, minValid string, args ...string) call {
		return call{cmd: "token", args: args, socket: socket, portal: portal, minValid: minValid,
			format: segment.DefaultFormat, color: "auto"}
	}
	prm := func(format, color string, args ...string) call {
		return call{cmd: "prompt", args: args, format: format, color: color}
	}
	for _, c := range []struct {
		args []string
		want call
	}{
		{[]string{"token", "p"}, tok("", "", "", "p")},
		{[]string{"token"}, tok("", "", "")},
		{[]string{"-a", "/s", "token", "p"}, tok("/s", "", "", "p")},
		{[]string{"token", "p", "-a", "/s"}, tok("/s", "", "", "p")},
		{[]string{"token", "-a=/s", "p"}, tok("/s", "", "", "p")},
		{[]string{"--a", "/s", "token", "p"}, tok("/s", "", "", "p")},
		{[]string{"token", "--min-valid", "5m", "p"}, tok("", "", "5m", "p")},
		{[]string{"token", "-min-valid=90", "p"}, tok("", "", "90", "p")},
		{[]string{"--portal", "http://x", "token", "p"}, tok("", "http://x", "", "p")},
		{[]string{"--keyring", "memory", "--scope", "a b", "--client-id", "c", "--client-secret-file", "f", "token"}, tok("", "", "")},
		{[]string{"token", "--", "-p"}, tok("", "", "", "-p")},
		{[]string{"token", "-"}, tok("", "", "", "-")},
		{[]string{"prompt"}, prm(segment.DefaultFormat, "auto")},
		{[]string{"prompt", "p", "--format", "%n", "--color=zsh"}, prm("%n", "zsh", "p")},
		{[]string{"prompt", "--color", "bogus"}, prm(segment.DefaultFormat, "bogus")}, // the answer checks it
	} {
		got, ok := parse(c.args)
		if !ok || !reflect.DeepEqual(got, c.want) {
			t.Errorf("parse(%q) = %+v, %v; want %+v", c.args, got, ok, c.want)
		}
	}
	for _, args := range [][]string{
		nil, {}, {"status"}, {"tokens"}, {"-D"}, {"-k"}, {"--version"}, {"--cli-manifest"}, {"help"},
		{"token", "-h"}, {"token", "--help"}, {"token", "--json"}, {"token", "a", "b"}, {"token", "-a"},
		{"token", "-a", ""}, {"token", "--portal="}, {"token", "---a", "x"}, {"token", "--format", "%n"},
		{"prompt", "--min-valid", "5m"}, {"--min-valid", "5m", "token"}, {"--min-valid=5m", "token"},
		{"--", "token"}, {"-a", "/s"}, {"prompt", "a", "b"}, {"token", "--", "a", "b"}, {"exec", "--", "token"},
		{"token", ""}, {"token", "--", ""},
		{"token", "--scope", "--", "p"}, {"-a", "--", "token"}, {"token", "--portal", "--"}, {"token", "-a", "--", "p"},
	} {
		if got, ok := parse(args); ok {
			t.Errorf("parse(%q) = %+v: the front end takes it, want it handed over", args, got)
		}
	}
}

// A flag is read as the core's flag package reads it: the last one wins.
func TestParseLastFlagWins(t *testing.T) {
	got, ok := parse([]string{"-a", "/one", "token", "-a", "/two", "--min-valid", "1m", "--min-valid=2m"})
	if !ok || got.socket != "/two" || got.minValid != "2m" {
		t.Fatalf("parse = %+v, %v", got, ok)
	}
}
