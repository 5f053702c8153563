//go:build (dragonfly && cgo) || (freebsd && cgo) || linux || netbsd || openbsd

package keyring

import (
	"errors"
	"net"
	"os/exec"
	"strings"
	"syscall"

	dbus "github.com/godbus/dbus/v5"
	ss "github.com/zalando/go-keyring/secret_service"
)

// canSearch: the Secret Service can list items by attribute.
const canSearch = true

// searchKeys lists the "username" attribute of every item with attribute
// service=service in the collection go-keyring uses.
func searchKeys(service string) ([]string, error) {
	svc, err := ss.NewSecretService()
	if err != nil {
		return nil, err
	}
	coll := svc.GetLoginCollection()
	if err := svc.Unlock(coll.Path()); err != nil {
		return nil, err
	}
	items, err := svc.SearchItems(coll, map[string]string{"service": service})
	if err != nil {
		return nil, err
	}
	keys := make([]string, 0, len(items))
	for _, item := range items {
		v, err := svc.Object("org.freedesktop.secrets", item).GetProperty("org.freedesktop.Secret.Item.Attributes")
		if err != nil {
			return nil, err
		}
		if attrs, ok := v.Value().(map[string]string); ok && attrs["username"] != "" {
			keys = append(keys, attrs["username"])
		}
	}
	return keys, nil
}

// classifyPlatform maps a D-Bus or Secret Service error onto a sentinel, or nil.
func classifyPlatform(err error) error {
	name := ""
	var de dbus.Error
	var dep *dbus.Error
	switch {
	case errors.As(err, &dep):
		name = dep.Name
	case errors.As(err, &de):
		name = de.Name
	}
	switch {
	case name == "org.freedesktop.Secret.Error.IsLocked":
		return ErrLocked
	case name == "org.freedesktop.DBus.Error.NoReply", name == "org.freedesktop.DBus.Error.Timeout":
		return ErrTimeout
	case name == "org.freedesktop.DBus.Error.ServiceUnknown",
		name == "org.freedesktop.DBus.Error.NameHasNoOwner",
		name == "org.freedesktop.DBus.Error.NoServer",
		name == "org.freedesktop.DBus.Error.Disconnected",
		name == "org.freedesktop.DBus.Error.UnknownObject",
		name == "org.freedesktop.Secret.Error.NoSuchObject",
		strings.HasPrefix(name, "org.freedesktop.DBus.Error.Spawn"):
		return ErrUnavailable
	case name != "":
		return nil
	}
	// go-keyring reports a dismissed unlock prompt this way.
	if strings.Contains(err.Error(), "failed to unlock correct collection") {
		return ErrLocked
	}
	// No bus to connect to: no address, nothing listening, auth refused.
	var opErr *net.OpError
	var execErr *exec.Error // godbus runs dbus-launch when no address is set
	var exitErr *exec.ExitError
	if errors.As(err, &opErr) || errors.As(err, &execErr) || errors.As(err, &exitErr) || errors.Is(err, syscall.ENOENT) || errors.Is(err, syscall.ECONNREFUSED) ||
		errors.Is(err, dbus.ErrClosed) || strings.HasPrefix(err.Error(), "dbus: ") {
		return ErrUnavailable
	}
	return nil
}
