package wire

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
)

// fill sets every field reachable from v to a value that is not zero and
// that differs from field to field, so that a field DecodeStatus forgets
// (say, one added to Status later) shows up as a difference.
func fill(t *testing.T, v reflect.Value, n *int) {
	t.Helper()
	*n++
	switch v.Kind() {
	case reflect.String:
		v.SetString("s" + strings.Repeat("x", *n) + "\x1b]52;é")
	case reflect.Int:
		v.SetInt(int64(1000 + *n))
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Pointer:
		if v.Type() != reflect.TypeFor[*time.Time]() {
			t.Fatalf("fill: a pointer to %s: teach fill and DecodeStatus about it", v.Type().Elem())
		}
		tm := time.Date(2026, 11, 30, 12, 0, *n, 123456789, time.FixedZone("", 3600))
		v.Set(reflect.ValueOf(&tm))
	case reflect.Struct:
		for i := range v.NumField() {
			fill(t, v.Field(i), n)
		}
	case reflect.Slice:
		s := reflect.MakeSlice(v.Type(), 2, 2)
		for i := range 2 {
			fill(t, s.Index(i), n)
		}
		v.Set(s)
	default:
		t.Fatalf("fill: a field of kind %s: teach fill and DecodeStatus about it", v.Kind())
	}
}

// DecodeStatus reads every field of Status as json.Unmarshal does.
func TestDecodeStatusEqualsEncodingJSON(t *testing.T) {
	var full Status
	n := 0
	fill(t, reflect.ValueOf(&full).Elem(), &n)
	b, err := json.Marshal(full)
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range []string{string(b), `{}`, `{"user":null,"projects":null,"pid":null}`,
		`{"projects":[{"id":"p","expires_at":null}],"locked":true,"unknown":{"x":[1,2]}}`, " \n" + string(b) + "\n "} {
		got, err := DecodeStatus([]byte(in))
		if err != nil {
			t.Fatalf("DecodeStatus(%.60s…): %v", in, err)
		}
		var want Status
		if err := json.Unmarshal([]byte(in), &want); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("DecodeStatus(%.60s…)\n got %+v\nwant %+v", in, got, want)
		}
	}
	if got, _ := DecodeStatus(b); got.User.ExpiresAt == nil || got.Projects[1].Sink == "" || got.Settings[1].From == "" {
		t.Fatalf("fill left fields empty: %+v", got)
	}
}

// What json.Unmarshal refuses, DecodeStatus refuses too.
func TestDecodeStatusRefusesWhatEncodingJSONRefuses(t *testing.T) {
	for _, in := range []string{``, `[]`, `"s"`, `{"pid":"1"}`, `{"pid":1.5}`, `{"locked":"yes"}`, `{"version":3}`,
		`{"user":[]}`, `{"user":{"expires_at":"yesterday"}}`, `{"user":{"expires_at":5}}`, `{"projects":{}}`,
		`{"projects":[3]}`, `{"settings":[{"key":1}]}`, `{} x`, `{"pid":1}{}`, `{"pid":99999999999999999999}`} {
		var want Status
		if json.Unmarshal([]byte(in), &want) == nil {
			t.Fatalf("json.Unmarshal(%q) accepts it: not a refusal case", in)
		}
		if _, err := DecodeStatus([]byte(in)); err == nil {
			t.Errorf("DecodeStatus(%q) = nil error, want one", in)
		}
	}
}
