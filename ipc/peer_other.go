//go:build !linux && !darwin

package ipc

// peerOfFD fails: this platform has no supported peer credentials, so every
// connection is refused by PeerCheckListener.
func peerOfFD(fd int) (Peer, error) {
	return Peer{}, errNoPeerCred
}
