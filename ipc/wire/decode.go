package wire

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"time"
)

// DecodeStatus decodes the answer of GET /v1/status into a Status, as
// json.Unmarshal would, but through generic values rather than reflection
// over the struct: that reflection costs a process that decodes once about
// 0.1 ms, which the prompt would pay before every shell prompt. A test holds
// the two decodings equal for every field of Status.
func DecodeStatus(b []byte) (Status, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return Status{}, err
	}
	if len(bytes.TrimLeft(b[dec.InputOffset():], " \t\r\n")) > 0 {
		return Status{}, errors.New("status: data after the JSON value")
	}
	var d decoder
	o := d.object(v, "status")
	st := Status{
		Version:     d.str(o, "version"),
		PID:         d.int(o, "pid"),
		Socket:      d.str(o, "socket"),
		Portal:      d.str(o, "portal"),
		Keyring:     d.str(o, "keyring"),
		KeyringNote: d.str(o, "keyring_note"),
		Locked:      d.bool(o, "locked"),
		ClientID:    d.str(o, "client_id"),
	}
	if u := d.object(o["user"], "user"); u != nil {
		st.User = UserStatus{
			LoggedIn: d.bool(u, "logged_in"), Subject: d.str(u, "subject"), Name: d.str(u, "name"),
			ExpiresAt: d.time(u, "expires_at"), IssuedAt: d.time(u, "issued_at"), Refreshable: d.bool(u, "refreshable"),
			SessionEndsAt: d.time(u, "session_ends_at"), State: d.str(u, "state"), LastError: d.str(u, "last_error"),
		}
	}
	for _, pv := range d.array(o["projects"], "projects") {
		p := d.object(pv, "project")
		st.Projects = append(st.Projects, ProjectStatus{
			ID: d.str(p, "id"), Name: d.str(p, "name"), Role: d.str(p, "role"),
			ExpiresAt: d.time(p, "expires_at"), IssuedAt: d.time(p, "issued_at"),
			State: d.str(p, "state"), LastError: d.str(p, "last_error"), Sink: d.str(p, "sink"),
		})
	}
	for _, sv := range d.array(o["settings"], "settings") {
		s := d.object(sv, "setting")
		st.Settings = append(st.Settings, Setting{Key: d.str(s, "key"), Value: d.str(s, "value"),
			Source: d.str(s, "source"), From: d.str(s, "from")})
	}
	return st, d.err
}

// decoder reads fields of generic JSON values, keeping the first error;
// null and missing fields are zero, as json.Unmarshal leaves them.
type decoder struct{ err error }

func (d *decoder) wrong(key, want string) {
	if d.err == nil {
		d.err = errors.New("status: " + key + " is not " + want)
	}
}

func (d *decoder) object(v any, key string) map[string]any {
	o, ok := v.(map[string]any)
	if !ok && v != nil {
		d.wrong(key, "an object")
	}
	return o
}

func (d *decoder) array(v any, key string) []any {
	a, ok := v.([]any)
	if !ok && v != nil {
		d.wrong(key, "an array")
	}
	return a
}

func (d *decoder) str(o map[string]any, key string) string {
	s, ok := o[key].(string)
	if !ok && o[key] != nil {
		d.wrong(key, "a string")
	}
	return s
}

func (d *decoder) bool(o map[string]any, key string) bool {
	b, ok := o[key].(bool)
	if !ok && o[key] != nil {
		d.wrong(key, "true or false")
	}
	return b
}

func (d *decoder) int(o map[string]any, key string) int {
	if o[key] == nil {
		return 0
	}
	n, ok := o[key].(json.Number)
	i, err := strconv.ParseInt(string(n), 10, strconv.IntSize)
	if !ok || err != nil {
		d.wrong(key, "an integer")
	}
	return int(i)
}

func (d *decoder) time(o map[string]any, key string) *time.Time {
	if o[key] == nil {
		return nil
	}
	s, ok := o[key].(string)
	var t time.Time
	if !ok || t.UnmarshalText([]byte(s)) != nil {
		d.wrong(key, "an RFC 3339 time")
		return nil
	}
	return &t
}
