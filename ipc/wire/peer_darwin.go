package wire

import "golang.org/x/sys/unix"

// PeerOfFD reads LOCAL_PEERCRED and LOCAL_PEERPID.
func PeerOfFD(fd int) (Peer, error) {
	x, err := unix.GetsockoptXucred(fd, unix.SOL_LOCAL, unix.LOCAL_PEERCRED)
	if err != nil {
		return Peer{}, err
	}
	p := Peer{UID: int(x.Uid)}
	if x.Ngroups > 0 {
		p.GID = int(x.Groups[0])
	}
	if pid, err := unix.GetsockoptInt(fd, unix.SOL_LOCAL, unix.LOCAL_PEERPID); err == nil {
		p.PID = pid
	}
	return p, nil
}
