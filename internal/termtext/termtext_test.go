package termtext

import "testing"

func TestEscape(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"ilabt-dev", "ilabt-dev"},
		{"Ünïcødé ok", "Ünïcødé ok"},
		{"evil\x1b]52;c;aGk=\x07", `evil\x1b]52;c;aGk=\x07`},
		{"two\nlines\r", `two\nlines\r`},
		{"tab\there", `tab\there`},
		{"rtl\u202eexe.txt", `rtl\u202eexe.txt`},
		{"csi\u009b31m", `csi\x9b31m`},
		{"bad\xffutf8", `bad\xffutf8`},
		{"del\x7f", `del\x7f`},
		{`back\slash`, `back\slash`},
		{"$(touch /tmp/x)", "$(touch /tmp/x)"},
		{"", ""},
	} {
		if got := Escape(c.in); got != c.want {
			t.Errorf("Escape(%q) = %q, want %q", c.in, got, c.want)
		}
		if Safe(c.in) != (c.in == c.want) {
			t.Errorf("Safe(%q) = %v", c.in, Safe(c.in))
		}
	}
}

func FuzzEscape(f *testing.F) {
	f.Add("a\x1b[2Jb")
	f.Fuzz(func(t *testing.T, s string) {
		if out := Escape(s); !Safe(out) {
			t.Fatalf("Escape(%q) = %q is not safe", s, out)
		}
	})
}
