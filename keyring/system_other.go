//go:build !((dragonfly && cgo) || (freebsd && cgo) || linux || netbsd || openbsd)

package keyring

import "errors"

// canSearch: go-keyring cannot list items here; System keeps an index item.
const canSearch = false

func searchKeys(string) ([]string, error) {
	return nil, errors.New("keyring cannot be searched on this platform")
}

// classifyPlatform has no platform errors to recognise here.
func classifyPlatform(error) error { return nil }
