//go:build !linux && !darwin

package wire

import "errors"

// errNoPeerCred is returned where the platform has no peer credentials.
var errNoPeerCred = errors.New("peer credentials are not supported on this platform")

// PeerOfFD fails: this platform has no supported peer credentials, so every
// connection is refused by PeerCheckListener.
func PeerOfFD(fd int) (Peer, error) {
	return Peer{}, errNoPeerCred
}
